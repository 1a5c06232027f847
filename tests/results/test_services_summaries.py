"""Reports and returns kept per pilot version, in memory and in the database for every process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

import testbed
from testbed.api import services as api_services
from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison
from testbed.finance import services as finance_services
from testbed.pilots import services as pilot_services
from testbed.pilots.models import Pilot
from testbed.pilots.services import HypothesisFields, IterationFields
from testbed.results import services, summaries
from testbed.results.summaries import MISSING, PilotSummary, recall, remember
from testbed.store import upload
from tests.conftest import MINIMAL_TOML, statements_run
from tests.finance.conftest import FINANCE_TOML

EDITOR = {"actor": "fiona@example.org"}
MORE_OBSERVATIONS = "metric,group,value\nwait,pilot,7.0\nwait,pilot,8.0\nwait,baseline,15.0\n"


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    monkeypatch.setattr(services, "_CACHE", {})
    monkeypatch.setattr(comparison, "_RETURNS", {})


@pytest.fixture
def pilot(app, write_pilot, tmp_path):
    """The minimal pilot with a financial case, loaded and committed."""
    app.instance_path = str(tmp_path / "instance")  # pending uploads stay in the test's folder
    load_path(write_pilot("reminders", pilot__toml=MINIMAL_TOML + FINANCE_TOML))
    db.session.commit()
    return db.session.scalar(select(Pilot))


@pytest.fixture
def innovator(app):
    user = create_user("ines@example.org", "innovation", "a long password", name="Ines")
    db.session.commit()
    return user


def restart(monkeypatch) -> None:
    """What a fresh process sees: empty memory, the database as it is."""
    monkeypatch.setattr(services, "_CACHE", {})
    monkeypatch.setattr(comparison, "_RETURNS", {})
    db.session.expire_all()


def refuse_to_compute(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("computed again instead of read back")

    monkeypatch.setattr(services, "analyse_pilot", refuse)
    monkeypatch.setattr(comparison, "measured_returns", refuse)


def stored_versions(pilot: Pilot) -> set[int]:
    return set(
        db.session.scalars(
            select(PilotSummary.pilot_version).where(PilotSummary.pilot_id == pilot.id)
        )
    )


def rows() -> int:
    return db.session.scalar(select(func.count()).select_from(PilotSummary))


def test_a_fresh_process_reads_the_report_and_returns_another_computed(pilot, monkeypatch):
    report = services.report_for(pilot)
    returns = comparison.returns_for(pilot, finance_services.programme_rois())
    restart(monkeypatch)
    refuse_to_compute(monkeypatch)

    assert services.report_for(pilot) == report
    assert comparison.returns_for(pilot, finance_services.programme_rois()) == returns
    assert report["returns"] == returns and returns["roi"]["estimate"] > 0


def test_what_memory_holds_is_what_the_database_gives_back(pilot):
    report = services.report_for(pilot)
    assert report == summaries.as_stored(services.analyse_pilot(pilot))
    (payload,) = db.session.scalars(
        select(PilotSummary.payload).where(PilotSummary.kind.startswith("report:"))
    )
    assert summaries.as_stored(report) == json.loads(payload)


def test_the_finance_portfolio_of_a_fresh_process_reads_returns_and_reports_in_a_query_each(
    pilot, monkeypatch
):
    comparison.portfolio()
    restart(monkeypatch)
    refuse_to_compute(monkeypatch)
    with statements_run() as statements:
        (row,) = comparison.portfolio()["rows"]
    assert row["returns"]["roi"]["estimate"] > 0
    assert row["standing"]["decision"]["recommendation"]
    # One for every pilot's returns, one for every pilot's report (its decision).
    assert sum("pilot_summary" in statement for statement in statements) == 2


def test_reports_of_many_pilots_are_read_back_in_one_query(pilot, write_pilot, monkeypatch):
    load_path(write_pilot("second", pilot__toml=MINIMAL_TOML.replace("Reminder", "Second")))
    db.session.commit()
    pilots = list(db.session.scalars(select(Pilot).order_by(Pilot.id)))
    reports = services.reports_for(pilots)
    restart(monkeypatch)
    refuse_to_compute(monkeypatch)
    with statements_run() as statements:
        again = services.reports_for(pilots)
    assert again == reports and len(again) == 2
    assert sum("pilot_summary" in statement for statement in statements) == 1


def _load_more_observations(pilot, innovator, write_pilot):
    folder = write_pilot("reminders", pilot__toml=MINIMAL_TOML + FINANCE_TOML)
    (Path(folder) / "observations-2.csv").write_text(MORE_OBSERVATIONS, encoding="utf-8")
    load_path(folder)


def _upload_observations(pilot, innovator, write_pilot):
    from flask import current_app

    with current_app.test_request_context():
        pending = upload.store_upload(pilot, MORE_OBSERVATIONS.encode(), "o.csv", by=innovator)
        upload.import_upload(pending, pilot, by=innovator)


def _push_observations(pilot, innovator, write_pilot):
    api_services.push_observations(
        pilot, MORE_OBSERVATIONS.encode(), MORE_OBSERVATIONS, key=None, source="API", by=innovator
    )


def _edit_the_financial_case(pilot, innovator, write_pilot):
    finance_services.add_cost(pilot, item="Training", amount=900, year=1, recurring=False, **EDITOR)


def _amend_a_hypothesis(pilot, innovator, write_pilot):
    hypothesis = next(h for h in pilot.hypotheses if h.key == "H2")
    fields = HypothesisFields(
        statement=hypothesis.statement, metric=hypothesis.metric, role="secondary", alpha=0.01
    )
    pilot_services.update_hypothesis(hypothesis, fields, by=innovator, reason="Stricter test")


def _log_an_iteration(pilot, innovator, write_pilot):
    fields = IterationFields(number=2, title="Phone call for repeat no-shows")
    pilot_services.log_iteration(pilot, fields, [], by=innovator)


@pytest.mark.parametrize(
    "change",
    [
        _load_more_observations,
        _upload_observations,
        _push_observations,
        _edit_the_financial_case,
        _amend_a_hypothesis,
        _log_an_iteration,
    ],
)
def test_every_change_to_a_pilot_leaves_its_stored_results_unread(
    pilot, innovator, write_pilot, monkeypatch, change
):
    before = services.report_for(pilot)
    comparison.portfolio()
    version = pilot.version

    change(pilot, innovator, write_pilot)
    db.session.commit()
    restart(monkeypatch)
    pilot = db.session.scalar(select(Pilot))
    report = services.report_for(pilot)
    returns = comparison.portfolio()["rows"][0]["returns"]

    assert pilot.version > version
    assert report == summaries.as_stored(services.analyse_pilot(pilot))
    assert returns == report["returns"]
    assert stored_versions(pilot) == {pilot.version}  # the older version's rows are gone
    assert before != report or change is _log_an_iteration


def test_results_of_data_not_yet_committed_are_not_stored(pilot):
    services.report_for(pilot)
    finance_services.add_cost(pilot, item="Training", amount=900, year=1, recurring=False, **EDITOR)

    changed = services.report_for(pilot)
    db.session.rollback()

    assert changed["returns"]["npv"] != services.report_for(pilot)["returns"]["npv"]
    assert stored_versions(pilot) == {pilot.version}


def test_a_result_is_not_stored_once_another_process_committed_a_newer_version(pilot):
    with db.engine.begin() as connection:
        connection.execute(update(Pilot).values(version=Pilot.version + 1))

    summaries.write([(pilot, {"stale": True})], "report:test")

    assert rows() == 0


def test_two_processes_storing_the_same_result_keep_the_first(pilot):
    summaries.write([(pilot, {"first": True})], "report:test")
    summaries.write([(pilot, {"second": True})], "report:test")

    assert summaries.read([pilot], "report:test") == {pilot.id: {"first": True}}
    assert rows() == 1


def test_a_programme_change_recomputes_and_drops_the_stored_results(pilot, monkeypatch):
    before = services.report_for(pilot)
    comparison.portfolio()
    finance_services.add_programme(name="Call routing", roi=0.5, **EDITOR)
    db.session.commit()
    assert rows() == 0

    restart(monkeypatch)
    (row,) = comparison.portfolio()["rows"]

    assert "Call routing" not in before["returns"]["programmes"]
    assert "Call routing" in row["returns"]["programmes"]
    assert services.report_for(pilot)["returns"] == row["returns"]


def test_deleting_a_pilot_deletes_its_stored_results(pilot):
    services.report_for(pilot)
    assert rows() == 1
    db.session.delete(pilot)
    db.session.commit()
    assert rows() == 0


def test_the_least_recently_used_entry_is_the_one_dropped():
    cache: dict = {}
    for key in "abc":
        remember(cache, key, key.upper(), size=3)
    assert recall(cache, "a") == "A"
    remember(cache, "d", "D", size=3)
    assert recall(cache, "b") is MISSING
    assert list(cache) == ["c", "a", "d"]


def test_the_caches_hold_a_large_portfolio():
    assert services._CACHE_SIZE >= 1000
    assert comparison._RETURNS_SIZE >= 1000


def test_the_code_revision_covers_files_that_exist():
    root = Path(testbed.__file__).parent.parent
    assert all((root / name).exists() for name in summaries.COMPUTING_CODE)
    assert len(summaries.code_revision()) == 12
