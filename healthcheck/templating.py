"""Jinja set-up shared by every page."""
from __future__ import annotations

from jinja2 import Template


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
