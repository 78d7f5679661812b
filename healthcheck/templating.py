"""Jinja set-up shared by every page."""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from functools import lru_cache
from threading import Lock
from typing import Callable, Hashable

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


def remember_checkbox(field, params: dict) -> Markup:
    """A single checkbox's markup (a WTForms ``BooleanField``), made once for each state, ticked
    or not, and set of parameters. One showing an error is rendered afresh. (Check answers
    rendered its two checkboxes in a third of its time.)"""
    if field.errors or field.type != "BooleanField":
        return field(params=params)
    key = (type(field), field.id, field.name, str(field.label.text), field.description, field._value(),
           bool(field.data), json.dumps(params, sort_keys=True))
    return _CHECKBOXES.render(key, lambda _gaps: field(params=params))  # markup without gaps


class GappedMarkup:
    """A macro call's markup remembered with gaps, each filled on every call with a value the
    macro would have written there.

    For components whose structure repeats from page to page while a few values change (a
    summary list: the same questions and links, different answers). The markup is made once,
    from parameters with a token in each gap, and cut at the tokens; afterwards a call costs
    a join. ``fill`` must do to a value what the macro does to the parameter (its filters), so
    that the result is the macro's own markup: the tests compare the two."""

    def __init__(self, size: int = 1024):
        self.size, self.entries, self.lock = size, OrderedDict(), Lock()

    def render(self, key: Hashable, make: Callable[[list], Markup], values: list = (),
               fill: Callable[[Markup], Markup] | None = None) -> Markup:
        """``make(gaps)`` renders the markup with ``gaps[i]`` where ``values[i]`` goes."""
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
        if entry is None:
            parts = _GAP.split(str(make([_GAP_TOKEN.format(i) for i in range(len(values))])))
            literals, order = parts[0::2], [int(i) for i in parts[1::2]]
            if sorted(order) != list(range(len(values))):
                return make(values)  # a gap the macro dropped or repeated: never remember it
            entry = (literals, order)
            with self.lock:
                self.entries[key] = entry
                if len(self.entries) > self.size:
                    self.entries.popitem(last=False)
        literals, order = entry
        out = [literals[0]]
        for index, literal in zip(order, literals[1:]):
            out += (fill(values[index]), literal)
        return Markup("".join(out))


# Private-use characters nobody types, and no whitespace, so that no filter alters a token.
_GAP_TOKEN = "\ue004{}\ue005"
_GAP = re.compile("\ue004(\\d+)\ue005")


_CHECKBOXES = GappedMarkup(size=256)
