"""Automatic redaction of open answers before publication, in the style of the 2017 report's
Annex A: names of the organisation and its area, people, email addresses and telephone
numbers are replaced by placeholders. A coordinator reviews every comment afterwards."""
from __future__ import annotations

import re
from collections.abc import Sequence

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])(?:\+44\s?(?:\(0\)\s?)?\d{2,4}|\(0\d{2,4}\)|0\d{2,4})[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\w])")
TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?")
# Words that describe what kind of body an organisation is, rather than where it is.
GENERIC = re.compile(
    r"\b(?:London Borough of|Royal Borough of|City of|Metropolitan Borough Council|Metropolitan District Council|"
    r"Borough Council|County Council|City Council|District Council|Council|Partnership|NHS Foundation Trust|"
    r"NHS Trust|Foundation Trust|Trust|County|Borough|the)\b", re.I)

ORGANISATION = "<Organisation name>"
AREA = "<area name>"
NAME = "<name>"


def area_of(organisation_name: str) -> str | None:
    """'London Borough of Eastwick' -> 'Eastwick'; 'Ashby Vale Council' -> 'Ashby Vale'."""
    core = " ".join(GENERIC.sub(" ", organisation_name).split())
    return core or None


def _replace_words(words: str, placeholder: str, text: str) -> str:
    """``words`` as whole words, in any case, replaced by ``placeholder``.

    Most texts do not mention the words at all; a plain search says so without compiling a
    pattern for every organisation and person (an import of 10,000 returns meets 10,000 names).
    """
    if words.isascii() and text.isascii() and words.lower() not in text.lower():
        return text
    return re.sub(r"(?<![\w])" + re.escape(words) + r"(?![\w])", placeholder, text, flags=re.I)


def redact(text: str, organisation_name: str, people: Sequence[str] = ()) -> str:
    out = EMAIL.sub("<email address>", text)
    out = PHONE.sub("<telephone number>", out)
    out = _replace_words(organisation_name, ORGANISATION, out)
    area = area_of(organisation_name)
    if area and len(area) > 2:
        out = _replace_words(area, AREA, out)
    out = TITLED.sub(NAME, out)
    for person in sorted({p.strip() for p in people if p and len(p.strip()) > 2}, key=len, reverse=True):
        out = _replace_words(person, NAME, out)
    return out
