"""Sufficient statistics: the sums an analysis needs instead of raw rows.

Sums are kept around a fixed reference value (the *shift*), so that sums of
squares stay exact when the mean is large against the spread. A one-pass
``sum(x*x) - sum(x)**2 / n`` in float64 loses every digit on data such as
NIST StRD ``NumAcc4`` (mean 10000000.2, sd 0.1); the same sums taken around a
value near the mean keep them.

Sums taken around the same shift are additive, which is what lets the store
keep one row per (group, period, iteration, day) and add them up at query time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Moments:
    """Count, sum and sum of squares of one variable around ``shift``.

    Parameters
    ----------
    n : int
        Number of observations.
    sum : float
        Sum of ``x - shift``.
    sum_sq : float
        Sum of ``(x - shift) ** 2``.
    shift : float
        The reference value the sums are taken around.

    Examples
    --------
    >>> m = Moments.from_values([10000001, 10000003, 10000002])
    >>> m.mean, m.sd
    (10000002.0, 1.0)
    """

    n: int
    sum: float
    sum_sq: float
    shift: float = 0.0

    @classmethod
    def from_values(cls, values, shift: float | None = None) -> Moments:
        """Moments of ``values``; the shift defaults to the first value."""
        x = np.asarray(values, dtype=float)
        if shift is None:
            shift = float(x[0]) if x.size else 0.0
        d = x - shift
        return cls(int(x.size), float(d.sum()), float((d * d).sum()), float(shift))

    @classmethod
    def from_summary(cls, n: int, mean: float, sd: float, shift: float = 0.0) -> Moments:
        """Moments that reproduce a reported ``n``, ``mean`` and ``sd`` (ddof 1)."""
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        if sd < 0:
            raise ValueError(f"sd must not be negative, got {sd}")
        centre = mean - shift
        sum_sq = max(n - 1, 0) * sd * sd + n * centre * centre
        return cls(int(n), n * centre, sum_sq, float(shift))

    def __add__(self, other: Moments) -> Moments:
        if other.shift != self.shift:
            other = other.reshift(self.shift)
        return Moments(
            self.n + other.n, self.sum + other.sum, self.sum_sq + other.sum_sq, self.shift
        )

    def reshift(self, shift: float) -> Moments:
        """The same moments expressed around another shift."""
        delta = self.shift - shift
        new_sum = self.sum + self.n * delta
        new_sum_sq = self.sum_sq + 2 * delta * self.sum + self.n * delta * delta
        return Moments(self.n, new_sum, new_sum_sq, shift)

    @property
    def mean(self) -> float:
        """Arithmetic mean; NaN when there are no observations."""
        return self.shift + self.sum / self.n if self.n else math.nan

    @property
    def m2(self) -> float:
        """Sum of squared deviations from the mean."""
        if not self.n:
            return math.nan
        return max(self.sum_sq - self.sum * self.sum / self.n, 0.0)

    @property
    def variance(self) -> float:
        """Sample variance (ddof 1); NaN below two observations."""
        return self.m2 / (self.n - 1) if self.n > 1 else math.nan

    @property
    def sd(self) -> float:
        """Sample standard deviation (ddof 1)."""
        return math.sqrt(self.variance) if self.n > 1 else math.nan


@dataclass(frozen=True)
class Comoments:
    """Joint sums of two variables observed on the same rows.

    ``x`` and ``y`` are the numerator and denominator of a ratio metric, or an
    outcome and its pre-period covariate (CUPED). ``sum_xy`` is the sum of
    ``(x - x.shift) * (y - y.shift)``; ``x.n == y.n`` always.
    """

    x: Moments
    y: Moments
    sum_xy: float

    def __post_init__(self):
        if self.x.n != self.y.n:
            raise ValueError(f"x and y must have the same count, got {self.x.n} and {self.y.n}")

    @classmethod
    def from_values(cls, x, y, shift_x: float | None = None, shift_y: float | None = None):
        """Comoments of paired arrays ``x`` and ``y``."""
        xs = np.asarray(x, dtype=float)
        ys = np.asarray(y, dtype=float)
        if xs.shape != ys.shape:
            raise ValueError(f"x and y must have the same length, got {xs.size} and {ys.size}")
        mx = Moments.from_values(xs, shift_x)
        my = Moments.from_values(ys, shift_y)
        cross = float(((xs - mx.shift) * (ys - my.shift)).sum())
        return cls(mx, my, cross)

    def __add__(self, other: Comoments) -> Comoments:
        other = other.reshift(self.x.shift, self.y.shift)
        return Comoments(self.x + other.x, self.y + other.y, self.sum_xy + other.sum_xy)

    def reshift(self, shift_x: float, shift_y: float) -> Comoments:
        """The same comoments expressed around other shifts."""
        dx = self.x.shift - shift_x
        dy = self.y.shift - shift_y
        cross = self.sum_xy + dx * self.y.sum + dy * self.x.sum + self.x.n * dx * dy
        return Comoments(self.x.reshift(shift_x), self.y.reshift(shift_y), cross)

    @property
    def n(self) -> int:
        return self.x.n

    @property
    def covariance(self) -> float:
        """Sample covariance of x and y (ddof 1); NaN below two observations."""
        if self.n < 2:
            return math.nan
        return (self.sum_xy - self.x.sum * self.y.sum / self.n) / (self.n - 1)
