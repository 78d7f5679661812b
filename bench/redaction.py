"""How well automatic redaction finds people's names, on 200 staff survey comments written for it
(``tests/fixtures/redaction-survey-comments.json``): 100 to develop the rules on, 100 held out.

    .venv/bin/python bench/redaction.py [--misses development]

For each half it prints the names caught (each mention of a person whose every word was
replaced) and the false alarms (the share of comments that lost a word that is not part of a
name). ``--misses HALF`` lists what was missed and what was lost in one half: the rules are
tuned on the development half only, so look only at its misses. ``docs/redaction.md`` says how the
comments were written and split, and keeps the figures.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from healthcheck.redaction import redact  # noqa: E402

COMMENTS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "redaction-survey-comments.json"
ORGANISATION = "Northmoor County Council"  # named in none of the comments
PLACEHOLDER = re.compile(r"<(?:name|Organisation name|area name|email address|telephone number)>")
WORD = re.compile(r"[^\W\d_]+")
TITLE = re.compile(r"(?:Mr|Mrs|Ms|Miss|Mx|Dr)$")


@dataclass
class Score:
    names: int = 0
    caught: int = 0
    comments: int = 0
    lost_a_word: int = 0
    misses: list[str] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        caught, alarms = 100 * self.caught / self.names, 100 * self.lost_a_word / self.comments
        return (
            f"{label:<12} names caught {self.caught}/{self.names} ({caught:.1f} %), "
            f"false alarms {self.lost_a_word}/{self.comments} comments ({alarms:.1f} %)"
        )


def _words(text: str) -> list[re.Match[str]]:
    return list(WORD.finditer(PLACEHOLDER.sub(" \x00 ", text)))


def score(comments: list[dict], redactor=lambda text: redact(text, ORGANISATION)) -> Score:
    """Compare each comment's words with its redaction's, word by word: a mention of a name is caught
    when all its words are gone; a comment raises a false alarm when any other word is gone (a title
    before a name and the 's after one count as neither)."""
    result = Score()
    for comment in comments:
        text, out = comment["text"], redactor(comment["text"])
        before, after = _words(text), _words(out)
        gone: set[int] = set()
        matcher = difflib.SequenceMatcher(None, [w.group() for w in before], [w.group() for w in after], autojunk=False)
        for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
            if tag in ("replace", "delete"):
                gone.update(range(i1, i2))
        in_a_name: set[int] = set()
        neutral: set[int] = set()
        for name in sorted(comment["names"], key=len, reverse=True):
            for mention in re.finditer(r"(?<![\w])" + re.escape(name) + r"(?![\w])", text):
                words = {i for i, w in enumerate(before) if mention.start() <= w.start() < mention.end()}
                if not words or words & in_a_name:
                    continue  # part of a longer name already counted
                in_a_name |= words
                result.names += 1
                if words <= gone:
                    result.caught += 1
                else:
                    result.misses.append(f"{name!r} in: {out}")
                first, last = min(words), max(words)
                if first > 0 and TITLE.match(before[first - 1].group()):
                    neutral.add(first - 1)
                if last + 1 < len(before) and before[last + 1].group() == "s" and text[before[last].end()] in "'’":
                    neutral.add(last + 1)
        lost = [before[i].group() for i in sorted(gone - in_a_name - neutral)]
        result.comments += 1
        if lost:
            result.lost_a_word += 1
            result.losses.append(f"{' '.join(lost)!r} from: {out}")
    return result


def halves() -> dict[str, list[dict]]:
    comments = json.loads(COMMENTS.read_text(encoding="utf-8"))
    return {half: [c for c in comments if c["half"] == half] for half in ("development", "held-out")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--misses", choices=("development", "held-out"), help="list the names missed and the words lost in this half"
    )
    args = parser.parse_args()
    for half, comments in halves().items():
        result = score(comments)
        print(result.line(half))
        if args.misses == half:
            for line in result.misses:
                print("   missed", line)
            for line in result.losses:
                print("   lost  ", line)


if __name__ == "__main__":
    main()
