"""Observations uploaded from the browser: kept aside, previewed, then imported in one go.

A pending upload is two files in the instance folder named by a random token
(never by the client's file name): the CSV as sent, and a JSON note of who sent
it for which pilot, its digest and the preview computed from it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
import time
import unicodedata
from collections import Counter
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
from flask import current_app
from sqlalchemy import select

from testbed.audit import record
from testbed.auth.models import User
from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.tables import read_observations, scan_observations
from testbed.pilots.models import Pilot
from testbed.pilots.services import InvalidField, actor_name
from testbed.store.models import ImportBatch
from testbed.store.services import BatchWriter

MAX_ERRORS = 50
PREVIEW_ROWS = 10
PENDING_HOURS = 24
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass
class Preview:
    """What an upload would import: counts per cell, its first rows, and its errors."""

    version: int  # the pilot version the file was checked against
    rows: int = 0
    cells: list[tuple[str, str, str, int]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    first_rows: list[tuple[int, list[str]]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0


@dataclass
class PendingUpload:
    token: str
    pilot_id: int
    user_id: int
    filename: str
    digest: str
    size: int
    uploaded_at: float
    preview: Preview | None = None

    @property
    def path(self) -> Path:
        return upload_folder() / f"{self.token}.csv"

    @property
    def note(self) -> Path:
        return upload_folder() / f"{self.token}.json"

    def save(self) -> None:
        self.note.write_text(json.dumps(asdict(self)), encoding="utf-8")


def upload_folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def client_filename(name: str | None) -> str:
    """The last part of the name the browser sent, for display only."""
    name = re.split(r"[\\/]", name or "")[-1]
    # Control and format characters (NUL, a right-to-left override) are no part of a name.
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:200] or "upload.csv"


def store_upload(pilot: Pilot, data: bytes, filename: str, *, by: User) -> PendingUpload:
    """Keep an uploaded file aside and check it; raises InvalidField for an unusable file."""
    text = decode_csv(data)
    digest = hashlib.sha256(data).hexdigest()
    refuse_duplicate(pilot, digest)
    _remove_stale()
    pending = PendingUpload(
        token=secrets.token_urlsafe(24),
        pilot_id=pilot.id,
        user_id=by.id,
        filename=client_filename(filename),
        digest=digest,
        size=len(data),
        uploaded_at=time.time(),
    )
    pending.path.write_bytes(data)
    pending.preview = build_preview(pilot, pending.filename, text, pending.path)
    pending.save()
    return pending


def decode_csv(data: bytes) -> str:
    """The file as text; raises InvalidField unless it is UTF-8 CSV with a header."""
    if not data.strip():
        raise InvalidField("file", "the file is empty: it needs a header row and observations")
    if b"\x00" in data[:65536]:
        raise InvalidField(
            "file",
            "this is not a CSV text file (a spreadsheet?): save it as 'CSV UTF-8' and upload that",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidField(
            "file",
            f"line {line} is not UTF-8 text: save the file as 'CSV UTF-8' and upload it again",
        ) from None
    first = text.splitlines()[0] if text else ""
    if "metric" not in first.lower() or "," not in first:
        raise InvalidField(
            "file",
            "the first line must be a header of comma-separated column names, "
            "such as metric,group,value",
        )
    return text


def refuse_duplicate(pilot: Pilot, digest: str) -> None:
    """The same file twice would count its rows twice: refuse it."""
    earlier = db.session.scalar(
        select(ImportBatch)
        .where(ImportBatch.pilot_id == pilot.id, ImportBatch.digest == digest)
        .order_by(ImportBatch.id)
    )
    if earlier is not None:
        raise InvalidField(
            "file",
            f"this exact file was imported already ({earlier.source}, "
            f"{earlier.created_at:%Y-%m-%d %H:%M} UTC, {earlier.rows} rows): "
            "importing it again would count its observations twice",
        )


def build_preview(pilot: Pilot, filename: str, text: str, path: Path | None = None) -> Preview:
    """Check every row without writing anything; keep up to MAX_ERRORS errors.

    With the file's ``path``, a file without errors is counted by the import's
    own fast reader; only a file with errors is scanned row by row, which
    reports every bad cell rather than the first.
    """
    metrics = {metric.key: metric for metric in pilot.metrics}
    iterations = {iteration.number for iteration in pilot.iterations}
    preview = Preview(version=pilot.version)
    cells = None if path is None else _count_cells(path, filename, metrics, iterations)
    if cells is None:
        cells = _scan(preview, filename, text, metrics, iterations)
    preview.rows = sum(cells.values())
    preview.cells = [(*key, count) for key, count in sorted(cells.items())]
    rows = _readable_rows(text, PREVIEW_ROWS + 1)
    preview.header = rows[0] if rows else []
    preview.first_rows = list(enumerate(rows[1:], start=2))
    return preview


def _count_cells(path: Path, filename: str, metrics, iterations) -> Counter | None:
    """Rows per (metric, group, period) as the import reads them; None at a bad cell."""
    cells: Counter = Counter()
    try:
        for chunk in read_observations(path, metrics, iterations, name=filename):
            (metric, m), (group, g), (period, p) = (
                chunk.distinct(name) for name in ("metric", "group", "period")
            )
            found, counts = np.unique(np.stack([m, g, p]), axis=1, return_counts=True)
            for (i, j, k), count in zip(found.T.tolist(), counts.tolist(), strict=True):
                cells[(metric[i].key, group[j], period[k])] += count
    except LoadError:
        return None
    return cells


def _scan(preview: Preview, filename: str, text: str, metrics, iterations) -> Counter:
    """Rows per (metric, group, period) of the good rows; every bad cell into ``preview``."""
    cells: Counter = Counter()
    for _line, values, errors in scan_observations(filename, _lines(text), metrics, iterations):
        if errors:
            preview.error_count += len(errors)
            room = MAX_ERRORS - len(preview.errors)
            preview.errors.extend(_error_entry(error) for error in errors[:room])
            continue
        cells[(values["metric"].key, values["group"], values["period"])] += 1
    return cells


def _readable_rows(text: str, count: int) -> list[list[str]]:
    """Up to ``count`` rows from the start, stopping before a line that is not CSV."""
    rows: list[list[str]] = []
    with suppress(csv.Error):  # the scan has reported that line with its number
        rows.extend(islice(csv.reader(_lines(text)), count))
    return rows


def _lines(text: str) -> io.StringIO:
    return io.StringIO(text, newline="")


def _error_entry(error) -> dict:
    return {
        "line": error.line,
        "column": error.column,
        "field": error.field,
        "message": error.message,
    }


def pending_upload(token: str, pilot: Pilot, user: User) -> PendingUpload | None:
    """The pending upload of that token, if this user made it for this pilot."""
    if not TOKEN_PATTERN.match(token):
        return None
    note = upload_folder() / f"{token}.json"
    if not note.is_file():
        return None
    fields = json.loads(note.read_text(encoding="utf-8"))
    fields["preview"] = Preview(**fields["preview"]) if fields.get("preview") else None
    pending = PendingUpload(**fields)
    if pending.pilot_id != pilot.id or pending.user_id != user.id or not pending.path.is_file():
        return None
    return pending


def refresh_preview(pending: PendingUpload, pilot: Pilot) -> Preview:
    """The preview, checked again if the pilot changed since (a metric added, say)."""
    if pending.preview is None or pending.preview.version != pilot.version:
        text = pending.path.read_bytes().decode("utf-8-sig")
        pending.preview = build_preview(pilot, pending.filename, text, pending.path)
        pending.save()
    return pending.preview


def import_upload(pending: PendingUpload, pilot: Pilot, *, by: User) -> ImportBatch:
    """Import every row of a checked upload as one batch (the caller commits)."""
    refuse_duplicate(pilot, pending.digest)
    metrics = {metric.key: metric for metric in pilot.metrics}
    iterations = {iteration.number for iteration in pilot.iterations}
    writer = BatchWriter(
        pilot,
        "upload",
        pending.filename,
        pending.digest,
        idempotency_key=pending.token,
        user_id=by.id,
    )
    writer.add_all(read_observations(pending.path, metrics, iterations, name=pending.filename))
    batch = writer.finish()
    if not batch.rows:
        raise InvalidField("file", "the file holds no observations: nothing to import")
    record(
        "imported",
        "observations",
        actor=actor_name(by),
        user_id=by.id,
        entity_id=batch.id,
        pilot_id=pilot.id,
        summary=f"{batch.rows} rows from {pending.filename} (uploaded)",
    )
    return batch


def discard(pending: PendingUpload) -> None:
    pending.path.unlink(missing_ok=True)
    pending.note.unlink(missing_ok=True)


def _remove_stale() -> None:
    """Forget uploads nobody confirmed within PENDING_HOURS."""
    cutoff = time.time() - PENDING_HOURS * 3600
    for path in upload_folder().iterdir():
        if path.suffix in (".csv", ".json") and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
