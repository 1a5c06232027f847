"""The idea box over HTTP: giving, voting, deciding, taking an idea into a pilot."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from testbed.extensions import db
from testbed.ideas.models import Idea, IdeaVote
from testbed.pilots.models import Pilot
from testbed.suggestions.models import Suggestion


def text_of(response) -> str:
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(words).split())


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_staff_member_gives_an_idea_and_finds_it_in_the_box(client, login):
    login("staff")
    response = client.post("/ideas", data={"title": "Label parcels", "text": "With the depot."})
    idea = db.session.scalar(select(Idea))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    page = text_of(client.get("/ideas"))
    assert "Label parcels" in page
    assert f"counts for the {idea.campaign} campaign" in page


def test_an_idea_without_a_title_is_refused_next_to_the_field(client, login):
    login("staff")
    response = client.post("/ideas", data={"title": "", "text": "With the depot."})
    assert response.status_code == 422
    assert "Give the idea a title." in text_of(response)
    assert count(Idea) == 0


def test_a_vote_counts_once_and_a_second_click_withdraws_it(client, login, give):
    idea = give()
    login("staff", email="voter@example.org")
    client.post(f"/ideas/{idea.id}/vote")
    assert count(IdeaVote) == 1
    assert "▲ Voted 1" in text_of(client.get(f"/ideas/{idea.id}"))
    client.post(f"/ideas/{idea.id}/vote")
    assert count(IdeaVote) == 0


def test_staff_see_no_decision_forms_and_cannot_post_them(client, login, give, loaded_pilot):
    idea = give()
    login("staff", email="other@example.org")
    page = text_of(client.get(f"/ideas/{idea.id}"))
    assert "Decide" not in page and "Take it into a pilot" not in page
    assert client.post(f"/ideas/{idea.id}/move", data={"status": "declined"}).status_code == 403
    response = client.post(f"/ideas/{idea.id}/attach", data={"pilot": str(loaded_pilot.id)})
    assert response.status_code == 403
    assert (idea.status, count(Suggestion)) == ("submitted", 0)


def test_declining_without_a_reason_is_refused_and_with_one_is_shown(client, login, give):
    idea = give()
    login("innovation")
    refused = client.post(f"/ideas/{idea.id}/move", data={"status": "declined", "reason": ""})
    assert refused.status_code == 422
    assert "Say why it is declined." in text_of(refused)
    client.post(f"/ideas/{idea.id}/move", data={"status": "declined", "reason": "Done already"})
    db.session.refresh(idea)
    assert idea.status == "declined"
    assert "Declined because: Done already" in text_of(client.get(f"/ideas/{idea.id}"))


def test_the_team_gives_an_idea_to_a_pilot_as_a_suggestion(client, login, give, loaded_pilot):
    idea = give()
    login("innovation")
    response = client.post(f"/ideas/{idea.id}/attach", data={"pilot": str(loaded_pilot.id)})
    suggestion = db.session.scalar(select(Suggestion))
    assert response.headers["Location"] == f"/suggestions/{suggestion.id}"
    db.session.refresh(idea)
    assert (idea.status, idea.suggestion_id) == ("piloted", suggestion.id)
    assert idea.title in text_of(client.get(f"/pilots/{loaded_pilot.slug}/suggestions"))


def test_a_choice_that_is_no_pilot_is_refused(client, login, give):
    idea = give()
    login("innovation")
    response = client.post(f"/ideas/{idea.id}/attach", data={"pilot": "999"})
    assert response.status_code == 422
    assert "Choose a pilot from the list." in text_of(response)


def test_a_new_pilot_started_from_an_idea_is_prefilled_and_recorded(client, login, give):
    idea = give("Text the delivery window")
    login("innovation")
    form = client.get(f"/pilots/new?idea={idea.id}").get_data(as_text=True)
    assert 'value="Text the delivery window"' in form
    response = client.post(
        f"/pilots/new?idea={idea.id}",
        data={"name": "Delivery texts", "partner": "0", "new_partner_name": "Kestrel Freight",
              "new_partner_size": "small", "status": "draft", "summary": idea.text},
    )  # fmt: skip
    assert response.status_code == 302, text_of(response)
    pilot = db.session.scalar(select(Pilot))
    db.session.refresh(idea)
    assert (idea.status, idea.pilot_id, idea.suggestion_id) == ("piloted", pilot.id, None)
    assert f"Taken into a new pilot: {pilot.name}" in text_of(client.get(f"/ideas/{idea.id}"))


@pytest.mark.parametrize("query", ["idea=999", "idea=abc", "idea=99999999999999"])
def test_a_new_pilot_from_an_unknown_idea_is_not_found(client, login, query):
    login("innovation")
    assert client.get(f"/pilots/new?{query}").status_code == 404


@pytest.mark.parametrize(
    "query", ["campaign=2026-13", "status=lost", "campaign=x", "page=0", "page=2", "page=x"]
)
def test_a_filter_that_names_nothing_is_not_found(client, login, query):
    login("staff")
    assert client.get(f"/ideas?{query}").status_code == 404


def test_the_campaign_page_states_its_rule_and_the_share(client, login, give, person):
    author = person("staff", "Sales", name="Sam")
    person("staff", "Sales", name="Other")
    idea = give(author=author)
    login("staff", email="third@example.org")
    page = text_of(client.get(f"/ideas/campaigns?campaign={idea.campaign}"))
    assert "divided by the department's active accounts today" in page
    # Sales: Sam and Other; the signed-in person has no department.
    assert "Sales 2 1 50 % 1 1 0 0 0" in page


def test_the_box_shows_fifty_ideas_a_page_newest_first(client, login, person):
    from testbed.ideas import services

    author = person()
    for number in range(51):
        services.submit_idea(f"Idea number {number}", "Text", author=author)
    db.session.commit()
    login("staff", email="reader@example.org")
    first = text_of(client.get("/ideas"))
    assert "Idea number 50" in first and "Idea number 1 " in first
    assert "Idea number 0 " not in first and "Page 1 of 2" in first
    second = text_of(client.get("/ideas?page=2"))
    assert "Idea number 0 " in second and "Idea number 50" not in second
    assert "Any status 51" in first
