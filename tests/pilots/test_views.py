"""The innovation team's pages over HTTP: flows, conflicts, uploads, and what people see."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from testbed.extensions import db
from testbed.pilots.models import Hypothesis, Iteration, Partner, Pilot
from testbed.store.models import ImportBatch, Observation
from testbed.suggestions.models import Suggestion
from tests.pilots.conftest import OBSERVATIONS

BAD = (
    "metric,group,value,date\n"
    "fta,pilot,1,2025-03-02\n"
    "fta,control,2,2025-03-02\n"
    "speed,baseline,abc,2025-13-01\n"
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


def new_pilot_form(**overrides) -> dict:
    data = {
        "name": "Phone reminders",
        "partner": "0",
        "new_partner_name": "Small Clinic",
        "new_partner_segment": "healthcare",
        "new_partner_size": "small",
        "status": "draft",
        "start_date": "2025-01-06",
        "summary": "Do phone calls lower no-shows?",
    }
    return {k: v for k, v in {**data, **overrides}.items() if v is not None}


def edit_form(pilot: Pilot, **overrides) -> dict:
    data = {
        "version": str(pilot.version),
        "name": pilot.name,
        "partner": str(pilot.partner_id),
        "status": pilot.status,
        "summary": pilot.summary,
    }
    return {**data, **overrides}


def send_file(client, pilot: Pilot, content: str, name: str = "observations.csv"):
    data = {"version": str(pilot.version), "file": (io.BytesIO(content.encode()), name)}
    return client.post(
        f"/pilots/{pilot.slug}/observations/upload",
        data=data,
        content_type="multipart/form-data",
    )


def test_create_then_edit_then_a_stale_edit_is_refused_with_409(client, login):
    login("innovation")
    created = client.post("/pilots/new", data=new_pilot_form())
    assert created.status_code == 302
    assert created.headers["Location"] == "/pilots/phone-reminders"
    pilot = db.session.scalar(select(Pilot))
    stale_version = pilot.version
    page = client.get("/pilots/phone-reminders/edit")
    assert f'name="version" type="hidden" value="{stale_version}"' in text(page)

    edited = client.post("/pilots/phone-reminders/edit", data=edit_form(pilot, status="active"))
    assert edited.status_code == 302
    db.session.expire_all()
    assert pilot.status == "active" and pilot.version > stale_version

    stale = edit_form(pilot, version=str(stale_version), name="Someone else's idea")
    conflict = client.post("/pilots/phone-reminders/edit", data=stale)
    assert conflict.status_code == 409
    assert "someone else changed this pilot since you opened the page" in text(conflict).lower()
    db.session.expire_all()
    assert pilot.name == "Phone reminders"


def test_a_slug_is_taken_from_the_name_unless_given(client, login):
    login("innovation")
    client.post("/pilots/new", data=new_pilot_form(slug="calls"))
    again = client.post(
        "/pilots/new", data=new_pilot_form(slug="calls", new_partner_name="Other clinic")
    )
    assert again.status_code == 422
    assert "another pilot has the address" in text(again).lower()
    assert [p.slug for p in db.session.scalars(select(Pilot))] == ["calls"]


def test_without_a_reason_a_key_account_brings_back_the_form_with_a_warning(client, login):
    key = Partner(name="Big Telco", key_account=True)
    db.session.add(key)
    db.session.commit()
    login("innovation")
    response = client.post("/pilots/new", data=new_pilot_form(partner=str(key.id)))
    assert response.status_code == 422
    page = text(response)
    assert 'class="key-account shown"' in page
    assert "This partner is a key account." in page
    assert "Say why this partner is worth it" in page
    assert count(Pilot) == 0

    reason = "Sales agreed: the branch is new and small."
    done = client.post(
        "/pilots/new", data=new_pilot_form(partner=str(key.id), key_account_reason=reason)
    )
    assert done.status_code == 302
    assert db.session.get(Partner, key.id).key_account_reason == reason
    assert reason in text(client.get(done.headers["Location"]))


def test_an_impossible_status_change_is_refused_next_to_the_field(client, login, fresh_pilot):
    login("innovation")
    response = client.post("/pilots/fresh/edit", data=edit_form(fresh_pilot, status="draft"))
    assert response.status_code == 422
    assert "Not a valid choice" in text(response)
    db.session.expire_all()
    assert fresh_pilot.status == "active"


def hypothesis_form(pilot: Pilot, **overrides) -> dict:
    data = {
        "version": str(pilot.version),
        "key": "H1",
        "statement": "Reminders lower the failure-to-attend rate.",
        "metric": "pilot:fta",
        "role": "primary",
        "design": "concurrent",
        "method": "fixed",
        "alpha": "0.05",
        "minimum_effect": "-0.02",
        "predictor": "",
        "metric_kind": "mean",
        "metric_direction": "decrease",
        "metric_indicator": "lagging",
        "metric_perspective": "customer",
    }
    return {**data, **overrides}


def test_register_upload_lock_and_amend_a_hypothesis(client, login, fresh_pilot):
    login("innovation")
    registered = client.post("/pilots/fresh/hypotheses/new", data=hypothesis_form(fresh_pilot))
    assert registered.status_code == 302
    hypothesis = db.session.scalar(select(Hypothesis))
    assert hypothesis.locked_at is None

    sent = send_file(client, fresh_pilot, OBSERVATIONS)
    assert sent.status_code == 302
    preview = client.get(sent.headers["Location"])
    assert "6 observations ready to import" in text(preview)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text(preview))[1]
    imported = client.post(sent.headers["Location"], data={"version": version})
    assert imported.status_code == 302
    assert "Imported 6 observations" in text(client.get(imported.headers["Location"]))
    db.session.expire_all()
    assert hypothesis.locked_at is not None

    change = hypothesis_form(fresh_pilot, alpha="0.01")
    del change["key"]
    refused = client.post("/pilots/fresh/hypotheses/H1/edit", data=change)
    assert refused.status_code == 422
    assert "Say why the hypothesis changes" in text(refused)
    db.session.expire_all()
    assert hypothesis.alpha == 0.05

    change["version"] = str(fresh_pilot.version)
    change["reason"] = "Finance asked for a stricter level."
    amended = client.post("/pilots/fresh/hypotheses/H1/edit", data=change)
    assert amended.status_code == 302
    overview = text(client.get("/pilots/fresh"))
    assert "1 amendment" in overview
    assert "alpha: 0.05 → 0.01" in overview
    assert "Finance asked for a stricter level." in overview
    activity = text(client.get("/pilots/fresh/activity"))
    for what in ("registered hypothesis", "imported observations", "amended hypothesis"):
        assert what in activity


def test_the_preview_lists_every_error_with_line_and_column_and_writes_nothing(
    client, login, fresh_pilot
):
    login("innovation")
    sent = send_file(client, fresh_pilot, BAD, name="bad.csv")
    assert sent.status_code == 302
    page = text(client.get(sent.headers["Location"]))
    assert "5 problems found: nothing can be imported" in page
    cells = re.findall(
        r'<tr><td class="num">(\d+)</td><td class="num">(\d+)</td><td><code>(\w+)</code>', page
    )
    assert cells == [
        ("3", "2", "group"),
        ("3", "3", "value"),
        ("4", "1", "metric"),
        ("4", "3", "value"),
        ("4", "4", "date"),
    ]
    assert "Import these observations" not in page
    assert (count(ImportBatch), count(Observation)) == (0, 0)


def confirm(client, location: str, pilot: Pilot):
    return client.post(location, data={"version": str(pilot.version)})


def test_a_confirmed_upload_is_imported_exactly_once(client, login, fresh_pilot, instance_folder):
    login("innovation")
    location = send_file(client, fresh_pilot, OBSERVATIONS).headers["Location"]
    assert confirm(client, location, fresh_pilot).status_code == 302
    db.session.expire_all()
    again = confirm(client, location, fresh_pilot)
    assert again.status_code == 302
    assert "imported or discarded already" in text(client.get(again.headers["Location"]))
    assert (count(ImportBatch), count(Observation)) == (1, 6)
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.origin, batch.source) == ("upload", "observations.csv")
    assert list((instance_folder / "uploads").iterdir()) == []

    resent = send_file(client, fresh_pilot, OBSERVATIONS, name="copy.csv")
    assert resent.status_code == 422
    assert "This exact file was imported already" in text(resent)
    assert count(Observation) == 6


def test_an_upload_checked_against_an_older_pilot_is_refused_with_409(client, login, fresh_pilot):
    login("innovation")
    location = send_file(client, fresh_pilot, OBSERVATIONS).headers["Location"]
    old_version = fresh_pilot.version
    fresh_pilot.touch()
    db.session.commit()
    response = client.post(location, data={"version": str(old_version)})
    assert response.status_code == 409
    assert count(Observation) == 0
    assert "ready to import" in text(client.get(location))


def test_a_discarded_upload_is_gone(client, login, fresh_pilot, instance_folder):
    login("innovation")
    location = send_file(client, fresh_pilot, OBSERVATIONS).headers["Location"]
    response = client.post(location + "/discard")
    assert response.status_code == 302
    assert list((instance_folder / "uploads").iterdir()) == []
    assert client.get(location).status_code == 302
    assert count(ImportBatch) == 0


def test_a_file_that_is_not_utf8_csv_is_refused_next_to_the_file_field(client, login, fresh_pilot):
    login("innovation")
    data = {
        "version": str(fresh_pilot.version),
        "file": (
            io.BytesIO("metric,group,value\nfta,pilot,1\nwait,pilöt,1\n".encode("latin-1")),
            "x.csv",
        ),
    }
    response = client.post(
        "/pilots/fresh/observations/upload", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Line 3 is not UTF-8 text" in text(response)


def test_an_upload_above_the_size_limit_gets_the_413_page(app, client, login, fresh_pilot):
    login("innovation")
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = send_file(client, fresh_pilot, OBSERVATIONS * 100)
    assert response.status_code == 413
    assert "larger than the server accepts" in text(response)


def test_an_iteration_adopts_accepted_suggestions_in_one_go(
    client, login, loaded_pilot, suggestion
):
    adopted = suggestion(loaded_pilot, text="Call patients who missed twice.")
    login("innovation")
    page = text(client.get("/pilots/reminders/iterations/new"))
    assert "Call patients who missed twice." in page
    response = client.post(
        "/pilots/reminders/iterations/new",
        data={
            "version": str(loaded_pilot.version),
            "number": "2",
            "title": "Phone calls",
            "changes": "Reception calls repeat no-shows.",
            "reason": "SMS did not reach them.",
            "suggestions": [str(adopted.id)],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert adopted.status == "incorporated" and adopted.iteration.number == 2
    overview = text(client.get("/pilots/reminders"))
    assert "2. Phone calls" in overview
    assert "Adopted suggestions" in overview and "Call patients who missed twice." in overview


def test_an_iteration_that_fails_leaves_suggestions_as_they_were(
    client, login, loaded_pilot, suggestion
):
    adopted = suggestion(loaded_pilot)
    login("innovation")
    response = client.post(
        "/pilots/reminders/iterations/new",
        data={
            "version": str(loaded_pilot.version),
            "number": "1",
            "title": "Duplicate number",
            "suggestions": [str(adopted.id)],
        },
    )
    assert response.status_code == 422
    assert "the pilot has an iteration 1 already" in text(response).lower()
    assert count(Iteration) == 1
    assert db.session.get(Suggestion, adopted.id).status == "accepted"


@pytest.mark.parametrize(("role", "offered"), [("innovation", True), ("finance", False)])
def test_the_portfolio_offers_new_pilot_only_to_those_who_may(client, login, role, offered):
    login(role)
    page = text(client.get("/"))
    assert ('href="/pilots/new"' in page) is offered
    assert "No pilots yet." in page


def test_the_portfolio_filters_through_the_query_string(client, login, loaded_pilot, fresh_pilot):
    login("department_head")
    everything = text(client.get("/"))
    assert "Reminder pilot" in everything and "Fresh pilot" in everything
    assert "Evidence strength" in everything
    operations_only = text(client.get(f"/?partner={fresh_pilot.partner_id}"))
    assert "Fresh pilot" in operations_only and "Reminder pilot" not in operations_only
    nothing = text(client.get("/?status=scaled"))
    assert "No pilot matches these filters." in nothing


def test_the_overview_shows_lock_state_and_invites_the_next_step(
    client, login, loaded_pilot, fresh_pilot
):
    login("innovation")
    locked = text(client.get("/pilots/reminders"))
    assert "Locked since" in locked and "Amend H1" in locked
    empty = text(client.get("/pilots/fresh"))
    assert "No hypotheses yet." in empty and "register a hypothesis" in empty
    assert "No iterations logged yet." in empty
    assert "upload a CSV file" in empty
