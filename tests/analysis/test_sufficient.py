"""Sufficient statistics against NIST certified values, and the algebra of adding them up."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis.sufficient import Comoments, Moments

# NIST StRD univariate data set NumAcc1, certified mean 10000002 and sd 1.
NUMACC1 = [10000001.0, 10000003.0, 10000002.0]

# NIST StRD NumAcc4: 10000000.2, then 1000 values alternating 10000000.1 and
# 10000000.3; certified mean 10000000.2 and sd 0.1.
NUMACC4 = [10000000.2] + [10000000.1, 10000000.3] * 500

# NIST StRD Michelso (Michelson's 1879 speed-of-light measurements, km/s - 299000),
# itl.nist.gov/div898/strd/univ/data/Michelso.dat; certified mean 299.852400000000,
# sd 0.0790105478190518.
MICHELSO = [
    299.85, 299.74, 299.90, 300.07, 299.93, 299.85, 299.95, 299.98, 299.98, 299.88,
    300.00, 299.98, 299.93, 299.65, 299.76, 299.81, 300.00, 300.00, 299.96, 299.96,
    299.96, 299.94, 299.96, 299.94, 299.88, 299.80, 299.85, 299.88, 299.90, 299.84,
    299.83, 299.79, 299.81, 299.88, 299.88, 299.83, 299.80, 299.79, 299.76, 299.80,
    299.88, 299.88, 299.88, 299.86, 299.72, 299.72, 299.62, 299.86, 299.97, 299.95,
    299.88, 299.91, 299.85, 299.87, 299.84, 299.84, 299.85, 299.84, 299.84, 299.84,
    299.89, 299.81, 299.81, 299.82, 299.80, 299.77, 299.76, 299.74, 299.75, 299.76,
    299.91, 299.92, 299.89, 299.86, 299.88, 299.72, 299.84, 299.85, 299.85, 299.78,
    299.89, 299.84, 299.78, 299.81, 299.76, 299.81, 299.79, 299.81, 299.82, 299.85,
    299.87, 299.87, 299.81, 299.74, 299.81, 299.94, 299.95, 299.80, 299.81, 299.87,
]  # fmt: skip


def in_chunks(values, sizes):
    """Moments built chunk by chunk, each around its own first value, then added up."""
    total, start = None, 0
    for size in sizes:
        chunk = Moments.from_values(values[start : start + size])
        total = chunk if total is None else total + chunk
        start += size
    assert start == len(values)
    return total


def test_numacc1_matches_nist_certified_values():
    moments = Moments.from_values(NUMACC1)
    # NIST certifies 15 significant digits; these values are exact in float64.
    assert_allclose([moments.mean, moments.sd], [10000002.0, 1.0], rtol=1e-15)


def test_numacc1_in_chunks_matches_nist():
    moments = in_chunks(NUMACC1, [1, 2])
    assert_allclose([moments.mean, moments.sd], [10000002.0, 1.0], rtol=1e-12)


def test_numacc4_matches_nist_certified_values():
    moments = Moments.from_values(NUMACC4)
    assert moments.n == 1001
    # NIST: mean 10000000.2, sd 0.1. The inputs themselves carry float64 representation
    # error of about 1e-9, which bounds the attainable relative accuracy of the sd.
    assert_allclose(moments.mean, 10000000.2, rtol=1e-14)
    assert_allclose(moments.sd, 0.1, rtol=1e-6)


@pytest.mark.parametrize("sizes", [[1001], [1, 1000], [500, 501], [7] * 143, [1000, 1]])
def test_numacc4_in_chunks_matches_nist(sizes):
    moments = in_chunks(NUMACC4, sizes)
    assert moments.n == 1001
    assert_allclose(moments.mean, 10000000.2, rtol=1e-14)
    assert_allclose(moments.sd, 0.1, rtol=1e-6)


def test_michelso_matches_nist_certified_values():
    moments = Moments.from_values(MICHELSO)
    assert moments.n == 100
    assert_allclose(moments.mean, 299.852400000000, rtol=1e-13)
    assert_allclose(moments.sd, 0.0790105478190518, rtol=1e-10)


def test_michelso_in_chunks_matches_nist():
    moments = in_chunks(MICHELSO, [10] * 10)
    assert_allclose(moments.mean, 299.852400000000, rtol=1e-13)
    assert_allclose(moments.sd, 0.0790105478190518, rtol=1e-10)


@pytest.mark.parametrize(
    ("n", "mean", "sd", "shift"),
    [
        (10, 1.5, 0.3, 0.0),
        (1001, 10000000.2, 0.1, 10000000.0),
        (2, -4.0, 2.5, 3.0),
        (1, 7.0, 0.0, 0),
    ],
)
def test_from_summary_round_trip(n, mean, sd, shift):
    moments = Moments.from_summary(n, mean, sd, shift=shift)
    assert moments.n == n
    assert_allclose(moments.mean, mean, rtol=1e-14)
    if n > 1:
        assert_allclose(moments.sd, sd, rtol=1e-9)


def test_from_summary_reproduces_moments_of_values():
    values = np.array([3.1, 4.7, 2.2, 9.0, 5.5])
    direct = Moments.from_values(values, shift=0.0)
    summary = Moments.from_summary(5, values.mean(), values.std(ddof=1))
    assert_allclose([summary.sum, summary.sum_sq], [direct.sum, direct.sum_sq], rtol=1e-13)


@pytest.mark.parametrize(("n", "sd"), [(-1, 1.0), (5, -0.5)])
def test_from_summary_rejects_impossible_summaries(n, sd):
    with pytest.raises(ValueError, match="must not be negative"):
        Moments.from_summary(n, 1.0, sd)


def test_reshift_keeps_mean_and_variance_and_round_trips():
    moments = Moments.from_values(MICHELSO)
    moved = moments.reshift(0.0)
    assert moved.shift == 0.0
    # Around zero the sums are 1e7 times the spread, so some digits go: that is why the
    # store keeps sums around a value near the data.
    assert_allclose([moved.mean, moved.variance], [moments.mean, moments.variance], rtol=1e-7)
    back = moved.reshift(moments.shift)
    assert_allclose([back.sum, back.sum_sq], [moments.sum, moments.sum_sq], atol=1e-6)


def test_adding_moments_with_different_shifts_equals_moments_of_all_values():
    first = Moments.from_values([1.0, 2.0, 4.0], shift=1.0)
    second = Moments.from_values([8.0, 16.0], shift=10.0)
    combined = first + second
    direct = Moments.from_values([1.0, 2.0, 4.0, 8.0, 16.0], shift=1.0)
    assert combined.shift == 1.0
    assert combined.n == 5
    assert_allclose([combined.sum, combined.sum_sq], [direct.sum, direct.sum_sq], rtol=1e-14)


def test_empty_and_single_observation_have_no_variance():
    assert Moments(0, 0.0, 0.0).n == 0
    assert np.isnan(Moments(0, 0.0, 0.0).mean)
    assert np.isnan(Moments.from_values([3.0]).sd)


def test_comoments_covariance_matches_numpy_and_survives_chunks():
    rng = np.random.default_rng(20240601)
    x = rng.normal(1e6, 3.0, size=300)
    y = 0.5 * x + rng.normal(0.0, 1.0, size=300)
    whole = Comoments.from_values(x, y)
    chunks = Comoments.from_values(x[:100], y[:100]) + Comoments.from_values(x[100:], y[100:])
    expected = np.cov(x, y, ddof=1)[0, 1]
    assert_allclose(whole.covariance, expected, rtol=1e-9)
    assert_allclose(chunks.covariance, expected, rtol=1e-9)
    assert_allclose(chunks.x.variance, np.var(x, ddof=1), rtol=1e-9)


def test_comoments_reshift_keeps_covariance():
    whole = Comoments.from_values([1.0, 2.0, 3.0, 5.0], [2.0, 1.0, 4.0, 3.0])
    moved = whole.reshift(10.0, -3.0)
    assert_allclose(moved.covariance, whole.covariance, rtol=1e-12)
    assert_allclose([moved.x.mean, moved.y.mean], [whole.x.mean, whole.y.mean], rtol=1e-12)


def test_comoments_need_paired_values():
    with pytest.raises(ValueError, match="same length"):
        Comoments.from_values([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="same count"):
        Comoments(Moments.from_values([1.0, 2.0]), Moments.from_values([1.0]), 0.0)
