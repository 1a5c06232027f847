"""Adjusting p-values when one pilot tests several metrics or hypotheses at once."""

from __future__ import annotations

import math

import numpy as np

METHODS = ("holm", "bh")


def adjust_p_values(p_values, method: str = "holm") -> tuple[float, ...]:
    """Adjusted p-values, in the order given, for Holm or Benjamini–Hochberg.

    "holm" controls the family-wise error rate (the chance of any false
    finding) and suits the few primary hypotheses of a pilot; "bh" controls
    the false discovery rate (the expected share of false findings) and suits
    screening many secondary metrics. Compare each adjusted value with alpha.

    Parameters
    ----------
    p_values : sequence of float
        Unadjusted p-values in [0, 1].
    method : {"holm", "bh"}
        Holm step-down or Benjamini–Hochberg step-up.

    Returns
    -------
    tuple of float
        Adjusted p-values, capped at 1; empty for an empty input.

    References
    ----------
    .. [1] Holm, S. (1979). A simple sequentially rejective multiple test
       procedure. Scandinavian Journal of Statistics 6, 65-70.
    .. [2] Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery
       rate. Journal of the Royal Statistical Society B 57, 289-300.

    Examples
    --------
    >>> [round(p, 6) for p in adjust_p_values([0.01, 0.04, 0.03, 0.005], "holm")]
    [0.03, 0.06, 0.06, 0.02]
    >>> [round(p, 6) for p in adjust_p_values([0.01, 0.04, 0.03, 0.005], "bh")]
    [0.02, 0.04, 0.04, 0.02]
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    p = np.asarray(p_values, dtype=float).ravel()
    if not all(math.isfinite(value) and 0 <= value <= 1 for value in p):
        raise ValueError(f"p-values must be numbers between 0 and 1, got {p.tolist()}")
    if p.size == 0:
        return ()
    order = np.argsort(p, kind="stable")
    m = p.size
    ranks = np.arange(1, m + 1)
    if method == "holm":
        # Step down: the k-th smallest is multiplied by m - k + 1, never below earlier ones.
        stepped = np.maximum.accumulate((m - ranks + 1) * p[order])
    else:
        # Step up: the k-th smallest is multiplied by m / k, never above later ones.
        stepped = np.minimum.accumulate((m / ranks * p[order])[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return tuple(float(value) for value in adjusted)
