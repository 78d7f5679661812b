"""Automatic redaction of open answers before publication, in the style of the 2017 report's
Annex A: names of the organisation and its area, people, email addresses and telephone
numbers are replaced by placeholders. A coordinator reviews every comment afterwards.

People are found by title ("Dr Okafor"), by the names the return itself gives (its contacts),
and by the rules below, which are data: the first names and surnames of 105 countries, from the
names-dataset package (``bin/person-names`` keeps them in ``data/person-names.json.gz``, with
those that are also everyday English words, "Grace", "Will", "Patience"), and the project's own
lists of words (``data/redaction-words.txt``): words and phrases that are never names (job titles,
teams and services, bodies, places, months), and verbs that show a sentence is about a person.

- A known first name and the capitalised word after it are a person ("Soumia Arab"), unless that
  word is never a name; a second word after them too, if it is a known name ("Mary Ann Jones").
- A hyphenated word is a name when any of its parts is ("Pam-Papadopoulos").
- A known first name alone is a person; one that is also an everyday word is one only where the
  sentence does not start with it, or where a comma, colon or 's follows it ("Grace, our lead").
- A first name in lower case is a person when it is not an English word ("thanks to priya"),
  and so is a known surname after it.
- A first name before a word that ends the name of a team, body or place is not a person
  ("Kent County Council", "Hope House").

What the rules kept but were unsure of (a known name they left, a capitalised word right after a
redacted name) is marked for the reviewer (``marks``). ``docs/redaction.md`` has the figures
measured on comments the rules were not written from.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])(?:\+44\s?(?:\(0\)\s?)?\d{2,4}|\(0\d{2,4}\)|0\d{2,4})[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\w])")
# Words that describe what kind of body an organisation is, rather than where it is.
GENERIC = re.compile(
    r"\b(?:London Borough of|Royal Borough of|City of|Metropolitan Borough Council|Metropolitan District Council|"
    r"Borough Council|County Council|City Council|District Council|Council|Partnership|NHS Foundation Trust|"
    r"NHS Trust|Foundation Trust|Trust|County|Borough|the)\b",
    re.I,
)
TITLES = frozenset({"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof"})
# A word: letters, joined by hyphens or apostrophes ("Pam-Papadopoulos", "O'Connor", "Łukasz").
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
SENTENCE_START = re.compile(r"(?:^|[.!?:;\n])[\s\"'“‘(\[*•-]*$")

DATA = Path(__file__).resolve().parent / "data"
NAMES_FILE = DATA / "person-names.json.gz"
WORDS_FILE = DATA / "redaction-words.txt"

ORGANISATION = "<Organisation name>"
AREA = "<area name>"
NAME = "<name>"


@dataclass(frozen=True)
class Mark:
    """A stretch of a comment the rules replaced (``placeholder`` set) or kept but were unsure of."""

    start: int
    end: int
    why: str
    placeholder: str | None = None


def area_of(organisation_name: str) -> str | None:
    """'London Borough of Eastwick' -> 'Eastwick'; 'Ashby Vale Council' -> 'Ashby Vale'."""
    core = " ".join(GENERIC.sub(" ", organisation_name).split())
    return core or None


def redact(text: str, organisation_name: str, people: Sequence[str] = ()) -> str:
    """``text`` with what identifies an organisation, its area or a person replaced by placeholders."""
    out, at = [], 0
    for mark in marks(text, organisation_name, people):
        if mark.placeholder is not None:
            out += [text[at : mark.start], mark.placeholder]
            at = mark.end
    return "".join(out) + text[at:]


def marks(text: str, organisation_name: str, people: Sequence[str] = ()) -> list[Mark]:
    """Every stretch of ``text`` redaction replaces, and every word it kept but was unsure of,
    in order and not overlapping."""
    found: list[Mark] = []

    def add(start: int, end: int, why: str, placeholder: str | None = None) -> None:
        if not any(m.start < end and start < m.end for m in found):
            found.append(Mark(start, end, why, placeholder))

    for m in EMAIL.finditer(text):
        add(m.start(), m.end(), "an email address", "<email address>")
    for m in PHONE.finditer(text):
        add(m.start(), m.end(), "a telephone number", "<telephone number>")
    for start, end in _mentions(organisation_name, text):
        add(start, end, "the organisation's name", ORGANISATION)
    area = area_of(organisation_name)
    if area and len(area) > 2:
        for start, end in _mentions(area, text):
            add(start, end, "the organisation's area", AREA)
    for person in sorted({p.strip() for p in people if p and len(p.strip()) > 2}, key=len, reverse=True):
        for start, end in _mentions(person, text):
            add(start, end, "a name the return gives", NAME)
    for mark in _person_names(text, found):
        add(mark.start, mark.end, mark.why, mark.placeholder)
    return sorted(found, key=lambda m: m.start)


def _mentions(words: str, text: str) -> list[tuple[int, int]]:
    """Where ``words`` stand in ``text`` as whole words, in any case.

    Most texts do not mention the words at all; a plain search says so without compiling a
    pattern for every organisation and person (an import of 10,000 returns meets 10,000 names).
    """
    if words.isascii() and text.isascii() and words.lower() not in text.lower():
        return []
    return [m.span() for m in re.finditer(r"(?<![\w])" + re.escape(words) + r"(?![\w])", text, flags=re.I)]


# ---------------------------------------------------------------- people's names


@dataclass(frozen=True)
class _Word:
    start: int
    end: int  # before a possessive 's
    text: str
    possessive: bool


def _words(text: str) -> list[_Word]:
    words = []
    for m in WORD.finditer(text):
        word, end = m.group(), m.end()
        possessive = len(word) > 3 and word[-2] in "'’" and word[-1] == "s"
        if possessive:
            word, end = word[:-2], end - 2
        words.append(_Word(m.start(), end, word, possessive))
    return words


def _capitalised(word: str) -> bool:
    return word[0].isupper() and not word.isupper()


class _Rules:
    """The name rules applied to one text."""

    def __init__(self, text: str, taken: Sequence[Mark]) -> None:
        self.text = text
        self.names = known_names()
        lists = word_lists()
        # The words left once email addresses, organisations and contacts are taken, and which of them
        # are in a phrase that is never a name (and in which kind).
        self.words = [w for w in _words(text) if not any(m.start < w.end and w.start < m.end for m in taken)]
        inside: set[int] = set()
        self.calendar: set[int] = set()
        self.ends_a_name: set[int] = set()
        for m in lists.pattern.finditer(text):
            covered = {i for i, w in enumerate(self.words) if m.start() <= w.start and w.end <= m.end()}
            inside |= covered
            if m.group() in lists.calendar:
                self.calendar |= covered
            if m.group() in lists.ends_a_name:
                self.ends_a_name |= covered
        # A saint's name is a place's or a hospital's: "St Mary's", "St Helens".
        for i, w in enumerate(self.words[:-1]):
            if w.text in ("St", "Saint") and self.text[w.end : self.words[i + 1].start] in (" ", ". "):
                inside |= {i, i + 1}
        self.not_a_name = inside
        self.ordinary = lists.ordinary
        self.verbs = lists.verbs

    def joined(self, i: int) -> int | None:
        """The word straight after word ``i`` with one space between them (a name goes on), if any."""
        j = i + 1
        if (
            j < len(self.words)
            and not self.words[i].possessive
            and self.text[self.words[i].end : self.words[j].start] == " "
        ):
            return j
        return None

    def first(self, word: str) -> bool:
        return any(part in self.names.first for part in word.split("-"))

    def known(self, word: str) -> bool:
        return any(part in self.names.first or part in self.names.last for part in word.split("-"))

    def everyday(self, word: str) -> bool:
        return word in self.names.everyday or word.lower() in self.ordinary

    def verb(self, j: int | None) -> bool:
        """Word ``j`` is one of the verbs that show the word before it is a person."""
        if j is None or not self.words[j].text.islower():
            return False
        word = self.words[j].text
        return word in self.verbs or any(stem in self.verbs for stem in _stems(word, VERB_ENDINGS))

    def at_sentence_start(self, i: int) -> bool:
        return bool(SENTENCE_START.search(self.text[: self.words[i].start]))

    def surnames(self, i: int) -> list[int]:
        """The surname(s) straight after a first name: the capitalised word after it unless that is
        never a name (a month that is also a surname still counts), and a known name after that."""
        found: list[int] = []
        j = self.joined(i)
        while j is not None and len(found) < 2 and _capitalised(self.words[j].text):
            word = self.words[j].text
            if j in self.not_a_name and not (j in self.calendar and word in self.names.last):
                break
            if found and not self.known(word):
                break
            found.append(j)
            j = self.joined(j)
        return found

    def find(self) -> list[Mark]:
        found: list[Mark] = []
        i = 0
        while i < len(self.words):
            word = self.words[i].text
            if i in self.not_a_name or not (word.islower() or _capitalised(word)):
                i += 1
            elif word.islower():
                i = self.lower_case(i, found)
            elif word in TITLES:
                i = self.titled(i, found)
            elif self.first(word):
                i = self.first_name(i, found)
            else:
                if self.known(word) and not self.at_sentence_start(i):
                    found.append(self.mark(i, i, "a surname standing alone, kept"))
                i += 1
        return found

    def mark(self, i: int, j: int, why: str, placeholder: str | None = None) -> Mark:
        return Mark(self.words[i].start, self.words[j].end, why, placeholder)

    def lower_case(self, i: int, found: list[Mark]) -> int:
        """A first name in lower case, and a surname after it: "thanks to priya", "ask sam okafor"."""
        word = self.words[i].text
        title = "-".join(part[:1].upper() + part[1:] for part in word.split("-"))
        if len(word) < 3 or not self.first(title) or self.everyday(title):
            return i + 1
        j = self.joined(i)
        if j is not None and j not in self.not_a_name and self.words[j].text.islower():
            surname = self.words[j].text[:1].upper() + self.words[j].text[1:]
            if surname in self.names.last and not self.everyday(surname):
                found.append(self.mark(i, j, "a name in lower case", NAME))
                return j + 1
        found.append(self.mark(i, i, "a name in lower case", NAME))
        return i + 1

    def titled(self, i: int, found: list[Mark]) -> int:
        """A title and the name after it: "Dr Okafor", "Mrs Ama Mensah", "Dr. Ng"."""
        dot = self.text[self.words[i].end : self.words[i].end + 1] == "."
        j = (
            self.joined(i)
            if not dot
            else i + 1
            if i + 1 < len(self.words) and self.text[self.words[i].end : self.words[i + 1].start] == ". "
            else None
        )
        if j is None or not _capitalised(self.words[j].text) or j in self.not_a_name:
            return i + 1
        last = ([j] + self.surnames(j))[-1]
        found.append(self.mark(i, last, "a title and name", NAME))
        self.after_a_name(last, found)
        return last + 1

    def first_name(self, i: int, found: list[Mark]) -> int:
        """A known first name, with the surname(s) after it if any."""
        word = self.words[i].text
        run = self.surnames(i)
        if run:
            if self.everyday(word) and all(
                self.everyday(self.words[k].text) and self.words[k].text not in self.names.last for k in run
            ):
                found.append(self.mark(i, run[-1], "everyday words that are also names, kept"))
            else:
                found.append(self.mark(i, run[-1], "a first name and surname", NAME))
                self.after_a_name(run[-1], found)
            return run[-1] + 1
        after = self.joined(i)
        if after is not None and after in self.ends_a_name:
            found.append(self.mark(i, i, "a first name in the name of a team or place, kept"))
        elif (
            not self.everyday(word)
            or not self.at_sentence_start(i)
            or self.words[i].possessive
            or self.text[self.words[i].end : self.words[i].end + 1] in (",", ":")
            or self.verb(after)
        ):
            found.append(self.mark(i, i, "a first name", NAME))
            self.after_a_name(i, found)
        else:
            found.append(self.mark(i, i, "a first name that is also an everyday word, kept"))
        return i + 1

    def after_a_name(self, i: int, found: list[Mark]) -> None:
        """A capitalised word kept right after a redacted name (a place, a month) may be its surname."""
        j = self.joined(i)
        if j is not None and _capitalised(self.words[j].text) and j not in self.ends_a_name:
            found.append(self.mark(j, j, "a capitalised word after a name, kept"))


def _person_names(text: str, taken: Sequence[Mark]) -> list[Mark]:
    if not known_names().first:
        return []
    return _Rules(text, taken).find()


@dataclass(frozen=True)
class Names:
    first: frozenset[str]
    last: frozenset[str]
    everyday: frozenset[str]  # names that are also English words: "Grace", "Will", "Baker"


@cache
def known_names() -> Names:
    """The first names and surnames looked for (none, and so no such redaction, without the file)."""
    if not NAMES_FILE.exists():
        return Names(frozenset(), frozenset(), frozenset())
    with gzip.open(NAMES_FILE, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return Names(frozenset(data["first"]), frozenset(data["last"]), frozenset(data["everyday"]))


@dataclass(frozen=True)
class WordLists:
    pattern: re.Pattern[str]
    ends_a_name: frozenset[str]
    calendar: frozenset[str]
    ordinary: frozenset[str]  # everyday words Webster's list lacks, in lower case
    verbs: frozenset[str]


@cache
def word_lists() -> WordLists:
    """``data/redaction-words.txt``: the words and phrases that are never names, those of some sections
    on their own, and the verbs."""
    sections: dict[str, list[str]] = {}
    section = ""
    for line in WORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith("#"):
            sections.setdefault(section, []).append(line)
    verbs = sections.pop("verbs after a name", [])
    every = sorted({p for phrases in sections.values() for p in phrases}, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(p) for p in every) + r")(?![\w])")
    return WordLists(
        pattern,
        frozenset(sections.get("ends a name", [])),
        frozenset(sections.get("calendar", [])),
        frozenset(sections.get("ordinary words", [])),
        frozenset(verbs),
    )


# ---------------------------------------------------------------- the names file, from names-dataset

FIRST_NAMES_PER_COUNTRY = 1000  # of each sex
SURNAMES_PER_COUNTRY = 2000


def _latin(name: str) -> bool:
    """A name as English text would write it: Latin letters (accents allowed), capitalised."""
    return (
        len(name) > 1
        and name[0].isupper()
        and not name.isupper()
        and all(c in "-'" or (c.isalpha() and "LATIN" in unicodedata.name(c, "")) for c in name)
    )


def names_from_package() -> tuple[list[str], list[str], list[str]]:
    """The commonest first names (of each sex) and surnames of every country in names-dataset, in
    Latin letters, and those of them that are also English words: in the english-words package's
    Webster's list, where proper nouns are capitalised ("grace" is a word, "sarah" is not), or a
    plural, past, comparative or British spelling of one ("visits", "favour")."""
    from english_words import get_english_words_set  # the word lists load only for bin/person-names
    from names_dataset import NameDataset  # 2 GB while it loads: only bin/person-names and its test

    dataset = NameDataset()
    firsts = dataset.get_top_names(n=FIRST_NAMES_PER_COUNTRY, use_first_names=True)
    lasts = dataset.get_top_names(n=SURNAMES_PER_COUNTRY, use_first_names=False)
    first = {n for by_sex in firsts.values() for names in by_sex.values() for n in names if _latin(n)}
    last = {n for names in lasts.values() for n in names if _latin(n)}
    webster = get_english_words_set(["web2"], lower=False, alpha=True)
    words = {w for w in webster if w.islower()}
    everyday = {
        n
        for n in first | last
        if n.lower() in words or (n not in webster and any(stem in words for stem in _stems(n.lower())))
    }
    return sorted(first), sorted(last), sorted(everyday)


VERB_ENDINGS = (
    ("ies", ("y",)),
    ("es", ("", "e")),
    ("s", ("",)),
    ("ied", ("y",)),
    ("ed", ("", "e")),
    ("d", ("",)),
    ("ing", ("", "e")),
)
ENDINGS = VERB_ENDINGS + (("ier", ("y",)), ("iest", ("y",)), ("er", ("", "e")), ("est", ("", "e")))
BRITISH = (
    ("our", "or"),
    ("isation", "ization"),
    ("ise", "ize"),
    ("yse", "yze"),
    ("tre", "ter"),
    ("ogue", "og"),
    ("lling", "ling"),
    ("lled", "led"),
)


def _stems(word: str, endings: tuple[tuple[str, tuple[str, ...]], ...] = ENDINGS) -> list[str]:
    """The words ``word`` may be an ending or a British spelling of: "visits" -> "visit"."""
    stems = []
    for ending, replacements in endings:
        if word.endswith(ending):
            stem = word[: -len(ending)]
            stems += [stem + r for r in replacements]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                stems.append(stem[:-1])  # "running" -> "run"
    stems += [word.replace(british, american) for british, american in BRITISH if british in word]
    return [s for s in stems if len(s) > 2]


def write_names(first: list[str], last: list[str], everyday: list[str]) -> None:
    NAMES_FILE.parent.mkdir(exist_ok=True)
    data = json.dumps(
        {"source": "names-dataset, english-words", "first": first, "last": last, "everyday": everyday},
        ensure_ascii=False,
    )
    NAMES_FILE.write_bytes(gzip.compress(data.encode("utf-8"), compresslevel=9, mtime=0))  # the same bytes each time
