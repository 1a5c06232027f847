"""Benchmark: building the reports of the largest demo pilot (the most hypotheses).

The demo pilots of ``experiments/`` are loaded into a fresh SQLite file (in a
temporary folder removed afterwards, with the chart cache beside it); then,
in one process and a request context with a signed-in finance user's rights:

- summary PDF: ``testbed.reports.pdf.summary_pdf`` (WeasyPrint), first call
  (the pilot's report and forest plot not yet kept) and the median of the next
  runs (both kept: the drawing of the page alone);
- pilot workbook: ``testbed.reports.workbook.pilot_workbook``, median;
- portfolio workbook: ``testbed.reports.workbook.portfolio_workbook``, median.

Run from the project root::

    python bench/reports.py [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from run import describe_machine
from sqlalchemy import select

from testbed import PROJECT_ROOT, create_app
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison
from testbed.pilots.models import Pilot
from testbed.reports import pdf, workbook


def timed(make) -> tuple[float, object]:
    start = time.perf_counter()
    made = make()
    return time.perf_counter() - start, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="testbed-bench-reports-") as folder:
        measure(Path(folder), runs)


def measure(folder: Path, runs: int) -> None:
    app = create_app(
        {
            "SECRET_KEY": "benchmark",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite'}",
            "CHART_CACHE_DIR": str(folder / "charts"),
        }
    )
    print(describe_machine(f"SQLite file in {folder}"))
    with app.app_context():
        db.create_all()
        load_path(PROJECT_ROOT / "experiments")
        db.session.commit()
        pilots = list(db.session.scalars(select(Pilot)))
        # As the tests choose it: the most hypotheses, then the longest statements.
        pilot = max(
            pilots,
            key=lambda p: (len(p.hypotheses), sum(len(h.statement) for h in p.hypotheses)),
        )
        with app.test_request_context():
            first, (document, pages) = timed(lambda: pdf.summary_pdf(pilot, with_returns=True))
            warm = [timed(lambda: pdf.summary_pdf(pilot, True))[0] for _ in range(runs)]
            book = [timed(lambda: workbook.pilot_workbook(pilot, True)) for _ in range(runs)]
            whole = [
                timed(lambda: workbook.portfolio_workbook(comparison.portfolio()))
                for _ in range(runs)
            ]
        db.session.remove()
        db.engine.dispose()
    print(f"pilot: {pilot.slug} ({len(pilot.hypotheses)} hypotheses), {runs} runs each")
    print(f"summary PDF, first call      {first:7.2f} s  ({pages} page, {len(document):,} bytes)")
    print(f"summary PDF, median          {statistics.median(warm):7.2f} s")
    book_time, size = statistics.median(t for t, _ in book), len(book[0][1])
    print(f"pilot workbook, median       {book_time:7.3f} s  ({size:,} bytes)")
    print(f"portfolio workbook, median   {statistics.median(t for t, _ in whole):7.3f} s")


if __name__ == "__main__":
    main()
