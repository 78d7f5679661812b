"""The practitioners' side: the anonymous staff survey, reached through an organisation's link
or its code. Nothing identifies the person: answers wait in a draft only their browser can reach
(for a week), and a submitted response keeps its date alone."""

from . import routes  # the pages: each registers its routes on bp
from .blueprint import bp

__all__ = ["bp", "routes"]
