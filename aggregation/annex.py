"""Annex A of the national report: the open answers, as the LGA's 2017 report carries them. Each
question's approved answers make one table: the "Other (please specify)" answers of a question
of options, the free-text answers (a standard's additional comments, "what plans are in place"),
each grouped under the categories the coordinating body coded them into (in the coding frame's
order, uncoded ones last), the same answer given by several respondents shown once with how many
gave it ("(x 3)").

Only comments approved for publication are here, as redacted on review; no answer says whose it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forms import Question
from forms.rules import describe

from .dataset import Dataset
from .tables import short_label

UNCODED = "Other answers"  # the heading of the answers not coded, where others were


@dataclass
class Group:
    heading: str | None  # a coding category, UNCODED, or None where nothing in the table was coded
    answers: list[tuple[str, int]] = field(default_factory=list)  # (text, how many gave it)


@dataclass
class AnnexTable:
    number: str  # "Table A1"
    title: str
    question_id: str  # the answer key: the question's, or its "_other" text's
    answers: int  # how many approved answers the table lists
    groups: list[Group]


def _key(text: str) -> str:
    """Two answers are the same answer when they differ only in case and spacing."""
    return " ".join(text.split()).casefold()


def _title(dataset: Dataset, question: Question, key: str, table_titles: dict[str, str]) -> str:
    section = next(s for s in dataset.questionnaire.sections if question in s.questions)
    if key == question.other_id:
        return f"{table_titles.get(question.id, short_label(question.label))} – other answers"
    if question.id.endswith("_comments"):
        return f"{section.title} – additional comments" if section.standard else section.title
    if question.when:
        q = dataset.questionnaire

        def label_of(qid: str, value: Any) -> str:
            return q.question(qid).option_label(str(value))

        where = describe(question.when, label_of, lambda qid: q.question(qid).in_words)
        return f"{question.label} (asked where {where})"
    return question.label


def annex_tables(dataset: Dataset, table_titles: dict[str, str] | None = None) -> list[AnnexTable]:
    """Annex A's tables, in questionnaire order, numbered A1, A2…; ``table_titles`` are the
    national tables' titles by question id (an "Other" table is named after its question's table)."""
    table_titles = table_titles or {}
    out: list[AnnexTable] = []
    for section in dataset.questionnaire.sections:
        for question in section.questions:
            keys = [k for k in (question.other_id, question.id if question.answer_type.free_text else None) if k]
            for key in keys:
                items = [c for c in dataset.comments if c["question_id"] == key]
                if not items:
                    continue
                labels = {o.value: short_label(o.label) for o in question.options}
                labels.update(dict(dataset.categories.get(question.id, [])))
                coded = any(c.get("categories") for c in items)
                by_heading: dict[str | None, dict[str, list[str]]] = {}
                for item in items:
                    known = [v for v in item.get("categories") or [] if v in labels]
                    heading = labels[known[0]] if known else (UNCODED if coded else None)
                    by_heading.setdefault(heading, {}).setdefault(_key(item["text"]), []).append(item["text"])
                order = [labels[v] for v in labels] + [UNCODED, None]
                groups = [
                    Group(
                        heading,
                        sorted(
                            ((texts[0], len(texts)) for texts in by_heading[heading].values()),
                            key=lambda pair: (-pair[1], _key(pair[0])),
                        ),
                    )
                    for heading in order
                    if heading in by_heading
                ]
                out.append(
                    AnnexTable(
                        f"Table A{len(out) + 1}", _title(dataset, question, key, table_titles), key, len(items), groups
                    )
                )
    return out


def answer_text(text: str, count: int) -> str:
    """An answer as the annex lists it: "Shadowing (x 5)" where five gave it."""
    return f"{text} (x {count})" if count > 1 else text
