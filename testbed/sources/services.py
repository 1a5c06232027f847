"""Registering data sources, attaching metric queries, and refreshing a pilot from them.

A refresh reads everything first, then hands it to ``replace_source_data``,
the one function that removes what the previous refresh stored and writes
the new sums. A failure while reading leaves the stored data as they were.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import numpy as np
from flask_babel import gettext, ngettext
from sqlalchemy import create_engine, delete, literal, select
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from testbed.audit import record
from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.tables import parse_observations
from testbed.i18n import figure
from testbed.notify import watching_outcomes
from testbed.pilots.models import Metric, Pilot
from testbed.sources import query as sql
from testbed.sources.models import DataSource, MetricQuery
from testbed.sources.vault import masked, parse_url, scrub, seal, unseal
from testbed.store.models import GROUPS, PERIODS, ImportBatch
from testbed.store.services import SUM_FIELDS, BatchWriter, ObservationChunk
from testbed.timeutil import utcnow

log = logging.getLogger("testbed.sources")

ROW_CHUNK = 50_000
MAX_ERROR = 2000
# Drivers testbed ships with, for URLs that name only the database kind.
DEFAULT_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}
ROW_DESIGNS = ("did", "threshold")
# How sources say a statement hit its time limit (PostgreSQL, MySQL, MariaDB, DuckDB, SQLite).
TIME_LIMIT_WORDS = (
    "statement timeout",
    "max_execution_time",
    "max_statement_time",
    "interrupt",
)


class SourceError(RuntimeError):
    """A data source or its query failed; the message is safe to show (secrets scrubbed)."""


# ------------------------------------------------------------------ connections


def engine_for(url: URL, timeout_seconds: int) -> Engine:
    """An engine that opens one fresh connection per use, read-only where the driver can."""
    if url.drivername in DEFAULT_DRIVERS:
        url = url.set(drivername=DEFAULT_DRIVERS[url.drivername])
    name = url.get_backend_name()
    arguments = sql.connect_arguments(name)
    if name in ("postgresql", "mysql", "mariadb"):
        arguments["connect_timeout"] = max(1, min(timeout_seconds, 10))
    return create_engine(url, poolclass=NullPool, connect_args=arguments)


def describe(error: BaseException, url: URL | None, timeout_seconds: int | None = None) -> str:
    """The source's own message for ``error``, with secrets replaced by ***."""
    if isinstance(error, sql.QueryError):
        return str(error)
    if isinstance(error, DBAPIError) and error.orig is not None:
        text = str(error.orig)
    elif isinstance(error, SQLAlchemyError):
        text = str(error).split("\n(Background on this error")[0]
    else:
        text = str(error) or type(error).__name__
    text = scrub(text.strip(), url)
    lowered = text.lower()
    if timeout_seconds and any(word in lowered for word in TIME_LIMIT_WORDS):
        text = gettext(
            "the query ran longer than the source's limit of %(seconds)s s: %(error)s",
            seconds=timeout_seconds,
            error=text,
        )
    if len(text) > MAX_ERROR:
        text = text[:MAX_ERROR] + " …"
    return text


def set_connection(source: DataSource, url_text: str) -> URL:
    """Seal a new URL into ``source``; a URL without a password keeps the current one."""
    url = parse_url(url_text)
    if url.password is None and source.url_sealed:
        current = unseal(source.url_sealed)
        if current.password is not None:
            url = url.set(password=current.password)
    source.url_sealed = seal(url)
    source.url_shown = masked(url)
    return url


def check_connection(source: DataSource) -> None:
    """Connect and run ``SELECT 1`` read-only; record the outcome; raise SourceError on failure."""
    url = unseal(source.url_sealed)
    source.tested_at = utcnow()
    try:
        engine = engine_for(url, source.timeout_seconds)
        try:
            with sql.read_only(engine, source.timeout_seconds) as connection:
                connection.execute(select(literal(1))).scalar()
        finally:
            engine.dispose()
    except Exception as error:
        source.test_error = describe(error, url, source.timeout_seconds)
        log.warning(
            "source test failed",
            extra={"fields": {"source": source.url_shown, "error": source.test_error}},
        )
        raise SourceError(f"{source.name}: {source.test_error}") from None
    source.test_error = ""


def register_source(
    name: str, url_text: str, timeout_seconds: int = 60, *, actor: str, user_id=None
) -> DataSource:
    """Add a data source after a successful connection test (raises SourceError otherwise)."""
    source = DataSource(name=name.strip(), timeout_seconds=timeout_seconds, url_sealed="")
    set_connection(source, url_text)
    check_connection(source)
    db.session.add(source)
    db.session.flush()
    record(
        "registered",
        "data_source",
        actor=actor,
        user_id=user_id,
        entity_id=source.id,
        summary=f"{source.name}: {source.url_shown}",
    )
    return source


def change_source(
    source: DataSource,
    *,
    name: str,
    url_text: str,
    timeout_seconds: int,
    new_password: str | None = None,
    actor: str,
    user_id=None,
) -> None:
    """Change a source; the connection is tested before the change is kept."""
    source.name, source.timeout_seconds = name.strip(), timeout_seconds
    url = set_connection(source, url_text)
    if new_password:
        source.url_sealed = seal(url.set(password=new_password))
        source.url_shown = masked(url.set(password=new_password))
    check_connection(source)
    db.session.flush()
    record(
        "updated",
        "data_source",
        actor=actor,
        user_id=user_id,
        entity_id=source.id,
        summary=f"{source.name}: {source.url_shown}",
    )


def source_named(name: str) -> DataSource | None:
    return db.session.scalar(select(DataSource).where(DataSource.name == name))


# ------------------------------------------------------------------ metric queries


def set_metric_query(
    metric: Metric, source: DataSource, text: str, *, actor: str, user_id=None
) -> MetricQuery:
    """Attach (or replace) the SELECT that feeds ``metric``; checked before it is kept."""
    checked = sql.check_select(text)
    query = db.session.scalar(select(MetricQuery).where(MetricQuery.metric_id == metric.id))
    if query is None:
        query = MetricQuery(metric=metric)
        db.session.add(query)
    query.source, query.sql, query.fingerprint = source, checked, sql.fingerprint(checked)
    db.session.flush()
    record(
        "set query",
        "metric",
        actor=actor,
        user_id=user_id,
        entity_id=metric.id,
        pilot_id=metric.pilot_id,
        summary=f"{metric.key} from {source.name} (query {query.fingerprint[:12]})",
    )
    return query


def remove_metric_query(query: MetricQuery, *, actor: str, user_id=None) -> None:
    """Detach a query; what it stored goes with it."""
    metric = query.metric
    if query.batch_id is not None:
        db.session.execute(delete(ImportBatch).where(ImportBatch.id == query.batch_id))
        metric.pilot.touch()
    db.session.delete(query)
    record(
        "removed query",
        "metric",
        actor=actor,
        user_id=user_id,
        entity_id=metric.id,
        pilot_id=metric.pilot_id,
        summary=f"{metric.key} no longer read from {query.source.name}",
    )


def pilot_queries(pilot: Pilot) -> list[MetricQuery]:
    return list(
        db.session.scalars(
            select(MetricQuery).join(Metric).where(Metric.pilot_id == pilot.id).order_by(Metric.id)
        )
    )


def needs_rows(metric: Metric) -> bool:
    """Whether a design of the metric reads raw rows (did, threshold, quantiles of a
    metric without a scale); all others read sums alone."""
    for hypothesis in metric.pilot.hypotheses:
        if hypothesis.design in ROW_DESIGNS and metric.id in (
            hypothesis.metric_id,
            hypothesis.predictor_id,
        ):
            return True
        if hypothesis.quantiles and hypothesis.metric_id == metric.id and metric.scale is None:
            return True
    return False


# ------------------------------------------------------------------ refresh


@dataclass
class Fetched:
    """One metric query's contribution, read from its source and checked."""

    query: MetricQuery
    shifts: tuple[float | None, float | None, float | None] = (None, None, None)
    cells: list[tuple] = field(default_factory=list)
    counts: list[tuple] = field(default_factory=list)
    chunks: list[ObservationChunk] | None = None
    rows: int = 0
    groups: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        shape = "rows" if self.chunks is not None else "groups"
        return (
            f"{self.query.metric.key}: {self.rows} rows as {self.groups} {shape}, "
            f"{self.bytes} bytes in {self.seconds:.2f} s (query {self.query.fingerprint[:12]})"
        )


@dataclass
class RefreshOutcome:
    pilot: Pilot
    fetched: list[Fetched]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def parameters(pilot: Pilot, dialect: str) -> dict:
    """Values of :start and :end: the pilot's dates (an open pilot ends today)."""
    values = {"start": pilot.start_date, "end": pilot.end_date or date.today()}
    if dialect == "sqlite":  # SQLite keeps dates as ISO text
        values = {k: v.isoformat() if v else None for k, v in values.items()}
    return values


def fetch(query: MetricQuery) -> Fetched:
    """Run one metric query inside its source; raise SourceError with a clear message."""
    source, metric = query.source, query.metric
    url = unseal(source.url_sealed)
    started = time.perf_counter()
    try:
        checked = sql.check_select(query.sql)
        engine = engine_for(url, source.timeout_seconds)
        try:
            with sql.read_only(engine, source.timeout_seconds) as connection:
                values = parameters(metric.pilot, connection.dialect.name)
                names = sql.check_columns(sql.probe_columns(connection, checked, values))
                wrapped = sql.Wrapped(checked, tuple(names))
                used = sql.used_parameters(checked, values)
                if metric.kind == "ratio" and not wrapped.has("denominator"):
                    raise sql.QueryError(
                        gettext(
                            "%(metric)s is a ratio metric: the query must return a denominator",
                            metric=metric.key,
                        )
                    )
                if needs_rows(metric):
                    fetched = _fetch_rows(connection, query, wrapped, used)
                else:
                    fetched = _fetch_sums(connection, query, wrapped, used)
        finally:
            engine.dispose()
    except (sql.QueryError, LoadError) as error:
        raise SourceError(f"{metric.key}: {scrub(str(error), url)}") from None
    except Exception as error:
        raise SourceError(f"{metric.key}: {describe(error, url, source.timeout_seconds)}") from None
    fetched.seconds = time.perf_counter() - started
    return fetched


def _fetch_sums(connection, query: MetricQuery, wrapped: sql.Wrapped, used: dict) -> Fetched:
    metric = query.metric
    fetched = Fetched(query)
    shifts = [metric.shift_value, metric.shift_denominator, metric.shift_covariate]
    if metric.kind == "proportion" and shifts[0] is None:
        shifts[0] = 0.0
    if any(s is None for s in shifts):
        means = connection.execute(sql.shift_statement(wrapped), used).one()
        shifts = [s if s is not None else m for s, m in zip(shifts, means, strict=True)]
    fetched.shifts = tuple(None if s is None else float(s) for s in shifts)
    around = tuple(s or 0.0 for s in fetched.shifts)
    statement = sql.aggregate_statement(wrapped, around, metric.kind)
    iterations = {it.number for it in metric.pilot.iterations}
    for row in connection.execute(statement, used):
        fetched.bytes += _size(row)
        group, period, iteration, day = _cell_key(metric, row[:4], iterations)
        sums = np.array([float(v or 0) for v in row[4 : 4 + len(SUM_FIELDS)]])
        missing_values, missing_denominators, not_binary = (int(v or 0) for v in row[-3:])
        if missing_values:
            raise sql.QueryError(
                ngettext("%(num)d rows have no value", "%(num)d rows have no value", missing_values)
            )
        if missing_denominators:
            raise sql.QueryError(
                ngettext(
                    "%(num)d rows of a ratio have no denominator",
                    "%(num)d rows of a ratio have no denominator",
                    missing_denominators,
                )
            )
        if not_binary:
            raise sql.QueryError(
                ngettext(
                    "%(num)d values of a proportion are neither 0 nor 1",
                    "%(num)d values of a proportion are neither 0 nor 1",
                    not_binary,
                )
            )
        if not np.all(np.isfinite(sums)):
            raise sql.QueryError(gettext("the values add up to a number too large or not a number"))
        fetched.cells.append((group, period, iteration, day, sums))
        fetched.rows += int(sums[0])
        fetched.groups += 1
    if metric.scale is not None:
        low, high = metric.scale
        for row in connection.execute(sql.count_statement(wrapped), used):
            fetched.bytes += _size(row)
            group, period, iteration, _ = _cell_key(metric, (*row[:3], None), iterations)
            value = float(row[3])
            if not value.is_integer() or not low <= value <= high:
                raise sql.QueryError(
                    gettext(
                        "%(metric)s is a score from %(low)s to %(high)s: %(value)s is not one",
                        metric=metric.key,
                        low=figure(str(low)),
                        high=figure(str(high)),
                        value=repr(row[3]),
                    )
                )
            fetched.counts.append((group, period, iteration, int(value), int(row[4])))
            fetched.groups += 1
    return fetched


def _cell_key(metric: Metric, key, iterations: set[int]) -> tuple:
    group, period, iteration, day = key
    if group not in GROUPS:
        raise sql.QueryError(
            gettext(
                "group %(group)s is neither %(baseline)s nor %(pilot)s",
                group=repr(group),
                baseline="'baseline'",
                pilot="'pilot'",
            )
        )
    period = "post" if period is None else period
    if period not in PERIODS:
        raise sql.QueryError(
            gettext(
                "period %(period)s is neither %(pre)s nor %(post)s",
                period=repr(period),
                pre="'pre'",
                post="'post'",
            )
        )
    if iteration is not None:
        if isinstance(iteration, float | Decimal) and not float(iteration).is_integer():
            raise sql.QueryError(
                gettext("iteration %(iteration)s is not a whole number", iteration=repr(iteration))
            )
        iteration = int(iteration)
        if iteration not in iterations:
            raise sql.QueryError(
                gettext(
                    "iteration %(iteration)s is not one of the pilot's iterations",
                    iteration=iteration,
                )
            )
    return group, period, iteration, _day(day)


def _day(value) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise sql.QueryError(
            gettext("date %(value)s is not a date (YYYY-MM-DD)", value=repr(value))
        ) from None


def _fetch_rows(connection, query: MetricQuery, wrapped: sql.Wrapped, used: dict) -> Fetched:
    """Raw rows in chunks, checked by the same rules as an observations file."""
    metric = query.metric
    fetched = Fetched(query, chunks=[])
    result = connection.execution_options(stream_results=True, yield_per=ROW_CHUNK).execute(
        sql.rows_statement(wrapped), used
    )
    iterations = {it.number for it in metric.pilot.iterations}
    name = gettext("the query of %(metric)s", metric=metric.key)
    for chunk in parse_observations(
        name, _as_csv(result, metric.key, fetched), {metric.key: metric}, iterations
    ):
        fetched.chunks.append(chunk)
        fetched.rows += len(chunk)
    fetched.groups = fetched.rows
    return fetched


def _as_csv(result, key: str, fetched: Fetched) -> Iterator[str]:
    """The rows as the lines of an observations file, so the file rules check them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["metric", *sql.ROW_COLUMNS])
    yield buffer.getvalue()
    for partition in result.partitions():
        buffer.seek(0)
        buffer.truncate()
        for row in partition:
            fetched.bytes += _size(row)
            writer.writerow([key, *(_cell(value) for value in row)])
        yield from buffer.getvalue().splitlines(keepends=True)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _size(row) -> int:
    """About how many bytes the row's values take on the wire."""
    total = 0
    for value in row:
        if value is None:
            total += 1
        elif isinstance(value, str):
            total += len(value.encode())
        elif isinstance(value, date):
            total += 4
        else:
            total += 8
    return total


def refresh_pilot(pilot: Pilot, *, actor: str, user_id=None) -> RefreshOutcome:
    """Read every metric query of the pilot, then replace the pilot's source data at once.

    If any query fails nothing is replaced: each failing query keeps its
    error, the activity log says what failed, and the caller commits that.
    """
    queries = pilot_queries(pilot)
    fetched, errors = [], {}
    for query in queries:
        try:
            fetched.append(fetch(query))
        except SourceError as error:
            errors[query.metric.key] = str(error)
            query.refresh_error = str(error)
    outcome = RefreshOutcome(pilot, fetched, errors)
    if errors:
        summary = "; ".join(errors.values())
        log.warning(
            "source refresh failed",
            extra={"fields": {"pilot": pilot.slug, "errors": summary}},
        )
        record(
            "refresh failed",
            "pilot",
            actor=actor,
            user_id=user_id,
            entity_id=pilot.id,
            pilot_id=pilot.id,
            summary=f"nothing changed: {summary}",
        )
        return outcome
    replace_source_data(pilot, fetched, actor=actor, user_id=user_id)
    return outcome


def replace_source_data(
    pilot: Pilot, fetched: list[Fetched], *, actor: str, user_id=None
) -> list[ImportBatch]:
    """Replace what earlier refreshes of these queries stored with ``fetched``.

    The one place source data enter the store: it removes each query's
    previous batch, writes the new sums (or rows) as a batch of origin
    ``source``, and records what was fetched in the activity log. Like every
    other way data arrive, it tells the pilot's watchers of the verdicts it
    moved. Everything goes into the caller's transaction.
    """
    with watching_outcomes(pilot, actor=user_id):
        return _store_fetched(pilot, fetched, actor=actor, user_id=user_id)


def _store_fetched(
    pilot: Pilot, fetched: list[Fetched], *, actor: str, user_id=None
) -> list[ImportBatch]:
    old = [item.query.batch_id for item in fetched if item.query.batch_id is not None]
    if old:
        db.session.execute(delete(ImportBatch).where(ImportBatch.id.in_(old)))
        db.session.expire_all()
    batches = []
    started = time.perf_counter()
    for item in fetched:
        query, metric = item.query, item.query.metric
        writer = BatchWriter(
            pilot,
            "source",
            f"{query.source.name}: {metric.key}"[:255],
            query.fingerprint,
            user_id=user_id,
        )
        if item.chunks is not None:
            writer.add_all(item.chunks)
        else:
            for name, value in zip(
                ("shift_value", "shift_denominator", "shift_covariate"), item.shifts, strict=True
            ):
                if getattr(metric, name) is None and value is not None:
                    setattr(metric, name, value)
            writer.add_cells(metric, item.cells, item.counts)
        batch = writer.finish()
        query.batch, query.refreshed_at, query.refresh_error = batch, utcnow(), ""
        batches.append(batch)
    pilot.touch()
    seconds = sum(item.seconds for item in fetched) + time.perf_counter() - started
    totals = {
        "rows": sum(item.rows for item in fetched),
        "groups": sum(item.groups for item in fetched),
        "bytes": sum(item.bytes for item in fetched),
    }
    record(
        "refreshed",
        "pilot",
        actor=actor,
        user_id=user_id,
        entity_id=pilot.id,
        pilot_id=pilot.id,
        summary=(
            f"from data sources in {seconds:.2f} s: "
            + "; ".join(item.summary() for item in fetched)
        ),
    )
    log.info(
        "source refresh",
        extra={"fields": {"pilot": pilot.slug, "seconds": round(seconds, 3), **totals}},
    )
    db.session.flush()
    return batches


def pilots_with_queries() -> list[Pilot]:
    return list(
        db.session.scalars(
            select(Pilot)
            .where(Pilot.id.in_(select(Metric.pilot_id).join(MetricQuery)))
            .order_by(Pilot.slug)
        )
    )
