"""Automatic redaction of open answers before publication, in the style of the 2017 report's
Annex A: names of the organisation and its area, people, email addresses and telephone
numbers are replaced by placeholders. A coordinator reviews every comment afterwards.

People are found by title ("Dr Okafor"), by the names the return itself gives (its contacts),
and by the person names most used in Great Britain, from the names-dataset package
(``bin/person-names`` keeps them in ``data/person-names.json.gz``): a known first name followed
by a surname ("Jane Smith"), or a known first name standing alone that is not also an everyday
word ("thanks to Priya"). Roles, teams and bodies ("Head of Practice", "Social Work England")
are left alone. ``tests/test_redaction.py`` measures what it catches and misses.
"""
from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])(?:\+44\s?(?:\(0\)\s?)?\d{2,4}|\(0\d{2,4}\)|0\d{2,4})[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\w])")
TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?")
# Words that describe what kind of body an organisation is, rather than where it is.
GENERIC = re.compile(
    r"\b(?:London Borough of|Royal Borough of|City of|Metropolitan Borough Council|Metropolitan District Council|"
    r"Borough Council|County Council|City Council|District Council|Council|Partnership|NHS Foundation Trust|"
    r"NHS Trust|Foundation Trust|Trust|County|Borough|the)\b", re.I)

NAMES_FILE = Path(__file__).resolve().parent / "data" / "person-names.json.gz"
# Capitalised words that follow a first name in a role, team, body or place, never a surname:
# "Grace Street Team", "Kent County Council". A pair ending in one is not a person.
NOT_SURNAMES = frozenset("""
    North South East West Central Upper Lower Council County Borough City District Trust NHS
    Team Teams Service Services Practice Manager Managers
    Director Directorate Board Committee Panel Hub Unit Centre Academy College University School Street Road
    House Court Lane Way Partnership Partners Group Forum Network Programme Project Care Health Social
    Work England Children Adults Adult Safeguarding Principal Head Lead Officer Worker Workers Assessment
    Support Review Policy Standards Framework Pathway Week Month Year Day January February March April May June
    July August September October November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday
""".split())
# First names that are everyday words, or months, or places people write about: alone, or
# starting a sentence, they are taken as words; before a surname they are still names.
EVERYDAY = frozenset("""
    May Will Grace Hope Mark Joy Faith Dawn Summer April June August Guy Pat Ray Art Bill Rose Frank Amber
    Ruby Pearl Iris Jade Holly Ivy Brook Cliff Glen Dale Miles Rich Don Drew Kit Max Nick Penny Rob Sandy Wade
    Warren Victoria Chelsea Jordan Lincoln Kent Lee Jack Angel Star Sky Sunny King Love Happy Lucky Major
    Young Bishop Chance Page Mercy Justice Royal Princess Baby Lady Star Crystal Storm River Robin Carol Sage
    Reading Bath Derby Preston Kendal Chester Devon Cornwall Florence Paris Sydney Jersey Lancaster Stirling
    Child Care Team Social Work Head Lead Support Best Star Dear Thanks Thank Hi Hello Our The New All
    Overall Staff Workers Manager Managers Principal Director Chief Service North South East West
""".split())

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
    return person_names(out)


CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)*\b")
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*)$")


def person_names(text: str) -> str:
    """``text`` with the people it names by first name (and surname) replaced by <name>."""
    first, british, last = known_names()
    if not first:
        return text
    words = list(CAPITALISED.finditer(text))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        word = words[i].group()
        following = words[i + 1:i + 3]
        surname = _surnames(text, words[i], following, last)
        if word in first and surname:
            spans.append((words[i].start(), surname[-1].end()))
            i += 1 + len(surname)
            continue
        # Alone, a name starting a sentence must be a British one: "Peer supervision groups..."
        alone = british if SENTENCE_START.search(text[:words[i].start()]) else first
        if word in alone and word not in EVERYDAY | NOT_SURNAMES and not _before_a_body(text, words[i], following):
            spans.append((words[i].start(), words[i].end()))
        i += 1
    for start, end in reversed(spans):
        text = text[:start] + NAME + text[end:]
    return text


def _surnames(text: str, word: re.Match[str], following: list[re.Match[str]],
              last: frozenset[str]) -> list[re.Match[str]]:
    """The surname(s) straight after a first name ("Jane Smith", "Mary Ann Jones"), if any."""
    found: list[re.Match[str]] = []
    end = word.end()
    for nxt in following:
        if text[end:nxt.start()] != " " or nxt.group() in NOT_SURNAMES or nxt.group() not in last:
            break
        found.append(nxt)
        end = nxt.end()
    return found


def _before_a_body(text: str, word: re.Match[str], following: list[re.Match[str]]) -> bool:
    """A first name that starts the name of a team, body or place ("Kent County Council")."""
    return bool(following) and text[word.end():following[0].start()] == " " and following[0].group() in NOT_SURNAMES


@cache
def known_names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The first names, the British ones among them, and the surnames looked for (none, and so no
    such redaction, without the file)."""
    if not NAMES_FILE.exists():
        return frozenset(), frozenset(), frozenset()
    with gzip.open(NAMES_FILE, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return frozenset(data["first"]), frozenset(data["british"]), frozenset(data["last"])


# Where England's social workers and the people they name come from, beyond Great Britain: the
# dataset ranks each name only in the countries it is most used in, so "Mohammed" and "Fatima" are
# ranked in Saudi Arabia and Morocco, not here.
COUNTRIES = {"GB": 5000, "IE": 1000, "US": 1000, "IN": 1000, "PK": 1000, "BD": 1000, "NG": 1000, "GH": 1000,
             "ZA": 1000, "ZW": 1000, "KE": 1000, "PL": 1000, "RO": 1000, "LT": 500, "PT": 500, "IT": 500, "ES": 500,
             "FR": 500, "DE": 500, "TR": 500, "SA": 500, "EG": 500, "MA": 500, "IQ": 500, "PH": 500, "CN": 500}


def names_from_package() -> tuple[list[str], list[str], list[str]]:
    """The commonest first names (of each sex) and surnames in Great Britain and ``COUNTRIES``,
    from names-dataset."""
    from names_dataset import NameDataset  # 2 GB while it loads: only bin/person-names and its test

    dataset = NameDataset()
    firsts = dataset.get_top_names(n=max(COUNTRIES.values()), use_first_names=True)
    lasts = dataset.get_top_names(n=10**6, use_first_names=False)
    first = {n for country, keep in COUNTRIES.items() for names in firsts.get(country, {}).values()
             for n in names[:keep]}
    last = {n for country, keep in COUNTRIES.items() for n in lasts.get(country, [])[:keep * 4]}
    british = {n for names in firsts.get("GB", {}).values() for n in names[:COUNTRIES["GB"]]}
    return sorted(first), sorted(british), sorted(last | set(lasts.get("GB", [])))


def write_names(first: list[str], british: list[str], last: list[str]) -> None:
    NAMES_FILE.parent.mkdir(exist_ok=True)
    data = json.dumps({"source": "names-dataset", "first": first, "british": british, "last": last},
                      ensure_ascii=False)
    NAMES_FILE.write_bytes(gzip.compress(data.encode("utf-8"), compresslevel=9, mtime=0))  # the same bytes each time
