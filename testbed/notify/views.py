"""The inbox, preferences, watching a pilot, unsubscribing from e-mail, and webhooks."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy import select

from testbed.auth.access import requires
from testbed.extensions import csrf, db
from testbed.notify import delivery, services, webhooks
from testbed.notify.forms import ActionForm, PreferencesForm, WatchForm, WebhookForm
from testbed.notify.models import (
    EVENT_KINDS,
    KIND_NAMES,
    MODE_LABELS,
    DeliveryAttempt,
    OutboxMessage,
    Webhook,
)
from testbed.notify.texts import said
from testbed.pilots.services import pilot_or_404

blueprint = Blueprint("notify", __name__)
ONE_CLICK = "One-Click"  # RFC 8058: a mail client's POST of List-Unsubscribe=One-Click


def _user():
    return current_user._get_current_object()


@blueprint.app_context_processor
def unread_notifications() -> dict:
    """The header's unread count, read only where a page shows it."""

    def unread() -> int:
        if not getattr(current_user, "is_authenticated", False):
            return 0
        return services.unread_count(_user())

    return {"unread_notifications": unread}


# The inbox ---------------------------------------------------------------------------


@blueprint.get("/notifications")
@requires("notifications.read")
def inbox():
    shown = "unread" if request.args.get("show") == "unread" else "all"
    notifications = services.inbox(_user(), unread_only=shown == "unread")
    return render_template(
        "notify/inbox.html",
        # Each with its title and summary in the reader's language.
        notifications=[(n, *said(n.event)) for n in notifications],
        unread=services.unread_count(_user()),
        shown=shown,
        watched=services.watched_pilots(_user()),
        form=ActionForm(),
        watch_form=WatchForm(data={"back": "watching"}),
    )


@blueprint.post("/notifications/<int:notification_id>/read")
@requires("notifications.read")
def mark_read(notification_id: int):
    notification = services.own_notification(_user(), notification_id)
    if notification is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.mark_read(notification)
    db.session.commit()
    return redirect(url_for(".inbox"))


@blueprint.post("/notifications/read")
@requires("notifications.read")
def mark_all_read():
    if not ActionForm().validate_on_submit():
        abort(400)
    count = services.mark_all_read(_user())
    db.session.commit()
    flash(
        ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", count),
        "success",
    )
    return redirect(url_for(".inbox"))


@blueprint.route("/notifications/preferences", methods=["GET", "POST"])
@requires("notifications.read")
def preferences():
    user = _user()
    form = PreferencesForm.for_kinds(services.preferences_of(user))
    if form.validate_on_submit():
        changed = sum(services.set_preference(user, kind, form[kind].data) for kind in EVENT_KINDS)
        db.session.commit()
        flash(gettext("Preferences saved.") if changed else gettext("Nothing changed."), "success")
        return redirect(url_for(".preferences"))
    status = 422 if form.is_submitted() else 200
    return render_template("notify/preferences.html", form=form), status


# Watching ----------------------------------------------------------------------------


@blueprint.post("/pilots/<slug>/watch")
@requires("pilot.view")
def watch(slug: str):
    pilot = pilot_or_404(slug)
    form = WatchForm()
    if not form.validate_on_submit():
        abort(400)
    if services.unwatch_pilot(_user(), pilot):
        flash(gettext("You no longer watch %(pilot)s.", pilot=pilot.name), "success")
    else:
        services.watch_pilot(_user(), pilot)
        flash(
            gettext("You watch %(pilot)s: its changes reach your notifications.", pilot=pilot.name),
            "success",
        )
    db.session.commit()
    if form.back.data == "watching":
        return redirect(url_for(".inbox", _anchor="watching"))
    if form.back.data == "results":
        return redirect(url_for("results.results", slug=pilot.slug))
    return redirect(url_for("pilots.pilot", slug=pilot.slug))


# Unsubscribing from an e-mail, without signing in ---------------------------------------


def _subscription_or_404(token: str):
    found = delivery.read_unsubscribe_token(token)
    if found is None:
        abort(404)
    return found


@blueprint.get("/notifications/unsubscribe/<token>")
def unsubscribe_page(token: str):
    user, kind = _subscription_or_404(token)
    return render_template(
        "notify/unsubscribe.html",
        label=EVENT_KINDS[kind][0],
        mode=MODE_LABELS[services.preferences_of(user)[kind]],
        form=ActionForm(),
        done=False,
    )


@blueprint.post("/notifications/unsubscribe/<token>")
@csrf.exempt  # checked below: the button's form has its token; RFC 8058's one-click has none
def unsubscribe(token: str):
    """Stop e-mails of one kind for the person the token names: they stay in the inbox.

    The page's button sends the CSRF token; a mail client's one-click request
    (``List-Unsubscribe=One-Click``) cannot, and needs none: only the addressee has the
    signed token, and it changes nothing but this one preference.
    """
    user, kind = _subscription_or_404(token)
    if request.form.get("List-Unsubscribe") != ONE_CLICK and not ActionForm().validate_on_submit():
        abort(400)
    if services.preferences_of(user)[kind] in ("immediate", "digest"):
        services.set_preference(user, kind, "in_app")
    db.session.commit()
    return render_template(
        "notify/unsubscribe.html",
        label=EVENT_KINDS[kind][0],
        mode=MODE_LABELS[services.preferences_of(user)[kind]],
        form=None,
        done=True,
    )


# Webhooks (administrators) -----------------------------------------------------------------


@blueprint.route("/admin/webhooks", methods=["GET", "POST"])
@requires("admin.manage")
def webhooks_page():
    form = WebhookForm()
    secret = None
    if form.validate_on_submit():
        try:
            webhook, secret = webhooks.register(
                form.url.data, form.kinds.data, allow_private=form.allow_private.data, by=_user()
            )
            db.session.commit()
        except ValueError as error:
            db.session.rollback()
            form.url.errors.append(str(error))
        else:
            form = WebhookForm(formdata=None)
            flash(gettext("Webhook #%(id)s registered.", id=webhook.id), "success")
    hooks = db.session.scalars(select(Webhook).order_by(Webhook.active.desc(), Webhook.id)).all()
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template(
        "notify/webhooks.html",
        form=form,
        webhooks=hooks,
        secret=secret,
        names=KIND_NAMES,
        remove_form=ActionForm(),
    ), status


@blueprint.get("/admin/webhooks/<int:webhook_id>")
@requires("admin.manage")
def webhook_page(webhook_id: int):
    webhook = db.get_or_404(Webhook, webhook_id)
    attempts = db.session.execute(
        select(DeliveryAttempt, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == DeliveryAttempt.message_id)
        .where(OutboxMessage.webhook_id == webhook.id)
        .order_by(DeliveryAttempt.id.desc())
        .limit(200)
    ).all()
    waiting = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.webhook_id == webhook.id, OutboxMessage.state == "pending")
        .order_by(OutboxMessage.id)
    ).all()
    return render_template(
        "notify/webhook.html",
        webhook=webhook,
        attempts=attempts,
        waiting=waiting,
        labels={kind: label for kind, (label, _) in EVENT_KINDS.items()},
        names=KIND_NAMES,
        remove_form=ActionForm(),
    )


@blueprint.post("/admin/webhooks/<int:webhook_id>/remove")
@requires("admin.manage")
def remove_webhook(webhook_id: int):
    webhook = db.get_or_404(Webhook, webhook_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if webhook.active:
        webhooks.remove(webhook, by=_user())
        db.session.commit()
        flash(
            gettext("Webhook #%(id)s removed: nothing more is sent to it.", id=webhook.id),
            "success",
        )
    return redirect(url_for(".webhooks_page"))
