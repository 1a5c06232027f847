"""What a pilot holds, over the API: metrics, hypotheses, iterations and suggestions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from testbed.auth.models import Department
from testbed.extensions import db
from testbed.pilots.models import Hypothesis, Iteration, Metric
from testbed.suggestions.models import Suggestion
from testbed.suggestions.services import add_suggestion, move
from tests.api.conftest import count


@pytest.fixture
def team(caller):
    return caller("innovation")


def url(pilot, *parts) -> str:
    return "/".join(["/api/v1/pilots", pilot.slug, *map(str, parts)])


def errors_of(response) -> list:
    return [e.get("field") for e in response.get_json()["errors"]]


# Metrics ----------------------------------------------------------------------------------


def test_metrics_list_and_read(client, team, loaded_pilot):
    listed = client.get(url(loaded_pilot, "metrics"), headers=team.headers).get_json()
    assert [m["key"] for m in listed["items"]] == ["wait", "fta"]
    first = listed["items"][0]
    one = client.get(url(loaded_pilot, "metrics", first["id"]), headers=team.headers)
    assert one.get_json() == first
    assert client.get(url(loaded_pilot, "metrics", 999), headers=team.headers).status_code == 404


def test_adding_a_metric(client, team, loaded_pilot):
    body = {
        "key": "nps",
        "name": "Net promoter score",
        "kind": "mean",
        "direction": "increase",
        "scale_min": 0,
        "scale_max": 10,
    }
    version = loaded_pilot.version
    response = client.post(url(loaded_pilot, "metrics"), headers=team.headers, json=body)
    assert response.status_code == 201
    assert response.get_json()["scale_max"] == 10
    assert response.headers["ETag"] == f'"{version + 1}"'
    assert db.session.scalar(select(Metric).where(Metric.key == "nps")).scale == (0, 10)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"key": "wait"}, "key"),
        ({"key": "two words"}, "key"),
        ({"kind": "median"}, "kind"),
        ({"scale_min": 5}, None),
        ({"name": "   "}, "name"),
    ],
)
def test_a_bad_metric_is_422(client, team, loaded_pilot, changes, field):
    body = {"key": "nps", "name": "NPS", "kind": "mean", "direction": "increase", **changes}
    response = client.post(url(loaded_pilot, "metrics"), headers=team.headers, json=body)
    assert response.status_code == 422
    assert field in errors_of(response)
    assert count(Metric) == 2


def test_if_match_is_checked_when_sent(client, team, loaded_pilot):
    body = {"key": "nps", "name": "NPS", "kind": "mean", "direction": "increase"}
    headers = {**team.headers, "If-Match": '"1"'}
    db.session.get(Metric, 1).name = "Waiting time (minutes)"
    loaded_pilot.touch()
    db.session.commit()
    response = client.post(url(loaded_pilot, "metrics"), headers=headers, json=body)
    assert response.status_code == 409
    assert count(Metric) == 2


# Hypotheses -------------------------------------------------------------------------------


def test_hypotheses_list_and_read(client, team, loaded_pilot):
    listed = client.get(url(loaded_pilot, "hypotheses"), headers=team.headers).get_json()
    h1 = listed["items"][0]
    assert (h1["key"], h1["metric"], h1["role"]) == ("H1", "fta", "primary")
    assert h1["locked_at"] is not None and h1["amendments"] == []
    read = client.get(url(loaded_pilot, "hypotheses", h1["id"]), headers=team.headers)
    assert read.get_json() == h1


def test_registering_a_hypothesis(client, team, loaded_pilot):
    body = {
        "statement": "Reminders shorten the wait.",
        "metric": "wait",
        "role": "secondary",
        "quantiles": [0.5, 0.9],
    }
    response = client.post(url(loaded_pilot, "hypotheses"), headers=team.headers, json=body)
    assert response.status_code == 201
    created = response.get_json()
    assert created["key"] == "H2" and created["quantiles"] == [0.5, 0.9]
    # Its metric has observations already: it is locked at once.
    assert created["locked_at"] is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"metric": "speed"}, "metric"),
        ({"alpha": 1.5}, "alpha"),
        ({"design": "threshold"}, "design"),
        ({"key": "H1"}, "key"),
        ({"role": "guardrail", "minimum_effect": -1}, "minimum_effect"),
        ({"quantiles": [0.5, 2]}, "quantiles.1"),
        ({"statement": ""}, "statement"),
    ],
)
def test_a_bad_hypothesis_is_422(client, team, loaded_pilot, changes, field):
    body = {"statement": "Shorter wait.", "metric": "wait", "role": "secondary", **changes}
    response = client.post(url(loaded_pilot, "hypotheses"), headers=team.headers, json=body)
    assert response.status_code == 422
    assert field in errors_of(response)
    assert count(Hypothesis) == 1


def test_changing_a_locked_hypothesis_needs_a_reason(client, team, loaded_pilot):
    h1 = db.session.scalar(select(Hypothesis))
    address = url(loaded_pilot, "hypotheses", h1.id)
    headers = {**team.headers, "If-Match": f'"{loaded_pilot.version}"'}
    refused = client.patch(address, headers=headers, json={"alpha": 0.01})
    assert refused.status_code == 422 and errors_of(refused) == ["reason"]
    assert client.patch(address, headers=team.headers, json={"alpha": 0.01}).status_code == 428
    response = client.patch(
        address, headers=headers, json={"alpha": 0.01, "reason": "Finance asked for 1 %."}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["alpha"] == 0.01
    assert body["amendments"][0]["reason"] == "Finance asked for 1 %."
    assert body["amendments"][0]["changes"] == ["alpha: 0.05 → 0.01"]


def test_an_unlocked_hypothesis_changes_and_clears_fields(client, team, loaded_pilot):
    h1 = db.session.scalar(select(Hypothesis))
    h1.locked_at, h1.planned_sample_size = None, 400
    db.session.commit()
    headers = {**team.headers, "If-Match": "*"}
    address = url(loaded_pilot, "hypotheses", h1.id)
    body = client.patch(
        address, headers=headers, json={"planned_sample_size": None, "metric": "wait"}
    ).get_json()
    assert body["planned_sample_size"] is None and body["metric"] == "wait"
    assert body["amendments"] == []
    refused = client.patch(address, headers=headers, json={"role": None})
    assert refused.status_code == 422 and errors_of(refused) == ["role"]


# Iterations -------------------------------------------------------------------------------


def accepted_suggestion(pilot, author) -> Suggestion:
    suggestion = add_suggestion(pilot, "Remind by phone as well.", author=author, department=None)
    move(suggestion, "accepted", actor="Team")
    db.session.commit()
    return suggestion


def test_logging_an_iteration_that_adopts_a_suggestion(client, team, loaded_pilot):
    suggestion = accepted_suggestion(loaded_pilot, team.user)
    body = {
        "title": "Phone call",
        "start_date": "2025-03-03",
        "adopted_suggestions": [suggestion.id],
    }
    response = client.post(url(loaded_pilot, "iterations"), headers=team.headers, json=body)
    assert response.status_code == 201
    created = response.get_json()
    assert (created["number"], created["adopted_suggestions"]) == (2, [suggestion.id])
    assert db.session.get(Suggestion, suggestion.id).status == "incorporated"
    listed = client.get(url(loaded_pilot, "iterations"), headers=team.headers).get_json()
    assert [i["number"] for i in listed["items"]] == [1, 2]
    read = client.get(url(loaded_pilot, "iterations", created["id"]), headers=team.headers)
    assert read.get_json() == created


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"number": 1}, "number"),
        ({"title": ""}, "title"),
        ({"adopted_suggestions": [999]}, "adopted_suggestions"),
        ({"number": 0}, "number"),
        ({"start_date": "2025-03-03", "end_date": "2025-03-01"}, "end_date"),
    ],
)
def test_a_bad_iteration_is_422(client, team, loaded_pilot, changes, field):
    body = {"title": "Phone call", **changes}
    response = client.post(url(loaded_pilot, "iterations"), headers=team.headers, json=body)
    assert response.status_code == 422
    assert field in errors_of(response)
    assert count(Iteration) == 1


def test_an_iteration_cannot_adopt_what_was_not_accepted(client, team, loaded_pilot):
    new = add_suggestion(loaded_pilot, "An idea.", author=team.user, department=None)
    db.session.commit()
    body = {"title": "Phone call", "adopted_suggestions": [new.id]}
    response = client.post(url(loaded_pilot, "iterations"), headers=team.headers, json=body)
    assert response.status_code == 422 and errors_of(response) == ["adopted_suggestions"]
    assert db.session.get(Suggestion, new.id).status == "new"


# Suggestions ------------------------------------------------------------------------------


def test_a_department_head_suggests_for_their_department(client, caller, loaded_pilot):
    operations = db.session.scalar(select(Department).where(Department.name == "Operations"))
    head = caller("department_head", department=operations)
    address = url(loaded_pilot, "suggestions")
    own = client.post(address, headers=head.headers, json={"text": "Call the day before."})
    assert own.status_code == 201
    assert own.get_json()["department"] == "Operations"
    assert own.get_json()["steps"] == [] and own.get_json()["status"] == "new"
    other = client.post(
        address, headers=head.headers, json={"text": "Idea two.", "department": "finance"}
    )
    assert other.get_json()["department"] == "Finance"
    none = client.post(address, headers=head.headers, json={"text": "Idea 3.", "department": None})
    assert none.get_json()["department"] is None
    unknown = client.post(address, headers=head.headers, json={"text": "x", "department": "Moon"})
    assert unknown.status_code == 422 and errors_of(unknown) == ["department"]
    empty = client.post(address, headers=head.headers, json={"text": ""})
    assert empty.status_code == 422 and errors_of(empty) == ["text"]
    listed = client.get(f"{address}?status=new", headers=head.headers).get_json()
    assert listed["total"] == 3


def test_moving_a_suggestion_along_its_path(client, team, loaded_pilot):
    suggestion = add_suggestion(loaded_pilot, "An idea.", author=team.user, department=None)
    db.session.commit()
    address = url(loaded_pilot, "suggestions", suggestion.id, "moves")
    no_reason = client.post(address, headers=team.headers, json={"status": "declined"})
    assert no_reason.status_code == 422 and "why" in no_reason.get_json()["message"]
    accepted = client.post(address, headers=team.headers, json={"status": "accepted"})
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    no_iteration = client.post(
        address, headers=team.headers, json={"status": "incorporated", "iteration": 7}
    )
    assert no_iteration.status_code == 422 and errors_of(no_iteration) == ["iteration"]
    done = client.post(
        address, headers=team.headers, json={"status": "incorporated", "iteration": 1}
    )
    body = done.get_json()
    assert (body["status"], body["iteration"]) == ("incorporated", 1)
    assert [s["status"] for s in body["steps"]] == ["accepted", "incorporated"]
    final = client.post(address, headers=team.headers, json={"status": "under_review"})
    assert final.status_code == 422 and "final" in final.get_json()["message"]
    read = client.get(url(loaded_pilot, "suggestions", suggestion.id), headers=team.headers)
    assert read.get_json() == body


def test_a_suggestion_of_another_pilot_is_404(client, team, loaded_pilot, other_pilot):
    theirs = add_suggestion(other_pilot, "Their idea.", author=team.user, department=None)
    db.session.commit()
    address = url(loaded_pilot, "suggestions", theirs.id, "moves")
    assert (
        client.post(address, headers=team.headers, json={"status": "accepted"}).status_code == 404
    )
    assert db.session.get(Suggestion, theirs.id).status == "new"
