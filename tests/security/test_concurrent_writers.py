"""Several processes writing to one database at once: everyone's write lands, no one sees a lock.

Each worker is a separate OS process with its own application, signed in as
its own person, that reads pages and then writes (suggestions, comments,
votes) as fast as it can, all starting together. On SQLite a transaction that
reads before it writes can meet another process's commit in between: it must
wait its turn, never fail with "database is locked" or a version conflict.
"""

from __future__ import annotations

import multiprocessing
import traceback

from sqlalchemy import func, select

from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.pilots.models import Pilot
from testbed.suggestions import services
from testbed.suggestions.models import Suggestion, SuggestionComment, SuggestionVote

WORKERS = 4
ROUNDS = 7
PASSWORD = "a long password"


def test_processes_writing_together_all_succeed_and_every_row_lands(app, loaded_pilot):
    people = [
        create_user(f"writer{n}@example.org", "innovation", PASSWORD, name=f"Writer {n}")
        for n in range(WORKERS)
    ]
    first = services.add_suggestion(loaded_pilot, "Start here", author=people[0], department=None)
    db.session.commit()
    target, version = (loaded_pilot.slug, first.id), loaded_pilot.version
    emails = [person.email for person in people]
    url = db.engine.url.render_as_string(hide_password=False)
    db.session.remove()

    problems = run_together(url, emails, target)

    assert problems == []
    assert count(Suggestion) == 1 + WORKERS * ROUNDS
    assert count(SuggestionComment) == WORKERS * ROUNDS
    assert count(SuggestionVote) == WORKERS * (ROUNDS % 2)  # each vote toggles the last
    texts = db.session.scalars(select(Suggestion.text)).all()
    assert sorted(texts) == sorted(
        ["Start here"] + [f"Idea {n}.{r}" for n in range(WORKERS) for r in range(ROUNDS)]
    )
    # Each suggestion raised the pilot's version once, whoever won the race.
    assert db.session.scalar(select(Pilot.version)) == version + WORKERS * ROUNDS


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def run_together(url: str, emails: list[str], target: tuple[str, int]) -> list[str]:
    """Start one process per e-mail at the same moment; the problems they met."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(emails))
    results = context.Queue()
    processes = [
        context.Process(target=write_many, args=(url, email, n, target, start, results))
        for n, email in enumerate(emails)
    ]
    for process in processes:
        process.start()
    problems = [problem for _ in processes for problem in results.get(timeout=300)]
    for process in processes:
        process.join(timeout=60)
    return problems + [f"exit code {p.exitcode}" for p in processes if p.exitcode != 0]


def write_many(url: str, email: str, number: int, target, start, results) -> None:
    """In a process of its own: read the pilot's pages, then write, ``ROUNDS`` times."""
    from testbed import create_app

    slug, suggestion_id = target
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = app.test_client()
    problems = []
    try:
        signed_in = client.post("/login", data={"email": email, "password": PASSWORD})
        assert signed_in.status_code == 302, "sign-in failed"
        start.wait(timeout=120)
        for round_ in range(ROUNDS):
            steps = [
                ("get", f"/pilots/{slug}/suggestions", {}, 200),
                ("post", f"/pilots/{slug}/suggestions", {"text": f"Idea {number}.{round_}"}, 302),
                (
                    "post",
                    f"/pilots/{slug}/suggestions/{suggestion_id}/comments",
                    {"text": f"Comment {number}.{round_}"},
                    302,
                ),
                ("post", f"/pilots/{slug}/suggestions/{suggestion_id}/vote", {}, 302),
            ]
            for method, path, data, expected in steps:
                response = getattr(client, method)(path, data=data)
                if response.status_code != expected:
                    problems.append(f"{method.upper()} {path}: {response.status_code}")
    except Exception:  # noqa: BLE001  (reported to the test, which names it)
        problems.append(traceback.format_exc())
    results.put(problems)
