"""How suggestion pages name a suggestion's stored status for the reader.

The statuses stay English in the database (``models.SUGGESTION_STATUSES``); these are
the names a reader sees, in their language.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SUGGESTION_STATUS_NAMES = {
    "new": _l("New"),
    "under_review": _l("Under review"),
    "accepted": _l("Accepted"),
    "incorporated": _l("Incorporated"),
    "declined": _l("Declined"),
}


def status_name(status: str) -> str:
    """A stored status as the reader's language names it (an unknown one as written)."""
    return str(SUGGESTION_STATUS_NAMES.get(status, status.replace("_", " ")))


def status_words(status: str) -> str:
    """A status inside a sentence: "a suggestion that is under review ..."."""
    return status_name(status).lower()
