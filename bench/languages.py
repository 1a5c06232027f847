"""Benchmark: what answering in French costs, page by page, against English.

The demo is built in a SQLite file (``testbed demo --no-serve``); a signed-in
admin's test client then asks for each main page with ``Accept-Language: en``
and with ``fr``, in turns, and the median of ``--requests`` answers each is
printed with the difference. Every page is asked for once in each language
first, so both are timed warm (reports, charts and page parts cached, as a
server has them after its first readers).

Run from the project root::

    python bench/languages.py [--requests 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from run import DATA_DIR, describe_machine, load_average

PAGES = (
    "/",
    "/pilots/callcentre-occupancy",
    "/pilots/callcentre-occupancy/results",
    "/pilots/callcentre-occupancy/summary",
    "/finance",
    "/scorecard",
    "/ideas",
)
LANGUAGES = ("en", "fr")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    print(describe_machine(None), flush=True)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{DATA_DIR / 'languages-demo.sqlite'}"
    os.environ.pop("TESTBED_DATABASE_URL", None)
    from testbed import create_app
    from testbed.cli import DEMO_PASSWORD, build_demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"})
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        build_demo()
    client = app.test_client()
    client.post("/login", data={"email": "admin@demo.testbed", "password": DEMO_PASSWORD})
    timings = {(page, code): [] for page in PAGES for code in LANGUAGES}
    for page in PAGES:
        for code in LANGUAGES:
            assert answer(client, page, code) == code, (page, code)
    for _ in range(args.requests):
        for page in PAGES:
            for code in LANGUAGES:
                started = time.perf_counter()
                answer(client, page, code)
                timings[page, code].append(1000 * (time.perf_counter() - started))
    print(f"\n{'page':<40} {'en ms':>8} {'fr ms':>8} {'fr − en':>8}")
    for page in PAGES:
        english, french = (statistics.median(timings[page, code]) for code in LANGUAGES)
        print(f"{page:<40} {english:>8.1f} {french:>8.1f} {french - english:>+8.1f}")
    print(f"load average {load_average()}")


def answer(client, page: str, code: str) -> str:
    response = client.get(page, headers={"Accept-Language": code})
    assert response.status_code == 200, (page, response.status_code)
    return response.headers["Content-Language"]


if __name__ == "__main__":
    main()
