"""Signing in and out, and changing one's own password."""

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from testbed.auth import security_log, sessions
from testbed.auth.forms import ChangePasswordForm, LoginForm
from testbed.auth.models import User
from testbed.auth.services import WrongPassword, authenticate, change_own_password
from testbed.auth.throttle import (
    current_password_per_account,
    note_failed_sign_in,
    sign_in_per_account,
    sign_in_per_address,
)
from testbed.extensions import db, login_manager

blueprint = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
# Where the session's random token sits in Flask's signed cookie.
SESSION_TOKEN = "session_token"  # noqa: S105  (a key name, not a secret)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session still on record; Flask-Login's ``_user_id`` alone is not enough.

    This is the only way in: there is no "remember me" cookie (``login_user`` is
    never asked to set one), and one forged with the secret key would still lack
    a session on record.
    """
    user_session = sessions.live_session(session.get(SESSION_TOKEN))
    if user_session is None or str(user_session.user_id) != user_id:
        return None
    if not user_session.user.is_active:
        return None
    if sessions.note_visit(user_session):
        # Nothing else is pending this early in a request.
        db.session.commit()
    return user_session.user


def sign_in(user: User) -> None:
    """Start a new session: a new token in a new cookie, whatever the browser sent before."""
    session.clear()
    token = sessions.start_session(user)
    login_user(user)
    session[SESSION_TOKEN] = token
    db.session.commit()


@blueprint.route("/login", methods=["GET", "POST"])
@sign_in_per_account
@sign_in_per_address
def login():
    if current_user.is_authenticated:
        return redirect(url_for("pilots.portfolio"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            sign_in(user)
            return redirect(url_for("pilots.portfolio"))
        note_failed_sign_in()
        security_log.failed_sign_in(form.email.data)
        form.password.errors.append(gettext("Wrong e-mail or password."))
    return render_template("auth/login.html", form=form)


@blueprint.post("/logout")
@login_required
def logout():
    sessions.end_session(session.get(SESSION_TOKEN))
    db.session.commit()
    logout_user()
    session.clear()
    flash(gettext("You are signed out."))
    return redirect(url_for("auth.login"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
@current_password_per_account
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(current_user, form.current.data, form.password.data)
        except ValueError as error:
            if isinstance(error, WrongPassword):
                note_failed_sign_in()
            db.session.rollback()
            form.current.errors.append(str(error)[:1].upper() + str(error)[1:] + ".")
        else:
            # Every session ended with the old password; this browser gets a new one.
            sign_in(current_user._get_current_object())
            flash(
                gettext(
                    "Your password is changed; any other browser signed in as you is signed out."
                )
            )
            return redirect(url_for("pilots.portfolio"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form), status
