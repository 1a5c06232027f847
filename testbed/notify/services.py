"""Watching, and recording events for the people they concern (services flush, callers commit).

An event is recorded in the transaction of the change that causes it: the suggestion
moved, the comment written, the data stored. Each person it concerns gets a
notification in their inbox unless they chose not to hear of that kind; an e-mail to
send at once, or a webhook call, waits in the outbox for ``testbed notify send``.
Nobody hears of a pilot they may not read, and nobody of their own action.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from statistics import median
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from testbed.auth.access import can
from testbed.auth.models import User
from testbed.extensions import db
from testbed.notify.models import (
    EVENT_KINDS,
    MODES,
    Notification,
    NotificationEvent,
    OutboxMessage,
    PilotWatch,
    Preference,
    SuggestionWatch,
    Webhook,
)
from testbed.notify.texts import WORDS, in_english
from testbed.pilots.models import Iteration, Pilot
from testbed.store.models import ImportBatch
from testbed.suggestions.models import Suggestion
from testbed.timeutil import utcnow

if TYPE_CHECKING:
    from testbed.ideas.models import Idea  # the ideas import this module

# Data "stop arriving" once the time since the last batch exceeds this many of the
# pilot's usual gaps between batches (and at least a day).
STOPPED_AFTER_GAPS = 1.5
BATCHES_FOR_A_CADENCE = 3


def path_for(endpoint: str, **values) -> str:
    """The path of a page, outside any request (the CLI records events too)."""
    anchor = values.pop("_anchor", None)
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return f"{path}#{anchor}" if anchor else path


# Watching ---------------------------------------------------------------------------


def is_watching(user: User, pilot: Pilot) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(PilotWatch.user_id == user.id, PilotWatch.pilot_id == pilot.id))
        )
    )


def watch_pilot(user: User, pilot: Pilot, reason: str = "chosen") -> bool:
    """Start watching ``pilot``; False when ``user`` watched it already."""
    if is_watching(user, pilot):
        return False
    db.session.add(PilotWatch(user_id=user.id, pilot_id=pilot.id, reason=reason))
    db.session.flush()
    return True


def unwatch_pilot(user: User, pilot: Pilot) -> bool:
    """Stop watching ``pilot``; False when ``user`` did not watch it."""
    watch = db.session.get(PilotWatch, (user.id, pilot.id))
    if watch is None:
        return False
    db.session.delete(watch)
    db.session.flush()
    return True


def watched_pilots(user: User) -> list[Pilot]:
    return list(
        db.session.scalars(
            select(Pilot)
            .join(PilotWatch, PilotWatch.pilot_id == Pilot.id)
            .where(PilotWatch.user_id == user.id)
            .order_by(Pilot.name, Pilot.id)
        )
    )


def watch_suggestion(user: User, suggestion: Suggestion, reason: str) -> None:
    """Follow a suggestion one wrote, voted on or commented on (once; the first reason stays)."""
    if user is None or suggestion.id is None:
        return
    if db.session.get(SuggestionWatch, (user.id, suggestion.id)) is None:
        db.session.add(SuggestionWatch(user_id=user.id, suggestion_id=suggestion.id, reason=reason))
        db.session.flush()


# Who hears of what ------------------------------------------------------------------


def readers(people: Iterable[User], *, besides: int | None = None) -> list[User]:
    """Those of ``people`` who are active and may read pilots, once each, without ``besides``.

    The permission check decides, not a list of roles, so a role that may read pilots
    hears of them and one that may not never does.
    """
    chosen: dict[int, User] = {}
    for person in people:
        if person is None or person.id == besides or person.id in chosen:
            continue
        if person.active and can("pilot.view", person):
            chosen[person.id] = person
    return sorted(chosen.values(), key=lambda person: person.id)


def pilot_watchers(pilot: Pilot) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(PilotWatch, PilotWatch.user_id == User.id)
            .where(PilotWatch.pilot_id == pilot.id)
        )
    )


def finance_people() -> list[User]:
    """Finance, who act when a verdict changes."""
    return list(db.session.scalars(select(User).where(User.role == "finance")))


def suggestion_followers(suggestion: Suggestion) -> list[User]:
    """Its author, voters and commenters (who follow it), and the author's department head."""
    followers = list(
        db.session.scalars(
            select(User)
            .join(SuggestionWatch, SuggestionWatch.user_id == User.id)
            .where(SuggestionWatch.suggestion_id == suggestion.id)
        )
    )
    departments = {suggestion.department_id}
    if suggestion.author_user is not None:
        departments.add(suggestion.author_user.department_id)
    departments.discard(None)
    if departments:
        followers += db.session.scalars(
            select(User).where(User.role == "department_head", User.department_id.in_(departments))
        )
    return followers


def modes_for(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each person's mode for ``kind``: their choice, else the kind's default."""
    ids = list(user_ids)
    chosen = dict(
        db.session.execute(
            select(Preference.user_id, Preference.mode).where(
                Preference.kind == kind, Preference.user_id.in_(ids)
            )
        ).all()
    )
    default = EVENT_KINDS[kind][1]
    return {user_id: chosen.get(user_id, default) for user_id in ids}


def preferences_of(user: User) -> dict[str, str]:
    """Every kind of event with the mode ``user`` hears of it in."""
    chosen = dict(
        db.session.execute(
            select(Preference.kind, Preference.mode).where(Preference.user_id == user.id)
        ).all()
    )
    return {kind: chosen.get(kind, default) for kind, (_, default) in EVENT_KINDS.items()}


def set_preference(user: User, kind: str, mode: str) -> bool:
    """Hear of ``kind`` in ``mode``; True when that changed something."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"there is no kind of event '{kind}'")
    if mode not in MODES:
        raise ValueError(f"choose one of {', '.join(MODES)}, not '{mode}'")
    preference = db.session.scalar(
        select(Preference).where(Preference.user_id == user.id, Preference.kind == kind)
    )
    before = preference.mode if preference else EVENT_KINDS[kind][1]
    if preference is None:
        preference = Preference(user_id=user.id, kind=kind, mode=mode)
        db.session.add(preference)
    preference.mode = mode
    db.session.flush()
    return before != mode


# Recording events -------------------------------------------------------------------


def record_event(
    kind: str,
    *,
    pilot: Pilot | None,
    title: str,
    link: str,
    recipients: Iterable[User],
    summary: str = "",
    actor: User | int | None = None,
    suggestion: Suggestion | None = None,
    episode: str | None = None,
    payload: dict | None = None,
    words: dict | None = None,
) -> NotificationEvent:
    """Record one event, notify each reader among ``recipients`` (never the actor), and queue
    its e-mails and webhook calls, all in the caller's transaction.

    ``words`` are the facts ``testbed.notify.texts`` says the event from in each reader's
    language; without them, everyone reads ``title`` and ``summary`` as given.
    """
    actor_id = actor.id if isinstance(actor, User) else actor
    event = NotificationEvent(
        kind=kind,
        pilot_id=pilot.id if pilot is not None else None,
        suggestion_id=suggestion.id if suggestion is not None else None,
        actor_id=actor_id,
        title=title[:300],
        summary=summary,
        link=link,
        episode=episode,
        payload={**(payload or {}), **({WORDS: words} if words else {})},
    )
    db.session.add(event)
    db.session.flush()
    people = readers(recipients, besides=actor_id)
    modes = modes_for([person.id for person in people], kind)
    for person in people:
        mode = modes[person.id]
        if mode == "none":
            continue
        db.session.add(Notification(event_id=event.id, user_id=person.id, mode=mode))
        if mode == "immediate":
            db.session.add(OutboxMessage(channel="email", user_id=person.id, event_id=event.id))
    for webhook in db.session.scalars(select(Webhook).where(Webhook.active.is_(True))):
        if kind in webhook.kinds:
            db.session.add(
                OutboxMessage(channel="webhook", webhook_id=webhook.id, event_id=event.id)
            )
    db.session.flush()
    return event


def record_said(kind: str, words: dict, **fields) -> NotificationEvent:
    """Record an event whose title and summary are said from ``words`` (in English here)."""
    title, summary = in_english(kind, words)
    return record_event(kind, title=title, summary=summary, words=words, **fields)


def suggestion_moved(suggestion: Suggestion, *, actor_id: int | None) -> NotificationEvent:
    """A suggestion changed status (adopted by an iteration, or any other step)."""
    pilot = suggestion.pilot
    adopted = suggestion.status == "incorporated"
    iteration = suggestion.iteration
    return record_said(
        "suggestion_adopted" if adopted else "suggestion_status",
        {
            "pilot": pilot.name,
            "status": suggestion.status,
            "iteration": iteration.number if iteration is not None else None,
            "reason": suggestion.reason,
            "text": _excerpt(suggestion.text),
        },
        pilot=pilot,
        suggestion=suggestion,
        link=path_for("suggestions.suggestion", suggestion_id=suggestion.id),
        recipients=suggestion_followers(suggestion),
        actor=actor_id,
        payload={"suggestion": suggestion.id, "status": suggestion.status},
    )


def suggestion_commented(suggestion: Suggestion, commenter: User, text: str) -> NotificationEvent:
    pilot = suggestion.pilot
    return record_said(
        "suggestion_comment",
        {
            "pilot": pilot.name,
            "who": commenter.name or commenter.email,
            "suggestion": _excerpt(suggestion.text, 60),
            "comment": _excerpt(text),
        },
        pilot=pilot,
        suggestion=suggestion,
        link=path_for("suggestions.suggestion", suggestion_id=suggestion.id, _anchor="comments"),
        recipients=suggestion_followers(suggestion),
        actor=commenter,
        payload={"suggestion": suggestion.id},
    )


def pilot_status_changed(pilot: Pilot, before: str, *, actor: User | int | None) -> None:
    """Tell the pilot's watchers that it moved (nothing when the status stayed)."""
    if before == pilot.status or pilot.id is None:
        return
    record_said(
        "pilot_status",
        {"pilot": pilot.name, "from": before, "to": pilot.status},
        pilot=pilot,
        link=path_for("pilots.pilot", slug=pilot.slug),
        recipients=pilot_watchers(pilot),
        actor=actor,
        payload={"from": before, "to": pilot.status},
    )


def idea_moved(idea: Idea, recipients: Iterable[User], *, actor: User) -> NotificationEvent:
    """An idea was reviewed, declined or taken into a pilot (``testbed.ideas`` tells whom)."""
    return record_said(
        "idea_moved",
        {
            "idea": idea.title,
            "status": idea.status,
            "pilot": idea.pilot.name if idea.pilot is not None else None,
            "reason": idea.reason,
            "text": _excerpt(idea.text),
        },
        pilot=idea.pilot,
        link=path_for("ideas.idea", idea_id=idea.id),
        recipients=recipients,
        actor=actor,
        payload={"idea": idea.id, "status": idea.status},
    )


def _excerpt(text: str, length: int = 120) -> str:
    """The text on one line, cut to ``length`` characters (texts quote it as they show it)."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


# Outcomes before and after new data -------------------------------------------------


def outcomes_of(report: dict) -> dict:
    """What watchers care about in a report: each hypothesis' outcome, the decision, the SRM."""
    from testbed.results.verdicts import outcome

    return {
        "hypotheses": {r["hypothesis"]: outcome(r) for r in report["results"]},
        "roles": {r["hypothesis"]: r["role"] for r in report["results"]},
        "decision": report["decision"]["recommendation"],
        "rule": report["decision"]["rule"],
        "mismatch": bool((report.get("sample_ratio") or {}).get("mismatch")),
    }


@contextmanager
def watching_outcomes(pilot: Pilot | None, *, actor: User | int | None = None) -> Iterator[None]:
    """Around a change of a pilot's data: notify its watchers of the outcomes it changed.

    Every path by which data arrive wraps its change in this (the upload, the API pushes,
    ``testbed load``). Before, the pilot's report is read as the pages keep it (usually
    in memory or the store, so it costs a lookup at most), else computed; after, it is
    computed once from the data in the transaction, and kept in memory for the pages
    only once they are committed (it is not stored for other processes: storing would
    wait for the lock this transaction holds). A
    verdict or the decision that moved, a guardrail newly breached, or a sample-ratio
    mismatch newly found is recorded as an event in the same transaction. A change that
    raises leaves nothing.
    """
    from testbed.results.services import analyse_pilot, analyse_uncommitted, kept_report

    if pilot is None or pilot.id is None:
        yield
        return
    before = outcomes_of(kept_report(pilot) or analyse_pilot(pilot))
    yield
    db.session.flush()  # the pilot's version is the one the transaction commits
    after = outcomes_of(analyse_uncommitted(pilot))
    record_outcome_changes(pilot, before, after, actor=actor)


def record_outcome_changes(pilot: Pilot, before: dict, after: dict, *, actor=None) -> None:
    link = path_for("results.results", slug=pilot.slug)
    watchers = pilot_watchers(pilot)
    was, now = before["hypotheses"], after["hypotheses"]
    breached = [
        key
        for key, found in now.items()
        if after["roles"][key] == "guardrail" and found == "breached" and was.get(key) != "breached"
    ]
    moved = [
        key
        for key, found in now.items()
        if found != was.get(key, "pending") and key not in breached
    ]
    if breached:
        record_said(
            "guardrail_breached",
            {
                "pilot": pilot.name,
                "guardrails": breached,
                "was": {key: was.get(key, "pending") for key in breached},
            },
            pilot=pilot,
            link=link,
            recipients=watchers,
            actor=actor,
            payload={"guardrails": breached},
        )
    if after["mismatch"] and not before["mismatch"]:
        record_said(
            "sample_ratio_mismatch",
            {"pilot": pilot.name},
            pilot=pilot,
            link=link,
            recipients=watchers,
            actor=actor,
        )
    decided = after["decision"] != before["decision"]
    if moved or decided:
        record_said(
            "verdict_changed",
            {
                "pilot": pilot.name,
                "moved": [[key, was.get(key, "pending"), now[key]] for key in moved],
                "decision": [before["decision"], after["decision"]] if decided else None,
                "rule": after["rule"],
            },
            pilot=pilot,
            link=link,
            recipients=[*watchers, *finance_people()],
            actor=actor,
            payload={
                "hypotheses": {
                    key: {"from": was.get(key, "pending"), "to": now[key]} for key in moved
                },
                "decision": {"from": before["decision"], "to": after["decision"]},
            },
        )


# Periodic findings ------------------------------------------------------------------


def scan(now: datetime | None = None) -> list[NotificationEvent]:
    """Find what no change announces: data that stopped arriving, iterations overdue.

    Each finding names its episode (the last batch before the silence, the iteration and
    its end date), and an episode is recorded once, however often the scan runs.
    """
    now = now or utcnow()
    found = []
    pilots = db.session.scalars(select(Pilot).where(Pilot.status == "active").order_by(Pilot.id))
    for pilot in pilots:
        for finding in (_data_stopped(pilot, now), _iteration_overdue(pilot, now)):
            if finding is not None:
                event = _record_episode(finding)
                if event is not None:
                    found.append(event)
    return found


def _data_stopped(pilot: Pilot, now: datetime) -> dict | None:
    times = list(
        db.session.execute(
            select(ImportBatch.id, ImportBatch.created_at)
            .where(ImportBatch.pilot_id == pilot.id)
            .order_by(ImportBatch.created_at, ImportBatch.id)
        ).all()
    )
    if len(times) < BATCHES_FOR_A_CADENCE:
        return None
    gaps = [(b[1] - a[1]).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    usual = timedelta(seconds=median(gaps))
    last_id, last_at = times[-1]
    allowed = max(usual * STOPPED_AFTER_GAPS, timedelta(days=1))
    if now - last_at <= allowed:
        return None
    return {
        "kind": "data_stopped",
        "pilot": pilot,
        "episode": f"data_stopped:{pilot.id}:{last_id}",
        "words": {
            "pilot": pilot.name,
            "days": (now - last_at).days,
            "last": last_at.date().isoformat(),
            "usual_hours": usual.total_seconds() / 3600,
        },
        "link": path_for("pilots.pilot", slug=pilot.slug),
    }


def _iteration_overdue(pilot: Pilot, now: datetime) -> dict | None:
    iteration = db.session.scalar(
        select(Iteration)
        .where(Iteration.pilot_id == pilot.id)
        .order_by(Iteration.number.desc())
        .limit(1)
    )
    if iteration is None or iteration.end_date is None or iteration.end_date >= now.date():
        return None
    return {
        "kind": "iteration_overdue",
        "pilot": pilot,
        "episode": f"iteration_overdue:{iteration.id}:{iteration.end_date.isoformat()}",
        "words": {
            "pilot": pilot.name,
            "number": iteration.number,
            "end": iteration.end_date.isoformat(),
        },
        "link": path_for("pilots.pilot", slug=pilot.slug, _anchor="iterations"),
    }


def _record_episode(finding: dict) -> NotificationEvent | None:
    episode = finding["episode"]
    if db.session.scalar(select(exists().where(NotificationEvent.episode == episode))):
        return None
    pilot = finding["pilot"]
    try:
        with db.session.begin_nested():
            return record_said(
                finding["kind"],
                finding["words"],
                pilot=pilot,
                link=finding["link"],
                recipients=pilot_watchers(pilot),
                episode=episode,
            )
    except IntegrityError:
        return None  # another scan recorded this episode at the same moment


# The inbox --------------------------------------------------------------------------


def inbox(user: User, *, unread_only: bool = False, limit: int = 200) -> list[Notification]:
    query = (
        select(Notification)
        .join(NotificationEvent)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query))


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def own_notification(user: User, notification_id: int) -> Notification | None:
    """The notification of that id if it is ``user``'s; anyone else's is as good as absent."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount
