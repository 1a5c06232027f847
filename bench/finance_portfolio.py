"""Benchmark: finance's portfolio page (``GET /finance``) with 200 pilots.

200 small generated pilots (two metrics, two hypotheses, a financial case
with costs, one benefit and three shared programmes; 400 observations each)
are loaded once with ``testbed load`` and reused. Each run is a fresh process
(its report caches empty) with a signed-in finance test client:

- cold: the first ``GET /finance``. Before the first run the results stored
  in the database (``pilot_summary``) are deleted, so that run analyses every
  pilot, as after a change to every one of them; later runs read what it
  stored, as every new worker does;
- warm: the next requests, served from the cached returns (median of 20).

It also times the pilots' portfolio (``GET /``) on the same data, twice:
its cache keeps fewer reports than there are pilots.

Run from the project root::

    python bench/finance_portfolio.py [--pilots 200] [--runs 3] [--database-url URL]

Without ``--database-url`` the pilots go into ``bench/.data/finance-<N>.sqlite``;
a ``--database-url`` database is wiped and loaded when it lacks them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from run import DATA_DIR, describe_machine, load_average

WARM_REQUESTS = 20
ROWS_PER_GROUP = 100
SEED = 20261124
PASSWORD = "benchmark-password"  # noqa: S105  (a throw-away account in a benchmark database)

DEFINITION = """\
    slug = "bench-finance-{n:03d}"
    name = "Generated pilot {n:03d}"
    status = "active"
    start_date = 2025-01-06
    departments = ["Operations"]

    [partner]
    name = "Benchmark partner {n:03d}"
    segment = "services"

    [[metrics]]
    key = "handle_time"
    name = "Average handle time"
    kind = "mean"
    direction = "decrease"
    unit = "minutes"

    [[metrics]]
    key = "resolved"
    name = "Resolved on first contact"
    kind = "proportion"
    direction = "increase"

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

    [[iterations]]
    number = 1
    start_date = 2025-01-06
    title = "First version"

    [finance]
    currency = "EUR"
    discount_rate = 0.08
    horizon_years = 3

    [[finance.costs]]
    item = "Set-up"
    amount = {setup}
    year = 0
    recurring = false

    [[finance.costs]]
    item = "Running costs"
    amount = 2000
    year = 1
    recurring = true

    [[finance.benefits]]
    metric = "handle_time"
    value_per_unit = 0.9
    volume_per_year = 40000
    description = "Each minute saved per contact frees agent time."

    [[finance.programmes]]
    name = "Replace old switches"
    roi = 0.18

    [[finance.programmes]]
    name = "Self-service portal"
    roi = 0.25

    [[finance.programmes]]
    name = "Billing system upgrade"
    roi = 0.12
    """


@dataclass(frozen=True)
class Timing:
    """One fresh process: the first request and the warm ones, in milliseconds."""

    database: str
    pilots: int
    cold_ms: float
    warm_ms: list[float]
    pilots_portfolio_ms: list[float]
    load_average: str


def main() -> None:
    args = parse_args()
    url = args.database_url or f"sqlite:///{DATA_DIR / f'finance-{args.pilots}.sqlite'}"
    if args.child:
        print(json.dumps(asdict(child(url, args.pilots))))
        return
    print(describe_machine(args.database_url), flush=True)
    prepare(url, args.pilots)
    forget_stored_results(url)
    timings = []
    for _ in range(args.runs):
        output = subprocess.run(
            [sys.executable, __file__, "--child", "--pilots", str(args.pilots)]
            + (["--database-url", args.database_url] if args.database_url else []),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        timings.append(Timing(**json.loads(output.splitlines()[-1])))
        print(f"cold {timings[-1].cold_ms:,.0f} ms", flush=True)
    print_table(timings)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(t) for t in timings]), encoding="utf-8")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pilots", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes, each cold then warm")
    parser.add_argument("--database-url", help="default: a SQLite file in bench/.data/")
    parser.add_argument("--json", help="also write the timings to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def app_for(url: str):
    from testbed import create_app

    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"}
    return create_app({**config, "WTF_CSRF_ENABLED": False})


def prepare(url: str, pilots: int) -> None:
    """Load the generated pilots and a finance account, unless they are there."""
    from sqlalchemy import func, select

    from testbed.auth.services import create_user
    from testbed.extensions import db
    from testbed.files.loader import load_path
    from testbed.pilots.models import Pilot

    with app_for(url).app_context():
        db.create_all()
        if db.session.scalar(select(func.count()).select_from(Pilot)) == pilots:
            return
        db.session.rollback()  # the count's transaction would hold up dropping the tables
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            write_pilots(Path(folder), pilots)
            load_path(Path(folder))
        create_user("finance@bench.testbed", "finance", PASSWORD, name="Benchmark Finance")
        db.session.commit()
        print(f"loaded {pilots} pilots in {time.perf_counter() - started:.0f} s", flush=True)


def forget_stored_results(url: str) -> None:
    """Delete every stored result, so the first run computes them all."""
    from testbed.extensions import db
    from testbed.results.summaries import PilotSummary

    with app_for(url).app_context():
        db.session.execute(PilotSummary.__table__.delete())
        db.session.commit()


def write_pilots(root: Path, pilots: int) -> None:
    rng = np.random.default_rng(SEED)
    for n in range(pilots):
        folder = root / f"pilot-{n:03d}"
        folder.mkdir()
        text = DEFINITION.format(n=n, setup=int(rng.integers(5_000, 40_000)))
        (folder / "pilot.toml").write_text(textwrap.dedent(text), encoding="utf-8")
        lines = ["metric,group,value"]
        for group, shift in (("baseline", 0.0), ("pilot", rng.normal(-0.4, 0.3))):
            times = rng.normal(8.0 + shift, 2.0, ROWS_PER_GROUP)
            lines += [f"handle_time,{group},{t:.2f}" for t in times]
            resolved = rng.random(ROWS_PER_GROUP) < 0.7 - shift / 20
            lines += [f"resolved,{group},{int(r)}" for r in resolved]
        (folder / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def child(url: str, pilots: int) -> Timing:
    app = app_for(url)
    client = app.test_client()
    response = client.post("/login", data={"email": "finance@bench.testbed", "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit("signing in failed")
    average = load_average()
    cold = timed(client, "/finance")
    warm = [timed(client, "/finance") for _ in range(WARM_REQUESTS)]
    with app.app_context():
        database = app.extensions["sqlalchemy"].engines[None].dialect.name
    portfolio = [timed(client, "/") for _ in range(2)]
    return Timing(database, pilots, cold, warm, portfolio, average)


def timed(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = 1000 * (time.perf_counter() - started)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")
    return elapsed


def print_table(timings: list[Timing]) -> None:
    warm = [ms for timing in timings for ms in timing.warm_ms]
    first, stored = timings[0], timings[1:] or timings
    print()
    print(
        "| database | pilots | runs | cold ms, nothing stored | cold ms, results stored (median) "
        "| warm ms (median) | warm p95 ms | pilots' portfolio `/` ms, first and second request "
        "(medians) |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    print(
        f"| {first.database} | {first.pilots} | {len(timings)} | {first.cold_ms:,.0f} | "
        f"{statistics.median(t.cold_ms for t in stored):,.0f} | {statistics.median(warm):.1f} | "
        f"{np.percentile(warm, 95):.1f} | "
        f"{statistics.median(t.pilots_portfolio_ms[0] for t in timings):,.0f}, "
        f"{statistics.median(t.pilots_portfolio_ms[1] for t in timings):,.0f} |"
    )


if __name__ == "__main__":
    main()
