"""Reading observation and summary CSV files, checking every cell on the way."""

from __future__ import annotations

import csv
import gc
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from itertools import accumulate, islice
from pathlib import Path

import numpy as np

from testbed.files.errors import LoadError, not_utf8
from testbed.pilots.models import Metric
from testbed.store.models import GROUPS, PERIODS
from testbed.store.services import ObservationChunk

OBSERVATION_COLUMNS = (
    "metric",
    "group",
    "value",
    "denominator",
    "period",
    "unit",
    "date",
    "iteration",
    "covariate",
)
OBSERVATION_REQUIRED = ("metric", "group", "value")
# The ``ObservationChunk`` fields a row fills, in the order ``_observation`` returns them.
OBSERVATION_FIELDS = (
    "metric",
    "group",
    "period",
    "iteration",
    "unit",
    "day",
    "value",
    "denominator",
    "covariate",
)
SUMMARY_COLUMNS = ("metric", "group", "n", "mean", "sd", "period")
SUMMARY_REQUIRED = ("metric", "group", "n", "mean", "sd")
CHUNK_ROWS = 20_000
UNIT_LENGTH = 120  # the width of the unit column


class CellError(ValueError):
    """A bad cell; the reader adds the file, line and column."""


class Unvouched(ValueError):
    """A chunk the column-wise check cannot vouch for; it is checked row by row."""


class Header:
    """Column positions of a CSV header, checked against the allowed columns."""

    def __init__(self, path, names: list[str], allowed: tuple, required: tuple):
        problems = header_problems(path, names, allowed, required)
        if problems:
            raise problems[0]
        self.names = [name.strip().lower() for name in names]
        self.position = {name: index for index, name in enumerate(self.names)}

    def cell(self, row: list[str], name: str) -> str:
        index = self.position.get(name)
        return row[index].strip() if index is not None else ""


def header_problems(path, names: list[str], allowed: tuple, required: tuple) -> list[LoadError]:
    """Every problem of a CSV header: unknown, repeated and missing columns."""
    names = [name.strip().lower() for name in names]
    problems = []
    for position, name in enumerate(names, start=1):
        if name not in allowed:
            message = f"unknown column '{name}' (allowed: {', '.join(allowed)})"
            problems.append(LoadError(path, message, 1, position, name))
        elif names.index(name) != position - 1:
            message = f"the column '{name}' appears twice"
            problems.append(LoadError(path, message, 1, position, name))
    for name in required:
        if name not in names:
            message = f"the required column '{name}' is missing"
            problems.append(LoadError(path, message, 1, None, name))
    return problems


def read_observations(
    path: Path, metrics: dict[str, Metric], iterations: set[int] | None = None
) -> Iterator[ObservationChunk]:
    """Yield checked observations from a CSV file in chunks of ``CHUNK_ROWS``."""
    with path.open(newline="", encoding="utf-8-sig") as stream:
        try:
            yield from parse_observations(path, stream, metrics, iterations)
        except UnicodeDecodeError:
            raise not_utf8(path) from None


def parse_observations(
    path, lines: Iterable[str], metrics: dict[str, Metric], iterations: set[int] | None = None
) -> Iterator[ObservationChunk]:
    """Yield checked observations from CSV text; ``path`` names it in errors.

    A chunk is checked column by column, each distinct text once, because a
    check per cell would cost more than storing the row. A chunk that check
    cannot vouch for is checked again row by row, which finds its first bad
    cell and names that cell's line and column.
    """
    reader = csv.reader(lines)
    header = Header(path, _first_row(path, reader), OBSERVATION_COLUMNS, OBSERVATION_REQUIRED)
    while True:
        with _cycle_collector_paused():
            chunk = _next_chunk(path, reader, header, metrics, iterations)
        if chunk is None:
            return
        yield chunk


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a step that makes a container per row.

    Reading a chunk of CSV rows makes a list per row, all freed by reference
    counting once the chunk is checked. Left running, the collector would
    count them as survivors and walk every object of the process again every
    few chunks: a third of a large import's time, for no garbage.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _next_chunk(path, reader, header: Header, metrics, iterations) -> ObservationChunk | None:
    """The next ``CHUNK_ROWS`` rows, checked; None at the end of the file."""
    try:
        rows, line_numbers = _next_rows(reader)
    except csv.Error as error:
        raise LoadError(path, f"not readable as CSV: {error}", reader.line_num) from None
    if not rows:
        return None
    try:
        return _checked_columns(rows, header, metrics, iterations)
    except ValueError:
        return _checked_rows(path, rows, line_numbers, header, metrics, iterations)


def _next_rows(reader) -> tuple[list[list[str]], list[int]]:
    """Up to ``CHUNK_ROWS`` rows that are not blank, and the line each ends on.

    Rows are taken many at a time, not one by one; the line each ends on
    follows from the lines read, since a row takes one line unless a quoted
    cell holds line breaks.
    """
    rows, line_numbers = [], []
    while len(rows) < CHUNK_ROWS:
        before = reader.line_num
        read = list(islice(reader, CHUNK_ROWS - len(rows)))
        if not read:
            break
        if reader.line_num - before == len(read):
            ends = list(range(before + 1, reader.line_num + 1))
        else:
            ends = list(accumulate(map(_lines_taken, read), initial=before))[1:]
        if [] in read:  # a blank line reads as an empty row
            kept = [i for i, row in enumerate(read) if row]
            read, ends = [read[i] for i in kept], [ends[i] for i in kept]
        rows += read
        line_numbers += ends
    return rows, line_numbers


def _lines_taken(row: list[str]) -> int:
    """One line, plus one for each line break in a quoted cell (LF, CR or CR LF)."""
    return 1 + sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in row)


def _checked_rows(path, rows, line_numbers, header: Header, metrics, iterations):
    """The rows checked one by one; raises LoadError at the first bad cell."""
    chunk = ObservationChunk()
    for row, line in zip(rows, line_numbers, strict=True):
        _check_width(path, line, row, header)
        try:
            _append_observation(chunk, row, header, metrics, iterations)
        except CellError as error:
            name = error.args[1]
            raise LoadError(path, error.args[0], line, header.position[name] + 1, name) from None
    return chunk


def _checked_columns(rows, header: Header, metrics, iterations) -> ObservationChunk:
    """The rows checked column by column; raises ValueError where they need a closer look.

    Every value is the one ``_observation`` gives for its cell, and this accepts
    no row that ``_observation`` refuses: a bad cell anywhere raises, and the
    rows are then checked one by one.
    """
    width = len(header.names)
    if set(map(len, rows)) != {width}:
        raise Unvouched("rows of another width")
    columns = dict(zip(header.names, zip(*rows, strict=True), strict=True))
    missing = ("",) * len(rows)  # an absent column reads as empty cells

    def column(name: str) -> Sequence[str]:
        return columns.get(name, missing)

    metric = _each_distinct(column("metric"), lambda text: _metric(text.strip(), metrics))
    value = _floats(column("value"))
    denominator = _optional_floats(column("denominator"))
    covariate = _optional_floats(column("covariate"))
    _check_columns_for_kind(metric, value, denominator)
    return ObservationChunk(
        metric=metric,
        group=_each_distinct(column("group"), lambda text: _choice(text.strip(), GROUPS, "group")),
        period=_each_distinct(
            column("period"), lambda text: _choice(text.strip() or "post", PERIODS, "period")
        ),
        iteration=_each_distinct(
            column("iteration"), lambda text: _iteration(text.strip(), iterations)
        ),
        unit=_each_distinct(column("unit"), lambda text: _unit(text.strip())),
        day=_each_distinct(column("date"), lambda text: _date(text.strip())),
        value=value,
        denominator=denominator,
        covariate=covariate,
    )


def _each_distinct(cells: Sequence[str], convert: Callable[[str], object]) -> list:
    """``convert`` applied to every cell, calling it once per distinct text."""
    converted = {text: convert(text) for text in set(cells)}
    if len(converted) == 1:
        return [*converted.values()] * len(cells)  # such as an absent column
    # Even where a text is its own value, each cell is replaced by the one shared
    # value: a million copies of a few texts, scattered in memory, are slower to
    # store (measured: about a second on a million rows).
    return list(map(converted.__getitem__, cells))


def _floats(cells: Sequence[str]) -> list[float]:
    """The cells as numbers, as ``_number`` reads them; raises ValueError otherwise."""
    numbers = list(map(float, cells))
    if not np.isfinite(numbers).all():
        raise Unvouched("a number that is not finite")
    return numbers


def _optional_floats(cells: Sequence[str]) -> list[float | None]:
    """The cells as ``_optional_number`` reads them; raises ValueError otherwise."""
    if not any(cells):
        return [None] * len(cells)
    numbers = [float(text) if text else None for text in cells]
    if not np.isfinite([number for number in numbers if number is not None]).all():
        raise Unvouched("a number that is not finite")
    return numbers


def _check_columns_for_kind(metric: list[Metric], value, denominator) -> None:
    """What ``_check_value_for_kind`` refuses in a row, refused for all rows at once."""
    values = np.array(value)
    denominators = np.array(denominator, dtype=float)  # None becomes NaN: the rest is finite
    kinds = list(dict.fromkeys(metric))
    index = {each: i for i, each in enumerate(kinds)}
    position = np.fromiter(map(index.__getitem__, metric), np.intp, len(metric))
    for i, each in enumerate(kinds):
        if not _suits_kind(each, values[position == i], denominators[position == i]):
            raise Unvouched(f"a value that does not suit metric '{each.key}'")


def _suits_kind(metric: Metric, values: np.ndarray, denominators: np.ndarray) -> bool:
    if metric.kind == "proportion" and not np.isin(values, (0.0, 1.0)).all():
        return False
    if metric.kind == "ratio" and not (denominators > 0).all():
        return False
    if metric.kind != "ratio" and not np.isnan(denominators).all():
        return False
    scale = metric.scale
    return not scale or bool(
        ((values == np.trunc(values)) & (values >= scale[0]) & (values <= scale[1])).all()
    )


def scan_observations(
    path, lines: Iterable[str], metrics: dict[str, Metric], iterations: set[int] | None = None
) -> Iterator[tuple[int, dict | None, list[LoadError]]]:
    """Yield (line, values, errors) for every row, going on past bad rows.

    Where ``parse_observations`` stops at the first bad cell, this reports
    every bad cell, so a person can fix a file in one go. ``values`` maps
    each ``ObservationChunk`` field to the row's checked value, or is None
    when the row has errors. A bad header or unreadable CSV ends the scan.
    """
    reader = csv.reader(lines)
    try:
        names = _first_row(path, reader)
    except LoadError as error:
        yield 1, None, [error]
        return
    problems = header_problems(path, names, OBSERVATION_COLUMNS, OBSERVATION_REQUIRED)
    if problems:
        yield 1, None, problems
        return
    header = Header(path, names, OBSERVATION_COLUMNS, OBSERVATION_REQUIRED)
    while True:
        try:
            row = next(reader, None)
        except csv.Error as error:
            line = reader.line_num
            yield line, None, [LoadError(path, f"not readable as CSV: {error}", line)]
            return
        if row is None:
            return
        if row:
            line = reader.line_num
            yield line, *_scan_row(path, line, row, header, metrics, iterations)


def _scan_row(path, line: int, row, header: Header, metrics, iterations):
    if len(row) != len(header.names):
        message = f"expected {len(header.names)} fields, found {len(row)}"
        return None, [LoadError(path, message, line)]
    try:
        values = _observation(row, header, metrics, iterations)
    except CellError:
        problems = _observation_problems(row, header, metrics, iterations)
        errors = [
            LoadError(path, message, line, header.position[name] + 1, name)
            for message, name in (problem.args for problem in problems)
        ]
        return None, sorted(errors, key=lambda error: error.column)
    return dict(zip(OBSERVATION_FIELDS, values, strict=True)), []


def read_summaries(path: Path, metrics: dict[str, Metric]) -> Iterator[tuple]:
    """Yield checked (metric, group, period, n, mean, sd) rows of a summary CSV."""
    with path.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.reader(stream)
        try:
            header = Header(path, _first_row(path, reader), SUMMARY_COLUMNS, SUMMARY_REQUIRED)
            for row in reader:
                if not row:
                    continue
                _check_width(path, reader.line_num, row, header)
                try:
                    yield _summary_row(row, header, metrics)
                except CellError as error:
                    name = error.args[1]
                    raise LoadError(
                        path, error.args[0], reader.line_num, header.position[name] + 1, name
                    ) from None
        except UnicodeDecodeError:
            raise not_utf8(path) from None
        except csv.Error as error:
            raise LoadError(path, f"not readable as CSV: {error}", reader.line_num) from None


def _first_row(path, reader) -> list[str]:
    try:
        return next(reader)
    except StopIteration:
        raise LoadError(path, "the file is empty; it needs a header row", 1) from None
    except csv.Error as error:
        raise LoadError(path, f"not readable as CSV: {error}", 1) from None


def _check_width(path, line: int, row: list[str], header: Header) -> None:
    if len(row) != len(header.names):
        raise LoadError(path, f"expected {len(header.names)} fields, found {len(row)}", line)


def _append_observation(chunk: ObservationChunk, row, header: Header, metrics, iterations):
    metric, group, period, iteration, unit, day, value, denominator, covariate = _observation(
        row, header, metrics, iterations
    )
    chunk.metric.append(metric)
    chunk.group.append(group)
    chunk.period.append(period)
    chunk.iteration.append(iteration)
    chunk.unit.append(unit)
    chunk.day.append(day)
    chunk.value.append(value)
    chunk.denominator.append(denominator)
    chunk.covariate.append(covariate)


def _observation(row, header: Header, metrics, iterations) -> tuple:
    """The row's checked values in ``OBSERVATION_FIELDS`` order; raises at the first bad cell."""
    metric = _metric(header.cell(row, "metric"), metrics)
    value = _number(header.cell(row, "value"), "value")
    denominator = _optional_number(header.cell(row, "denominator"), "denominator")
    _check_value_for_kind(metric, value, denominator)
    return (
        metric,
        _choice(header.cell(row, "group"), GROUPS, "group"),
        _choice(header.cell(row, "period") or "post", PERIODS, "period"),
        _iteration(header.cell(row, "iteration"), iterations),
        _unit(header.cell(row, "unit")),
        _date(header.cell(row, "date")),
        value,
        denominator,
        _optional_number(header.cell(row, "covariate"), "covariate"),
    )


def _observation_problems(row, header: Header, metrics, iterations) -> list[CellError]:
    """Every bad cell of a row, each checked on its own: the slow path, for bad rows only."""
    checks = {
        "metric": lambda text: _metric(text, metrics),
        "group": lambda text: _choice(text, GROUPS, "group"),
        "value": lambda text: _number(text, "value"),
        "denominator": lambda text: _optional_number(text, "denominator"),
        "period": lambda text: _choice(text or "post", PERIODS, "period"),
        "date": _date,
        "iteration": lambda text: _iteration(text, iterations),
        "covariate": lambda text: _optional_number(text, "covariate"),
        "unit": _unit,
    }
    problems, checked = [], {}
    for name, check in checks.items():
        try:
            checked[name] = check(header.cell(row, name))
        except CellError as problem:
            problems.append(problem)
    if {"metric", "value", "denominator"} <= checked.keys():
        # Each of these is fine alone; the metric's kind may still reject them together.
        try:
            _check_value_for_kind(checked["metric"], checked["value"], checked["denominator"])
        except CellError as problem:
            problems.append(problem)
    return problems


def _summary_row(row, header: Header, metrics) -> tuple:
    metric = _metric(header.cell(row, "metric"), metrics)
    if metric.kind == "ratio":
        raise CellError(
            f"metric '{metric.key}' is a ratio; summaries cannot carry its "
            "denominator, so give its observations instead",
            "metric",
        )
    group = _choice(header.cell(row, "group"), GROUPS, "group")
    period = _choice(header.cell(row, "period") or "post", PERIODS, "period")
    n_text = header.cell(row, "n")
    if not (n_text.isascii() and n_text.isdigit()) or int(n_text) < 1:
        raise CellError(f"'{n_text}' is not a whole number of observations (1 or more)", "n")
    mean = _number(header.cell(row, "mean"), "mean")
    sd = _number(header.cell(row, "sd"), "sd")
    if sd < 0:
        raise CellError(f"a standard deviation cannot be negative ({sd})", "sd")
    if metric.kind == "proportion" and not 0 <= mean <= 1:
        raise CellError(f"the mean of a proportion must lie between 0 and 1, got {mean}", "mean")
    return metric, group, period, int(n_text), mean, sd


def _metric(key: str, metrics: dict[str, Metric]) -> Metric:
    metric = metrics.get(key)
    if metric is None:
        raise CellError(f"unknown metric '{key}' (known: {', '.join(sorted(metrics))})", "metric")
    return metric


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CellError(f"'{text}' is not a number", name) from None
    if not math.isfinite(value):
        raise CellError(f"'{text}' is not a finite number", name)
    return value


def _optional_number(text: str, name: str) -> float | None:
    return _number(text, name) if text else None


def _choice(text: str, choices: tuple[str, ...], name: str) -> str:
    if text not in choices:
        raise CellError(f"'{text}' is not one of {', '.join(choices)}", name)
    return text


def _iteration(text: str, iterations: set[int] | None) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise CellError(f"'{text}' is not an iteration number", "iteration")
    number = int(text)
    if iterations is not None and number not in iterations:
        raise CellError(f"there is no iteration {number} in this pilot", "iteration")
    return number


def _unit(text: str) -> str | None:
    # The database refuses a longer text, and any text with a NUL character.
    if len(text) > UNIT_LENGTH or "\x00" in text:
        raise CellError(f"a unit is text of at most {UNIT_LENGTH} characters, without NUL", "unit")
    return text or None


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(f"'{text}' is not a date such as 2025-01-31", "date") from None


def _check_value_for_kind(metric: Metric, value: float, denominator: float | None) -> None:
    if metric.kind == "proportion" and value not in (0.0, 1.0):
        raise CellError(
            f"metric '{metric.key}' is a proportion: value must be 0 or 1, got {value:g}", "value"
        )
    if metric.kind == "ratio":
        if denominator is None:
            raise CellError(
                f"metric '{metric.key}' is a ratio: the denominator is required", "denominator"
            )
        if denominator <= 0:
            raise CellError(f"the denominator must be positive, got {denominator:g}", "denominator")
    elif denominator is not None:
        raise CellError(
            f"metric '{metric.key}' is not a ratio: leave the denominator empty", "denominator"
        )
    scale = metric.scale
    if scale and (value != int(value) or not scale[0] <= value <= scale[1]):
        raise CellError(
            f"metric '{metric.key}' is a score from {scale[0]} to {scale[1]}: got {value:g}",
            "value",
        )
