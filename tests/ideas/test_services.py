"""The idea box's rules: every move allowed or refused, votes, and the path into a pilot."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from testbed.audit import AuditEvent
from testbed.extensions import db
from testbed.ideas import services
from testbed.ideas.models import IDEA_STATUSES, IdeaVote
from testbed.ideas.services import TRANSITIONS
from testbed.suggestions import services as suggestions
from testbed.suggestions.models import Suggestion
from testbed.timeutil import utcnow

ALLOWED = [(start, end) for start, ends in TRANSITIONS.items() for end in ends]
REFUSED = [
    (start, end)
    for start in IDEA_STATUSES
    for end in IDEA_STATUSES
    if end not in TRANSITIONS[start]
]


def test_an_idea_counts_for_this_months_campaign_and_its_authors_department(give, person):
    author = person("staff", "Sales", name="Sam Staff")
    idea = give(author=author)
    today = utcnow().date()
    assert idea.campaign == f"{today.year:04d}-{today.month:02d}"
    assert (idea.status, idea.department.name, idea.author_id) == ("submitted", "Sales", author.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "idea"))
    assert (event.action, event.entity_id, event.user_id) == ("added", idea.id, author.id)


@pytest.mark.parametrize(
    ("title", "text", "message"),
    [("", "Text", "give the idea a title"), ("Title", "  \n", "describe the idea"),
     ("x" * 201, "Text", "under 200 characters")],
)  # fmt: skip
def test_an_idea_without_its_words_is_refused(person, title, text, message):
    with pytest.raises(ValueError, match=message):
        services.submit_idea(title, text, author=person())


@pytest.mark.parametrize(("start", "end"), ALLOWED)
def test_each_allowed_move_is_made_and_kept_as_a_step(give, person, start, end):
    idea = give()
    idea.status = start
    reviewer = person("innovation", None, name="Ines")
    services.move(idea, end, by=reviewer, reason="Planned already")
    db.session.commit()
    assert idea.status == end
    step = idea.steps[-1]
    assert (step.from_status, step.status, step.actor, step.user_id) == (
        start, end, "Ines", reviewer.id,
    )  # fmt: skip
    assert step.reason == ("Planned already" if end == "declined" else "")


@pytest.mark.parametrize(("start", "end"), REFUSED)
def test_each_other_move_is_refused_and_changes_nothing(give, person, start, end):
    idea = give()
    idea.status = start
    with pytest.raises(ValueError, match="can move to"):
        services.move(idea, end, by=person("innovation", None))
    assert (idea.status, idea.steps) == (start, [])


def test_declining_needs_a_reason_its_author_will_read(give, person):
    idea = give()
    with pytest.raises(ValueError, match="say why"):
        services.move(idea, "declined", by=person("innovation", None), reason="  ")
    assert idea.status == "submitted"


def test_voting_twice_withdraws_the_vote(give, person):
    idea, voter = give(), person("staff", "Operations")
    assert services.toggle_vote(idea, voter) is True
    assert services.vote_counts([idea.id]) == {idea.id: 1}
    assert services.voted_by(voter, [idea.id]) == {idea.id}
    assert services.toggle_vote(idea, voter) is False
    assert db.session.scalar(select(func.count()).select_from(IdeaVote)) == 0


def test_an_idea_given_to_a_pilot_becomes_its_authors_suggestion_and_follows_its_path(
    give, person, loaded_pilot
):
    author = person("staff", "Sales", name="Sam Staff")
    idea, team = give(author=author), person("innovation", None, name="Ines")
    suggestion = services.attach_to_pilot(idea, loaded_pilot, by=team)
    db.session.commit()
    assert (idea.status, idea.pilot_id, idea.suggestion_id) == (
        "piloted",
        loaded_pilot.id,
        suggestion.id,
    )
    assert (suggestion.author_id, suggestion.department.name) == (author.id, "Sales")
    assert suggestion.text.startswith(idea.title)
    for status in ("accepted", "incorporated"):
        suggestions.move(suggestion, status, actor="Ines", iteration=loaded_pilot.iterations[0])
    db.session.commit()
    words = [step["what"] for step in services.path_of(idea)]
    assert words[0] == f"submitted for the {idea.campaign} campaign"
    assert words[1:] == [
        f"taken into a suggestion to {loaded_pilot.name}",
        "suggestion accepted",
        "suggestion incorporated in iteration 1",
    ]


@pytest.mark.parametrize("status", ["declined", "piloted"])
def test_only_an_open_idea_goes_into_a_pilot(give, person, loaded_pilot, status):
    idea = give()
    idea.status = status
    with pytest.raises(ValueError, match="only a submitted idea or one under review"):
        services.attach_to_pilot(idea, loaded_pilot, by=person("innovation", None))
    assert db.session.scalar(select(func.count()).select_from(Suggestion)) == 0


def test_months_back_cross_the_new_year():
    assert services._months_back("2026-02", 4) == ["2026-02", "2026-01", "2025-12", "2025-11"]


def test_a_campaign_is_a_month_written_year_dash_month():
    assert services.campaign_of(datetime(2026, 3, 31).date()) == "2026-03"
    for good in ("2026-01", "1999-12"):
        assert services.is_campaign(good)
    for bad in ("2026-13", "2026-00", "2026-1", "2026-01\n", "26-01", "2026-Q1"):
        assert not services.is_campaign(bad)


def test_the_author_and_the_voters_hear_that_an_idea_moved_and_the_mover_does_not(give, person):
    from testbed.notify.models import Notification

    author, voter = person("staff", "Sales", name="Author"), person("staff", "Sales", name="Voter")
    team = person("innovation", None, name="Ines")
    idea = give(author=author)
    services.toggle_vote(idea, voter)
    services.toggle_vote(idea, team)
    services.move(idea, "declined", by=team, reason="Planned in the billing upgrade")
    db.session.commit()
    told = db.session.scalars(select(Notification)).all()
    assert sorted(n.user_id for n in told) == sorted([author.id, voter.id])
    event = told[0].event
    assert (event.kind, event.link) == ("idea_moved", f"/ideas/{idea.id}")
    assert event.title == f"The idea “{idea.title}” is declined: Planned in the billing upgrade"
