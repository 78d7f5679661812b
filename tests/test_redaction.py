"""Automatic redaction of people's names, measured on 50 realistic comments: every person named
must be caught, and roles, teams, bodies and places left alone."""
import json
from pathlib import Path

import pytest

from healthcheck.redaction import NAME, known_names, names_from_package, redact

COMMENTS = json.loads((Path(__file__).parent / "fixtures" / "redaction-comments.json").read_text(encoding="utf-8"))


def test_fifty_comments_every_name_caught_and_no_false_alarm():
    assert len(COMMENTS) == 50
    named = [(c, n) for c in COMMENTS for n in c["names"]]
    missed = [(n, redact(c["text"], "Northmoor County Council")) for c, n in named
              if n in redact(c["text"], "Northmoor County Council")]
    lost = [(k, redact(c["text"], "Northmoor County Council")) for c in COMMENTS for k in c["keep"]
            if k not in redact(c["text"], "Northmoor County Council")]
    assert len(named) == 40 and missed == [] and lost == []


@pytest.mark.parametrize("text, expected", [
    ("Thanks to Jane Smith, our Head of Practice.", f"Thanks to {NAME}, our Head of Practice."),
    ("Ask Mohammed in HR.", f"Ask {NAME} in HR."),  # ranked abroad, not in Great Britain, by the dataset
    ("Registered with Social Work England.", "Registered with Social Work England."),
    ("Peer supervision, then Kent County Council's figures.", "Peer supervision, then Kent County Council's figures."),
    ("We will meet in May; Will Turner chairs.", f"We will meet in May; {NAME} chairs."),
])
def test_names_without_a_title(text, expected):
    assert redact(text, "Northmoor County Council") == expected


def test_the_names_file_is_what_the_installed_names_dataset_gives():
    """bin/person-names keeps a small copy of the package's lists (loading it all takes 2 GB):
    after an upgrade of names-dataset this fails until the copy is made again."""
    first, british, last = names_from_package()
    assert known_names() == (frozenset(first), frozenset(british), frozenset(last))
