"""Benchmark: what telling watchers adds to storing a batch of observations.

Every path by which data arrive wraps its change in ``watching_outcomes``: it reads
the pilot's report before (as the pages keep it) and computes it once after, from
the data in the transaction, to find the verdicts the batch changed. This loads the
demo pilots from ``experiments/`` into a new SQLite file (or the ``--database-url``
database, which it empties), gives one pilot a watcher, and times pushes of a batch
of observations through the API's service, with and without the comparison
(each push rolled back, so every run stores the same batch onto the same data).

Run from the project root::

    python bench/notify_overhead.py [--rows 10000] [--repeats 5] [--pilot dental-reminders]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from testbed import PROJECT_ROOT, create_app
from testbed.api import services as api
from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.notify import services as notify
from testbed.pilots.models import Pilot
from testbed.results.services import report_for


def batch(pilot: Pilot, rows: int, serial: int) -> str:
    metric = next(h.metric for h in pilot.hypotheses if h.role == "primary")
    lines = ["metric,group,value"]
    for n in range(rows):
        group = "baseline" if n % 2 else "pilot"
        value = (n * 7 + serial) % 2 if metric.kind == "proportion" else 10 + (n * 7 + serial) % 9
        lines.append(f"{metric.key},{group},{value}")
    return "\n".join(lines) + "\n"


def push(pilot: Pilot, text: str, by, serial: int) -> float:
    started = time.perf_counter()
    api.push_observations(pilot, text.encode(), text, key=None, source=f"bench {serial}", by=by)
    db.session.flush()
    elapsed = time.perf_counter() - started
    db.session.rollback()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pilot", default="dental-reminders")
    parser.add_argument("--database-url")
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    url = options.database_url or f"sqlite:///{Path(folder.name) / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_path(PROJECT_ROOT / "experiments")
        team = create_user("team@example.org", "innovation", "a long bench password")
        watcher = create_user("head@example.org", "department_head", "a long bench password")
        db.session.commit()
        pilot = db.session.scalar(select(Pilot).where(Pilot.slug == options.pilot))
        notify.watch_pilot(watcher, pilot)
        db.session.commit()
        report_for(pilot)  # as a page view leaves it
        texts = [batch(pilot, options.rows, serial) for serial in range(options.repeats)]
        timings = {"with the comparison": [], "without it": []}
        for serial, text in enumerate(texts):
            timings["with the comparison"].append(push(pilot, text, team, serial))
            with contextlib.ExitStack() as without:
                without.enter_context(_no_comparison())
                timings["without it"].append(push(pilot, text, team, serial))
        with_it = statistics.median(timings["with the comparison"])
        without_it = statistics.median(timings["without it"])
        print(f"pilot {options.pilot}, {options.rows:,} rows per push, {options.repeats} pushes")
        print(f"  without the comparison: {without_it * 1000:8.1f} ms (median)")
        print(f"  with the comparison:    {with_it * 1000:8.1f} ms (median)")
        print(f"  added:                  {(with_it - without_it) * 1000:8.1f} ms")
    folder.cleanup()


@contextlib.contextmanager
def _no_comparison():
    original = api.watching_outcomes

    @contextlib.contextmanager
    def nothing(_pilot, **_options):
        yield

    api.watching_outcomes = nothing
    try:
        yield
    finally:
        api.watching_outcomes = original


if __name__ == "__main__":
    main()
