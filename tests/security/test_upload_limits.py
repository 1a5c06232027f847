"""Uploads and API pushes that would keep a worker busy: refused at once, by what they are.

A header of a million columns or a cell of twenty megabytes is refused before
anything is stored or previewed, with the line and column at fault, in a page
or answer of a few kilobytes; the preview of a file that is read keeps a
bounded number of short cells and messages; and each person may keep only a
few uploads waiting.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from testbed.api.auth import create_token
from testbed.auth.models import User
from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.store import upload as uploads
from testbed.store.models import ImportBatch
from tests.security.world import signed_in

WIDE_HEADER = b",".join([b"metric", b"group", b"value", *[b"c%d" % i for i in range(1_000_000)]])
WIDE = WIDE_HEADER + b"\nwait,pilot,9\n"
TWENTY_MB = 20 * 1024 * 1024
LONG_CELL = b"metric,group,value\nwait,pilot," + b"9" * TWENTY_MB + b"\n"
WIDE_MESSAGE = "line 1 has 1,000,003 columns; a file of this format has at most 32"
LONG_MESSAGE = "line 2, column 3: a cell of 20,971,520 bytes; a cell holds at most 4,096"
# A page or a JSON answer naming the problem: far below the megabytes of the old preview.
SMALL_PAGE = 100_000


@pytest.fixture
def instance(app, tmp_path) -> Path:
    app.instance_path = str(tmp_path / "instance")
    return tmp_path / "instance"


@pytest.fixture
def innovator(client, login, loaded_pilot, instance):
    login("innovation")
    return client


def upload(client, pilot, data: bytes, name: str = "observations.csv"):
    # The form encoded here: the test client would spool a large one to a temporary file
    # it never closes.
    boundary = "testbed-upload-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="version"\r\n\r\n'
            f"{pilot.version}\r\n--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"/pilots/{pilot.slug}/observations/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def stored_files(instance: Path) -> list[Path]:
    folder = instance / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def batches() -> int:
    return db.session.scalar(select(func.count()).select_from(ImportBatch))


@pytest.mark.parametrize(
    ("data", "message"), [(WIDE, WIDE_MESSAGE), (LONG_CELL, LONG_MESSAGE)], ids=["wide", "long"]
)
def test_a_body_far_from_the_format_is_refused_on_the_form_and_nothing_stored(
    innovator, loaded_pilot, instance, data, message
):
    before = batches()
    response = upload(innovator, loaded_pilot, data)

    assert response.status_code == 422
    assert b"has-error" in response.data
    # The form puts a capital at the start of the message.
    assert f"{message}: nothing was stored".capitalize() in response.text
    assert len(response.data) < SMALL_PAGE
    assert stored_files(instance) == []
    assert batches() == before


@pytest.fixture
def token(app, loaded_pilot) -> str:
    user = User(email="pusher@example.org", role="innovation", name="Pusher", password_hash="!")
    db.session.add(user)
    _, secret = create_token(user, "nightly")
    db.session.commit()
    return secret


@pytest.mark.parametrize("kind", ["observations", "summaries"])
@pytest.mark.parametrize(
    ("data", "message", "line", "column"),
    [(WIDE, WIDE_MESSAGE, 1, 33), (LONG_CELL, LONG_MESSAGE, 2, 3)],
    ids=["wide", "long"],
)
def test_an_api_push_far_from_the_format_is_refused_naming_line_and_column(
    client, token, loaded_pilot, kind, data, message, line, column
):
    before = batches()
    response = client.post(
        f"/api/v1/pilots/{loaded_pilot.slug}/{kind}",
        headers={"Authorization": f"Bearer {token}"},
        data=data,
        content_type="text/csv",
    )

    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == f"nothing was stored: {message}"
    assert body["errors"] == [{"message": message, "line": line, "column": column}]
    assert len(response.data) < SMALL_PAGE
    assert batches() == before


def test_the_preview_shows_a_bounded_part_of_a_file_it_reads(innovator, loaded_pilot, instance):
    # 30 columns of 4,000 characters pass the shape check; each is an unknown column, and its
    # name would come back in the header row and in its message.
    names = [f"{i:02d}" + "x" * 3998 for i in range(27)]
    header = ",".join(["metric", "group", "value", *names])
    response = upload(innovator, loaded_pilot, (header + "\nwait,pilot,9\n").encode())
    assert response.status_code == 302

    preview = innovator.get(response.headers["Location"])
    assert preview.status_code == 200
    assert "27 problems found" in preview.text
    assert "unknown column &#39;00xxx" in preview.text
    assert "x" * uploads.MAX_MESSAGE not in preview.text
    assert len(preview.data) < SMALL_PAGE


def waiting_file(number: int) -> bytes:
    return f"metric,group,value\nwait,pilot,{number}\n".encode()


def test_a_person_keeps_only_a_few_uploads_waiting(app, innovator, loaded_pilot, instance):
    for number in range(uploads.MAX_PENDING):
        assert upload(innovator, loaded_pilot, waiting_file(number)).status_code == 302
    kept = stored_files(instance)
    assert len(kept) == 2 * uploads.MAX_PENDING  # each: the file and its note

    refused = upload(innovator, loaded_pilot, waiting_file(99))
    assert refused.status_code == 422 and b"has-error" in refused.data
    assert f"You have {uploads.MAX_PENDING} uploads waiting" in refused.text
    assert "Import or discard one of them first" in refused.text
    assert stored_files(instance) == kept

    # The upload page lists them, each a link to its preview, where it can be discarded.
    page = innovator.get(f"/pilots/{loaded_pilot.slug}/observations/upload")
    first = sorted(kept)[0].stem
    assert f"/observations/upload/{first}" in page.text
    innovator.post(f"/pilots/{loaded_pilot.slug}/observations/upload/{first}/discard")
    assert upload(innovator, loaded_pilot, waiting_file(99)).status_code == 302

    # The limit is each person's own.
    create_user("ada@example.org", "admin", "a long password", name="Ada")
    db.session.commit()
    other = signed_in(app, db.session.scalar(select(User).where(User.role == "admin")))
    assert upload(other, loaded_pilot, waiting_file(100)).status_code == 302


def test_the_bytes_a_person_keeps_waiting_are_limited_too(
    innovator, loaded_pilot, instance, monkeypatch
):
    monkeypatch.setattr(uploads, "MAX_PENDING_BYTES", 4096)
    big = b"metric,group,value\n" + b"wait,pilot,9.5\n" * 200  # 3,019 bytes
    assert upload(innovator, loaded_pilot, big).status_code == 302
    kept = stored_files(instance)

    refused = upload(innovator, loaded_pilot, big.replace(b"9.5", b"8.5"))
    assert refused.status_code == 422
    assert "You have 1 upload waiting (3 KB: observations.csv)" in refused.text
    assert "at most 5 uploads of 4 KB in all may wait per person" in refused.text
    assert stored_files(instance) == kept
