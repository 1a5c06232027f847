"""NPS against Engelhardt (2016); Mann–Whitney from counts against R and scipy."""

import itertools
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from analysis.scores import (
    EXACT,
    EXACT_UP_TO,
    NORMAL,
    compare_nps,
    mann_whitney_from_counts,
    nps_from_counts,
    u_distribution,
    value_counts,
)

# R datasets::sleep (Student 1908), extra hours of sleep by group.
SLEEP_GROUP1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_GROUP2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def counts_of(values):
    distinct, counts = np.unique(values, return_counts=True)
    return distinct, counts


def expand(counts):
    values, weights = value_counts(counts)
    return np.repeat(values, weights.astype(int))


def test_nps_matches_engelhardt_example():
    # Engelhardt (2016), "The margin of error of NPS": 300 promoters, 200 passives,
    # 100 detractors -> NPS 33.33, SE 3.043, 95% CI (27.37, 39.30); four significant
    # digits, so rtol 2e-4 (half a unit in the last place is at most 1.8e-4 here).
    result = nps_from_counts({10: 150, 9: 150, 8: 120, 7: 80, 6: 40, 2: 60})
    assert (result.promoters, result.passives, result.detractors, result.n) == (300, 200, 100, 600)
    assert_allclose(result.nps, 33.33, rtol=2e-4)
    assert_allclose(result.se, 3.043, rtol=2e-4)
    assert_allclose([result.ci_low, result.ci_high], [27.37, 39.30], rtol=2e-4)


def test_nps_interval_width_at_equal_thirds():
    # Engelhardt (2016): at p = d = 1/3 the 95% CI width is about 320 / sqrt(n);
    # exactly 2 * 1.96 * 100 * sqrt(2/3) = 320.05.
    result = nps_from_counts({10: 500, 8: 500, 0: 500})
    width = result.ci_high - result.ci_low
    assert_allclose(width * math.sqrt(1500), 320, rtol=1e-3)


def test_nps_counts_as_pair_of_arrays_with_repeats():
    as_mapping = nps_from_counts({10: 5, 7: 3, 1: 2})
    as_pair = nps_from_counts(([10, 7, 1, 10], [2, 3, 2, 3]))
    assert as_pair == as_mapping


def test_compare_nps_is_a_z_test_on_trinomial_standard_errors():
    baseline_counts = {10: 300, 8: 200, 3: 100}
    pilot_counts = {10: 350, 8: 170, 3: 80}
    result = compare_nps(baseline_counts, pilot_counts)
    baseline, pilot = nps_from_counts(baseline_counts), nps_from_counts(pilot_counts)
    se = math.sqrt(baseline.se**2 + pilot.se**2)
    difference = pilot.nps - baseline.nps
    assert_allclose(result.absolute.estimate, difference, rtol=1e-12)
    assert_allclose(result.se, se, rtol=1e-12)
    assert_allclose(result.p_value, 2 * stats.norm.sf(abs(difference / se)), rtol=1e-12)
    assert_allclose(result.absolute.ci_high, difference + stats.norm.ppf(0.975) * se, rtol=1e-12)
    assert result.relative is None
    assert result.notes


def test_mann_whitney_matches_r_wilcox_test_on_sleep():
    # R: wilcox.test(extra ~ group, data = sleep) -> W = 25.5, p-value = 0.06933 (normal
    # approximation with continuity correction, ties). W is U of group 1, so group 1 is the
    # pilot. p has 4 significant digits, so rtol 1e-4. Groups of 10 get the exact test by
    # default, so the normal approximation is asked for.
    result = mann_whitney_from_counts(
        counts_of(SLEEP_GROUP2), counts_of(SLEEP_GROUP1), method=NORMAL
    )
    assert result.method == NORMAL
    assert_allclose(result.statistic, 25.5, rtol=1e-12)
    assert_allclose(result.p_value, 0.06933, rtol=1e-4)
    assert_allclose(result.absolute.estimate, 25.5 / 100, rtol=1e-12)
    assert result.detail("u_baseline") == 74.5


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_mann_whitney_matches_scipy_on_expanded_counts(seed):
    rng = np.random.default_rng(seed)
    baseline_counts = dict(zip(range(1, 6), rng.integers(0, 40, 5).tolist(), strict=True))
    pilot_counts = dict(zip(range(1, 6), rng.integers(0, 40, 5).tolist(), strict=True))
    result = mann_whitney_from_counts(baseline_counts, pilot_counts, method=NORMAL)
    expected = stats.mannwhitneyu(
        expand(pilot_counts), expand(baseline_counts), method="asymptotic", use_continuity=True
    )
    assert_allclose(result.statistic, expected.statistic, rtol=1e-12)
    assert_allclose(result.p_value, expected.pvalue, rtol=1e-9)


# R's documentation example for wilcox.test (Hollander & Wolfe 1973, p. 69): x, the
# first group, is the pilot; no ties.
HOLLANDER_WOLFE_X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
HOLLANDER_WOLFE_Y = [1.15, 0.88, 0.90, 0.74, 1.21]


def u_of(pilot, baseline):
    """U of the pilot from raw values by counting pairs, along the last axis."""
    pilot, baseline = np.asarray(pilot)[..., :, None], np.asarray(baseline)[..., None, :]
    return ((pilot > baseline) + 0.5 * (pilot == baseline)).sum(axis=(-2, -1))


def test_exact_p_value_matches_r_wilcox_test_documentation_example():
    # R: wilcox.test(x, y, alternative = "greater") -> W = 35, p-value = 0.1272; the
    # two-sided test gives 0.2544 (exact: no ties, fewer than 50 per group). Four
    # significant digits, so rtol 2e-4 two-sided and 4e-4 one-sided (half a unit in the
    # last place over the value).
    result = mann_whitney_from_counts(counts_of(HOLLANDER_WOLFE_Y), counts_of(HOLLANDER_WOLFE_X))
    assert result.method == EXACT
    assert_allclose(result.statistic, 35, rtol=1e-12)
    assert_allclose(result.p_value, 0.2544, rtol=2e-4)
    u, probability = u_distribution(np.ones(15, dtype=int), 10)
    assert_allclose(probability[u >= 35].sum(), 0.1272, rtol=4e-4)
    # scipy computes the exact distribution independently; agreement to rounding.
    expected = stats.mannwhitneyu(HOLLANDER_WOLFE_X, HOLLANDER_WOLFE_Y, method="exact")
    assert_allclose(result.p_value, expected.pvalue, rtol=1e-12)


@pytest.mark.parametrize(("n_baseline", "n_pilot"), [(3, 4), (12, 7), (50, 50), (2, 50)])
def test_exact_p_value_matches_scipy_exact_without_ties(n_baseline, n_pilot):
    rng = np.random.default_rng(n_baseline * 100 + n_pilot)
    baseline, pilot = rng.normal(size=n_baseline), rng.normal(0.4, 1, size=n_pilot)
    result = mann_whitney_from_counts(counts_of(baseline), counts_of(pilot))
    expected = stats.mannwhitneyu(pilot, baseline, method="exact")
    assert result.method == EXACT
    assert_allclose(result.statistic, expected.statistic, rtol=1e-12)
    # Both sum the same exact probabilities in floating point: rtol 1e-9.
    assert_allclose(result.p_value, expected.pvalue, rtol=1e-9)


TIED_BASELINE = {1: 2, 2: 3, 3: 1}
TIED_PILOT = {2: 2, 3: 2, 4: 1}


def test_exact_distribution_with_ties_matches_enumerating_every_split():
    # Every way of choosing which 5 of the 11 pooled values are the pilot's, counted.
    pooled = np.concatenate([expand(TIED_BASELINE), expand(TIED_PILOT)])
    splits = list(itertools.combinations(range(pooled.size), 5))
    null = []
    for chosen in splits:
        in_pilot = np.isin(np.arange(pooled.size), chosen)
        null.append(u_of(pooled[in_pilot], pooled[~in_pilot]))
    null = np.array(null)
    values, frequency = np.unique(null, return_counts=True)
    _, ties = np.unique(pooled, return_counts=True)
    u, probability = u_distribution(ties, 5)
    assert_allclose(u, values, rtol=0, atol=1e-12)
    assert_allclose(probability, frequency / len(splits), rtol=1e-12)

    result = mann_whitney_from_counts(TIED_BASELINE, TIED_PILOT)
    observed = u_of(expand(TIED_PILOT), expand(TIED_BASELINE))
    two_sided = 2 * min(np.mean(null <= observed), np.mean(null >= observed))
    assert result.method == EXACT
    assert_allclose(result.statistic, observed, rtol=1e-12)
    assert_allclose(result.p_value, min(two_sided, 1.0), rtol=1e-12)


def test_exact_p_value_with_ties_matches_scipy_permutation_test_on_sleep():
    # R's wilcox.test falls back to the normal approximation on the tied sleep data
    # (p = 0.06933); the exact conditional p-value is scipy's permutation test over all
    # C(20, 10) splits, two-sided as twice the smaller tail. Same sums: rtol 1e-9.
    expected = stats.permutation_test(
        (SLEEP_GROUP1, SLEEP_GROUP2),
        lambda pilot, baseline, axis: u_of(
            np.moveaxis(pilot, axis, -1), np.moveaxis(baseline, axis, -1)
        ),
        permutation_type="independent",
        vectorized=True,
        n_resamples=np.inf,
        alternative="two-sided",
    )
    result = mann_whitney_from_counts(counts_of(SLEEP_GROUP2), counts_of(SLEEP_GROUP1))
    assert result.method == EXACT
    assert_allclose(result.statistic, 25.5, rtol=1e-12)
    assert_allclose(result.p_value, expected.pvalue, rtol=1e-9)


def test_groups_over_the_exact_limit_get_the_normal_approximation():
    rng = np.random.default_rng(7)
    baseline = dict(enumerate(rng.multinomial(EXACT_UP_TO, [0.2] * 5).tolist(), start=1))
    at_limit = dict(
        enumerate(rng.multinomial(EXACT_UP_TO, [0.1, 0.2, 0.2, 0.2, 0.3]).tolist(), start=1)
    )
    over = {**at_limit, 5: at_limit[5] + 1}
    assert mann_whitney_from_counts(baseline, at_limit).method == EXACT
    result = mann_whitney_from_counts(baseline, over)
    expected = stats.mannwhitneyu(expand(over), expand(baseline), method="asymptotic")
    assert result.method == NORMAL
    assert "normal approximation" in result.test
    assert_allclose(result.p_value, expected.pvalue, rtol=1e-9)


def test_exact_method_refuses_groups_over_the_limit_and_unknown_methods():
    large = {1: EXACT_UP_TO, 2: 1}
    with pytest.raises(ValueError, match="exact distribution is computed for groups of at most 50"):
        mann_whitney_from_counts(large, {1: 3, 2: 3}, method=EXACT)
    with pytest.raises(ValueError, match="method must be one of auto, exact, normal approximation"):
        mann_whitney_from_counts({1: 3, 2: 3}, {1: 3, 2: 3}, method="permutation")


def brunner_munzel_df(baseline, pilot):
    """Welch–Satterthwaite df of the placement variances, computed from raw values."""
    n_b, n_p = baseline.size, pilot.size
    place_p = np.array([np.mean(baseline < v) + 0.5 * np.mean(baseline == v) for v in pilot])
    place_b = np.array([np.mean(pilot > w) + 0.5 * np.mean(pilot == w) for w in baseline])
    share_p, share_b = place_p.var(ddof=1) / n_p, place_b.var(ddof=1) / n_b
    return (share_p + share_b) ** 2 / (share_p**2 / (n_p - 1) + share_b**2 / (n_b - 1))


def test_superiority_interval_matches_scipy_brunner_munzel():
    baseline_counts = {1: 12, 2: 30, 3: 25, 4: 20, 5: 8}
    pilot_counts = {1: 6, 2: 20, 3: 30, 4: 28, 5: 16}
    result = mann_whitney_from_counts(baseline_counts, pilot_counts, alpha=0.1)
    baseline, pilot = expand(baseline_counts), expand(pilot_counts)
    # scipy's Brunner–Munzel statistic is (A - 1/2) / se for A = P(baseline < pilot) + ties/2.
    expected = stats.brunnermunzel(baseline, pilot)
    superiority = result.absolute.estimate
    assert_allclose((superiority - 0.5) / result.se, expected.statistic, rtol=1e-10)
    df = brunner_munzel_df(baseline, pilot)
    # The df written out above reproduces scipy's p-value, so it is the Brunner–Munzel df.
    assert_allclose(2 * stats.t.sf(abs(expected.statistic), df), expected.pvalue, rtol=1e-9)
    half = stats.t.ppf(0.95, df) * result.se
    assert_allclose(
        [result.absolute.ci_low, result.absolute.ci_high],
        [superiority - half, superiority + half],
        rtol=1e-10,
    )


def test_groups_that_do_not_overlap_get_a_flat_interval_and_a_note():
    result = mann_whitney_from_counts({1: 5, 2: 5}, {4: 6, 5: 4})
    assert result.absolute.estimate == result.absolute.ci_low == result.absolute.ci_high == 1.0
    assert any("do not overlap" in note for note in result.notes)
    assert result.p_value < 0.01


def test_superiority_interval_stays_within_zero_one():
    result = mann_whitney_from_counts({1: 2, 2: 1}, {2: 1, 3: 2})
    assert 0.0 <= result.absolute.ci_low <= result.absolute.ci_high <= 1.0


@pytest.mark.parametrize(
    ("baseline", "pilot", "message"),
    [
        ({3: 10}, {3: 12}, "every observation in both groups has the same value"),
        ({3: 1}, {3: 5, 4: 2}, "baseline group has fewer than 2 observations"),
        ({3: 4}, {}, "pilot group is empty"),
        ({3: -1, 4: 5}, {3: 5}, "baseline counts must be whole numbers ≥ 0"),
        ({3: 1.5, 4: 5}, {3: 5}, "baseline counts must be whole numbers ≥ 0"),
        ({3: math.inf, 4: 5}, {3: 5}, "baseline counts must be whole numbers ≥ 0"),
        ({3: 4, 4: 5}, ([3, 4], [1]), "pilot values and counts differ in length"),
        ({3: 4, 4: 5}, 7, "pilot counts must be a mapping"),
        ({math.nan: 3, 4: 5}, {3: 5}, "baseline values must be finite"),
    ],
)
def test_mann_whitney_rejects_unusable_input(baseline, pilot, message):
    with pytest.raises(ValueError, match=message):
        mann_whitney_from_counts(baseline, pilot)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({11: 3, 9: 2}, "NPS answers are whole numbers from 0 to 10"),
        ({-1: 3}, "NPS answers are whole numbers from 0 to 10"),
        ({8.5: 3}, "NPS answers are whole numbers from 0 to 10"),
        ({}, "there are no answers"),
        ({9: 0}, "there are no answers"),
    ],
)
def test_nps_rejects_unusable_input(counts, message):
    with pytest.raises(ValueError, match=message):
        nps_from_counts(counts)


def test_compare_nps_rejects_groups_without_variation_or_too_few_answers():
    with pytest.raises(ValueError, match="falls in the same class"):
        compare_nps({10: 5, 9: 5}, {9: 7})
    with pytest.raises(ValueError, match="baseline group has fewer than 2 observations"):
        compare_nps({10: 1}, {9: 7, 3: 2})
