"""Observations uploaded from the browser: kept aside, previewed, then imported in one go.

A file holds observations or per-group summaries (n, mean, sd), told apart by
its header; both are checked by the readers a pilot folder's files go through.
A pending upload is two files in the instance folder named by a random token
(never by the client's file name): the CSV as sent, and a JSON note of who sent
it for which pilot, its digest and the preview computed from it. Each person
may keep only a few uploads waiting, and a file is refused before it is stored
when its shape is far from the format's (see ``testbed.files.limits``).
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
from flask_babel import gettext, ngettext
from sqlalchemy import select

from testbed.audit import record
from testbed.auth.models import User
from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.limits import MAX_COLUMNS, check_shape
from testbed.files.tables import (
    read_observations,
    read_summaries,
    scan_observations,
    scan_summaries,
)
from testbed.i18n import figure, language, moment
from testbed.notify import watching_outcomes
from testbed.pilots.models import Pilot
from testbed.pilots.services import InvalidField, actor_name
from testbed.store.models import ImportBatch
from testbed.store.services import BatchWriter

MAX_ERRORS = 50
PREVIEW_ROWS = 10
PREVIEW_CELL = 80  # characters of a cell the preview shows
MAX_MESSAGE = 300  # characters of a problem's message the preview keeps
PENDING_HOURS = 24
# What one person may keep waiting: a few files, and no more bytes in all than one
# body of the largest size the server accepts (MAX_CONTENT_LENGTH).
MAX_PENDING = 5
MAX_PENDING_BYTES = 64 * 1024 * 1024
OBSERVATIONS, SUMMARIES = "observations", "summaries"
SUMMARY_MARKS = frozenset({"n", "mean", "sd"})
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass
class Preview:
    """What an upload would import: counts per cell, its first rows, and its errors."""

    version: int  # the pilot version the file was checked against
    language: str = "en"  # the language its errors are written in
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
    kind: str = OBSERVATIONS  # or SUMMARIES

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
    """Keep an uploaded file aside and check it; raises InvalidField for an unusable file.

    Nothing is stored for a file refused here.
    """
    text = decode_csv(data)
    name = client_filename(filename)
    try:
        check_shape(data, name)
    except LoadError as error:
        message = gettext("%(problem)s: nothing was stored", problem=error.message)
        raise InvalidField("file", message) from None
    digest = hashlib.sha256(data).hexdigest()
    refuse_duplicate(pilot, digest)
    _remove_stale()
    refuse_over_limit(by, len(data))
    pending = PendingUpload(
        token=secrets.token_urlsafe(24),
        pilot_id=pilot.id,
        user_id=by.id,
        filename=name,
        digest=digest,
        size=len(data),
        uploaded_at=time.time(),
        kind=kind_of(text),
    )
    pending.path.write_bytes(data)
    pending.preview = build_preview(pilot, name, text, pending.path, pending.kind)
    pending.save()
    return pending


def kind_of(text: str) -> str:
    """SUMMARIES for a header of the summaries format (n, mean, sd, no value), else OBSERVATIONS."""
    header = next(iter(_readable_rows(text, 1)), [])
    names = {name.strip().lower() for name in header}
    return SUMMARIES if SUMMARY_MARKS & names and "value" not in names else OBSERVATIONS


def refuse_over_limit(user: User, size: int) -> None:
    """Refuse a new upload while the person keeps MAX_PENDING uploads, or too many bytes."""
    waiting = pending_uploads_of(user)
    held = sum(pending.size for pending in waiting)
    if waiting and (len(waiting) >= MAX_PENDING or held + size > MAX_PENDING_BYTES):
        names = ", ".join(pending.filename for pending in waiting)
        message = ngettext(
            "you have %(num)d upload waiting (%(size)s: %(names)s); at most %(most)s uploads "
            "of %(room)s in all may wait per person. Import or discard one of them first (they "
            "are listed on the upload page); nothing was stored",
            "you have %(num)d uploads waiting (%(size)s: %(names)s); at most %(most)s uploads "
            "of %(room)s in all may wait per person. Import or discard one of them first (they "
            "are listed on the upload page); nothing was stored",
            len(waiting),
            size=_size(held),
            names=names,
            most=MAX_PENDING,
            room=_size(MAX_PENDING_BYTES),
        )
        raise InvalidField("file", message)


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return gettext("%(size)s KB", size=-(-size // 1024))
    return gettext("%(size)s MB", size=figure(f"{size / 1024 / 1024:.1f}"))


def decode_csv(data: bytes) -> str:
    """The file as text; raises InvalidField unless it is UTF-8 CSV with a header."""
    if not data.strip():
        message = gettext("the file is empty: it needs a header row and observations")
        raise InvalidField("file", message)
    if b"\x00" in data[:65536]:
        raise InvalidField(
            "file",
            gettext(
                "this is not a CSV text file (a spreadsheet?): save it as 'CSV UTF-8' and "
                "upload that"
            ),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidField(
            "file",
            gettext(
                "line %(line)s is not UTF-8 text: save the file as 'CSV UTF-8' and upload it again",
                line=line,
            ),
        ) from None
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    if "metric" not in first.lower() or "," not in first:
        raise InvalidField(
            "file",
            gettext(
                "the first line must be a header of comma-separated column names, such as "
                "metric,group,value"
            ),
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
            gettext(
                "this exact file was imported already (%(source)s, %(moment)s UTC, %(rows)s "
                "rows): importing it again would count its observations twice",
                source=earlier.source,
                moment=moment(earlier.created_at),
                rows=earlier.rows,
            ),
        )


def build_preview(
    pilot: Pilot, filename: str, text: str, path: Path | None = None, kind: str = OBSERVATIONS
) -> Preview:
    """Check every row without writing anything; keep up to MAX_ERRORS errors.

    With the file's ``path``, a file of observations without errors is counted
    by the import's own fast reader; only a file with errors is scanned row by
    row, which reports every bad cell rather than the first. For summaries a
    cell counts the observations they summarise (their n). The preview keeps
    at most PREVIEW_ROWS rows of at most MAX_COLUMNS cells, each cut to
    PREVIEW_CELL characters.
    """
    metrics = {metric.key: metric for metric in pilot.metrics}
    iterations = {iteration.number for iteration in pilot.iterations}
    preview = Preview(version=pilot.version, language=language())
    if kind == SUMMARIES:
        cells = _scan_summaries(preview, filename, text, metrics)
    else:
        cells = None if path is None else _count_cells(path, filename, metrics, iterations)
        if cells is None:
            cells = _scan(preview, filename, text, metrics, iterations)
        preview.rows = sum(cells.values())
    preview.cells = [(*key, count) for key, count in sorted(cells.items())]
    rows = [
        [_clip(cell, PREVIEW_CELL) for cell in row[:MAX_COLUMNS]]
        for row in _readable_rows(text, PREVIEW_ROWS + 1)
    ]
    preview.header = rows[0] if rows else []
    preview.first_rows = list(enumerate(rows[1:], start=2))
    return preview


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


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
            _keep_errors(preview, errors)
            continue
        cells[(values["metric"].key, values["group"], values["period"])] += 1
    return cells


def _scan_summaries(preview: Preview, filename: str, text: str, metrics) -> Counter:
    """Observations summarised per (metric, group, period); bad rows' errors into ``preview``."""
    cells: Counter = Counter()
    for _line, row, errors in scan_summaries(filename, _lines(text), metrics):
        if errors:
            _keep_errors(preview, errors)
            continue
        metric, group, period, n, _mean, _sd = row
        cells[(metric.key, group, period)] += n
        preview.rows += 1
    return cells


def _keep_errors(preview: Preview, errors: list[LoadError]) -> None:
    preview.error_count += len(errors)
    room = MAX_ERRORS - len(preview.errors)
    preview.errors.extend(_error_entry(error) for error in errors[:room])


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
        "field": error.field and _clip(error.field, PREVIEW_CELL),
        "message": _clip(error.message, MAX_MESSAGE),
    }


def pending_upload(token: str, pilot: Pilot, user: User) -> PendingUpload | None:
    """The pending upload of that token, if this user made it for this pilot."""
    if not TOKEN_PATTERN.match(token):
        return None
    note = upload_folder() / f"{token}.json"
    if not note.is_file():
        return None
    pending = _read_note(note)
    if pending.pilot_id != pilot.id or pending.user_id != user.id or not pending.path.is_file():
        return None
    return pending


def pending_uploads_of(user: User) -> list[PendingUpload]:
    """This person's uploads waiting to be imported or discarded, oldest first."""
    waiting = []
    for note in upload_folder().glob("*.json"):
        if not TOKEN_PATTERN.match(note.stem):
            continue
        with suppress(OSError, ValueError, TypeError):  # gone meanwhile, or not a note of ours
            pending = _read_note(note)
            if pending.user_id == user.id and pending.path.is_file():
                waiting.append(pending)
    return sorted(waiting, key=lambda pending: pending.uploaded_at)


def waiting_uploads(user: User) -> list[tuple[PendingUpload, Pilot]]:
    """This person's waiting uploads with the pilot each is for, for the upload page."""
    waiting = pending_uploads_of(user)
    ids = {pending.pilot_id for pending in waiting}
    pilots = {p.id: p for p in db.session.scalars(select(Pilot).where(Pilot.id.in_(ids)))}
    return [
        (pending, pilots[pending.pilot_id]) for pending in waiting if pending.pilot_id in pilots
    ]


def _read_note(note: Path) -> PendingUpload:
    fields = json.loads(note.read_text(encoding="utf-8"))
    fields["preview"] = Preview(**fields["preview"]) if fields.get("preview") else None
    return PendingUpload(**fields)


def refresh_preview(pending: PendingUpload, pilot: Pilot) -> Preview:
    """The preview, checked again if the pilot changed since (a metric added, say), or if its
    errors are in another language than the page's."""
    preview = pending.preview
    if preview is None or (preview.version, preview.language) != (pilot.version, language()):
        text = pending.path.read_bytes().decode("utf-8-sig")
        pending.preview = build_preview(pilot, pending.filename, text, pending.path, pending.kind)
        pending.save()
    return pending.preview


def import_upload(pending: PendingUpload, pilot: Pilot, *, by: User) -> ImportBatch:
    """Import every row of a checked upload as one batch (the caller commits)."""
    refuse_duplicate(pilot, pending.digest)
    metrics = {metric.key: metric for metric in pilot.metrics}
    iterations = {iteration.number for iteration in pilot.iterations}
    with watching_outcomes(pilot, actor=by):
        writer = BatchWriter(
            pilot,
            "upload",
            pending.filename,
            pending.digest,
            idempotency_key=pending.token,
            user_id=by.id,
        )
        if pending.kind == SUMMARIES:
            for row in read_summaries(pending.path, metrics, name=pending.filename):
                writer.add_summary(*row)
        else:
            writer.add_all(
                read_observations(pending.path, metrics, iterations, name=pending.filename)
            )
        batch = writer.finish()
        if not batch.rows:
            if pending.kind == SUMMARIES:
                message = gettext("the file holds no summaries: nothing to import")
            else:
                message = gettext("the file holds no observations: nothing to import")
            raise InvalidField("file", message)
    rows = "summary rows" if pending.kind == SUMMARIES else "rows"
    record(
        "imported",
        "observations",
        actor=actor_name(by),
        user_id=by.id,
        entity_id=batch.id,
        pilot_id=pilot.id,
        summary=f"{batch.rows} {rows} from {pending.filename} (uploaded)",
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
