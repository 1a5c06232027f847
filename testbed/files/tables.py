"""Reading observation and summary CSV files, checking every cell on the way."""

from __future__ import annotations

import codecs
import csv
import gc
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from itertools import accumulate, compress, islice
from pathlib import Path

import numpy as np
from flask_babel import gettext

from testbed.files import plain_csv
from testbed.files.errors import LoadError, not_utf8
from testbed.i18n import figure
from testbed.pilots.models import Metric
from testbed.store.codes import distinct_codes, spread
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
ITERATION_DIGITS = 9  # iteration numbers are 32-bit integers in the store
# Sums of a summary's n observations stay exact in floating point below this.
MAX_N = 10**12


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
            message = gettext(
                "unknown column '%(name)s' (allowed: %(allowed)s)",
                name=name,
                allowed=", ".join(allowed),
            )
            problems.append(LoadError(path, message, 1, position, name))
        elif names.index(name) != position - 1:
            message = gettext("the column '%(name)s' appears twice", name=name)
            problems.append(LoadError(path, message, 1, position, name))
    for name in required:
        if name not in names:
            message = gettext("the required column '%(name)s' is missing", name=name)
            problems.append(LoadError(path, message, 1, None, name))
    return problems


def read_observations(
    path: Path,
    metrics: dict[str, Metric],
    iterations: set[int] | None = None,
    name: str | None = None,
) -> Iterator[ObservationChunk]:
    """Yield checked observations from a CSV file, in chunks; errors call it ``name``.

    Plain stretches of the file are split with numpy (see ``plain_csv``); at
    the first block that is not plain, or that holds a cell the column check
    cannot vouch for, the rest of the file goes through the csv reader, which
    names the line and column of a bad cell.
    """
    name = name or str(path)
    with path.open("rb") as stream:
        try:
            yield from _read_stream(name, stream, metrics, iterations)
        except UnicodeDecodeError:
            raise not_utf8(path, name) from None


def _read_stream(path, stream, metrics, iterations) -> Iterator[ObservationChunk]:
    first = stream.readline().removeprefix(codecs.BOM_UTF8)
    if not plain_csv.plain_header(first):
        stream.seek(0)
        with _text(stream, "utf-8-sig") as text:
            yield from parse_observations(path, text, metrics, iterations)
        return
    names = first.decode("utf-8").removesuffix("\n").removesuffix("\r").split(",")
    header = Header(path, names, OBSERVATION_COLUMNS, OBSERVATION_REQUIRED)
    for offset, line, block in plain_csv.blocks(stream, first_line=2):
        with _cycle_collector_paused():
            chunk = _plain_chunk(block, header, metrics, iterations)
        if chunk is None:
            stream.seek(offset)
            with _text(stream, "utf-8") as text:
                reader = csv.reader(text)
                yield from _parse_rows(path, reader, header, metrics, iterations, line - 1)
            return
        if len(chunk):
            yield chunk


def _text(stream, encoding: str) -> io.TextIOWrapper:
    """The binary stream read on as text, line ends untranslated as the csv reader wants.

    Closing the text closes the stream.
    """
    return io.TextIOWrapper(stream, encoding=encoding, newline="")


def parse_observations(
    path, lines: Iterable[str], metrics: dict[str, Metric], iterations: set[int] | None = None
) -> Iterator[ObservationChunk]:
    """Yield checked observations from CSV text, in chunks of ``CHUNK_ROWS``.

    ``path`` names the text in errors. A chunk is checked column by column,
    each distinct text once, because a check per cell would cost more than
    storing the row. A chunk that check cannot vouch for is checked again row
    by row, which finds its first bad cell and names that cell's line and column.
    """
    reader = csv.reader(lines)
    header = Header(path, _first_row(path, reader), OBSERVATION_COLUMNS, OBSERVATION_REQUIRED)
    yield from _parse_rows(path, reader, header, metrics, iterations)


def _parse_rows(
    path, reader, header: Header, metrics, iterations, lines_before: int = 0
) -> Iterator[ObservationChunk]:
    """Checked chunks of the reader's rows; ``lines_before`` its first line follows."""
    while True:
        with _cycle_collector_paused():
            chunk = _next_chunk(path, reader, header, metrics, iterations, lines_before)
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


def _next_chunk(
    path, reader, header: Header, metrics, iterations, lines_before: int = 0
) -> ObservationChunk | None:
    """The next ``CHUNK_ROWS`` rows, checked; None at the end of the file."""
    try:
        rows, line_numbers = _next_rows(reader)
    except csv.Error as error:
        line = lines_before + reader.line_num
        raise LoadError(path, _not_csv(error), line) from None
    if not rows:
        return None
    if lines_before:
        line_numbers = [lines_before + line for line in line_numbers]
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
    """The rows checked column by column; raises ValueError where they need a closer look."""
    width = len(header.names)
    if set(map(len, rows)) != {width}:
        raise Unvouched("rows of another width")
    columns = zip(header.names, zip(*rows, strict=True), strict=True)
    named = {name: TextColumn(cells) for name, cells in columns}
    return _chunk_of(named, len(rows), metrics, iterations)


def _plain_chunk(block: bytes, header: Header, metrics, iterations) -> ObservationChunk | None:
    """A plain block's rows checked column by column; None where the csv reader must look."""
    cells = plain_csv.split(block, len(header.names))
    if cells is None:
        return None
    if not len(cells):
        return ObservationChunk()
    named = {name: PlainColumn(cells, index) for name, index in header.position.items()}
    try:
        if not block.isascii():
            block.decode("utf-8")
        return _chunk_of(named, len(cells), metrics, iterations)
    except ValueError:
        return None


def _chunk_of(columns: dict[str, Column], rows: int, metrics, iterations) -> ObservationChunk:
    """The chunk of ``rows`` rows whose cells ``columns`` holds by name, checked column-wise.

    Every value is the one ``_observation`` gives for its cell, and this accepts
    no row that ``_observation`` refuses: a bad cell anywhere raises ValueError,
    and the rows are then checked one by one.
    """
    missing = TextColumn(("",) * rows)  # an absent column reads as empty cells

    def column(name: str) -> Column:
        return columns.get(name, missing)

    converters = {
        "metric": lambda text: _metric(text.strip(), metrics),
        "group": lambda text: _choice(text.strip(), GROUPS, "group"),
        "period": lambda text: _choice(text.strip() or "post", PERIODS, "period"),
        "iteration": lambda text: _iteration(text.strip(), iterations),
        "unit": lambda text: _unit(text.strip()),
        "day": lambda text: _date(text.strip()),
    }
    coded = {
        field: column("date" if field == "day" else field).each_distinct(convert)
        for field, convert in converters.items()
    }
    arrays = {
        "value": column("value").numbers(optional=False),
        "denominator": column("denominator").numbers(optional=True),
        "covariate": column("covariate").numbers(optional=True),
    }
    chunk = ObservationChunk(
        **{field: spread(*distinct) for field, distinct in coded.items()},
        value=arrays["value"].tolist(),
        denominator=_with_none(arrays["denominator"]),
        covariate=_with_none(arrays["covariate"]),
        coded=coded,
        arrays=arrays,
    )
    _check_columns_for_kind(chunk)
    return chunk


def _with_none(numbers: np.ndarray) -> list[float | None]:
    """The numbers as a list, None where there is none (NaN: checked numbers are finite)."""
    missing = np.isnan(numbers)
    if missing.all():
        return [None] * len(numbers)
    table = numbers.astype(object)
    table[missing] = None
    return table.tolist()


class TextColumn:
    """A column of cells read by the csv reader."""

    def __init__(self, cells: Sequence[str]):
        self.cells = cells

    def each_distinct(self, convert: Callable[[str], object]) -> tuple[list, np.ndarray]:
        """``convert`` of each distinct text, and each cell's index into them."""
        texts, codes = distinct_codes(self.cells)
        return [convert(text) for text in texts], codes

    def numbers(self, optional: bool) -> np.ndarray:
        return _numbers(self.cells, optional)


class PlainColumn:
    """A column of a plain block; its cells are bytes, decoded only where distinct."""

    def __init__(self, cells: plain_csv.Cells, index: int):
        self.cells, self.index = cells, index

    def each_distinct(self, convert: Callable[[str], object]) -> tuple[list, np.ndarray]:
        texts, codes = self.cells.distinct(self.index)
        return [convert(text.decode("utf-8")) for text in texts], codes

    def numbers(self, optional: bool) -> np.ndarray:
        # float() reads bytes as it reads text, except that it refuses what is not
        # ASCII: that refusal sends the block to the csv reader, whose check decides.
        return _numbers(self.cells.texts(self.index), optional)


Column = TextColumn | PlainColumn


def _numbers(cells: Sequence[str | bytes], optional: bool) -> np.ndarray:
    """The cells as ``_number`` reads them, or ``_optional_number`` (NaN for an empty
    cell) where ``optional``; raises ValueError where they would not."""
    if not optional:
        numbers = np.fromiter(map(float, cells), float, len(cells))
        if not np.isfinite(numbers).all():
            raise Unvouched("a number that is not finite")
        return numbers
    numbers = np.full(len(cells), np.nan)
    if not any(cells):
        return numbers
    given = np.fromiter(map(bool, cells), bool, len(cells))
    numbers[given] = np.fromiter(map(float, compress(cells, given)), float, int(given.sum()))
    if not np.isfinite(numbers[given]).all():
        raise Unvouched("a number that is not finite")
    return numbers


def _check_columns_for_kind(chunk: ObservationChunk) -> None:
    """What ``_check_value_for_kind`` refuses in a row, refused for all rows at once."""
    values, denominators = chunk.numbers("value"), chunk.numbers("denominator")
    kinds = list(dict.fromkeys(chunk.distinct("metric")[0]))
    position = chunk.per_row("metric", kinds.index)
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

    def check(line: int, row: list[str], header: Header):
        return _scan_row(path, line, row, header, metrics, iterations)

    yield from _scan(path, lines, OBSERVATION_COLUMNS, OBSERVATION_REQUIRED, check)


def _scan_row(path, line: int, row, header: Header, metrics, iterations):
    if len(row) != len(header.names):
        return None, [LoadError(path, _width_problem(row, header), line)]
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


def read_summaries(
    path: Path, metrics: dict[str, Metric], name: str | None = None
) -> Iterator[tuple]:
    """Yield checked (metric, group, period, n, mean, sd) rows of a summary CSV file.

    Errors call the file ``name``, if not its path.
    """
    name = name or path
    with path.open(newline="", encoding="utf-8-sig") as stream:
        try:
            yield from parse_summaries(name, stream, metrics)
        except UnicodeDecodeError:
            raise not_utf8(path, str(name)) from None


def parse_summaries(path, lines: Iterable[str], metrics: dict[str, Metric]) -> Iterator[tuple]:
    """Yield checked summary rows from CSV text; raises LoadError at the first bad cell."""
    for _line, values, errors in scan_summaries(path, lines, metrics):
        if errors:
            raise errors[0]
        yield values


def scan_summaries(
    path, lines: Iterable[str], metrics: dict[str, Metric]
) -> Iterator[tuple[int, tuple | None, list[LoadError]]]:
    """Yield (line, row, errors) for every summary row, going on past bad rows.

    ``row`` is (metric, group, period, n, mean, sd), or None when the row has
    an error: its first bad cell, with line, column and field. A bad header
    or unreadable CSV ends the scan.
    """

    def check(line: int, row: list[str], header: Header):
        return _scan_summary_row(path, line, row, header, metrics)

    yield from _scan(path, lines, SUMMARY_COLUMNS, SUMMARY_REQUIRED, check)


def _scan(path, lines: Iterable[str], columns, required, check) -> Iterator[tuple]:
    """Yield (line, *check(line, row, header)) for every row; a bad header or CSV ends it."""
    reader = csv.reader(lines)
    try:
        names = _first_row(path, reader)
    except LoadError as error:
        yield 1, None, [error]
        return
    problems = header_problems(path, names, columns, required)
    if problems:
        yield 1, None, problems
        return
    header = Header(path, names, columns, required)
    while True:
        try:
            row = next(reader, None)
        except csv.Error as error:
            line = reader.line_num
            yield line, None, [LoadError(path, _not_csv(error), line)]
            return
        if row is None:
            return
        if row:
            line = reader.line_num
            yield line, *check(line, row, header)


def _scan_summary_row(path, line: int, row, header: Header, metrics):
    if len(row) != len(header.names):
        return None, [LoadError(path, _width_problem(row, header), line)]
    try:
        return _summary_row(row, header, metrics), []
    except CellError as error:
        name = error.args[1]
        return None, [LoadError(path, error.args[0], line, header.position[name] + 1, name)]


def _first_row(path, reader) -> list[str]:
    try:
        return next(reader)
    except StopIteration:
        raise LoadError(path, gettext("the file is empty; it needs a header row"), 1) from None
    except csv.Error as error:
        raise LoadError(path, _not_csv(error), 1) from None


def _not_csv(error: csv.Error) -> str:
    return gettext("not readable as CSV: %(error)s", error=error)


def _check_width(path, line: int, row: list[str], header: Header) -> None:
    if len(row) != len(header.names):
        raise LoadError(path, _width_problem(row, header), line)


def _width_problem(row: list[str], header: Header) -> str:
    return gettext(
        "expected %(expected)s fields, found %(found)s",
        expected=len(header.names),
        found=len(row),
    )


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
            gettext(
                "metric '%(metric)s' is a ratio; summaries cannot carry its denominator, so "
                "give its observations instead",
                metric=metric.key,
            ),
            "metric",
        )
    group = _choice(header.cell(row, "group"), GROUPS, "group")
    period = _choice(header.cell(row, "period") or "post", PERIODS, "period")
    n_text = header.cell(row, "n")
    digits = n_text.isascii() and n_text.isdigit() and len(n_text) <= len(str(MAX_N))
    if not digits or not 1 <= int(n_text) <= MAX_N:
        message = gettext(
            "'%(text)s' is not a whole number of observations (1 to %(most)s)",
            text=n_text,
            most=figure(f"{MAX_N:,}"),
        )
        raise CellError(message, "n")
    mean = _number(header.cell(row, "mean"), "mean")
    sd = _number(header.cell(row, "sd"), "sd")
    if sd < 0:
        message = gettext("a standard deviation cannot be negative (%(sd)s)", sd=figure(f"{sd}"))
        raise CellError(message, "sd")
    if metric.kind == "proportion" and not 0 <= mean <= 1:
        message = gettext(
            "the mean of a proportion must lie between 0 and 1, got %(mean)s",
            mean=figure(f"{mean}"),
        )
        raise CellError(message, "mean")
    return metric, group, period, int(n_text), mean, sd


def _metric(key: str, metrics: dict[str, Metric]) -> Metric:
    metric = metrics.get(key)
    if metric is None:
        message = gettext(
            "unknown metric '%(key)s' (known: %(known)s)",
            key=key,
            known=", ".join(sorted(metrics)),
        )
        raise CellError(message, "metric")
    return metric


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CellError(gettext("'%(text)s' is not a number", text=text), name) from None
    if not math.isfinite(value):
        raise CellError(gettext("'%(text)s' is not a finite number", text=text), name)
    return value


def _optional_number(text: str, name: str) -> float | None:
    return _number(text, name) if text else None


def _choice(text: str, choices: tuple[str, ...], name: str) -> str:
    if text not in choices:
        message = gettext(
            "'%(text)s' is not one of %(choices)s", text=text, choices=", ".join(choices)
        )
        raise CellError(message, name)
    return text


def _iteration(text: str, iterations: set[int] | None) -> int | None:
    if not text:
        return None
    # More digits than any iteration has would also be more than int() reads.
    if not (text.isascii() and text.isdigit()) or len(text) > ITERATION_DIGITS:
        raise CellError(gettext("'%(text)s' is not an iteration number", text=text), "iteration")
    number = int(text)
    if iterations is not None and number not in iterations:
        message = gettext("there is no iteration %(number)s in this pilot", number=number)
        raise CellError(message, "iteration")
    return number


def _unit(text: str) -> str | None:
    # The database refuses a longer text, and any text with a NUL character.
    if len(text) > UNIT_LENGTH or "\x00" in text:
        message = gettext(
            "a unit is text of at most %(most)s characters, without NUL", most=UNIT_LENGTH
        )
        raise CellError(message, "unit")
    return text or None


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = gettext("'%(text)s' is not a date such as 2025-01-31", text=text)
        raise CellError(message, "date") from None


def _check_value_for_kind(metric: Metric, value: float, denominator: float | None) -> None:
    if metric.kind == "proportion" and value not in (0.0, 1.0):
        message = gettext(
            "metric '%(metric)s' is a proportion: value must be 0 or 1, got %(value)s",
            metric=metric.key,
            value=figure(f"{value:g}"),
        )
        raise CellError(message, "value")
    if metric.kind == "ratio":
        if denominator is None:
            message = gettext(
                "metric '%(metric)s' is a ratio: the denominator is required", metric=metric.key
            )
            raise CellError(message, "denominator")
        if denominator <= 0:
            message = gettext(
                "the denominator must be positive, got %(value)s", value=figure(f"{denominator:g}")
            )
            raise CellError(message, "denominator")
    elif denominator is not None:
        message = gettext(
            "metric '%(metric)s' is not a ratio: leave the denominator empty", metric=metric.key
        )
        raise CellError(message, "denominator")
    scale = metric.scale
    if scale and (value != int(value) or not scale[0] <= value <= scale[1]):
        message = gettext(
            "metric '%(metric)s' is a score from %(low)s to %(high)s: got %(value)s",
            metric=metric.key,
            low=scale[0],
            high=scale[1],
            value=figure(f"{value:g}"),
        )
        raise CellError(message, "value")
