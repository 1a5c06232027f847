"""What an event says, in the language of whoever reads it.

An event is recorded once for everyone it concerns, and they may read French or English.
So its title and summary are recorded in English (webhooks send those), together with the
facts they are made of, under ``payload["words"]``; every page, e-mail and API answer says
the event again from those facts, in its reader's language. An event recorded without
them (by a caller that gave its own title, or before they were kept) is shown as written.
"""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

from testbed.i18n import DEFAULT_LANGUAGE, day, language

WORDS = "words"  # where an event's payload keeps its facts (webhooks never get them)

PILOT_STATUS_NAMES = {
    "draft": _l("draft"),
    "active": _l("active"),
    "paused": _l("paused"),
    "concluded": _l("concluded"),
    "scaled": _l("scaled"),
    "abandoned": _l("abandoned"),
}
# testbed.results.verdicts.OUTCOMES, and "pending" for a hypothesis not yet tested.
OUTCOME_NAMES = {
    "improved": _l("improved"),
    "unchanged": _l("unchanged"),
    "worse": _l("worse"),
    "holds": _l("holds"),
    "breached": _l("breached"),
    "unshown": _l("unshown"),
    "threshold": _l("threshold"),
    "no-threshold": _l("no-threshold"),
    "pending": _l("pending"),
}
# A suggestion's status in a title (a status with an iteration or a reason has its own).
SUGGESTION_TITLES = {
    "new": _l("%(pilot)s: a suggestion is new"),
    "under_review": _l("%(pilot)s: a suggestion is under review"),
    "accepted": _l("%(pilot)s: a suggestion is accepted"),
    "incorporated": _l("%(pilot)s: a suggestion is incorporated"),
    "declined": _l("%(pilot)s: a suggestion is declined"),
}
IDEA_TITLES = {
    "submitted": _l("The idea “%(idea)s” is submitted"),
    "under_review": _l("The idea “%(idea)s” is under review"),
}


def said(event) -> tuple[str, str]:
    """The event's title and summary in the current language."""
    words = (event.payload or {}).get(WORDS)
    say = SAYINGS.get(event.kind)
    found = say(words) if words and say is not None else None
    return found if found is not None else (event.title, event.summary)


def in_english(kind: str, words: dict) -> tuple[str, str]:
    """The title and summary an event is recorded with: English, whoever caused it."""
    with force_locale(DEFAULT_LANGUAGE):
        found = SAYINGS[kind](words)
    if found is None:
        raise ValueError(f"no words for a {kind} event of {words}")
    return found


def quoted(text: str) -> str:
    return gettext("“%(text)s”", text=text)


def _listed(lines: list[str]) -> str:
    # French puts a no-break space before a semicolon.
    return ("; " if language() == DEFAULT_LANGUAGE else "\u00a0; ").join(lines)


def _outcome(code: str) -> str:
    return str(OUTCOME_NAMES.get(code, code))


def _change(key: str, before: str, after: str) -> str:
    return gettext(
        "%(hypothesis)s: %(before)s → %(after)s",
        hypothesis=key,
        before=_outcome(before),
        after=_outcome(after),
    )


def _suggestion_moved(words: dict) -> tuple[str, str] | None:
    pilot, status = words["pilot"], words["status"]
    number, reason = words.get("iteration"), words.get("reason")
    if status == "incorporated" and number is not None:
        title = gettext(
            "%(pilot)s: a suggestion is incorporated in iteration %(number)s",
            pilot=pilot,
            number=number,
        )
    elif status == "declined" and reason:
        title = gettext(
            "%(pilot)s: a suggestion is declined: %(reason)s", pilot=pilot, reason=reason
        )
    elif status in SUGGESTION_TITLES:
        title = str(SUGGESTION_TITLES[status]) % {"pilot": pilot}
    else:
        return None
    return title, quoted(words["text"])


def _suggestion_comment(words: dict) -> tuple[str, str]:
    title = gettext(
        "%(pilot)s: %(who)s commented on a suggestion", pilot=words["pilot"], who=words["who"]
    )
    summary = gettext(
        "“%(suggestion)s”: “%(comment)s”", suggestion=words["suggestion"], comment=words["comment"]
    )
    return title, summary


def _pilot_status(words: dict) -> tuple[str, str]:
    before, now = words["from"], words["to"]
    title = gettext(
        "%(pilot)s is %(status)s now (was %(before)s)",
        pilot=words["pilot"],
        status=PILOT_STATUS_NAMES.get(now, now),
        before=PILOT_STATUS_NAMES.get(before, before),
    )
    return title, ""


def _guardrail_breached(words: dict) -> tuple[str, str]:
    breached = words["guardrails"]
    title = ngettext(
        "%(pilot)s: guardrail %(guardrails)s breached",
        "%(pilot)s: guardrail %(guardrails)s breached",
        len(breached),
        pilot=words["pilot"],
        guardrails=", ".join(breached),
    )
    summary = _listed([_change(key, words["was"][key], "breached") for key in breached])
    return title, summary


def _sample_ratio_mismatch(words: dict) -> tuple[str, str]:
    title = gettext(
        "%(pilot)s: the groups' sizes no longer match the planned shares", pilot=words["pilot"]
    )
    return title, gettext("No result can be trusted until the cause of the mismatch is found.")


def _verdict_changed(words: dict) -> tuple[str, str]:
    from testbed.results.decision import RECOMMENDATIONS

    def label(decision: str) -> str:
        return str(RECOMMENDATIONS[decision][0])

    pilot, moved = words["pilot"], words["moved"]
    lines = [_change(key, before, after) for key, before, after in moved]
    decision = words.get("decision")
    if decision is None:
        title = gettext(
            "%(pilot)s: the verdict of %(hypotheses)s changed",
            pilot=pilot,
            hypotheses=", ".join(key for key, _, _ in moved),
        )
        return title, _listed(lines)
    before, after = decision
    lines.append(
        gettext("Decision: %(before)s → %(after)s", before=label(before), after=label(after))
    )
    title = gettext(
        "%(pilot)s: the decision is now “%(decision)s”", pilot=pilot, decision=label(after)
    )
    # The rule is as the decision wrote it.
    return title, gettext("%(changes)s. %(rule)s", changes=_listed(lines), rule=words["rule"])


def _data_stopped(words: dict) -> tuple[str, str]:
    days = words["days"]
    title = ngettext(
        "%(pilot)s: no new data for %(num)d day",
        "%(pilot)s: no new data for %(num)d days",
        days,
        pilot=words["pilot"],
    )
    hours = words["usual_hours"]
    if hours < 48:
        # As many hours as the English writes ("1 hours" included, as it always did).
        count = int(f"{hours:.0f}")
        every = ngettext("%(num)d hours", "%(num)d hours", count)
    else:
        count = int(f"{hours / 24:.0f}")
        every = ngettext("%(num)d days", "%(num)d days", count)
    summary = gettext(
        "The last batch arrived on %(day)s; batches usually arrive every %(every)s.",
        day=day(date.fromisoformat(words["last"])),
        every=every,
    )
    return title, summary


def _iteration_overdue(words: dict) -> tuple[str, str]:
    title = gettext(
        "%(pilot)s: iteration %(number)s was due to end on %(day)s",
        pilot=words["pilot"],
        number=words["number"],
        day=day(date.fromisoformat(words["end"])),
    )
    return title, gettext("Log the next iteration, or move the end date, or conclude the pilot.")


def _idea_moved(words: dict) -> tuple[str, str] | None:
    idea, status = words["idea"], words["status"]
    if status == "piloted" and words.get("pilot"):
        title = gettext(
            "The idea “%(idea)s” is taken into the pilot %(pilot)s", idea=idea, pilot=words["pilot"]
        )
    elif status == "declined":
        title = gettext(
            "The idea “%(idea)s” is declined: %(reason)s", idea=idea, reason=words.get("reason", "")
        )
    elif status in IDEA_TITLES:
        title = str(IDEA_TITLES[status]) % {"idea": idea}
    else:
        return None
    return title, words["text"]


SAYINGS = {
    "suggestion_adopted": _suggestion_moved,
    "suggestion_status": _suggestion_moved,
    "suggestion_comment": _suggestion_comment,
    "pilot_status": _pilot_status,
    "guardrail_breached": _guardrail_breached,
    "sample_ratio_mismatch": _sample_ratio_mismatch,
    "verdict_changed": _verdict_changed,
    "data_stopped": _data_stopped,
    "iteration_overdue": _iteration_overdue,
    "idea_moved": _idea_moved,
}
