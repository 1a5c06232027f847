"""A suggestion's path from proposal to the iteration that adopted it, or its decline."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from testbed.audit import record
from testbed.auth.models import Department, User
from testbed.extensions import db
from testbed.i18n import DEFAULT_LANGUAGE
from testbed.notify import services as notify
from testbed.pilots.models import Iteration, Pilot, pilot_department
from testbed.results.decision import standing
from testbed.results.services import reports_for
from testbed.suggestions.labels import status_words
from testbed.suggestions.models import (
    SUGGESTION_STATUSES,
    Suggestion,
    SuggestionComment,
    SuggestionStep,
    SuggestionVote,
)
from testbed.timeutil import utcnow

# Where a suggestion may go from each status.
TRANSITIONS = {
    "new": ("under_review", "accepted", "declined"),
    "under_review": ("accepted", "declined"),
    "accepted": ("incorporated", "declined"),
    "incorporated": (),
    "declined": ("under_review",),
}
# Statuses still waiting for the pilot team to act on them.
OPEN_STATUSES = ("new", "under_review", "accepted")
MAX_TEXT = 2000


def display_name(user: User) -> str:
    """How a person is named on suggestions and in the activity log."""
    return user.name or user.email


def add_suggestion(
    pilot: Pilot, text: str, *, author: User, department: Department | None
) -> Suggestion:
    """Propose an idea to a pilot's team; it starts as new."""
    text = _required(text, gettext("write the suggestion first"))
    suggestion = Suggestion(
        pilot=pilot,
        text=text,
        status="new",
        # The column keeps 120 characters: a long e-mail address is cut, the id is not.
        author=display_name(author)[:120],
        author_id=author.id,
        department=department,
        proposed_on=utcnow().date(),
    )
    db.session.add(suggestion)
    # A suggestion is part of the pilot (it is exported with it), so the pilot changes.
    pilot.touch()
    db.session.flush()
    record(
        "added",
        "suggestion",
        actor=display_name(author),
        user_id=author.id,
        entity_id=suggestion.id,
        pilot_id=pilot.id,
        summary=_excerpt(text),
    )
    notify.watch_suggestion(author, suggestion, "wrote")
    return suggestion


def move(
    suggestion: Suggestion,
    status: str,
    *,
    actor: str,
    user_id: int | None = None,
    iteration: Iteration | None = None,
    reason: str = "",
) -> None:
    """Change a suggestion's status; raises ValueError when the step is not allowed.

    Incorporating needs the iteration that adopted it, declining a reason.
    Each move is kept as a step of the suggestion's path.
    """
    if status not in TRANSITIONS[suggestion.status]:
        raise ValueError(_refused(suggestion.status, status))
    if status == "incorporated" and iteration is None:
        raise ValueError(gettext("say which iteration adopted the suggestion"))
    if iteration is not None and iteration.pilot_id != suggestion.pilot_id:
        raise ValueError(gettext("the iteration belongs to another pilot"))
    if status == "declined" and not reason.strip():
        raise ValueError(gettext("say why the suggestion is declined"))
    step = SuggestionStep(
        from_status=suggestion.status,
        status=status,
        iteration=iteration if status == "incorporated" else None,
        reason=reason.strip() if status == "declined" else "",
        actor=actor,
        user_id=user_id,
    )
    suggestion.steps.append(step)
    suggestion.status = status
    suggestion.iteration = step.iteration
    suggestion.reason = step.reason or suggestion.reason
    suggestion.pilot.touch()
    db.session.flush()
    # The activity log is kept in English, whoever reads it.
    with force_locale(DEFAULT_LANGUAGE):
        where = describe(status, iteration, step.reason)
    record(
        "moved",
        "suggestion",
        actor=actor,
        user_id=user_id,
        entity_id=suggestion.id,
        pilot_id=suggestion.pilot_id,
        summary=f"{_excerpt(suggestion.text)} to {where}",
    )
    notify.suggestion_moved(suggestion, actor_id=user_id)


def describe(status: str, iteration: Iteration | None = None, reason: str = "") -> str:
    """A status in words: 'incorporated in iteration 2', 'declined: no budget'."""
    if status == "incorporated" and iteration is not None:
        return gettext("incorporated in iteration %(number)s", number=iteration.number)
    if status == "declined" and reason:
        return gettext("declined: %(reason)s", reason=reason)
    return status_words(status)


def _refused(current: str, status: str) -> str:
    """Why a move is refused, naming the moves that are allowed."""
    target = status_words(status)
    allowed = ", ".join(status_words(s) for s in TRANSITIONS[current])
    if not allowed:
        return gettext(
            "a suggestion that is %(status)s can move to nothing: it is final, not to %(target)s",
            status=status_words(current),
            target=target,
        )
    return gettext(
        "a suggestion that is %(status)s can move to %(allowed)s, not to %(target)s",
        status=status_words(current),
        allowed=allowed,
        target=target,
    )


def path_of(suggestion: Suggestion) -> list[dict]:
    """Where a suggestion went, in order: proposed, then each move with who and when."""
    path = [
        {
            "status": "new",
            "what": gettext("proposed"),
            "on": suggestion.proposed,
            "by": suggestion.author,
        }
    ]
    steps = suggestion.steps
    reached = steps[0].from_status if steps else suggestion.status
    if reached != "new":
        # Moves made before it was tracked here: the pilot's file gives only the outcome.
        outcome = (suggestion.iteration, suggestion.reason) if not steps else (None, "")
        path.append(
            {"status": reached, "what": describe(reached, *outcome), "on": None, "by": None}
        )
    path.extend(
        {
            "status": step.status,
            "what": describe(step.status, step.iteration, step.reason),
            "on": step.at.date(),
            "by": step.actor,
        }
        for step in steps
    )
    return path


def add_comment(pilot: Pilot, suggestion: Suggestion, user: User, text: str) -> SuggestionComment:
    """Comment on a suggestion of ``pilot``; raises ValueError for another pilot's."""
    _check_on_pilot(pilot, suggestion)
    comment = SuggestionComment(
        suggestion=suggestion, user=user, text=_required(text, gettext("write a comment first"))
    )
    db.session.add(comment)
    db.session.flush()
    record(
        "commented on",
        "suggestion",
        actor=display_name(user),
        user_id=user.id,
        entity_id=suggestion.id,
        pilot_id=pilot.id,
        summary=f"{_excerpt(suggestion.text, 40)}: {_excerpt(comment.text)}",
    )
    notify.suggestion_commented(suggestion, user, comment.text)
    notify.watch_suggestion(user, suggestion, "commented")
    return comment


def toggle_vote(pilot: Pilot, suggestion: Suggestion, user: User) -> bool:
    """Vote for a suggestion, or withdraw the vote already given; True when it now counts."""
    _check_on_pilot(pilot, suggestion)
    vote = db.session.scalar(
        select(SuggestionVote).where(
            SuggestionVote.suggestion_id == suggestion.id, SuggestionVote.user_id == user.id
        )
    )
    if vote is None:
        db.session.add(SuggestionVote(suggestion=suggestion, user=user))
        notify.watch_suggestion(user, suggestion, "voted")
    else:
        db.session.delete(vote)
    db.session.flush()
    record(
        "voted for" if vote is None else "withdrew a vote for",
        "suggestion",
        actor=display_name(user),
        user_id=user.id,
        entity_id=suggestion.id,
        pilot_id=pilot.id,
        summary=_excerpt(suggestion.text),
    )
    return vote is None


def _check_on_pilot(pilot: Pilot, suggestion: Suggestion) -> None:
    if suggestion.pilot_id != pilot.id:
        raise ValueError(
            gettext(
                "that suggestion belongs to the pilot '%(pilot)s', not to '%(other)s'",
                pilot=suggestion.pilot.name,
                other=pilot.name,
            )
        )


def _required(text: str | None, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValueError(message)
    if len(text) > MAX_TEXT:
        raise ValueError(
            gettext(
                "keep it under %(max)s characters (it has %(length)s)",
                max=MAX_TEXT,
                length=len(text),
            )
        )
    return text


def _excerpt(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= length else text[: length - 1] + '…'}”"


# Reading: the pages and other features' overviews.


def suggestion_counts(pilot_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per pilot: its suggestions by status, with ``total`` and ``open`` (awaiting the team).

    Every requested pilot is in the answer, with zeros when it has no suggestions.
    """
    keys = (*SUGGESTION_STATUSES, "open", "total")
    counts = {pilot_id: dict.fromkeys(keys, 0) for pilot_id in pilot_ids}
    if not counts:
        return counts
    rows = db.session.execute(
        select(Suggestion.pilot_id, Suggestion.status, func.count())
        .where(Suggestion.pilot_id.in_(counts))
        .group_by(Suggestion.pilot_id, Suggestion.status)
    )
    for pilot_id, status, number in rows:
        counts[pilot_id][status] = number
        counts[pilot_id]["total"] += number
        if status in OPEN_STATUSES:
            counts[pilot_id]["open"] += number
    return counts


def pilot_suggestions(pilot: Pilot) -> list[Suggestion]:
    """A pilot's suggestions, newest first."""
    suggestions = db.session.scalars(
        select(Suggestion)
        .where(Suggestion.pilot_id == pilot.id)
        .options(selectinload(Suggestion.department), selectinload(Suggestion.iteration))
    ).all()
    return sorted(suggestions, key=lambda s: (s.proposed, s.id), reverse=True)


def tallies(suggestion_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Votes and comments per suggestion, in two queries."""
    ids = list(suggestion_ids)
    result = {i: {"votes": 0, "comments": 0} for i in ids}
    for key, model in (("votes", SuggestionVote), ("comments", SuggestionComment)):
        rows = db.session.execute(
            select(model.suggestion_id, func.count())
            .where(model.suggestion_id.in_(ids))
            .group_by(model.suggestion_id)
        )
        for suggestion_id, number in rows:
            result[suggestion_id][key] = number
    return result


def voted_by(user: User, suggestion_ids: Iterable[int]) -> set[int]:
    """Which of these suggestions ``user`` has voted for."""
    return set(
        db.session.scalars(
            select(SuggestionVote.suggestion_id).where(
                SuggestionVote.user_id == user.id,
                SuggestionVote.suggestion_id.in_(list(suggestion_ids)),
            )
        )
    )


def comments_on(suggestion: Suggestion) -> list[SuggestionComment]:
    return db.session.scalars(
        select(SuggestionComment)
        .where(SuggestionComment.suggestion_id == suggestion.id)
        .options(selectinload(SuggestionComment.user).selectinload(User.department))
        .order_by(SuggestionComment.created_at, SuggestionComment.id)
    ).all()


def voters_of(suggestion: Suggestion) -> list[User]:
    return db.session.scalars(
        select(User)
        .join(SuggestionVote, SuggestionVote.user_id == User.id)
        .where(SuggestionVote.suggestion_id == suggestion.id)
        .order_by(SuggestionVote.created_at, SuggestionVote.id)
    ).all()


def department_rows() -> list[dict]:
    """Every department with its suggestions, how many were adopted, and pilots it champions."""
    made, adopted = Counter(), Counter()
    rows = db.session.execute(
        select(Suggestion.department_id, Suggestion.status, func.count())
        .where(Suggestion.department_id.is_not(None))
        .group_by(Suggestion.department_id, Suggestion.status)
    )
    for department_id, status, number in rows:
        made[department_id] += number
        if status == "incorporated":
            adopted[department_id] += number
    champions = _championed_pilots()
    return [
        {
            "department": department,
            "suggestions": made[department.id],
            "adopted": adopted[department.id],
            "champions": len(champions[department.id]),
        }
        for department in db.session.scalars(select(Department).order_by(Department.name))
    ]


def _championed_pilots() -> dict[int, set[int]]:
    # A department champions the pilots that involve it or adopted one of its ideas.
    champions: dict[int, set[int]] = defaultdict(set)
    involved = db.session.execute(
        select(pilot_department.c.department_id, pilot_department.c.pilot_id)
    )
    adopted = db.session.execute(
        select(Suggestion.department_id, Suggestion.pilot_id)
        .where(Suggestion.status == "incorporated", Suggestion.department_id.is_not(None))
        .distinct()
    )
    for department_id, pilot_id in [*involved, *adopted]:
        champions[department_id].add(pilot_id)
    return champions


def department_overview(department: Department) -> dict:
    """A department's suggestions across pilots, and the pilots it champions with their decisions.

    A head who champions a pilot sees whether it is worth championing: its
    decision and whether its guardrails hold, from the pilots' kept reports.
    """
    suggestions = db.session.scalars(
        select(Suggestion)
        .where(Suggestion.department_id == department.id)
        .options(selectinload(Suggestion.pilot), selectinload(Suggestion.iteration))
    ).all()
    suggestions = sorted(suggestions, key=lambda s: (s.pilot.name, -s.proposed.toordinal()))
    made = Counter(s.pilot_id for s in suggestions)
    adopted = Counter(s.pilot_id for s in suggestions if s.status == "incorporated")
    involved = set(
        db.session.scalars(
            select(pilot_department.c.pilot_id).where(
                pilot_department.c.department_id == department.id
            )
        )
    )
    pilots = db.session.scalars(
        select(Pilot).where(Pilot.id.in_(involved | set(adopted))).order_by(Pilot.name)
    ).all()
    reports = reports_for(pilots)
    champions = [
        {
            "pilot": pilot,
            "standing": standing(reports[pilot.id]),
            "involved": pilot.id in involved,
            "suggestions": made[pilot.id],
            "adopted": adopted[pilot.id],
            "share": adopted[pilot.id] / made[pilot.id] if made[pilot.id] else None,
        }
        for pilot in pilots
    ]
    total, total_adopted = len(suggestions), sum(adopted.values())
    return {
        "department": department,
        "suggestions": suggestions,
        "champions": champions,
        "total": total,
        "adopted": total_adopted,
        "share": total_adopted / total if total else None,
    }
