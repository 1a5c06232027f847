"""Differences in the tails: how the pilot changes the worst experiences, not the average."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from analysis.results import Estimate


@dataclass(frozen=True)
class QuantileDifference:
    """Pilot against baseline at one quantile, such as the 90th percentile wait.

    ``absolute`` is pilot − baseline; ``relative`` is pilot / baseline − 1, None
    when the baseline quantile is not safely positive (``notes`` says why).
    """

    quantile: float
    baseline: float
    pilot: float
    absolute: Estimate
    relative: Estimate | None
    notes: tuple[str, ...] = ()


def quantile_differences(
    baseline, pilot, quantiles=(0.5, 0.9, 0.95), alpha=0.05, n_resamples=2000, seed=0
) -> tuple[QuantileDifference, ...]:
    """Pilot − baseline at several quantiles, with bootstrap percentile intervals.

    Quantiles are numpy's default (linear interpolation between order
    statistics, Hyndman & Fan type 7). The two groups are resampled
    independently. Rather than drawing whole resamples, each bootstrap
    quantile is drawn from its exact bootstrap distribution: the k-th
    smallest of n draws with replacement is the sorted data at position
    ⌊n·U₍ₖ₎⌋, where U₍ₖ₎ ~ Beta(k, n − k + 1) is the k-th smallest of n
    uniforms, and the next order statistic is U₍ₖ₎ + (1 − U₍ₖ₎)·Beta(1, n − k).
    This is the same distribution as the ordinary bootstrap, at a cost that
    does not grow with the sample size.

    Parameters
    ----------
    baseline, pilot : array_like
        Observations of the metric, such as resolution times in hours.
    quantiles : sequence of float
        Quantiles in [0, 1] to compare.
    alpha : float
        One minus the confidence level of the intervals.
    n_resamples : int
        Bootstrap draws per quantile and group (at least 99).
    seed : int
        Seed of the draws; the same seed gives the same intervals.

    Returns
    -------
    tuple of QuantileDifference
        One per quantile, in the order given.

    Raises
    ------
    ValueError
        For fewer than two observations in a group, missing values,
        quantiles outside [0, 1], or too few resamples.

    References
    ----------
    .. [1] Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical
       packages. *The American Statistician*, 50(4), 361–365.
    .. [2] Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the
       Bootstrap*, chapter 13 (percentile intervals). Chapman & Hall.
    .. [3] Hutson, A. D. & Ernst, M. D. (2000). The exact bootstrap mean and
       variance of an L-estimator. *JRSS B*, 62(1), 89–94.
    .. [4] David, H. A. & Nagaraja, H. N. (2003). *Order Statistics*, 3rd ed.,
       section 2.2 (uniform order statistics). Wiley.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> baseline = rng.exponential(10, 500)
    >>> pilot = rng.exponential(7, 500)
    >>> p90 = quantile_differences(baseline, pilot, quantiles=(0.9,))[0]
    >>> p90.absolute.estimate < 0 and p90.absolute.ci_high < 0
    True
    """
    return _compare(
        _SortedSample.from_values("baseline", baseline),
        _SortedSample.from_values("pilot", pilot),
        quantiles,
        alpha,
        n_resamples,
        seed,
    )


def quantile_differences_from_counts(
    baseline_counts: Mapping[float, int],
    pilot_counts: Mapping[float, int],
    quantiles=(0.5, 0.9, 0.95),
    alpha=0.05,
    n_resamples=2000,
    seed=0,
) -> tuple[QuantileDifference, ...]:
    """:func:`quantile_differences` for bounded scores kept as ``{value: count}``.

    Gives exactly what :func:`quantile_differences` gives on the expanded
    data, draws included, without expanding it.

    Parameters
    ----------
    baseline_counts, pilot_counts : Mapping[float, int]
        How many times each value occurred, such as ``{1: 12, 2: 30, ...}``
        for a 1–5 satisfaction score. Zero counts are allowed.
    quantiles, alpha, n_resamples, seed
        As for :func:`quantile_differences`.

    Returns
    -------
    tuple of QuantileDifference

    Raises
    ------
    ValueError
        For negative or fractional counts, non-finite values, fewer than two
        observations in a group, or the errors of :func:`quantile_differences`.

    References
    ----------
    .. [1] Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical
       packages. *The American Statistician*, 50(4), 361–365.

    Examples
    --------
    >>> baseline = {1: 40, 2: 30, 3: 20, 4: 10}
    >>> pilot = {1: 20, 2: 30, 3: 30, 4: 20}
    >>> median = quantile_differences_from_counts(baseline, pilot, quantiles=(0.5,))[0]
    >>> median.baseline, median.pilot
    (2.0, 2.5)
    """
    return _compare(
        _SortedSample.from_counts("baseline_counts", baseline_counts),
        _SortedSample.from_counts("pilot_counts", pilot_counts),
        quantiles,
        alpha,
        n_resamples,
        seed,
    )


def _compare(baseline, pilot, quantiles, alpha, n_resamples, seed):
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if n_resamples < 99:
        raise ValueError(f"n_resamples must be at least 99, got {n_resamples}")
    levels = np.atleast_1d(np.asarray(quantiles, dtype=float))
    if levels.ndim != 1 or levels.size == 0 or not ((levels >= 0) & (levels <= 1)).all():
        raise ValueError(
            f"quantiles must be a non-empty list of numbers in [0, 1], got {quantiles}"
        )
    rng = np.random.default_rng(seed)
    tails = [alpha / 2, 1 - alpha / 2]
    results = []
    for level in levels:
        baseline_draws = baseline.bootstrap_quantile(level, rng, n_resamples)
        pilot_draws = pilot.bootstrap_quantile(level, rng, n_resamples)
        baseline_point = baseline.quantile(level)
        pilot_point = pilot.quantile(level)
        low, high = np.quantile(pilot_draws - baseline_draws, tails)
        relative, notes = _relative(baseline_point, pilot_point, baseline_draws, pilot_draws, tails)
        results.append(
            QuantileDifference(
                quantile=float(level),
                baseline=baseline_point,
                pilot=pilot_point,
                absolute=Estimate(pilot_point - baseline_point, float(low), float(high)),
                relative=relative,
                notes=notes,
            )
        )
    return tuple(results)


def _relative(baseline_point, pilot_point, baseline_draws, pilot_draws, tails):
    """Pilot / baseline − 1, only when the baseline quantile stays positive."""
    if baseline_point <= 0 or baseline_draws.min() <= 0:
        return None, (
            "no relative change: the baseline quantile is zero or negative, or could be "
            "within sampling error",
        )
    low, high = np.quantile(pilot_draws / baseline_draws - 1, tails)
    return Estimate(pilot_point / baseline_point - 1, float(low), float(high)), ()


@dataclass(frozen=True)
class _SortedSample:
    """A sample stored as its distinct sorted values and their cumulative counts."""

    values: np.ndarray
    cumulative: np.ndarray

    @classmethod
    def from_values(cls, name, observations):
        try:
            data = np.asarray(observations, dtype=float)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} must hold numbers: {error}") from None
        if data.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {data.shape}")
        values, counts = np.unique(data, return_counts=True)
        return cls._checked(name, values, counts)

    @classmethod
    def from_counts(cls, name, counts_by_value):
        if not isinstance(counts_by_value, Mapping):
            raise ValueError(f"{name} must map each value to its count, such as {{1: 12, 2: 30}}")
        try:
            values = np.array(list(counts_by_value.keys()), dtype=float)
            counts = np.array(list(counts_by_value.values()), dtype=float)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} must map numbers to counts: {error}") from None
        if (counts < 0).any() or (counts != np.round(counts)).any():
            raise ValueError(f"{name} counts must be whole numbers of at least zero")
        order = np.argsort(values)
        return cls._checked(name, values[order], counts[order].astype(np.int64))

    @classmethod
    def _checked(cls, name, values, counts):
        if not np.isfinite(values).all():
            raise ValueError(f"{name} has missing or infinite values; remove them first")
        kept = counts > 0
        cumulative = np.cumsum(counts[kept])
        if cumulative.size == 0 or cumulative[-1] < 2:
            raise ValueError(f"{name} needs at least two observations")
        return cls(values[kept], cumulative)

    @property
    def size(self) -> int:
        return int(self.cumulative[-1])

    def at(self, positions):
        """Values at 0-based positions of the sorted (expanded) sample."""
        return self.values[np.searchsorted(self.cumulative, positions, side="right")]

    def _position(self, level):
        """Lower order statistic (0-based) and interpolation weight, as numpy's 'linear'."""
        exact = (self.size - 1) * level
        lower = min(int(np.floor(exact)), self.size - 1)
        return lower, exact - lower

    def quantile(self, level) -> float:
        lower, weight = self._position(level)
        below = float(self.at(lower))
        if weight == 0:
            return below
        return below + float(weight) * (float(self.at(lower + 1)) - below)

    def bootstrap_quantile(self, level, rng, n_resamples):
        """Draws of this quantile over bootstrap resamples of the sample."""
        n = self.size
        lower, weight = self._position(level)
        rank = lower + 1
        uniform_low = rng.beta(rank, n - rank + 1, n_resamples)
        below = self.at(np.minimum(np.floor(n * uniform_low), n - 1))
        if weight == 0:
            return below
        uniform_high = uniform_low + (1 - uniform_low) * rng.beta(1, n - rank, n_resamples)
        above = self.at(np.minimum(np.floor(n * uniform_high), n - 1))
        return below + weight * (above - below)
