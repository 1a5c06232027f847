"""Benchmark: analysing a pilot from its stored sums against reading its rows into scipy.

A generated pilot (four metrics, baseline and pilot groups, pre and post
periods over a year, iterations 1-4) is stored once per size and reused by
later runs. Each size then measures, in this process:

- ``analyse_pilot``: every hypothesis from the per-day aggregates (warm, repeated);
- the row-level alternative: one SELECT per group of each hypothesis into numpy,
  then scipy (Welch t, two-proportion z, Welch t on per-row ratios).

Run from the project root::

    python bench/analyze.py [--sizes 1000000 10000000] [--database-url URL]

Without ``--database-url`` each size gets its own SQLite file in ``bench/.data/``;
delete a file (or drop the database) to build that size again.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import scipy
import sqlalchemy
from scipy import stats
from sqlalchemy import func, select

from testbed import create_app
from testbed.config import normalise_database_url
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.pilots.models import Hypothesis, Metric, Pilot
from testbed.results.gather import ARMS
from testbed.results.services import analyse_pilot
from testbed.store.models import ImportBatch, Observation
from testbed.store.services import BatchWriter, ObservationChunk

DATA_DIR = Path(__file__).resolve().parent / ".data"
DEFAULT_SIZES = (1_000_000, 10_000_000)
CHUNK_ROWS = 100_000
ANALYSE_REPEATS = 20
NAIVE_REPEATS = 3
SEED = 20261124

YEAR_START = date(2025, 1, 1)
DAYS = [YEAR_START + timedelta(days=offset) for offset in range(365)]
PILOT_START = date(2025, 4, 1)  # the first quarter is the pre-period
PRE_DAYS = (PILOT_START - YEAR_START).days
ITERATIONS = 4  # the post-period is split evenly into iterations 1-4

DEFINITION = """\
    slug = "{slug}"
    name = "Generated call-centre pilot, {size:,} observations"
    status = "active"
    start_date = {start}
    departments = ["Operations"]

    [partner]
    name = "Benchmark Contact Centre"
    segment = "services"

    [[metrics]]
    key = "handle_time"
    name = "Average handle time"
    kind = "mean"
    direction = "decrease"
    unit = "seconds"

    [[metrics]]
    key = "resolved"
    name = "Resolved on first contact"
    kind = "proportion"
    direction = "increase"

    [[metrics]]
    key = "cost_per_contact"
    name = "Cost per contact"
    kind = "ratio"
    direction = "decrease"
    unit = "EUR per contact"

    [[metrics]]
    key = "wait_time"
    name = "Waiting time"
    kind = "mean"
    direction = "decrease"
    unit = "minutes"

    [[hypotheses]]
    key = "H1"
    statement = "The pilot shortens handle time."
    metric = "handle_time"
    role = "primary"

    [[hypotheses]]
    key = "H2"
    statement = "The pilot resolves more contacts first time."
    metric = "resolved"
    role = "secondary"

    [[hypotheses]]
    key = "H3"
    statement = "The pilot lowers the cost per contact."
    metric = "cost_per_contact"
    role = "secondary"

    [[hypotheses]]
    key = "H4"
    statement = "The pilot shortens waiting time."
    metric = "wait_time"
    role = "secondary"

    [[hypotheses]]
    key = "H5"
    statement = "Handle time in the pilot group is shorter than before the pilot."
    metric = "handle_time"
    role = "secondary"
    design = "pre_post"
    {iterations}
    """


@dataclass(frozen=True)
class Measurement:
    """What one size measured; times in milliseconds."""

    database: str
    size: int
    first_ms: float
    analyse_ms: list[float]
    analyse_cpu_ms: list[float]
    naive_ms: list[float]
    naive_load_ms: list[float]
    largest_t_gap: float


def main() -> None:
    args = parse_args()
    print_machine(args.database_url)
    measurements = []
    for size in args.sizes:
        if args.database_url:
            url, own_file = normalise_database_url(args.database_url), None
        else:
            own_file = DATA_DIR / f"analyze-{size}.sqlite"
            url = f"sqlite:///{own_file}"
        measurements.append(run_size(url, own_file, size))
    print_table(measurements)
    print_findings(measurements)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--database-url", help="default: one SQLite file per size in bench/.data/")
    return parser.parse_args()


def run_size(url: str, own_file: Path | None, size: int) -> Measurement:
    DATA_DIR.mkdir(exist_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        prepare_schema(own_file)
        pilot, build = stored_pilot(size)
        print(f"N={size:,}: {build}", flush=True)
        times, cpu_times = time_analyse(pilot)
        naive_ms, naive_load_ms, naive_tests = time_naive(pilot)
        measurement = Measurement(
            database=db.engine.dialect.name,
            size=size,
            first_ms=times[0],
            analyse_ms=times[1:],
            analyse_cpu_ms=cpu_times[1:],
            naive_ms=naive_ms,
            naive_load_ms=naive_load_ms,
            largest_t_gap=largest_t_gap(analyse_pilot(pilot), naive_tests),
        )
        db.session.remove()
        db.engine.dispose()
    return measurement


# Building the pilot ----------------------------------------------------------


def prepare_schema(own_file: Path | None) -> None:
    """Create the tables; a file of ours built for older models is started afresh."""
    if not schema_is_current():
        if own_file is None:
            raise SystemExit("the database's tables differ from the models: recreate it")
        db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            own_file.with_name(own_file.name + suffix).unlink(missing_ok=True)
    db.create_all()


def schema_is_current() -> bool:
    """Whether every table that exists has exactly the columns the models declare."""
    inspector = sqlalchemy.inspect(db.engine)
    return all(
        {column["name"] for column in inspector.get_columns(table.name)}
        == set(table.columns.keys())
        for table in db.Model.metadata.sorted_tables
        if inspector.has_table(table.name)
    )


def stored_pilot(size: int) -> tuple[Pilot, str]:
    """The generated pilot of ``size`` observations, built unless already stored."""
    slug = f"bench-analyze-{size}"
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == slug))
    if pilot is not None:
        stored = db.session.scalar(
            select(func.sum(ImportBatch.rows)).where(ImportBatch.pilot_id == pilot.id)
        )
        if stored != size:
            raise SystemExit(f"pilot '{slug}' holds {stored} rows, not {size}; drop it first")
        return pilot, f"reused, {pilot.summary}"
    return build_pilot(slug, size)


def build_pilot(slug: str, size: int) -> tuple[Pilot, str]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_definition(Path(folder), slug, size)
        load_path(Path(folder))
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == slug))
    digest = hashlib.sha256(f"{slug} seed={SEED}".encode()).hexdigest()
    writer = BatchWriter(pilot, "api", "bench/analyze.py", digest)
    writer.add_all(observation_chunks(pilot.metrics, size, np.random.default_rng(SEED)))
    writer.finish()
    seconds = time.perf_counter() - started
    pilot.summary = f"built in {seconds:.1f} s ({size / seconds:,.0f} rows/s)"
    db.session.commit()
    return pilot, pilot.summary


def write_definition(folder: Path, slug: str, size: int) -> None:
    iterations = "\n".join(
        f'[[iterations]]\n    number = {n}\n    title = "Iteration {n}"'
        for n in range(1, ITERATIONS + 1)
    )
    text = DEFINITION.format(slug=slug, size=size, start=PILOT_START, iterations=iterations)
    (folder / "pilot.toml").write_text(textwrap.dedent(text), encoding="utf-8")


def observation_chunks(
    metrics: list[Metric], size: int, rng: np.random.Generator
) -> Iterator[ObservationChunk]:
    """``size`` observations split evenly across the metrics, in chunks."""
    for index, metric in enumerate(metrics):
        rows = size // len(metrics) + (index < size % len(metrics))
        for start in range(0, rows, CHUNK_ROWS):
            yield observation_chunk(metric, min(CHUNK_ROWS, rows - start), rng)


def observation_chunk(metric: Metric, rows: int, rng: np.random.Generator) -> ObservationChunk:
    """Rows of one metric: days uniform over the year, each row in either group at random.

    The pilot's effect shows only in the pilot group's post-period rows.
    """
    day = rng.integers(0, len(DAYS), rows)
    in_pilot = rng.random(rows) < 0.5
    post = day >= PRE_DAYS
    iteration = np.where(post, 1 + (day - PRE_DAYS) * ITERATIONS // (len(DAYS) - PRE_DAYS), 0)
    value, denominator = DRAWS[metric.key](rng, in_pilot & post)
    return ObservationChunk(
        metric=[metric] * rows,
        group=np.where(in_pilot, "pilot", "baseline").tolist(),
        period=np.where(post, "post", "pre").tolist(),
        iteration=[i or None for i in iteration.tolist()],
        unit=[None] * rows,
        day=[DAYS[d] for d in day.tolist()],
        value=value.tolist(),
        denominator=[None] * rows if denominator is None else denominator.tolist(),
        covariate=[None] * rows,
    )


def handle_time(rng: np.random.Generator, treated: np.ndarray):
    return rng.normal(360.0 - 6.0 * treated, 90.0), None


def resolved(rng: np.random.Generator, treated: np.ndarray):
    return (rng.random(treated.size) < 0.70 + 0.01 * treated).astype(float), None


def cost_per_contact(rng: np.random.Generator, treated: np.ndarray):
    # One row per agent shift: its cost and the contacts it handled.
    contacts = rng.poisson(40.0, treated.size) + 1.0
    return contacts * rng.gamma(16.0, (4.0 - 0.05 * treated) / 16.0), contacts


def wait_time(rng: np.random.Generator, treated: np.ndarray):
    return rng.gamma(2.0, (6.0 - 0.1 * treated) / 2.0), None


DRAWS = {
    "handle_time": handle_time,
    "resolved": resolved,
    "cost_per_contact": cost_per_contact,
    "wait_time": wait_time,
}


# Measuring -------------------------------------------------------------------


def time_analyse(pilot: Pilot) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``analyse_pilot``: the first call, then warm repeats.

    The session forgets its loaded objects before each call, as a new request's
    would, so the hypotheses and metrics are read again every time. CPU time
    is this process's only: it leaves out waiting for other processes (and
    the work of a database server).
    """
    times, cpu_times = [], []
    for _ in range(ANALYSE_REPEATS + 1):
        db.session.expire_all()
        started, cpu_started = time.perf_counter(), time.process_time()
        analyse_pilot(pilot)
        times.append(1000 * (time.perf_counter() - started))
        cpu_times.append(1000 * (time.process_time() - cpu_started))
    return times, cpu_times


def time_naive(pilot: Pilot) -> tuple[list[float], list[float], dict[str, tuple]]:
    """Milliseconds of the row-level analysis (total and SELECT part), and its tests."""
    totals, loads = [], []
    for _ in range(NAIVE_REPEATS):
        db.session.expire_all()
        started = time.perf_counter()
        load_seconds, tests = 0.0, {}
        for hypothesis in pilot.hypotheses:
            load_started = time.perf_counter()
            baseline, treated = hypothesis_rows(hypothesis)
            load_seconds += time.perf_counter() - load_started
            tests[hypothesis.key] = TESTS[hypothesis.metric.kind](baseline, treated)
        totals.append(1000 * (time.perf_counter() - started))
        loads.append(1000 * load_seconds)
    return totals, loads, tests


def hypothesis_rows(hypothesis: Hypothesis) -> list[np.ndarray]:
    """The raw rows of the hypothesis' baseline and pilot cells, one SELECT each."""
    metric = hypothesis.metric
    columns = [Observation.value]
    if metric.kind == "ratio":
        columns.append(Observation.denominator)
    arms = []
    for group, period in ARMS[hypothesis.design]:
        query = select(*columns).where(
            Observation.metric_id == metric.id,
            Observation.group == group,
            Observation.period == period,
        )
        # Plain tuples: numpy reads SQLAlchemy rows ten times slower, which would
        # flatter the sums.
        rows = [tuple(row) for row in db.session.execute(query)]
        arms.append(np.array(rows, dtype=float).reshape(-1, len(columns)))
    return arms


def welch_t(baseline: np.ndarray, pilot: np.ndarray) -> tuple[float, float]:
    """Welch t and p-value of pilot - baseline on the first column."""
    result = stats.ttest_ind(pilot[:, 0], baseline[:, 0], equal_var=False)
    return float(result.statistic), float(result.pvalue)


def two_proportion_z(baseline: np.ndarray, pilot: np.ndarray) -> tuple[float, float]:
    """Pooled two-proportion z and p-value of pilot - baseline on 0/1 values."""
    x, y = baseline[:, 0], pilot[:, 0]
    pooled = (x.sum() + y.sum()) / (x.size + y.size)
    z = (y.mean() - x.mean()) / np.sqrt(pooled * (1 - pooled) * (1 / x.size + 1 / y.size))
    return float(z), float(2 * stats.norm.sf(abs(z)))


def row_ratio_t(baseline: np.ndarray, pilot: np.ndarray) -> tuple[float, float]:
    """Welch t on each row's numerator / denominator."""
    return welch_t(baseline[:, :1] / baseline[:, 1:], pilot[:, :1] / pilot[:, 1:])


TESTS = {"mean": welch_t, "proportion": two_proportion_z, "ratio": row_ratio_t}


def largest_t_gap(analysis: dict, naive_tests: dict[str, tuple]) -> float:
    """Largest difference of Welch t between sums and rows, over the mean metrics."""
    return max(
        abs(result["statistic"] - naive_tests[result["hypothesis"]][0])
        for result in analysis["results"]
        if result["kind"] == "mean"
    )


# Reporting -------------------------------------------------------------------


def print_machine(database_url: str | None) -> None:
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores")
    print(f"Python {platform.python_version()} on {platform.system()} {platform.release()}")
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, SQLAlchemy {sqlalchemy.__version__}")
    print(f"database: {database_version(database_url)}")
    print(f"load average at the start: {load_average()}", flush=True)


def load_average() -> str:
    # Other processes on the machine move the figures; say how busy it was.
    return "{:.2f} {:.2f} {:.2f} (1, 5, 15 min)".format(*os.getloadavg())


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def database_version(database_url: str | None) -> str:
    engine = sqlalchemy.create_engine(normalise_database_url(database_url or "sqlite://"))
    with engine.connect() as connection:
        version = ".".join(str(part) for part in connection.dialect.server_version_info)
    engine.dispose()
    where = "SQLite files in bench/.data/" if database_url is None else engine.url.database
    return f"{engine.dialect.name} {version} ({where})"


def print_table(measurements: list[Measurement]) -> None:
    print()
    print(
        "| database | N | rows per metric | analyze first ms | analyze median ms | "
        "analyze p95 ms | analyze CPU median ms | naive median ms | of which SELECT ms | "
        "naive / analyze |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for m in measurements:
        analyse = statistics.median(m.analyse_ms)
        naive = statistics.median(m.naive_ms)
        print(
            f"| {m.database} | {m.size:,} | {m.size // len(DRAWS):,} | {m.first_ms:.1f} | "
            f"{analyse:.1f} | {np.percentile(m.analyse_ms, 95):.1f} | "
            f"{statistics.median(m.analyse_cpu_ms):.1f} | {naive:,.0f} | "
            f"{statistics.median(m.naive_load_ms):,.0f} | {naive / analyse:,.0f}x |"
        )


def print_findings(measurements: list[Measurement]) -> None:
    print()
    for m in measurements:
        gap = m.largest_t_gap
        print(f"N={m.size:,}: Welch t from sums and from rows differ by at most {gap:.1e}")
    if len(measurements) > 1:
        smallest, largest = measurements[0], measurements[-1]
        growth = statistics.median(largest.analyse_ms) / statistics.median(smallest.analyse_ms)
        print(
            f"analyze median at N={largest.size:,} is {growth:.2f}x that at N={smallest.size:,} "
            f"({largest.size / smallest.size:.0f}x the rows)"
        )
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
