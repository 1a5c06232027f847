"""How finance's pages and reports name stored values and the returns' notes for the reader.

A pilot's returns are computed once and kept (in memory and in the database) for every
reader, so their notes and errors are kept in English, as the analysis writes them; they
are put in the reader's language when shown. A note this module does not know is shown
as written.
"""

from __future__ import annotations

import re

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from testbed.i18n import DEFAULT_LANGUAGE, figure, language

STATUS_NAMES = {
    "draft": _l("draft"),
    "active": _l("active"),
    "paused": _l("paused"),
    "concluded": _l("concluded"),
    "scaled": _l("scaled"),
    "abandoned": _l("abandoned"),
}
ROLE_NAMES = {
    "primary": _l("primary"),
    "secondary": _l("secondary"),
    "guardrail": _l("guardrail"),
}
REGISTRATION_NAMES = {"confirmatory": _l("confirmatory"), "exploratory": _l("exploratory")}
METRIC_KIND_NAMES = {"mean": _l("mean"), "proportion": _l("proportion"), "ratio": _l("ratio")}
GUARDRAIL_STATE_NAMES = {
    "holds": _l("holds"),
    "breached": _l("breached"),
    "unshown": _l("unshown"),
    "none": _l("none"),
}
BETTER_NAMES = {"increase": _l("increase is better"), "decrease": _l("decrease is better")}
LADDER_KIND_NAMES = {"programme": _l("programme"), "pilot": _l("pilot")}

NAMES = {
    "status": STATUS_NAMES,
    "role": ROLE_NAMES,
    "registration": REGISTRATION_NAMES,
    "metric_kind": METRIC_KIND_NAMES,
    "guardrail_state": GUARDRAIL_STATE_NAMES,
    "better": BETTER_NAMES,
    "ladder_kind": LADDER_KIND_NAMES,
}


def named(value: str | None, kind: str) -> str | None:
    """A stored value (a status, a role, ...) as the reader's language names it."""
    if value is None:
        return None
    return str(NAMES[kind].get(value, value))


def guardrails_text(guardrails: dict) -> str:
    """The guardrails' state and the hypotheses in it, such as "breached: G1, G2"."""
    state = guardrails["state"]
    names = ", ".join(guardrails.get(state, []))
    if not names:
        return named(state, "guardrail_state")
    return gettext("%(state)s: %(names)s", state=named(state, "guardrail_state"), names=names)


def _figures(rates: list[str]) -> str:
    # A decimal comma would make a comma-separated list ambiguous: French separates with " ; ".
    separator = ", " if language() == DEFAULT_LANGUAGE else "\u00a0; "
    return separator.join(figure(rate) for rate in rates)


# The notes and errors of ``services.pilot_returns`` and ``analysis.returns`` as they are
# written in English, each with what says it in the reader's language: a sentence, or a
# function of the parts the note names.
NOTES = [
    (
        "no benefit has a measured effect yet",
        _l("no benefit has a measured effect yet"),
    ),
    (
        r"no measured effect on '(?P<metric>.+)' yet: benefit left out",
        lambda metric: gettext(
            "no measured effect on '%(metric)s' yet: benefit left out", metric=metric
        ),
    ),
    (
        r"no measured relative effect on '(?P<metric>.+)' yet: "
        r"the claim on '(?P<line>.+)' is left out",
        lambda metric, line: gettext(
            "no measured relative effect on '%(metric)s' yet: the claim on '%(line)s' is left out",
            metric=metric,
            line=line,
        ),
    ),
    (
        "the costs add up to zero; ROI and payback need what the change costs",
        _l("the costs add up to zero; ROI and payback need what the change costs"),
    ),
    (
        "the benefit lines' effects are drawn independently of one another",
        _l("the benefit lines' effects are drawn independently of one another"),
    ),
    (
        "no IRR: the cash flows never change sign, so no discount rate makes the NPV zero",
        _l("no IRR: the cash flows never change sign, so no discount rate makes the NPV zero"),
    ),
    (
        "no IRR: the NPV is zero only at a rate indistinguishable from -100%",
        _l("no IRR: the NPV is zero only at a rate indistinguishable from -100%"),
    ),
    (
        r"no IRR: the NPV touches zero near a rate of (?P<rate>\S+) without changing sign",
        lambda rate: gettext(
            "no IRR: the NPV touches zero near a rate of %(rate)s without changing sign",
            rate=figure(rate),
        ),
    ),
    (
        "no IRR: no discount rate above −100% makes the NPV zero",
        _l("no IRR: no discount rate above −100% makes the NPV zero"),
    ),
    (
        r"no unique IRR: the NPV is zero at several rates \((?P<rates>.+)\); compare NPVs instead",
        lambda rates: gettext(
            "no unique IRR: the NPV is zero at several rates (%(rates)s); compare NPVs instead",
            rates=_figures(rates.split(", ")),
        ),
    ),
    (
        r"at the estimated effect the pilot does not pay back within (?P<years>\d+) years",
        lambda years: ngettext(
            "at the estimated effect the pilot does not pay back within %(num)d years",
            "at the estimated effect the pilot does not pay back within %(num)d years",
            int(years),
        ),
    ),
    (
        r"with effects near the unfavourable end of their interval the pilot does not pay "
        r"back within (?P<years>\d+) years, so the payback interval has no upper end",
        lambda years: ngettext(
            "with effects near the unfavourable end of their interval the pilot does not pay "
            "back within %(num)d years, so the payback interval has no upper end",
            "with effects near the unfavourable end of their interval the pilot does not pay "
            "back within %(num)d years, so the payback interval has no upper end",
            int(years),
        ),
    ),
]
# A plain note is matched as it is written; one with parts, by its pattern.
_NOTES = [(re.compile(re.escape(text) if not callable(say) else text), say) for text, say in NOTES]


def returns_note(text: str | None) -> str | None:
    """A note or error of a pilot's returns in the reader's language (unknown ones as written)."""
    if not text:
        return text
    for pattern, say in _NOTES:
        found = pattern.fullmatch(text)
        if found:
            return say(**found.groupdict()) if callable(say) else str(say)
    return text
