"""Who may do what: one table of permissions, enforced on the server for every route.

Views declare the permission they need with ``@requires("pilot.edit")``;
templates ask ``can("pilot.edit")`` to decide what to show. Both read the
same table, so a page never offers what the server would refuse.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

EVERYONE = frozenset({"innovation", "department_head", "finance", "admin"})
# Any employee: reads pilots, gives and votes on ideas, hears of what they follow; no more.
STAFF = frozenset({"staff"})
ALL_ROLES = EVERYONE | STAFF

PERMISSIONS: dict[str, frozenset[str]] = {
    # Reading pilots, results, the planning page and suggestions is open to every
    # signed-in user: visibility is how other departments become a pilot's champions.
    "pilot.view": EVERYONE | STAFF,
    "pilot.edit": frozenset({"innovation", "admin"}),
    "observations.upload": frozenset({"innovation", "admin"}),
    "suggestion.add": EVERYONE,
    "suggestion.discuss": EVERYONE,
    "suggestion.decide": frozenset({"innovation", "admin"}),
    "department.view": EVERYONE,
    # Every department may read the comparative returns (a pilot finds champions
    # when they see what it earns); only finance and admins change the case.
    "finance.view": EVERYONE,
    "finance.edit": frozenset({"finance", "admin"}),
    # The company scorecard is one shared language: everyone reads it. Innovation and
    # admins define indicators, links and loads; a department head enters the
    # measurements of the indicators their own department owns (checked per indicator).
    "scorecard.view": EVERYONE,
    "scorecard.edit": frozenset({"innovation", "admin"}),
    "scorecard.measure": frozenset({"innovation", "department_head", "admin"}),
    "admin.manage": frozenset({"admin"}),
    # Connections hold the company's database credentials: administrators only.
    # A pilot's editors write its metric queries and refresh it from them.
    "source.manage": frozenset({"admin"}),
    "source.query": frozenset({"innovation", "admin"}),
    "api.tokens": EVERYONE,
    # Each person's own notifications, preferences and watches.
    "notifications.read": EVERYONE | STAFF,
    # The company-wide idea box: one idea a month from everyone. The innovation team
    # reviews them, declines them with a reason, or takes them into a pilot.
    "idea.view": EVERYONE | STAFF,
    "idea.contribute": EVERYONE | STAFF,
    "idea.manage": frozenset({"innovation", "admin"}),
}


def can(permission: str, user=None) -> bool:
    """Whether ``user`` (default: the signed-in user) holds ``permission``."""
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in PERMISSIONS[permission]


def requires(permission: str):
    """Refuse the view with 403 unless the signed-in user holds ``permission``."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission '{permission}'")

    def decorate(view):
        @wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        guarded.permission = permission
        return guarded

    return decorate
