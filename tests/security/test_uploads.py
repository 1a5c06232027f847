"""Uploads from the browser: size limit, content checks, and file names that are never paths."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from testbed.extensions import db
from testbed.store.models import ImportBatch
from testbed.store.upload import TOKEN_PATTERN

GOOD = b"metric,group,value\nwait,baseline,12\nwait,pilot,9\nfta,pilot,0\n"


@pytest.fixture
def instance(app, tmp_path) -> Path:
    app.instance_path = str(tmp_path / "instance")
    return tmp_path / "instance"


@pytest.fixture
def innovator(client, login, loaded_pilot):
    login("innovation")
    return client


def upload(client, pilot, data: bytes, name: str = "observations.csv"):
    return client.post(
        f"/pilots/{pilot.slug}/observations/upload",
        data={"version": pilot.version, "file": (io.BytesIO(data), name)},
    )


def every_file(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def uploaded_batches() -> int:
    return db.session.scalar(
        select(func.count()).select_from(ImportBatch).where(ImportBatch.origin == "upload")
    )


def test_a_body_over_the_limit_is_413_with_the_generic_page(app, innovator, loaded_pilot, instance):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = upload(innovator, loaded_pilot, GOOD + b"wait,pilot,1\n" * 1000)

    assert response.status_code == 413
    assert b"The upload is larger than the server accepts." in response.data
    assert b"Traceback" not in response.data and b"RequestEntityTooLarge" not in response.data
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert not every_file(instance)
    assert uploaded_batches() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00binary", "not a CSV text file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
        (b"metric,group,value\nwait,baseline,12\nwait,pilot,caf\xe9\n", "line 3 is not UTF-8"),
        (b"metric,group,value\nwait,\x00pilot,9\n", "not a CSV text file"),
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf", "the first line must be a header"),
    ],
)
def test_unusable_content_is_refused_with_a_message_and_nothing_stored(
    innovator, loaded_pilot, instance, data, message
):
    response = upload(innovator, loaded_pilot, data)

    assert response.status_code == 422
    assert b"has-error" in response.data
    assert message.lower() in response.text.lower()
    assert not every_file(instance / "uploads") if (instance / "uploads").exists() else True
    assert uploaded_batches() == 0


@pytest.mark.parametrize("where", ["header", "row"])
def test_a_line_over_the_csv_field_limit_is_named_and_never_imported(
    innovator, loaded_pilot, instance, where
):
    huge = b"9" * 200_000
    data = huge + b"\n" + GOOD if where == "header" else GOOD + b"wait,pilot," + huge + b"\n"
    response = upload(innovator, loaded_pilot, data)

    if response.status_code == 302:
        preview = innovator.get(response.headers["Location"])
        assert preview.status_code == 200
        assert b"field larger than field limit" in preview.data
        confirm = innovator.post(
            response.headers["Location"], data={"version": loaded_pilot.version}
        )
        assert confirm.status_code == 302
        assert "Nothing was imported" in innovator.get(confirm.headers["Location"]).text
    else:
        assert response.status_code == 422
        assert b"has-error" in response.data
    assert uploaded_batches() == 0


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "../../../instance/testbed.sqlite",
        "a/b.csv",
        "..\\..\\windows\\win.ini",
        "/etc/cron.d/job.csv",
        "x.csv\x00.png",
        "\u202egnp.csv",
        "n" * 600 + ".csv",
        "",
    ],
)
def test_the_client_file_name_is_never_a_path(innovator, loaded_pilot, instance, tmp_path, name):
    before = every_file(tmp_path)
    response = upload(innovator, loaded_pilot, GOOD, name)
    if name == "":
        # The browser sends no file at all: the form asks for one.
        assert response.status_code == 422 and b"has-error" in response.data
        return
    assert response.status_code == 302
    added = every_file(tmp_path) - before

    token = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    assert TOKEN_PATTERN.match(token)
    assert added == {instance / "uploads" / f"{token}.csv", instance / "uploads" / f"{token}.json"}

    preview = innovator.get(response.headers["Location"])
    assert preview.status_code == 200
    confirm = innovator.post(response.headers["Location"], data={"version": loaded_pilot.version})
    assert confirm.status_code == 302
    (source,) = db.session.scalars(
        select(ImportBatch.source).where(ImportBatch.origin == "upload")
    ).all()
    assert re.fullmatch(r"[^/\\\x00-\x1f\x7f]{1,200}", source), source
    assert every_file(tmp_path) - before == set()


def test_a_token_from_the_address_is_never_a_path(innovator, loaded_pilot, instance):
    for token in ("..%2F..%2Fetc%2Fpasswd", "../" * 10 + "x" * 2, "A" * 31 + "/"):
        response = innovator.get(f"/pilots/{loaded_pilot.slug}/observations/upload/{token}")
        assert response.status_code in (302, 404)
