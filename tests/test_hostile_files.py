"""Files built to hurt: each is refused in one clear line, quickly and in little memory, or read
correctly if it is only in an unusual encoding (issue 18)."""

import io
import time
import tracemalloc
import zipfile
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

import forms
from aggregation import outputs
from aggregation.plan_export import plan_xlsx
from aggregation.tables import compute
from healthcheck.cli import orgs
from healthcheck.extensions import db
from healthcheck.models import Organisation
from healthcheck.store import Actor
from healthcheck.transfer import MAX_CELL, FileProblem, csv_bytes, import_organisations, read_upload
from tests.helpers import dataset, signed_in

REGISTER = [
    ["name", "authority_type", "ons_code", "region", "contact_email"],
    ["Café Vale Council", "Unitary Authority", "E06000991", "South West", "psw@cafe.example.org"],
]


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_sheet(content: bytes, rewrite) -> bytes:
    """The workbook with its first sheet's XML passed through ``rewrite``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part)
            target.writestr(part, rewrite(data) if part.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


def bomb(rows: int, cells: int = 50) -> bytes:
    """A workbook a couple of MB long that unzips to hundreds: ``rows`` rows of ``cells`` numbers."""
    row = "".join(f'<c r="{chr(65 + i % 26)}{{n}}"><v>1</v></c>' for i in range(cells))
    out = io.BytesIO()
    template = xlsx([["x"]])
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for part in source.infolist():
            if part.filename != "xl/worksheets/sheet1.xml":
                target.writestr(part, source.read(part))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            chunk = "".join(f'<row r="{{n}}">{row}</row>' for _ in range(1000))
            for block in range(rows // 1000):
                sheet.write(chunk.replace("{n}", str(block)).encode())
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def refused_quickly(name: str, content: bytes) -> tuple[str, float, float]:
    """The one-line reason, the seconds taken and the peak memory (MB) of refusing ``content``."""
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(FileProblem) as refused:
        read_upload(name, content)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert "\n" not in str(refused.value)
    return str(refused.value), seconds, peak


def test_a_sheet_claiming_a_million_rows_and_16384_columns_is_read_as_the_rows_it_has():
    """1.5 KB claiming A1:XFD1048576 held a CPU for minutes."""
    claimed = with_sheet(
        xlsx(REGISTER), lambda xml: xml.replace(b'<dimension ref="A1:E2" />', b'<dimension ref="A1:XFD1048576" />')
    )
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(claimed)).read("xl/worksheets/sheet1.xml")
    started = time.perf_counter()
    rows = read_upload("register.xlsx", claimed)
    assert time.perf_counter() - started < 2 and rows[0]["name"] == "Café Vale Council" and len(rows) == 1


def test_an_xlsx_that_unzips_to_hundreds_of_megabytes_is_refused_in_under_2_seconds_and_200_mb():
    content = bomb(rows=200_000)
    assert len(content) < 10 * 2**20
    reason, seconds, peak = refused_quickly("returns.xlsx", content)
    assert "unzips to more than 200 MB" in reason and seconds < 2 and peak < 200, (seconds, peak)


def test_too_many_rows_is_refused_in_one_line():
    content = ("name\n" + "x\n" * 200_001).encode()
    started = time.perf_counter()
    with pytest.raises(FileProblem, match="more than 200,000 rows"):
        read_upload("big.csv", content)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("garbage.xlsx", b"\x00\x01 not a zip at all" * 50, "is not a readable .xlsx file"),
        ("truncated.xlsx", xlsx(REGISTER)[:900], "is not a readable .xlsx file"),
        ("huge-cell.csv", b"name\n" + b"x" * (129 * 1024) + b"\n", "row 2"),
        ("long-cell.csv", b"name\n" + b"x" * (MAX_CELL + 1) + b"\n", f"longer than {MAX_CELL:,} characters"),
        ("nul.csv", b"name\nx\x00y\n", "NUL characters"),
        ("quotes.csv", b'name\n"unclosed\n', ""),
    ],
    ids=lambda value: value if isinstance(value, str) and value.endswith((".csv", ".xlsx")) else "",
)
def test_damaged_files_get_one_clear_line(name, content, expected):
    try:
        rows = read_upload(name, content)
    except FileProblem as problem:
        assert expected in str(problem) and name in str(problem) and "\n" not in str(problem)
    else:
        assert expected == "" and rows  # an unclosed quote runs to the end: read, not a traceback


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_csv_in_the_encodings_spreadsheets_save_is_read(encoding):
    content = "\n".join(",".join(row) for row in REGISTER).encode(encoding)
    assert read_upload("register.csv", content)[0]["name"] == "Café Vale Council"


def test_the_command_line_says_what_is_wrong_with_a_file_in_one_line(app, tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"PK\x03\x04 truncated")
    result = CliRunner().invoke(orgs, ["import", str(path)])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("Error: register.xlsx is not a readable .xlsx file")


# ---------------------------------------------------------------- formulas and control characters

FORMULA = '=HYPERLINK("http://evil.example.org","Click")'


def test_no_file_the_product_writes_holds_a_live_formula(tmp_path):
    """Issue 18: a coding category typed as a formula became a live formula in tables.xlsx and raw in
    its CSV; an organisation named "=..." made cell A1 of the plan's XLSX a formula."""

    categories = {"profession_opportunities": [("evil", FORMULA)]}
    outputs.write(2017, compute(dataset(categories=categories)), tmp_path)
    for path in tmp_path.glob("*.csv"):
        assert not any(
            line.startswith(("=", '"=')) or ",=" in line or ',"=' in line
            for line in path.read_text(encoding="utf-8").splitlines()
        ), path.name
    cells = [c for sheet in load_workbook(tmp_path / "tables.xlsx") for row in sheet.iter_rows() for c in row]
    assert any(c.value == FORMULA for c in cells) and not any(c.data_type == "f" for c in cells)
    q = forms.load("health-check", "2017.1")
    action = {
        "section_id": q.sections[1].id,
        "description": FORMULA,
        "lead": "+44 lead",
        "starts_on": None,
        "due_on": date(2027, 1, 1),
        "outcome": "",
        "evidence": "",
        "status": "Red",
        "updates": [],
        "finding": "@SUM(A1)",
    }
    book = load_workbook(io.BytesIO(plan_xlsx(FORMULA, 2017, q.sections, [action])))
    plan = [c for row in book["Action plan"].iter_rows() for c in row]
    assert plan[0].value.startswith(FORMULA) and not any(c.data_type == "f" for c in plan)


def test_an_export_with_formula_like_names_imports_back_unchanged(app, tmp_path):

    content = csv_bytes(REGISTER[0], [["=Fenwick Council", "Unitary Authority", "", "", ""]])
    assert content.splitlines()[1].startswith(b"'=Fenwick")  # written quoted, so not run as a formula
    errors, added, _ = import_organisations(read_upload("orgs.csv", content), Actor("Test"))
    db.session.commit()
    assert errors == [] and added == 1 and db.session.query(Organisation).one().name == "=Fenwick Council"


def test_line_breaks_in_a_single_line_field_are_refused(app, accounts):

    coordinator = signed_in(app, "coordinator")
    response = coordinator.post_form(
        "/admin/organisations/new",
        {"name": "Fenwick Council\r\nBcc: everyone@example.org", "authority_type": "Unitary Authority"},
    )
    assert response.status_code == 400 and "Enter this on one line" in response.get_data(as_text=True)
    rows = read_upload("orgs.csv", b'name,authority_type\n"Fenwick\rCouncil",Unitary Authority\n')
    errors, added, _ = import_organisations(rows, Actor("Test"))
    assert added == 0 and [str(e) for e in errors] == [
        "row 2, column name: must be on one line, without line breaks or tabs"
    ]


def test_rows_reaching_far_beyond_the_columns_read_are_refused_at_the_first():
    """From a review: 200,000 rows each with one cell in column XFD took 11.7 s to read."""
    wide = with_sheet(
        xlsx(REGISTER),
        lambda xml: xml.replace(
            b"</sheetData>",
            b"".join(
                b'<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n) for n in range(3, 20003)
            )
            + b"</sheetData>",
        ),
    )
    started = time.perf_counter()
    with pytest.raises(FileProblem, match="row 3: a cell beyond column 500"):
        read_upload("wide.xlsx", wide)
    assert time.perf_counter() - started < 2
