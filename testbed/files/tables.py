"""Reading observation and summary CSV files, checking every cell on the way."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from testbed.files.errors import LoadError
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


class CellError(ValueError):
    """A bad cell; the reader adds the file, line and column."""


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
        yield from parse_observations(path, stream, metrics, iterations)


def parse_observations(
    path, lines: Iterable[str], metrics: dict[str, Metric], iterations: set[int] | None = None
) -> Iterator[ObservationChunk]:
    """Yield checked observations from CSV text; ``path`` names it in errors."""
    reader = csv.reader(lines)
    header = Header(path, _first_row(path, reader), OBSERVATION_COLUMNS, OBSERVATION_REQUIRED)
    chunk = ObservationChunk()
    for row in reader:
        if not row:
            continue
        _check_width(path, reader.line_num, row, header)
        try:
            _append_observation(chunk, row, header, metrics, iterations)
        except CellError as error:
            name = error.args[1]
            raise LoadError(
                path, error.args[0], reader.line_num, header.position[name] + 1, name
            ) from None
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = ObservationChunk()
    yield chunk


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
        header.cell(row, "unit") or None,
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
    if not n_text.isdigit() or int(n_text) < 1:
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
    if not text.isdigit():
        raise CellError(f"'{text}' is not an iteration number", "iteration")
    number = int(text)
    if iterations is not None and number not in iterations:
        raise CellError(f"there is no iteration {number} in this pilot", "iteration")
    return number


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
