"""The scorecard as files: ``scorecard.toml`` and ``indicator-measurements*.csv``, all or nothing.

The TOML is checked with the pilot definition's machinery, the CSV with the
observation files' header rules and shape limits, so a bad file gets the same
kind of message: the file, line, column and field at fault.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import select

from testbed.auth.models import Department
from testbed.auth.services import department_named
from testbed.extensions import MAX_INT, db
from testbed.files.definition import Field, Locator, _check_table, _syntax_error
from testbed.files.errors import NOT_UTF8, LoadError, not_utf8
from testbed.files.limits import check_shape
from testbed.files.tables import Header, header_problems
from testbed.i18n import figure
from testbed.pilots.models import DIRECTIONS, PERSPECTIVES
from testbed.pilots.services import InvalidField
from testbed.scorecard import services
from testbed.scorecard.models import CADENCES, Indicator
from testbed.scorecard.services import IndicatorFields, MeasurementRow

DEFINITION = "scorecard.toml"
MEASUREMENTS = "indicator-measurements*.csv"
MEASUREMENT_COLUMNS = ("indicator", "period", "value", "department", "n", "sd")
MEASUREMENT_REQUIRED = ("indicator", "period", "value")
# A scorecard has tens of indicators and a few departments: years of monthly rows fit easily.
MAX_ROWS = 100_000

INDICATOR = {
    "key": Field("key", required=True),
    "name": Field("str", required=True, length=200),
    "perspective": Field("str", required=True, choices=PERSPECTIVES),
    "direction": Field("str", required=True, choices=DIRECTIONS),
    "cadence": Field("str", choices=CADENCES, default="monthly"),
    "unit": Field("str", default="", length=80),
    "target": Field("float"),
    "department": Field("str", length=120),
    "baseline": Field("str", length=7),
    "description": Field("str", default=""),
}
LINK = {
    "leading": Field("key", required=True),
    "lagging": Field("key", required=True),
    "note": Field("str", default=""),
}
SCORECARD = {
    "departments": Field("names", default=[], length=120),
    "indicators": Field("tables", default=[], fields=INDICATOR),
    "links": Field("tables", default=[], fields=LINK),
}


@dataclass(frozen=True)
class ScorecardOutcome:
    indicators_created: int
    indicators_updated: int
    links_added: int
    added: int
    replaced: int


def read_measurements(data: bytes, name: str) -> list[MeasurementRow]:
    """Checked rows of a measurements CSV; raises LoadError naming the line and column.

    Indicators are named by key and must be on the scorecard; departments by
    name and must exist; an empty department is the company-wide value.
    """
    check_shape(data, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8(data, name) from None
    reader = csv.reader(io.StringIO(text.removeprefix(codecs.BOM_UTF8.decode()), newline=""))
    try:
        names = next(reader)
    except StopIteration:
        raise LoadError(name, gettext("the file is empty; it needs a header row"), 1) from None
    except csv.Error as error:
        raise LoadError(name, _not_csv(error), 1) from None
    problems = header_problems(name, names, MEASUREMENT_COLUMNS, MEASUREMENT_REQUIRED)
    if problems:
        raise problems[0]
    header = Header(name, names, MEASUREMENT_COLUMNS, MEASUREMENT_REQUIRED)
    known = {i.key: i for i in services.indicators()}
    departments = {d.name: d for d in _departments()}
    rows, seen = [], {}
    while True:
        try:
            row = next(reader, None)
        except csv.Error as error:
            raise LoadError(name, _not_csv(error), reader.line_num) from None
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        if len(row) != len(header.names):
            message = gettext(
                "expected %(expected)s fields, found %(found)s",
                expected=len(header.names),
                found=len(row),
            )
            raise LoadError(name, message, line)
        if len(rows) >= MAX_ROWS:
            most = figure(f"{MAX_ROWS:,}")
            raise LoadError(
                name, gettext("more than %(most)s rows: split the file", most=most), line
            )
        measured = _row(name, line, row, header, known, departments)
        key = (
            measured.indicator.key,
            measured.department and measured.department.name,
            measured.period,
        )
        if key in seen:
            where = measured.department.name if measured.department else gettext("company-wide")
            raise LoadError(
                name,
                gettext(
                    "%(indicator)s %(period)s (%(where)s) is on line %(line)s already",
                    indicator=measured.indicator.key,
                    period=measured.period,
                    where=where,
                    line=seen[key],
                ),
                line,
                header.position["period"] + 1,
                "period",
            )
        seen[key] = line
        rows.append(measured)
    if not rows:
        raise LoadError(name, gettext("no measurements: the file has a header and nothing else"), 2)
    return rows


def _not_utf8(data: bytes, name: str) -> LoadError:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as problem:
        line = data.count(b"\n", 0, problem.start) + 1
        return LoadError(name, str(NOT_UTF8), line)
    return LoadError(name, str(NOT_UTF8), 1)


def _not_csv(error: csv.Error) -> str:
    return gettext("not readable as CSV: %(error)s", error=error)


def _departments() -> list[Department]:
    return list(db.session.scalars(select(Department)))


def _row(name, line, row, header: Header, known, departments) -> MeasurementRow:
    def fail(column: str, message: str) -> LoadError:
        return LoadError(name, message, line, header.position[column] + 1, column)

    key = header.cell(row, "indicator")
    indicator = known.get(key)
    if indicator is None:
        listed = ", ".join(sorted(known)) or gettext("none yet: load scorecard.toml first")
        return _raise(
            fail(
                "indicator",
                gettext("unknown indicator '%(key)s' (known: %(known)s)", key=key, known=listed),
            )
        )
    department = None
    department_name = header.cell(row, "department")
    if department_name:
        department = departments.get(department_name)
        if department is None:
            listed = ", ".join(sorted(departments)) or gettext("none yet")
            return _raise(
                fail(
                    "department",
                    gettext(
                        "unknown department '%(name)s' (known: %(known)s); "
                        "leave it empty for the company-wide value",
                        name=department_name,
                        known=listed,
                    ),
                )
            )
    value = _number(header.cell(row, "value"), "value", fail)
    n_text, sd_text = header.cell(row, "n"), header.cell(row, "sd")
    n = None
    if n_text:
        if not (n_text.isascii() and n_text.isdigit()) or not 1 <= int(n_text[:12]) <= MAX_INT:
            most = figure(f"{MAX_INT:,}")
            message = gettext(
                "'%(text)s' is not a number of answers (1 to %(most)s)", text=n_text, most=most
            )
            return _raise(fail("n", message))
        n = int(n_text)
    sd = _number(sd_text, "sd", fail) if sd_text else None
    measured = MeasurementRow(indicator, department, header.cell(row, "period"), value, n, sd)
    problems = services.measurement_problems(measured)
    if problems:
        column, message = problems[0]
        return _raise(fail(column, message))
    return measured


def _raise(error: LoadError):
    raise error


def _number(text: str, column: str, fail) -> float:
    try:
        value = float(text)
    except ValueError:
        raise fail(column, gettext("'%(text)s' is not a number", text=text)) from None
    if not math.isfinite(value):
        raise fail(column, gettext("'%(text)s' is not a finite number", text=text))
    return value


def read_scorecard(path: Path) -> dict:
    """Parse and check a ``scorecard.toml``; raises LoadError naming line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(path, error, text) from None
    locator = Locator(path, text)
    definition = _check_table(data, SCORECARD, locator, ())
    keys = {}
    for index, item in enumerate(definition["indicators"]):
        if item["key"] in keys:
            raise locator.error((("indicators", index),), "key", f"duplicate key '{item['key']}'")
        keys[item["key"]] = item
    for index, item in enumerate(definition["links"]):
        for end in ("leading", "lagging"):
            if item[end] not in keys and services.indicator_named(item[end]) is None:
                raise locator.error((("links", index),), end, f"unknown indicator '{item[end]}'")
    definition["locator"] = locator
    return definition


def load_scorecard(path: Path, *, actor: str = "cli") -> ScorecardOutcome:
    """Load a scorecard folder (or one measurements CSV) into the session; the caller commits.

    A folder holds ``scorecard.toml`` and any ``indicator-measurements*.csv``;
    indicators are created or updated by key, links added when new, and
    measurements of a period already stored replace it. Any error stops the
    whole load.
    """
    path = Path(path)
    if path.is_file():
        added, replaced = _load_csv(path, actor)
        return ScorecardOutcome(0, 0, 0, added, replaced)
    if not path.is_dir():
        raise LoadError(path, "no such file or folder")
    definition_path = path / DEFINITION
    created = updated = linked = 0
    if definition_path.is_file():
        created, updated, linked = _load_definition(definition_path, actor)
    csv_files = sorted(path.glob(MEASUREMENTS))
    if not definition_path.is_file() and not csv_files:
        raise LoadError(path, f"no {DEFINITION} and no {MEASUREMENTS} here")
    added = replaced = 0
    for file in csv_files:
        more, again = _load_csv(file, actor)
        added, replaced = added + more, replaced + again
    return ScorecardOutcome(created, updated, linked, added, replaced)


def _load_definition(path: Path, actor: str) -> tuple[int, int, int]:
    definition = read_scorecard(path)
    locator = definition["locator"]
    for department in definition["departments"]:
        department_named(department)
    created = updated = 0
    for index, item in enumerate(definition["indicators"]):
        fields = IndicatorFields(
            key=item["key"],
            name=item["name"],
            perspective=item["perspective"],
            direction=item["direction"],
            cadence=item["cadence"],
            unit=item["unit"],
            target=item.get("target"),
            department=department_named(item["department"]) if item.get("department") else None,
            baseline_period=item.get("baseline"),
            description=item["description"],
        )
        found = services.indicator_named(item["key"])
        try:
            if found is None:
                services.create_indicator(fields, actor=actor)
                created += 1
            elif services.update_indicator(found, fields, actor=actor):
                updated += 1
        except InvalidField as error:
            name = {"baseline_period": "baseline", "department": "department"}.get(
                error.field, error.field
            )
            raise locator.error((("indicators", index),), name, error.message) from None
    linked = 0
    existing = {(link.leading.key, link.lagging.key) for link in services.links()}
    for index, item in enumerate(definition["links"]):
        if (item["leading"], item["lagging"]) in existing:
            continue
        try:
            services.add_link(
                services.indicator_named(item["leading"]),
                services.indicator_named(item["lagging"]),
                item["note"],
                actor=actor,
            )
        except InvalidField as error:
            raise locator.error((("links", index),), "lagging", error.message) from None
        linked += 1
    return created, updated, linked


def _load_csv(path: Path, actor: str) -> tuple[int, int]:
    rows = read_measurements(path.read_bytes(), str(path))
    return services.store_measurements(rows, source="file", actor=actor)


def write_measurements(indicators: list[Indicator]) -> str:
    """The measurements of ``indicators`` in the CSV format ``read_measurements`` reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["indicator", "period", "department", "value", "n", "sd"])
    for indicator in indicators:
        for m in sorted(
            indicator.measurements,
            key=lambda m: (m.period, m.department.name if m.department else ""),
        ):
            writer.writerow(
                [
                    indicator.key,
                    m.period,
                    m.department.name if m.department else "",
                    repr(m.value),
                    "" if m.n is None else m.n,
                    "" if m.sd is None else repr(m.sd),
                ]
            )
    return out.getvalue()
