"""Progress of an indicator against its own starting point, and its uncertainty.

A department is judged on how far it moved from where it started, not on its
level: a low start that improves is a success. Numbers in, small result
objects out; nothing here knows where the numbers came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

DIRECTIONS = ("increase", "decrease")
WELCH_METHOD = (
    "difference of the two periods' means; standard error and degrees of freedom "
    "from Welch (unequal variances), interval from the t distribution"
)
NO_SPREAD_METHOD = "difference of the two periods' values; no n and sd given, so no interval"


@dataclass(frozen=True)
class PeriodValue:
    """One period's measurement: a value and, when it is a mean of ``n`` answers, their sd."""

    value: float
    n: int | None = None
    sd: float | None = None

    @property
    def has_spread(self) -> bool:
        return self.n is not None and self.sd is not None and self.n >= 2


@dataclass(frozen=True)
class Change:
    """The change from a starting period to a later one.

    ``change`` is later minus start in the indicator's unit; ``improvement``
    is the same number signed so that positive means better in the
    indicator's direction. ``ci_low``/``ci_high`` bound ``change`` (not the
    improvement) and are None without n and sd in both periods.
    """

    start: float
    latest: float
    change: float
    improvement: float
    se: float | None
    df: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    method: str

    @property
    def has_interval(self) -> bool:
        return self.ci_low is not None

    @property
    def verdict(self) -> str:
        """better, worse, unclear (the interval holds zero) or unmeasured (no interval)."""
        if not self.has_interval:
            return "unmeasured"
        if self.ci_low > 0 or self.ci_high < 0:
            # The interval leaves out zero, so the change has a sign; the direction says
            # whether that sign is good.
            return "better" if self.improvement > 0 else "worse"
        return "unclear"


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")


def _check_value(name: str, measured: PeriodValue) -> None:
    if not math.isfinite(measured.value):
        raise ValueError(f"the {name} value must be a finite number, got {measured.value}")
    if measured.n is not None and measured.n < 1:
        raise ValueError(f"the {name} n must be at least 1, got {measured.n}")
    if measured.sd is not None and not (math.isfinite(measured.sd) and measured.sd >= 0):
        raise ValueError(f"the {name} sd must be a finite number of at least 0, got {measured.sd}")


def change_from_start(
    start: PeriodValue, latest: PeriodValue, direction: str = "increase", confidence: float = 0.95
) -> Change:
    """The change from ``start`` to ``latest``, with a Welch interval when both give n and sd.

    The two periods are treated as independent samples (different customers
    answer each month's survey), so the standard error of the difference is
    sqrt(sd0²/n0 + sd1²/n1) and its degrees of freedom are Welch–Satterthwaite's.

    References
    ----------
    B. L. Welch (1947), "The generalization of 'Student's' problem when several
    different population variances are involved", Biometrika 34, 28–35.

    Examples
    --------
    >>> c = change_from_start(PeriodValue(20, 100, 10), PeriodValue(24, 100, 10))
    >>> round(c.change, 3), round(c.se, 4), round(c.df, 1)
    (4.0, 1.4142, 198.0)
    >>> round(c.ci_low, 3), round(c.ci_high, 3), c.verdict
    (1.211, 6.789, 'better')
    """
    _check_direction(direction)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    _check_value("starting", start)
    _check_value("latest", latest)
    change = float(latest.value) - float(start.value)
    improvement = change if direction == "increase" else -change
    if not (start.has_spread and latest.has_spread):
        return Change(
            float(start.value),
            float(latest.value),
            change,
            improvement,
            None,
            None,
            None,
            None,
            confidence,
            NO_SPREAD_METHOD,
        )
    v0, v1 = start.sd**2 / start.n, latest.sd**2 / latest.n
    variance = v0 + v1
    se = math.sqrt(variance)
    if variance == 0:
        # Neither period varies: the difference is exact, and the interval has no width.
        df = float(start.n + latest.n - 2)
        low = high = change
    else:
        df = variance**2 / (v0**2 / (start.n - 1) + v1**2 / (latest.n - 1))
        half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
        low, high = change - half, change + half
    return Change(
        float(start.value),
        float(latest.value),
        change,
        improvement,
        se,
        df,
        low,
        high,
        confidence,
        WELCH_METHOD,
    )


def gap_closed(start: float, latest: float, target: float, direction: str) -> float | None:
    """The share of the distance from ``start`` to ``target`` covered by ``latest``.

    1 means the target is reached, 0 no movement, negative a move away from it,
    more than 1 past the target. None when the start was at or past the target
    already: there was no gap to close, so the rule has nothing to say.

    Examples
    --------
    >>> gap_closed(20, 30, 40, "increase")
    0.5
    >>> gap_closed(5.0, 4.5, 3.0, "decrease")
    0.25
    >>> gap_closed(45, 50, 40, "increase") is None
    True
    """
    _check_direction(direction)
    for name, value in (("start", start), ("latest", latest), ("target", target)):
        if not math.isfinite(value):
            raise ValueError(f"the {name} must be a finite number, got {value}")
    sign = 1.0 if direction == "increase" else -1.0
    gap = (target - start) * sign
    if gap <= 0:
        return None
    return (latest - start) * sign / gap


@dataclass(frozen=True)
class Standing:
    """One department's place in a ranking by progress."""

    unit: str
    score: float
    counted: int  # indicators that went into the score
    rank: int


def rank_by_progress(scores: dict[str, list[float]]) -> list[Standing]:
    """Rank units by the mean of their scores, best first; units without a score are left out.

    Equal means share a rank (competition ranking: 1, 2, 2, 4).

    Examples
    --------
    >>> [(s.unit, s.rank) for s in rank_by_progress({"a": [0.2], "b": [0.5, 0.7], "c": []})]
    [('b', 1), ('a', 2)]
    """
    means = [
        (unit, math.fsum(values) / len(values), len(values))
        for unit, values in scores.items()
        if values
    ]
    means.sort(key=lambda item: (-item[1], item[0]))
    standings, rank, previous = [], 0, None
    for place, (unit, mean, counted) in enumerate(means, start=1):
        if previous is None or not math.isclose(mean, previous, rel_tol=1e-12, abs_tol=1e-12):
            rank = place
        standings.append(Standing(unit, mean, counted, rank))
        previous = mean
    return standings
