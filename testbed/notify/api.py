"""The API of one's own notifications and watches, under /api/v1."""

from __future__ import annotations

from flask_babel import gettext
from pydantic import Field
from sqlalchemy import select

from testbed.api.endpoint import ApiError, Reply, api_user, endpoint, paginate
from testbed.api.schemas import Answer, Moment, Page, PageQuery, one_of
from testbed.extensions import db
from testbed.notify import services
from testbed.notify.models import EVENT_KINDS, WATCH_REASONS, Notification, PilotWatch
from testbed.notify.texts import said
from testbed.pilots.models import Pilot


class NotificationOut(Answer):
    id: int
    kind: one_of(tuple(EVENT_KINDS))
    title: str
    summary: str
    link: str = Field(description="The page it is about, as a path of this app.")
    pilot: str | None = Field(description="The slug of the pilot it is about.")
    created_at: Moment
    read_at: Moment | None


class NotificationPage(Page[NotificationOut]):
    """A page of your notifications, newest first."""


class NotificationQuery(PageQuery):
    unread: bool = Field(False, description="Only the notifications not read yet.")


class MarkedRead(Answer):
    marked: int = Field(description="How many notifications were unread and are read now.")


class WatchOut(Answer):
    pilot: str = Field(description="The slug of the pilot watched.")
    reason: one_of(WATCH_REASONS)
    created_at: Moment
    watching: bool = Field(description="False in the answer to removing a watch.")


class WatchPage(Page[WatchOut]):
    """A page of the pilots you watch."""


def notification_out(notification: Notification) -> NotificationOut:
    event = notification.event
    title, summary = said(event)  # in the request's language, like the API's other messages
    return NotificationOut(
        id=notification.id,
        kind=event.kind,
        title=title,
        summary=summary,
        link=event.link,
        pilot=event.pilot.slug if event.pilot is not None else None,
        created_at=event.created_at,
        read_at=notification.read_at,
    )


def watch_out(watch: PilotWatch, watching: bool = True) -> WatchOut:
    return WatchOut(
        pilot=watch.pilot.slug, reason=watch.reason, created_at=watch.created_at, watching=watching
    )


@endpoint(
    "GET",
    "/notifications",
    summary="Your notifications",
    tag="notifications",
    response=NotificationPage,
    permission="notifications.read",
    query=NotificationQuery,
)
def list_notifications(query: NotificationQuery):
    """Only your own, newest first; ``unread=true`` for those not read yet."""
    statement = (
        select(Notification)
        .where(Notification.user_id == api_user().id)
        .order_by(Notification.id.desc())
    )
    if query.unread:
        statement = statement.where(Notification.read_at.is_(None))
    return NotificationPage(**paginate(statement, query, notification_out))


@endpoint(
    "POST",
    "/notifications/<int:notification_id>/read",
    summary="Mark one notification read",
    tag="notifications",
    response=NotificationOut,
    permission="notifications.read",
    responses={404: "No notification of yours has this id."},
)
def mark_notification_read(notification_id: int):
    notification = services.own_notification(api_user(), notification_id)
    if notification is None:
        raise ApiError(404, gettext("you have no notification #%(id)s", id=notification_id))
    services.mark_read(notification)
    db.session.commit()
    return notification_out(notification)


@endpoint(
    "POST",
    "/notifications/read",
    summary="Mark all your notifications read",
    tag="notifications",
    response=MarkedRead,
    permission="notifications.read",
)
def mark_all_notifications_read():
    marked = services.mark_all_read(api_user())
    db.session.commit()
    return MarkedRead(marked=marked)


@endpoint(
    "GET",
    "/watches",
    summary="The pilots you watch",
    tag="notifications",
    response=WatchPage,
    permission="notifications.read",
    query=PageQuery,
)
def list_watches(query: PageQuery):
    statement = (
        select(PilotWatch)
        .join(Pilot, Pilot.id == PilotWatch.pilot_id)
        .where(PilotWatch.user_id == api_user().id)
        .order_by(Pilot.slug)
    )
    return WatchPage(**paginate(statement, query, watch_out))


@endpoint(
    "POST",
    "/pilots/<slug>/watch",
    summary="Watch a pilot",
    tag="notifications",
    response=WatchOut,
    permission="pilot.view",
    status=201,
    responses={200: "You watched this pilot already: nothing changed."},
)
def watch_pilot(pilot: Pilot):
    """Hear when its verdicts, guardrails, decision, data or status change."""
    added = services.watch_pilot(api_user(), pilot)
    db.session.commit()
    watch = db.session.get(PilotWatch, (api_user().id, pilot.id))
    return Reply(watch_out(watch), status=None if added else 200)


@endpoint(
    "DELETE",
    "/pilots/<slug>/watch",
    summary="Stop watching a pilot",
    tag="notifications",
    response=WatchOut,
    permission="pilot.view",
    responses={404: "You do not watch this pilot."},
)
def unwatch_pilot(pilot: Pilot):
    watch = db.session.get(PilotWatch, (api_user().id, pilot.id))
    if watch is None:
        raise ApiError(404, gettext("you do not watch the pilot '%(slug)s'", slug=pilot.slug))
    answer = watch_out(watch, watching=False)
    services.unwatch_pilot(api_user(), pilot)
    db.session.commit()
    return answer
