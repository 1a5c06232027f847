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

from testbed.results.verdicts import outcome

# Each recommendation's label, and what it asks of the team.
RECOMMENDATIONS = {
    "scale": (
        "Scale",
        "every primary hypothesis improved significantly and every guardrail held",
    ),
    "iterate": (
        "Iterate",
        "change the pilot and test again: the gain came with a breached guardrail, or the "
        "pilot moved nothing although it had the data to show a change worth acting on",
    ),
    "stop": (
        "Stop",
        "a primary hypothesis got worse, or a guardrail was breached without a gain to show for it",
    ),
    "insufficient": (
        "Not enough evidence yet",
        "keep collecting: too little data, a guardrail not yet shown to hold, no guardrail "
        "at all, or groups whose sizes do not match the plan",
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
    """The pilot's recommendation (a key of ``RECOMMENDATIONS``) and the rule, in one sentence."""
    results = report["results"]
    primaries = {r["hypothesis"]: _PRIMARY[outcome(r)] for r in results if r["role"] == "primary"}
    guardrails = guardrail_status(results)
    worse, pending = _keys(primaries, "worse"), _keys(primaries, "pending")
    every_improved = bool(primaries) and set(primaries.values()) == {"improved"}
    improved = _improved_phrase(results)
    if not primaries:
        return _decision(
            "insufficient",
            "Not enough evidence yet: the pilot has no primary hypothesis to decide on.",
        )
    if (report.get("sample_ratio") or {}).get("mismatch"):
        return _decision(
            "insufficient",
            "Not enough evidence yet: the groups' sizes do not match the planned shares "
            "(sample-ratio mismatch), so no result can be trusted until the cause is found.",
        )
    if worse:
        return _decision("stop", f"Stop: {_primary(worse)} got significantly worse.")
    if guardrails["breached"]:
        return _breached(guardrails["breached"], every_improved, improved)
    if pending:
        return _decision(
            "insufficient",
            f"Not enough evidence yet: {_primary(pending)} {_verb(pending, 'has', 'have')} "
            "too little data to be tested.",
        )
    if every_improved:
        return _improved(guardrails, improved, _exploratory(results))
    return _unchanged(
        [r for r in results if r["role"] == "primary" and primaries[r["hypothesis"]] == "unchanged"]
    )


def _breached(breached: list[str], every_improved: bool, improved: str) -> dict:
    were = f"{_guardrail(breached)} {_verb(breached, 'was', 'were')} breached"
    if every_improved:
        return _decision(
            "iterate",
            f"Iterate: every primary hypothesis {improved}, but {were}; "
            "change what harms it before scaling.",
        )
    return _decision("stop", f"Stop: {were} and not every primary hypothesis {improved}.")


def _improved(guardrails: dict, improved: str, exploratory: list[str]) -> dict:
    unshown = guardrails["unshown"]
    if guardrails["state"] == "none":
        return _decision(
            "insufficient",
            f"Not enough evidence yet: every primary hypothesis {improved}, but no guardrail "
            "shows that nothing else got worse.",
        )
    if unshown:
        return _decision(
            "insufficient",
            f"Not enough evidence yet: every primary hypothesis {improved}, but "
            f"{_guardrail(unshown)} {_verb(unshown, 'is', 'are')} not yet shown to hold.",
        )
    if exploratory:
        return _decision(
            "insufficient",
            f"Not enough evidence yet: every primary hypothesis {improved}, but "
            f"{_primary(exploratory)} {_verb(exploratory, 'was', 'were')} stated after "
            "its data (exploratory): confirm it in a new iteration before scaling.",
        )
    return _decision(
        "scale",
        f"Scale: every primary hypothesis {_SIGNIFICANTLY[improved]} and every guardrail held.",
    )


def _unchanged(unchanged: list[dict]) -> dict:
    short = [r["hypothesis"] for r in unchanged if not has_enough_data(r)]
    if short:
        return _decision(
            "insufficient",
            f"Not enough evidence yet: {_primary(short)} {_verb(short, 'shows', 'show')} no "
            "detectable change, and the pilot does not yet have the data to detect the "
            "smallest change worth acting on.",
        )
    keys = [r["hypothesis"] for r in unchanged]
    return _decision(
        "iterate",
        f"Iterate: {_primary(keys)} {_verb(keys, 'shows', 'show')} no detectable change "
        "although the pilot has the data to detect the smallest change worth acting on.",
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


_SIGNIFICANTLY = {
    "improved": "improved significantly",
    "improved or found its threshold": "improved significantly or found its threshold,",
}


def _improved_phrase(results: list[dict]) -> str:
    """How the rules say 'improved': a threshold design finds a threshold, it does not improve."""
    designs = {r["design"] for r in results if r["role"] == "primary"}
    return "improved or found its threshold" if "threshold" in designs else "improved"


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


def _primary(keys: list[str]) -> str:
    noun = "primary hypothesis" if len(keys) == 1 else "primary hypotheses"
    return f"{noun} {', '.join(keys)}"


def _guardrail(keys: list[str]) -> str:
    noun = "guardrail" if len(keys) == 1 else "guardrails"
    return f"{noun} {', '.join(keys)}"


def _verb(keys: list[str], one: str, several: str) -> str:
    return one if len(keys) == 1 else several
