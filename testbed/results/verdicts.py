"""Verdicts: which way a result went (the outcome), and one plain sentence saying so.

The sentence is written in the current language: a report keeps it in English (see
``services.analyse_pilot``), and each reader gets it again in theirs.
"""

from __future__ import annotations

from flask_babel import gettext, ngettext

from testbed.i18n import figure, plural_count, unit_space
from testbed.pilots.models import Metric
from testbed.results.labels import analysis_text

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
            return gettext(
                "Not enough data to judge: %(reason)s.", reason=analysis_text(result["error"])
            )
        return gettext("No result: the test could not be computed.")
    if result["role"] == "guardrail":
        return _guardrail(found, result, metric)
    if result["design"] == "threshold":
        return _threshold(found, result, metric)
    if result["method"] == "bayesian":
        return _bayesian(found, result, metric)
    return _frequentist(found, result, metric)


def effect_text(result: dict, metric: Metric) -> str:
    absolute = result["absolute"]
    figures = {
        "estimate": _amount(absolute["estimate"], metric),
        "level": figure(f"{round(100 * (1 - result['alpha']))}%"),
        "low": _amount(absolute["ci_low"], metric),
        "high": _amount(absolute["ci_high"], metric),
    }
    if result["design"] == "did":
        return gettext(
            "difference-in-differences %(estimate)s (%(level)s interval %(low)s to %(high)s)",
            **figures,
        )
    if result["design"] == "its":
        return gettext(
            "level change %(estimate)s (%(level)s interval %(low)s to %(high)s)", **figures
        )
    return gettext("change %(estimate)s (%(level)s interval %(low)s to %(high)s)", **figures)


# A hypothesis stated after its data could have been chosen because of them: what it
# found is a lead for a new iteration to confirm, and the sentence says so where it is read.
# (As English writes it after the outcome's word; ``_qualified`` writes it in any language.)
EXPLORATORY = " (exploratory: stated after its data, a lead to confirm, not evidence)"


def _qualified(found: str, result: dict) -> str:
    """The outcome's word ("Improved", "Worse"), qualified when the hypothesis is exploratory."""
    word = gettext("Improved") if found == "improved" else gettext("Worse")
    if result.get("registration") != "exploratory":
        return word
    return gettext(
        "%(outcome)s (exploratory: stated after its data, a lead to confirm, not evidence)",
        outcome=word,
    )


def _frequentist(found: str, result: dict, metric: Metric) -> str:
    effect = effect_text(result, metric)
    if found == "unchanged":
        return gettext(
            "No detectable change in %(metric)s: %(effect)s.", metric=metric.name, effect=effect
        )
    word = _qualified(found, result)
    if _estimate(result) > 0:
        return gettext(
            "%(outcome)s: %(metric)s went up; %(effect)s.",
            outcome=word,
            metric=metric.name,
            effect=effect,
        )
    return gettext(
        "%(outcome)s: %(metric)s went down; %(effect)s.",
        outcome=word,
        metric=metric.name,
        effect=effect,
    )


def _bayesian(found: str, result: dict, metric: Metric) -> str:
    parts = {
        "chance": figure(f"{result['chance_to_beat_baseline']:.0%}"),
        "metric": metric.name,
        "effect": effect_text(result, metric),
    }
    if found == "unchanged":
        return gettext(
            "No detectable change yet: %(chance)s chance that the pilot beats the baseline on "
            "%(metric)s; %(effect)s.",
            **parts,
        )
    if found == "improved":
        return gettext(
            "%(outcome)s: %(chance)s chance that the pilot beats the baseline on %(metric)s; "
            "%(effect)s.",
            outcome=_qualified(found, result),
            **parts,
        )
    return gettext(
        "%(outcome)s: only %(chance)s chance that the pilot beats the baseline on %(metric)s; "
        "%(effect)s.",
        outcome=_qualified(found, result),
        **parts,
    )


def _guardrail(found: str, result: dict, metric: Metric) -> str:
    margin = _amount(result.get("minimum_effect") or 0.0, metric, signed=False)
    if found == "holds":
        return gettext(
            "Guardrail holds: %(metric)s is not worse than the baseline by more than "
            "%(margin)s; %(effect)s.",
            metric=metric.name,
            margin=margin,
            effect=effect_text(result, metric),
        )
    if found == "breached":
        return gettext(
            "Guardrail breached: %(metric)s is worse than the baseline by more than the "
            "margin; %(effect)s.",
            metric=metric.name,
            effect=effect_text(result, metric),
        )
    absolute = result["absolute"]
    worst = absolute["ci_high"] if metric.direction == "decrease" else absolute["ci_low"]
    return gettext(
        "Guardrail not yet shown to hold: the worst plausible change (%(worst)s) exceeds "
        "the margin of %(margin)s.",
        worst=_amount(worst, metric),
        margin=margin,
    )


def _threshold(found: str, result: dict, metric: Metric) -> str:
    p_value = figure(f"{result['p_value']:.2g}")
    if found == "no-threshold":
        return gettext(
            "No detectable threshold: %(metric)s follows its predictor without a clear break "
            "(p = %(p)s).",
            metric=metric.name,
            p=p_value,
        )
    return gettext(
        "Threshold found near %(threshold)s: past it the slope of %(metric)s changes by "
        "%(change)s per unit of the predictor (p = %(p)s, allowing for the search).",
        threshold=figure(f"{result['details'].get('threshold'):.3g}"),
        metric=metric.name,
        change=figure(f"{_estimate(result):+.3g}"),
        p=p_value,
    )


def _amount(value: float | None, metric: Metric, signed: bool = True) -> str:
    if value is None:
        return gettext("unknown")
    if metric.kind == "proportion":
        points = 100 * value
        change = f"{points:+.2g}" if signed else f"{points:.2g}"
        return ngettext(
            "%(change)s point", "%(change)s points", plural_count(change), change=figure(change)
        )
    text = figure(f"{value:+.3g}" if signed else f"{value:.3g}")
    return f"{text}{unit_space()}{metric.unit}" if metric.unit else text
