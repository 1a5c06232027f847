"""Analyse a pilot: each hypothesis by its design and method, then one verdict each.

A report is computed once per version of a pilot and kept for every reader (in memory and
in the database), so its sentences (each verdict, the decision's rule) are kept in
English; ``report_for`` and ``reports_for`` give them to each reader in their language.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable

from flask_babel import force_locale
from sqlalchemy import inspect, select

from analysis.bayesian import bayesian_compare
from analysis.cuped import compare_means_cuped
from analysis.designs import (
    difference_in_differences,
    interrupted_time_series,
    threshold_regression,
)
from analysis.multiple import adjust_p_values
from analysis.results import Comparison
from analysis.sequential import sequential_compare
from analysis.srm import sample_ratio_mismatch
from analysis.two_sample import compare, group_estimates, non_inferiority
from testbed.extensions import db
from testbed.finance.poor_service import model_digest
from testbed.finance.services import pilot_returns, programme_rois
from testbed.i18n import DEFAULT_LANGUAGE, language
from testbed.pilots.models import Hypothesis, Metric, Pilot
from testbed.results import summaries
from testbed.results.decision import decide
from testbed.results.gather import Arms, arms, daily_series, did_rows, threshold_rows
from testbed.results.planning import planning
from testbed.results.tails import tails
from testbed.results.verdicts import verdict

DEFAULT_N_STAR = 5000
EMPTY_FIELDS = {
    "absolute": None,
    "relative": None,
    "statistic": None,
    "df": None,
    "p_value": None,
    "p_value_adjusted": None,
    "test": None,
}


def analyse_pilot(pilot: Pilot, correction: str = "holm") -> dict:
    """One result per hypothesis, in the shape ``testbed analyze --json`` prints.

    Confirmatory primary and secondary hypotheses with a frequentist test
    share one multiple-testing correction (Holm, or Benjamini–Hochberg with
    ``correction="bh"``); see ``in_correction_family`` for who is left out.
    """
    # Kept for every reader: written in English, whoever asked first (see ``in_language``).
    with force_locale(DEFAULT_LANGUAGE):
        results = [analyse_hypothesis(h) for h in pilot.hypotheses]
        _adjust(results, correction)
        for hypothesis, result in zip(pilot.hypotheses, results, strict=True):
            result["verdict"] = verdict(result, hypothesis.metric)
        report = {
            "pilot": pilot.slug,
            "correction": correction,
            "results": results,
            "sample_ratio": sample_ratio(pilot, results),
            "returns": pilot_returns(pilot, results),
        }
        report["decision"] = decide(report)
    return report


def sample_ratio(pilot: Pilot, results: list[dict]) -> dict | None:
    """Where units were randomised, check the groups' sizes against the planned shares."""
    primary = next(
        (r for r in results if r["role"] == "primary" and r["design"] == "concurrent"), None
    )
    if pilot.pilot_share is None or primary is None:
        return None
    n_baseline, n_pilot = primary["baseline"]["n"], primary["pilot"]["n"]
    if not n_baseline or not n_pilot:
        return None
    check = sample_ratio_mismatch(n_baseline, n_pilot, pilot.pilot_share)
    return {
        "metric": primary["metric"],
        "planned_pilot_share": pilot.pilot_share,
        "observed_pilot_share": check.observed_share,
        "statistic": finite(check.statistic),
        "p_value": finite(check.p_value),
        "mismatch": check.mismatch,
    }


def analyse_hypothesis(hypothesis: Hypothesis) -> dict:
    """The hypothesis' comparison, with its planning figures and its tails."""
    result = measure(hypothesis)
    if result["error"] is None:
        result["planning"] = planning(hypothesis, result)
        result["tails"] = tails(hypothesis)
    return result


def measure(hypothesis: Hypothesis) -> dict:
    """The hypothesis' groups and comparison only: what returns take their effects from."""
    metric = hypothesis.metric
    groups = arms(hypothesis)
    result = {
        "hypothesis": hypothesis.key,
        "statement": hypothesis.statement,
        "metric": metric.key,
        "kind": metric.kind,
        "direction": metric.direction,
        "design": hypothesis.design,
        "method": hypothesis.method,
        "role": hypothesis.role,
        "registration": hypothesis.registration,
        "alpha": hypothesis.alpha,
        "minimum_effect": hypothesis.minimum_effect,
        "baseline": describe(groups.baseline, metric.kind),
        "pilot": describe(groups.pilot, metric.kind),
    }
    try:
        comparison = run(hypothesis, groups)
    except ValueError as error:
        return {
            **result,
            **EMPTY_FIELDS,
            "error": str(error),
            "notes": [],
            "details": {},
            "planning": None,
            "tails": None,
        }
    return {
        **result,
        **comparison_fields(comparison, hypothesis.method),
        "error": None,
        "planning": None,
        "tails": None,
    }


def run(hypothesis: Hypothesis, groups: Arms) -> Comparison:
    """The statistics that fit the hypothesis' design, method and role."""
    design = hypothesis.design
    if design == "did":
        return difference_in_differences(**did_rows(hypothesis.metric), alpha=hypothesis.alpha)
    if design == "its":
        return _interrupted_time_series(hypothesis)
    if design == "threshold":
        x, y = threshold_rows(hypothesis.metric, hypothesis.predictor)
        return threshold_regression(x, y, alpha=hypothesis.alpha, seed=0)
    return _two_groups(hypothesis, groups)


def _two_groups(hypothesis: Hypothesis, groups: Arms) -> Comparison:
    metric, alpha = hypothesis.metric, hypothesis.alpha
    for name, group in (("baseline", groups.baseline), ("pilot", groups.pilot)):
        if group is None:
            period = (
                "pre-period"
                if hypothesis.design == "pre_post" and name == "baseline"
                else "post-period"
            )
            raise ValueError(f"the {name} group has no {period} observations of '{metric.key}'")
    baseline, pilot = groups.baseline, groups.pilot
    if hypothesis.role == "guardrail":
        margin = hypothesis.minimum_effect or 0.0
        return non_inferiority(baseline, pilot, metric.kind, margin, metric.direction, alpha)
    if hypothesis.method == "sequential":
        n_star = hypothesis.planned_sample_size or DEFAULT_N_STAR
        return sequential_compare(baseline, pilot, metric.kind, alpha, n_star=n_star)
    if hypothesis.method == "bayesian":
        return bayesian_compare(baseline, pilot, metric.kind, metric.direction, alpha)
    if metric.kind == "mean" and groups.baseline_covariate and groups.pilot_covariate:
        return compare_means_cuped(groups.baseline_covariate, groups.pilot_covariate, alpha)
    return compare(baseline, pilot, metric.kind, alpha)


def _interrupted_time_series(hypothesis: Hypothesis) -> Comparison:
    days, values = daily_series(hypothesis.metric)
    start = hypothesis.pilot.start_date
    if start is None:
        raise ValueError("an interrupted time series needs the pilot's start_date")
    return interrupted_time_series(days, values, start.toordinal(), alpha=hypothesis.alpha)


def describe(group, kind: str) -> dict:
    """n, mean and sd of one group; for a ratio the mean is the ratio of sums."""
    if group is None or group.n == 0:
        return {"n": 0, "mean": None, "sd": None}
    if kind == "ratio":
        mean = group.x.mean / group.y.mean if group.y.mean else None
        sd = None
        if group.n > 1 and mean is not None:
            estimate, _ = group_estimates(group, group, "ratio")
            sd = finite(math.sqrt(estimate.variance * group.n))
        return {"n": group.n, "mean": finite(mean), "sd": sd}
    return {
        "n": group.n,
        "mean": finite(group.mean),
        "sd": finite(group.sd) if group.n > 1 else None,
    }


def comparison_fields(comparison: Comparison, method: str) -> dict:
    details = {name: finite(value) for name, value in comparison.details}
    fields = {
        "absolute": comparison.absolute.as_dict(),
        "relative": comparison.relative.as_dict() if comparison.relative else None,
        "statistic": finite(comparison.statistic),
        "df": finite(comparison.df),
        "p_value": finite(comparison.p_value),
        "p_value_adjusted": None,
        "test": comparison.test,
        "notes": list(comparison.notes),
        "details": details,
    }
    if method == "bayesian":
        fields["chance_to_beat_baseline"] = details.get("chance_to_beat_baseline")
        fields["expected_loss"] = details.get("expected_loss")
    return fields


def in_correction_family(result: dict) -> bool:
    """Whether a result's p-value is adjusted together with the others.

    Guardrails are tested on their own, one-sided for non-inferiority.
    Exploratory hypotheses were stated after their data: letting them in
    would let a look at the data choose the family. A Bayesian result has a
    posterior chance, not a p-value to adjust.
    """
    return (
        result["role"] != "guardrail"
        and result["registration"] == "confirmatory"
        and result["method"] != "bayesian"
        and result["p_value"] is not None
    )


def _adjust(results: list[dict], correction: str) -> None:
    tested = [r for r in results if in_correction_family(r)]
    if not tested:
        return
    adjusted = adjust_p_values([r["p_value"] for r in tested], method=correction)
    for result, p_value in zip(tested, adjusted, strict=True):
        result["p_value_adjusted"] = finite(float(p_value))


def finite(value):
    """JSON has no NaN or infinity: report them as missing."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# Reports are kept in memory by pilot version, the least recently used going first;
# sized well above a large portfolio, so that a page listing every pilot never
# pushes out the reports its next request needs.
_CACHE: dict[tuple, dict] = {}
_CACHE_SIZE = 1024


def report_for(pilot: Pilot, correction: str = "holm") -> dict:
    """The pilot's report, computed once per version of the pilot and the programmes."""
    return reports_for([pilot], correction)[pilot.id]


def reports_for(pilots: Iterable[Pilot], correction: str = "holm") -> dict[int, dict]:
    """Each pilot's report by id: kept in memory, stored for every process, else computed.

    The report's returns compare with the existing programmes and count
    claims on the cost of poor service, so the programmes and that model are
    part of what a report is kept for. Its sentences are in the reader's language.
    """
    pilots = list(pilots)
    reports = summaries.kept(
        pilots,
        _report_name(correction),
        lambda pilot: analyse_pilot(pilot, correction),
        _CACHE,
        _CACHE_SIZE,
    )
    return in_language(pilots, reports)


def in_language(pilots: list[Pilot], reports: dict[int, dict]) -> dict[int, dict]:
    """The reports with their verdicts and rules in the current language.

    In English they are the reports as kept; in another language, copies with the
    sentences written anew (the kept ones are shared by every reader and never changed).
    """
    if language() == DEFAULT_LANGUAGE:
        return reports
    metrics = _metrics_by_key(pilots)
    return {
        pilot_id: _in_language(report, metrics.get(pilot_id, {}))
        for pilot_id, report in reports.items()
    }


def _in_language(report: dict, metrics: dict[str, Metric]) -> dict:
    results = [
        {**result, "verdict": verdict(result, metrics[result["metric"]])}
        if result["metric"] in metrics
        else result
        for result in report["results"]
    ]
    written = {**report, "results": results}
    written["decision"] = decide(written)
    return written


def _metrics_by_key(pilots: list[Pilot]) -> dict[int, dict[str, Metric]]:
    """Each pilot's metrics by key; those not loaded yet are read in one query."""
    found = {p.id: list(p.metrics) for p in pilots if "metrics" not in inspect(p).unloaded}
    missing = [p.id for p in pilots if p.id not in found]
    if missing:
        for metric in db.session.scalars(select(Metric).where(Metric.pilot_id.in_(missing))):
            found.setdefault(metric.pilot_id, []).append(metric)
    return {pilot_id: {m.key: m for m in metrics} for pilot_id, metrics in found.items()}


def kept_report(pilot: Pilot, correction: str = "holm") -> dict | None:
    """The report of the pilot's current version if memory or the store holds it, else None.

    As kept: its sentences are in English (``in_language`` writes them in another).

    Never computes nor stores one: for a transaction that holds the pilot's row
    locked, where storing (whose foreign key check waits for that lock) would wait
    for the transaction itself.
    """
    return summaries.recalled(pilot, _report_name(correction), _CACHE)


def analyse_uncommitted(pilot: Pilot, correction: str = "holm") -> dict:
    """The pilot's report from the data in this transaction, kept once they are committed.

    The page that follows a change then reads it instead of computing it again.
    """
    report = analyse_pilot(pilot, correction)
    summaries.keep_on_commit(pilot, _report_name(correction), report, _CACHE, _CACHE_SIZE)
    return report


def _report_name(correction: str) -> str:
    # A report's returns compare with the programmes and count claims on the cost of
    # poor service: both are part of what it is kept for.
    return f"report:{correction}:{programmes_digest(programme_rois())}:{model_digest()}"


def programmes_digest(programmes: dict[str, float]) -> str:
    """A short name for a set of programmes and their stated ROIs."""
    text = json.dumps(sorted(programmes.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
