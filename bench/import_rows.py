"""Benchmark: ``testbed load`` of a generated observation file: time and peak memory.

A pilot folder with N observation rows (a call-centre pilot: four metrics, one
of them a ratio with a denominator, units, days over a year, pre and post
periods, iterations 1-4) is generated once per size in ``bench/.data/`` and
reused. Each run then loads it into an empty database in a fresh process,
exactly as ``testbed load`` does (read, check every cell, store rows and sums,
one commit), and reports:

- the load's wall time (interpreter start-up and imports excluded) and its
  CPU time (this process only: PostgreSQL's own work runs in the server);
- the process's peak resident memory, and its growth from just before the
  load: flat from one to ten million rows because the file is streamed.

Run from the project root::

    python bench/import_rows.py [--sizes 1000000 10000000] [--repeats 3]
    python bench/import_rows.py --database-url postgresql://postgres@127.0.0.1/testbed_bench

Without ``--database-url`` every run gets a new SQLite file in ``bench/.data/``.
A ``--database-url`` database is emptied (every table dropped) before each run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from run import DATA_DIR, describe_machine, load_average

DEFAULT_SIZES = (1_000_000, 10_000_000)
BLOCK_ROWS = 100_000
SEED = 20261124
METRICS = ("handle_time", "resolved", "cost_per_contact", "wait_time")
DAYS = [(date(2025, 1, 1) + timedelta(days=n)).isoformat() for n in range(365)]
PRE_DAYS = 90  # January to March is the pre-period
ITERATIONS = 4
AGENTS = [f"A{n:03d}" for n in range(200)]

DEFINITION = """\
    slug = "bench-import"
    name = "Generated call-centre pilot, {size:,} observations"
    status = "active"
    start_date = 2025-04-01
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
    {iterations}
    """


@dataclass(frozen=True)
class Run:
    """One load in its own process."""

    database: str
    rows: int
    seconds: float
    cpu_seconds: float
    peak_mb: float
    before_mb: float
    load_average: str

    @property
    def growth_mb(self) -> float:
        return self.peak_mb - self.before_mb


def main() -> None:
    args = parse_args()
    if args.child:
        child(Path(args.child), args.database_url)
        return
    print(describe_machine(args.database_url), flush=True)
    runs = [
        run
        for size in args.sizes
        for run in measure(size, args.database_url, args.repeats if size <= 1_000_000 else 1)
    ]
    print_table(runs)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(run) for run in runs]), encoding="utf-8")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--repeats", type=int, default=3, help="runs per size up to 1,000,000")
    parser.add_argument("--database-url", help="emptied before each run; default: SQLite files")
    parser.add_argument("--json", help="also write the runs to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args()


def measure(size: int, database_url: str | None, repeats: int) -> list[Run]:
    folder = pilot_folder(size)
    runs = []
    for _ in range(repeats):
        url = database_url or fresh_sqlite_url(size)
        output = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), "--database-url", url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        run = Run(**json.loads(output.splitlines()[-1]))
        print(
            f"{run.database} N={size:,}: {run.seconds:.2f} s, peak {run.peak_mb:.0f} MB",
            flush=True,
        )
        runs.append(run)
    return runs


def fresh_sqlite_url(size: int) -> str:
    path = DATA_DIR / f"import-{size}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return f"sqlite:///{path}"


# The generated pilot -----------------------------------------------------------


def pilot_folder(size: int) -> Path:
    """The pilot folder of ``size`` rows, written unless a complete one is there."""
    folder = DATA_DIR / f"import-{size}"
    done = folder / "complete"
    if done.is_file():
        return folder
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    iterations = "\n".join(
        f'[[iterations]]\n    number = {n}\n    title = "Iteration {n}"'
        for n in range(1, ITERATIONS + 1)
    )
    text = DEFINITION.format(size=size, iterations=iterations)
    (folder / "pilot.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    rng = np.random.default_rng(SEED)
    with (folder / "observations.csv").open("w", encoding="utf-8", newline="") as stream:
        stream.write("metric,group,period,unit,date,iteration,value,denominator\n")
        for start in range(0, size, BLOCK_ROWS):
            stream.write(csv_block(rng, min(BLOCK_ROWS, size - start)))
    done.write_text(str(size), encoding="utf-8")
    print(f"wrote {folder} in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def csv_block(rng: np.random.Generator, rows: int) -> str:
    """``rows`` lines: metrics, groups, agents and days at random; the pilot's effect is small."""
    metric = rng.integers(0, len(METRICS), rows)
    day = rng.integers(0, len(DAYS), rows)
    in_pilot = rng.random(rows) < 0.5
    post = day >= PRE_DAYS
    iteration = np.where(post, 1 + (day - PRE_DAYS) * ITERATIONS // (len(DAYS) - PRE_DAYS), 0)
    treated = in_pilot & post
    contacts = rng.poisson(40.0, rows) + 1
    values = np.select(
        [metric == 0, metric == 1, metric == 2],
        [
            rng.normal(360.0 - 6.0 * treated, 90.0).round(1),
            (rng.random(rows) < 0.70 + 0.01 * treated).astype(float),
            (contacts * rng.gamma(16.0, (4.0 - 0.05 * treated) / 16.0)).round(2),
        ],
        rng.gamma(2.0, (6.0 - 0.1 * treated) / 2.0).round(2),
    )
    columns = [
        np.array(METRICS)[metric].tolist(),
        np.where(in_pilot, "pilot", "baseline").tolist(),
        np.where(post, "post", "pre").tolist(),
        np.array(AGENTS)[rng.integers(0, len(AGENTS), rows)].tolist(),
        np.array(DAYS)[day].tolist(),
        [str(i) if i else "" for i in iteration.tolist()],
        [f"{v:g}" for v in values.tolist()],
        np.where(metric == 2, contacts.astype(str), "").tolist(),
    ]
    return "".join(",".join(row) + "\n" for row in zip(*columns, strict=True))


# The load, in a process of its own ------------------------------------------------


def child(folder: Path, database_url: str) -> None:
    from testbed import create_app
    from testbed.extensions import db
    from testbed.files.loader import load_path

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.commit()
        before_mb = rss_mb()
        average = load_average()
        started, cpu_started = time.perf_counter(), time.process_time()
        outcome = load_path(folder)[0]
        db.session.commit()
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        database = db.engine.dialect.name
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    run = Run(database, outcome.rows, seconds, cpu_seconds, peak_mb, before_mb, average)
    print(json.dumps(asdict(run)))


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def print_table(runs: list[Run]) -> None:
    print()
    print(
        "| database | rows | runs | load s (median) | fastest s | rows/s | CPU s | "
        "peak RSS MB | growth during load MB | load average (1 min) |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for (database, rows), group in grouped(runs).items():
        seconds = statistics.median(run.seconds for run in group)
        print(
            f"| {database} | {rows:,} | {len(group)} | {seconds:.2f} | "
            f"{min(run.seconds for run in group):.2f} | {rows / seconds:,.0f} | "
            f"{statistics.median(run.cpu_seconds for run in group):.2f} | "
            f"{max(run.peak_mb for run in group):.0f} | "
            f"{max(run.growth_mb for run in group):.0f} | "
            f"{', '.join(run.load_average.split()[0] for run in group)} |"
        )


def grouped(runs: list[Run]) -> dict[tuple[str, int], list[Run]]:
    groups: dict[tuple[str, int], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.database, run.rows), []).append(run)
    return groups


if __name__ == "__main__":
    main()
