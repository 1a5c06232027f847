"""Revision 0006 on the database the tests use: new tables, watches taken from what people did."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from testbed.extensions import db

AT = datetime(2025, 3, 1, 9, 0, 0)


def history(connection) -> None:
    metadata = sa.MetaData()
    names = ("user", "partner", "pilot", "audit_event", "suggestion", "suggestion_vote")
    t = {name: sa.Table(name, metadata, autoload_with=connection) for name in names}
    people = [
        {
            "id": n,
            "email": f"p{n}@example.org",
            "name": "",
            "password_hash": "x",
            "role": "innovation",
            "active": True,
            "created_at": AT,
        }
        for n in (1, 2, 3)
    ]
    connection.execute(t["user"].insert(), people)
    connection.execute(
        t["partner"].insert(),
        [
            {
                "id": 1,
                "name": "Harbour",
                "segment": "",
                "size": "small",
                "key_account": False,
                "key_account_reason": "",
            }
        ],
    )
    connection.execute(
        t["pilot"].insert(),
        [
            {
                "id": 1,
                "slug": "p",
                "name": "P",
                "partner_id": 1,
                "status": "active",
                "summary": "",
                "created_at": AT,
                "updated_at": AT,
                "version": 1,
            }
        ],
    )
    connection.execute(
        t["audit_event"].insert(),
        [
            {
                "at": AT,
                "user_id": 1,
                "actor": "p1",
                "action": "created",
                "entity": "pilot",
                "entity_id": 1,
                "pilot_id": 1,
                "summary": "",
            },
            {
                "at": AT,
                "user_id": 2,
                "actor": "p2",
                "action": "updated",
                "entity": "pilot",
                "entity_id": 1,
                "pilot_id": 1,
                "summary": "",
            },
        ],
    )
    connection.execute(
        t["suggestion"].insert(),
        [
            {
                "id": 1,
                "pilot_id": 1,
                "author": "p2",
                "author_id": 2,
                "text": "Idea",
                "status": "new",
                "reason": "",
                "from_file": False,
                "created_at": AT,
            }
        ],
    )
    connection.execute(
        t["suggestion_vote"].insert(),
        [
            {"suggestion_id": 1, "user_id": 2, "created_at": AT},
            {"suggestion_id": 1, "user_id": 3, "created_at": AT},
        ],
    )


def test_0006_watches_what_people_created_wrote_and_voted_on(at_0005, runner):
    with db.engine.begin() as connection:
        history(connection)
    for step in (["upgrade"], ["downgrade", "0005"], ["upgrade"]):
        result = runner.invoke(args=["db", *step])
        assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        pilots = connection.execute(sa.text("SELECT user_id, pilot_id, reason FROM pilot_watch"))
        follows = connection.execute(
            sa.text("SELECT user_id, reason FROM suggestion_watch ORDER BY user_id")
        )
        assert pilots.all() == [(1, 1, "created")]
        assert follows.all() == [(2, "wrote"), (3, "voted")]
