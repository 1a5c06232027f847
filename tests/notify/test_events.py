"""Events reach the people they concern, once, in the transaction of the change; nobody else."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta

from sqlalchemy import func, select

from testbed.api.auth import create_token
from testbed.auth.access import PERMISSIONS
from testbed.auth.services import department_named
from testbed.extensions import db
from testbed.notify import services as notify
from testbed.notify.models import Notification, NotificationEvent, OutboxMessage
from testbed.pilots import services as pilots
from testbed.pilots.models import Pilot
from testbed.results.services import analyse_pilot
from testbed.results.verdicts import outcome
from testbed.store.models import ImportBatch
from testbed.suggestions import services as suggestions
from testbed.timeutil import utcnow
from tests.conftest import MINIMAL_TOML

GUARDRAIL_TOML = MINIMAL_TOML + textwrap.indent(
    textwrap.dedent(
        """\
        [[hypotheses]]
        key = "G1"
        statement = "Waiting time does not get worse by more than a minute."
        metric = "wait"
        role = "guardrail"
        minimum_effect = 1.0
        """
    ),
    "    ",
)


def kinds_for(user) -> list[str]:
    return [n.event.kind for n in notify.inbox(user)]


def outcomes(pilot: Pilot) -> dict[str, str]:
    """Each hypothesis' outcome, computed afresh from the stored data."""
    db.session.expire_all()
    return {r["hypothesis"]: outcome(r) for r in analyse_pilot(pilot)["results"]}


def fta_rows(baseline_rate: float, pilot_rate: float, n: int = 300) -> str:
    rows = ["metric,group,value,iteration"]
    for group, rate in (("baseline", baseline_rate), ("pilot", pilot_rate)):
        missed = round(n * rate)
        rows += [f"fta,{group},{1 if i < missed else 0},1" for i in range(n)]
    return "\n".join(rows) + "\n"


def test_an_adopted_suggestion_reaches_its_authors_head_and_not_the_team(loaded_pilot, person):
    head = person("department_head", "head@example.org", "Sales")
    author = person("department_head", "dana@example.org", "Sales")
    other_head = person("department_head", "olaf@example.org", "Operations")
    team = person("innovation", "ines@example.org")
    idea = suggestions.add_suggestion(
        loaded_pilot, "Call the day before.", author=author, department=department_named("Sales")
    )
    suggestions.move(idea, "accepted", actor="Ines", user_id=team.id)
    iteration = pilots.log_iteration(
        loaded_pilot, pilots.IterationFields(number=2, title="Calls"), [idea], by=team
    )
    db.session.commit()

    adopted = [n for n in notify.inbox(head) if n.event.kind == "suggestion_adopted"]
    assert len(adopted) == 1
    assert adopted[0].event.link == f"/suggestions/{idea.id}"
    assert f"iteration {iteration.number}" in adopted[0].event.title
    assert kinds_for(author) == ["suggestion_adopted", "suggestion_status"]
    assert kinds_for(other_head) == []  # another department's head
    assert kinds_for(team) == []  # their own action


def test_a_comment_reaches_the_author_and_earlier_commenters_but_not_its_writer(
    loaded_pilot, person
):
    author = person("department_head", "dana@example.org", "Sales")
    voter = person("finance", "fiona@example.org")
    commenter = person("innovation", "ines@example.org")
    idea = suggestions.add_suggestion(loaded_pilot, "Call first.", author=author, department=None)
    suggestions.toggle_vote(loaded_pilot, idea, voter)
    suggestions.add_comment(loaded_pilot, idea, commenter, "We tried this in 2023.")
    db.session.commit()
    assert kinds_for(author) == ["suggestion_comment"]
    assert kinds_for(voter) == ["suggestion_comment"]
    assert kinds_for(commenter) == []
    suggestions.add_comment(loaded_pilot, idea, author, "Worth another go.")
    db.session.commit()
    assert kinds_for(commenter) == ["suggestion_comment"]


def test_new_data_that_flip_a_verdict_notify_watchers_and_finance(
    app, client, loaded_pilot, person
):
    watcher = person("department_head", "head@example.org", "Sales")
    finance = person("finance", "fiona@example.org")
    uploader = person("innovation", "ines@example.org")
    notify.watch_pilot(watcher, loaded_pilot)
    notify.watch_pilot(uploader, loaded_pilot)
    _, token = create_token(uploader, "nightly push")
    db.session.commit()
    assert outcomes(loaded_pilot)["H1"] != "improved"

    # Failure to attend falls from 40% to 10% over 300 appointments a group.
    pushed = client.post(
        f"/api/v1/pilots/{loaded_pilot.slug}/observations",
        data=fta_rows(0.4, 0.1),
        content_type="text/csv",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert pushed.status_code == 201, pushed.get_json()
    assert outcomes(loaded_pilot)["H1"] == "improved"
    for reader in (watcher, finance):
        events = [n.event for n in notify.inbox(reader)]
        assert [e.kind for e in events] == ["verdict_changed"]
        assert "H1" in events[0].summary and "improved" in events[0].summary
        assert events[0].link == f"/pilots/{loaded_pilot.slug}/results"
    assert kinds_for(uploader) == []  # the person who pushed the data


def test_a_push_refused_records_no_event(app, client, loaded_pilot, person):
    watcher = person("finance", "fiona@example.org")
    uploader = person("innovation", "ines@example.org")
    notify.watch_pilot(watcher, loaded_pilot)
    _, token = create_token(uploader, "nightly push")
    db.session.commit()
    bad = fta_rows(0.4, 0.1) + "fta,pilot,oops,1\n"
    pushed = client.post(
        f"/api/v1/pilots/{loaded_pilot.slug}/observations",
        data=bad,
        content_type="text/csv",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert pushed.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(NotificationEvent)) == 0


def test_a_breached_guardrail_loaded_from_a_folder_notifies_the_watchers(
    app, runner, write_pilot, person
):
    folder = write_pilot(pilot__toml=GUARDRAIL_TOML)
    assert runner.invoke(args=["load", str(folder)]).exit_code == 0
    pilot = db.session.scalar(select(Pilot))
    watcher = person("department_head", "head@example.org", "Sales")
    notify.watch_pilot(watcher, pilot)
    db.session.commit()
    assert outcomes(pilot)["G1"] != "breached"

    # Waiting time rises from about 12 to about 20 minutes: far past the one-minute margin.
    rows = ["metric,group,value,iteration"]
    rows += [f"wait,baseline,{12 + (i % 5) * 0.5},1" for i in range(120)]
    rows += [f"wait,pilot,{20 + (i % 5) * 0.5},1" for i in range(120)]
    write_pilot(pilot__toml=GUARDRAIL_TOML, observations__csv="\n".join(rows) + "\n")
    loaded = runner.invoke(args=["load", str(folder)])
    assert loaded.exit_code == 0, loaded.output
    assert outcomes(pilot)["G1"] == "breached"
    events = [n.event for n in notify.inbox(watcher)]
    assert "guardrail_breached" in [e.kind for e in events]
    breach = next(e for e in events if e.kind == "guardrail_breached")
    assert "G1" in breach.title
    # The breach has its own event; it is not told twice as a verdict change.
    verdicts = [e for e in events if e.kind == "verdict_changed"]
    assert all("G1:" not in e.summary for e in verdicts)


def test_an_upload_in_the_browser_notifies_watchers(app, client, loaded_pilot, login, person):
    watcher = person("finance", "fiona@example.org")
    notify.watch_pilot(watcher, loaded_pilot)
    db.session.commit()
    login("innovation")
    slug = loaded_pilot.slug
    sent = client.post(
        f"/pilots/{slug}/observations/upload",
        data={
            "version": str(loaded_pilot.version),
            "file": (__import__("io").BytesIO(fta_rows(0.4, 0.1).encode()), "more.csv"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    token = sent.headers["Location"].rsplit("/", 1)[-1]
    db.session.expire_all()
    confirmed = client.post(
        f"/pilots/{slug}/observations/upload/{token}", data={"version": str(loaded_pilot.version)}
    )
    assert confirmed.status_code == 302
    assert kinds_for(watcher) == ["verdict_changed"]


def test_nobody_hears_of_a_pilot_they_may_not_read(app, loaded_pilot, person, monkeypatch):
    gone = person("department_head", "gone@example.org", "Sales")
    barred = person("finance", "fiona@example.org")
    reader = person("department_head", "head@example.org", "Sales")
    for watcher in (gone, barred, reader):
        notify.watch_pilot(watcher, loaded_pilot)
    gone.active = False
    # A role that may not read pilots: the permission table decides, not a list of roles.
    monkeypatch.setitem(PERMISSIONS, "pilot.view", PERMISSIONS["pilot.view"] - {"finance"})
    db.session.commit()
    before = loaded_pilot.status
    loaded_pilot.status = "paused"
    notify.pilot_status_changed(loaded_pilot, before, actor=None)
    db.session.commit()
    assert kinds_for(reader) == ["pilot_status"]
    assert kinds_for(gone) == [] and kinds_for(barred) == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_a_status_change_in_the_form_reaches_watchers_but_not_its_editor(app, loaded_pilot, person):
    team = person("innovation", "ines@example.org")
    watcher = person("department_head", "head@example.org", "Sales")
    for someone in (team, watcher):
        notify.watch_pilot(someone, loaded_pilot)
    fields = pilots.PilotFields(
        name=loaded_pilot.name, partner=loaded_pilot.partner, status="paused"
    )
    pilots.update_pilot(loaded_pilot, fields, by=team)
    db.session.commit()
    assert [n.event.title for n in notify.inbox(watcher)] == [
        f"{loaded_pilot.name} is paused now (was active)"
    ]
    assert kinds_for(team) == []


def test_people_watch_the_pilots_they_create(app, person):
    team = person("innovation", "ines@example.org")
    pilot = pilots.create_pilot(
        pilots.PilotFields(name="Reminders", partner=pilots.NewPartner("Harbour"), status="draft"),
        by=team,
    )
    db.session.commit()
    assert notify.is_watching(team, pilot)
    assert notify.unwatch_pilot(team, pilot) and not notify.is_watching(team, pilot)


def test_preferences_decide_inbox_and_e_mail(app, loaded_pilot, person):
    head = person("department_head", "head@example.org", "Sales")
    notify.watch_pilot(head, loaded_pilot)
    notify.set_preference(head, "pilot_status", "none")
    db.session.commit()
    loaded_pilot.status = "paused"
    notify.pilot_status_changed(loaded_pilot, "active", actor=None)
    assert kinds_for(head) == []
    notify.set_preference(head, "pilot_status", "immediate")
    loaded_pilot.status = "active"
    notify.pilot_status_changed(loaded_pilot, "paused", actor=None)
    db.session.commit()
    assert kinds_for(head) == ["pilot_status"]
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email"))
    assert [m.user_id for m in mails] == [head.id]


def test_data_that_stop_arriving_are_found_once_per_episode(app, loaded_pilot, person):
    watcher = person("department_head", "head@example.org", "Sales")
    notify.watch_pilot(watcher, loaded_pilot)
    start = utcnow() - timedelta(days=30)
    # The folder's batch and two more, a day apart: the pilot's cadence is one day.
    for number, batch in enumerate(
        [db.session.scalar(select(ImportBatch)), *[None, None]], start=0
    ):
        if batch is None:
            batch = ImportBatch(
                pilot=loaded_pilot, origin="api", source="push", digest=f"d{number}", rows=1
            )
            db.session.add(batch)
        batch.created_at = start + timedelta(days=number)
    db.session.commit()
    assert len(notify.scan(start + timedelta(days=3))) == 0  # a day late is within 1.5 days
    first = notify.scan()
    db.session.commit()
    assert [e.kind for e in first] == ["data_stopped"]
    assert notify.scan() == []  # the same silence, told once
    db.session.commit()
    assert kinds_for(watcher) == ["data_stopped"]
    # Data arrive, then stop again: a new episode.
    late = ImportBatch(pilot=loaded_pilot, origin="api", source="push", digest="late", rows=1)
    late.created_at = utcnow() - timedelta(days=5)
    db.session.add(late)
    db.session.commit()
    assert [e.kind for e in notify.scan()] == ["data_stopped"]


def test_an_overdue_iteration_is_found_once(app, loaded_pilot, person):
    watcher = person("department_head", "head@example.org", "Sales")
    notify.watch_pilot(watcher, loaded_pilot)
    loaded_pilot.iterations[-1].end_date = date.today() - timedelta(days=2)
    db.session.commit()
    assert [e.kind for e in notify.scan()] == ["iteration_overdue"]
    assert notify.scan() == []
    db.session.commit()
    assert kinds_for(watcher) == ["iteration_overdue"]


def test_the_scan_runs_from_the_command_line(app, runner, loaded_pilot, person):
    watcher = person("department_head", "head@example.org", "Sales")
    notify.watch_pilot(watcher, loaded_pilot)
    loaded_pilot.iterations[-1].end_date = date.today() - timedelta(days=2)
    db.session.commit()
    first = runner.invoke(args=["notify", "scan"])
    again = runner.invoke(args=["notify", "scan"])
    assert (first.output, again.output) == ("1 new event(s)\n", "0 new event(s)\n")


def test_the_report_computed_after_new_data_serves_the_next_page_only_once_committed(
    app, client, loaded_pilot, person, monkeypatch
):
    from testbed.results import services as results

    uploader = person("innovation", "ines@example.org")
    _, token = create_token(uploader, "nightly push")
    db.session.commit()
    address = f"/api/v1/pilots/{loaded_pilot.slug}/observations"
    headers = {"Authorization": f"Bearer {token}"}
    refused = client.post(
        address, data=fta_rows(0.4, 0.1) + "fta,x,1,1\n", content_type="text/csv", headers=headers
    )
    assert refused.status_code == 422
    assert all(key[2] != loaded_pilot.version + 1 for key in results._CACHE)  # nothing kept

    pushed = client.post(address, data=fta_rows(0.4, 0.1), content_type="text/csv", headers=headers)
    assert pushed.status_code == 201
    db.session.expire_all()
    pilot = db.session.get(Pilot, loaded_pilot.id)
    computed = []
    monkeypatch.setattr(results, "analyse_pilot", lambda *a, **k: computed.append(a) or {})
    report = results.report_for(pilot)
    assert computed == []  # read from memory, as kept at the push's commit
    assert outcome(report["results"][0]) == "improved"
