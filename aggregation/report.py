"""The national report as a PDF, in the spirit of the LGA's 2017 report: cover, contents with
page numbers, key findings written from the data, background and methodology with the
response table, findings standard by standard with numbered tables and figures and their
bases, and annexes generated from the data and the questionnaire definition."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from forms import Questionnaire, Section
from forms.rules import describe

from . import charts, findings
from .annex import AnnexTable, annex_tables, answer_text
from .dataset import Dataset
from .outputs import base_text
from .tables import (
    SMALL_BASE,
    SUPPRESSED,
    ByTypeTable,
    ChoiceTable,
    MultiTable,
    ResponsesTable,
    SingleTable,
    compute,
    is_choice,
    kind_of,
    printed_change,
)
from .tables import Table as NationalTable

INK = colors.HexColor("#0b0c0c")
BLUE = colors.HexColor("#1d70b8")
RULE = colors.HexColor("#b1b4b6")
SHADE = colors.HexColor("#f3f2f1")
WIDTH = A4[0] - 36 * mm
LANGUAGE = "en-GB"  # every PDF says what language it is in, for screen readers
LONDON = ZoneInfo("Europe/London")  # the cover's date is the day in England


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName="Helvetica", fontSize=10, leading=14, textColor=INK, spaceAfter=6
    )
    return {
        "cover": ParagraphStyle(
            "cover", parent=body, fontName="Helvetica-Bold", fontSize=30, leading=36, textColor=BLUE, spaceAfter=12
        ),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=16, leading=22),
        "h1": ParagraphStyle(
            "h1",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=18,
            leading=23,
            spaceBefore=6,
            spaceAfter=10,
            textColor=BLUE,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=13,
            leading=17,
            spaceBefore=10,
            spaceAfter=6,
            keepWithNext=1,
        ),
        "title": ParagraphStyle(
            "title", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=23, spaceAfter=10, textColor=BLUE
        ),
        "caption": ParagraphStyle(
            "caption",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=10,
            leading=13,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "body": body,
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=12, bulletIndent=2),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, spaceAfter=2),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "cellbold": ParagraphStyle(
            "cellbold", parent=body, fontName="Helvetica-Bold", fontSize=8.5, leading=10.5, spaceAfter=0
        ),
        "toc1": ParagraphStyle("toc1", parent=body, fontName="Helvetica-Bold", fontSize=10.5, leading=15),
        "toc2": ParagraphStyle("toc2", parent=body, fontSize=9.5, leading=13, leftIndent=14),
    }


def running_header(
    header: str, pagesize: tuple[float, float] = A4, margin: float = 18 * mm
) -> Callable[[Any, Any], None]:
    """A page's furniture for an organisation's or area's report: the header at the top left, the
    page number at the foot (reportlab's onFirstPage/onLaterPages)."""

    def page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(INK)
        canvas.drawString(margin, pagesize[1] - 12 * mm, header)
        canvas.drawRightString(pagesize[0] - margin, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return page


def _t(text: object) -> str:
    return escape(str(text)).replace("\n", "<br/>")


Story = list[Any]
"""Flowables for reportlab to lay out (reportlab is untyped)."""
ChartPng = Callable[[ChoiceTable], bytes]
"""A figure's chart as PNG."""


class _Outline:
    """Each heading, as it is laid out: a bookmark and an entry in the PDF's outline, at the level
    its style is given (never deeper than one below the entry before it), and with ``toc`` each
    top-level one in the table of contents."""

    def __init__(self, doc: Any, levels: dict[str, int], toc: bool = False) -> None:
        self.doc, self.levels, self.toc = doc, levels, toc
        self.restart()

    def restart(self) -> None:
        self.count, self.deepest = 0, -1  # multiBuild lays the document out more than once: keys must repeat

    def after_flowable(self, flowable: Any) -> None:
        if not isinstance(flowable, Paragraph) or flowable.style.name not in self.levels:
            return
        level = min(self.levels[flowable.style.name], self.deepest + 1)
        text = flowable.getPlainText()
        self.count += 1
        self.deepest = level
        key = f"h{self.count}"
        self.doc.canv.bookmarkPage(key)
        self.doc.canv.addOutlineEntry(text, key, level=level)
        self.doc.canv.showOutline()
        if self.toc and level == 0:
            self.doc.notify("TOCEntry", (level, text, self.doc.page, key))


def outlined(doc: Any, levels: dict[str, int] | None = None, toc: bool = False) -> Any:
    """``doc`` with its headings (h1, h2 unless told) bookmarked in the PDF's outline.

    reportlab's document class is untyped, so rather than subclass it, this sets the two hooks it
    calls before laying out the document and after each flowable."""
    outline = _Outline(doc, levels or {"h1": 0, "h2": 1}, toc)
    doc.beforeDocument = outline.restart
    doc.afterFlowable = outline.after_flowable
    return doc


def pdf_document(
    buffer: io.BytesIO,
    title: str,
    author: str,
    subject: str | None = None,
    pagesize: tuple[float, float] = A4,
    margins: tuple[float, float, float, float] = (18, 18, 20, 18),
    levels: dict[str, int] | None = None,
) -> Any:
    """A document for one of the product's PDFs: its title, author and language in its properties,
    its headings in its outline. ``margins`` are left, right, top and bottom, in mm."""
    left, right, top, bottom = (m * mm for m in margins)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom,
        title=title,
        author=author,
        subject=subject or title,
        lang=LANGUAGE,
    )
    return outlined(doc, levels)


def _document(buffer: io.BytesIO, title: str, service: str) -> Any:
    """The report's document: a cover page, then pages with a running head and a page number; its
    chapters in the outline and the table of contents."""
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=service,
        subject=title,
        lang=LANGUAGE,
    )

    def body_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(INK)
        canvas.drawString(18 * mm, A4[1] - 12 * mm, title)
        canvas.drawRightString(A4[0] - 18 * mm, A4[1] - 12 * mm, service)
        canvas.setStrokeColor(RULE)
        canvas.line(18 * mm, A4[1] - 14 * mm, A4[0] - 18 * mm, A4[1] - 14 * mm)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates(
        [PageTemplate("cover", [frame], onPage=_cover_page), PageTemplate("body", [frame], onPage=body_page)]
    )
    return outlined(doc, {"h1": 0}, toc=True)


def _cover_page(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFillColor(BLUE)
    canvas.rect(0, A4[1] - 30 * mm, A4[0], 30 * mm, stroke=0, fill=1)
    canvas.restoreState()


def national_report(
    dataset: Dataset,
    threshold: int = 0,
    service: str = "Social Work Health Check",
    tables: list[NationalTable] | None = None,
    publisher: str | None = None,
    edition: int | None = None,
    chart_png: ChartPng = charts.png_bytes,
) -> bytes:
    """The report as PDF bytes; ``tables`` are the dataset's national tables, if already computed;
    the cover names the ``publisher`` (the service, if none) and the ``edition`` it is part of.
    ``chart_png`` gives a figure's chart (an edition gives those it has drawn for its own files)."""
    tables = tables if tables is not None else compute(dataset, threshold)
    s = _styles()
    q = dataset.questionnaire
    title = f"{q.title}: national findings"
    section_of = {qq.id: sec for sec in q.sections for qq in sec.questions}
    annex = annex_tables(dataset, {t["question_ids"][0]: t["title"] for t in tables if is_choice(t)})
    story: Story = [
        *_cover(dataset, title, publisher or service, edition, threshold, s),
        *_contents(s),
        *_key_findings(tables, section_of, s),
        *_background_and_methodology(dataset, threshold, tables, s),
        *_findings_by_standard(tables, section_of, s, annex, chart_png),
        *_annex_open_answers(annex, s),
        *_annex_standards(q, s),
        *_annex_form(q, s),
    ]
    buffer = io.BytesIO()
    _document(buffer, title, service).multiBuild(story)
    return buffer.getvalue()


def _cover(
    dataset: Dataset, title: str, publisher: str, edition: int | None, threshold: int, s: dict[str, ParagraphStyle]
) -> Story:
    published = f"Edition {edition}, published" if edition else "Published"
    lines = [
        f"{published} by {publisher} on {datetime.now(LONDON):%d %B %Y}.",
        f"From the {len(dataset.returns)} returns as submitted for {dataset.year}"
        + (f"; no figure comes from fewer than {threshold} respondents." if threshold > 1 else "."),
    ]
    return [
        Spacer(1, 40 * mm),
        Paragraph(_t(title), s["cover"]),
        Paragraph(
            _t(f"Results from {len(dataset.returns)} employers of social workers in England, {dataset.year}"),
            s["subtitle"],
        ),
        Spacer(1, 8 * mm),
        *[Paragraph(_t(line), s["body"]) for line in lines],
        NextPageTemplate("body"),
        PageBreak(),
    ]


def _contents(s: dict[str, ParagraphStyle]) -> Story:
    toc = TableOfContents()
    toc.levelStyles = [s["toc1"], s["toc2"]]
    return [Paragraph("Contents", s["title"]), toc, PageBreak()]


def _key_findings(tables: list[NationalTable], section_of: dict[str, Section], s: dict[str, ParagraphStyle]) -> Story:
    story: Story = [Paragraph("Key findings", s["h1"])]
    for sentence in findings.key_findings(tables, {k: v.id for k, v in section_of.items()}):
        story.append(Paragraph(_t(sentence), s["bullet"], bulletText="•"))
    story.append(PageBreak())
    return story


def _background_and_methodology(
    dataset: Dataset, threshold: int, tables: list[NationalTable], s: dict[str, ParagraphStyle]
) -> Story:
    """How the returns were collected and counted, and Table 1 (the responses)."""
    q = dataset.questionnaire
    by_id = {t["id"]: t for t in tables}
    story: Story = [Paragraph("Background and methodology", s["h1"])]
    intro = q.introduction or {}
    for paragraph in intro.get("paragraphs", [])[:1]:
        story.append(Paragraph(_t(paragraph), s["body"]))
    methodology = [
        f"Employers completed the {q.title} return online, one standard at a time. This report covers "
        f"{len(dataset.returns)} returns: the latest version each employer submitted.",
        "Some respondents did not answer every question, and some questions were asked only after "
        "particular answers, so each table and figure has its own base: the number of respondents it "
        "covers, printed beneath it and computed from the returns.",
        f"Where a base is under {SMALL_BASE}, counts are shown beside per cents, as small differences can "
        "look large. Per cents are whole numbers, rounded half away from zero, so they may not add to 100.",
        (
            f"No figure is published for fewer than {threshold} respondents: such cells are marked *."
            if threshold > 1
            else "Every figure is published, whatever the number of respondents behind it."
        )
        + (" NHS trusts and other employers are shown separately from councils." if threshold <= 3 else ""),
    ]
    if dataset.named:
        methodology.append(
            "Respondents that agreed to be named: " + ", ".join(sorted(dataset.named)) + ". "
            "Other respondents are not named."
        )
    if dataset.previous is not None:
        methodology.append(
            f"Figures for {dataset.previous.year} come from that year's returns, matched question by question."
        )
    for paragraph in methodology:
        story.append(Paragraph(_t(paragraph), s["body"]))
    if "responses" in by_id:
        story += _table_block(by_id["responses"], s)
    story.append(PageBreak())
    return story


def _findings_by_standard(
    tables: list[NationalTable],
    section_of: dict[str, Section],
    s: dict[str, ParagraphStyle],
    annex: list[AnnexTable],
    chart_png: ChartPng,
) -> Story:
    """Findings, standard by standard: every table but Table 1, under its standard's heading, each
    pointing to the table of Annex A that lists its "Other" answers, where there is one."""
    others = {a.question_id: a.number for a in annex}
    story: Story = []
    current: Section | None = None
    for table in tables:
        if not kind_of(table).by_standard:  # Table 1 is in the methodology
            continue
        section = section_of[table["question_ids"][0]]
        heading: Story = []
        if section is not current:  # a standard's heading stays on the page of its first table
            current = section
            heading = [Paragraph(_t(section.heading), s["h1"])]
            if section.statement:
                heading.append(Paragraph(_t(section.statement), s["body"]))
        lead = [Paragraph(_t(sentence), s["body"]) for sentence in findings.sentences(table)]
        listed = others.get(f"{table['question_ids'][0]}_other")
        more = [f"The answers given as “Other” are listed in {listed} in Annex A."] if listed else []
        story += _table_block(table, s, heading + lead, more, chart_png)
    return story


def _annex_open_answers(annex: list[AnnexTable], s: dict[str, ParagraphStyle]) -> Story:
    """Annex A: the answers given to open questions and as "Other (please specify)", a table per
    question, grouped by the categories they were coded into (``annex.annex_tables``)."""
    story: Story = [
        PageBreak(),
        Paragraph("Annex A: open answers", s["h1"]),
        Paragraph(
            "The answers given to open questions and as “Other (please specify)”, as approved for "
            "publication, with the names of organisations, places and people removed. Where answers "
            "were coded, they are grouped under their categories (an answer coded to several is "
            "listed under the first); the same answer given by several respondents is listed once, "
            "with how many gave it (x 3).",
            s["body"],
        ),
    ]
    if not annex:
        story.append(Paragraph("No answers to open questions have been approved for publication.", s["body"]))
    for table in annex:
        story.append(Paragraph(_t(f"{table.number}: {table.title}"), s["caption"]))
        for group in table.groups:
            if group.heading:
                story.append(Paragraph(_t(group.heading), s["cellbold"]))
            for text, count in group.answers:
                story.append(Paragraph(_t(answer_text(text, count)), s["bullet"], bulletText="–"))
        story.append(Paragraph(_t(f"{table.answers} answer{'s' if table.answers != 1 else ''}."), s["small"]))
    return story


def _annex_standards(q: Questionnaire, s: dict[str, ParagraphStyle]) -> Story:
    """Annex B: the standards and questions."""
    story: Story = [PageBreak(), Paragraph("Annex B: the standards and the health check questions", s["h1"])]
    intro = q.introduction or {}
    if intro:
        story.append(Paragraph(_t(f"Standard {intro.get('standard', 1)}: {intro.get('title', '')}"), s["h2"]))
        story.append(Paragraph(_t(intro.get("statement", "")), s["body"]))
    for section in q.sections:
        if not section.standard:
            continue
        story.append(Paragraph(_t(section.heading), s["h2"]))
        if section.statement:
            story.append(Paragraph(_t(section.statement), s["body"]))
        for i, question in enumerate(section.questions, 1):
            story.append(Paragraph(_t(question.label), s["bullet"], bulletText=f"{i}."))
    return story


def _annex_form(q: Questionnaire, s: dict[str, ParagraphStyle]) -> Story:
    """Annex C: the form."""
    story: Story = [
        PageBreak(),
        Paragraph("Annex C: the form", s["h1"]),
        Paragraph(_t(f"The {q.title} form ({q.key}), as employers saw it."), s["body"]),
    ]

    def label_of(qid: str, value: Any) -> str:
        return q.question(qid).option_label(str(value))

    for section in q.sections:
        story.append(Paragraph(_t(section.heading), s["h2"]))
        for question in section.questions:
            block = [Paragraph(_t(question.label), s["cellbold"])]
            detail = question.answer_type.described()
            if question.when:
                detail += f". Asked only if {describe(question.when, label_of, lambda qid: q.question(qid).in_words)}"
            block.append(Paragraph(_t(detail), s["small"]))
            for option in question.options:
                block.append(Paragraph(_t(f"{option.label}"), s["small"], bulletText="–"))
            block.append(Spacer(1, 3))
            story.append(KeepTogether(block))
    story.append(Paragraph(_t("Declaration: " + q.declaration), s["body"]))
    return story


def _grid(data: list[list[Any]], widths: list[float], header_rows: int = 1, numeric_from: int = 1) -> Table:
    table = Table(data, colWidths=widths, repeatRows=header_rows, splitByRow=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
                ("FONT", (0, 0), (-1, header_rows - 1), "Helvetica-Bold", 8.5),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _signed(points: int | None) -> str:
    """A change as printed: +4, −3 (a minus sign, not a hyphen), 0, or – where there is none."""
    if points is None:
        return "–"
    return f"+{points}" if points > 0 else f"−{-points}" if points < 0 else "0"


def _cell(value: object) -> str:
    """A table cell: an en dash where there is no figure, never a blank that looks like a gap."""
    return "–" if value is None or value == "" else str(value)


def _table_block(
    table: NationalTable,
    s: dict[str, ParagraphStyle],
    lead: Story | None = None,
    more: list[str] | None = None,
    chart_png: ChartPng = charts.png_bytes,
) -> Story:
    """A table (and its chart), its base and notes (and ``more`` of them), after the ``lead``
    sentences written from it."""
    caption = Paragraph(_t(f"{table['number']}: {table['title']}"), s["caption"])
    small = table["base"] is not None and table["base"] < SMALL_BASE
    kind = kind_of(table)
    body: Story = kind.handle(table, _Layout(s, chart_png))
    counts_shown = " (counts shown: a base under 50)" if small and kind.choice else ""
    footer = [Paragraph(_t(base_text(table)) + counts_shown, s["small"])]
    footer += [Paragraph(_t(note), s["small"]) for note in table["notes"] + (more or [])]
    # A table, its chart and its notes stay on one page where they fit (KeepTogether splits them only
    # when they don't).
    return [KeepTogether([*(lead or []), caption, *body, *footer]), Spacer(1, 4 * mm)]


class _Layout:
    """Each kind of table as the report lays it out (a ``tables.TableHandler``)."""

    def __init__(self, s: dict[str, ParagraphStyle], chart_png: ChartPng) -> None:
        self.s = s
        self.chart_png = chart_png

    def responses(self, table: ResponsesTable) -> Story:
        return _responses_grid(table, self.s)

    def by_type(self, table: ByTypeTable) -> Story:
        return _by_type_grid(table, self.s)

    def single(self, table: SingleTable) -> Story:
        """A figure is drawn above its table, as a bar chart."""
        chart = [_chart(self.chart_png(table))] if table["number"].startswith("Figure") else []
        return chart + _choice_grid(table, self.s)

    def multi(self, table: MultiTable) -> Story:
        return _choice_grid(table, self.s)


def _chart(png: bytes) -> Image:
    image = Image(io.BytesIO(png))
    scale = WIDTH * 0.85 / image.imageWidth
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    image.hAlign = "LEFT"
    return image


def _responses_grid(table: ResponsesTable, s: dict[str, ParagraphStyle]) -> Story:
    data = [["", "Returns", "Per cent", "Population"]] + [
        [Paragraph(_t(r["group"]), s["cell"]), r["responses"], _cell(r["printed"]), _cell(r["population"] or "n/a")]
        for r in table["rows"]
    ]
    return [_grid(data, [70 * mm, 25 * mm, 25 * mm, 25 * mm])]


def _by_type_grid(table: ByTypeTable, s: dict[str, ParagraphStyle]) -> Story:
    """Each measure's figure and sample size for each type of organisation, and last year's for all."""
    previous = table.get("previous_year")
    measures = list(dict.fromkeys(r["measure"] for r in table["rows"]))
    groups = list(dict.fromkeys(r["group"] for r in table["rows"]))
    percent = any("percentages" in n for n in table["notes"])
    header1 = [""] + [x for m in measures for x in (Paragraph(_t(m), s["cellbold"]), "")]
    header2 = [""] + [x for _ in measures for x in ("Per cent" if percent else "Average", "Sample size")]
    lookup = {(r["measure"], r["group"]): r for r in table["rows"]}
    data = [header1, header2]
    for group in groups:
        data.append(
            [Paragraph(_t(group), s["cellbold" if group == "All" else "cell"])]
            + [x for m in measures for x in (_cell(lookup[(m, group)]["printed"]), lookup[(m, group)]["n"])]
        )
    col = (WIDTH - 50 * mm) / (2 * len(measures))
    grid = _grid(data, [50 * mm] + [col] * (2 * len(measures)), header_rows=2)
    grid.setStyle(
        TableStyle(
            [("SPAN", (1 + 2 * i, 0), (2 + 2 * i, 0)) for i in range(len(measures))]
            + [("BACKGROUND", (0, 1), (-1, 1), SHADE), ("FONT", (0, 1), (-1, 1), "Helvetica-Bold", 8.5)]
        )
    )
    body: Story = [grid]
    if previous:
        alls = [r for r in table["rows"] if r["group"] == "All" and r.get("previous") is not None]
        if alls:
            body.append(
                Paragraph(
                    _t(
                        f"{previous}, all respondents: "
                        + "; ".join(f"{r['measure']} {r['previous_printed']}" for r in alls)
                        + "."
                    ),
                    s["small"],
                )
            )
    return body


def _choice_grid(table: ChoiceTable, s: dict[str, ParagraphStyle]) -> Story:
    """A single or multiple choice question's answers: number, per cent, and last year's beside."""
    previous = table.get("previous_year")
    head = ["", "Number", "Per cent"] + ([f"{previous}, per cent", "Change, points"] if previous else [])
    data = [head]
    for r in table["rows"]:
        row = [
            Paragraph(_t(r["label"]), s["cell"]),
            SUPPRESSED if r.get("suppressed") else _cell(r["count"]),
            _cell(r["printed"]),
        ]
        if previous:
            row += [_cell(r.get("previous_printed")), _signed(printed_change(r))]
        data.append(row)
    widths = [84 * mm, 22 * mm, 22 * mm] + ([22 * mm, 24 * mm] if previous else [])
    return [_grid(data, widths)]
