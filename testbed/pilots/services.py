"""Pilot operations: the portfolio, creating and editing pilots, hypotheses and iterations.

Services add and flush; the caller commits once. A rule broken raises
``InvalidField`` (a ValueError) naming the form field a person should fix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask import abort
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from testbed.audit import AuditEvent, record
from testbed.auth.models import Department, User
from testbed.database import may_write
from testbed.extensions import db
from testbed.files.definition import KEY_PATTERN, hypothesis_problems
from testbed.finance.labels import named
from testbed.notify import services as notify
from testbed.pilots.library import MetricDefinition
from testbed.pilots.models import (
    Hypothesis,
    HypothesisAmendment,
    Iteration,
    Metric,
    Partner,
    Pilot,
)
from testbed.results.decision import standing
from testbed.results.services import report_for
from testbed.results.verdicts import CERTAIN
from testbed.store.models import Aggregate
from testbed.suggestions.labels import status_words
from testbed.suggestions.models import Suggestion
from testbed.suggestions.services import move
from testbed.timeutil import utcnow

# The pilot lifecycle: where a pilot may go from each status.
TRANSITIONS = {
    "draft": ("active", "abandoned"),
    "active": ("paused", "concluded", "abandoned"),
    "paused": ("active", "concluded", "abandoned"),
    "concluded": ("scaled", "abandoned"),
    "scaled": (),
    "abandoned": (),
}
START_STATUSES = ("draft", "active")
PILOT_SHARE_MESSAGE = _l("the planned pilot share lies strictly between 0 and 1, such as 0.5")
SLUG_LENGTH = 80
# Addresses the pilot pages use themselves: /pilots/new is the form for a new pilot.
RESERVED_SLUGS = frozenset({"new"})

# How sure the primary hypothesis' evidence is, with the rule each level follows.
STRONG_P = 0.01
STRONG_CHANCE = 0.99
MODERATE_CHANCE = CERTAIN
STRENGTHS = {
    "strong": (
        _l("Strong"),
        _l(
            "adjusted p-value below 0.01 (and below the hypothesis' α), or a Bayesian "
            "chance to beat the baseline of at least 99% (or at most 1%)"
        ),
    ),
    "moderate": (
        _l("Moderate"),
        _l(
            "adjusted p-value below the hypothesis' α (usually 0.05), or a chance to beat "
            "the baseline of at least 95% (or at most 5%)"
        ),
    ),
    "weak": (_l("Weak or none"), _l("the data cannot yet tell the pilot from the baseline")),
    "untested": (
        _l("Not tested yet"),
        _l("no primary hypothesis, or too few observations to test it"),
    ),
}
HYPOTHESIS_FIELDS = (
    "statement",
    "metric",
    "role",
    "design",
    "method",
    "alpha",
    "minimum_effect",
    "planned_sample_size",
    "predictor",
    "quantiles",
)


class InvalidField(ValueError):
    """A broken rule, with the form field where a person fixes it.

    The message is in the language of the request (English outside one); a lazy text is
    made a plain one here, so pages, flashes and JSON answers all get a ``str``.
    """

    def __init__(self, field: str, message: str):
        message = str(message)
        super().__init__(message)
        self.field = field
        self.message = message


def actor_name(user: User) -> str:
    """How a person is named in the activity log."""
    return user.name or user.email


# Reading ---------------------------------------------------------------------------


def pilot_or_404(slug: str) -> Pilot:
    pilot = pilot_at(slug)
    if pilot is None:
        abort(404)
    return pilot


def pilot_at(slug: str) -> Pilot | None:
    """The pilot at this address; its row locked until commit when the request may write.

    Everything added to a pilot raises its version. Without the lock, two people
    adding to one pilot at once on PostgreSQL would both raise it from the same
    value and the second would fail; with it they take turns. (On SQLite a
    writing transaction begins with BEGIN IMMEDIATE, which already does so.)
    """
    # Every pilot page names the partner, so it comes in the same query.
    query = select(Pilot).options(joinedload(Pilot.partner, innerjoin=True))
    query = query.where(Pilot.slug == slug)
    if may_write():
        query = query.with_for_update(of=Pilot).execution_options(populate_existing=True)
    return db.session.scalar(query)


def portfolio_rows(
    status: str | None = None, department_id: int | None = None, partner_id: int | None = None
) -> list[dict]:
    """Every pilot that passes the filters, with the figures the portfolio shows.

    Each row carries the primary hypothesis' result from the pilot's cached
    report, how strong its evidence is (see ``STRENGTHS``), and the pilot's
    decision and guardrails, which say whether that evidence is worth acting on.
    """
    counts = dict(
        db.session.execute(
            select(Suggestion.pilot_id, func.count()).group_by(Suggestion.pilot_id)
        ).all()
    )
    query = (
        select(Pilot)
        .options(
            selectinload(Pilot.partner),
            selectinload(Pilot.departments),
            selectinload(Pilot.iterations),
            selectinload(Pilot.hypotheses),
        )
        .order_by(Pilot.name)
    )
    if status:
        query = query.where(Pilot.status == status)
    if department_id:
        query = query.where(Pilot.departments.any(Department.id == department_id))
    if partner_id:
        query = query.where(Pilot.partner_id == partner_id)
    rows = []
    for pilot in db.session.scalars(query):
        report = report_for(pilot)
        result = primary_result(report)
        rows.append(
            {
                "pilot": pilot,
                "iteration": pilot.iterations[-1] if pilot.iterations else None,
                "primary": next((h for h in pilot.hypotheses if h.role == "primary"), None),
                "result": result,
                "strength": evidence_strength(result),
                "standing": standing(report),
                "suggestions": counts.get(pilot.id, 0),
            }
        )
    return rows


def _count(model):
    return select(func.count()).select_from(model).scalar_subquery()


# Every change to a pilot or to what belongs to it (observations, hypotheses,
# iterations, suggestions, its partner) raises that pilot's version and stamps
# ``updated_at``; a new pilot or partner adds to a count. Departments are named
# beside pilots and in the filter without belonging to one: creating and
# renaming them is recorded in the audit trail, whose last id then moves on.
PORTFOLIO_STATE = select(
    _count(Pilot),
    select(func.sum(Pilot.version)).scalar_subquery(),
    select(func.max(Pilot.updated_at)).scalar_subquery(),
    _count(Partner),
    _count(Department),
    select(func.max(AuditEvent.id)).scalar_subquery(),
)


def portfolio_state() -> tuple:
    """A summary in one query that changes whenever anything the portfolio shows changes."""
    return tuple(db.session.execute(PORTFOLIO_STATE).one())


def primary_result(report: dict) -> dict | None:
    return next((r for r in report["results"] if r["role"] == "primary"), None)


def evidence_strength(result: dict | None) -> str:
    """strong, moderate, weak or untested: how sure a result is that the pilot differs.

    Direction is the verdict's business: strong evidence can be of harm.
    """
    if result is None or result.get("error"):
        return "untested"
    chance = result.get("chance_to_beat_baseline")
    if result["method"] == "bayesian" and chance is not None:
        sureness = max(chance, 1 - chance)
        if sureness >= STRONG_CHANCE:
            return "strong"
        return "moderate" if sureness >= MODERATE_CHANCE else "weak"
    p_value = result.get("p_value_adjusted")
    if p_value is None:
        p_value = result.get("p_value")
    if p_value is None:
        return "untested"
    if p_value < min(STRONG_P, result["alpha"]):
        return "strong"
    return "moderate" if p_value < result["alpha"] else "weak"


def adopted_suggestions(pilot: Pilot) -> dict[int, list[Suggestion]]:
    """The suggestions each iteration adopted, by iteration id."""
    adopted: dict[int, list[Suggestion]] = {}
    suggestions = db.session.scalars(
        select(Suggestion)
        .where(Suggestion.pilot_id == pilot.id, Suggestion.iteration_id.is_not(None))
        .order_by(Suggestion.id)
    )
    for suggestion in suggestions:
        adopted.setdefault(suggestion.iteration_id, []).append(suggestion)
    return adopted


def accepted_suggestions(pilot: Pilot) -> list[Suggestion]:
    """Suggestions the team accepted and no iteration has adopted yet."""
    return list(
        db.session.scalars(
            select(Suggestion)
            .where(Suggestion.pilot_id == pilot.id, Suggestion.status == "accepted")
            .order_by(Suggestion.id)
        )
    )


def next_statuses(status: str | None) -> tuple[str, ...]:
    """The statuses a pilot may take next: a new pilot starts as a draft or active."""
    return START_STATUSES if status is None else TRANSITIONS[status]


# Pilots ----------------------------------------------------------------------------


@dataclass
class NewPartner:
    name: str
    segment: str = ""
    size: str = "small"
    key_account: bool = False


@dataclass
class PilotFields:
    """What the pilot form says; ``slug`` empty means: derive it from the name."""

    name: str
    partner: Partner | NewPartner
    status: str
    slug: str = ""
    key_account_reason: str = ""
    start_date: date | None = None
    end_date: date | None = None
    summary: str = ""
    departments: tuple[Department, ...] = ()
    pilot_share: float | None = None  # planned share of units in the pilot group


def slug_for(name: str) -> str:
    """An address part from a name: 'Café reminders!' becomes 'cafe-reminders'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_LENGTH].rstrip("-") or "pilot"


def slug_taken(slug: str) -> bool:
    if slug in RESERVED_SLUGS:
        return True
    return bool(db.session.scalar(select(exists().where(Pilot.slug == slug))))


def unique_slug(name: str) -> str:
    """The slug for ``name``, numbered when another pilot has it already."""
    base = slug_for(name)
    slug, number = base, 1
    while slug_taken(slug):
        number += 1
        suffix = f"-{number}"
        slug = base[: SLUG_LENGTH - len(suffix)] + suffix
    return slug


def partner_named(name: str) -> Partner | None:
    """The partner of that name, whatever its case in any alphabet.

    Compared in Python: SQLite's lower() folds only ASCII letters, so there
    'ÄRZTEHAUS' and 'Ärztehaus' would be two partners. Partners are few.
    """
    wanted = name.casefold()
    partners = db.session.scalars(select(Partner).order_by(Partner.id))
    return next((partner for partner in partners if partner.name.casefold() == wanted), None)


def create_pilot(fields: PilotFields, *, by: User) -> Pilot:
    """Register a new pilot, and its partner when it is new."""
    if fields.status not in START_STATUSES:
        raise InvalidField("status", gettext("a new pilot starts as a draft or as active"))
    if fields.slug:
        _check_slug(fields.slug)
    pilot = Pilot(slug=fields.slug or unique_slug(fields.name), status=fields.status)
    with db.session.no_autoflush:  # the pilot is complete only once its partner is set
        new_partner = _apply(pilot, fields)
    db.session.add(pilot)
    db.session.flush()
    if new_partner is not None:
        _record_partner(new_partner, pilot, by)
    partner = pilot.partner
    key_account = f"; key account: {partner.key_account_reason}" if partner.key_account else ""
    record(
        "created",
        "pilot",
        actor=actor_name(by),
        user_id=by.id,
        entity_id=pilot.id,
        pilot_id=pilot.id,
        summary=f"{pilot.name} with {partner.name}, {pilot.status}{key_account}",
    )
    notify.watch_pilot(by, pilot, "created")
    return pilot


def update_pilot(pilot: Pilot, fields: PilotFields, *, by: User) -> list[str]:
    """Change a pilot; returns what changed as 'field: old → new' lines."""
    if fields.status != pilot.status and fields.status not in TRANSITIONS[pilot.status]:
        allowed = ", ".join(named(s, "status") for s in TRANSITIONS[pilot.status])
        raise InvalidField(
            "status",
            gettext(
                "a %(status)s pilot can move to %(allowed)s, not to %(wanted)s",
                status=named(pilot.status, "status"),
                allowed=allowed or gettext("nothing: the status is final"),
                wanted=named(fields.status, "status"),
            ),
        )
    before = _pilot_state(pilot)
    status = pilot.status
    new_partner = _apply(pilot, fields)
    changes = changes_between(before, _pilot_state(pilot))
    if new_partner is not None:
        _record_partner(new_partner, pilot, by)
    if changes:
        pilot.touch()
        db.session.flush()
        record(
            "updated",
            "pilot",
            actor=actor_name(by),
            user_id=by.id,
            entity_id=pilot.id,
            pilot_id=pilot.id,
            summary="; ".join(changes),
        )
        notify.pilot_status_changed(pilot, status, actor=by)
    return changes


def _check_slug(slug: str) -> None:
    if not KEY_PATTERN.match(slug):
        raise InvalidField("slug", gettext("use letters, digits, - and _ only (at most 80)"))
    if slug_taken(slug):
        raise InvalidField(
            "slug",
            gettext("another pilot has the address '%(slug)s'; choose another", slug=slug),
        )


def _apply(pilot: Pilot, fields: PilotFields) -> Partner | None:
    """Set the pilot's fields; returns its partner if that was created for it."""
    name = fields.name.strip()
    if not name:
        raise InvalidField("name", gettext("give the pilot a name"))
    if fields.start_date and fields.end_date and fields.end_date < fields.start_date:
        raise InvalidField("end_date", gettext("the end date must not be before the start date"))
    if fields.pilot_share is not None and not 0 < fields.pilot_share < 1:
        raise InvalidField("pilot_share", PILOT_SHARE_MESSAGE)
    partner = _partner(fields)
    reason = fields.key_account_reason.strip()
    if partner.key_account:
        if not reason:
            raise InvalidField(
                "key_account_reason",
                gettext("pilots with key accounts alarm sales: say why this partner is worth it"),
            )
        partner.key_account_reason = reason
    pilot.name, pilot.partner, pilot.status = name, partner, fields.status
    pilot.start_date, pilot.end_date = fields.start_date, fields.end_date
    pilot.summary = fields.summary.strip()
    pilot.departments = sorted(fields.departments, key=lambda d: d.name)
    pilot.pilot_share = fields.pilot_share
    return None if isinstance(fields.partner, Partner) else partner


def _partner(fields: PilotFields) -> Partner:
    if isinstance(fields.partner, Partner):
        return fields.partner
    new = fields.partner
    if not new.name.strip():
        raise InvalidField("new_partner_name", gettext("name the new partner"))
    if partner_named(new.name.strip()) is not None:
        raise InvalidField(
            "new_partner_name",
            gettext("a partner named %(name)s exists: pick it", name=new.name),
        )
    partner = Partner(
        name=new.name.strip(),
        segment=new.segment.strip(),
        size=new.size,
        key_account=new.key_account,
    )
    db.session.add(partner)
    db.session.flush()
    return partner


def _record_partner(partner: Partner, pilot: Pilot, by: User) -> None:
    key_account = ", key account" if partner.key_account else ""
    record(
        "created",
        "partner",
        actor=actor_name(by),
        user_id=by.id,
        entity_id=partner.id,
        pilot_id=pilot.id,
        summary=f"{partner.name} ({partner.segment or 'no segment'}, {partner.size}{key_account})",
    )


def _pilot_state(pilot: Pilot) -> dict[str, str]:
    return {
        "name": pilot.name,
        "partner": pilot.partner.name if pilot.partner else "",
        "key account reason": pilot.partner.key_account_reason if pilot.partner else "",
        "status": pilot.status,
        "start date": _text(pilot.start_date),
        "end date": _text(pilot.end_date),
        "summary": pilot.summary,
        "departments": ", ".join(d.name for d in pilot.departments),
        "planned pilot share": pilot.pilot_share,
    }


def changes_between(before: dict, after: dict) -> list[str]:
    """What changed, as 'field: old → new' lines (the lines an amendment keeps)."""
    return [
        f"{name}: {_text(before[name])} → {_text(after[name])}"
        for name in before
        if before[name] != after[name]
    ]


def _text(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, list):
        return ", ".join(f"{v:g}" for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# Hypotheses ------------------------------------------------------------------------


@dataclass
class HypothesisFields:
    """What the hypothesis form says; a metric may be a definition to add to the pilot."""

    statement: str
    metric: Metric | MetricDefinition
    role: str
    design: str = "concurrent"
    method: str = "fixed"
    alpha: float = 0.05
    minimum_effect: float | None = None
    planned_sample_size: int | None = None
    predictor: Metric | MetricDefinition | None = None
    quantiles: list[float] | None = None


def next_hypothesis_key(pilot: Pilot) -> str:
    taken = {h.key for h in pilot.hypotheses}
    number = len(taken) + 1
    while f"H{number}" in taken:
        number += 1
    return f"H{number}"


def check_hypothesis_rules(pilot: Pilot, fields: HypothesisFields) -> list[tuple[str, str]]:
    """Every (field, message) the loader's rules find in these fields."""
    metric_keys = {m.key for m in pilot.metrics} | {fields.metric.key}
    if fields.predictor is not None:
        metric_keys.add(fields.predictor.key)
    values = {
        "metric": fields.metric.key,
        "predictor": fields.predictor.key if fields.predictor is not None else None,
        "role": fields.role,
        "design": fields.design,
        "method": fields.method,
        "planned_sample_size": fields.planned_sample_size,
        "minimum_effect": fields.minimum_effect,
    }
    return list(hypothesis_problems(values, metric_keys))


def register_hypothesis(
    pilot: Pilot, key: str, fields: HypothesisFields, *, by: User
) -> Hypothesis:
    """Pre-register a hypothesis; stated after its metrics had data, it is exploratory."""
    if not KEY_PATTERN.match(key):
        raise InvalidField("key", gettext("use letters, digits, - and _ only, such as H1"))
    if any(h.key == key for h in pilot.hypotheses):
        raise InvalidField("key", gettext("the pilot has a hypothesis %(key)s already", key=key))
    hypothesis = Hypothesis(key=key)
    _set_hypothesis(pilot, hypothesis, fields, by)
    pilot.hypotheses.append(hypothesis)
    lock_if_observed(hypothesis, restated=True)
    pilot.touch()
    db.session.flush()
    record(
        "registered",
        "hypothesis",
        actor=actor_name(by),
        user_id=by.id,
        entity_id=hypothesis.id,
        pilot_id=pilot.id,
        summary=f"{key} ({hypothesis.role}) on {hypothesis.metric.key}: {hypothesis.statement}",
    )
    return hypothesis


def update_hypothesis(
    hypothesis: Hypothesis, fields: HypothesisFields, *, by: User, reason: str = ""
) -> list[str]:
    """Change a hypothesis; once locked, only with a reason, kept as an amendment."""
    locked = hypothesis.locked_at is not None
    if locked and not reason.strip():
        raise InvalidField("reason", AMENDMENT_NEEDED)
    before = hypothesis_state(hypothesis)
    _set_hypothesis(hypothesis.pilot, hypothesis, fields, by)
    after = hypothesis_state(hypothesis)
    changes = changes_between(before, after)
    if not changes:
        return []
    amendments = []
    if locked:
        amendments.append(
            HypothesisAmendment(
                user_id=by.id,
                actor=actor_name(by),
                reason=reason.strip(),
                changes="\n".join(changes),
            )
        )
    record_hypothesis_change(
        hypothesis,
        changes,
        amendments,
        actor=actor_name(by),
        user_id=by.id,
        restated=measures_restated(before, after),
    )
    return changes


AMENDMENT_NEEDED = _l(
    "observations exist, so the hypothesis is locked: say why it changes (kept as an amendment)"
)


def record_hypothesis_change(
    hypothesis: Hypothesis,
    changes: list[str],
    amendments: list[HypothesisAmendment],
    *,
    actor: str,
    user_id: int | None = None,
    restated: bool = False,
) -> None:
    """Put a change made to a hypothesis on record: the rule every way of changing one follows.

    The pages, the API and ``testbed load`` all end here. Once the hypothesis
    was locked (its observations began to arrive), the change stands only
    with an amendment that says why; without one this raises
    ``InvalidField('reason')`` and the caller rolls the change back. The
    amendments are kept on the hypothesis and the change in the activity log.
    ``restated`` says the change set its metric or predictor (see
    ``lock_if_observed``).
    """
    locked = hypothesis.locked_at is not None
    if locked and not any(amendment.reason.strip() for amendment in amendments):
        raise InvalidField("reason", AMENDMENT_NEEDED)
    registration = hypothesis.registration
    lock_if_observed(hypothesis, restated=restated)
    if hypothesis.registration != registration:
        moved = f"registration: {registration} → {hypothesis.registration}"
        changes = [*changes, moved]
        for amendment in amendments:
            amendment.changes = "\n".join(filter(None, (amendment.changes, moved)))
    hypothesis.amendments.extend(amendments)
    summary = f"{hypothesis.key}: {'; '.join(changes)}"
    reasons = "; ".join(amendment.reason for amendment in amendments)
    if locked:
        summary += f" (reason: {reasons})"
    hypothesis.pilot.touch()

    db.session.flush()
    record(
        "amended" if locked else "updated",
        "hypothesis",
        actor=actor,
        user_id=user_id,
        entity_id=hypothesis.id,
        pilot_id=hypothesis.pilot_id,
        summary=summary,
    )


def _set_hypothesis(pilot: Pilot, hypothesis: Hypothesis, fields: HypothesisFields, by) -> None:
    if not fields.statement.strip():
        raise InvalidField("statement", gettext("state what you expect to happen"))
    problems = check_hypothesis_rules(pilot, fields)
    if problems:
        raise InvalidField(*problems[0])
    metric = metric_for(pilot, fields.metric, by)
    predictor = fields.predictor
    if isinstance(predictor, MetricDefinition):
        predictor = metric if predictor.key == metric.key else metric_for(pilot, predictor, by)
    hypothesis.statement = fields.statement.strip()
    hypothesis.metric, hypothesis.predictor = metric, predictor
    hypothesis.role, hypothesis.design = fields.role, fields.design
    hypothesis.method = fields.method
    hypothesis.alpha = fields.alpha
    hypothesis.minimum_effect = fields.minimum_effect
    hypothesis.planned_sample_size = fields.planned_sample_size
    hypothesis.quantiles = list(fields.quantiles) if fields.quantiles else None


def metric_for(pilot: Pilot, choice: Metric | MetricDefinition, by: User) -> Metric:
    """The pilot's metric, adding it first when ``choice`` is a definition."""
    if isinstance(choice, Metric):
        if choice.pilot_id != pilot.id:
            raise InvalidField("metric", gettext("that metric belongs to another pilot"))
        return choice
    if pilot.metric(choice.key) is not None:
        raise InvalidField(
            "metric_key",
            gettext("the pilot has a metric '%(key)s': pick it instead", key=choice.key),
        )
    if not KEY_PATTERN.match(choice.key):
        raise InvalidField(
            "metric_key", gettext("use letters, digits, - and _ only, such as wait_time")
        )
    metric = Metric(
        key=choice.key,
        name=choice.name,
        kind=choice.kind,
        direction=choice.direction,
        unit=choice.unit,
        indicator=choice.indicator,
        perspective=choice.perspective,
        scale_min=choice.scale[0] if choice.scale else None,
        scale_max=choice.scale[1] if choice.scale else None,
    )
    pilot.metrics.append(metric)
    db.session.flush()
    source = f"from the library ({choice.area})" if choice.area else "defined by hand"
    record(
        "added",
        "metric",
        actor=actor_name(by),
        user_id=by.id,
        entity_id=metric.id,
        pilot_id=pilot.id,
        summary=f"{metric.key}: {metric.name}, {source}",
    )
    return metric


def measures_restated(before: dict | None, after: dict) -> bool:
    """Whether a change set the hypothesis' metric or predictor (a new one sets both)."""
    return before is None or any(before[name] != after[name] for name in ("metric", "predictor"))


def lock_if_observed(hypothesis: Hypothesis, *, restated: bool = False) -> None:
    """Lock a hypothesis whose metrics have data; stated after those data, it is exploratory.

    Called where a hypothesis is registered or changed; ``restated`` says its
    metric or predictor was just set. One stated before its data stays
    confirmatory: the data lock it later, as they arrive. Once exploratory,
    a hypothesis stays so: its statement has seen the data.
    """
    if (hypothesis.locked_at is None or restated) and _observed(hypothesis):
        hypothesis.locked_at = hypothesis.locked_at or utcnow()
        hypothesis.registration = "exploratory"


def _observed(hypothesis: Hypothesis) -> bool:
    """Whether the hypothesis' metric or predictor has data already."""
    metrics = (hypothesis.metric, hypothesis.predictor)
    metric_ids = [m.id for m in metrics if m is not None and m.id is not None]
    if not metric_ids:
        return False
    return bool(db.session.scalar(select(exists().where(Aggregate.metric_id.in_(metric_ids)))))


def hypothesis_state(hypothesis: Hypothesis) -> dict:
    """What a person may change in a hypothesis, as ``changes_between`` compares it."""
    state = {name: getattr(hypothesis, name) for name in HYPOTHESIS_FIELDS}
    state["metric"] = hypothesis.metric.key if hypothesis.metric else None
    state["predictor"] = hypothesis.predictor.key if hypothesis.predictor else None
    return state


# Iterations ------------------------------------------------------------------------


@dataclass
class IterationFields:
    number: int
    title: str
    start_date: date | None = None
    end_date: date | None = None
    changes: str = ""
    reason: str = ""


def next_iteration_number(pilot: Pilot) -> int:
    return max((i.number for i in pilot.iterations), default=0) + 1


def log_iteration(
    pilot: Pilot, fields: IterationFields, adopted: list[Suggestion], *, by: User
) -> Iteration:
    """Record an iteration and incorporate the suggestions it adopts, all or nothing."""
    if fields.number < 1:
        raise InvalidField("number", gettext("iterations are numbered from 1"))
    if any(i.number == fields.number for i in pilot.iterations):
        raise InvalidField(
            "number",
            gettext("the pilot has an iteration %(number)s already", number=fields.number),
        )
    if not fields.title.strip():
        raise InvalidField("title", gettext("give the iteration a title"))
    if fields.start_date and fields.end_date and fields.end_date < fields.start_date:
        raise InvalidField("end_date", gettext("the end date must not be before the start date"))
    for suggestion in adopted:
        if suggestion.pilot_id != pilot.id:
            raise InvalidField(
                "suggestions",
                gettext("suggestion #%(id)s is for another pilot", id=suggestion.id),
            )
        if suggestion.status != "accepted":
            raise InvalidField(
                "suggestions",
                gettext(
                    "suggestion #%(id)s is %(status)s: only accepted suggestions can be adopted",
                    id=suggestion.id,
                    status=status_words(suggestion.status),
                ),
            )
    iteration = Iteration(
        number=fields.number,
        title=fields.title.strip(),
        start_date=fields.start_date,
        end_date=fields.end_date,
        changes=fields.changes.strip(),
        reason=fields.reason.strip(),
    )
    pilot.iterations.append(iteration)
    pilot.touch()
    db.session.flush()
    for suggestion in adopted:
        move(suggestion, "incorporated", actor=actor_name(by), user_id=by.id, iteration=iteration)
    adopted_text = f", adopting {len(adopted)} suggestion(s)" if adopted else ""
    record(
        "logged",
        "iteration",
        actor=actor_name(by),
        user_id=by.id,
        entity_id=iteration.id,
        pilot_id=pilot.id,
        summary=f"{iteration.number}: {iteration.title}{adopted_text}",
    )
    return iteration
