"""Verdicts: which way a result went (the outcome), and one plain sentence saying so."""

from __future__ import annotations

from testbed.pilots.models import Metric

CERTAIN = 0.95  # chance to beat baseline a Bayesian verdict asks for

OUTCOMES = (
    "improved",
    "unchanged",
    "worse",  # primary and secondary hypotheses
    "holds",
    "breached",
    "unshown",  # guardrails
    "threshold",
    "no-threshold",  # threshold designs
    "pending",  # not enough data to judge
)


def outcome(result: dict) -> str:
    """The outcome of a result, decided from its numbers; one of ``OUTCOMES``."""
    if result.get("error"):
        return "pending"
    if result["role"] == "guardrail":
        return _guardrail_outcome(result)
    if result["design"] == "threshold":
        return "threshold" if _significant(result["p_value"], result) else "no-threshold"
    if result["method"] == "bayesian":
        return _bayesian_outcome(result)
    return _frequentist_outcome(result)


def _significant(p_value, result: dict) -> bool:
    return p_value is not None and p_value < result["alpha"]


def _estimate(result: dict):
    return (result["absolute"] or {}).get("estimate")


def is_better(change: float, direction: str) -> bool:
    """Whether ``change`` goes the metric's good way."""
    return change > 0 if direction == "increase" else change < 0


def _guardrail_outcome(result: dict) -> str:
    if _significant(result["p_value"], result):
        return "holds"
    estimate = _estimate(result)
    if estimate is None:
        return "pending"
    harm = estimate if result["direction"] == "decrease" else -estimate
    return "breached" if harm > (result.get("minimum_effect") or 0.0) else "unshown"


def _bayesian_outcome(result: dict) -> str:
    chance = result.get("chance_to_beat_baseline")
    if chance is None:
        return "pending"
    if chance >= CERTAIN:
        return "improved"
    return "worse" if chance <= 1 - CERTAIN else "unchanged"


def _frequentist_outcome(result: dict) -> str:
    p_value = result["p_value_adjusted"]
    if p_value is None:
        p_value = result["p_value"]
    estimate = _estimate(result)
    if p_value is None or estimate is None:
        return "pending"
    if not _significant(p_value, result):
        return "unchanged"
    return "improved" if is_better(estimate, result["direction"]) else "worse"


def verdict(result: dict, metric: Metric) -> str:
    """One sentence a department head or a finance reviewer can act on."""
    found = outcome(result)
    if found == "pending":
        if result.get("error"):
            return f"Not enough data to judge: {result['error']}."
        return "No result: the test could not be computed."
    if result["role"] == "guardrail":
        return _guardrail(found, result, metric)
    if result["design"] == "threshold":
        return _threshold(found, result, metric)
    if result["method"] == "bayesian":
        return _bayesian(found, result, metric)
    return _frequentist(found, result, metric)


def effect_text(result: dict, metric: Metric) -> str:
    absolute = result["absolute"]
    low, high = absolute["ci_low"], absolute["ci_high"]
    level = round(100 * (1 - result["alpha"]))
    what = {"did": "difference-in-differences", "its": "level change"}.get(
        result["design"], "change"
    )
    return (
        f"{what} {_amount(absolute['estimate'], metric)} "
        f"({level}% interval {_amount(low, metric)} to {_amount(high, metric)})"
    )


# A hypothesis stated after its data could have been chosen because of them: what it
# found is a lead for a new iteration to confirm, and the sentence says so where it is read.
EXPLORATORY = " (exploratory: stated after its data, a lead to confirm, not evidence)"


def _qualified(word: str, result: dict) -> str:
    return word + EXPLORATORY if result.get("registration") == "exploratory" else word


def _frequentist(found: str, result: dict, metric: Metric) -> str:
    if found == "unchanged":
        return f"No detectable change in {metric.name}: {effect_text(result, metric)}."
    moved = "went up" if _estimate(result) > 0 else "went down"
    word = _qualified("Improved" if found == "improved" else "Worse", result)
    return f"{word}: {metric.name} {moved}; {effect_text(result, metric)}."


def _bayesian(found: str, result: dict, metric: Metric) -> str:
    chance = result["chance_to_beat_baseline"]
    lead = {
        "improved": f"{_qualified('Improved', result)}: {chance:.0%} chance",
        "worse": f"{_qualified('Worse', result)}: only {chance:.0%} chance",
        "unchanged": f"No detectable change yet: {chance:.0%} chance",
    }[found]
    return (
        f"{lead} that the pilot beats the baseline on {metric.name}; {effect_text(result, metric)}."
    )


def _guardrail(found: str, result: dict, metric: Metric) -> str:
    margin = _amount(result.get("minimum_effect") or 0.0, metric, signed=False)
    if found == "holds":
        return (
            f"Guardrail holds: {metric.name} is not worse than the baseline by more than "
            f"{margin}; {effect_text(result, metric)}."
        )
    if found == "breached":
        return (
            f"Guardrail breached: {metric.name} is worse than the baseline by more than the "
            f"margin; {effect_text(result, metric)}."
        )
    absolute = result["absolute"]
    worst = absolute["ci_high"] if metric.direction == "decrease" else absolute["ci_low"]
    return (
        f"Guardrail not yet shown to hold: the worst plausible change "
        f"({_amount(worst, metric)}) exceeds the margin of {margin}."
    )


def _threshold(found: str, result: dict, metric: Metric) -> str:
    if found == "no-threshold":
        return (
            f"No detectable threshold: {metric.name} follows its predictor without a "
            f"clear break (p = {result['p_value']:.2g})."
        )
    return (
        f"Threshold found near {result['details'].get('threshold'):.3g}: past it the slope of "
        f"{metric.name} changes by {_estimate(result):+.3g} per unit of the predictor "
        f"(p = {result['p_value']:.2g}, allowing for the search)."
    )


def _amount(value: float | None, metric: Metric, signed: bool = True) -> str:
    if value is None:
        return "unknown"
    if metric.kind == "proportion":
        points = 100 * value
        return f"{points:+.2g} points" if signed else f"{points:.2g} points"
    unit = f" {metric.unit}" if metric.unit else ""
    return f"{value:+.3g}{unit}" if signed else f"{value:.3g}{unit}"
