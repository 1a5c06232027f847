"""Benchmark: the idea box of a large company, a year of campaigns.

5,000 staff in ten departments; each month about 40 % of them give one or two ideas
(about 30,000 ideas in twelve campaigns), with 60,000 votes. A signed-in staff member's
test client then times, as the median of 20 requests each:

- ``GET /ideas``: the first page of every idea (50 of them, the counts by status);
- ``GET /ideas?campaign=…``: one month's first page;
- ``GET /ideas/campaigns?campaign=…``: the month's figures per department, and six
  months of the company's share;
- ``GET /api/v1/ideas/campaigns/…``: the same month through the API.

Run from the project root::

    python bench/ideas.py [--database-url URL]

Without ``--database-url`` the data go into ``bench/.data/ideas.sqlite``; a
``--database-url`` database is wiped and filled when it lacks them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime

import numpy as np
from run import DATA_DIR, describe_machine, load_average

PEOPLE = 5_000
DEPARTMENTS = 10
MONTHS = 12
SHARE = 0.4
VOTES = 60_000
REQUESTS = 20
TARGET_MS = 200.0
SEED = 20261203
PASSWORD = "benchmark-password"  # noqa: S105  (a throw-away account in a benchmark database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in bench/.data/")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{DATA_DIR / 'ideas.sqlite'}"
    print(describe_machine(args.database_url), flush=True)
    app = app_for(url)
    with app.app_context():
        fill()
        timings = measure(app)
    print(f"\n{'request':<48} {'median ms':>10} {'target':>8}")
    for name, values in timings.items():
        median = statistics.median(values)
        verdict = "met" if median < TARGET_MS else "MISSED"
        print(f"{name:<48} {median:>10.1f} {'<' + str(int(TARGET_MS)):>8} {verdict}")
    print(f"load average {load_average()}")


def app_for(url: str):
    from testbed import create_app

    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"}
    return create_app({**config, "WTF_CSRF_ENABLED": False})


def fill() -> None:
    """The people, ideas and votes, unless a previous run left them."""
    from sqlalchemy import func, insert, select

    from testbed.auth.models import Department, User
    from testbed.extensions import db
    from testbed.ideas.models import Idea, IdeaVote

    db.create_all()
    if db.session.scalar(select(func.count()).select_from(User)) == PEOPLE + 1:
        return
    db.session.rollback()
    db.drop_all()
    db.create_all()
    started = time.perf_counter()
    random = np.random.default_rng(SEED)
    db.session.execute(
        insert(Department), [{"name": f"Department {n}"} for n in range(DEPARTMENTS)]
    )
    departments = list(db.session.scalars(select(Department.id)))
    people = [
        {"email": f"staff{n}@bench.testbed", "name": f"Staff {n}", "password_hash": "!",
         "role": "staff", "department_id": departments[n % DEPARTMENTS], "active": True}
        for n in range(PEOPLE)
    ]  # fmt: skip
    db.session.execute(insert(User), people)
    ids = dict(db.session.execute(select(User.email, User.id)).all())
    ideas = []
    for month in range(1, MONTHS + 1):
        givers = random.choice(PEOPLE, size=int(PEOPLE * SHARE), replace=False)
        for giver in givers:
            for extra in range(1 + int(random.random() < 0.5)):
                author = ids[f"staff{giver}@bench.testbed"]
                ideas.append(
                    idea_row(author, departments[giver % DEPARTMENTS], giver, month, extra)
                )
    for start in range(0, len(ideas), 5_000):
        db.session.execute(insert(Idea), ideas[start : start + 5_000])
    idea_ids = np.array(db.session.scalars(select(Idea.id)).all())
    voters = random.choice(list(ids.values()), VOTES)
    pairs = {(int(i), int(u)) for i, u in zip(random.choice(idea_ids, VOTES), voters, strict=True)}
    votes = [{"idea_id": i, "user_id": u, "created_at": datetime(2026, 1, 1)} for i, u in pairs]
    for start in range(0, len(votes), 5_000):
        db.session.execute(insert(IdeaVote), votes[start : start + 5_000])
    from testbed.auth.services import create_user

    create_user("reader@bench.testbed", "staff", PASSWORD, name="Reader")
    db.session.commit()
    print(f"filled {len(ideas):,} ideas and {len(votes):,} votes in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip


def idea_row(author_id: int, department_id: int, giver: int, month: int, extra: int) -> dict:
    statuses = ("submitted", "under_review", "declined", "piloted")
    return {
        "title": f"Idea {giver}-{month}-{extra}",
        "text": "Call customers back instead of keeping them on hold.",
        "author_id": author_id,
        "department_id": department_id,
        "campaign": f"2025-{month:02d}",
        "status": statuses[(giver + month) % 4],
        "reason": "",
        "created_at": datetime(2025, month, 1 + giver % 28, 9),
    }


def measure(app) -> dict[str, list[float]]:
    from sqlalchemy import select

    from testbed.api.auth import create_token
    from testbed.auth.models import User
    from testbed.extensions import db

    reader = db.session.scalar(select(User).where(User.email == "reader@bench.testbed"))
    # Staff hold no API tokens: the API is read with an innovation team member's.
    system = User(email=f"api{time.time_ns()}@bench.testbed", role="innovation", password_hash="!")
    db.session.add(system)
    _, token = create_token(system, "bench")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": reader.email, "password": PASSWORD})
    addresses = {
        "GET /ideas": ("/ideas", {}),
        "GET /ideas?campaign=2025-06": ("/ideas?campaign=2025-06", {}),
        "GET /ideas/campaigns?campaign=2025-06": ("/ideas/campaigns?campaign=2025-06", {}),
        "GET /api/v1/ideas/campaigns/2025-06": (
            "/api/v1/ideas/campaigns/2025-06", {"Authorization": f"Bearer {token}"}),
    }  # fmt: skip
    timings = {}
    for name, (address, headers) in addresses.items():
        values = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(address, headers=headers)
            values.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (address, response.status_code)
        timings[name] = values
    return timings


if __name__ == "__main__":
    main()
