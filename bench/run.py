"""Run every benchmark and print one table: each figure against its target, with the ratio.

Each script runs in its own process through its command line:

- ``bench/import_rows.py``: ``testbed load`` of 1 and 10 million rows, time and peak memory;
- ``bench/web_load.py``: the portfolio and a results page under wrk, gunicorn with 2 and 4 workers;
- ``bench/finance_portfolio.py``: ``GET /finance`` with 200 pilots, cold and warm;
- ``bench/analyze.py``: analysing a pilot from its sums against reading its rows.

Every figure is measured on SQLite, and again on PostgreSQL when
``--database-url`` names a database (which the scripts wipe and refill).
Run from the project root::

    python bench/run.py                                   # SQLite only
    python bench/run.py --database-url postgresql://postgres@127.0.0.1/testbed_bench
    python bench/run.py --only import finance             # some of the benchmarks

The scripts' own outputs go to ``bench/.data/run-<script>-<database>.log``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DATA_DIR = BENCH / ".data"
IMPORT_TARGET_S = 5.0
WEB_RPS_TARGET = 300.0
WEB_P99_TARGET_MS = 100.0
FINANCE_TARGET_MS = 200.0
ANALYZE_TARGET_MS = 100.0
ANALYZE_SPEED_UP_TARGET = 50.0


@dataclass(frozen=True)
class Figure:
    """One line of the table."""

    name: str
    target: str
    measured: str
    verdict: str
    database: str
    load: str  # the 1-minute load average when it was measured


def main() -> None:
    args = parse_args()
    print(describe_machine(args.database_url), flush=True)
    databases = [None] + ([args.database_url] if args.database_url else [])
    figures: list[Figure] = []
    for name in args.only:
        for database_url in databases:
            figures += BENCHMARKS[name](database_url, args)
    print_table(figures)
    print(f"\nload average at the end: {load_average()} (1, 5, 15 min)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL database to wipe and measure too")
    parser.add_argument(
        "--only", nargs="+", choices=["import", "web", "finance", "analyze"], default=None
    )
    parser.add_argument("--import-sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--web-seconds", type=int, default=15, help="wrk's duration per page")
    args = parser.parse_args()
    args.only = args.only or ["import", "web", "finance", "analyze"]
    return args


# Running the scripts -------------------------------------------------------------


def run_script(name: str, arguments: list[str], database_url: str | None) -> str:
    """Run ``bench/<name>.py``; its output goes to a log and is returned."""
    command = [sys.executable, str(BENCH / f"{name}.py"), *arguments]
    if database_url:
        command += ["--database-url", database_url]
    where = "postgresql" if database_url else "sqlite"
    print(f"running {name} on {where}", flush=True)
    result = subprocess.run(command, capture_output=True, text=True, cwd=BENCH.parent)
    DATA_DIR.mkdir(exist_ok=True)
    log = DATA_DIR / f"run-{name}-{where}.log"
    log.write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        raise SystemExit(f"{name} failed; see {log}")
    return result.stdout


def run_with_json(name: str, arguments: list[str], database_url: str | None) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "figures.json"
        run_script(name, [*arguments, "--json", str(output)], database_url)
        return json.loads(output.read_text(encoding="utf-8"))


def import_figures(database_url: str | None, args) -> list[Figure]:
    sizes = [str(size) for size in args.import_sizes]
    runs = run_with_json("import_rows", ["--sizes", *sizes], database_url)
    figures = []
    by_size: dict[int, list[dict]] = {}
    for run in runs:
        by_size.setdefault(run["rows"], []).append(run)
    for rows, group in sorted(by_size.items()):
        seconds = statistics.median(run["seconds"] for run in group)
        database = group[0]["database"]
        target, verdict = import_target(database, rows, seconds)
        figures.append(
            Figure(
                f"import {rows:,} rows from CSV (median of {len(group)})",
                target,
                f"{seconds:.1f} s ({rows / seconds:,.0f} rows/s, CPU {cpu(group):.1f} s)",
                verdict,
                database,
                first_load(group),
            )
        )
    peaks = {rows: max(run["peak_mb"] for run in group) for rows, group in by_size.items()}
    if len(peaks) > 1:
        smallest, largest = min(peaks), max(peaks)
        growth = peaks[largest] / peaks[smallest]
        figures.append(
            Figure(
                f"import peak memory, {smallest:,} → {largest:,} rows",
                "constant (streamed)",
                f"{peaks[smallest]:.0f} MB → {peaks[largest]:.0f} MB",
                f"{growth:.2f}× for {largest // smallest}× the rows "
                + ("(flat)" if growth < 1.2 else "(grows)"),
                runs[0]["database"],
                first_load(runs),
            )
        )
    return figures


def import_target(database: str, rows: int, seconds: float) -> tuple[str, str]:
    """The target of an import and the verdict: a time on SQLite at 1M rows, COPY on PostgreSQL."""
    if database == "postgresql":
        return "rows sent with COPY", "COPY (testbed/store/copy.py)"
    if rows == 1_000_000:
        return f"< {IMPORT_TARGET_S:g} s", ratio(seconds, IMPORT_TARGET_S, smaller_is_better=True)
    return "none (memory: below)", "—"


def cpu(group: list[dict]) -> float:
    return statistics.median(run["cpu_seconds"] for run in group)


def web_figures(database_url: str | None, args) -> list[Figure]:
    loads = run_with_json("web_load", ["--duration", str(args.web_seconds)], database_url)
    figures = []
    for load in loads:
        meets = (
            load["requests_per_second"] >= WEB_RPS_TARGET
            and load["p99_ms"] < WEB_P99_TARGET_MS
            and load["errors"] == 0
        )
        figures.append(
            Figure(
                f"GET {load['page']}, gunicorn {load['workers']} workers, wrk -c16",
                f"≥ {WEB_RPS_TARGET:.0f} req/s, p99 < {WEB_P99_TARGET_MS:.0f} ms, 0 errors",
                f"{load['requests_per_second']:,.0f} req/s, p99 {load['p99_ms']:.0f} ms, "
                f"{load['errors']} errors" + database_cpu(load),
                f"{load['requests_per_second'] / WEB_RPS_TARGET:.2f}× req/s, "
                f"{load['p99_ms'] / WEB_P99_TARGET_MS:.2f}× p99 "
                + ("(met)" if meets else "(missed)"),
                load["database"],
                load["load_average"].split()[0],
            )
        )
    return figures


def database_cpu(load: dict) -> str:
    """CPU time per request of the app's workers, and of PostgreSQL's backends."""
    app = f"; CPU per request: app {load['app_cpu_ms']:.1f} ms"
    database = load["database_cpu_ms"]
    return app + ("" if database is None else f", PostgreSQL {database:.2f} ms")


def finance_figures(database_url: str | None, _args) -> list[Figure]:
    timings = run_with_json("finance_portfolio", [], database_url)
    computed = timings[0]["cold_ms"]  # the first run finds nothing stored
    cold = statistics.median(t["cold_ms"] for t in timings[1:] or timings)
    warm = statistics.median(ms for t in timings for ms in t["warm_ms"])
    portfolio = statistics.median(t["pilots_portfolio_ms"][1] for t in timings)
    database, load, pilots = timings[0]["database"], first_load(timings), timings[0]["pilots"]
    target = f"< {FINANCE_TARGET_MS:.0f} ms"
    return [
        Figure(
            f"GET /finance, {pilots} pilots, first request of a fresh process (results stored)",
            target,
            f"{cold:,.0f} ms",
            ratio(cold, FINANCE_TARGET_MS, smaller_is_better=True),
            database,
            load,
        ),
        Figure(
            f"GET /finance, {pilots} pilots, nothing stored (every pilot changed since)",
            "none set",
            f"{computed:,.0f} ms",
            "—",
            database,
            load,
        ),
        Figure(
            f"GET /finance, {pilots} pilots, warm (median)",
            target,
            f"{warm:,.1f} ms",
            ratio(warm, FINANCE_TARGET_MS, smaller_is_better=True),
            database,
            load,
        ),
        Figure(
            f"GET / (pilots' portfolio), {pilots} pilots, second request",
            "none set",
            f"{portfolio:,.0f} ms",
            "—",
            database,
            load,
        ),
    ]


def analyze_figures(database_url: str | None, _args) -> list[Figure]:
    sizes = ["1000000"] if database_url else ["1000000", "10000000"]
    output = run_script("analyze", ["--sizes", *sizes], database_url)
    found = re.search(r"load average at the start: ([\d.]+)", output)
    load = found.group(1) if found else "?"
    figures = []
    for row in markdown_rows(output, first_column="database"):
        size = row["N"]
        analyse = float(row["analyze median ms"].replace(",", ""))
        speed_up = float(row["naive / analyze"].rstrip("x×").replace(",", ""))
        figures.append(
            Figure(
                f"analyse a pilot of {size} rows from its sums (median)",
                f"< {ANALYZE_TARGET_MS:.0f} ms",
                f"{analyse:.1f} ms",
                ratio(analyse, ANALYZE_TARGET_MS, smaller_is_better=True),
                row["database"],
                load,
            )
        )
        figures.append(
            Figure(
                f"reading {size} rows instead, against the sums",
                f"≥ {ANALYZE_SPEED_UP_TARGET:.0f}× slower",
                f"{speed_up:,.0f}×",
                ratio(speed_up, ANALYZE_SPEED_UP_TARGET, smaller_is_better=False),
                row["database"],
                load,
            )
        )
    return figures


def markdown_rows(output: str, first_column: str) -> list[dict[str, str]]:
    """The rows of the markdown table in ``output`` whose header starts with ``first_column``."""
    lines = [line.strip() for line in output.splitlines()]
    start = next(i for i, line in enumerate(lines) if re.match(rf"\|\s*{first_column}\s*\|", line))
    names = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(names, (c.strip() for c in line.strip("|").split("|")), strict=True)))
    return rows


BENCHMARKS: dict[str, Callable[[str | None, argparse.Namespace], list[Figure]]] = {
    "import": import_figures,
    "web": web_figures,
    "finance": finance_figures,
    "analyze": analyze_figures,
}


# The table -----------------------------------------------------------------------


def ratio(measured: float, target: float, smaller_is_better: bool) -> str:
    met = measured < target if smaller_is_better else measured >= target
    return f"{measured / target:.2f}× the target " + ("(met)" if met else "(missed)")


def first_load(runs: list[dict]) -> str:
    return runs[0]["load_average"].split()[0]


def print_table(figures: list[Figure]) -> None:
    machine = f"{cpu_model()}, {os.cpu_count()} cores, {memory_gb():.0f} GB"
    print()
    print(f"machine: {machine}; load is the 1-minute load average at the measurement")
    print()
    print("| figure | target | measured | ratio / verdict | database | load |")
    print("|---|---|---|---|---|--:|")
    for f in figures:
        print(f"| {f.name} | {f.target} | {f.measured} | {f.verdict} | {f.database} | {f.load} |")


# The machine ---------------------------------------------------------------------


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine moves every figure."""
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def describe_machine(database_url: str | None = None) -> str:
    where = database_url or "SQLite files in bench/.data/"
    return (
        f"machine: {cpu_model()}, {os.cpu_count()} cores, {memory_gb():.0f} GB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}\n"
        f"database: {where}\nload average at the start: {load_average()} (1, 5, 15 min)\n"
        f"CPU reference: {cpu_reference():.2f} s for 10,000,000 Python additions"
    )


def cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop: on a shared virtual machine the same
    code runs up to twice as fast at one hour as at another, with the load
    average near zero both times, so figures are compared together with this."""
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
