"""How the idea box names an idea's stored status for the reader.

Statuses stay English in the database (and ``models.IDEA_STATUS_LABELS`` is the English the
audit trail writes); pages, forms and messages name them through these maps.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# A status on its own: a tag, a filter, a column, a choice.
IDEA_STATUS_NAMES = {
    "submitted": _l("Submitted"),
    "under_review": _l("Under review"),
    "piloted": _l("Taken into a pilot"),
    "declined": _l("Declined"),
}
# What the one who moved an idea reads once it moved.
IDEA_MOVED = {
    "submitted": _l("The idea is submitted."),
    "under_review": _l("The idea is under review."),
    "piloted": _l("The idea is taken into a pilot."),
    "declined": _l("The idea is declined."),
}


def status_name(status: str) -> str:
    return str(IDEA_STATUS_NAMES.get(status, status))


def status_words(status: str) -> str:
    """A status inside a sentence ("an idea that is under review ...", a step of its path)."""
    return status_name(status).lower()
