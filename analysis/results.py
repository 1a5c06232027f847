"""Small immutable result objects shared by every analysis in this package."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence (or credible) interval."""

    estimate: float
    ci_low: float
    ci_high: float

    def as_dict(self) -> dict:
        return {k: _finite_or_none(v) for k, v in asdict(self).items()}


def _finite_or_none(value):
    """JSON has no NaN or infinity: report them as missing."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class Comparison:
    """Pilot against baseline (or post against pre) on one metric.

    ``absolute`` is pilot − baseline, ``relative`` is pilot / baseline − 1 (None
    when the baseline is zero). ``p_value`` tests the absolute difference.
    ``notes`` carries plain-language remarks, such as why ``relative`` is
    missing. ``details`` holds what a particular test adds (a threshold, a slope
    change, a chance to beat baseline), as (name, value) pairs.
    """

    absolute: Estimate
    relative: Estimate | None
    statistic: float
    df: float | None
    p_value: float
    test: str
    se: float = math.nan
    notes: tuple[str, ...] = ()
    details: tuple[tuple[str, float], ...] = ()

    def detail(self, name: str, default=None):
        return dict(self.details).get(name, default)
