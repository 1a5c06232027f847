"""The planning page: a pilot's size and weeks before its data, prefilled from its hypotheses."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from analysis.planning import DESIGNS, PilotPlan, plan_pilot
from testbed.pilots.models import Hypothesis, Pilot
from testbed.results.forms import PlanningForm
from testbed.results.labels import analysis_text
from testbed.results.planning import POWER
from testbed.results.services import report_for


def planning_form(pilot: Pilot, args: MultiDict) -> tuple[PlanningForm, bool]:
    """The form as sent in the query string, else prefilled from one of the pilot's hypotheses.

    The flag says whether the values were sent: a prefilled form that lacks,
    say, a standard deviation is incomplete, not wrong.
    """
    sent = "minimum_effect" in args
    values = args if sent else planning_defaults(pilot, args.get("hypothesis"))
    return PlanningForm(values), sent


def planning_defaults(pilot: Pilot, key: str | None = None) -> MultiDict:
    """Form values from the hypothesis ``key`` (else the first primary, else the first).

    The baseline's mean and spread come from its observations when there are
    any: a pilot that has not started often has its baseline's history.
    """
    hypothesis = _chosen_hypothesis(pilot, key)
    if hypothesis is None:
        return MultiDict()
    metric = hypothesis.metric
    values = {
        "kind": "proportion" if metric.kind == "proportion" else "mean",
        "direction": metric.direction,
        "alpha": hypothesis.alpha,
        "power": POWER,
        "design": hypothesis.design if hypothesis.design in DESIGNS else "concurrent",
        "minimum_effect": abs(hypothesis.minimum_effect) if hypothesis.minimum_effect else None,
        **_baseline_values(pilot, hypothesis),
    }
    # Six significant digits: a prefilled sd of 3.4641016151377544 reads as 3.4641.
    return MultiDict({name: _text(value) for name, value in values.items() if value is not None})


def plan_for(form: PlanningForm, sent: bool) -> PilotPlan | None:
    """The plan for a valid form; None, with the reasons on the form, for one that is not.

    A prefilled form (not ``sent``) that is incomplete keeps no messages: the
    person has not asked for anything yet.
    """
    if not form.validate():
        if not sent:
            for field in form:
                field.errors = []
        return None
    try:
        return plan_pilot(**form.plan_arguments())
    except ValueError as error:
        form.form_errors.append(analysis_text(str(error)))
        return None


def _text(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _chosen_hypothesis(pilot: Pilot, key: str | None) -> Hypothesis | None:
    hypotheses = pilot.hypotheses
    chosen = next((h for h in hypotheses if h.key == key), None)
    primary = next((h for h in hypotheses if h.role == "primary"), None)
    return chosen or primary or (hypotheses[0] if hypotheses else None)


def _baseline_values(pilot: Pilot, hypothesis: Hypothesis) -> dict:
    results = report_for(pilot)["results"]
    baseline = next(r["baseline"] for r in results if r["hypothesis"] == hypothesis.key)
    if baseline["mean"] is None:
        return {}
    if hypothesis.metric.kind == "proportion":
        return {"baseline_proportion": baseline["mean"]}
    return {"baseline_mean": baseline["mean"], "sd": baseline["sd"]}
