"""Benchmark: pages served by gunicorn under load from wrk, on SQLite and PostgreSQL.

For each database the demo is built afresh (``testbed demo --no-serve
--reset-database``), then for each worker count gunicorn serves it as in
production (``TESTBED_ENV=production``, JSON request logs on), one demo
account signs in through the login form (CSRF on), and wrk, a separate
process on the loopback interface, requests each page with that session:

- ``/healthz``: one ``SELECT 1``, the ceiling of the stack on this machine;
- ``/``: the portfolio of every pilot;
- ``/pilots/callcentre-occupancy/results``: the results page of the largest
  demo pilot (25,674 observations, seven metrics).

Every page is first requested for a few seconds (each worker computes and
caches its reports), then measured. wrk counts requests per second, latency
percentiles, responses other than 2xx/3xx, and socket errors. The CPU time the
gunicorn workers spent during the run is read from ``/proc``, per request, and
so is that of the PostgreSQL backends of the benchmark database when the
server runs on this machine: what sizes the machines.

Run from the project root (needs ``wrk``: ``apt-get install wrk``)::

    python bench/web_load.py [--workers 2 4] [--duration 15] [--connections 16]
    python bench/web_load.py --database-url postgresql://postgres@127.0.0.1/testbed_bench

Without ``--database-url`` the demo goes into ``bench/.data/web-demo.sqlite``.
A ``--database-url`` database is wiped and rebuilt as the demo.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from run import DATA_DIR, describe_machine, load_average

PROJECT = Path(__file__).resolve().parent.parent
PAGES = ("/healthz", "/", "/pilots/callcentre-occupancy/results")
ACCOUNT = ("innovation@demo.testbed", "demo-password")
PORT = 5061
COOKIE = "__Host-session"  # the session cookie's name in production
WARM_UP_SECONDS = 3
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Load:
    """What wrk measured for one page."""

    database: str
    workers: int
    page: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # responses other than 2xx/3xx, and socket errors
    load_average: str
    app_cpu_ms: float  # the gunicorn workers' CPU time per request
    database_cpu_ms: float | None  # PostgreSQL's CPU time per request, when it runs here


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    print(describe_machine(args.database_url), flush=True)
    url = args.database_url or f"sqlite:///{DATA_DIR / 'web-demo.sqlite'}"
    build_demo(url)
    loads = []
    for workers in args.workers:
        with served(url, workers) as server:
            cookie = sign_in()
            for page in PAGES:
                loads.append(measure(url, server, page, cookie, args))
                print(format_load(loads[-1]), flush=True)
        check_log(server.log)
    print_table(loads)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(load) for load in loads]), encoding="utf-8")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--duration", type=int, default=15, help="seconds per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--database-url", help="wiped and rebuilt; default: a SQLite file")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args()


def build_demo(url: str) -> None:
    if url.startswith("sqlite:///"):
        DATA_DIR.mkdir(exist_ok=True)
    subprocess.run(
        [str(Path(sys.executable).with_name("testbed")), "demo", "--no-serve", "--reset-database"],
        check=True,
        capture_output=True,
        cwd=PROJECT,
        env={**os.environ, "TESTBED_DATABASE_URL": url},
    )


class served:
    """gunicorn serving ``url`` with ``workers`` sync workers, configured as in production."""

    def __init__(self, url: str, workers: int):
        self.url, self.workers = url, workers
        database = "postgresql" if url.startswith("postgres") else "sqlite"
        self.log = DATA_DIR / f"web-gunicorn-{database}-{workers}.log"

    def __enter__(self) -> served:
        environment = {
            **os.environ,
            "TESTBED_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "TESTBED_DATABASE_URL": self.url,
            "TESTBED_LOG_JSON": "1",
            # Production needs a shared store for its sign-in limits: the local Redis.
            "TESTBED_RATELIMIT_STORAGE_URL": os.environ.get(
                "TESTBED_RATELIMIT_STORAGE_URL", "redis://127.0.0.1:6379/0"
            ),
        }
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers)]
        command += ["--bind", f"127.0.0.1:{PORT}", "testbed:create_app()"]
        self.stream = self.log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            command, cwd=PROJECT, env=environment, stdout=self.stream, stderr=self.stream
        )
        wait_until_healthy(self.process)
        return self

    def workers_cpu_seconds(self) -> float:
        """CPU seconds so far of the workers (the master's children)."""
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text(encoding="utf-8")
        return sum(process_cpu_seconds(int(pid)) for pid in children.split())

    def __exit__(self, *_exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.stream.close()


def wait_until_healthy(process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped; see its log in bench/.data/")
        try:
            if request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise SystemExit("gunicorn did not answer /healthz in time")


def request(method: str, path: str, body: str | None = None, cookie: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    if cookie:
        headers["Cookie"] = f"{COOKIE}={cookie}"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    result = response.status, response.getheaders(), response.read().decode()
    connection.close()
    return result


def session_cookie(headers: list[tuple[str, str]]) -> str | None:
    # The cookie is Secure in production: read it from the header, not a cookie jar.
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith(f"{COOKIE}="):
            return value.split(";", 1)[0].removeprefix(f"{COOKIE}=")
    return None


def sign_in() -> str:
    """Post the login form with its CSRF token; the signed-in session cookie."""
    _, headers, page = request("GET", "/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urlencode({"csrf_token": token, "email": ACCOUNT[0], "password": ACCOUNT[1]})
    status, headers, _ = request("POST", "/login", form, cookie=session_cookie(headers))
    cookie = session_cookie(headers)
    if status != 302 or cookie is None:
        raise SystemExit(f"signing in as {ACCOUNT[0]} failed ({status})")
    return cookie


def measure(url: str, server: served, page: str, cookie: str, args) -> Load:
    wrk(page, cookie, WARM_UP_SECONDS, args)
    average = load_average()
    cpu_before, app_before = database_cpu_seconds(url), server.workers_cpu_seconds()
    output = wrk(page, cookie, args.duration, args)
    cpu_after, app_after = database_cpu_seconds(url), server.workers_cpu_seconds()
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return Load(
        database="postgresql" if url.startswith("postgres") else "sqlite",
        workers=server.workers,
        page=page,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=latency(output, "50%"),
        p99_ms=latency(output, "99%"),
        requests=requests,
        errors=errors(output),
        load_average=average,
        app_cpu_ms=1000 * (app_after - app_before) / max(requests, 1),
        database_cpu_ms=per_request(cpu_before, cpu_after, requests),
    )


def database_cpu_seconds(url: str) -> dict[int, float] | None:
    """CPU seconds so far of each PostgreSQL backend serving the database, if it runs here."""
    host = urlsplit(url).hostname
    if not url.startswith("postgres") or host not in ("127.0.0.1", "localhost", "::1"):
        return None
    import psycopg

    conninfo = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)
    with psycopg.connect(conninfo) as connection:
        pids = connection.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return {pid: process_cpu_seconds(pid) for (pid,) in pids}


def process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def per_request(before: dict | None, after: dict | None, requests: int) -> float | None:
    if before is None or after is None or not requests:
        return None
    spent = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    return 1000 * spent / requests


def wrk(page: str, cookie: str, seconds: int, args) -> str:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency"]
    command += ["-H", f"Cookie: {COOKIE}={cookie}", f"http://127.0.0.1:{PORT}{page}"]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def latency(output: str, percentile: str) -> float:
    number, unit = re.search(rf"^\s*{percentile}\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M).groups()
    return float(number) * UNITS[unit]


def errors(output: str) -> int:
    count = 0
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if found:
        count += int(found.group(1))
    found = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if found:
        count += sum(int(n) for n in found.groups())
    return count


def check_log(log: Path) -> None:
    """Server errors the load may have caused, from the JSON request log."""
    failures = [
        line
        for line in log.read_text(encoding="utf-8").splitlines()
        if line.startswith("{") and json.loads(line).get("status", 200) >= 500
    ]
    if failures:
        print(f"{len(failures)} server errors in {log}; the first: {failures[0]}")


def format_load(load: Load) -> str:
    return (
        f"{load.database} w={load.workers} {load.page}: {load.requests_per_second:,.0f} req/s, "
        f"p99 {load.p99_ms:.1f} ms, {load.errors} errors"
    )


def print_table(loads: list[Load]) -> None:
    print()
    print(
        "| database | workers | page | requests/s | p50 ms | p99 ms | requests | errors | "
        "app CPU ms per request | database CPU ms per request |"
    )
    print("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|")
    for load in loads:
        cpu = "—" if load.database_cpu_ms is None else f"{load.database_cpu_ms:.2f}"
        print(
            f"| {load.database} | {load.workers} | `{load.page}` | "
            f"{load.requests_per_second:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | "
            f"{load.requests:,} | {load.errors} | {load.app_cpu_ms:.2f} | {cpu} |"
        )


if __name__ == "__main__":
    main()
