"""The company's cost of poor service, its edits, and what pilots claim to remove from it."""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from analysis.poor_service import (
    effect_se,
    reduction_line,
    stated_total,
    yearly_cost,
)
from analysis.returns import BenefitLine, annual_benefit
from testbed.audit import record
from testbed.extensions import db
from testbed.finance.models import POOR_SERVICE_KINDS, PoorServiceClaim, PoorServiceLine
from testbed.i18n import figure
from testbed.pilots.models import Pilot

KIND_LABELS = {
    "lost_customers": _l("Customers lost × lifetime value"),
    "rework": _l("Rework × unit cost"),
    "complaints": _l("Complaints × handling cost"),
}
# What is wrong with a line's volume or unit cost and its range, a sentence for each.
RANGE_PROBLEMS = {
    "volume": {
        "negative": _l("the volume must be zero or more"),
        "one_end": _l("give both ends of the volume's range, or neither"),
        "outside": _l(
            "the volume's range must run from its low end up to its high end "
            "and hold the stated %(value)s"
        ),
    },
    "unit_cost": {
        "negative": _l("the unit cost must be zero or more"),
        "one_end": _l("give both ends of the unit cost's range, or neither"),
        "outside": _l(
            "the unit cost's range must run from its low end up to its high end "
            "and hold the stated %(value)s"
        ),
    },
}
ROLE_PREFERENCE = ("primary", "secondary", "guardrail")
LINE_FIELDS = (
    "key",
    "segment",
    "kind",
    "name",
    "currency",
    "volume",
    "volume_low",
    "volume_high",
    "unit_cost",
    "unit_cost_low",
    "unit_cost_high",
    "source",
    "period",
    "description",
)


def all_lines() -> list[PoorServiceLine]:
    """Every line of the model, by segment, then kind, then key."""
    order = {kind: number for number, kind in enumerate(POOR_SERVICE_KINDS)}
    rows = db.session.scalars(select(PoorServiceLine)).all()
    return sorted(rows, key=lambda line: (line.segment.lower(), order[line.kind], line.key))


def model_currency() -> str | None:
    """The currency the model's lines are in, when they share one."""
    currencies = set(db.session.scalars(select(PoorServiceLine.currency).distinct()))
    return currencies.pop() if len(currencies) == 1 else None


def line_keyed(key: str) -> PoorServiceLine | None:
    return db.session.scalar(select(PoorServiceLine).where(PoorServiceLine.key == key))


def model_digest() -> str:
    """A short name for the model as it stands: cached returns that counted a claim key on it."""
    rows = db.session.execute(
        select(*(getattr(PoorServiceLine, name) for name in LINE_FIELDS[:13])).order_by(
            PoorServiceLine.key
        )
    ).all()
    text = json.dumps([list(row) for row in rows])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def claims_of(pilot: Pilot) -> list[PoorServiceClaim]:
    return list(
        db.session.scalars(
            select(PoorServiceClaim)
            .where(PoorServiceClaim.pilot_id == pilot.id)
            .order_by(PoorServiceClaim.id)
        )
    )


def measured_relative(metric_key: str, results: list[dict]) -> dict | None:
    """The result a claim on ``metric_key`` takes its relative effect from: primary first."""
    candidates = [
        r
        for r in results
        if r["metric"] == metric_key
        and r.get("relative")
        and r["relative"]["estimate"] is not None
        and r["relative"]["ci_low"] is not None
        and r["relative"]["ci_high"] is not None
    ]
    candidates.sort(key=lambda r: ROLE_PREFERENCE.index(r["role"]))
    return candidates[0] if candidates else None


def interval_level(result: dict) -> float:
    """A guardrail's interval is at 1 − 2α (its one-sided test); every other at 1 − α."""
    alpha = result["alpha"]
    return 1 - 2 * alpha if result["role"] == "guardrail" else 1 - alpha


def claim_effect(result: dict) -> tuple[float, float]:
    """The relative effect a claim counts and its standard error, read off the interval."""
    relative = result["relative"]
    se = effect_se(
        relative["estimate"], relative["ci_low"], relative["ci_high"], interval_level(result)
    )
    return relative["estimate"], se


def claim_line(claim: PoorServiceClaim, effect: float, se: float) -> BenefitLine:
    """The claim as a benefit line of the returns' Monte Carlo."""
    line = claim.line
    return reduction_line(
        effect,
        se,
        line.volume,
        line.unit_cost,
        claim.share,
        line.volume_range,
        line.unit_cost_range,
        name=f"{line.key} through {claim.metric.key}",
    )


def line_cost(line: PoorServiceLine):
    return yearly_cost(line.volume, line.unit_cost, line.volume_range, line.unit_cost_range)


def overview(claimed: dict[int, list[dict]] | None = None) -> dict:
    """The model by segment: each line's cost a year, and what pilots claim to remove.

    ``claimed`` maps a line's id to the claims counted on it, each a dict with
    the claim's ``pilot``, its ``benefit`` line for the Monte Carlo and its
    ``yearly`` estimate; what the pilots remove from a segment, and in total,
    is drawn from the same lines together (independently of one another).
    """
    claimed = claimed or {}
    segments = defaultdict(list)
    for line in all_lines():
        cost = line_cost(line)
        claims = claimed.get(line.id, [])
        segments[line.segment].append({"line": line, "cost": cost, "claims": claims})
    rows = []
    for segment, lines in segments.items():
        rows.append(
            {
                "segment": segment,
                "lines": lines,
                "cost": stated_total([entry["cost"] for entry in lines]),
                "claimed": _claimed_total(lines),
            }
        )
    everything = [entry for row in rows for entry in row["lines"]]
    currencies = sorted({entry["line"].currency for entry in everything})
    return {
        "segments": rows,
        "currency": currencies[0] if len(currencies) == 1 else None,
        "cost": stated_total([entry["cost"] for entry in everything]) if everything else None,
        "claimed": _claimed_total(everything),
        "pilots_claiming": len({c["pilot"].id for e in everything for c in e["claims"]}),
    }


def _claimed_total(entries: list[dict]) -> dict | None:
    """What the claims on these lines remove a year, with a Monte Carlo interval."""
    lines = [c["benefit"] for entry in entries for c in entry["claims"] if c.get("benefit")]
    if not lines:
        return None
    return annual_benefit(lines, seed=0).as_dict()


# Edits. Each adds and flushes, records an audit event and leaves the commit to the caller;
# a ValueError says what to change.


def add_line(*, actor: str, user_id: int | None = None, **fields) -> PoorServiceLine:
    """Add a line to the model (see ``LINE_FIELDS``)."""
    line = PoorServiceLine()
    _set_line(line, **fields)
    db.session.add(line)
    db.session.flush()
    _line_changed("created", line, actor, user_id)
    return line


def update_line(line: PoorServiceLine, *, actor: str, user_id: int | None = None, **fields) -> None:
    _set_line(line, **fields)
    db.session.flush()
    _line_changed("updated", line, actor, user_id)


def delete_line(line: PoorServiceLine, *, actor: str, user_id: int | None = None) -> None:
    """Delete a line no pilot claims; a claimed one says which pilots to change first."""
    claiming = pilots_claiming(line)
    if claiming:
        raise ValueError(
            gettext(
                "the line '%(line)s' is claimed by %(pilots)s: remove those claims first",
                line=line.key,
                pilots=", ".join(claiming),
            )
        )
    db.session.delete(line)
    db.session.flush()
    _line_changed("deleted", line, actor, user_id)


def pilots_claiming(line: PoorServiceLine) -> list[str]:
    """The names of the pilots whose finance case counts a claim on ``line``."""
    query = (
        select(Pilot.name)
        .join(PoorServiceClaim, PoorServiceClaim.pilot_id == Pilot.id)
        .where(PoorServiceClaim.line_id == line.id)
        .distinct()
        .order_by(Pilot.name)
    )
    return list(db.session.scalars(query))


def line_problems(fields: dict, except_id: int | None = None):
    """Yield (field, message) for each rule a line breaks; the form and the loader share them."""
    key = fields["key"]
    if key_taken(key, except_id):
        yield "key", gettext("a line with the key '%(key)s' exists already", key=key)
    if not fields["segment"].strip():
        yield "segment", gettext("name the partner segment the line belongs to, such as healthcare")
    if fields["kind"] not in POOR_SERVICE_KINDS:
        yield (
            "kind",
            gettext("the kind must be one of %(kinds)s", kinds=", ".join(POOR_SERVICE_KINDS)),
        )
    currency = fields["currency"]
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        yield "currency", gettext("the currency must be a three-letter code such as EUR")
    for name in ("volume", "unit_cost"):
        value, low, high = fields[name], fields.get(f"{name}_low"), fields.get(f"{name}_high")
        says = RANGE_PROBLEMS[name]
        if not (math.isfinite(value) and value >= 0):
            yield name, str(says["negative"])
            continue
        if (low is None) != (high is None):
            yield f"{name}_low", str(says["one_end"])
        elif low is not None and not (0 <= low <= value <= high):
            yield f"{name}_low", str(says["outside"]) % {"value": figure(f"{value:g}")}


def key_taken(key: str, except_id: int | None = None) -> bool:
    query = select(PoorServiceLine.id).where(func.lower(PoorServiceLine.key) == key.lower())
    if except_id is not None:
        query = query.where(PoorServiceLine.id != except_id)
    return db.session.scalar(query) is not None


def _set_line(line: PoorServiceLine, **fields) -> None:
    fields = {name: fields.get(name) for name in LINE_FIELDS}
    for name in ("key", "segment", "name", "source", "period", "description"):
        fields[name] = (fields[name] or "").strip()
    fields["currency"] = (fields["currency"] or "").strip().upper()
    if not fields["key"] or not fields["name"]:
        raise ValueError(gettext("give the line a key and a name"))
    problem = next(line_problems(fields, line.id), None)
    if problem is not None:
        raise ValueError(problem[1])
    others = select(PoorServiceLine.currency).where(PoorServiceLine.currency != fields["currency"])
    if line.id is not None:
        others = others.where(PoorServiceLine.id != line.id)
    other = db.session.scalar(others.limit(1))
    if other is not None:
        raise ValueError(
            gettext(
                "the model's other lines are in %(currency)s: keep one currency, so that the "
                "segments and the total add up",
                currency=other,
            )
        )
    if line.id is not None and line.currency != fields["currency"]:
        claimed_in = _claim_currencies(line)
        if claimed_in - {fields["currency"]}:
            raise ValueError(
                gettext(
                    "pilots with their case in %(currencies)s claim this line: "
                    "its currency must stay theirs",
                    currencies=", ".join(sorted(claimed_in)),
                )
            )
    for name, value in fields.items():
        setattr(line, name, value)


def _claim_currencies(line: PoorServiceLine) -> set[str]:
    from testbed.finance.models import FinancePlan

    query = (
        select(FinancePlan.currency)
        .join(PoorServiceClaim, PoorServiceClaim.pilot_id == FinancePlan.pilot_id)
        .where(PoorServiceClaim.line_id == line.id)
    )
    return set(db.session.scalars(query))


def describe_line(line: PoorServiceLine) -> str:
    return (
        f"{line.key} ({line.segment}, {line.kind}): {line.volume:,.0f} a year "
        f"× {line.unit_cost:,.2f} {line.currency}"
    )


def _line_changed(action: str, line: PoorServiceLine, actor: str, user_id) -> None:
    # Cached returns are keyed by the model's digest, so those that counted a claim
    # on the old figures are never read again.
    record(
        action,
        "poor_service_line",
        actor=actor,
        user_id=user_id,
        entity_id=line.id,
        summary=describe_line(line),
    )
