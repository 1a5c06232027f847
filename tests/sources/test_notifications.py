"""A refresh from a data source is one more way data arrive: the verdicts it moves reach the
pilot's watchers, as an upload's or an API push's do, and a refresh that fails tells no one."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select, text

from testbed.auth.services import create_user, department_named
from testbed.extensions import db
from testbed.notify import services as notify
from testbed.notify.models import NotificationEvent
from testbed.results.services import analyse_pilot
from testbed.results.verdicts import outcome
from testbed.sources import services

PASSWORD = "a long password"


def outcomes(pilot) -> dict[str, str]:
    db.session.expire_all()
    return {r["hypothesis"]: outcome(r) for r in analyse_pilot(pilot)["results"]}


def failure_to_attend_source(make_source, baseline_rate: float, pilot_rate: float, n=300) -> str:
    """A SQLite source holding appointments: 1 for a missed one, 0 for one kept."""
    url = make_source("sqlite")
    rows = [
        {"group": group, "value": 1 if i < round(n * rate) else 0}
        for group, rate in (("baseline", baseline_rate), ("pilot", pilot_rate))
        for i in range(n)
    ]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text('CREATE TABLE visits ("group" TEXT, value INTEGER)'))
        connection.execute(
            text('INSERT INTO visits ("group", value) VALUES (:group, :value)'), rows
        )
    engine.dispose()
    return url


def test_a_refresh_that_flips_a_verdict_notifies_the_watchers(app, loaded_pilot, make_source):
    watcher = create_user("head@example.org", "department_head", PASSWORD, name="Head",
                          department=department_named("Sales"))  # fmt: skip
    notify.watch_pilot(watcher, loaded_pilot)
    url = failure_to_attend_source(make_source, 0.4, 0.1)
    source = services.register_source("clinic", url, actor="test")
    fta = next(m for m in loaded_pilot.metrics if m.key == "fta")
    services.set_metric_query(fta, source, 'SELECT "group", value FROM visits', actor="test")
    db.session.commit()
    assert outcomes(loaded_pilot)["H1"] != "improved"

    assert services.refresh_pilot(loaded_pilot, actor="sync").ok
    db.session.commit()

    assert outcomes(loaded_pilot)["H1"] == "improved"
    events = [n.event for n in notify.inbox(watcher)]
    assert [e.kind for e in events] == ["verdict_changed"]
    assert "H1" in events[0].summary and "improved" in events[0].summary

    # The same data again change nothing, and tell no one anything new.
    assert services.refresh_pilot(loaded_pilot, actor="sync").ok
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(NotificationEvent)) == 1


def test_a_refresh_that_fails_records_no_event(app, loaded_pilot, make_source):
    watcher = create_user("fiona@example.org", "finance", PASSWORD, name="Fiona")
    notify.watch_pilot(watcher, loaded_pilot)
    source = services.register_source("clinic", make_source("sqlite"), actor="test")
    fta = next(m for m in loaded_pilot.metrics if m.key == "fta")
    services.set_metric_query(fta, source, 'SELECT "group", value FROM missing', actor="test")
    db.session.commit()
    assert not services.refresh_pilot(loaded_pilot, actor="sync").ok
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(NotificationEvent)) == 0
