"""Bayesian comparison of pilot and baseline: chance to beat the baseline and expected loss."""

from __future__ import annotations

import math

from scipy import stats

from analysis.results import Comparison, Estimate
from analysis.two_sample import (
    check_alpha,
    check_direction,
    check_variation,
    group_estimates,
    relative_lift,
)

P_VALUE_NOTE = (
    "p_value is the posterior probability that the true change has the opposite sign to "
    "its estimate, not a frequentist p-value."
)


def normal_posterior(
    estimate: float, se: float, prior_mean: float, prior_sd: float | None
) -> tuple[float, float]:
    """Posterior mean and sd of a normal likelihood N(estimate, se²) and a normal prior.

    ``prior_sd`` None is the flat prior: the posterior is the likelihood itself.

    References
    ----------
    .. [1] Gelman, A. et al. (2013). Bayesian Data Analysis, 3rd ed., section 2.5
       (normal distribution with known variance). CRC Press.

    Examples
    --------
    >>> mean, sd = normal_posterior(0.2, 0.1, 0.0, 0.1)
    >>> round(mean, 6), round(sd, 6)
    (0.1, 0.070711)
    """
    if not (math.isfinite(estimate) and math.isfinite(se) and se > 0):
        raise ValueError(f"the estimate must be finite and its se positive, got {estimate}, {se}")
    if prior_sd is None:
        return estimate, se
    _check_prior(prior_mean, prior_sd)
    # Weights as shares of the summed variances: 1 / se² overflows for a tiny se.
    scale = math.hypot(se, prior_sd)
    data_weight, prior_weight = (prior_sd / scale) ** 2, (se / scale) ** 2
    mean = estimate * data_weight + prior_mean * prior_weight
    return mean, se / scale * prior_sd


def expected_loss(mean: float, sd: float, direction: str) -> float:
    """Expected shortfall E[max(0, −G)] of a normal lift, G measured in the good direction.

    Adopting the pilot loses nothing when the pilot is truly better and loses
    the size of the harm when it is worse; this is the average harm under the
    posterior N(mean, sd²), with G = lift for "increase" metrics and
    G = −lift for "decrease" metrics. Closed form: sd·φ(m/sd) − m·Φ(−m/sd),
    m the posterior mean of G.

    Examples
    --------
    >>> round(expected_loss(0.0, 1.0, "increase"), 6)
    0.398942
    """
    if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
        raise ValueError(f"the lift needs a finite mean and a positive sd, got {mean}, {sd}")
    good = mean if direction == "increase" else -mean
    if abs(good / sd) > 40:
        # Beyond 40 sd the normal tail is below 1e-300: the loss is the harm or nothing.
        return max(0.0, -good)
    return float(sd * stats.norm.pdf(good / sd) - good * stats.norm.cdf(-good / sd))


def bayesian_compare(
    baseline,
    pilot,
    kind: str,
    direction: str,
    alpha: float = 0.05,
    prior_mean: float = 0.0,
    prior_sd: float | None = None,
) -> Comparison:
    """Normal–normal Bayesian comparison of pilot with baseline on the relative lift.

    The relative lift L = pilot / baseline − 1 has the approximately normal
    likelihood N(L̂, se²) of the delta method (:func:`analysis.two_sample.relative_lift`),
    combined with a normal prior N(prior_mean, prior_sd²) on L, or a flat prior
    when ``prior_sd`` is None. The absolute difference gets the same prior carried
    to metric units by the baseline estimate (mean baseline·prior_mean, sd
    baseline·prior_sd), so with a flat prior the absolute interval is the usual
    normal interval.

    Parameters
    ----------
    baseline, pilot : Moments or Comoments
        See :func:`analysis.two_sample.group_estimates`.
    kind : {"mean", "proportion", "ratio"}
        How the metric is summarised per group.
    direction : {"increase", "decrease"}
        Which way is better: for "decrease" metrics (costs, waiting times,
        missed appointments) beating the baseline means being lower.
    alpha : float
        The credible intervals hold 1 − alpha of the posterior, equal tails.
    prior_mean, prior_sd : float
        Normal prior on the relative lift (0.1 is +10 %). ``prior_sd`` None
        means a flat prior, and then ``prior_mean`` must stay 0.

    Returns
    -------
    Comparison
        ``relative`` and ``absolute`` are posterior means with credible
        intervals. ``p_value`` is the posterior probability of the wrong sign,
        P(L has the opposite sign to its posterior mean) = Φ(−|mean| / sd); with a
        flat prior it is half the two-sided normal p-value. ``statistic`` is the
        posterior mean / sd of L, ``se`` the posterior sd of the absolute
        difference. ``details`` holds ("chance_to_beat_baseline", P(pilot better))
        and ("expected_loss", expected relative loss if the pilot is adopted,
        see :func:`expected_loss`).

    References
    ----------
    .. [1] Gelman, A. et al. (2013). Bayesian Data Analysis, 3rd ed., section 2.5.
    .. [2] Stucchio, C. (2015). Bayesian A/B testing at VWO. VWO technical paper
       (expected loss as the decision quantity).

    Examples
    --------
    >>> from analysis.sufficient import Moments
    >>> baseline = Moments.from_summary(500, 20.0, 5.0)
    >>> pilot = Moments.from_summary(500, 19.0, 5.0)
    >>> result = bayesian_compare(baseline, pilot, "mean", direction="decrease")
    >>> result.detail("chance_to_beat_baseline") > 0.99
    True
    """
    check_alpha(alpha)
    check_direction(direction)
    _check_prior(prior_mean, prior_sd)
    b, p = group_estimates(baseline, pilot, kind)
    check_variation(b, p)
    if not b.estimate > 0:
        raise ValueError(
            f"the Bayesian comparison models the relative lift pilot / baseline − 1, which "
            f"needs a positive baseline (got {b.estimate:g}); use compare() for metrics that "
            "can be zero or negative"
        )
    lift, lift_se = relative_lift(b, p)
    if lift_se == 0:
        raise ValueError(
            "the relative lift has no sampling uncertainty (the pilot is zero for every "
            "observation); use compare() for this metric"
        )
    rel_mean, rel_sd = normal_posterior(lift, lift_se, prior_mean, prior_sd)
    abs_mean, abs_sd = normal_posterior(
        p.estimate - b.estimate,
        math.sqrt(b.variance + p.variance),
        prior_mean * b.estimate,
        None if prior_sd is None else prior_sd * b.estimate,
    )
    z = float(stats.norm.ppf(1 - alpha / 2))
    better = rel_mean if direction == "increase" else -rel_mean
    return Comparison(
        absolute=Estimate(abs_mean, abs_mean - z * abs_sd, abs_mean + z * abs_sd),
        relative=Estimate(rel_mean, rel_mean - z * rel_sd, rel_mean + z * rel_sd),
        statistic=rel_mean / rel_sd,
        df=None,
        p_value=float(stats.norm.cdf(-abs(rel_mean) / rel_sd)),
        test=f"Bayesian normal model of the relative lift ({_prior_label(prior_mean, prior_sd)})",
        se=abs_sd,
        notes=(P_VALUE_NOTE,),
        details=(
            ("chance_to_beat_baseline", float(stats.norm.cdf(better / rel_sd))),
            ("expected_loss", expected_loss(rel_mean, rel_sd, direction)),
        ),
    )


def _check_prior(prior_mean: float, prior_sd: float | None) -> None:
    if not math.isfinite(prior_mean):
        raise ValueError(f"prior_mean must be a finite relative lift, got {prior_mean}")
    if prior_sd is None:
        if prior_mean != 0:
            raise ValueError(
                "prior_mean has no effect with a flat prior; give prior_sd as well "
                "(for example prior_sd=0.1 for lifts of about ±10 %)"
            )
        return
    if not (math.isfinite(prior_sd) and prior_sd > 0):
        raise ValueError(f"prior_sd must be a positive relative lift or None, got {prior_sd}")


def _prior_label(prior_mean: float, prior_sd: float | None) -> str:
    if prior_sd is None:
        return "flat prior"
    return f"normal prior, mean {prior_mean:g}, sd {prior_sd:g}"
