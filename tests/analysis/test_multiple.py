"""Holm and Benjamini–Hochberg adjustments against published values and statsmodels."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.multitest import multipletests

from analysis.multiple import adjust_p_values

P_VALUES = [0.01, 0.04, 0.03, 0.005]


def test_holm_matches_reference():
    # shared/reference: p = [0.01, 0.04, 0.03, 0.005] -> Holm [0.03, 0.06, 0.06, 0.02]
    # (R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")); exact decimals.
    assert_allclose(adjust_p_values(P_VALUES, "holm"), [0.03, 0.06, 0.06, 0.02], rtol=1e-12)


def test_benjamini_hochberg_matches_reference():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") -> 0.02 0.04 0.04 0.02; exact decimals.
    assert_allclose(adjust_p_values(P_VALUES, "bh"), [0.02, 0.04, 0.04, 0.02], rtol=1e-12)


@pytest.mark.parametrize(("method", "statsmodels_method"), [("holm", "holm"), ("bh", "fdr_bh")])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_adjustments_match_statsmodels(method, statsmodels_method, seed):
    rng = np.random.default_rng(seed)
    p_values = np.concatenate([rng.uniform(0, 0.05, 5), rng.uniform(0, 1, 15), [0.02, 0.02]])
    _, expected, _, _ = multipletests(p_values, method=statsmodels_method)
    assert_allclose(adjust_p_values(p_values, method), expected, rtol=1e-12)


def test_default_is_holm_and_results_are_capped_at_one():
    adjusted = adjust_p_values([0.5, 0.6, 0.9])
    assert adjusted == adjust_p_values([0.5, 0.6, 0.9], "holm")
    assert max(adjusted) == 1.0
    assert all(isinstance(value, float) for value in adjusted)


def test_single_and_empty_inputs():
    assert adjust_p_values([0.03], "bh") == (0.03,)
    assert adjust_p_values([], "holm") == ()


@pytest.mark.parametrize("p_values", [[0.1, 1.2], [-0.01], [float("nan")]])
def test_p_values_outside_zero_one_raise(p_values):
    with pytest.raises(ValueError, match="p-values must be numbers between 0 and 1"):
        adjust_p_values(p_values)


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="method must be one of holm, bh"):
        adjust_p_values(P_VALUES, "bonferroni")
