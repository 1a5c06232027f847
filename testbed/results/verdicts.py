"""Plain-language verdicts: improved, no detectable change, or worse."""

from __future__ import annotations

from testbed.pilots.models import Metric

CERTAIN = 0.95  # chance to beat baseline a Bayesian verdict asks for


def verdict(result: dict, metric: Metric) -> str:
    """One sentence a department head or a finance reviewer can act on."""
    if result.get("error"):
        return f"Not enough data to judge: {result['error']}."
    if result["role"] == "guardrail":
        return _guardrail(result, metric)
    if result["design"] == "threshold":
        return _threshold(result, metric)
    if result["method"] == "bayesian":
        return _bayesian(result, metric)
    return _frequentist(result, metric)


def effect_text(result: dict, metric: Metric) -> str:
    absolute = result["absolute"]
    low, high = absolute["ci_low"], absolute["ci_high"]
    level = round(100 * (1 - result["alpha"]))
    what = (
        "difference-in-differences"
        if result["design"] == "did"
        else ("level change" if result["design"] == "its" else "change")
    )
    return (
        f"{what} {_amount(absolute['estimate'], metric)} "
        f"({level}% interval {_amount(low, metric)} to {_amount(high, metric)})"
    )


def _frequentist(result: dict, metric: Metric) -> str:
    p_value = (
        result["p_value_adjusted"] if result["p_value_adjusted"] is not None else result["p_value"]
    )
    if p_value is None or result["absolute"]["estimate"] is None:
        return "No result: the test could not be computed."
    if p_value >= result["alpha"]:
        return f"No detectable change in {metric.name}: {effect_text(result, metric)}."
    good = _is_good(result["absolute"]["estimate"], metric)
    word = "Improved" if good else "Worse"
    return f"{word}: {metric.name} {_moved(result, metric)}; {effect_text(result, metric)}."


def _bayesian(result: dict, metric: Metric) -> str:
    chance = result.get("chance_to_beat_baseline")
    if chance is None:
        return "No result: the posterior could not be computed."
    if chance >= CERTAIN:
        return (
            f"Improved: {chance:.0%} chance that the pilot beats the baseline on "
            f"{metric.name}; {effect_text(result, metric)}."
        )
    if chance <= 1 - CERTAIN:
        return (
            f"Worse: only {chance:.0%} chance that the pilot beats the baseline on "
            f"{metric.name}; {effect_text(result, metric)}."
        )
    return (
        f"No detectable change yet: {chance:.0%} chance that the pilot beats the baseline "
        f"on {metric.name}; {effect_text(result, metric)}."
    )


def _guardrail(result: dict, metric: Metric) -> str:
    margin = result.get("minimum_effect") or 0.0
    if result["p_value"] is not None and result["p_value"] < result["alpha"]:
        return (
            f"Guardrail holds: {metric.name} is not worse than the baseline by more than "
            f"{_amount(margin, metric, signed=False)}; {effect_text(result, metric)}."
        )
    worst = (
        result["absolute"]["ci_high"]
        if metric.direction == "decrease"
        else result["absolute"]["ci_low"]
    )
    estimate = result["absolute"]["estimate"]
    harm = estimate if metric.direction == "decrease" else -estimate
    if harm > margin:
        return (
            f"Guardrail breached: {metric.name} is worse than the baseline by more than the "
            f"margin; {effect_text(result, metric)}."
        )
    return (
        f"Guardrail not yet shown to hold: the worst plausible change "
        f"({_amount(worst, metric)}) exceeds the margin of "
        f"{_amount(margin, metric, signed=False)}."
    )


def _threshold(result: dict, metric: Metric) -> str:
    details = result["details"]
    where = details.get("threshold")
    if result["p_value"] is None or result["p_value"] >= result["alpha"]:
        return (
            f"No detectable threshold: {metric.name} follows its predictor without a "
            f"clear break (p = {result['p_value']:.2g})."
        )
    return (
        f"Threshold found near {where:.3g}: past it the slope of {metric.name} changes by "
        f"{result['absolute']['estimate']:+.3g} per unit of the predictor "
        f"(p = {result['p_value']:.2g}, allowing for the search)."
    )


def _is_good(estimate: float, metric: Metric) -> bool:
    return estimate > 0 if metric.direction == "increase" else estimate < 0


def _moved(result: dict, metric: Metric) -> str:
    return "went up" if result["absolute"]["estimate"] > 0 else "went down"


def _amount(value: float | None, metric: Metric, signed: bool = True) -> str:
    if value is None:
        return "unknown"
    if metric.kind == "proportion":
        points = 100 * value
        return f"{points:+.2g} points" if signed else f"{points:.2g} points"
    unit = f" {metric.unit}" if metric.unit else ""
    return f"{value:+.3g}{unit}" if signed else f"{value:.3g}{unit}"
