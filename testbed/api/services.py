"""What API requests do: request models turned into the same service calls the web app makes.

Each function adds and flushes; the view commits once. Rules are the pilot,
suggestion and store services' own; this module only translates keys and
names into objects and pushes observations with an idempotency key.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import LazyString, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from testbed.api import schemas
from testbed.audit import record
from testbed.auth.models import Department, User
from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.limits import check_shape
from testbed.files.tables import (
    OBSERVATION_COLUMNS,
    SUMMARY_COLUMNS,
    parse_observations,
    parse_summaries,
    scan_observations,
    scan_summaries,
)
from testbed.notify import watching_outcomes
from testbed.pilots import services as pilots
from testbed.pilots.library import MetricDefinition
from testbed.pilots.models import Hypothesis, Iteration, Metric, Partner, Pilot
from testbed.pilots.services import InvalidField
from testbed.store.models import ImportBatch
from testbed.store.services import BatchWriter
from testbed.suggestions import services as suggestions
from testbed.suggestions.models import Suggestion

MAX_ERRORS = 50
# Widths of the observation columns that are text, as the store keeps them.
UNIT_LENGTH = 120


class Refused(ValueError):
    """A request the API refuses as a whole, with the HTTP status that says why."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or []


# Pilots -----------------------------------------------------------------------------------


def create_pilot(body: schemas.PilotCreate, *, by: User) -> Pilot:
    fields = pilots.PilotFields(
        name=body.name,
        partner=_partner(body.partner),
        status=body.status,
        slug=body.slug or "",
        key_account_reason=body.key_account_reason,
        start_date=body.start_date,
        end_date=body.end_date,
        summary=body.summary,
        departments=_departments(body.departments),
        pilot_share=body.pilot_share,
    )
    return pilots.create_pilot(fields, by=by)


def update_pilot(pilot: Pilot, body: schemas.PilotUpdate, *, by: User) -> list[str]:
    """Change the fields the body sends; the others keep their values."""
    sent = body.model_fields_set
    partner = _partner(body.partner) if "partner" in sent else pilot.partner
    current_reason = pilot.partner.key_account_reason
    fields = pilots.PilotFields(
        name=body.name if "name" in sent else pilot.name,
        partner=partner,
        status=body.status if "status" in sent else pilot.status,
        slug=pilot.slug,
        key_account_reason=(
            body.key_account_reason if "key_account_reason" in sent else current_reason
        ),
        start_date=body.start_date if "start_date" in sent else pilot.start_date,
        end_date=body.end_date if "end_date" in sent else pilot.end_date,
        summary=body.summary if "summary" in sent else pilot.summary,
        departments=(
            _departments(body.departments) if "departments" in sent else tuple(pilot.departments)
        ),
        pilot_share=body.pilot_share if "pilot_share" in sent else pilot.pilot_share,
    )
    return pilots.update_pilot(pilot, fields, by=by)


def _partner(partner: schemas.PartnerIn) -> Partner | pilots.NewPartner:
    name = partner.name.strip()
    existing = _named(Partner, name) or pilots.partner_named(name)
    if existing is not None:
        return existing
    return pilots.NewPartner(
        name=partner.name,
        segment=partner.segment,
        size=partner.size,
        key_account=partner.key_account,
    )


def _departments(names: Iterable[str]) -> tuple[Department, ...]:
    found = []
    for name in dict.fromkeys(n.strip() for n in names):
        department = department_named(name)
        if department is None:
            raise InvalidField(
                "departments", gettext("there is no department '%(name)s'", name=name)
            )
        found.append(department)
    return tuple(found)


def department_named(name: str) -> Department | None:
    name = name.strip()
    return _named(Department, name) or db.session.scalar(
        select(Department).where(func.lower(Department.name) == name.lower())
    )


def _named(model, name: str):
    # The exact name first: SQLite's lower() leaves non-ASCII letters as they are.
    return db.session.scalar(select(model).where(model.name == name))


# Metrics and hypotheses -------------------------------------------------------------------


def add_metric(pilot: Pilot, body: schemas.MetricCreate, *, by: User) -> Metric:
    scale = (body.scale_min, body.scale_max) if body.scale_min is not None else None
    definition = MetricDefinition(
        area="",
        key=body.key,
        name=body.name.strip(),
        kind=body.kind,
        direction=body.direction,
        unit=body.unit.strip(),
        indicator=body.indicator,
        perspective=body.perspective,
        scale=scale,
    )
    if not definition.name:
        raise InvalidField("name", gettext("name the metric"))
    metric = pilots.metric_for(pilot, definition, by)
    pilot.touch()
    db.session.flush()
    return metric


def register_hypothesis(pilot: Pilot, body: schemas.HypothesisCreate, *, by: User) -> Hypothesis:
    fields = pilots.HypothesisFields(
        statement=body.statement,
        metric=pilot_metric(pilot, body.metric, "metric"),
        role=body.role,
        design=body.design,
        method=body.method,
        alpha=body.alpha,
        minimum_effect=body.minimum_effect,
        planned_sample_size=body.planned_sample_size,
        predictor=pilot_metric(pilot, body.predictor, "predictor") if body.predictor else None,
        quantiles=body.quantiles,
    )
    key = body.key or pilots.next_hypothesis_key(pilot)
    return pilots.register_hypothesis(pilot, key, fields, by=by)


def update_hypothesis(
    hypothesis: Hypothesis, body: schemas.HypothesisUpdate, *, by: User
) -> list[str]:
    """Change the fields the body sends; a locked hypothesis records an amendment."""
    pilot, sent = hypothesis.pilot, body.model_fields_set

    def value(name: str):
        return getattr(body, name) if name in sent else getattr(hypothesis, name)

    metric = pilot_metric(pilot, body.metric, "metric") if "metric" in sent else hypothesis.metric
    predictor = hypothesis.predictor
    if "predictor" in sent:
        predictor = pilot_metric(pilot, body.predictor, "predictor") if body.predictor else None
    fields = pilots.HypothesisFields(
        statement=value("statement"),
        metric=metric,
        role=value("role"),
        design=value("design"),
        method=value("method"),
        alpha=value("alpha"),
        minimum_effect=value("minimum_effect"),
        planned_sample_size=value("planned_sample_size"),
        predictor=predictor,
        quantiles=value("quantiles"),
    )
    return pilots.update_hypothesis(hypothesis, fields, by=by, reason=body.reason)


def pilot_metric(pilot: Pilot, key: str, field: str) -> Metric:
    metric = pilot.metric(key)
    if metric is None:
        if pilot.metrics:
            message = gettext(
                "the pilot has no metric '%(key)s' (known: %(known)s)",
                key=key,
                known=", ".join(m.key for m in pilot.metrics),
            )
        else:
            message = gettext(
                "the pilot has no metric '%(key)s' (known: none yet: add one first)", key=key
            )
        raise InvalidField(field, message)
    return metric


# Iterations and suggestions ---------------------------------------------------------------


def log_iteration(pilot: Pilot, body: schemas.IterationCreate, *, by: User) -> Iteration:
    adopted = []
    for suggestion_id in dict.fromkeys(body.adopted_suggestions):
        suggestion = db.session.get(Suggestion, suggestion_id)
        if suggestion is None or suggestion.pilot_id != pilot.id:
            raise InvalidField(
                "adopted_suggestions",
                gettext("the pilot has no suggestion #%(id)s", id=suggestion_id),
            )
        adopted.append(suggestion)
    fields = pilots.IterationFields(
        number=body.number or pilots.next_iteration_number(pilot),
        title=body.title,
        start_date=body.start_date,
        end_date=body.end_date,
        changes=body.changes,
        reason=body.reason,
    )
    return pilots.log_iteration(pilot, fields, adopted, by=by)


def add_suggestion(pilot: Pilot, body: schemas.SuggestionCreate, *, by: User) -> Suggestion:
    department = by.department
    if "department" in body.model_fields_set:
        department = None
        if body.department is not None:
            department = department_named(body.department)
            if department is None:
                message = gettext("there is no department '%(name)s'", name=body.department)
                raise InvalidField("department", message)
    return suggestions.add_suggestion(pilot, body.text, author=by, department=department)


def move_suggestion(suggestion: Suggestion, body: schemas.SuggestionMove, *, by: User) -> None:
    iteration = None
    if body.iteration is not None:
        iteration = next(
            (i for i in suggestion.pilot.iterations if i.number == body.iteration), None
        )
        if iteration is None:
            message = gettext("the pilot has no iteration %(number)s", number=body.iteration)
            raise InvalidField("iteration", message)
    suggestions.move(
        suggestion,
        body.status,
        actor=suggestions.display_name(by),
        user_id=by.id,
        iteration=iteration,
        reason=body.reason,
    )


# Observations -----------------------------------------------------------------------------


def push_observations(
    pilot: Pilot, data: bytes, rows: str | list[schemas.ObservationIn], *, key, source, by: User
) -> tuple[ImportBatch, bool]:
    """Store a batch of observations, all or nothing; returns it and whether it was stored before.

    The same ``key`` with the same body gives back the batch stored the first
    time, so a retried push never doubles data; with another body it is refused.
    """
    return _push(OBSERVATION_TABLE, pilot, data, rows, key=key, source=source, by=by)


def push_summaries(
    pilot: Pilot, data: bytes, rows: str | list[schemas.SummaryIn], *, key, source, by: User
) -> tuple[ImportBatch, bool]:
    """Store a batch of per-group summaries as ``push_observations`` stores observations.

    They are checked and stored by the rules a pilot folder's summary.csv follows.
    """
    return _push(SUMMARY_TABLE, pilot, data, rows, key=key, source=source, by=by)


def _push(table, pilot: Pilot, data: bytes, rows, *, key, source, by: User):
    digest = hashlib.sha256(data).hexdigest()
    if key is not None:
        earlier = _batch_with_key(pilot, key)
        if earlier is not None:
            if earlier.digest != digest:
                raise Refused(422, table.key_reused % {"key": key, "batch": earlier.id})
            return earlier, True
    json_rows = not isinstance(rows, str)
    text = as_csv(rows, table.columns) if json_rows else rows
    _check_shape(data if not json_rows else text.encode("utf-8"))
    _refuse_duplicate(pilot, digest)
    _check_rows(table, pilot, text, json_rows)
    return _store(table, pilot, text, digest, key=key, source=source, by=by), False


def _check_shape(data: bytes) -> None:
    """Refuse a body far wider or longer-celled than the format before reading it."""
    try:
        check_shape(data, "body")
    except LoadError as error:
        detail = {"message": error.message, "line": error.line, "column": error.column}
        message = gettext("nothing was stored: %(problem)s", problem=error.message)
        raise Refused(422, message, [detail]) from None


def _batch_with_key(pilot: Pilot, key: str) -> ImportBatch | None:
    return db.session.scalar(
        select(ImportBatch).where(
            ImportBatch.pilot_id == pilot.id,
            ImportBatch.origin == "api",
            ImportBatch.idempotency_key == key,
        )
    )


def _refuse_duplicate(pilot: Pilot, digest: str) -> None:
    earlier = db.session.scalar(
        select(ImportBatch)
        .where(ImportBatch.pilot_id == pilot.id, ImportBatch.digest == digest)
        .order_by(ImportBatch.id)
    )
    if earlier is not None:
        # "rows" whatever the count, as the English has always said.
        message = ngettext(
            "this exact body was stored already as batch #%(batch)s (%(num)d rows): "
            "storing it again would count its observations twice",
            "this exact body was stored already as batch #%(batch)s (%(num)d rows): "
            "storing it again would count its observations twice",
            earlier.rows,
            batch=earlier.id,
        )
        raise Refused(409, message)


def as_csv(rows, columns: tuple[str, ...] = OBSERVATION_COLUMNS) -> str:
    """JSON rows as the CSV the loader reads, so both are checked by the same rules."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values = row.model_dump()
        writer.writerow(_cell(values[name]) for name in columns)
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


def _check_rows(table, pilot: Pilot, text: str, json_rows: bool) -> None:
    """Every bad cell, up to MAX_ERRORS; a CSV error names its line, a JSON one its item."""
    if "\x00" in text:
        raise Refused(422, gettext("the body holds NUL characters: it is not CSV text"))
    errors, count = [], 0
    for line, values, problems in table.scan("body", _lines(text), pilot):
        if isinstance(values, dict) and values["unit"] and len(values["unit"]) > UNIT_LENGTH:
            message = gettext("a unit has at most %(max)s characters", max=UNIT_LENGTH)
            problems = [LoadError("body", message, line, None, "unit")]
        count += len(problems)
        errors.extend(
            _error(problem, json_rows) for problem in problems[: MAX_ERRORS - len(errors)]
        )
    if count:
        first = errors[0]
        if json_rows:
            message = ngettext(
                "nothing was stored: %(num)d problem, the first at item %(place)s: %(problem)s",
                "nothing was stored: %(num)d problems, the first at item %(place)s: %(problem)s",
                count,
                place=first["index"],
                problem=first["message"],
            )
        else:
            message = ngettext(
                "nothing was stored: %(num)d problem, the first at line %(place)s: %(problem)s",
                "nothing was stored: %(num)d problems, the first at line %(place)s: %(problem)s",
                count,
                place=first["line"],
                problem=first["message"],
            )
        raise Refused(422, message, errors)


def _error(problem: LoadError, json_rows: bool) -> dict:
    entry = {"message": problem.message, "field": problem.field}
    if json_rows:
        # The CSV made from a JSON array has its header on line 1 and item 0 on line 2.
        return {**entry, "index": problem.line - 2 if problem.line and problem.line > 1 else None}
    return {**entry, "line": problem.line, "column": problem.column}


def _store(table, pilot: Pilot, text: str, digest: str, *, key, source, by: User) -> ImportBatch:
    with watching_outcomes(pilot, actor=by):
        writer = BatchWriter(pilot, "api", source, digest, idempotency_key=key, user_id=by.id)
        table.store(writer, text, pilot)
        batch = writer.finish()
        if not batch.rows:
            raise Refused(422, str(table.empty))
    record(
        "imported",
        "observations",
        actor=by.name or by.email,
        user_id=by.id,
        entity_id=batch.id,
        pilot_id=pilot.id,
        summary=f"{batch.rows} {table.rows} from {source}",
    )
    return batch


def _store_observations(writer: BatchWriter, text: str, pilot: Pilot) -> None:
    writer.add_all(parse_observations("body", _lines(text), *_known(pilot)))


def _store_summaries(writer: BatchWriter, text: str, pilot: Pilot) -> None:
    for row in parse_summaries("body", _lines(text), _known(pilot)[0]):
        writer.add_summary(*row)


@dataclass(frozen=True)
class Table:
    """A kind of CSV the API takes: its columns, how every row is checked, how it is stored."""

    name: str
    rows: str  # what the activity log calls its rows
    columns: tuple[str, ...]
    scan: Callable
    store: Callable[[BatchWriter, str, Pilot], None]
    # What the API answers, in the request's language, when a key was used for another body
    # (with the key and the batch) and when the body has no rows.
    key_reused: LazyString
    empty: LazyString


OBSERVATION_TABLE = Table(
    "observations",
    "rows",
    OBSERVATION_COLUMNS,
    lambda path, lines, pilot: scan_observations(path, lines, *_known(pilot)),
    _store_observations,
    _l(
        "the Idempotency-Key '%(key)s' was used for another body (batch #%(batch)s): "
        "use a new key for new observations"
    ),
    _l("the body holds no observations: nothing was stored"),
)
SUMMARY_TABLE = Table(
    "summaries",
    "summary rows",
    SUMMARY_COLUMNS,
    lambda path, lines, pilot: scan_summaries(path, lines, _known(pilot)[0]),
    _store_summaries,
    _l(
        "the Idempotency-Key '%(key)s' was used for another body (batch #%(batch)s): "
        "use a new key for new summaries"
    ),
    _l("the body holds no summaries: nothing was stored"),
)


def _known(pilot: Pilot) -> tuple[dict[str, Metric], set[int]]:
    return {m.key: m for m in pilot.metrics}, {i.number for i in pilot.iterations}


def _lines(text: str) -> io.StringIO:
    return io.StringIO(text, newline="")
