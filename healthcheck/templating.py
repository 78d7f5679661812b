"""Jinja set-up shared by every page."""
from __future__ import annotations

import json
from functools import lru_cache

from jinja2 import Template
from markupsafe import Markup


class ImportingTemplate(Template):
    """A template whose ``{% from ... import %}`` costs a dictionary merge rather than a scan.

    On every import Jinja checks whether the importing template has globals that the imported
    one lacks (a set difference against a ``ChainMap``: one Python-level lookup per global
    name, and a page imports some eighteen macros). The same check is made here in C; when
    nothing differs, the remembered module is returned, exactly as Jinja would, and otherwise
    Jinja decides as before.
    """

    def _get_default_module(self, ctx=None):
        if ctx is not None and self._module is not None and not ctx.globals_keys.difference(self.globals):
            return self._module
        return super()._get_default_module(ctx)


def remember(macro, params: dict) -> Markup:
    """A GOV.UK component macro's markup, made once for each set of parameters.

    The components' markup depends on their parameters alone, and a button took about 37 µs
    to render, a tenth of a questionnaire page's template time for its two buttons and back
    link. For calls whose parameters are few and repeat (buttons, back links), not for ones
    carrying what people typed."""
    return _remembered(macro, json.dumps(params, sort_keys=True))


@lru_cache(maxsize=512)
def _remembered(macro, params: str) -> Markup:
    return Markup(macro(json.loads(params)))
