"""Pilot designs beyond two groups: difference in differences, time series, thresholds."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats
from statsmodels.regression.linear_model import OLS

from analysis.results import Comparison, Estimate

# Below this many clusters per group, cluster-robust tests over-reject noticeably
# (Cameron & Miller 2015, section VI; MacKinnon & Webb 2017).
FEW_CLUSTERS = 10

# Memory budget (float64 cells) for one block of bootstrap outcomes.
_BLOCK_CELLS = 2_000_000


def difference_in_differences(y, pilot, post, cluster=None, alpha=0.05) -> Comparison:
    """Difference in differences: the pilot's change minus the baseline's change.

    Fits ``y ~ pilot + post + pilot:post`` by ordinary least squares; the
    interaction is the estimate. With ``cluster`` the standard errors are
    cluster-robust (CR1, the statsmodels default) and the interval and p-value
    use a t distribution with G − 1 degrees of freedom, G the number of
    clusters: the cluster-robust variance has at most G − 1 independent pieces,
    and G − 1 is what Stata and statsmodels use. Without ``cluster`` the errors
    are heteroskedasticity-robust (HC1) with n − 4 degrees of freedom.

    Parameters
    ----------
    y : array_like
        The outcome, one value per row (a unit in a period).
    pilot : array_like of bool or {0, 1}
        True for rows of the pilot group, False for the baseline group.
    post : array_like of bool or {0, 1}
        True for rows after the pilot started, False before.
    cluster : array_like, optional
        A label per row (numbers or strings) for the unit whose rows are
        correlated, such as the agent, site or customer. Each group needs at
        least two clusters.
    alpha : float
        One minus the confidence level of the intervals.

    Returns
    -------
    Comparison
        ``absolute`` is the difference in differences. ``relative`` divides it
        by the pilot's counterfactual post mean (pilot pre mean plus the
        baseline's change), with a delta-method interval on the same degrees
        of freedom; it is None when that counterfactual is not clearly away
        from zero (its own interval covers zero, so the ratio's would be
        unbounded). ``details``
        holds ``pre_gap`` (pilot − baseline before), ``baseline_change``,
        ``pilot_change``, ``counterfactual_mean`` and, when clustered,
        ``clusters``.

    Raises
    ------
    ValueError
        If the arrays differ in length, hold missing values, leave one of the
        four cells (group × period) with fewer than two rows, have fewer than
        two clusters in a group, or if ``y`` does not vary within cells.

    References
    ----------
    .. [1] Angrist, J. D. & Pischke, J.-S. (2009). *Mostly Harmless
       Econometrics*, section 5.2. Princeton University Press.
    .. [2] Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to
       cluster-robust inference. *Journal of Human Resources*, 50(2), 317–372.
    .. [3] MacKinnon, J. G. & Webb, M. D. (2017). Wild bootstrap inference for
       wildly different cluster sizes. *Journal of Applied Econometrics*,
       32(2), 233–254.
    .. [4] Fieller, E. C. (1954). Some problems in interval estimation. *JRSS
       B*, 16(2), 175–185.

    Examples
    --------
    >>> y = [10, 11, 10, 12, 10, 11, 13, 14]
    >>> pilot = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> post = [0, 0, 1, 1, 0, 0, 1, 1]
    >>> round(difference_in_differences(y, pilot, post).absolute.estimate, 6)
    2.5
    """
    _check_alpha(alpha)
    outcome = _finite_vector("y", y)
    in_pilot = _indicator("pilot", pilot, outcome.size)
    in_post = _indicator("post", post, outcome.size)
    _require_cells(in_pilot, in_post)
    design = np.column_stack([np.ones(outcome.size), in_pilot, in_post, in_pilot * in_post])
    notes = []
    details = []
    if cluster is None:
        fit = OLS(outcome, design).fit(cov_type="HC1")
        df = float(outcome.size - 4)
        test = "difference in differences (OLS, HC1 standard errors)"
    else:
        codes = _cluster_codes(cluster, outcome.size)
        n_clusters = _check_clusters(codes, in_pilot, notes)
        fit = OLS(outcome, design).fit(
            cov_type="cluster",
            cov_kwds={"groups": codes, "use_correction": True, "df_correction": True},
        )
        df = float(n_clusters - 1)
        test = "difference in differences (OLS, cluster-robust standard errors)"
        details.append(("clusters", float(n_clusters)))
    _require_residual_variation(fit, outcome, "the four pilot/period cells")
    params = np.asarray(fit.params)
    cov = np.asarray(fit.cov_params())
    effect = _t_inference(params[3], cov[3, 3], df, alpha, "the difference in differences")
    counterfactual = params[0] + params[1] + params[2]
    relative = _ratio_estimate(
        params,
        cov,
        [0, 0, 0, 1],
        [1, 1, 1, 0],
        df,
        alpha,
        "pilot's counterfactual post mean",
        notes,
    )
    details += [
        ("pre_gap", float(params[1])),
        ("baseline_change", float(params[2])),
        ("pilot_change", float(params[2] + params[3])),
        ("counterfactual_mean", float(counterfactual)),
    ]
    return _comparison(effect, relative, df, test, notes, details)


def interrupted_time_series(time, y, intervention, alpha=0.05, maxlags=None) -> Comparison:
    """Segmented regression of one series before and after an intervention.

    Fits ``y ~ t + post + (t − intervention)·post`` with time measured from
    the intervention, so the ``post`` coefficient is the jump in level at the
    intervention and the interaction is the change in slope. Standard errors
    are Newey–West (HAC, Bartlett kernel) with the small-sample factor
    n / (n − 4), as Stata's ``newey``; intervals and p-values use a t
    distribution with n − 4 degrees of freedom.

    Parameters
    ----------
    time : array_like of numbers or datetime64
        When each value was observed, one value per period (no repeats).
        Dates are converted to days, so slopes are per day.
    y : array_like
        The series.
    intervention : number or datetime64 (or anything ``numpy.datetime64`` reads)
        When the pilot started; observations at or after it count as post.
    alpha : float
        One minus the confidence level of the intervals.
    maxlags : int, optional
        Autocorrelation lags in the HAC variance. Defaults to
        floor(4 (n / 100) ** (2 / 9)), the Newey–West (1994) rule of thumb.

    Returns
    -------
    Comparison
        ``absolute`` is the level change at the intervention (post − pre);
        ``relative`` divides it by the pre-trend's level at the intervention
        (delta method), None when that level is not clearly away from zero.
        ``details`` holds
        ``slope_change`` with its ``slope_change_ci_low``,
        ``slope_change_ci_high`` and ``slope_change_p_value``, ``pre_slope``,
        ``post_slope``, ``counterfactual_level`` and ``maxlags``.

    Raises
    ------
    ValueError
        For fewer than three observations on either side, repeated times,
        missing values, mixed dates and numbers, a bad ``maxlags``, or a
        series that lies exactly on the two segments.

    Notes
    -----
    With strong autocorrelation and a short series, Newey–West intervals are
    somewhat too narrow: in simulations with AR(1) errors (φ = 0.6, 120
    points) 95% intervals covered about 85% of the time, against about 90% at
    φ = 0.3 ([4]_). Prefer longer series or aggregate to a coarser period.

    References
    ----------
    .. [1] Wagner, A. K., Soumerai, S. B., Zhang, F. & Ross-Degnan, D. (2002).
       Segmented regression analysis of interrupted time series studies in
       medication use research. *J. Clin. Pharm. Ther.*, 27(4), 299–309.
    .. [2] Newey, W. K. & West, K. D. (1987). A simple, positive semi-definite,
       heteroskedasticity and autocorrelation consistent covariance matrix.
       *Econometrica*, 55(3), 703–708.
    .. [3] Newey, W. K. & West, K. D. (1994). Automatic lag selection in
       covariance matrix estimation. *Rev. Econ. Stud.*, 61(4), 631–653.
    .. [4] Kiefer, N. M., Vogelsang, T. J. & Bunzel, H. (2000). Simple robust
       testing of regression hypotheses. *Econometrica*, 68(3), 695–714.

    Examples
    --------
    >>> t = np.arange(12)
    >>> y = 5 + 0.5 * t + 3 * (t >= 6) + np.tile([0.1, -0.1, 0, 0, -0.1, 0.1], 2)
    >>> result = interrupted_time_series(t, y, intervention=6)
    >>> round(result.absolute.estimate, 6), round(result.detail("pre_slope"), 6)
    (3.0, 0.5)
    """
    _check_alpha(alpha)
    outcome = _finite_vector("y", y)
    offset = _time_from_intervention(time, intervention, outcome.size)
    order = np.argsort(offset, kind="stable")
    offset, outcome = offset[order], outcome[order]
    if np.any(np.diff(offset) == 0):
        raise ValueError(
            "time has repeated values; aggregate the series to one value per period first"
        )
    post = (offset >= 0).astype(float)
    n_post = int(post.sum())
    if min(n_post, outcome.size - n_post) < 3:
        raise ValueError(
            "an interrupted time series needs at least three observations before and three "
            f"at or after the intervention, got {outcome.size - n_post} and {n_post}"
        )
    lags = _newey_west_lags(maxlags, outcome.size)
    design = np.column_stack([np.ones(outcome.size), offset, post, offset * post])
    fit = OLS(outcome, design).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}
    )
    _require_residual_variation(fit, outcome, "the two segments")
    params = np.asarray(fit.params)
    cov = np.asarray(fit.cov_params())
    df = float(outcome.size - 4)
    level = _t_inference(params[2], cov[2, 2], df, alpha, "the level change")
    slope = _t_inference(params[3], cov[3, 3], df, alpha, "the slope change")
    notes = []
    relative = _ratio_estimate(
        params,
        cov,
        [0, 0, 1, 0],
        [1, 0, 0, 0],
        df,
        alpha,
        "pre-trend level at the intervention",
        notes,
    )
    details = [
        ("slope_change", slope.estimate.estimate),
        ("slope_change_ci_low", slope.estimate.ci_low),
        ("slope_change_ci_high", slope.estimate.ci_high),
        ("slope_change_p_value", slope.p_value),
        ("pre_slope", float(params[1])),
        ("post_slope", float(params[1] + params[3])),
        ("counterfactual_level", float(params[0])),
        ("maxlags", float(lags)),
    ]
    test = f"interrupted time series (segmented OLS, Newey-West standard errors, {lags} lags)"
    return _comparison(level, relative, df, test, notes, details)


def threshold_regression(x, y, alpha=0.05, grid=None, n_resamples=999, seed=0) -> Comparison:
    """Hinge (broken-stick) regression: does the slope change past a threshold?

    Fits ``y = a + b·x + c·max(0, x − τ)`` with τ chosen from ``grid`` to
    minimise the residual sum of squares. The test of c = 0 allows for that
    search: its statistic is the largest F over the grid (sup-F), and its
    p-value comes from a wild bootstrap under the straight-line null
    (residuals of the line times random ±1 signs), which also holds when the
    spread changes with x. The intervals for c and τ are percentiles of a
    second wild bootstrap around the fitted hinge, refitting τ each time.

    Both bootstraps stay cheap because the straight-line part is projected out
    once: with every hinge column made orthogonal to ``[1, x]``, the F at a
    grid point needs only one inner product with the bootstrap outcome, so a
    block of resamples costs one (grid × n) by (n × block) matrix product —
    about half a second for 999 resamples of 10 000 rows on 50 grid points.

    Parameters
    ----------
    x : array_like
        The driver, such as weekly agent occupancy.
    y : array_like
        The outcome, such as turnover.
    alpha : float
        One minus the confidence level of the intervals.
    grid : array_like, optional
        Candidate thresholds strictly inside the range of ``x``; τ̂ is the
        best of them, so their spacing bounds its resolution. By default the
        search runs in two stages: the 50 quantiles of ``x`` from 10% to 90%,
        then 50 even steps between the two neighbours of the best of those;
        τ̂ and every bootstrap refit use the union of both stages.
    n_resamples : int
        Bootstrap resamples for the p-value and the intervals (at least 99).
    seed : int
        Seed of the random signs; the same seed gives the same result.

    Returns
    -------
    Comparison
        ``absolute`` is c, the change in slope past the threshold, with a
        bootstrap percentile interval; ``se`` is its bootstrap standard
        error; ``relative`` is None (a change of slope has no natural base).
        ``statistic`` is the sup-F, ``df`` None (it is not F-distributed).
        ``details`` holds ``threshold``, ``threshold_ci_low``,
        ``threshold_ci_high``, ``slope_below`` (b) and ``slope_above`` (b + c).

    Raises
    ------
    ValueError
        For fewer than 10 rows, missing values, fewer than three distinct
        ``x`` values, constant ``y``, ``y`` exactly on a straight line, a grid
        outside the data, or too few resamples.

    References
    ----------
    .. [1] Hansen, B. E. (1996). Inference when a nuisance parameter is not
       identified under the null hypothesis. *Econometrica*, 64(2), 413–430.
    .. [2] Hansen, B. E. (2017). Regression kink with an unknown threshold.
       *J. Business & Economic Statistics*, 35(2), 228–240.
    .. [3] Davidson, R. & Flachaire, E. (2008). The wild bootstrap, tamed at
       last. *Journal of Econometrics*, 146(1), 162–169.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> occupancy = rng.uniform(0.5, 0.9, 2000)
    >>> turnover = 0.05 + 0.8 * np.maximum(0, occupancy - 0.7) + rng.normal(0, 0.02, 2000)
    >>> result = threshold_regression(occupancy, turnover)
    >>> abs(result.detail("threshold") - 0.7) < 0.02, result.p_value < 0.01
    (True, True)
    """
    _check_alpha(alpha)
    exposure = _finite_vector("x", x)
    outcome = _finite_vector("y", y)
    if exposure.size != outcome.size:
        raise ValueError(
            f"x and y must have the same length, got {exposure.size} and {outcome.size}"
        )
    if exposure.size < 10:
        raise ValueError(
            f"threshold regression needs at least 10 observations, got {exposure.size}"
        )
    if n_resamples < 99:
        raise ValueError(f"n_resamples must be at least 99, got {n_resamples}")
    hinge = _HingeFit(exposure, outcome, _threshold_grid(exposure, grid))
    if grid is None:
        hinge = _HingeFit(exposure, outcome, _refined_grid(hinge.thresholds, hinge.threshold))
    null_rng, model_rng = np.random.default_rng(seed).spawn(2)
    null_statistics = hinge.null_sup_f(null_rng, n_resamples)
    p_value = (1 + np.count_nonzero(null_statistics >= hinge.sup_f)) / (n_resamples + 1)
    change_draws, threshold_draws = hinge.model_bootstrap(model_rng, n_resamples)
    tails = [alpha / 2, 1 - alpha / 2]
    change_low, change_high = np.quantile(change_draws, tails)
    threshold_low, threshold_high = np.quantile(threshold_draws, tails)
    notes = ["no relative change: a change of slope has no natural baseline"]
    if p_value > alpha:
        notes.append(
            "no clear threshold: when the slope may not change, the threshold and its "
            "interval are not well defined"
        )
    return Comparison(
        absolute=Estimate(hinge.slope_change, float(change_low), float(change_high)),
        relative=None,
        statistic=hinge.sup_f,
        df=None,
        p_value=float(p_value),
        test="hinge regression, sup-F over the threshold grid, wild bootstrap p-value",
        se=float(np.std(change_draws, ddof=1)),
        notes=tuple(notes),
        details=(
            ("threshold", hinge.threshold),
            ("threshold_ci_low", float(threshold_low)),
            ("threshold_ci_high", float(threshold_high)),
            ("slope_below", hinge.slope_below),
            ("slope_above", hinge.slope_below + hinge.slope_change),
        ),
    )


class _HingeFit:
    """Least squares over a threshold grid, with the straight line projected out.

    ``residual_hinges`` holds each hinge column ``max(0, x − τ)`` made
    orthogonal to ``[1, x]``; by Frisch–Waugh–Lovell the hinge coefficient at τ
    is ``r'y / r'r`` and adding the hinge lowers the residual sum of squares
    by ``(r'y)² / r'r``.
    """

    def __init__(self, exposure, outcome, thresholds):
        self.n = exposure.size
        centred = exposure - exposure.mean()
        self.line_basis, _ = np.linalg.qr(np.column_stack([np.ones(self.n), centred]))
        hinges = np.maximum(0.0, exposure[:, None] - thresholds[None, :])
        residual_hinges = hinges - self.line_basis @ (self.line_basis.T @ hinges)
        energy = np.einsum("ij,ij->j", residual_hinges, residual_hinges)
        # A hinge almost on the line (a threshold at the edge of tied data) has
        # no slope change of its own to estimate.
        usable = energy > 1e-8 * np.einsum("ij,ij->j", hinges, hinges)
        if not usable.any():
            raise ValueError(
                "no threshold in the grid leaves enough distinct x values on each side to fit "
                "a change of slope; choose thresholds between distinct x values"
            )
        self.thresholds = thresholds[usable]
        self.residual_hinges = residual_hinges[:, usable]
        self.energy = energy[usable]
        self.hinge_on_x = centred @ hinges[:, usable] / (centred @ centred)
        self.centred = centred
        self._fit(outcome)

    def _fit(self, outcome):
        self.line_residuals = outcome - self.line_basis @ (self.line_basis.T @ outcome)
        rss_line = float(self.line_residuals @ self.line_residuals)
        total = float(np.sum((outcome - outcome.mean()) ** 2))
        if np.ptp(outcome) == 0:
            raise ValueError("y is constant, so there is no relationship with x to examine")
        if rss_line <= 1e-20 * total:
            raise ValueError(
                "y lies exactly on a straight line in x: there is no threshold to find"
            )
        projections = self.residual_hinges.T @ outcome
        gains = projections**2 / self.energy
        best = int(np.argmax(gains))
        self.threshold = float(self.thresholds[best])
        self.slope_change = float(projections[best] / self.energy[best])
        self.slope_below = float(
            self.centred @ outcome / (self.centred @ self.centred)
            - self.slope_change * self.hinge_on_x[best]
        )
        rss_hinge = rss_line - gains[best]
        self.hinge_residuals = (
            self.line_residuals - self.slope_change * self.residual_hinges[:, best]
        )
        self.fitted = outcome - self.hinge_residuals
        self.sup_f = _f_ratio(gains[best], rss_hinge, self.n)

    def _signed_blocks(self, rng, residuals, n_resamples):
        """Wild-bootstrap errors, ``residuals`` times random signs, in blocks."""
        block = max(1, _BLOCK_CELLS // self.n)
        for start in range(0, n_resamples, block):
            size = min(block, n_resamples - start)
            signs = np.where(rng.random((self.n, size)) < 0.5, -1.0, 1.0)
            yield residuals[:, None] * signs

    def null_sup_f(self, rng, n_resamples):
        """Sup-F of outcomes drawn under the straight-line null."""
        statistics = []
        for errors in self._signed_blocks(rng, self.line_residuals, n_resamples):
            # The fitted line drops out: every residual hinge is orthogonal to it.
            best_gain = np.max(
                (self.residual_hinges.T @ errors) ** 2 / self.energy[:, None], axis=0
            )
            on_line = self.line_basis.T @ errors
            rss_line = np.einsum("ij,ij->j", errors, errors) - np.einsum(
                "ij,ij->j", on_line, on_line
            )
            statistics.append(_f_ratio(best_gain, rss_line - best_gain, self.n))
        return np.concatenate(statistics)

    def model_bootstrap(self, rng, n_resamples):
        """Slope changes and thresholds refitted on outcomes drawn around the hinge."""
        changes, thresholds = [], []
        for errors in self._signed_blocks(rng, self.hinge_residuals, n_resamples):
            projections = self.residual_hinges.T @ (self.fitted[:, None] + errors)
            best = np.argmax(projections**2 / self.energy[:, None], axis=0)
            columns = np.arange(best.size)
            changes.append(projections[best, columns] / self.energy[best])
            thresholds.append(self.thresholds[best])
        return np.concatenate(changes), np.concatenate(thresholds)


def _f_ratio(gain, rss_hinge, n):
    """F for adding one hinge column: infinite when the hinge fits exactly."""
    gain = np.asarray(gain, dtype=float)
    rss_hinge = np.asarray(rss_hinge, dtype=float)
    exact = rss_hinge <= 1e-12 * (gain + rss_hinge)
    ratio = np.divide((n - 3) * gain, rss_hinge, out=np.full(gain.shape, np.inf), where=~exact)
    return float(ratio) if ratio.ndim == 0 else ratio


def _refined_grid(thresholds, best):
    """The grid plus 50 even steps between the neighbours of its best point."""
    k = int(np.searchsorted(thresholds, best))
    low = thresholds[max(k - 1, 0)]
    high = thresholds[min(k + 1, thresholds.size - 1)]
    return np.union1d(thresholds, np.linspace(low, high, 50))


def _threshold_grid(exposure, grid):
    if np.unique(exposure).size < 3:
        raise ValueError(
            "x has fewer than three distinct values, so a change of slope cannot be told "
            "apart from a straight line"
        )
    if grid is None:
        return np.unique(np.quantile(exposure, np.linspace(0.1, 0.9, 50)))
    thresholds = _finite_vector("grid", grid)
    inside = (thresholds > exposure.min()) & (thresholds < exposure.max())
    if not inside.all():
        raise ValueError(
            f"grid values must lie strictly between min(x) = {exposure.min():g} and "
            f"max(x) = {exposure.max():g}"
        )
    return np.unique(thresholds)


def _require_residual_variation(fit, outcome, model):
    """Refuse a model that fits exactly: its standard errors would be rounding noise."""
    spread = float(np.sum((outcome - outcome.mean()) ** 2))
    if np.ptp(outcome) == 0 or fit.ssr <= 1e-20 * spread:
        raise ValueError(
            f"y does not vary around {model}, so there is no standard error; "
            "check that the outcome column holds the measured values"
        )


class _TestedEstimate(NamedTuple):
    estimate: Estimate
    se: float
    statistic: float
    p_value: float


def _t_inference(estimate, variance, df, alpha, what):
    """Estimate, t statistic and two-sided p-value from a coefficient and its variance."""
    if not variance > 0:
        raise ValueError(
            f"{what} has no standard error: the outcome does not vary around the fitted model"
        )
    se = math.sqrt(variance)
    margin = stats.t.ppf(1 - alpha / 2, df) * se
    statistic = estimate / se
    return _TestedEstimate(
        Estimate(float(estimate), float(estimate - margin), float(estimate + margin)),
        float(se),
        float(statistic),
        float(2 * stats.t.sf(abs(statistic), df)),
    )


def _ratio_estimate(params, cov, numerator_weights, denominator_weights, df, alpha, base, notes):
    """Ratio of two linear combinations of ``params``, with a delta-method interval.

    Returns None, with a note, unless the denominator is clearly away from
    zero (its own interval excludes zero): otherwise the ratio's interval is
    unbounded (Fieller 1954) and the delta method would hide that.
    """
    numerator_weights = np.asarray(numerator_weights, dtype=float)
    denominator_weights = np.asarray(denominator_weights, dtype=float)
    numerator = float(numerator_weights @ params)
    denominator = float(denominator_weights @ params)
    critical = stats.t.ppf(1 - alpha / 2, df)
    denominator_se = math.sqrt(max(denominator_weights @ cov @ denominator_weights, 0.0))
    scale = float(np.abs(params).max())
    if abs(denominator) <= max(critical * denominator_se, 1e-12 * scale):
        notes.append(f"no relative change: the {base} is not clearly away from zero")
        return None
    ratio = numerator / denominator
    gradient = (numerator_weights - ratio * denominator_weights) / denominator
    margin = critical * math.sqrt(max(gradient @ cov @ gradient, 0.0))
    notes.append(f"relative change is against the {base}; its interval uses the delta method")
    if denominator < 0:
        notes.append(f"the {base} is negative, so read the sign of the relative change with care")
    return Estimate(float(ratio), float(ratio - margin), float(ratio + margin))


def _comparison(tested, relative, df, test, notes, details):
    return Comparison(
        absolute=tested.estimate,
        relative=relative,
        statistic=tested.statistic,
        df=df,
        p_value=tested.p_value,
        test=test,
        se=tested.se,
        notes=tuple(notes),
        details=tuple(details),
    )


def _check_alpha(alpha):
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")


def _finite_vector(name, values):
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must hold numbers: {error}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} has missing or infinite values; remove or fill them first")
    return array


def _indicator(name, values, n):
    array = _finite_vector(name, values)
    if array.size != n:
        raise ValueError(f"{name} must have one value per y, got {array.size} for {n}")
    if not np.isin(array, (0.0, 1.0)).all():
        raise ValueError(f"{name} must be True/False (or 1/0)")
    return array


def _require_cells(in_pilot, in_post):
    for group, group_name in ((0.0, "baseline"), (1.0, "pilot")):
        for period, period_name in ((0.0, "pre"), (1.0, "post")):
            count = int(np.count_nonzero((in_pilot == group) & (in_post == period)))
            if count < 2:
                raise ValueError(
                    f"the {group_name} group has {count} {period_name}-period rows; "
                    "each group needs at least two rows before and two after"
                )


def _cluster_codes(cluster, n):
    labels = list(cluster)
    if len(labels) != n:
        raise ValueError(f"cluster must have one label per y, got {len(labels)} for {n}")
    codes = {}
    for label in labels:
        if label is None or (isinstance(label, float) and math.isnan(label)):
            raise ValueError("cluster has missing labels; give every row its unit")
        codes.setdefault(label, len(codes))
    return np.array([codes[label] for label in labels])


def _check_clusters(codes, in_pilot, notes):
    """Number of clusters; refuses a group with one cluster, notes a group with few."""
    counts = {
        name: np.unique(codes[in_pilot == group]).size
        for group, name in ((0.0, "baseline"), (1.0, "pilot"))
    }
    for name, count in counts.items():
        if count < 2:
            raise ValueError(
                f"the {name} group has {count} cluster; cluster-robust standard errors need "
                "at least two per group (with one they are far too small). Cluster by a finer "
                "unit, such as agent or site, or leave cluster out"
            )
    if min(counts.values()) < FEW_CLUSTERS:
        notes.append(
            f"few clusters ({counts['pilot']} pilot, {counts['baseline']} baseline): "
            "cluster-robust p-values tend to be too small with fewer than "
            f"{FEW_CLUSTERS} per group"
        )
    return int(np.unique(codes).size)


def _time_from_intervention(time, intervention, n):
    """Time since the intervention as floats: days for dates, units for numbers."""
    stamps = np.asarray(time)
    if stamps.ndim != 1 or stamps.size != n:
        raise ValueError(f"time must have one value per y, got shape {stamps.shape} for {n}")
    if stamps.dtype.kind in "biuf":
        if isinstance(intervention, (np.datetime64, str)) or hasattr(intervention, "year"):
            raise ValueError("time holds numbers but intervention is a date; use the same kind")
        offset = stamps.astype(float) - float(intervention)
    else:
        if isinstance(intervention, (int, float, np.number)):
            raise ValueError("time holds dates but intervention is a number; use the same kind")
        try:
            days = stamps.astype("datetime64[ns]")
            start = np.datetime64(intervention, "ns")
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"time and intervention must both be numbers or dates: {error}"
            ) from None
        if np.isnat(days).any() or np.isnat(start):
            raise ValueError("time or intervention has missing dates (NaT)")
        offset = (days - start) / np.timedelta64(1, "D")
    if not np.isfinite(offset).all():
        raise ValueError("time or intervention has missing or infinite values")
    return offset


def _newey_west_lags(maxlags, n):
    if maxlags is None:
        return int(math.floor(4 * (n / 100) ** (2 / 9)))
    if int(maxlags) != maxlags or not 0 <= maxlags < n:
        raise ValueError(f"maxlags must be a whole number from 0 to {n - 1}, got {maxlags}")
    return int(maxlags)
