"""Where benchmark scripts write their figures: one marked section each in docs/performance.md."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def today() -> date:
    """The day in England, which a section's figures are dated by."""
    return datetime.now(ZoneInfo("Europe/London")).date()


def write_section(name: str, lines: list[str], doc: Path = DOC) -> None:
    """Replace the section between <!-- NAME:start --> and <!-- NAME:end --> of ``doc``, or append it."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = "\n".join([start, *lines, end])
    text = doc.read_text() if doc.exists() else "# Performance\n\nFigures written by the scripts in `bench/`.\n"
    if start in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text)
    print(f"wrote {doc}")
