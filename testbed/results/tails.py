"""Beyond the average: quantile differences, NPS and rank tests for bounded scores.

Customers remember their worst experiences, so a pilot that improves the
mean while the 95th percentile gets worse has not improved service.
"""

from __future__ import annotations

from analysis.scores import compare_nps, mann_whitney_from_counts
from analysis.tails import quantile_differences, quantile_differences_from_counts
from testbed.pilots.models import Hypothesis
from testbed.results.gather import ARMS, group_values
from testbed.store.queries import value_counts

NPS_SCALE = (0, 10)


def tails(hypothesis: Hypothesis) -> dict | None:
    """Quantiles (when the hypothesis asks for them) and score tests (for scored metrics)."""
    if hypothesis.design not in ARMS:
        return None
    section = {}
    counts = _score_counts(hypothesis)
    if hypothesis.quantiles:
        section["quantiles"] = _quantiles(hypothesis, counts)
    if counts is not None:
        section.update(_scores(hypothesis, *counts))
    return section or None


def _score_counts(hypothesis: Hypothesis):
    if hypothesis.metric.scale is None:
        return None
    counts = value_counts(hypothesis.metric)
    baseline_key, pilot_key = ARMS[hypothesis.design]
    baseline, pilot = counts.get(baseline_key), counts.get(pilot_key)
    return (baseline, pilot) if baseline and pilot else None


def _quantiles(hypothesis: Hypothesis, counts) -> list[dict] | dict:
    levels = tuple(hypothesis.quantiles)
    try:
        if counts is not None:
            found = quantile_differences_from_counts(
                *counts, quantiles=levels, alpha=hypothesis.alpha
            )
        else:
            baseline, pilot = group_values(hypothesis.metric, hypothesis.design)
            found = quantile_differences(baseline, pilot, quantiles=levels, alpha=hypothesis.alpha)
    except ValueError as error:
        return {"error": str(error)}
    return [
        {
            "quantile": q.quantile,
            "baseline": q.baseline,
            "pilot": q.pilot,
            "absolute": q.absolute.as_dict(),
            "relative": q.relative.as_dict() if q.relative else None,
        }
        for q in found
    ]


def _scores(hypothesis: Hypothesis, baseline: dict, pilot: dict) -> dict:
    section = {}
    try:
        ranks = mann_whitney_from_counts(baseline, pilot, alpha=hypothesis.alpha)
        section["mann_whitney"] = {
            "test": ranks.test,
            "method": ranks.method,
            "estimate": ranks.absolute.as_dict(),
            "statistic": ranks.statistic,
            "p_value": ranks.p_value,
            "details": dict(ranks.details),
        }
    except ValueError as error:
        section["mann_whitney"] = {"error": str(error)}
    if hypothesis.metric.scale == NPS_SCALE:
        try:
            nps = compare_nps(baseline, pilot, alpha=hypothesis.alpha)
            section["nps"] = {
                "test": nps.test,
                "absolute": nps.absolute.as_dict(),
                "p_value": nps.p_value,
                "details": dict(nps.details),
            }
        except ValueError as error:
            section["nps"] = {"error": str(error)}
    return section
