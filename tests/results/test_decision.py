"""The decision rule: every row of its table (docs/statistics.md), and that a guardrail not
shown to hold can never give ``scale``."""

from __future__ import annotations

import itertools

import pytest

from testbed.results.decision import RECOMMENDATIONS, decide, guardrail_status, has_enough_data

INTERVAL = {"estimate": -1.0, "ci_low": -1.4, "ci_high": -0.6}


def primary(key: str = "H1", found: str = "improved", role: str = "primary", **fields) -> dict:
    """A result of a fixed two-group test on a lower-is-better metric whose outcome is ``found``.

    The smallest change worth acting on is half a unit; "short" and "powered"
    are results without a detectable change, without and with the sample the
    test needs to detect half a unit.
    """
    result = {
        "hypothesis": key,
        "role": role,
        "design": "concurrent",
        "method": "fixed",
        "direction": "decrease",
        "alpha": 0.05,
        "minimum_effect": -0.5,
        "error": None,
        "planning": None,
        "absolute": INTERVAL,
        "p_value": 0.001,
        "p_value_adjusted": 0.002,
    }
    if found == "worse":
        result["absolute"] = {"estimate": 1.0, "ci_low": 0.6, "ci_high": 1.4}
    elif found in ("short", "powered"):
        result["absolute"] = {"estimate": -0.1, "ci_low": -0.7, "ci_high": 0.5}
        result["p_value"] = result["p_value_adjusted"] = 0.6
        result["planning"] = {"n_per_group": 120 if found == "short" else 900}
        result["planning"]["n_needed_per_group"] = 400
    elif found == "pending":
        result.update(absolute=None, p_value=None, p_value_adjusted=None)
        result["error"] = "the pilot group has no post-period observations of 'wait'"
    return {**result, **fields}


def guardrail(key: str = "G1", found: str = "holds") -> dict:
    """A non-inferiority result with a margin of two points on a lower-is-better share."""
    estimate, p_value = {
        "holds": (0.0, 0.001),
        "breached": (0.05, 0.9),
        "unshown": (0.01, 0.2),
    }.get(found, (None, None))
    return {
        "hypothesis": key,
        "role": "guardrail",
        "design": "concurrent",
        "method": "fixed",
        "direction": "decrease",
        "alpha": 0.05,
        "minimum_effect": 0.02,
        "error": "no observations yet" if found == "pending" else None,
        "planning": None,
        "absolute": None if estimate is None else {"estimate": estimate},
        "p_value": p_value,
        "p_value_adjusted": None,
    }


def decided(*results: dict, mismatch: bool = False) -> tuple[str, str]:
    report = {"results": list(results), "sample_ratio": {"mismatch": mismatch}}
    decision = decide(report)
    assert set(decision) == {"recommendation", "rule"}
    return decision["recommendation"], decision["rule"]


# Each row of the table, in its order: the results, the recommendation and the rule.
TABLE = [
    pytest.param(
        [guardrail()],
        False,
        "insufficient",
        "Not enough evidence yet: the pilot has no primary hypothesis to decide on.",
        id="1-no-primary",
    ),
    pytest.param(
        [primary(), guardrail()],
        True,
        "insufficient",
        "Not enough evidence yet: the groups' sizes do not match the planned shares "
        "(sample-ratio mismatch), so no result can be trusted until the cause is found.",
        id="2-sample-ratio-mismatch",
    ),
    pytest.param(
        [primary(found="worse"), guardrail()],
        False,
        "stop",
        "Stop: primary hypothesis H1 got significantly worse.",
        id="3-primary-worse",
    ),
    pytest.param(
        [primary(found="worse"), guardrail(found="breached")],
        False,
        "stop",
        "Stop: primary hypothesis H1 got significantly worse.",
        id="3-primary-worse-and-breached",
    ),
    pytest.param(
        [primary(), guardrail(found="breached")],
        False,
        "iterate",
        "Iterate: every primary hypothesis improved, but guardrail G1 was breached; "
        "change what harms it before scaling.",
        id="4a-improved-but-breached",
    ),
    pytest.param(
        [primary(found="powered"), guardrail(found="breached")],
        False,
        "stop",
        "Stop: guardrail G1 was breached and not every primary hypothesis improved.",
        id="4b-unchanged-and-breached",
    ),
    pytest.param(
        [primary(found="pending"), guardrail(found="breached"), guardrail("G2", "breached")],
        False,
        "stop",
        "Stop: guardrails G1, G2 were breached and not every primary hypothesis improved.",
        id="4b-untested-and-breached",
    ),
    pytest.param(
        [primary(), primary("H2", "pending"), guardrail()],
        False,
        "insufficient",
        "Not enough evidence yet: primary hypothesis H2 has too little data to be tested.",
        id="5-primary-untested",
    ),
    pytest.param(
        [primary()],
        False,
        "insufficient",
        "Not enough evidence yet: every primary hypothesis improved, but no guardrail "
        "shows that nothing else got worse.",
        id="6a-no-guardrail",
    ),
    pytest.param(
        [primary(), guardrail(), guardrail("G2", "unshown")],
        False,
        "insufficient",
        "Not enough evidence yet: every primary hypothesis improved, but guardrail G2 is "
        "not yet shown to hold.",
        id="6b-guardrail-unshown",
    ),
    pytest.param(
        [primary(), guardrail(found="pending")],
        False,
        "insufficient",
        "Not enough evidence yet: every primary hypothesis improved, but guardrail G1 is "
        "not yet shown to hold.",
        id="6b-guardrail-untested",
    ),
    pytest.param(
        [primary(), primary("H2"), guardrail(), guardrail("G2")],
        False,
        "scale",
        "Scale: every primary hypothesis improved significantly and every guardrail held.",
        id="6d-scale",
    ),
    pytest.param(
        [primary(), primary("H2", registration="exploratory"), guardrail()],
        False,
        "insufficient",
        "Not enough evidence yet: every primary hypothesis improved, but primary hypothesis "
        "H2 was stated after its data (exploratory): confirm it in a new iteration before "
        "scaling.",
        id="6c-exploratory-primary",
    ),
    pytest.param(
        [primary(), primary("H2", "powered"), guardrail()],
        False,
        "iterate",
        "Iterate: primary hypothesis H2 shows no detectable change although the pilot has "
        "the data to detect the smallest change worth acting on.",
        id="7a-unchanged-with-enough-data",
    ),
    pytest.param(
        [primary(found="short"), primary("H2", "short"), guardrail()],
        False,
        "insufficient",
        "Not enough evidence yet: primary hypotheses H1, H2 show no detectable change, and "
        "the pilot does not yet have the data to detect the smallest change worth acting on.",
        id="7b-unchanged-without-enough-data",
    ),
]


@pytest.mark.parametrize(("results", "mismatch", "recommendation", "rule"), TABLE)
def test_each_row_of_the_table_gives_its_recommendation_and_rule(
    results, mismatch, recommendation, rule
):
    assert decided(*results, mismatch=mismatch) == (recommendation, rule)
    assert rule.startswith(RECOMMENDATIONS[recommendation][0] + ":")


def test_secondary_hypotheses_never_decide():
    worse_secondary = primary("H2", "worse", role="secondary")
    untested_secondary = primary("H3", "pending", role="secondary")
    assert decided(primary(), worse_secondary, untested_secondary, guardrail())[0] == "scale"


def test_a_threshold_found_counts_as_support_and_the_rule_says_so():
    found = primary(design="threshold", minimum_effect=None, p_value_adjusted=0.01)
    assert decided(found, guardrail()) == (
        "scale",
        "Scale: every primary hypothesis improved significantly or found its threshold, "
        "and every guardrail held.",
    )
    not_found = {**found, "p_value": 0.4}
    # No sample size to plan and no change worth acting on: a threshold search never has
    # enough data to call its absence final.
    assert decided(not_found, guardrail())[0] == "insufficient"


def test_a_bayesian_primary_decides_by_its_chance_to_beat_the_baseline():
    sure = primary(method="bayesian", chance_to_beat_baseline=0.97)
    assert decided(sure, guardrail())[0] == "scale"
    assert decided({**sure, "chance_to_beat_baseline": 0.02}, guardrail())[0] == "stop"
    assert decided({**sure, "chance_to_beat_baseline": 0.6}, guardrail())[0] == "insufficient"


PRIMARY_OUTCOMES = ("improved", "worse", "powered", "short", "pending")
GUARDRAIL_OUTCOMES = ("holds", "breached", "unshown", "pending")


@pytest.mark.parametrize(
    ("primaries", "guardrails"),
    [
        (p, g)
        for p in itertools.product(PRIMARY_OUTCOMES, repeat=2)
        for g in itertools.product(GUARDRAIL_OUTCOMES, repeat=2)
    ],
)
def test_scale_needs_every_primary_improved_and_every_guardrail_held(primaries, guardrails):
    results = [primary(f"H{i}", found) for i, found in enumerate(primaries, 1)]
    results += [guardrail(f"G{i}", found) for i, found in enumerate(guardrails, 1)]
    recommendation, _ = decided(*results)
    clean = set(primaries) == {"improved"} and set(guardrails) == {"holds"}
    assert (recommendation == "scale") == clean
    if "breached" in guardrails:
        assert recommendation in ("stop", "iterate")


@pytest.mark.parametrize(
    ("direction", "interval", "enough"),
    [
        # Better is higher: the interval's top must fall short of +0.5 to rule it out.
        ("increase", (-0.2, 0.4), True),
        ("increase", (-0.2, 0.6), False),
        # Better is lower: the interval's bottom must stay above -0.5.
        ("decrease", (-0.4, 0.2), True),
        ("decrease", (-0.6, 0.2), False),
    ],
)
def test_an_interval_that_rules_out_the_change_worth_acting_on_is_enough_data(
    direction, interval, enough
):
    low, high = interval
    result = primary(
        found="short", direction=direction, planning=None, absolute={"ci_low": low, "ci_high": high}
    )
    assert has_enough_data(result) is enough
    assert has_enough_data({**result, "minimum_effect": None}) is False


def test_the_planned_sample_reached_is_enough_data():
    assert has_enough_data(primary(found="powered")) is True
    assert has_enough_data(primary(found="short")) is False


def test_guardrail_status_counts_an_untested_guardrail_as_not_yet_shown():
    status = guardrail_status([primary(), guardrail(), guardrail("G2", "pending")])
    assert status == {"state": "unshown", "holds": ["G1"], "breached": [], "unshown": ["G2"]}
    assert guardrail_status([primary()])["state"] == "none"
    assert guardrail_status([guardrail(found="breached"), guardrail("G2")])["state"] == "breached"
