"""Uploads on their own: checking the file, every error with its place, and the pending store."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from testbed.extensions import db
from testbed.files.tables import scan_observations
from testbed.pilots.services import InvalidField
from testbed.store import upload
from testbed.store.models import ImportBatch, Observation
from tests.pilots.conftest import OBSERVATIONS

BAD = (
    "metric,group,value,date\n"
    "fta,pilot,1,2025-03-02\n"
    "fta,control,2,2025-03-02\n"
    "speed,baseline,abc,2025-13-01\n"
    "fta,pilot\n"
    "wait,pilot,12,\n"
)


def rows(count: int) -> int:
    return db.session.scalar(select(func.count()).select_from(count))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"PK\x03\x04\x00\x00binary", "not a CSV text file"),
        (b"metric,group,value\nfta,pilot,1\ncaf\xe9,pilot,1\n", "line 3 is not UTF-8"),
        (b"fta;pilot;1\n", "header of comma-separated column names"),
        (b"\nmetric,group,value\n", "header of comma-separated column names"),
    ],
)
def test_only_utf8_csv_with_a_header_is_accepted(data, message):
    with pytest.raises(InvalidField) as caught:
        upload.decode_csv(data)
    assert caught.value.field == "file"
    assert message in caught.value.message


def test_a_byte_order_mark_is_fine():
    assert upload.decode_csv("\ufeffmetric,group,value\n".encode()).startswith("metric")


def test_the_scan_reports_every_bad_cell_with_line_column_and_field(app, fresh_pilot):
    metrics = {m.key: m for m in fresh_pilot.metrics}
    found = [
        (line, error.column, error.field, error.message)
        for line, _, errors in scan_observations("bad.csv", BAD.splitlines(True), metrics, set())
        for error in errors
    ]
    assert found == [
        (3, 2, "group", "'control' is not one of baseline, pilot"),
        (3, 3, "value", "metric 'fta' is a proportion: value must be 0 or 1, got 2"),
        (4, 1, "metric", "unknown metric 'speed' (known: fta, wait)"),
        (4, 3, "value", "'abc' is not a number"),
        (4, 4, "date", "'2025-13-01' is not a date such as 2025-01-31"),
        (5, None, None, "expected 4 fields, found 2"),
    ]


def test_a_bad_header_reports_all_its_problems_and_stops(app, fresh_pilot):
    text = "metric,colour,value,value\nfta,red,1,1\n"
    metrics = {m.key: m for m in fresh_pilot.metrics}
    ((line, values, errors),) = scan_observations("x.csv", text.splitlines(True), metrics)
    assert (line, values) == (1, None)
    assert [(e.column, e.field) for e in errors] == [(2, "colour"), (4, "value"), (None, "group")]


def test_the_preview_counts_cells_shows_the_first_rows_and_keeps_every_error(app, fresh_pilot):
    preview = upload.build_preview(fresh_pilot, "bad.csv", BAD)
    assert preview.rows == 2
    assert preview.cells == [("fta", "pilot", "post", 1), ("wait", "pilot", "post", 1)]
    assert preview.header == ["metric", "group", "value", "date"]
    assert [number for number, _ in preview.first_rows] == [2, 3, 4, 5, 6]
    assert preview.error_count == len(preview.errors) == 6
    assert preview.errors[0] == {
        "line": 3,
        "column": 2,
        "field": "group",
        "message": "'control' is not one of baseline, pilot",
    }


def test_the_preview_keeps_at_most_max_errors(app, fresh_pilot):
    text = "metric,group,value\n" + "fta,control,1\n" * (upload.MAX_ERRORS + 20)
    preview = upload.build_preview(fresh_pilot, "many.csv", text)
    assert len(preview.errors) == upload.MAX_ERRORS
    assert preview.error_count == upload.MAX_ERRORS + 20
    assert len(preview.first_rows) == upload.PREVIEW_ROWS


def good_row(n: int) -> str:
    metric, value = ("fta", n % 4 // 2) if n % 2 == 0 else ("wait", 3 + n % 7)
    group = " pilot" if n % 3 else "baseline"  # a padded cell, as spreadsheets write some
    period = ("pre", "post", "")[n % 5 % 3]
    return f"{metric},{group},{value},{period},2025-03-{1 + n % 28:02d}\n"


GOOD = "metric,group,value,period,date\n" + "".join(map(good_row, range(500)))


@pytest.mark.parametrize(
    "text",
    [GOOD, GOOD + 'wait,"pilot",4,post,2025-03-02\n', BAD, GOOD + "fta,pilot,7,post,\n"],
    ids=["plain", "quoted late", "bad", "bad late"],
)
def test_the_preview_from_the_file_is_the_one_from_a_scan_of_every_row(
    app, fresh_pilot, tmp_path, monkeypatch, text
):
    path = tmp_path / "upload.csv"
    path.write_bytes(text.encode())
    scanned = upload.build_preview(fresh_pilot, "upload.csv", text)
    scans = []
    monkeypatch.setattr(
        upload, "scan_observations", lambda *args: scans.append(args) or scan_observations(*args)
    )
    assert upload.build_preview(fresh_pilot, "upload.csv", text, path) == scanned
    # Only a file with errors is scanned row by row.
    assert len(scans) == (1 if scanned.error_count else 0)
    assert scanned.rows + scanned.error_count > 0


def test_a_pending_upload_is_stored_under_a_random_token_never_the_client_name(
    app, fresh_pilot, innovator, instance_folder
):
    with app.test_request_context():
        pending = upload.store_upload(
            fresh_pilot, OBSERVATIONS.encode(), "../../etc/passwd.csv", by=innovator
        )
        assert pending.filename == "passwd.csv"
        assert upload.TOKEN_PATTERN.match(pending.token)
        assert sorted(p.name for p in (instance_folder / "uploads").iterdir()) == [
            f"{pending.token}.csv",
            f"{pending.token}.json",
        ]
        assert pending.digest == hashlib.sha256(OBSERVATIONS.encode()).hexdigest()
        assert rows(ImportBatch) == 0


def test_a_pending_upload_belongs_to_its_user_and_pilot(
    app, loaded_pilot, fresh_pilot, innovator, login
):
    other = login("admin")
    with app.test_request_context():
        pending = upload.store_upload(fresh_pilot, OBSERVATIONS.encode(), "o.csv", by=innovator)
        found = upload.pending_upload(pending.token, fresh_pilot, innovator)
        assert found.digest == pending.digest and found.preview.rows == 6
        assert upload.pending_upload(pending.token, fresh_pilot, other) is None
        assert upload.pending_upload(pending.token, loaded_pilot, innovator) is None
        assert upload.pending_upload("../" + pending.token[3:], fresh_pilot, innovator) is None
        upload.discard(pending)
        assert upload.pending_upload(pending.token, fresh_pilot, innovator) is None


def test_an_import_writes_one_batch_and_locks_its_hypotheses(app, fresh_pilot, innovator):
    with app.test_request_context():
        pending = upload.store_upload(fresh_pilot, OBSERVATIONS.encode(), "o.csv", by=innovator)
        batch = upload.import_upload(pending, fresh_pilot, by=innovator)
        db.session.commit()
    assert (batch.origin, batch.user_id, batch.rows, batch.source) == (
        "upload",
        innovator.id,
        6,
        "o.csv",
    )
    assert rows(Observation) == 6


def test_the_same_file_is_refused_a_second_time(app, fresh_pilot, innovator):
    with app.test_request_context():
        pending = upload.store_upload(fresh_pilot, OBSERVATIONS.encode(), "o.csv", by=innovator)
        upload.import_upload(pending, fresh_pilot, by=innovator)
        db.session.commit()
        with pytest.raises(InvalidField) as caught:
            upload.store_upload(fresh_pilot, OBSERVATIONS.encode(), "copy.csv", by=innovator)
        assert "imported already (o.csv" in caught.value.message
        with pytest.raises(InvalidField):
            upload.import_upload(pending, fresh_pilot, by=innovator)
        db.session.rollback()
    assert rows(Observation) == 6


def test_the_preview_is_checked_again_when_the_pilot_changed(app, fresh_pilot, innovator):
    text = "metric,group,value\nnps,pilot,9\n"
    with app.test_request_context():
        pending = upload.store_upload(fresh_pilot, text.encode(), "nps.csv", by=innovator)
        assert pending.preview.error_count == 1
        fresh_pilot.metrics.append(
            type(fresh_pilot.metrics[0])(
                key="nps", name="NPS", kind="mean", direction="increase", scale_min=0, scale_max=10
            )
        )
        fresh_pilot.touch()
        db.session.commit()
        preview = upload.refresh_preview(pending, fresh_pilot)
        assert (preview.error_count, preview.rows, preview.version) == (0, 1, fresh_pilot.version)
