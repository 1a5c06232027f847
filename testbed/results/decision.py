"""One decision per pilot (scale, iterate, stop or not enough evidence yet) and the rule behind it.

The decision reads only the primary hypotheses and the guardrails, as they
were registered before the data arrived: secondary hypotheses inform the team
but never decide. The rules are tried in order and the first that fits
decides (docs/statistics.md has the table):

1. no primary hypothesis: not enough evidence yet;
2. a sample-ratio mismatch: not enough evidence yet, until its cause is found;
3. a primary hypothesis got worse: stop;
4. a guardrail was breached: iterate when every primary hypothesis improved
   (the gain is real, its side effect must go), else stop; never scale;
5. a primary hypothesis has too little data to be tested: not enough evidence yet;
6. every primary hypothesis improved: scale only when every guardrail holds
   and every primary hypothesis was stated before its data (confirmatory);
   with no guardrail, one not yet shown to hold, or an exploratory primary
   hypothesis, not enough evidence yet;
7. a primary hypothesis shows no detectable change: iterate when the pilot has
   the data to detect the smallest change worth acting on, else not enough
   evidence yet.
"""

from __future__ import annotations

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from testbed.results.verdicts import outcome

# Each recommendation's label, and what it asks of the team.
RECOMMENDATIONS = {
    "scale": (
        _l("Scale"),
        _l("every primary hypothesis improved significantly and every guardrail held"),
    ),
    "iterate": (
        _l("Iterate"),
        _l(
            "change the pilot and test again: the gain came with a breached guardrail, or the "
            "pilot moved nothing although it had the data to show a change worth acting on"
        ),
    ),
    "stop": (
        _l("Stop"),
        _l(
            "a primary hypothesis got worse, or a guardrail was breached without a gain to show "
            "for it"
        ),
    ),
    "insufficient": (
        _l("Not enough evidence yet"),
        _l(
            "keep collecting: too little data, a guardrail not yet shown to hold, no guardrail "
            "at all, or groups whose sizes do not match the plan"
        ),
    ),
}

# How each outcome of a primary hypothesis counts: a threshold found is what a
# threshold hypothesis predicts, so it counts as support, like an improvement.
_PRIMARY = {
    "improved": "improved",
    "threshold": "improved",
    "worse": "worse",
    "unchanged": "unchanged",
    "no-threshold": "unchanged",
    "pending": "pending",
}


def decide(report: dict) -> dict:
    """The pilot's recommendation (a key of ``RECOMMENDATIONS``) and the rule, in one sentence.

    The sentence is in the current language (a report keeps it in English).
    """
    results = report["results"]
    primaries = {r["hypothesis"]: _PRIMARY[outcome(r)] for r in results if r["role"] == "primary"}
    guardrails = guardrail_status(results)
    worse, pending = _keys(primaries, "worse"), _keys(primaries, "pending")
    every_improved = bool(primaries) and set(primaries.values()) == {"improved"}
    # How the rules say "improved": a threshold design finds a threshold, it does not improve.
    threshold = any(r["design"] == "threshold" for r in results if r["role"] == "primary")
    if not primaries:
        return _decision(
            "insufficient",
            gettext("Not enough evidence yet: the pilot has no primary hypothesis to decide on."),
        )
    if (report.get("sample_ratio") or {}).get("mismatch"):
        return _decision(
            "insufficient",
            gettext(
                "Not enough evidence yet: the groups' sizes do not match the planned shares "
                "(sample-ratio mismatch), so no result can be trusted until the cause is found."
            ),
        )
    if worse:
        return _decision(
            "stop",
            ngettext(
                "Stop: primary hypothesis %(keys)s got significantly worse.",
                "Stop: primary hypotheses %(keys)s got significantly worse.",
                len(worse),
                keys=_listed(worse),
            ),
        )
    if guardrails["breached"]:
        return _breached(guardrails["breached"], every_improved, threshold)
    if pending:
        return _decision(
            "insufficient",
            ngettext(
                "Not enough evidence yet: primary hypothesis %(keys)s has too little data to be "
                "tested.",
                "Not enough evidence yet: primary hypotheses %(keys)s have too little data to be "
                "tested.",
                len(pending),
                keys=_listed(pending),
            ),
        )
    if every_improved:
        return _improved(guardrails, threshold, _exploratory(results))
    return _unchanged(
        [r for r in results if r["role"] == "primary" and primaries[r["hypothesis"]] == "unchanged"]
    )


def _breached(breached: list[str], every_improved: bool, threshold: bool) -> dict:
    count, keys = len(breached), _listed(breached)
    if every_improved and threshold:
        rule = ngettext(
            "Iterate: every primary hypothesis improved or found its threshold, but guardrail "
            "%(keys)s was breached; change what harms it before scaling.",
            "Iterate: every primary hypothesis improved or found its threshold, but guardrails "
            "%(keys)s were breached; change what harms it before scaling.",
            count,
            keys=keys,
        )
    elif every_improved:
        rule = ngettext(
            "Iterate: every primary hypothesis improved, but guardrail %(keys)s was breached; "
            "change what harms it before scaling.",
            "Iterate: every primary hypothesis improved, but guardrails %(keys)s were breached; "
            "change what harms it before scaling.",
            count,
            keys=keys,
        )
    elif threshold:
        rule = ngettext(
            "Stop: guardrail %(keys)s was breached and not every primary hypothesis improved or "
            "found its threshold.",
            "Stop: guardrails %(keys)s were breached and not every primary hypothesis improved "
            "or found its threshold.",
            count,
            keys=keys,
        )
    else:
        rule = ngettext(
            "Stop: guardrail %(keys)s was breached and not every primary hypothesis improved.",
            "Stop: guardrails %(keys)s were breached and not every primary hypothesis improved.",
            count,
            keys=keys,
        )
    return _decision("iterate" if every_improved else "stop", rule)


def _improved(guardrails: dict, threshold: bool, exploratory: list[str]) -> dict:
    unshown = guardrails["unshown"]
    if guardrails["state"] == "none":
        if threshold:
            rule = gettext(
                "Not enough evidence yet: every primary hypothesis improved or found its "
                "threshold, but no guardrail shows that nothing else got worse."
            )
        else:
            rule = gettext(
                "Not enough evidence yet: every primary hypothesis improved, but no guardrail "
                "shows that nothing else got worse."
            )
        return _decision("insufficient", rule)
    if unshown:
        count, keys = len(unshown), _listed(unshown)
        if threshold:
            rule = ngettext(
                "Not enough evidence yet: every primary hypothesis improved or found its "
                "threshold, but guardrail %(keys)s is not yet shown to hold.",
                "Not enough evidence yet: every primary hypothesis improved or found its "
                "threshold, but guardrails %(keys)s are not yet shown to hold.",
                count,
                keys=keys,
            )
        else:
            rule = ngettext(
                "Not enough evidence yet: every primary hypothesis improved, but guardrail "
                "%(keys)s is not yet shown to hold.",
                "Not enough evidence yet: every primary hypothesis improved, but guardrails "
                "%(keys)s are not yet shown to hold.",
                count,
                keys=keys,
            )
        return _decision("insufficient", rule)
    if exploratory:
        count, keys = len(exploratory), _listed(exploratory)
        if threshold:
            rule = ngettext(
                "Not enough evidence yet: every primary hypothesis improved or found its "
                "threshold, but primary hypothesis %(keys)s was stated after its data "
                "(exploratory): confirm it in a new iteration before scaling.",
                "Not enough evidence yet: every primary hypothesis improved or found its "
                "threshold, but primary hypotheses %(keys)s were stated after its data "
                "(exploratory): confirm it in a new iteration before scaling.",
                count,
                keys=keys,
            )
        else:
            rule = ngettext(
                "Not enough evidence yet: every primary hypothesis improved, but primary "
                "hypothesis %(keys)s was stated after its data (exploratory): confirm it in a "
                "new iteration before scaling.",
                "Not enough evidence yet: every primary hypothesis improved, but primary "
                "hypotheses %(keys)s were stated after its data (exploratory): confirm it in a "
                "new iteration before scaling.",
                count,
                keys=keys,
            )
        return _decision("insufficient", rule)
    if threshold:
        rule = gettext(
            "Scale: every primary hypothesis improved significantly or found its threshold, "
            "and every guardrail held."
        )
    else:
        rule = gettext(
            "Scale: every primary hypothesis improved significantly and every guardrail held."
        )
    return _decision("scale", rule)


def _unchanged(unchanged: list[dict]) -> dict:
    short = [r["hypothesis"] for r in unchanged if not has_enough_data(r)]
    if short:
        return _decision(
            "insufficient",
            ngettext(
                "Not enough evidence yet: primary hypothesis %(keys)s shows no detectable "
                "change, and the pilot does not yet have the data to detect the smallest change "
                "worth acting on.",
                "Not enough evidence yet: primary hypotheses %(keys)s show no detectable "
                "change, and the pilot does not yet have the data to detect the smallest change "
                "worth acting on.",
                len(short),
                keys=_listed(short),
            ),
        )
    keys = [r["hypothesis"] for r in unchanged]
    return _decision(
        "iterate",
        ngettext(
            "Iterate: primary hypothesis %(keys)s shows no detectable change although the pilot "
            "has the data to detect the smallest change worth acting on.",
            "Iterate: primary hypotheses %(keys)s show no detectable change although the pilot "
            "has the data to detect the smallest change worth acting on.",
            len(keys),
            keys=_listed(keys),
        ),
    )


def has_enough_data(result: dict) -> bool:
    """Whether a change worth acting on would probably have shown by now.

    Either the groups have the size the test needs for 80 % power at the
    hypothesis' ``minimum_effect``, or the interval already rules that change
    out (its better end falls short of it); the second serves the designs
    that have no sample size to plan (did, its).
    """
    plan = result.get("planning") or {}
    needed = plan.get("n_needed_per_group")
    if needed is not None and plan["n_per_group"] >= needed:
        return True
    worth = abs(result.get("minimum_effect") or 0.0)
    interval = result.get("absolute") or {}
    low, high = interval.get("ci_low"), interval.get("ci_high")
    if not worth or low is None or high is None:
        return False
    return high < worth if result["direction"] == "increase" else low > -worth


def guardrail_status(results: list[dict]) -> dict:
    """Which guardrails hold, are breached, or are not yet shown to hold (untested ones too)."""
    status = {"holds": [], "breached": [], "unshown": []}
    for result in results:
        if result["role"] != "guardrail":
            continue
        found = outcome(result)
        status[found if found in status else "unshown"].append(result["hypothesis"])
    if status["breached"]:
        state = "breached"
    elif status["unshown"]:
        state = "unshown"
    else:
        state = "holds" if status["holds"] else "none"
    return {"state": state, **status}


def standing(report: dict) -> dict:
    """What a page shows of a pilot beside its name: the decision and the guardrails."""
    return {"decision": report["decision"], "guardrails": guardrail_status(report["results"])}


def _decision(recommendation: str, rule: str) -> dict:
    return {"recommendation": recommendation, "rule": rule}


def _exploratory(results: list[dict]) -> list[str]:
    """Primary hypotheses stated after their data: what they found has yet to be confirmed."""
    return [
        r["hypothesis"]
        for r in results
        if r["role"] == "primary" and r.get("registration") == "exploratory"
    ]


def _keys(primaries: dict[str, str], found: str) -> list[str]:
    return [key for key, value in primaries.items() if value == found]


def _listed(keys: list[str]) -> str:
    return ", ".join(keys)
