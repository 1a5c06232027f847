"""What the statistics write about a result (notes, tests, reasons), in the reader's language.

A report is kept for every reader, so what ``analysis`` and ``services`` write into it
stays in English, as written; it is put in the reader's language where it is shown. A
text this module does not know is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from testbed.i18n import figure

# The figures of a result's details, named by ``analysis``: as the page writes each name
# (its words, as English reads them), in the reader's language.
DETAIL_NAMES = {
    "baseline": _l("baseline"),
    "pilot": _l("pilot"),
    "pooled_se": _l("pooled se"),
    "margin": _l("margin"),
    "chance_to_beat_baseline": _l("chance to beat baseline"),
    "expected_loss": _l("expected loss"),
    "clusters": _l("clusters"),
    "pre_gap": _l("pre gap"),
    "baseline_change": _l("baseline change"),
    "pilot_change": _l("pilot change"),
    "counterfactual_mean": _l("counterfactual mean"),
    "slope_change": _l("slope change"),
    "slope_change_ci_low": _l("slope change ci low"),
    "slope_change_ci_high": _l("slope change ci high"),
    "slope_change_p_value": _l("slope change p value"),
    "pre_slope": _l("pre slope"),
    "post_slope": _l("post slope"),
    "counterfactual_level": _l("counterfactual level"),
    "maxlags": _l("maxlags"),
    "threshold": _l("threshold"),
    "threshold_ci_low": _l("threshold ci low"),
    "threshold_ci_high": _l("threshold ci high"),
    "slope_below": _l("slope below"),
    "slope_above": _l("slope above"),
    "n_star": _l("n star"),
    "rho": _l("rho"),
    "theta": _l("theta"),
    "variance_reduction": _l("variance reduction"),
}


def detail_name(name: str) -> str:
    """A result's detail as the page names it; one it does not know, as ``analysis`` does."""
    known = DETAIL_NAMES.get(name)
    return str(known) if known is not None else name.replace("_", " ")


Say = Callable[..., str]

# Each text as ``analysis`` or ``services`` writes it (a plain text, or a pattern whose
# named parts are its figures), with what says it in the reader's language.
TEXTS: list[tuple[str, Say | object]] = [
    # Why a hypothesis could not be tested (testbed.results.services).
    (
        r"the baseline group has no pre-period observations of '(?P<metric>.+)'",
        lambda metric: gettext(
            "the baseline group has no pre-period observations of '%(metric)s'", metric=metric
        ),
    ),
    (
        r"the baseline group has no post-period observations of '(?P<metric>.+)'",
        lambda metric: gettext(
            "the baseline group has no post-period observations of '%(metric)s'", metric=metric
        ),
    ),
    (
        r"the pilot group has no post-period observations of '(?P<metric>.+)'",
        lambda metric: gettext(
            "the pilot group has no post-period observations of '%(metric)s'", metric=metric
        ),
    ),
    (
        "an interrupted time series needs the pilot's start_date",
        _l("an interrupted time series needs the pilot's start_date"),
    ),
    # Notes on a comparison.
    (
        "p_value is the posterior probability that the true change has the opposite sign to "
        "its estimate, not a frequentist p-value.",
        _l(
            "p_value is the posterior probability that the true change has the opposite sign "
            "to its estimate, not a frequentist p-value."
        ),
    ),
    (
        "No relative change: the baseline is zero, so pilot / baseline is undefined.",
        _l("No relative change: the baseline is zero, so pilot / baseline is undefined."),
    ),
    (
        "Neither group varies, so the interval for the relative change has no width; "
        "read it as a description of these data, not as a statement of certainty.",
        _l(
            "Neither group varies, so the interval for the relative change has no width; "
            "read it as a description of these data, not as a statement of certainty."
        ),
    ),
    (
        "no relative change: a change of slope has no natural baseline",
        _l("no relative change: a change of slope has no natural baseline"),
    ),
    (
        "no clear threshold: when the slope may not change, the threshold and its "
        "interval are not well defined",
        _l(
            "no clear threshold: when the slope may not change, the threshold and its "
            "interval are not well defined"
        ),
    ),
    (
        "no relative change: the pilot's counterfactual post mean is not clearly away from zero",
        _l(
            "no relative change: the pilot's counterfactual post mean is not clearly away from zero"
        ),
    ),
    (
        "relative change is against the pilot's counterfactual post mean; its interval uses "
        "the delta method",
        _l(
            "relative change is against the pilot's counterfactual post mean; its interval "
            "uses the delta method"
        ),
    ),
    (
        "the pilot's counterfactual post mean is negative, so read the sign of the relative "
        "change with care",
        _l(
            "the pilot's counterfactual post mean is negative, so read the sign of the "
            "relative change with care"
        ),
    ),
    (
        "no relative change: the pre-trend level at the intervention is not clearly away from zero",
        _l(
            "no relative change: the pre-trend level at the intervention is not clearly away "
            "from zero"
        ),
    ),
    (
        "relative change is against the pre-trend level at the intervention; its interval "
        "uses the delta method",
        _l(
            "relative change is against the pre-trend level at the intervention; its interval "
            "uses the delta method"
        ),
    ),
    (
        "the pre-trend level at the intervention is negative, so read the sign of the "
        "relative change with care",
        _l(
            "the pre-trend level at the intervention is negative, so read the sign of the "
            "relative change with care"
        ),
    ),
    (
        r"few clusters \((?P<pilot>\d+) pilot, (?P<baseline>\d+) baseline\): cluster-robust "
        r"p-values tend to be too small with fewer than (?P<few>\d+) per group",
        lambda pilot, baseline, few: gettext(
            "few clusters (%(pilot)s pilot, %(baseline)s baseline): cluster-robust p-values "
            "tend to be too small with fewer than %(few)s per group",
            pilot=pilot,
            baseline=baseline,
            few=few,
        ),
    ),
    # How a comparison was tested.
    ("Welch two-sample t-test", _l("Welch two-sample t-test")),
    (
        "Welch t-test on ratio metrics (delta method)",
        _l("Welch t-test on ratio metrics (delta method)"),
    ),
    ("Welch t-test on CUPED-adjusted means", _l("Welch t-test on CUPED-adjusted means")),
    (
        "two-proportion z-test (pooled); Newcombe hybrid score interval",
        _l("two-proportion z-test (pooled); Newcombe hybrid score interval"),
    ),
    (
        r"non-inferiority Welch t-test \(margin (?P<margin>\S+), higher is better\)",
        lambda margin: gettext(
            "non-inferiority Welch t-test (margin %(margin)s, higher is better)",
            margin=figure(margin),
        ),
    ),
    (
        r"non-inferiority Welch t-test \(margin (?P<margin>\S+), lower is better\)",
        lambda margin: gettext(
            "non-inferiority Welch t-test (margin %(margin)s, lower is better)",
            margin=figure(margin),
        ),
    ),
    (
        r"non-inferiority Wald z-test \(margin (?P<margin>\S+), higher is better\)",
        lambda margin: gettext(
            "non-inferiority Wald z-test (margin %(margin)s, higher is better)",
            margin=figure(margin),
        ),
    ),
    (
        r"non-inferiority Wald z-test \(margin (?P<margin>\S+), lower is better\)",
        lambda margin: gettext(
            "non-inferiority Wald z-test (margin %(margin)s, lower is better)",
            margin=figure(margin),
        ),
    ),
    (
        "always-valid confidence sequence (asymptotic; Waudby-Smith et al. 2023)",
        _l("always-valid confidence sequence (asymptotic; Waudby-Smith et al. 2023)"),
    ),
    (
        "Bayesian normal model of the relative lift (flat prior)",
        _l("Bayesian normal model of the relative lift (flat prior)"),
    ),
    (
        r"Bayesian normal model of the relative lift \(normal prior, mean (?P<mean>\S+), "
        r"sd (?P<sd>\S+)\)",
        lambda mean, sd: gettext(
            "Bayesian normal model of the relative lift (normal prior, mean %(mean)s, sd %(sd)s)",
            mean=figure(mean),
            sd=figure(sd),
        ),
    ),
    (
        "difference in differences (OLS, HC1 standard errors)",
        _l("difference in differences (OLS, HC1 standard errors)"),
    ),
    (
        "difference in differences (OLS, cluster-robust standard errors)",
        _l("difference in differences (OLS, cluster-robust standard errors)"),
    ),
    (
        r"interrupted time series \(segmented OLS, Newey-West standard errors, "
        r"(?P<lags>\d+) lags\)",
        lambda lags: gettext(
            "interrupted time series (segmented OLS, Newey-West standard errors, %(lags)s lags)",
            lags=lags,
        ),
    ),
    (
        "hinge regression, sup-F over the threshold grid, wild bootstrap p-value",
        _l("hinge regression, sup-F over the threshold grid, wild bootstrap p-value"),
    ),
    # Why no plan can be made (``analysis.planning``), for what the planning form lets through.
    (
        r"a baseline proportion of (?P<baseline>[^\s,]+) changed by (?P<effect>[^\s,]+) gives "
        r"(?P<expected>[^\s,]+), outside 0 to 1; give the effect as a difference of proportions "
        r"\(−0\.05 for five points fewer\)",
        lambda baseline, effect, expected: gettext(
            "a baseline proportion of %(baseline)s changed by %(effect)s gives %(expected)s, "
            "outside 0 to 1; give the effect as a difference of proportions (−0.05 for five "
            "points fewer)",
            baseline=figure(baseline),
            effect=figure(effect),
            expected=figure(expected),
        ),
    ),
    (
        r"power must lie between alpha \((?P<alpha>[^)]+)\) and 1, got (?P<power>[^\s;]+); "
        r"0\.8 is the usual choice",
        lambda alpha, power: gettext(
            "power must lie between alpha (%(alpha)s) and 1, got %(power)s; 0.8 is the usual "
            "choice",
            alpha=figure(alpha),
            power=figure(power),
        ),
    ),
    (
        r"an effect of (?P<effect>\S+) sd needs more than (?P<largest>\S+) observations per "
        r"group: no pilot can detect it",
        lambda effect, largest: gettext(
            "an effect of %(effect)s sd needs more than %(largest)s observations per group: no "
            "pilot can detect it",
            effect=figure(effect),
            largest=figure(largest),
        ),
    ),
    (
        "with this ICC, cluster size and autocorrelation the period before predicts the pilot "
        "period exactly; lower the cluster autocorrelation",
        _l(
            "with this ICC, cluster size and autocorrelation the period before predicts the "
            "pilot period exactly; lower the cluster autocorrelation"
        ),
    ),
    # How the rank test was computed.
    ("exact", _l("exact")),
    ("normal approximation", _l("normal approximation")),
]
# A plain text is matched as it is written; one with figures, by its pattern.
_TEXTS = [(re.compile(text if callable(say) else re.escape(text)), say) for text, say in TEXTS]


def analysis_text(text: str | None) -> str | None:
    """A note, test or reason of a result in the reader's language (unknown ones as written)."""
    if not text:
        return text
    for pattern, say in _TEXTS:
        found = pattern.fullmatch(text)
        if found:
            return say(**found.groupdict()) if callable(say) else str(say)
    return text
