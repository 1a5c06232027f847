"""Summaries and the planned pilot share from every input: a folder, the browser and the API.

Per-group summaries (n, mean, sd) go through the reader of a pilot folder's
summary.csv whichever way they come, so a pilot fed through the upload page
or the API shows the same results page as one loaded from a folder.
"""

from __future__ import annotations

import csv
import io
import textwrap

import pytest
from sqlalchemy import func, select

from testbed.api.auth import create_token
from testbed.auth.models import User
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.pilots.models import Pilot
from testbed.results import services
from testbed.store.models import Aggregate, ImportBatch
from tests.conftest import MINIMAL_TOML

PILOT_TOML = (
    textwrap.dedent(MINIMAL_TOML)
    + """
[[hypotheses]]
key = "H2"
statement = "Reminders shorten the wait."
metric = "wait"
role = "secondary"
"""
)
SUMMARIES = (
    "metric,group,n,mean,sd,period\n"
    "wait,baseline,120,14.2,3.1,post\n"
    "wait,pilot,118,11.9,2.8,post\n"
    "fta,pilot,80,0.15,0.36,\n"
)
# Line 3: a group that does not exist (column 2); line 4: a negative sd (column 5);
# line 5: a metric the pilot does not have (column 1).
BAD_SUMMARIES = (
    "metric,group,n,mean,sd\n"
    "wait,pilot,118,11.9,2.8\n"
    "wait,control,120,14.2,3.1\n"
    "wait,baseline,120,14.2,-1\n"
    "speed,pilot,3,1,1\n"
)
BAD_PLACES = [
    (3, 2, "group", "'control' is not one of baseline, pilot"),
    (4, 5, "sd", "a standard deviation cannot be negative (-1.0)"),
    (5, 1, "metric", "unknown metric 'speed' (known: fta, wait)"),
]
WAYS = ("by-folder", "by-upload", "by-api")


@pytest.fixture(autouse=True)
def own_caches(app, tmp_path, monkeypatch):
    """Reports and charts of this test only: pilot ids and versions repeat across tests."""
    app.config["CHART_CACHE_DIR"] = str(tmp_path / "charts")
    monkeypatch.setattr(services, "_CACHE", {})


@pytest.fixture
def pilots(app, write_pilot, tmp_path) -> dict[str, Pilot]:
    """The same pilot three times; only the one loaded by folder has its summary.csv."""
    for way in WAYS:
        toml = PILOT_TOML.replace('name = "Reminder pilot"', f'name = "Reminders {way}"')
        write_pilot(way, pilot__toml=toml, summary__csv=SUMMARIES if way == "by-folder" else None)
    load_path(tmp_path / "pilots")
    db.session.commit()
    return {p.slug: p for p in db.session.scalars(select(Pilot))}


@pytest.fixture
def token(app) -> str:
    user = User(email="feed@example.org", role="innovation", name="Feed", password_hash="!")
    db.session.add(user)
    _, secret = create_token(user, "reporting tool")
    db.session.commit()
    return secret


def results_page(client, slug: str) -> str:
    response = client.get(f"/pilots/{slug}/results")
    assert response.status_code == 200
    # The pilots differ only in their address and name, both made from the way.
    return response.text.replace(slug, "WAY")


def upload(client, pilot: Pilot, text: str, name: str = "summary.csv"):
    return client.post(
        f"/pilots/{pilot.slug}/observations/upload",
        data={"version": pilot.version, "file": (io.BytesIO(text.encode()), name)},
    )


def push(client, pilot: Pilot, token: str, body, media: str = "text/csv"):
    headers = {"Authorization": f"Bearer {token}"}
    address = f"/api/v1/pilots/{pilot.slug}/summaries"
    if media == "application/json":
        return client.post(address, headers=headers, json=body)
    return client.post(address, headers=headers, data=body, content_type=media)


def as_json(text: str) -> list[dict]:
    items = []
    for row in csv.DictReader(io.StringIO(text)):
        item = {"metric": row["metric"], "group": row["group"], "n": int(row["n"])}
        item.update(mean=float(row["mean"]), sd=float(row["sd"]))
        if row.get("period"):
            item["period"] = row["period"]
        items.append(item)
    return items


def stored(pilot: Pilot) -> tuple[int, int]:
    batches = select(ImportBatch.id).where(ImportBatch.pilot_id == pilot.id)
    return (
        db.session.scalar(select(func.count()).select_from(batches.subquery())),
        db.session.scalar(
            select(func.count()).select_from(Aggregate).where(Aggregate.batch_id.in_(batches))
        ),
    )


def test_summaries_uploaded_in_the_browser_give_the_folders_results_page(client, login, pilots):
    login("innovation")
    target = pilots["by-upload"]
    assert results_page(client, "by-upload") != results_page(client, "by-folder")
    response = upload(client, target, SUMMARIES)
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])
    assert "summaries per group" in preview.text
    assert "3 summary rows ready to import" in preview.text
    assert "Import these summaries" in preview.text

    confirm = client.post(response.headers["Location"], data={"version": target.version})
    assert confirm.status_code == 302
    overview = client.get(confirm.headers["Location"])
    assert "Imported 3 summary rows from summary.csv." in overview.text
    batch = db.session.scalar(
        select(ImportBatch).where(ImportBatch.pilot_id == target.id, ImportBatch.origin == "upload")
    )
    assert (batch.origin, batch.rows, batch.source) == ("upload", 3, "summary.csv")
    assert results_page(client, "by-upload") == results_page(client, "by-folder")
    assert "Reminders shorten the wait" in results_page(client, "by-upload")


@pytest.mark.parametrize("media", ["text/csv", "application/json"])
def test_summaries_pushed_through_the_api_give_the_folders_results_page(
    client, login, pilots, token, media
):
    login("innovation")
    assert results_page(client, "by-api") != results_page(client, "by-folder")
    body = SUMMARIES if media == "text/csv" else as_json(SUMMARIES)
    response = push(client, pilots["by-api"], token, body, media)
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["origin"], response.get_json()["rows"]) == ("api", 3)
    assert results_page(client, "by-api") == results_page(client, "by-folder")


def test_bad_summary_rows_are_listed_in_the_preview_and_never_imported(client, login, pilots):
    login("innovation")
    target = pilots["by-upload"]
    before = stored(target)
    response = upload(client, target, BAD_SUMMARIES)
    preview = client.get(response.headers["Location"])

    assert "3 problems found: nothing can be imported" in preview.text
    rows = preview.text.split("<tbody>", 1)[1]
    for line, column, field, message in BAD_PLACES:
        place = f'<td class="num">{line}</td><td class="num">{column}</td><td><code>{field}</code>'
        assert place in rows
        assert message.replace("'", "&#39;") in rows
    confirm = client.post(response.headers["Location"], data={"version": target.version})
    assert confirm.status_code == 302
    assert "Nothing was imported" in client.get(confirm.headers["Location"]).text
    assert stored(target) == before


@pytest.mark.parametrize("media", ["text/csv", "application/json"])
def test_bad_summary_rows_pushed_are_refused_with_line_column_and_field(
    client, pilots, token, media
):
    target = pilots["by-api"]
    before = stored(target)
    if media == "text/csv":
        response = push(client, target, token, BAD_SUMMARIES)
        expected = [
            {"message": message, "field": field, "line": line, "column": column}
            for line, column, field, message in BAD_PLACES
        ]
    else:
        # The schema refuses an unknown group or a negative sd already; the rules of the
        # summary file refuse what the schema cannot know, such as the pilot's metrics.
        items = [
            *as_json(SUMMARIES),
            {"metric": "speed", "group": "pilot", "n": 3, "mean": 1, "sd": 1},
        ]
        items.append({"metric": "fta", "group": "baseline", "n": 9, "mean": 1.5, "sd": 0.5})
        response = push(client, target, token, items, media)
        expected = [
            {"message": "unknown metric 'speed' (known: fta, wait)", "field": "metric", "index": 3},
            {
                "message": "the mean of a proportion must lie between 0 and 1, got 1.5",
                "field": "mean",
                "index": 4,
            },
        ]
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"] == expected
    assert body["message"].startswith(f"nothing was stored: {len(expected)} problems")
    assert stored(target) == before


def test_the_planned_pilot_share_is_set_in_the_edit_form(client, login, pilots):
    login("innovation")
    pilot = pilots["by-upload"]
    form = {
        "version": pilot.version,
        "name": pilot.name,
        "partner": str(pilot.partner_id),
        "status": pilot.status,
        "summary": "",
        "pilot_share": "0.4",
    }
    refused = client.post(f"/pilots/{pilot.slug}/edit", data={**form, "pilot_share": "1.5"})
    assert refused.status_code == 422
    assert "The planned pilot share lies strictly between 0 and 1" in refused.text

    saved = client.post(f"/pilots/{pilot.slug}/edit", data=form)
    assert saved.status_code == 302
    db.session.refresh(pilot)
    assert pilot.pilot_share == 0.4
    page = client.get(f"/pilots/{pilot.slug}/edit")
    assert 'value="0.4"' in page.text


def test_the_planned_pilot_share_is_set_and_cleared_through_the_api(client, pilots, token):
    pilot = pilots["by-api"]
    headers = {"Authorization": f"Bearer {token}"}
    address = f"/api/v1/pilots/{pilot.slug}"

    def patch(share):
        version = client.get(address, headers=headers).headers["ETag"]
        return client.patch(
            address, headers={**headers, "If-Match": version}, json={"pilot_share": share}
        )

    assert patch(1.5).status_code == 422
    set_ = patch(0.5)
    assert set_.status_code == 200 and set_.get_json()["pilot_share"] == 0.5
    db.session.refresh(pilot)
    assert pilot.pilot_share == 0.5
    cleared = patch(None)
    assert cleared.status_code == 200 and cleared.get_json()["pilot_share"] is None

    created = client.post(
        "/api/v1/pilots",
        headers=headers,
        json={
            "name": "Randomised reminders",
            "partner": {"name": "Harbour Dental"},
            "pilot_share": 0.3,
        },
    )
    assert created.status_code == 201 and created.get_json()["pilot_share"] == 0.3
