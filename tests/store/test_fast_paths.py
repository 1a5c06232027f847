"""The fast import paths store exactly what a plain row-by-row import stores.

The reference here reads every row with ``_observation`` (the per-cell check),
inserts each row through SQLAlchemy and adds up each cell's sums one row at a
time; the import itself checks cells column by column, sends rows to the
driver as tuples (COPY on PostgreSQL) and adds sums with numpy.
"""

from __future__ import annotations

import codecs
import csv
import io
import threading
from collections import Counter
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from testbed.extensions import db
from testbed.files import plain_csv, tables
from testbed.files.errors import LoadError
from testbed.files.loader import load_path
from testbed.pilots.models import Metric, Pilot
from testbed.store import copy
from testbed.store.models import Aggregate, ImportBatch, Observation, ValueCount
from testbed.store.services import (
    GROUP_CODES,
    NONE,
    PERIOD_CODES,
    SUM_FIELDS,
    BatchWriter,
    ObservationChunk,
)

DEFINITION = """\
    name = "Every kind of metric"
    status = "active"
    start_date = 2025-03-01
    departments = ["Operations"]

    [partner]
    name = "Harbour Dental"
    segment = "healthcare"

    [[metrics]]
    key = "wait"
    name = "Waiting time"
    kind = "mean"
    direction = "decrease"
    unit = "minutes"

    [[metrics]]
    key = "fta"
    name = "Failure to attend"
    kind = "proportion"
    direction = "decrease"

    [[metrics]]
    key = "cost"
    name = "Cost per visit"
    kind = "ratio"
    direction = "decrease"

    [[metrics]]
    key = "nps"
    name = "Recommendation score"
    kind = "mean"
    direction = "increase"
    scale = [0, 10]

    [[hypotheses]]
    key = "H1"
    statement = "Reminders shorten the wait."
    metric = "wait"
    role = "primary"

    [[iterations]]
    number = 1
    title = "SMS"

    [[iterations]]
    number = 2
    title = "SMS and call"
    """
HEADER = ["metric", "group", "period", "unit", "date", "iteration", "value", "denominator"]
HEADER_WITH_COVARIATE = [*HEADER, "covariate"]


def observation_text(rows: int, seed: int = 7, covariate: bool = True, padded: bool = True) -> str:
    """Rows of every metric, with empty, padded and quoted multi-line cells among them.

    Without ``padded``, every group, period and unit is written as it is
    stored, as in most files.
    """
    rng = np.random.default_rng(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER_WITH_COVARIATE if covariate else HEADER)
    for n in range(rows):
        metric = ("wait", "fta", "cost", "nps")[n % 4]
        value = {
            "wait": f"{1000 + rng.normal(0, 3):.6f}",
            "fta": str(int(rng.random() < 0.3)),
            "cost": f"{rng.gamma(4, 30):.3f}",
            "nps": str(int(rng.integers(0, 11))),
        }[metric]
        row = [
            metric,
            " pilot " if n % 7 == 0 and padded else ("baseline", "pilot")[int(rng.integers(0, 2))],
            ("pre", "post", "", " post")[n % 4] if padded else ("pre", "post")[n % 2],
            ("", "unit A", "multi\nline unit", " U7 ")[n % 4] if padded else f"U{n % 5}",
            "" if n % 11 == 0 else date(2025, 1 + n % 12, 1 + n % 28).isoformat(),
            ("", "1", "2", " 2")[n % 4],
            value,
            str(int(rng.integers(1, 9))) if metric == "cost" else "",
        ]
        if covariate:
            row.append(f"{rng.normal(50, 5):.4f}" if n % 3 else "")
        writer.writerow(row)
        if n % 50 == 0:
            out.write("\n")  # a blank line: skipped, but counted in line numbers
    return out.getvalue()


@pytest.fixture
def small_chunks(monkeypatch):
    # Several chunks, so sums are added across chunks and later chunks follow written ones.
    monkeypatch.setattr(tables, "CHUNK_ROWS", 64)


@pytest.fixture
def write_folder(write_pilot):
    def write(text: str):
        return write_pilot("kinds", pilot__toml=DEFINITION, observations__csv=text)

    return write


# Reading ----------------------------------------------------------------------


def read_row_by_row(text: str, metrics: dict, iterations: set[int]) -> list[tuple]:
    """Every row as ``_observation`` checks it, in ``OBSERVATION_FIELDS`` order."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = tables.Header("test", next(reader), tables.OBSERVATION_COLUMNS, ())
    return [tables._observation(row, header, metrics, iterations) for row in reader if row]


def read_column_wise(text: str, metrics: dict, iterations: set[int]) -> list[tuple]:
    chunks = tables.parse_observations("test", io.StringIO(text, newline=""), metrics, iterations)
    return [
        row
        for chunk in chunks
        for row in zip(*(getattr(chunk, name) for name in tables.OBSERVATION_FIELDS), strict=True)
    ]


def test_reading_column_wise_gives_what_reading_row_by_row_gives(app, loaded_kinds, small_chunks):
    metrics, iterations = loaded_kinds
    text = observation_text(500)
    assert '"multi\nline unit"' in text and "\n\n" in text
    expected = read_row_by_row(text, metrics, iterations)
    assert read_column_wise(text, metrics, iterations) == expected
    assert len(expected) == 500


NUMBER = st.sampled_from(["12.5", " 3", "1e3", "-0.25", "7"])
VALUES = {
    "wait": NUMBER,
    "fta": st.sampled_from(["0", "1", "1.0", " 0"]),
    "cost": NUMBER,
    "nps": st.sampled_from(["0", "7", "7.0", " 10"]),
}
CELLS = {
    "group": st.sampled_from(["baseline", "pilot", " pilot"]),
    "period": st.sampled_from(["pre", "post", "", " post"]),
    "unit": st.sampled_from(["", "A", " B ", " "]),
    "date": st.sampled_from(["", "2025-02-03", " 2025-03-01"]),
    "iteration": st.sampled_from(["", "1", "2", " 2"]),
    "covariate": st.sampled_from(["", "4.5", "-1e-3"]),
}
# Good, but only once stripped: the column check leaves these to the row check.
BLANKS = {"denominator": " ", "covariate": " "}
# Bad texts per column; for values and denominators, per metric.
SPOILERS = {
    "metric": ["other", "", "Wait"],
    "group": ["Pilot", ""],
    "period": ["during"],
    "date": ["2025-02-30", "03/02/2025"],
    "iteration": ["3", "x", "-1"],
    "covariate": ["x", "inf", "nan"],
}
BAD_VALUES = {
    "wait": ["nan", "inf", "x", ""],
    "fta": ["0.5", "2", "-1"],
    "cost": ["-inf", "1e400"],
    "nps": ["11", "2.5", "-1"],
}
BAD_DENOMINATORS = {"cost": ["0", "-1", "nan", "1e400", "", " "]}


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_rows_taken_in_chunks_end_on_the_lines_the_csv_reader_counts(small_chunks, line_break):
    text = observation_text(400).replace("multi\nline", f"multi{line_break}{line_break}line")
    text = text.replace("\n", line_break) if line_break != "\n" else text
    expected = [
        (row, reader.line_num)
        for reader in [csv.reader(io.StringIO(text, newline=""))]
        for row in reader
        if row
    ]
    reader, taken = csv.reader(io.StringIO(text, newline="")), []
    while (chunk := tables._next_rows(reader))[0]:
        taken.extend(zip(*chunk, strict=True))
    assert taken == expected
    assert any(line > n + 1 for n, (_, line) in enumerate(expected)), "rows span lines"


@st.composite
def observation_rows(draw) -> dict[str, str]:
    """A good row, sometimes with a blank cell or a single bad cell."""
    metric = draw(st.sampled_from(sorted(VALUES)))
    row = {"metric": metric, "value": draw(VALUES[metric])}
    row["denominator"] = draw(NUMBER) if metric == "cost" else ""
    row.update({name: draw(cells) for name, cells in CELLS.items()})
    change = draw(st.sampled_from(["none", "blank", "spoil", "spoil"]))
    if change == "blank" and metric != "cost":
        row.update(BLANKS)
    if change == "spoil":
        spoilers = spoilers_for(metric)
        name = draw(st.sampled_from(sorted(spoilers)))
        row[name] = draw(st.sampled_from(spoilers[name]))
    return row


def spoilers_for(metric: str) -> dict[str, list[str]]:
    return {
        **SPOILERS,
        "value": BAD_VALUES[metric],
        "denominator": BAD_DENOMINATORS.get(metric, ["2", "0"]),
    }


def check_both_ways(rows: list[dict[str, str]], metrics, iterations):
    """The chunk checked row by row (or its LoadError), and checked column-wise (or its error)."""
    names = sorted(rows[0])
    header = tables.Header("test", names, tables.OBSERVATION_COLUMNS, ())
    cells = [[row[name] for name in names] for row in rows]
    lines = list(range(2, 2 + len(cells)))
    try:
        by_rows = tables._checked_rows("test", cells, lines, header, metrics, iterations)
    except LoadError as error:
        by_rows = error
    try:
        by_columns = tables._checked_columns(cells, header, metrics, iterations)
    except ValueError as error:
        by_columns = error
    return by_rows, by_columns


def test_the_column_check_refuses_every_cell_the_row_check_refuses(app, loaded_kinds):
    metrics, iterations = loaded_kinds
    good = {"group": "pilot", "period": "post", "unit": "", "date": "", "iteration": "1"}
    good["covariate"] = ""
    for metric in VALUES:
        row = {**good, "metric": metric, "value": "1", "denominator": "2" * (metric == "cost")}
        for name, texts in spoilers_for(metric).items():
            for text in texts:
                by_rows, by_columns = check_both_ways([row, {**row, name: text}], *loaded_kinds)
                assert isinstance(by_rows, LoadError), (metric, name, text)
                assert isinstance(by_columns, ValueError), (metric, name, text)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(observation_rows(), min_size=1, max_size=5))
def test_a_chunk_the_column_check_accepts_is_one_the_row_check_accepts(app, loaded_kinds, rows):
    by_rows, by_columns = check_both_ways(rows, *loaded_kinds)
    if isinstance(by_rows, LoadError):
        assert isinstance(by_columns, ValueError)
    elif not isinstance(by_columns, ValueError):  # else the row check decides, as above
        assert by_columns == by_rows


def test_a_bad_cell_names_its_line_in_a_later_chunk_and_nothing_is_stored(
    app, write_folder, small_chunks
):
    lines = observation_text(300).splitlines(keepends=True)
    # A whole record near the end: past the first chunks, blank lines and multi-line records.
    bad_line = next(
        number
        for number in range(len(lines), 1, -1)
        if lines[number - 1].startswith("wait,")
        and '"' not in lines[number - 1]
        and lines[number - 2].count('"') % 2 == 0
    )
    lines[bad_line - 1] = "wait,pilot,post,,2025-05-01,1,soon,,\n"
    with pytest.raises(LoadError) as raised:
        load_path(write_folder("".join(lines)))
    db.session.rollback()
    assert (raised.value.line, raised.value.column, raised.value.field) == (bad_line, 7, "value")
    assert "'soon' is not a number" in str(raised.value)
    assert db.session.scalar(select(func.count()).select_from(Observation)) == 0
    assert db.session.scalar(select(func.count()).select_from(Pilot)) == 0


# Storing ----------------------------------------------------------------------


@pytest.fixture
def loaded_kinds(app, write_folder):
    """The pilot of DEFINITION with no observations; its metrics by key, its iterations."""
    load_path(write_folder("metric,group,value\n"))
    db.session.commit()
    pilot = db.session.scalar(select(Pilot))
    return {m.key: m for m in pilot.metrics}, {i.number for i in pilot.iterations}


def store_row_by_row(pilot: Pilot, chunks: list[list[tuple]]) -> ImportBatch:
    """The plain import: one SQLAlchemy insert per row, sums added up row by row."""
    batch = ImportBatch(pilot=pilot, origin="file", source="reference", digest="reference")
    db.session.add(batch)
    db.session.flush()
    cells: dict[tuple, np.ndarray] = {}
    scores: Counter = Counter()
    for chunk in chunks:
        chunk_cells: dict[tuple, list[float]] = {}
        for metric, group, period, iteration, unit, day, value, denominator, covariate in chunk:
            shift_reference(metric, value, denominator, covariate)
            db.session.execute(
                Observation.__table__.insert(),
                {
                    "batch_id": batch.id,
                    "metric_id": metric.id,
                    "group": group,
                    "period": period,
                    "iteration": iteration,
                    "unit": unit,
                    "day": day,
                    "value": value,
                    "denominator": denominator,
                    "covariate": covariate,
                },
            )
            key = (
                metric.id,
                GROUP_CODES[group],
                PERIOD_CODES[period],
                NONE if iteration is None else iteration,
                NONE if day is None else day.toordinal(),
            )
            sums = chunk_cells.setdefault(key, [0.0] * len(SUM_FIELDS))
            for position, term in enumerate(row_terms(metric, value, denominator, covariate)):
                sums[position] += term
            if metric.scale is not None:
                scores[(metric.id, group, period, iteration, int(value))] += 1
        for key in sorted(chunk_cells):
            cells[key] = cells.get(key, 0) + np.array(chunk_cells[key])
    for (metric_id, group, period, iteration, day), sums in cells.items():
        row = dict(zip(SUM_FIELDS, sums.tolist(), strict=True))
        row["n"], row["c_n"] = int(row["n"]), int(row["c_n"])
        db.session.add(
            Aggregate(
                batch_id=batch.id,
                metric_id=metric_id,
                group=("baseline", "pilot")[group],
                period=("pre", "post")[period],
                iteration=None if iteration == NONE else iteration,
                day=None if day == NONE else date.fromordinal(day),
                **row,
            )
        )
    for (metric_id, group, period, iteration, value), count in scores.items():
        db.session.add(
            ValueCount(
                batch_id=batch.id,
                metric_id=metric_id,
                group=group,
                period=period,
                iteration=iteration,
                value=value,
                count=count,
            )
        )
    db.session.flush()
    return batch


def shift_reference(metric: Metric, value, denominator, covariate) -> None:
    if metric.shift_value is None:
        metric.shift_value = 0.0 if metric.kind == "proportion" else value
    if denominator is not None and metric.shift_denominator is None:
        metric.shift_denominator = denominator
    if covariate is not None and metric.shift_covariate is None:
        metric.shift_covariate = covariate


def row_terms(metric: Metric, value, denominator, covariate) -> list[float]:
    x = value - metric.shift_value
    d = 0.0 if denominator is None else denominator - (metric.shift_denominator or 0.0)
    c = 0.0 if covariate is None else covariate - (metric.shift_covariate or 0.0)
    has_c = covariate is not None
    xc = x if has_c else 0.0
    return [1.0, x, x * x, d, d * d, x * d, float(has_c), c, c * c, xc * c, xc, xc * xc]


def stored(batch: ImportBatch) -> dict[str, list[tuple]]:
    """Everything a batch stored, in the order it was written, without ids."""

    def rows(model, columns):
        query = select(*(getattr(model, c) for c in columns)).where(model.batch_id == batch.id)
        return [tuple(row) for row in db.session.execute(query.order_by(model.id))]

    return {
        "observations": rows(
            Observation,
            ("metric_id", "group", "period", "iteration", "unit", "day", "value")
            + ("denominator", "covariate"),
        ),
        "aggregates": rows(
            Aggregate, ("metric_id", "group", "period", "iteration", "day", *SUM_FIELDS)
        ),
        "value_counts": rows(
            ValueCount, ("metric_id", "group", "period", "iteration", "value", "count")
        ),
    }


def shifts(pilot: Pilot) -> list[tuple]:
    return [(m.key, m.shift_value, m.shift_denominator, m.shift_covariate) for m in pilot.metrics]


def reset_shifts(pilot: Pilot) -> None:
    for metric in pilot.metrics:
        metric.shift_value = metric.shift_denominator = metric.shift_covariate = None


def add_one_by_one(writer: BatchWriter, chunks) -> None:
    for chunk in chunks:
        writer.add(chunk)


@pytest.mark.parametrize(
    "add",
    [add_one_by_one, BatchWriter.add_all],
    ids=["chunks stored one by one", "stored while the next is read"],
)
@pytest.mark.parametrize(
    "rows_per_insert", [7, copy.ROWS_PER_INSERT], ids=["inserts of 7 rows", "of the default"]
)
@pytest.mark.parametrize("covariate", [True, False], ids=["with covariates", "without"])
@pytest.mark.parametrize("padded", [True, False], ids=["padded cells", "cells as stored"])
def test_an_import_stores_what_a_row_by_row_import_stores(
    app, loaded_kinds, small_chunks, monkeypatch, covariate, padded, rows_per_insert, add
):
    # Chunks of 64 rows: with 7 rows per INSERT, whole INSERTs and rows carried
    # over to the next chunk, whose columns may differ (a chunk without covariates).
    monkeypatch.setattr(copy, "ROWS_PER_INSERT", rows_per_insert)
    metrics, iterations = loaded_kinds
    pilot = db.session.scalar(select(Pilot))
    text = observation_text(700, covariate=covariate, padded=padded)
    reference_rows = read_row_by_row(text, metrics, iterations)
    chunks = [reference_rows[i : i + 64] for i in range(0, len(reference_rows), 64)]
    expected = stored(store_row_by_row(pilot, chunks))
    expected_shifts = shifts(pilot)
    reset_shifts(pilot)

    writer = BatchWriter(pilot, "file", "observations.csv", "fast")
    add(
        writer,
        tables.parse_observations(
            "observations.csv", io.StringIO(text, newline=""), metrics, iterations
        ),
    )
    actual = stored(writer.finish())
    db.session.commit()

    assert shifts(pilot) == expected_shifts
    assert actual["observations"] == expected["observations"]
    assert actual["value_counts"] == expected["value_counts"]
    assert actual["aggregates"] == expected["aggregates"]
    assert len(actual["observations"]) == 700
    assert actual["value_counts"], "the score metric's values are counted"


@pytest.mark.parametrize(
    "add",
    [add_one_by_one, BatchWriter.add_all],
    ids=["chunks stored one by one", "stored while the next is read"],
)
def test_chunks_built_by_hand_store_what_a_row_by_row_import_stores(
    app, loaded_kinds, monkeypatch, add
):
    # Three rows per INSERT: the first chunk leaves a row over, and the second
    # has no units, so that row is inserted before the second chunk's rows.
    monkeypatch.setattr(copy, "ROWS_PER_INSERT", 3)
    metrics, _ = loaded_kinds
    pilot = db.session.scalar(select(Pilot))
    rows = [
        (metrics["cost"], "pilot", "post", 2, None, date(2025, 3, 4), 120.5, 3.0, None),
        (metrics["wait"], "baseline", "pre", None, "A", None, 12.25, None, 11.0),
        (metrics["nps"], "pilot", "post", 1, "B", date(2025, 3, 4), 9.0, None, None),
        (metrics["wait"], "baseline", "pre", None, "A", None, 14.0, None, None),
        (metrics["nps"], "pilot", "post", 1, None, date(2025, 3, 4), 9.0, None, 7.0),
        (metrics["fta"], "baseline", "post", 1, None, date(2025, 3, 5), 1.0, None, None),
    ]
    expected = stored(store_row_by_row(pilot, [rows[:4], rows[4:]]))
    expected_shifts = shifts(pilot)
    reset_shifts(pilot)

    writer = BatchWriter(pilot, "api", "hand", "hand")
    add(writer, [chunk_of(rows[:4]), chunk_of(rows[4:])])
    actual = stored(writer.finish())

    assert shifts(pilot) == expected_shifts
    assert actual == expected


def test_a_load_rolls_back_rows_already_copied_when_a_later_step_fails(
    app, write_folder, small_chunks, monkeypatch
):
    def fail(_batch_writer):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(BatchWriter, "_write_aggregates", fail)
    with pytest.raises(RuntimeError):
        load_path(write_folder(observation_text(200)))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Observation)) == 0


def chunk_of(rows: list[tuple]) -> ObservationChunk:
    return ObservationChunk(*(list(column) for column in zip(*rows, strict=True)))


# Inserting on a thread of its own while the next chunk is read ---------------------


@pytest.fixture
def insert_sizes(app):
    """The number of rows of each INSERT into observation that SQLite runs."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL takes the rows by COPY")
    sizes = []

    def traced(statement: str) -> None:
        if statement.startswith("INSERT INTO observation "):
            sizes.append(statement.count("), (") + 1)

    driver = db.session.connection().connection.driver_connection
    driver.set_trace_callback(traced)
    yield sizes
    driver.set_trace_callback(None)


def test_rows_short_of_a_whole_insert_wait_for_the_next_chunk(
    app, loaded_kinds, small_chunks, monkeypatch, insert_sizes
):
    monkeypatch.setattr(copy, "ROWS_PER_INSERT", 7)
    metrics, iterations = loaded_kinds
    pilot = db.session.scalar(select(Pilot))
    text = observation_text(700, covariate=False, padded=False)
    writer = BatchWriter(pilot, "file", "observations.csv", "carried")
    writer.add_all(tables.parse_observations("observations.csv", io.StringIO(text), metrics))
    writer.finish()

    # Chunks of 64 rows each leave a row over; carried on, they fill whole INSERTs.
    assert Counter(insert_sizes) == {7: 100}


def test_an_insert_refused_on_its_thread_stops_the_import_at_the_next_chunk(
    app, loaded_kinds, monkeypatch
):
    monkeypatch.setattr(copy, "ROWS_PER_INSERT", 1)  # no row waits for the end
    metrics, _ = loaded_kinds
    pilot = db.session.scalar(select(Pilot))
    unknown = Metric(id=10_000, key="gone", name="Gone", kind="mean", direction="increase")
    row = ("pilot", "post", 1, None, date(2025, 3, 4), 12.5, None, None)
    taken = []

    def chunks():
        for number, metric in enumerate([metrics["wait"], unknown, metrics["wait"]] * 2):
            taken.append(number)
            yield chunk_of([(metric, *row)])

    writer = BatchWriter(pilot, "api", "hand", "hand")
    with pytest.raises(db.engine.dialect.dbapi.IntegrityError):
        writer.add_all(chunks())
    # Chunk 1 is refused on the thread; handing over chunk 2 reports it, and
    # nothing more of the file is read.
    assert taken == [0, 1, 2]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Observation)) == 0


def test_an_error_while_reading_waits_for_the_insert_on_its_thread(app, loaded_kinds, monkeypatch):
    metrics, _ = loaded_kinds
    pilot = db.session.scalar(select(Pilot))
    events, reading_failed = [], threading.Event()
    write = copy.ObservationRows._write

    def write_after_the_error(rows, columns, distinct):
        reading_failed.wait(timeout=10)
        write(rows, columns, distinct)
        events.append("insert finished")

    def chunks():
        yield chunk_of([(metrics["wait"], "pilot", "post", 1, None, None, 12.5, None, None)])
        events.append("reading failed")
        reading_failed.set()
        raise LoadError("observations.csv", "a bad cell", 3)

    monkeypatch.setattr(copy.ObservationRows, "_write", write_after_the_error)
    writer = BatchWriter(pilot, "api", "hand", "hand")
    with pytest.raises(LoadError):
        writer.add_all(chunks())
    events.append("error reported")

    assert events == ["reading failed", "insert finished", "error reported"]
    assert not [t for t in threading.enumerate() if t.name.startswith("observation-rows")]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Observation)) == 0


# Reading a file: plain blocks split with numpy, the rest by the csv reader --------


@pytest.fixture
def small_blocks(monkeypatch):
    # Many blocks, so the plain path hands over to the csv reader in mid-file.
    monkeypatch.setattr(plain_csv, "BLOCK_BYTES", 1024)


@pytest.fixture
def csv_reader_calls(monkeypatch):
    """How many times the csv reader took over from the plain path."""
    calls = []
    parse_rows = tables._parse_rows

    def counted(*args, **kwargs):
        calls.append(args)
        return parse_rows(*args, **kwargs)

    monkeypatch.setattr(tables, "_parse_rows", counted)
    return calls


def read_file(path, metrics, iterations) -> list[tuple]:
    return [
        row
        for chunk in tables.read_observations(path, metrics, iterations)
        for row in zip(*(getattr(chunk, name) for name in tables.OBSERVATION_FIELDS), strict=True)
    ]


def late_line(lines: list[str]) -> int:
    """A line near the end that holds one whole record of metric 'wait'."""
    return next(
        number
        for number in range(len(lines), 1, -1)
        if lines[number - 1].startswith("wait,")
        and '"' not in lines[number - 1]
        and lines[number - 2].count('"') % 2 == 0
    )


def with_late_line(text: str, change) -> str:
    lines = text.splitlines(keepends=True)
    number = late_line(lines)
    lines[number - 1] = change(lines[number - 1])
    return "".join(lines)


def quote_group(line: str) -> str:
    metric, group, rest = line.split(",", 2)
    return f'{metric},"{group}",{rest}'


VARIANTS = {
    "plain": (lambda text: text, 0),
    "spaced cells": (lambda text: text.replace(",pilot,", ", pilot ,"), 0),
    "CR LF": (lambda text: text.replace("\n", "\r\n"), 0),
    "no last line break": (lambda text: text.rstrip("\n"), 0),
    "non-ASCII units": (lambda text: text.replace(",U3,", ",Zürich,"), 0),
    "quoted cell late": (
        lambda text: with_late_line(text, quote_group),
        1,
    ),
    "CR line ends late": (
        lambda text: with_late_line(text, lambda line: line.replace("\n", "\r")),
        1,
    ),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_reading_a_file_gives_what_reading_row_by_row_gives(
    app, loaded_kinds, small_blocks, csv_reader_calls, tmp_path, variant
):
    change, handovers = VARIANTS[variant]
    text = change(observation_text(600, padded=False))
    path = tmp_path / "observations.csv"
    path.write_bytes(text.encode())
    expected = read_row_by_row(text, *loaded_kinds)
    assert len(expected) == 600
    assert read_file(path, *loaded_kinds) == expected
    assert len(csv_reader_calls) == handovers


def test_a_file_with_a_byte_order_mark_or_quotes_throughout_reads_the_same(
    app, loaded_kinds, small_blocks, tmp_path
):
    text = observation_text(300)  # quoted multi-line cells from the first rows on
    path = tmp_path / "observations.csv"
    path.write_bytes(codecs.BOM_UTF8 + text.encode())
    assert read_file(path, *loaded_kinds) == read_row_by_row(text, *loaded_kinds)


@pytest.mark.parametrize("padded", [False, True], ids=["plain", "quoted"])
def test_a_bad_cell_in_a_late_block_is_named_by_its_line_and_column(
    app, loaded_kinds, small_blocks, tmp_path, padded
):
    lines = observation_text(600, padded=padded).splitlines(keepends=True)
    bad_line = late_line(lines)
    lines[bad_line - 1] = "wait,pilot,post,U1,2025-05-01,1,soon,,\n"
    path = tmp_path / "observations.csv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(LoadError) as raised:
        read_file(path, *loaded_kinds)
    assert (raised.value.line, raised.value.column, raised.value.field) == (bad_line, 7, "value")


def test_a_byte_that_is_not_utf8_in_a_late_block_is_named_by_its_line(
    app, loaded_kinds, small_blocks, tmp_path
):
    lines = observation_text(600, padded=False).encode().splitlines(keepends=True)
    bad_line = len(lines) - 3
    lines[bad_line - 1] = lines[bad_line - 1].replace(b",U", b",\xffU", 1)
    path = tmp_path / "observations.csv"
    path.write_bytes(b"".join(lines))
    with pytest.raises(LoadError) as raised:
        read_file(path, *loaded_kinds)
    assert raised.value.line == bad_line
    assert "not UTF-8" in str(raised.value)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(observation_rows(), min_size=1, max_size=40),
    line_break=st.sampled_from(["\n", "\r\n"]),
)
def test_a_plain_file_reads_as_its_rows_checked_one_by_one(
    app, loaded_kinds, tmp_path, monkeypatch, rows, line_break
):
    monkeypatch.setattr(plain_csv, "BLOCK_BYTES", 64)
    names = sorted(rows[0])
    lines = [names] + [[row[name] for name in names] for row in rows]
    path = tmp_path / "observations.csv"
    path.write_bytes("".join(",".join(line) + line_break for line in lines).encode())
    header = tables.Header("test", names, tables.OBSERVATION_COLUMNS, ())
    cells = lines[1:]
    try:
        chunk = tables._checked_rows(
            str(path), cells, list(range(2, 2 + len(cells))), header, *loaded_kinds
        )
        expected = list(zip(*(getattr(chunk, n) for n in tables.OBSERVATION_FIELDS), strict=True))
    except LoadError as error:
        expected = (error.line, error.column, error.field)
    try:
        found = read_file(path, *loaded_kinds)
    except LoadError as error:
        found = (error.line, error.column, error.field)
    assert found == expected
