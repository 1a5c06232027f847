"""The scorecard as files: scorecard.toml and measurement CSVs, all or nothing, errors placed."""

from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import func, select

from testbed import PROJECT_ROOT
from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.export import export_pilot
from testbed.files.loader import load_path
from testbed.models import Indicator, IndicatorLink, Measurement, Pilot
from testbed.scorecard import services
from testbed.scorecard.files import load_scorecard, read_measurements

COMPANY = PROJECT_ROOT / "experiments" / "company"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("indicator,period,value,colour\n", 1, 4, "unknown column 'colour'"),
        ("indicator,value\n", 1, None, "the required column 'period' is missing"),
        ("indicator,period,value\nnps,2025-01,12\nwho,2025-02,3\n", 3, 1,
         "unknown indicator 'who'"),
        ("indicator,period,value\nnps,2025-13,12\n", 2, 2, "not a monthly period"),
        ("indicator,period,value\nnps,2025-01,twelve\n", 2, 3, "'twelve' is not a number"),
        ("indicator,period,value\nnps,2025-01,inf\n", 2, 3, "not a finite number"),
        ("indicator,period,value,department\nnps,2025-01,1,Marketing\n", 2, 4,
         "unknown department 'Marketing'"),
        ("indicator,period,value,n,sd\nnps,2025-01,1,10,\n", 2, 5, "give n and sd together"),
        ("indicator,period,value,n,sd\nnps,2025-01,1,-4,2\n", 2, 4, "not a number of answers"),
        ("indicator,period,value\nnps,2025-01,1\nnps,2025-01,2\n", 3, 2, "is on line 2 already"),
        ("indicator,period,value\nnps,2025-01\n", 2, None, "expected 3 fields, found 2"),
        ("indicator,period,value\n", 2, None, "no measurements"),
        ("", 1, None, "the file is empty"),
    ],
)  # fmt: skip
def test_a_bad_cell_is_named_by_file_line_and_column(make_indicator, text, line, column, message):
    make_indicator()
    with pytest.raises(LoadError) as error:
        read_measurements(text.encode(), "upload.csv")
    assert (error.value.path, error.value.line, error.value.column) == ("upload.csv", line, column)
    assert message in error.value.message


def test_a_file_that_is_not_utf8_or_far_too_wide_is_refused(make_indicator):
    make_indicator()
    with pytest.raises(LoadError, match="not UTF-8") as error:
        read_measurements(
            "indicator,period,value\nnps,2025-01,1\nnps,2025-02,\xe9\n".encode("latin-1"), "x.csv"
        )
    assert error.value.line == 3
    with pytest.raises(LoadError, match="columns; a file of this format has at most 32"):
        read_measurements(("a," * 40 + "\n").encode(), "x.csv")


def test_the_demo_scorecard_loads_and_a_second_load_changes_nothing(app):
    first = load_scorecard(COMPANY, actor="test")
    db.session.commit()
    assert first.indicators_created == 8 and first.links_added == 7
    assert first.added == count(Measurement) > 100
    again = load_scorecard(COMPANY, actor="test")
    db.session.commit()
    assert (again.indicators_created, again.indicators_updated, again.links_added, again.added) == (
        0,
        0,
        0,
        0,
    )
    assert again.replaced == first.added
    nps = services.indicator_named("nps")
    ranking = services.progress_ranking(nps)
    # As the generator made it: Customer Service started lowest and improved most;
    # Supply Chain joined the survey for two months only.
    assert ranking.standings[0].department == "Customer Service"
    assert "Supply Chain" in ranking.unranked
    cs = next(s for s in services.series_of(nps) if s.label == "Customer Service")
    assert cs.change.verdict == "better"


def test_a_bad_measurement_file_in_a_folder_leaves_the_database_as_it_was(app, tmp_path):
    folder = tmp_path / "company"
    folder.mkdir()
    (folder / "scorecard.toml").write_text((COMPANY / "scorecard.toml").read_text())
    (folder / "indicator-measurements.csv").write_text(
        "indicator,period,value\nnps,2025-01,10\nnps,2025-02,eleven\n"
    )
    with pytest.raises(LoadError) as error:
        load_scorecard(folder)
    db.session.rollback()
    assert (error.value.line, error.value.column) == (3, 3)
    assert count(Indicator) == count(Measurement) == count(IndicatorLink) == 0


def test_a_bad_scorecard_toml_names_the_line_and_field(app, tmp_path):
    (tmp_path / "scorecard.toml").write_text(
        textwrap.dedent(
            """\
            [[indicators]]
            key = "nps"
            name = "NPS"
            perspective = "customer"
            direction = "increase"

            [[indicators]]
            key = "ces"
            name = "CES"
            perspective = "feelings"
            direction = "decrease"
            """
        )
    )
    with pytest.raises(LoadError) as error:
        load_scorecard(tmp_path)
    assert (error.value.line, error.value.field) == (10, "indicators[2].perspective")
    assert "'feelings' is not one of financial, customer, internal, learning" in str(error.value)
    (tmp_path / "scorecard.toml").write_text('[[links]]\nleading = "fcr"\nlagging = "cost"\n')
    with pytest.raises(LoadError, match="unknown indicator 'fcr'") as error:
        load_scorecard(tmp_path)
    assert error.value.line == 2
    (tmp_path / "scorecard.toml").write_text(
        '[[indicators]]\nkey = "nps"\nname = "NPS"\nperspective = "customer"\n'
        'direction = "increase"\nbaseline = "2025-Q1"\n'
    )
    with pytest.raises(LoadError, match="not a monthly period") as error:
        load_scorecard(tmp_path)
    assert (error.value.line, error.value.field) == (6, "indicators[1].baseline")


def test_the_cli_loads_a_scorecard_and_refuses_a_bad_one(runner, tmp_path):
    result = runner.invoke(args=["scorecard", "load", str(COMPANY)])
    assert result.exit_code == 0, result.output
    assert "indicators: 8 created" in result.output and "links: 7 added" in result.output
    bad = tmp_path / "more.csv"
    bad.write_text("indicator,period,value\nnps,2025-01,1\nnope,2025-01,1\n")
    result = runner.invoke(args=["scorecard", "load", str(bad)])
    assert result.exit_code == 1
    assert f"nothing was loaded: {bad}:3:1 (indicator): unknown indicator 'nope'" in result.output


def test_pilot_folders_name_their_indicators_and_export_them_back_byte_for_byte(app, tmp_path):
    load_path(PROJECT_ROOT / "experiments" / "knowledge-base-contacts")
    db.session.commit()
    pilot = db.session.scalar(select(Pilot))
    # The scorecard may come later: the keys are kept all the same.
    assert services.pilot_indicator_keys(pilot) == ["ces", "cost-per-contact", "fcr"]
    export_pilot(pilot, tmp_path / "first")
    text = (tmp_path / "first" / "pilot.toml").read_text()
    assert 'indicators = [\n    "ces",\n    "cost-per-contact",\n    "fcr",\n]' in text
    db.session.delete(pilot)
    db.session.commit()
    load_path(tmp_path / "first")
    db.session.commit()
    export_pilot(db.session.scalar(select(Pilot)), tmp_path / "second")
    assert (tmp_path / "second" / "pilot.toml").read_bytes() == (
        tmp_path / "first" / "pilot.toml"
    ).read_bytes()
    load_scorecard(COMPANY)
    db.session.commit()
    fcr = services.indicator_named("fcr")
    assert [p.slug for p in services.pilots_moving(fcr)] == ["knowledge-base-contacts"]


def test_a_pilot_folder_with_a_bad_indicator_key_is_refused(write_pilot):
    from tests.conftest import MINIMAL_TOML

    folder = write_pilot(pilot__toml=MINIMAL_TOML.replace(
        'departments = ["Operations", "Finance"]',
        'departments = ["Operations", "Finance"]\n    indicators = ["nps", "n p s"]',
    ))  # fmt: skip
    with pytest.raises(LoadError, match="'n p s' is not a valid indicator key") as error:
        load_path(folder)
    assert (error.value.line, error.value.field) == (5, "indicators")
