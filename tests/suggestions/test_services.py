"""Suggestion services: proposing, every move allowed or refused, votes, comments, counts."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from testbed.audit import AuditEvent
from testbed.extensions import db
from testbed.suggestions import services
from testbed.suggestions.models import (
    SUGGESTION_STATUSES,
    Suggestion,
    SuggestionComment,
    SuggestionStep,
    SuggestionVote,
)
from testbed.suggestions.services import TRANSITIONS
from testbed.timeutil import utcnow

ALLOWED = [(start, end) for start, ends in TRANSITIONS.items() for end in ends]
REFUSED = [
    (start, end)
    for start in SUGGESTION_STATUSES
    for end in SUGGESTION_STATUSES
    if end not in TRANSITIONS[start]
]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_new_suggestion_names_its_author_and_department_and_changes_the_pilot(pilot, person):
    head = person("department_head", "Sales", name="Sam Sales")
    version = pilot.version
    suggestion = services.add_suggestion(
        pilot, "  Call patients who missed twice.  ", author=head, department=head.department
    )
    db.session.commit()
    assert (suggestion.status, suggestion.text) == ("new", "Call patients who missed twice.")
    assert (suggestion.author, suggestion.author_id) == ("Sam Sales", head.id)
    assert suggestion.department.name == "Sales"
    # The day is kept, so an exported pilot file carries it.
    assert suggestion.proposed_on == utcnow().date()
    assert pilot.version == version + 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "added"))
    assert (event.entity_id, event.pilot_id, event.user_id) == (suggestion.id, pilot.id, head.id)


def test_an_author_without_a_name_is_shown_by_e_mail(pilot, person):
    head = person("department_head", None)
    suggestion = services.add_suggestion(pilot, "An idea", author=head, department=None)
    assert suggestion.author == head.email
    assert suggestion.department is None


@pytest.mark.parametrize("text", ["", "   \n "])
def test_an_empty_suggestion_is_refused(pilot, person, text):
    with pytest.raises(ValueError, match="write the suggestion first"):
        services.add_suggestion(pilot, text, author=person(), department=None)


def test_a_suggestion_longer_than_the_limit_is_refused(pilot, person):
    with pytest.raises(ValueError, match="under 2000 characters"):
        services.add_suggestion(pilot, "x" * 2001, author=person(), department=None)


@pytest.mark.parametrize(("start", "end"), ALLOWED)
def test_every_allowed_move_is_made_and_kept_as_a_step(pilot, suggest, start, end):
    suggestion = suggest(pilot, start)
    version = pilot.version
    services.move(
        suggestion,
        end,
        actor="Ines",
        iteration=pilot.iterations[0] if end == "incorporated" else None,
        reason="No budget this quarter" if end == "declined" else "",
    )
    db.session.commit()
    assert suggestion.status == end
    step = suggestion.steps[-1]
    assert (step.from_status, step.status, step.actor) == (start, end, "Ines")
    assert suggestion.iteration == (pilot.iterations[0] if end == "incorporated" else None)
    assert pilot.version == version + 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "moved"))
    assert event.entity_id == suggestion.id
    assert event.summary.endswith(services.describe(end, suggestion.iteration, suggestion.reason))


@pytest.mark.parametrize(("start", "end"), REFUSED)
def test_every_other_move_is_refused_with_the_moves_that_are_allowed(pilot, suggest, start, end):
    suggestion = suggest(pilot, start)
    allowed = ", ".join(s.replace("_", " ") for s in TRANSITIONS[start]) or "nothing: it is final"
    message = (
        f"a suggestion that is {start.replace('_', ' ')} can move to {allowed}, "
        f"not to {end.replace('_', ' ')}"
    )
    with pytest.raises(ValueError) as refused:
        services.move(
            suggestion, end, actor="Ines", iteration=pilot.iterations[0], reason="because"
        )
    assert str(refused.value) == message
    assert suggestion.status == start
    assert count(SuggestionStep) == 0


def test_incorporating_needs_the_iteration_that_adopted_it(pilot, suggest):
    suggestion = suggest(pilot, "accepted")
    with pytest.raises(ValueError, match="say which iteration adopted the suggestion"):
        services.move(suggestion, "incorporated", actor="Ines")
    assert (suggestion.status, count(SuggestionStep)) == ("accepted", 0)


def test_an_iteration_of_another_pilot_cannot_adopt_it(pilot, other_pilot, suggest):
    suggestion = suggest(pilot, "accepted")
    with pytest.raises(ValueError, match="the iteration belongs to another pilot"):
        services.move(suggestion, "incorporated", actor="Ines", iteration=other_pilot.iterations[0])
    assert (suggestion.status, suggestion.iteration) == ("accepted", None)


@pytest.mark.parametrize("reason", ["", "  "])
def test_declining_needs_a_reason(pilot, suggest, reason):
    suggestion = suggest(pilot, "new")
    with pytest.raises(ValueError, match="say why the suggestion is declined"):
        services.move(suggestion, "declined", actor="Ines", reason=reason)
    assert (suggestion.status, count(SuggestionStep)) == ("new", 0)


def test_the_path_lists_the_proposal_then_every_step_in_order(pilot, suggest):
    suggestion = suggest(pilot)
    services.move(suggestion, "declined", actor="Ines", reason="Too costly")
    services.move(suggestion, "under_review", actor="Ada")
    services.move(suggestion, "accepted", actor="Ines")
    services.move(suggestion, "incorporated", actor="Ines", iteration=pilot.iterations[0])
    path = services.path_of(suggestion)
    assert [(p["what"], p["by"]) for p in path] == [
        ("proposed", "Sam Sales"),
        ("declined: Too costly", "Ines"),
        ("under review", "Ada"),
        ("accepted", "Ines"),
        ("incorporated in iteration 1", "Ines"),
    ]
    # Re-opened, the suggestion keeps the reason it was once declined for.
    assert suggestion.reason == "Too costly"


def test_the_path_of_a_suggestion_from_a_pilot_file_starts_with_its_recorded_status(
    app, write_pilot
):
    from testbed.files.loader import load_path

    folder = write_pilot(
        pilot__toml=(write_pilot().joinpath("pilot.toml").read_text())
        + '\n[[suggestions]]\nauthor = "Dr. Haddad"\ndepartment = "Clinical"\n'
        'text = "Remind in the patient\'s language."\nstatus = "incorporated"\niteration = 1\n'
    )
    load_path(folder)
    db.session.commit()
    suggestion = db.session.scalar(select(Suggestion))
    path = services.path_of(suggestion)
    assert [(p["what"], p["by"]) for p in path] == [
        ("proposed", "Dr. Haddad"),
        ("incorporated in iteration 1", None),
    ]


def test_voting_again_withdraws_the_vote(pilot, suggest, person):
    suggestion = suggest(pilot)
    head, finance = person("department_head"), person("finance", "Finance")
    assert services.toggle_vote(pilot, suggestion, head) is True
    assert services.toggle_vote(pilot, suggestion, finance) is True
    assert services.tallies([suggestion.id])[suggestion.id]["votes"] == 2
    assert services.toggle_vote(pilot, suggestion, head) is False
    db.session.commit()
    assert services.voters_of(suggestion) == [finance]
    assert services.voted_by(head, [suggestion.id]) == set()
    assert services.toggle_vote(pilot, suggestion, head) is True
    assert services.voted_by(head, [suggestion.id]) == {suggestion.id}
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["withdrew a vote for", "voted for"]


def test_a_vote_through_another_pilot_is_refused(pilot, other_pilot, suggest, person):
    suggestion = suggest(pilot)
    with pytest.raises(ValueError, match="belongs to the pilot 'Reminder pilot'"):
        services.toggle_vote(other_pilot, suggestion, person())
    assert count(SuggestionVote) == 0


def test_comments_are_kept_in_order_with_their_author(pilot, suggest, person):
    suggestion = suggest(pilot)
    head, finance = person("department_head"), person("finance", "Finance")
    services.add_comment(pilot, suggestion, head, "Would this work for walk-ins?")
    services.add_comment(pilot, suggestion, finance, " It costs 4 cents a message. ")
    db.session.commit()
    comments = services.comments_on(suggestion)
    assert [(c.user, c.text) for c in comments] == [
        (head, "Would this work for walk-ins?"),
        (finance, "It costs 4 cents a message."),
    ]
    assert services.tallies([suggestion.id])[suggestion.id] == {"votes": 0, "comments": 2}
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "commented on").order_by(AuditEvent.id)
    ).all()
    assert [e.user_id for e in events] == [head.id, finance.id]
    # The log names the suggestion as well as the comment, so it reads on the activity page.
    assert (
        events[0].summary
        == "“Send the reminder two days earlier.”: “Would this work for walk-ins?”"
    )


def test_a_comment_on_a_suggestion_of_another_pilot_is_refused(pilot, other_pilot, suggest, person):
    suggestion = suggest(pilot)
    with pytest.raises(ValueError) as refused:
        services.add_comment(other_pilot, suggestion, person(), "Hello")
    assert str(refused.value) == (
        "that suggestion belongs to the pilot 'Reminder pilot', not to 'Other pilot'"
    )
    assert count(SuggestionComment) == 0


def test_an_empty_comment_is_refused(pilot, suggest, person):
    with pytest.raises(ValueError, match="write a comment first"):
        services.add_comment(pilot, suggest(pilot), person(), " ")


def test_suggestion_counts_cover_every_requested_pilot(pilot, other_pilot, suggest):
    for status in ("new", "new", "accepted", "incorporated", "declined"):
        suggest(pilot, status)
    counts = services.suggestion_counts([pilot.id, other_pilot.id])
    assert counts[pilot.id] == {
        "new": 2,
        "under_review": 0,
        "accepted": 1,
        "incorporated": 1,
        "declined": 1,
        "open": 3,
        "total": 5,
    }
    assert counts[other_pilot.id]["total"] == 0
    assert services.suggestion_counts([]) == {}


def test_a_department_champions_the_pilots_it_is_involved_in_or_that_adopted_its_ideas(
    pilot, other_pilot, suggest
):
    # The minimal pilot involves Operations and Finance; Sales suggests to both pilots.
    suggest(pilot, "incorporated")
    suggest(pilot, "declined")
    suggest(other_pilot, "new")
    rows = {row["department"].name: row for row in services.department_rows()}
    assert (rows["Sales"]["suggestions"], rows["Sales"]["adopted"]) == (3, 1)
    assert rows["Sales"]["champions"] == 1
    assert (rows["Operations"]["suggestions"], rows["Operations"]["champions"]) == (0, 1)

    overview = services.department_overview(rows["Sales"]["department"])
    assert [(c["pilot"].slug, c["involved"], c["adopted"]) for c in overview["champions"]] == [
        (pilot.slug, False, 1)
    ]
    assert overview["champions"][0]["share"] == pytest.approx(0.5)
    assert (overview["total"], overview["adopted"]) == (3, 1)
    assert overview["share"] == pytest.approx(1 / 3)
    assert [s.pilot.name for s in overview["suggestions"]] == [
        "Other pilot",
        "Reminder pilot",
        "Reminder pilot",
    ]


def test_an_involved_department_without_suggestions_has_no_share(pilot):
    operations = pilot.departments[-1]
    overview = services.department_overview(operations)
    assert operations.name == "Operations"
    assert [(c["involved"], c["suggestions"], c["share"]) for c in overview["champions"]] == [
        (True, 0, None)
    ]
    assert overview["share"] is None


def test_removing_a_suggestion_removes_its_steps_votes_and_comments(pilot, suggest, person):
    # The loader replaces a folder's suggestions with one DELETE; the database must follow.
    suggestion = suggest(pilot)
    head = person()
    services.toggle_vote(pilot, suggestion, head)
    services.add_comment(pilot, suggestion, head, "Good idea")
    services.move(suggestion, "accepted", actor="Ines")
    db.session.commit()
    db.session.execute(delete(Suggestion))
    db.session.commit()
    assert [count(m) for m in (SuggestionStep, SuggestionVote, SuggestionComment)] == [0, 0, 0]
