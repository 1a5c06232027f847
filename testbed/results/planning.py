"""Power for a running pilot: what it can detect now, and how many more weeks it needs."""

from __future__ import annotations

import math

from analysis.power import minimum_detectable_effect, sample_size_per_group, weeks_remaining
from testbed.pilots.models import Hypothesis
from testbed.results.gather import observed_weeks

POWER = 0.8


def planning(hypothesis: Hypothesis, result: dict) -> dict | None:
    """Minimum detectable effect now, sample needed for ``minimum_effect``, weeks left.

    Only two-group designs have a per-group sample size to plan; the spread
    comes from the baseline group (a proportion's from its share).
    """
    if hypothesis.design not in ("concurrent", "pre_post") or result.get("error"):
        return None
    baseline, pilot = result["baseline"], result["pilot"]
    sd = _spread(result)
    if sd is None or not sd > 0:
        return None
    n_now = min(baseline["n"], pilot["n"])
    plan = {
        "power": POWER,
        "n_per_group": n_now,
        "minimum_detectable_effect": minimum_detectable_effect(sd, n_now, hypothesis.alpha, POWER),
        "planned_sample_size": hypothesis.planned_sample_size,
        "n_needed_per_group": None,
        "weeks_remaining": None,
    }
    if hypothesis.minimum_effect:
        effect_size = abs(hypothesis.minimum_effect) / sd
        needed = sample_size_per_group(effect_size, hypothesis.alpha, POWER)
        plan["n_needed_per_group"] = math.ceil(needed)
        weeks = observed_weeks(hypothesis.metric)
        if weeks:
            plan["weeks_remaining"] = weeks_remaining(n_now / weeks, n_now, needed)
    return plan


def _spread(result: dict) -> float | None:
    baseline = result["baseline"]
    if result["kind"] == "proportion" and baseline["mean"] is not None:
        share = baseline["mean"]
        return math.sqrt(share * (1 - share))
    return baseline["sd"]
