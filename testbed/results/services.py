"""Analyse a pilot's hypotheses from the stored sums."""

from __future__ import annotations

from testbed.pilots.models import Hypothesis, Pilot
from testbed.store.queries import cell_sums


def analyse_pilot(pilot: Pilot) -> dict:
    """One result per hypothesis, in the shape ``testbed analyze --json`` prints."""
    return {"pilot": pilot.slug, "results": [group_summaries(h) for h in pilot.hypotheses]}


def group_summaries(hypothesis: Hypothesis) -> dict:
    cells = cell_sums(hypothesis.metric)
    result = {"hypothesis": hypothesis.key, "metric": hypothesis.metric.key,
              "kind": hypothesis.metric.kind, "design": hypothesis.design,
              "method": hypothesis.method, "role": hypothesis.role}
    for group in ("baseline", "pilot"):
        cell = cells.get((group, "post"))
        moments = cell.moments() if cell else None
        result[group] = _describe(moments)
    return result


def _describe(moments) -> dict:
    if moments is None or moments.n == 0:
        return {"n": 0, "mean": None, "sd": None}
    return {"n": moments.n, "mean": moments.mean, "sd": moments.sd if moments.n > 1 else None}
