"""Indicators and their measurements: define, measure, link, and read progress from them.

Services add and flush; the caller commits once. Every change is recorded in
the audit trail.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext, ngettext
from sqlalchemy import delete, insert, select, update

from analysis.progress import Change, PeriodValue, change_from_start, gap_closed, rank_by_progress
from testbed.audit import record
from testbed.auth.models import Department, User
from testbed.extensions import MAX_INT, db
from testbed.files.definition import KEY_PATTERN
from testbed.i18n import figure
from testbed.pilots.models import DIRECTIONS, PERSPECTIVES, Pilot
from testbed.pilots.services import InvalidField
from testbed.scorecard.models import (
    CADENCES,
    PERIOD_EXAMPLES,
    PERIOD_PATTERNS,
    Indicator,
    IndicatorLink,
    Measurement,
    pilot_indicator,
)

# A department is ranked on an indicator once it has this many periods measured:
# with fewer, a first and a last value are too close to tell a trend from noise.
MIN_PERIODS = 3
COMPANY = "Company-wide"  # as the audit trail names it; pages say company_wide()


@dataclass
class IndicatorFields:
    key: str
    name: str
    perspective: str
    direction: str
    cadence: str = "monthly"
    unit: str = ""
    target: float | None = None
    department: Department | None = None
    baseline_period: str | None = None
    description: str = ""


def period_problem(period: str, cadence: str) -> str | None:
    """Why ``period`` is no period of ``cadence``, or None when it is one."""
    if PERIOD_PATTERNS[cadence].match(period):
        return None
    example = PERIOD_EXAMPLES[cadence]
    if cadence == "quarterly":
        return gettext(
            "'%(period)s' is not a quarterly period such as %(example)s",
            period=period,
            example=example,
        )
    return gettext(
        "'%(period)s' is not a monthly period such as %(example)s", period=period, example=example
    )


def company_wide() -> str:
    """What the pages call the company-wide series (no department)."""
    return gettext("Company-wide")


def _check_fields(fields: IndicatorFields, indicator: Indicator | None) -> None:
    if not KEY_PATTERN.match(fields.key or ""):
        raise InvalidField("key", gettext("use letters, digits, - and _ only (at most 80)"))
    if fields.key == "new":
        raise InvalidField(
            "key", gettext("'new' names the page that adds an indicator; choose another")
        )
    other = db.session.scalar(select(Indicator).where(Indicator.key == fields.key))
    if other is not None and other is not indicator:
        raise InvalidField(
            "key", gettext("another indicator has the key '%(key)s'", key=fields.key)
        )
    if not (fields.name or "").strip():
        raise InvalidField("name", gettext("give the indicator a name"))
    for name, allowed in (
        ("perspective", PERSPECTIVES),
        ("direction", DIRECTIONS),
        ("cadence", CADENCES),
    ):
        if getattr(fields, name) not in allowed:
            raise InvalidField(
                name, gettext("choose one of %(choices)s", choices=", ".join(allowed))
            )
    if fields.target is not None and not math.isfinite(fields.target):
        raise InvalidField("target", gettext("the target must be a finite number"))
    if fields.baseline_period:
        problem = period_problem(fields.baseline_period, fields.cadence)
        if problem:
            raise InvalidField("baseline_period", problem)
    if indicator is not None and fields.cadence != indicator.cadence and indicator.measurements:
        raise InvalidField(
            "cadence",
            gettext("the indicator has measurements: its cadence cannot change any more"),
        )


def _state(indicator: Indicator) -> dict:
    return {
        "key": indicator.key,
        "name": indicator.name,
        "perspective": indicator.perspective,
        "direction": indicator.direction,
        "cadence": indicator.cadence,
        "unit": indicator.unit,
        "target": indicator.target,
        "owner": indicator.department.name if indicator.department else None,
        "baseline": indicator.baseline_period,
        "description": indicator.description,
    }


def _apply(indicator: Indicator, fields: IndicatorFields) -> None:
    indicator.key = fields.key
    indicator.name = fields.name.strip()
    indicator.perspective = fields.perspective
    indicator.direction = fields.direction
    indicator.cadence = fields.cadence
    indicator.unit = (fields.unit or "").strip()
    indicator.target = fields.target
    indicator.department = fields.department
    indicator.baseline_period = fields.baseline_period or None
    indicator.description = (fields.description or "").strip()


def create_indicator(fields: IndicatorFields, *, actor: str, user_id: int | None = None):
    """Put a new indicator on the scorecard."""
    _check_fields(fields, None)
    indicator = Indicator()
    _apply(indicator, fields)
    db.session.add(indicator)
    db.session.flush()
    target = f", target {indicator.target:g}" if indicator.target is not None else ""
    record(
        "created",
        "indicator",
        actor=actor,
        user_id=user_id,
        entity_id=indicator.id,
        summary=f"{indicator.key}: {indicator.name} ({indicator.perspective}{target})",
    )
    return indicator


def update_indicator(
    indicator: Indicator, fields: IndicatorFields, *, actor: str, user_id: int | None = None
) -> list[str]:
    """Change an indicator; returns what changed as 'field: old → new' lines."""
    _check_fields(fields, indicator)
    before = _state(indicator)
    if fields.key != indicator.key:
        # Pilots name the indicator by key: they follow it to its new one.
        db.session.execute(
            update(pilot_indicator)
            .where(pilot_indicator.c.indicator_key == indicator.key)
            .values(indicator_key=fields.key)
        )
    with db.session.no_autoflush:
        _apply(indicator, fields)
    after = _state(indicator)
    changes = [f"{k}: {before[k]} → {after[k]}" for k in before if before[k] != after[k]]
    if changes:
        db.session.flush()
        record(
            "updated",
            "indicator",
            actor=actor,
            user_id=user_id,
            entity_id=indicator.id,
            summary=f"{indicator.key}: " + "; ".join(changes),
        )
    return changes


def indicator_named(key: str) -> Indicator | None:
    return db.session.scalar(select(Indicator).where(Indicator.key == key))


def indicators() -> list[Indicator]:
    return list(db.session.scalars(select(Indicator).order_by(Indicator.name, Indicator.id)))


# Measurements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasurementRow:
    """One checked measurement, ready to store."""

    indicator: Indicator
    department: Department | None
    period: str
    value: float
    n: int | None = None
    sd: float | None = None


def measurement_problems(row: MeasurementRow) -> list[tuple[str, str]]:
    """(field, message) for each rule the row breaks."""
    problems = []
    problem = period_problem(row.period, row.indicator.cadence)
    if problem:
        problems.append(("period", problem))
    if not math.isfinite(row.value):
        problems.append(("value", gettext("the value must be a finite number")))
    if row.n is not None and not 1 <= row.n <= MAX_INT:
        most = figure(f"{MAX_INT:,}")
        problems.append(("n", gettext("n is a number of answers from 1 to %(most)s", most=most)))
    if row.sd is not None and not (math.isfinite(row.sd) and row.sd >= 0):
        problems.append(("sd", gettext("a standard deviation is a finite number of at least 0")))
    if (row.n is None) != (row.sd is None):
        problems.append(
            ("sd" if row.sd is None else "n", gettext("give n and sd together, or neither"))
        )
    return problems


def store_measurements(
    rows: list[MeasurementRow], *, source: str, actor: str, user_id: int | None = None
) -> tuple[int, int]:
    """Store checked rows; a row for a period already measured replaces it.

    Returns (added, replaced). Raises ValueError at the first row that breaks
    a rule, before anything is stored.
    """
    for index, row in enumerate(rows, start=1):
        problems = measurement_problems(row)
        if problems:
            name, message = problems[0]
            if len(rows) > 1:
                message = gettext("row %(row)s: %(problem)s", row=index, problem=message)
            raise InvalidField(name, message)
    seen = set()
    for index, row in enumerate(rows, start=1):
        key = (row.indicator.id, row.department.id if row.department else None, row.period)
        if key in seen:
            raise InvalidField(
                "period", gettext("row %(row)s: the same period and department twice", row=index)
            )
        seen.add(key)
    existing = _existing({row.indicator.id for row in rows})
    added = replaced = 0
    for row in rows:
        key = (row.indicator.id, row.department.id if row.department else None, row.period)
        measurement = existing.get(key)
        if measurement is None:
            measurement = Measurement(
                indicator=row.indicator, department=row.department, period=row.period
            )
            db.session.add(measurement)
            added += 1
        else:
            replaced += 1
        measurement.value, measurement.n, measurement.sd = row.value, row.n, row.sd
        measurement.source = source
    db.session.flush()
    names = sorted({row.indicator.key for row in rows})
    record(
        "measured",
        "indicator",
        actor=actor,
        user_id=user_id,
        entity_id=rows[0].indicator.id if len(names) == 1 and rows else None,
        summary=f"{added} added, {replaced} replaced ({source}): {', '.join(names)}",
    )
    return added, replaced


def _existing(indicator_ids: set[int]) -> dict[tuple, Measurement]:
    if not indicator_ids:
        return {}
    found = db.session.scalars(
        select(Measurement).where(Measurement.indicator_id.in_(indicator_ids))
    )
    return {(m.indicator_id, m.department_id, m.period): m for m in found}


def delete_measurement(measurement: Measurement, *, actor: str, user_id: int | None = None):
    indicator = measurement.indicator
    where = measurement.department.name if measurement.department else COMPANY
    db.session.delete(measurement)
    db.session.flush()
    record(
        "deleted",
        "measurement",
        actor=actor,
        user_id=user_id,
        entity_id=indicator.id,
        summary=f"{indicator.key} {measurement.period} ({where})",
    )


def may_measure(user: User, indicator: Indicator) -> bool:
    """Innovation and admins measure every indicator; a department head their department's."""
    from testbed.auth.access import can

    if can("scorecard.edit", user):
        return True
    return (
        can("scorecard.measure", user)
        and indicator.department_id is not None
        and indicator.department_id == user.department_id
    )


# Cause and effect --------------------------------------------------------------------------


def add_link(
    leading: Indicator,
    lagging: Indicator,
    note: str = "",
    *,
    actor: str,
    user_id: int | None = None,
) -> IndicatorLink:
    """Record that moving ``leading`` is expected to move ``lagging``."""
    if leading.id == lagging.id:
        raise InvalidField("lagging", gettext("an indicator cannot lead itself"))
    found = db.session.scalar(
        select(IndicatorLink).where(
            IndicatorLink.leading_id == leading.id, IndicatorLink.lagging_id == lagging.id
        )
    )
    if found is not None:
        raise InvalidField(
            "lagging",
            gettext(
                "%(leading)s already leads %(lagging)s", leading=leading.name, lagging=lagging.name
            ),
        )
    if _leads(lagging.id, leading.id):
        raise InvalidField(
            "lagging",
            gettext(
                "%(lagging)s already leads %(leading)s: a cause cannot follow its effect",
                lagging=lagging.name,
                leading=leading.name,
            ),
        )
    link = IndicatorLink(leading=leading, lagging=lagging, note=(note or "").strip())
    db.session.add(link)
    db.session.flush()
    record(
        "linked",
        "indicator",
        actor=actor,
        user_id=user_id,
        entity_id=lagging.id,
        summary=f"{leading.key} → {lagging.key}",
    )
    return link


def _leads(start: int, goal: int) -> bool:
    """Whether a path of links runs from indicator ``start`` to ``goal``."""
    edges = defaultdict(set)
    for leading, lagging in db.session.execute(
        select(IndicatorLink.leading_id, IndicatorLink.lagging_id)
    ):
        edges[leading].add(lagging)
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges[node])
    return False


def remove_link(link: IndicatorLink, *, actor: str, user_id: int | None = None) -> None:
    summary = f"{link.leading.key} → {link.lagging.key}"
    lagging_id = link.lagging_id
    db.session.delete(link)
    db.session.flush()
    record(
        "unlinked", "indicator", actor=actor, user_id=user_id, entity_id=lagging_id, summary=summary
    )


def links() -> list[IndicatorLink]:
    return list(db.session.scalars(select(IndicatorLink).order_by(IndicatorLink.id)))


# Pilots and the indicators they are meant to move ------------------------------------------


def pilot_indicator_keys(pilot: Pilot) -> list[str]:
    return list(
        db.session.scalars(
            select(pilot_indicator.c.indicator_key)
            .where(pilot_indicator.c.pilot_id == pilot.id)
            .order_by(pilot_indicator.c.indicator_key)
        )
    )


def set_pilot_indicators(
    pilot: Pilot, keys: list[str], *, actor: str, user_id: int | None = None, check: bool = True
) -> list[str]:
    """Say which indicators ``pilot`` is meant to move; returns the change lines.

    ``check`` refuses keys that are not on the scorecard; a pilot folder may name
    indicators the scorecard does not have yet, so loading passes False.
    """
    wanted = sorted(set(keys))
    for key in wanted:
        if not KEY_PATTERN.match(key):
            raise InvalidField(
                "indicators", gettext("'%(key)s' is not a valid indicator key", key=key)
            )
        if check and indicator_named(key) is None:
            raise InvalidField(
                "indicators", gettext("there is no indicator '%(key)s' on the scorecard", key=key)
            )
    before = pilot_indicator_keys(pilot)
    if before == wanted:
        return []
    replace_pilot_indicators(pilot, wanted)
    pilot.touch()
    db.session.flush()
    change = f"indicators: {', '.join(before) or 'none'} → {', '.join(wanted) or 'none'}"
    record(
        "updated",
        "pilot",
        actor=actor,
        user_id=user_id,
        entity_id=pilot.id,
        pilot_id=pilot.id,
        summary=change,
    )
    return [change]


def replace_pilot_indicators(pilot: Pilot, keys: list[str]) -> None:
    """Store exactly ``keys`` as the pilot's indicators (a load records its own event)."""
    db.session.execute(delete(pilot_indicator).where(pilot_indicator.c.pilot_id == pilot.id))
    if keys:
        db.session.execute(
            insert(pilot_indicator),
            [{"pilot_id": pilot.id, "indicator_key": k} for k in sorted(set(keys))],
        )


def pilots_moving(indicator: Indicator) -> list[Pilot]:
    return list(
        db.session.scalars(
            select(Pilot)
            .join(pilot_indicator, pilot_indicator.c.pilot_id == Pilot.id)
            .where(pilot_indicator.c.indicator_key == indicator.key)
            .order_by(Pilot.name)
        )
    )


# Reading progress --------------------------------------------------------------------------


@dataclass
class Series:
    """One department's (or the company's) measurements of one indicator, oldest first."""

    department: Department | None
    measurements: list[Measurement]
    start: Measurement | None = None
    latest: Measurement | None = None
    change: Change | None = None
    closed: float | None = None  # share of the gap to target closed
    note: str = ""

    @property
    def label(self) -> str:
        return self.department.name if self.department else company_wide()

    @property
    def periods(self) -> int:
        return len(self.measurements)

    @property
    def ranked(self) -> bool:
        return self.closed is not None and self.periods >= MIN_PERIODS


def _value(measurement: Measurement) -> PeriodValue:
    return PeriodValue(measurement.value, measurement.n, measurement.sd)


def series_of(indicator: Indicator) -> list[Series]:
    """Per department (the company-wide series first), with its progress from the start."""
    grouped: dict[int | None, list[Measurement]] = defaultdict(list)
    for measurement in indicator.measurements:
        grouped[measurement.department_id].append(measurement)
    found = []
    for rows in grouped.values():
        rows.sort(key=lambda m: m.period)
        found.append(_progress(indicator, Series(rows[0].department, rows)))
    found.sort(key=lambda s: (s.department is not None, s.label.lower()))
    return found


def _progress(indicator: Indicator, series: Series) -> Series:
    rows = series.measurements
    if indicator.baseline_period:
        start = next((m for m in rows if m.period == indicator.baseline_period), None)
        if start is None:
            series.note = gettext(
                "no measurement in the baseline period %(period)s",
                period=indicator.baseline_period,
            )
            return series
    else:
        start = rows[0]
    later = [m for m in rows if m.period > start.period]
    series.start = start
    if not later:
        series.note = gettext("only the starting period is measured")
        return series
    series.latest = later[-1]
    series.change = change_from_start(_value(start), _value(series.latest), indicator.direction)
    if indicator.target is not None:
        series.closed = gap_closed(
            start.value, series.latest.value, indicator.target, indicator.direction
        )
        if series.closed is None:
            series.note = gettext("at or past the target from the start: no gap to close")
    if series.periods < MIN_PERIODS:
        series.note = ngettext(
            "%(num)d periods measured: %(needed)d are needed to rank",
            "%(num)d periods measured: %(needed)d are needed to rank",
            series.periods,
            needed=MIN_PERIODS,
        )
    return series


def latest_level(indicator: Indicator) -> tuple[str | None, float | None, str]:
    """(period, value, what the value is) of the newest period: company-wide if measured."""
    if not indicator.measurements:
        return None, None, ""
    period = max(m.period for m in indicator.measurements)
    rows = [m for m in indicator.measurements if m.period == period]
    company = next((m for m in rows if m.department_id is None), None)
    if company is not None:
        return period, company.value, gettext("company-wide")
    if len(rows) == 1:
        return period, rows[0].value, rows[0].department.name
    # Unweighted: each department counts once, whatever its number of customers.
    mean = math.fsum(m.value for m in rows) / len(rows)
    return (
        period,
        mean,
        ngettext("mean of %(num)d departments", "mean of %(num)d departments", len(rows)),
    )


def on_target(indicator: Indicator, value: float | None) -> bool | None:
    if indicator.target is None or value is None:
        return None
    if indicator.direction == "increase":
        return value >= indicator.target
    return value <= indicator.target


@dataclass
class Row:
    indicator: Indicator
    period: str | None
    value: float | None
    what: str
    on_target: bool | None


def scorecard_rows() -> dict[str, list[Row]]:
    """The indicators grouped by perspective, each with its newest level."""
    grouped: dict[str, list[Row]] = {p: [] for p in PERSPECTIVES}
    for indicator in indicators():
        period, value, what = latest_level(indicator)
        grouped[indicator.perspective].append(
            Row(indicator, period, value, what, on_target(indicator, value))
        )
    return grouped


@dataclass
class Standing:
    department: str
    score: float
    counted: int
    rank: int
    parts: list[tuple[Indicator, Series]] = field(default_factory=list)


@dataclass
class Ranking:
    standings: list[Standing]
    unranked: dict[str, list[str]]  # department: why each indicator left it out
    indicators: list[Indicator]


def progress_ranking(only: Indicator | None = None) -> Ranking:
    """Departments ranked by the mean share of the gap to target they closed since their start.

    Only indicators with a target count, and only departments with at least
    MIN_PERIODS periods of an indicator; company-wide series rank nobody.
    """
    chosen = [only] if only is not None else [i for i in indicators() if i.target is not None]
    scores: dict[str, list[float]] = defaultdict(list)
    parts: dict[str, list[tuple[Indicator, Series]]] = defaultdict(list)
    unranked: dict[str, list[str]] = defaultdict(list)
    for indicator in chosen:
        if indicator.target is None:
            continue
        for series in series_of(indicator):
            if series.department is None:
                continue
            name = series.department.name
            if series.ranked:
                scores[name].append(series.closed)
                parts[name].append((indicator, series))
            else:
                why = series.note or gettext("no later period measured")
                unranked[name].append(
                    gettext("%(indicator)s: %(why)s", indicator=indicator.name, why=why)
                )
    standings = [
        Standing(s.unit, s.score, s.counted, s.rank, parts[s.unit])
        for s in rank_by_progress(scores)
    ]
    ranked = {s.department for s in standings}
    left_out = {name: why for name, why in unranked.items() if name not in ranked}
    return Ranking(standings, dict(sorted(left_out.items())), chosen)
