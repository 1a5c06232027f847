"""Every CSV download neutralises formulas; the pilot folder export keeps text exactly.

tests/finance/test_finance_export.py checks neutralise() cell by cell and the
finance cost items and programme names. Here every typed text that reaches a
download starts with a formula, and every CSV route of the application is
found from its URL map, so a new download cannot slip past the rule.

``testbed export`` is the other way round: it writes the folder format that
``testbed load`` reads back, not a spreadsheet, so a quote put in front of a
cell would come back as part of the text. It must write text exactly.
"""

from __future__ import annotations

import csv
import io
import tomllib
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from testbed.extensions import db
from testbed.files.loader import load_path
from testbed.finance import comparison
from testbed.finance import services as finance
from testbed.finance.export import FORMULA_STARTS, csv_text, neutralise
from testbed.pilots.models import Pilot
from testbed.results import services as results_services
from tests.finance.conftest import FINANCE_TOML

FORMULA = '=HYPERLINK("http://evil.example","x")'

# Every text a person types that an export could carry, each starting with a formula.
HOSTILE_TOML = f"""\
    name = '{FORMULA} pilot'
    status = "active"
    start_date = 2025-01-06
    summary = '+summary'
    departments = ["Operations"]

    [partner]
    name = '@partner'
    segment = '-segment'

    [[metrics]]
    key = "wait"
    name = '{FORMULA} wait'
    kind = "mean"
    direction = "decrease"
    unit = '=unit'

    [[metrics]]
    key = "fta"
    name = "=fta"
    kind = "proportion"
    direction = "decrease"

    [[hypotheses]]
    key = "H1"
    statement = '=statement'
    metric = "fta"
    role = "primary"

    [[iterations]]
    number = 1
    title = '=title'

    [[suggestions]]
    author = '-author'
    text = '{FORMULA} suggestion'
    """


HOSTILE_OBSERVATIONS = """\
    metric,group,value,unit,iteration
    wait,baseline,12.5,=HYPERLINK(1),1
    wait,baseline,14.0,-unit,1
    wait,pilot,9.5,@unit,1
    wait,pilot,11.0,+unit,1
    fta,baseline,1,,1
    fta,baseline,0,,1
    fta,pilot,0,,1
    fta,pilot,0,,1
    """


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    monkeypatch.setattr(results_services, "_CACHE", {})
    monkeypatch.setattr(comparison, "_RETURNS", {})


@pytest.fixture
def hostile_pilot(app, write_pilot) -> Pilot:
    folder = write_pilot(
        "hostile", pilot__toml=HOSTILE_TOML + FINANCE_TOML, observations__csv=HOSTILE_OBSERVATIONS
    )
    load_path(folder)
    db.session.commit()
    return db.session.scalar(select(Pilot))


def csv_routes(app, slug: str) -> list[str]:
    """Every GET address of the application that answers with a CSV file."""
    addresses = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.rule.endswith(".csv"):
            arguments = {name: slug for name in rule.arguments}
            addresses.append(rule.rule.replace("<slug>", slug) if arguments else rule.rule)
    return addresses


def cells(response) -> list[str]:
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


# Compatibility forms that NFKC folds to a formula's first character (Unicode UAX #15):
# fullwidth, small and superscript equals, plus, minus and at signs.
FOLDED_STARTS = ["\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe66", "\ufe62", "\u207c", "\u208a"]


def reads_as_formula(cell: str) -> bool:
    """As a spreadsheet that folds compatibility forms might read the cell."""
    folded = (unicodedata.normalize("NFKC", part) for part in (cell, cell[:1]))
    return any(form.startswith(FORMULA_STARTS) for form in folded)


def test_every_csv_download_neutralises_every_typed_text(app, client, login, hostile_pilot):
    for start in FOLDED_STARTS:
        finance.add_programme(name=f"{start}SUM(1+1)", roi=0.1, actor="finance@example.org")
    db.session.commit()
    login("admin")
    routes = csv_routes(app, hostile_pilot.slug)
    assert len(routes) >= 2, routes
    for route in routes:
        response = client.get(route)
        assert response.status_code == 200, route
        assert response.mimetype == "text/csv"
        found = cells(response)
        # Only the figures the application computed may start with a minus sign.
        running = [c for c in found if reads_as_formula(c) and not is_number(c)]
        assert running == [], f"{route} writes cells a spreadsheet would run"
        assert any(c.startswith("'=") for c in found), f"{route} carried no typed text"
    pilot_csv = cells(client.get(f"/pilots/{hostile_pilot.slug}/finance.csv"))
    assert {f"'{start}SUM(1+1)" for start in FOLDED_STARTS} <= set(pilot_csv)


@pytest.mark.parametrize("start", FOLDED_STARTS + ["\uff1d\u0338"])
def test_a_cell_starting_with_a_form_that_folds_to_a_formula_is_neutralised(start):
    typed = f"{start}HYPERLINK(1)"
    assert neutralise(typed) == "'" + typed
    assert neutralise(f"A {start}") == f"A {start}"


# Any text, and text made of formula starts, their folded forms and combining marks.
CELL_TEXT = st.text(max_size=8) | st.text(
    alphabet=st.sampled_from([*FORMULA_STARTS, *FOLDED_STARTS, "\u0338", "1", "a", " "]),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(table=st.lists(st.lists(CELL_TEXT, min_size=1, max_size=4), min_size=1))
def test_no_text_cell_of_an_export_is_read_as_a_formula(table):
    header, *rows = table
    written = list(csv.reader(io.StringIO(csv_text(header, rows), newline="")))
    assert len(written) == len(table)
    for typed_row, written_row in zip(table, written, strict=True):
        for typed, cell in zip(typed_row, written_row, strict=True):
            assert not reads_as_formula(cell)
            assert cell in (typed, "'" + typed)


def test_the_folder_export_writes_formula_text_exactly_for_a_lossless_reload(
    runner, hostile_pilot, tmp_path
):
    folder = tmp_path / "exported"
    result = runner.invoke(args=["export", hostile_pilot.slug, str(folder)])
    assert result.exit_code == 0, result.output

    definition = tomllib.loads((folder / "pilot.toml").read_text(encoding="utf-8"))
    assert definition["name"] == f"{FORMULA} pilot"
    assert definition["partner"]["name"] == "@partner"
    assert [m["name"] for m in definition["metrics"]] == [f"{FORMULA} wait", "=fta"]
    assert definition["suggestions"][0]["text"] == f"{FORMULA} suggestion"
    with (folder / "observations.csv").open(newline="", encoding="utf-8") as stream:
        units = {row["unit"] for row in csv.DictReader(stream)}
    assert units == {"=HYPERLINK(1)", "-unit", "@unit", "+unit", ""}

    # Loaded again, the folder is the same pilot: nothing to change.
    reloaded = runner.invoke(args=["load", str(folder)])
    assert reloaded.exit_code == 0, reloaded.output
    assert db.session.scalar(select(Pilot)).name == f"{FORMULA} pilot"
