"""Loading pilot folders: all or nothing, idempotent, and precise about bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sqlalchemy import func, select

from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.loader import load_path
from testbed.models import (
    Aggregate,
    AuditEvent,
    Hypothesis,
    Metric,
    Observation,
    Partner,
    Pilot,
    Suggestion,
)
from testbed.store.queries import cell_sums


def table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.Model.metadata.sorted_tables
    }


def load(path):
    outcomes = load_path(path)
    db.session.commit()
    return outcomes


def test_load_creates_pilot_with_definitions_and_sums(app, write_pilot):
    (outcome,) = load(write_pilot())
    assert (outcome.slug, outcome.action, outcome.rows) == ("reminders", "created", 8)
    pilot = db.session.scalar(select(Pilot))
    assert pilot.name == "Reminder pilot"
    assert [d.name for d in pilot.departments] == ["Finance", "Operations"]
    assert [m.key for m in pilot.metrics] == ["wait", "fta"]
    wait = pilot.metric("wait")
    cells = cell_sums(wait)
    assert cells[("baseline", "post")].moments().mean == pytest.approx(13.25)
    assert cells[("pilot", "post")].moments().sd == pytest.approx(np.std([9.5, 11.0], ddof=1))
    assert db.session.scalar(select(func.count()).select_from(Observation)) == 8


def test_observations_lock_hypotheses_on_their_metric(app, write_pilot):
    load(write_pilot())
    assert db.session.scalar(select(Hypothesis)).locked_at is not None


def test_loading_the_same_folder_again_changes_nothing(app, write_pilot):
    folder = write_pilot()
    load(folder)
    before = table_counts()
    ids = db.session.scalars(select(Observation.id).order_by(Observation.id)).all()
    (outcome,) = load(folder)
    assert outcome.action == "unchanged"
    assert table_counts() == before
    assert db.session.scalars(select(Observation.id).order_by(Observation.id)).all() == ids


def test_a_changed_folder_replaces_what_it_loaded_before(app, write_pilot):
    load(write_pilot())
    changed = write_pilot(
        observations__csv="""\
        metric,group,value
        wait,baseline,20
        wait,baseline,22
        wait,pilot,10
        """
    )
    (outcome,) = load(changed)
    assert outcome.action == "updated"
    assert db.session.scalar(select(func.count()).select_from(Observation)) == 3
    cells = cell_sums(db.session.scalar(select(Metric).where(Metric.key == "wait")))
    assert cells[("baseline", "post")].n == 2
    assert cells[("baseline", "post")].moments().mean == pytest.approx(21.0)
    assert db.session.scalar(select(func.count()).select_from(Pilot)) == 1


def test_a_folder_of_folders_loads_every_pilot(app, write_pilot):
    first = write_pilot("first")
    write_pilot("second")
    outcomes = load(first.parent)
    assert [o.slug for o in outcomes] == ["first", "second"]


BAD_INPUTS = [
    pytest.param(
        {"observations__csv": "metric,group,value\nwait,pilot,1\nspeed,pilot,2\n"},
        "observations.csv:3:1 (metric): unknown metric 'speed'",
        id="unknown-metric",
    ),
    pytest.param(
        {"observations__csv": "metric,group,value\nwait,pilot,abc\n"},
        "observations.csv:2:3 (value): 'abc' is not a number",
        id="non-numeric",
    ),
    pytest.param(
        {"observations__csv": "metric,group,value\nfta,pilot,2\n"},
        "observations.csv:2:3 (value): metric 'fta' is a proportion",
        id="proportion",
    ),
    pytest.param(
        {"observations__csv": "metric,value\nwait,2\n"},
        "observations.csv:1 (group): the required column 'group' is missing",
        id="missing-column",
    ),
    pytest.param(
        {"observations__csv": "metric,group,value,date\nwait,pilot,2,2025-13-01\n"},
        "observations.csv:2:4 (date): '2025-13-01' is not a date",
        id="bad-date",
    ),
    pytest.param(
        {"observations__csv": "metric,group,value\nwait,control,2\n"},
        "observations.csv:2:2 (group): 'control' is not one of baseline, pilot",
        id="bad-group",
    ),
    pytest.param(
        {"observations__csv": "metric,group,value,colour\nwait,pilot,2,red\n"},
        "observations.csv:1:4 (colour): unknown column 'colour'",
        id="unknown-column",
    ),
    pytest.param(
        {"observations__csv": "metric,group,value\nwait,pilot\n"},
        "observations.csv:2: expected 3 fields, found 2",
        id="short-row",
    ),
    pytest.param(
        {"observations__csv": "metric,group,value,iteration\nwait,pilot,2,7\n"},
        "observations.csv:2:4 (iteration): there is no iteration 7",
        id="iteration",
    ),
    pytest.param(
        {"summary__csv": "metric,group,n,mean,sd\nwait,pilot,10,5,-1\n"},
        "summary.csv:2:5 (sd): a standard deviation cannot be negative",
        id="summary-sd",
    ),
]


@pytest.mark.parametrize(("files", "message"), BAD_INPUTS)
def test_bad_csv_fails_the_whole_load_and_writes_nothing(app, write_pilot, files, message):
    write_pilot("already-fine")
    bad = write_pilot("reminders", **files)
    before = table_counts()
    with pytest.raises(LoadError) as caught:
        load_path(bad.parent)
    db.session.rollback()
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(bad))
    assert table_counts() == before


def toml_with(old: str, new: str) -> str:
    from tests.conftest import MINIMAL_TOML

    assert old in MINIMAL_TOML
    return MINIMAL_TOML.replace(old, new, 1)


BAD_DEFINITIONS = [
    pytest.param(
        toml_with('    unit = "minutes"', '    unit = "minutes"\n    colour = "red"'),
        r"pilot\.toml:16:1 \(metrics\[1\]\.colour\): unknown key 'colour'",
        id="unknown-key",
    ),
    pytest.param(
        toml_with('key = "fta"', 'key = "wait"'),
        r"pilot\.toml:18:1 \(metrics\[2\]\.key\): duplicate key 'wait'",
        id="duplicate-key",
    ),
    pytest.param(
        toml_with('metric = "fta"', 'metric = "speed"'),
        r"pilot\.toml:26:1 \(hypotheses\[1\]\.metric\): unknown metric 'speed'",
        id="unknown-metric",
    ),
    pytest.param(
        toml_with("start_date = 2025-01-06", 'start_date = "soon"'),
        r"pilot\.toml:3:1 \(start_date\): 'start_date' must be a date",
        id="bad-date",
    ),
    pytest.param(
        toml_with('status = "active"', 'status = "running"'),
        r"pilot\.toml:2:1 \(status\): 'running' is not one of draft",
        id="bad-status",
    ),
    pytest.param(
        toml_with('name = "Reminder pilot"', 'name = "Reminder pilot'),
        r"pilot\.toml:1:23: not valid TOML: Illegal character",
        id="syntax",
    ),
]


@pytest.mark.parametrize(("toml", "pattern"), BAD_DEFINITIONS)
def test_bad_definition_names_line_column_and_field(app, write_pilot, toml, pattern):
    bad = write_pilot(pilot__toml=toml)
    before = table_counts()
    with pytest.raises(LoadError, match=pattern):
        load_path(bad)
    db.session.rollback()
    assert table_counts() == before


def test_a_bad_row_after_many_good_chunks_leaves_nothing_behind(app, write_pilot, monkeypatch):
    monkeypatch.setattr("testbed.files.tables.CHUNK_ROWS", 5)
    rows = "".join(f"wait,pilot,{i}\n" for i in range(40))
    bad = write_pilot(observations__csv=f"metric,group,value\n{rows}wait,pilot,x\n")
    before = table_counts()
    with pytest.raises(LoadError, match=r"observations\.csv:42:3"):
        load_path(bad)
    db.session.rollback()
    assert table_counts() == before


def test_a_failed_update_keeps_the_earlier_load(app, write_pilot):
    load(write_pilot())
    before = table_counts()
    bad = write_pilot(observations__csv="metric,group,value\nwait,pilot,oops\n")
    with pytest.raises(LoadError):
        load_path(bad)
    db.session.rollback()
    assert table_counts() == before
    assert db.session.scalar(select(func.count()).select_from(Observation)) == 8


def test_numacc4_loaded_through_the_store_keeps_its_standard_deviation(app, write_pilot):
    # NIST StRD NumAcc4: 10000000.2, then 1000 values alternating 10000000.1 and
    # 10000000.3; certified mean 10000000.2, sd 0.1.
    values = [10000000.2] + [10000000.1, 10000000.3] * 500
    rows = "".join(f"wait,pilot,{v!r}\n" for v in values)
    load(write_pilot(observations__csv=f"metric,group,value\n{rows}"))
    metric = db.session.scalar(select(Metric).where(Metric.key == "wait"))
    moments = cell_sums(metric)[("pilot", "post")].moments()
    assert moments.n == 1001
    assert_allclose(moments.mean, 10000000.2, rtol=1e-15)
    assert_allclose(moments.sd, 0.1, rtol=1e-6)


def test_summaries_become_sums_that_reproduce_them(app, write_pilot):
    load(
        write_pilot(summary__csv="metric,group,n,mean,sd,period\nwait,baseline,50,31.5,4.25,pre\n")
    )
    metric = db.session.scalar(select(Metric).where(Metric.key == "wait"))
    moments = cell_sums(metric)[("baseline", "pre")].moments()
    assert (moments.n, moments.mean) == (50, pytest.approx(31.5))
    assert_allclose(moments.sd, 4.25, rtol=1e-12)


def test_scores_are_counted_per_value(app, write_pilot):
    toml = toml_with('    unit = "minutes"', '    unit = "points"\n    scale = [0, 10]')
    load(
        write_pilot(
            pilot__toml=toml,
            observations__csv="""\
        metric,group,value
        wait,pilot,10
        wait,pilot,10
        wait,pilot,3
        wait,baseline,7
        """,
        )
    )
    from testbed.store.queries import value_counts

    metric = db.session.scalar(select(Metric).where(Metric.key == "wait"))
    assert value_counts(metric) == {("pilot", "post"): {10: 2, 3: 1}, ("baseline", "post"): {7: 1}}


def test_a_score_outside_its_scale_is_refused(app, write_pilot):
    toml = toml_with('    unit = "minutes"', "    scale = [0, 10]")
    bad = write_pilot(pilot__toml=toml, observations__csv="metric,group,value\nwait,pilot,11\n")
    with pytest.raises(LoadError, match=r"2:3 \(value\): metric 'wait' is a score from 0 to 10"):
        load_path(bad)


def test_key_accounts_need_a_reason(app, write_pilot):
    toml = toml_with('segment = "healthcare"', 'segment = "healthcare"\nkey_account = true')
    with pytest.raises(LoadError, match=r"\(partner\.key_account\): a key account needs"):
        load_path(write_pilot(pilot__toml=toml))


def test_a_partner_is_found_whatever_the_case_of_its_name(app, write_pilot):
    # Registered in the browser as "HARBOUR DENTAL"; the folder says "Harbour Dental".
    existing = Partner(name="HARBOUR DENTAL")
    db.session.add(existing)
    db.session.commit()
    load(write_pilot())
    assert db.session.scalars(select(Partner)).all() == [existing]
    assert db.session.scalar(select(Pilot)).partner is existing
    assert existing.name == "Harbour Dental"  # the folder's spelling, as its other fields


def test_load_writes_an_audit_event(app, write_pilot):
    load(write_pilot())
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.entity, event.actor) == ("created", "pilot", "cli")
    assert re.search(r"8 rows", event.summary)


def test_suggestions_from_the_file_are_replaced_on_reload(app, write_pilot):
    toml = MINIMAL_SUGGESTION = toml_with(
        "[[iterations]]",
        """[[suggestions]]
    author = "Dr. Lee"
    department = "Clinical"
    text = "Remind in the patient's language."
    status = "incorporated"
    iteration = 1

    [[iterations]]""",
    )
    load(write_pilot(pilot__toml=toml))
    load(write_pilot(pilot__toml=MINIMAL_SUGGESTION + "\n"))
    suggestion = db.session.scalar(select(Suggestion))
    assert db.session.scalar(select(func.count()).select_from(Suggestion)) == 1
    assert (suggestion.status, suggestion.iteration.number) == ("incorporated", 1)
    assert suggestion.department.name == "Clinical"


def test_ratio_rows_need_a_positive_denominator(app, write_pilot):
    toml = toml_with('kind = "mean"', 'kind = "ratio"')
    bad = write_pilot(
        pilot__toml=toml, observations__csv="metric,group,value,denominator\nwait,pilot,100,0\n"
    )
    with pytest.raises(LoadError, match=r"2:4 \(denominator\): the denominator must be positive"):
        load_path(bad)


def test_aggregates_match_the_rows_they_summarise(app, write_pilot):
    rng = np.random.default_rng(7)
    values = rng.normal(250.0, 30.0, size=300).round(3)
    days = [f"2025-02-{1 + i % 20:02d}" for i in range(300)]
    rows = "".join(
        f"wait,{'pilot' if i % 3 else 'baseline'},{float(v)!r},{d}\n"
        for i, (v, d) in enumerate(zip(values, days, strict=True))
    )
    load(write_pilot(observations__csv=f"metric,group,value,date\n{rows}"))
    metric = db.session.scalar(select(Metric).where(Metric.key == "wait"))
    pilot_values = values[[i % 3 != 0 for i in range(300)]]
    moments = cell_sums(metric)[("pilot", "post")].moments()
    assert_allclose(
        [moments.mean, moments.sd], [pilot_values.mean(), pilot_values.std(ddof=1)], rtol=1e-12
    )
    assert db.session.scalar(select(func.count()).select_from(Aggregate)) == 20 * 2
