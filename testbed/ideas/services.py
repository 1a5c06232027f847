"""An idea's path from anyone's idea box to a pilot, and each month's campaign in figures."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date

from flask import abort
from flask_babel import gettext
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from testbed.audit import record
from testbed.auth.models import Department, User
from testbed.extensions import db
from testbed.ideas.labels import status_words
from testbed.ideas.models import IDEA_STATUS_LABELS, IDEA_STATUSES, Idea, IdeaStep, IdeaVote
from testbed.notify import services as notify
from testbed.pilots.models import Pilot
from testbed.suggestions import services as suggestions
from testbed.timeutil import utcnow

MAX_TITLE = 200
MAX_TEXT = suggestions.MAX_TEXT
# The moves a person makes on the idea page. "piloted" is reached only by attaching the
# idea to a pilot or starting a pilot from it, so that it always says which pilot.
TRANSITIONS = {
    "submitted": ("under_review", "declined"),
    "under_review": ("declined",),
    "declined": ("under_review",),
    "piloted": (),
}
# Ideas that the innovation team may still take into a pilot.
OPEN_STATUSES = ("submitted", "under_review")
CAMPAIGNS_SHOWN = 6
PAGE_SIZE = 50
CAMPAIGN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def campaign_of(day: date) -> str:
    """The monthly campaign a day belongs to, written 2026-03."""
    return f"{day.year:04d}-{day.month:02d}"


def is_campaign(text: str) -> bool:
    return CAMPAIGN.fullmatch(text) is not None


def current_campaign() -> str:
    return campaign_of(utcnow().date())


def submit_idea(title: str, text: str, *, author: User) -> Idea:
    """Put an idea in the box for this month's campaign, for the author's department."""
    idea = Idea(
        title=_required(title, gettext("give the idea a title"), MAX_TITLE),
        text=_required(text, gettext("describe the idea"), MAX_TEXT),
        author=author,
        department_id=author.department_id,
        campaign=current_campaign(),
        status="submitted",
    )
    db.session.add(idea)
    db.session.flush()
    _record(idea, "added", author, f"“{idea.title}” for {idea.campaign}")
    return idea


def move(idea: Idea, status: str, *, by: User, reason: str = "") -> None:
    """Review or decline an idea (declining needs a reason); ValueError for another move."""
    allowed = TRANSITIONS[idea.status]
    if status not in allowed:
        if not allowed:
            raise ValueError(
                gettext(
                    "an idea that is %(status)s can move to nothing, not to %(wanted)s",
                    status=status_words(idea.status),
                    wanted=status_words(status),
                )
            )
        raise ValueError(
            gettext(
                "an idea that is %(status)s can move to %(allowed)s, not to %(wanted)s",
                status=status_words(idea.status),
                allowed=", ".join(status_words(s) for s in allowed),
                wanted=status_words(status),
            )
        )
    if status == "declined" and not reason.strip():
        raise ValueError(gettext("say why the idea is declined: its author reads this"))
    _step(idea, status, by, reason.strip() if status == "declined" else "")


def attach_to_pilot(idea: Idea, pilot: Pilot, *, by: User):
    """Give an open idea to an existing pilot as a suggestion, written by the idea's author.

    The suggestion then follows the pilot's own path (reviewed, accepted, adopted by an
    iteration) and its author hears of each move as any suggestion's author does.
    """
    _check_open(idea)
    suggestion = suggestions.add_suggestion(
        pilot, f"{idea.title}\n\n{idea.text}", author=idea.author, department=idea.department
    )
    idea.suggestion = suggestion
    idea.pilot = pilot
    _step(idea, "piloted", by, "")
    return suggestion


def started_pilot(idea: Idea, pilot: Pilot, *, by: User) -> None:
    """Record that ``pilot`` was started from the idea."""
    _check_open(idea)
    idea.pilot = pilot
    _step(idea, "piloted", by, "")


def toggle_vote(idea: Idea, user: User) -> bool:
    """Vote for an idea, or withdraw the vote given; True when it now counts."""
    vote = db.session.scalar(
        select(IdeaVote).where(IdeaVote.idea_id == idea.id, IdeaVote.user_id == user.id)
    )
    if vote is None:
        db.session.add(IdeaVote(idea_id=idea.id, user_id=user.id))
    else:
        db.session.delete(vote)
    db.session.flush()
    _record(idea, "voted for" if vote is None else "withdrew a vote for", user, idea.title)
    return vote is None


def _check_open(idea: Idea) -> None:
    if idea.status not in OPEN_STATUSES:
        raise ValueError(
            gettext(
                "only a submitted idea or one under review goes into a pilot; "
                "this one is %(status)s",
                status=status_words(idea.status),
            )
        )


def _step(idea: Idea, status: str, by: User, reason: str) -> None:
    idea.steps.append(
        IdeaStep(
            from_status=idea.status,
            status=status,
            reason=reason,
            actor=suggestions.display_name(by),
            user_id=by.id,
        )
    )
    idea.status = status
    idea.reason = reason or idea.reason
    db.session.flush()
    where = f" into {idea.pilot.name}" if status == "piloted" else ""
    _record(idea, "moved", by, f"“{idea.title}” to {IDEA_STATUS_LABELS[status].lower()}{where}")
    _tell_followers(idea, by)


def _tell_followers(idea: Idea, by: User) -> None:
    """The author and the voters hear that the idea moved (the one who moved it does not)."""
    voters = select(User).join(IdeaVote, IdeaVote.user_id == User.id)
    followers = [idea.author, *db.session.scalars(voters.where(IdeaVote.idea_id == idea.id))]
    # Recorded in English with its facts, so each reader reads it in their own language.
    notify.idea_moved(idea, followers, actor=by)


def _record(idea: Idea, action: str, by: User, summary: str) -> None:
    record(
        action,
        "idea",
        actor=suggestions.display_name(by),
        user_id=by.id,
        entity_id=idea.id,
        pilot_id=idea.pilot_id,
        summary=summary,
    )


def _required(text: str | None, message: str, limit: int) -> str:
    text = (text or "").strip()
    if not text:
        raise ValueError(message)
    if len(text) > limit:
        raise ValueError(
            gettext(
                "keep it under %(limit)s characters (it has %(count)s)",
                limit=limit,
                count=len(text),
            )
        )
    return text


# Reading ------------------------------------------------------------------------------------


def idea_or_404(idea_id: int, *, lock: bool = False) -> Idea:
    """The idea; with ``lock``, its row held until commit, so two decisions on one idea
    (or two clicks of one vote) are made one after the other."""
    statement = select(Idea).where(Idea.id == idea_id)
    if lock:
        statement = statement.with_for_update()
    idea = db.session.scalar(statement)
    if idea is None:
        abort(404)
    return idea


def _filtered(statement, campaign: str | None, status: str | None):
    if campaign:
        statement = statement.where(Idea.campaign == campaign)
    if status:
        statement = statement.where(Idea.status == status)
    return statement


def ideas_in(
    campaign: str | None = None, status: str | None = None, *, page: int = 1
) -> tuple[list[Idea], int]:
    """One page of ideas, newest first, narrowed to a campaign and a status when given,
    and how many pages there are."""
    total = db.session.scalar(_filtered(select(func.count(Idea.id)), campaign, status))
    statement = _filtered(
        select(Idea)
        .options(selectinload(Idea.author), selectinload(Idea.department))
        .order_by(Idea.created_at.desc(), Idea.id.desc()),
        campaign,
        status,
    )
    ideas = db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return list(ideas), max(1, -(-total // PAGE_SIZE))


def status_counts(campaign: str | None = None) -> dict[str, int]:
    counts = dict(
        db.session.execute(
            _filtered(select(Idea.status, func.count()), campaign, None).group_by(Idea.status)
        ).all()
    )
    return {status: counts.get(status, 0) for status in IDEA_STATUSES}


def vote_counts(idea_ids: Iterable[int]) -> dict[int, int]:
    ids = list(idea_ids)
    counts = db.session.execute(
        select(IdeaVote.idea_id, func.count())
        .where(IdeaVote.idea_id.in_(ids))
        .group_by(IdeaVote.idea_id)
    )
    return {idea_id: 0 for idea_id in ids} | dict(counts.all())


def voted_by(user: User, idea_ids: Iterable[int]) -> set[int]:
    return set(
        db.session.scalars(
            select(IdeaVote.idea_id).where(
                IdeaVote.user_id == user.id, IdeaVote.idea_id.in_(list(idea_ids))
            )
        )
    )


def path_of(idea: Idea) -> list[dict]:
    """Where an idea went: submitted, each move, then the suggestion's own path on the pilot."""
    path = [
        {
            "status": "submitted",
            "what": gettext("submitted for the %(campaign)s campaign", campaign=idea.campaign),
            "on": idea.created_at.date(),
            "by": suggestions.display_name(idea.author),
        }
    ]
    for step in idea.steps:
        what = status_words(step.status)
        if step.status == "piloted" and idea.pilot is not None:
            if idea.suggestion is not None:
                what = gettext("taken into a suggestion to %(pilot)s", pilot=idea.pilot.name)
            else:
                what = gettext("taken into a new pilot: %(pilot)s", pilot=idea.pilot.name)
        elif step.reason:
            what = gettext("%(status)s: %(reason)s", status=what, reason=step.reason)
        path.append({"status": step.status, "what": what, "on": step.at.date(), "by": step.actor})
    if idea.suggestion is not None:
        # The steps the suggestion took on the pilot, after it was proposed there.
        path.extend(
            {**entry, "what": gettext("suggestion %(step)s", step=entry["what"])}
            for entry in suggestions.path_of(idea.suggestion)[1:]
        )
    return path


def campaigns() -> list[str]:
    """The months that have ideas, newest first, with the current month always there."""
    months = set(db.session.scalars(select(Idea.campaign).distinct())) | {current_campaign()}
    return sorted(months, reverse=True)


def campaign_report(campaign: str) -> dict:
    """Per department: its people, how many of them gave an idea in ``campaign``, and the
    ideas by status. People are the active accounts of the department today; an idea counts
    for the department its author was in when writing it."""
    rows = {department.id: _row(department.name) for department in _departments()}
    rows[None] = _row(gettext("No department"))
    people = select(User.department_id, func.count()).where(User.active)
    for department_id, count in db.session.execute(people.group_by(User.department_id)):
        rows[department_id]["people"] = count
    of_month = Idea.campaign == campaign
    by_status = select(Idea.department_id, Idea.status, func.count()).where(of_month)
    for department_id, status, count in db.session.execute(
        by_status.group_by(Idea.department_id, Idea.status)
    ):
        rows[department_id]["ideas"] += count
        rows[department_id]["statuses"][status] += count
    authors = select(Idea.department_id, func.count(distinct(Idea.author_id))).where(of_month)
    for department_id, count in db.session.execute(authors.group_by(Idea.department_id)):
        rows[department_id]["contributors"] = count
    # One person who moved department within the month is one contributor to the company.
    everyone = db.session.scalar(select(func.count(distinct(Idea.author_id))).where(of_month))
    shown = [row for row in rows.values() if row["people"] or row["ideas"]]
    return {"campaign": campaign, "rows": shown, "company": _company(shown, everyone)}


def campaign_trend(count: int = CAMPAIGNS_SHOWN) -> list[dict]:
    """The company's share of contributors for the last ``count`` campaigns, newest first:
    one grouped query, counted as ``campaign_report`` counts the company's row."""
    months = _months_back(current_campaign(), count)
    people = db.session.scalar(select(func.count()).select_from(User).where(User.active))
    figures = {
        campaign: (contributors, ideas, piloted)
        for campaign, contributors, ideas, piloted in db.session.execute(
            select(
                Idea.campaign,
                func.count(distinct(Idea.author_id)),
                func.count(),
                func.count().filter(Idea.status == "piloted"),
            )
            .where(Idea.campaign.in_(months))
            .group_by(Idea.campaign)
        )
    }
    trend = []
    for month in months:
        contributors, ideas, piloted = figures.get(month, (0, 0, 0))
        share = contributors / people if people else None
        trend.append(
            {"campaign": month, "contributors": contributors, "share": share,
             "ideas": ideas, "piloted": piloted}
        )  # fmt: skip
    return trend


def _months_back(campaign: str, count: int) -> list[str]:
    year, month = (int(part) for part in campaign.split("-"))
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def _row(name: str) -> dict:
    return {"department": name, "people": 0, "contributors": 0, "ideas": 0, "statuses": Counter()}


def _company(rows: list[dict], contributors: int) -> dict:
    company = _row(gettext("Whole company"))
    for row in rows:
        company["people"] += row["people"]
        company["ideas"] += row["ideas"]
        company["statuses"].update(row["statuses"])
    company["contributors"] = contributors
    for row in [*rows, company]:
        row["share"] = row["contributors"] / row["people"] if row["people"] else None
    return company
