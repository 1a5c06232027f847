"""Suggestion pages over HTTP: proposing, deciding, discussing, and the department pages."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from testbed.auth.services import department_named
from testbed.extensions import db
from testbed.suggestions.models import (
    Suggestion,
    SuggestionComment,
    SuggestionStep,
    SuggestionVote,
)

DECISION_BUTTON = 'value="Save decision"'


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def switch_to(client, login, role, **kwargs):
    client.post("/logout")
    return login(role, **kwargs)


def decide(client, pilot, suggestion, **data):
    db.session.refresh(pilot)
    data.setdefault("version", str(pilot.version))
    return client.post(f"/pilots/{pilot.slug}/suggestions/{suggestion.id}/decision", data=data)


def text_of(response) -> str:
    """The page's words, without tags, entities or runs of spaces."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(words).split())


def test_a_heads_suggestion_is_accepted_incorporated_and_makes_its_department_a_champion(
    client, login, pilot
):
    sales = department_named("Sales")
    login("department_head", department=sales)
    page = client.get(f"/pilots/{pilot.slug}/suggestions")
    assert f'<option selected value="{sales.id}">Sales</option>' in page.get_data(as_text=True)
    assert "No suggestions yet" in text_of(page)
    assert "No pilot involves Sales" in text_of(client.get(f"/departments/{sales.id}"))

    added = client.post(f"/pilots/{pilot.slug}/suggestions", data={"text": "Remind by phone"})
    suggestion = db.session.scalar(select(Suggestion))
    assert added.headers["Location"] == f"/suggestions/{suggestion.id}"
    assert (suggestion.author, suggestion.department, suggestion.status) == (
        "Department_Head",
        sales,
        "new",
    )
    followed = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "Remind by phone" in followed and DECISION_BUTTON not in followed

    switch_to(client, login, "innovation")
    assert DECISION_BUTTON in client.get(f"/suggestions/{suggestion.id}").get_data(as_text=True)
    assert decide(client, pilot, suggestion, status="accepted").status_code == 302
    iteration = pilot.iterations[0]
    response = decide(client, pilot, suggestion, status="incorporated", iteration=iteration.id)
    assert response.status_code == 302
    db.session.refresh(suggestion)
    assert (suggestion.status, suggestion.iteration) == ("incorporated", iteration)

    path = text_of(client.get(f"/suggestions/{suggestion.id}"))
    assert re.search(r"Proposed on \S+ by Department_Head", path)
    assert re.search(r"Accepted on \S+ by Innovation", path)
    assert "Incorporated in iteration 1 on" in path

    switch_to(client, login, "department_head", email="other-head@example.org", department=sales)
    department = text_of(client.get(f"/departments/{sales.id}"))
    champions = department.split("Pilots it champions")[1].split(
        "Its suggestions and where they went"
    )[0]
    assert "Reminder pilot" in champions and "adopted its suggestions" in champions
    assert "100%" in champions
    assert "1 adopted in an iteration (100%)" in department


def test_an_empty_suggestion_is_shown_again_with_its_error_and_nothing_is_saved(
    client, login, pilot
):
    login("department_head")
    version = pilot.version
    response = client.post(f"/pilots/{pilot.slug}/suggestions", data={"text": " "})
    assert response.status_code == 422
    assert '<span class="error">Write the suggestion first.</span>' in response.get_data(
        as_text=True
    )
    db.session.refresh(pilot)
    assert (count(Suggestion), pilot.version) == (0, version)


def test_declining_without_a_reason_shows_the_error_next_to_the_field(
    client, login, pilot, suggest
):
    suggestion = suggest(pilot)
    login("innovation")
    response = decide(client, pilot, suggestion, status="declined", reason="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    reason_field = html.split('for="reason"')[1].split("</div>")[0]
    assert "Say why it is declined." in reason_field
    db.session.refresh(suggestion)
    assert (suggestion.status, count(SuggestionStep)) == ("new", 0)


def test_incorporating_without_an_iteration_saves_nothing(client, login, pilot, suggest):
    suggestion = suggest(pilot, "accepted")
    login("admin")
    response = decide(client, pilot, suggestion, status="incorporated", iteration="0")
    assert response.status_code == 422
    assert "Choose the iteration of this pilot that adopted it." in text_of(response)
    db.session.refresh(suggestion)
    assert (suggestion.status, suggestion.iteration) == ("accepted", None)


def test_a_decision_on_a_page_opened_before_another_change_is_refused(
    client, login, pilot, suggest
):
    suggestion = suggest(pilot)
    login("innovation")
    stale = str(pilot.version - 1)
    response = decide(client, pilot, suggestion, status="accepted", version=stale)
    assert response.status_code == 409
    assert "Someone else changed this pilot since you opened the page" in text_of(response)
    db.session.refresh(suggestion)
    assert (suggestion.status, count(SuggestionStep)) == ("new", 0)


def test_a_move_that_is_not_allowed_any_more_is_refused_on_its_field(client, login, pilot, suggest):
    suggestion = suggest(pilot, "incorporated")
    login("innovation")
    page = text_of(client.get(f"/suggestions/{suggestion.id}"))
    assert "Incorporated is final: nothing more to decide." in page
    response = decide(client, pilot, suggestion, status="declined", reason="late")
    assert response.status_code == 422
    assert "Incorporated is final: nothing more to decide." in text_of(response)
    db.session.refresh(suggestion)
    assert (suggestion.status, count(SuggestionStep)) == ("incorporated", 0)


def test_a_decision_through_another_pilots_address_is_not_found(
    client, login, pilot, other_pilot, suggest
):
    suggestion = suggest(pilot)
    login("innovation")
    assert decide(client, other_pilot, suggestion, status="accepted").status_code == 404


@pytest.mark.parametrize(("action", "data"), [("comments", {"text": "Agreed"}), ("vote", {})])
def test_a_comment_or_vote_through_another_pilots_address_is_not_found(
    client, login, pilot, other_pilot, suggest, action, data
):
    suggestion = suggest(pilot)
    login("finance")
    url = f"/pilots/{other_pilot.slug}/suggestions/{suggestion.id}/{action}"
    assert client.post(url, data=data).status_code == 404
    assert (count(SuggestionComment), count(SuggestionVote)) == (0, 0)


def test_voting_twice_from_the_list_withdraws_the_vote(client, login, pilot, suggest):
    suggestion = suggest(pilot)
    login("finance")
    url = f"/pilots/{pilot.slug}/suggestions/{suggestion.id}/vote"
    response = client.post(url, data={"back": "list"})
    assert response.headers["Location"] == (
        f"/pilots/{pilot.slug}/suggestions#suggestion-{suggestion.id}"
    )
    page = client.get(f"/pilots/{pilot.slug}/suggestions").get_data(as_text=True)
    assert "Your vote counts." in page and 'aria-pressed="true"' in page
    assert count(SuggestionVote) == 1
    response = client.post(url, data={"back": "suggestion"})
    assert response.headers["Location"] == f"/suggestions/{suggestion.id}"
    assert "Your vote is withdrawn." in text_of(client.get(response.headers["Location"]))
    assert count(SuggestionVote) == 0


def test_a_vote_never_returns_to_an_unknown_address(client, login, pilot, suggest):
    suggestion = suggest(pilot)
    login("finance")
    url = f"/pilots/{pilot.slug}/suggestions/{suggestion.id}/vote"
    assert client.post(url, data={"back": "https://elsewhere.example"}).status_code == 400
    assert count(SuggestionVote) == 0


def test_a_comment_appears_under_the_suggestion(client, login, pilot, suggest):
    suggestion = suggest(pilot)
    login("finance", department=department_named("Finance"))
    response = client.post(
        f"/pilots/{pilot.slug}/suggestions/{suggestion.id}/comments",
        data={"text": "What would it cost?"},
    )
    assert response.headers["Location"] == f"/suggestions/{suggestion.id}#comments"
    page = text_of(client.get(f"/suggestions/{suggestion.id}"))
    assert "Finance , Finance" in page and "What would it cost?" in page
    listed = text_of(client.get(f"/pilots/{pilot.slug}/suggestions"))
    assert "1 comment" in listed


def test_the_list_filters_by_status_and_says_why_a_suggestion_was_declined(
    client, login, pilot, suggest
):
    suggest(pilot, "new", text="Idea still new")
    declined = suggest(pilot, "new", text="Idea turned down")
    declined.status, declined.reason = "declined", "Tried in 2023 without effect"
    db.session.commit()
    login("department_head")
    everything = text_of(client.get(f"/pilots/{pilot.slug}/suggestions"))
    assert "Idea still new" in everything and "Idea turned down" in everything
    only_declined = text_of(client.get(f"/pilots/{pilot.slug}/suggestions?status=declined"))
    assert "Idea still new" not in only_declined
    assert "Declined because: Tried in 2023 without effect" in only_declined
    accepted = text_of(client.get(f"/pilots/{pilot.slug}/suggestions?status=accepted"))
    assert "No suggestion is accepted right now." in accepted
    unknown = text_of(client.get(f"/pilots/{pilot.slug}/suggestions?status=lost"))
    assert "Idea still new" in unknown and "Idea turned down" in unknown


def test_the_departments_page_points_a_head_to_their_own_department(client, login, pilot):
    operations = department_named("Operations")
    login("department_head", department=operations)
    html = client.get("/departments").get_data(as_text=True)
    assert f'Your department:\n  <a href="/departments/{operations.id}">Operations ›</a>' in html
    assert html.count('class="sg-mine"') == 1
    row = html.split('class="sg-mine"')[1].split("</tr>")[0]
    assert "Operations" in row


def test_a_head_without_a_department_is_told_how_to_get_one(client, login, pilot):
    login("department_head")
    assert "Your account names no department yet" in text_of(client.get("/departments"))


def test_unknown_suggestions_and_departments_are_not_found(client, login, pilot):
    login("innovation")
    assert client.get("/suggestions/999").status_code == 404
    assert client.get("/departments/999").status_code == 404
    assert client.post(f"/pilots/{pilot.slug}/suggestions/999/vote").status_code == 404
