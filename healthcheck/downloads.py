"""Files sent to the browser: made on the spot, or stored in an edition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, make_response, send_file

from .models import Edition, EditionFile

# Bare types: Werkzeug adds "; charset=utf-8" to the text ones itself (once).
MIMETYPES = {
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
}


def download(body: bytes | str, filename: str) -> Any:
    """``body`` as a file to save, its type from the file name's extension."""
    out = make_response(body)
    out.mimetype = MIMETYPES[Path(filename).suffix]
    out.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return out


def editions_folder() -> Path:
    return Path(current_app.config["EDITIONS_FOLDER"])


def edition_path(edition: Edition, file: EditionFile) -> Path:
    return editions_folder() / edition.folder / file.path


def send_edition_file(edition: Edition, file: EditionFile, *, inline: bool = False) -> Any:
    """A stored file of an edition, as it was published."""
    path = edition_path(edition, file)
    return send_file(
        path,
        mimetype=MIMETYPES.get(path.suffix, "application/octet-stream"),
        as_attachment=not inline,
        download_name=path.name,
        max_age=0,
    )
