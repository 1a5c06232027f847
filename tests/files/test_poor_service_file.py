"""``company/poor-service.toml`` and pilots' claims: loaded all or nothing, written back exactly."""

from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import select

from testbed import PROJECT_ROOT
from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.export import export_pilot
from testbed.files.loader import load_path
from testbed.files.poor_service import export_model, load_model, model_text
from testbed.finance.models import PoorServiceClaim, PoorServiceLine
from testbed.pilots.models import Pilot
from tests.conftest import MINIMAL_TOML

MODEL = """\
    currency = "EUR"

    [[lines]]
    key = "healthcare-missed"
    segment = "healthcare"
    kind = "rework"
    name = "Appointments missed and booked again"
    volume = 12000
    volume_range = [10000, 15000]
    unit_cost = 80.0
    unit_cost_range = [60.0, 110.0]
    source = "Booking system"
    period = "2024"

    [[lines]]
    key = "healthcare-complaints"
    segment = "healthcare"
    kind = "complaints"
    name = "Complaints"
    volume = 900
    unit_cost = 35.0
    source = "Complaints register"
    period = "2024"
    """
CLAIM = """
    [finance]
    currency = "EUR"

    [[finance.costs]]
    item = "SMS gateway"
    amount = 4000

    [[finance.poor_service]]
    line = "healthcare-missed"
    metric = "fta"
    share = 0.25
    """


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def model_path(tmp_path):
    return write(tmp_path / "pilots" / "company" / "poor-service.toml", MODEL)


def test_the_model_loads_and_a_second_load_changes_nothing(app, model_path):
    assert load_model(model_path) == "created"
    db.session.commit()
    lines = {line.key: line for line in db.session.scalars(select(PoorServiceLine))}
    assert lines["healthcare-missed"].volume_range == (10_000.0, 15_000.0)
    assert lines["healthcare-complaints"].unit_cost_range is None
    assert load_model(model_path) == "unchanged"


def test_a_folder_of_pilots_loads_its_model_first_so_claims_find_their_lines(
    app, model_path, write_pilot
):
    write_pilot("reminders", pilot__toml=MINIMAL_TOML + CLAIM)
    load_path(model_path.parent.parent)
    db.session.commit()
    claim = db.session.scalar(select(PoorServiceClaim))
    assert (claim.line.key, claim.metric.key, claim.share) == ("healthcare-missed", "fta", 0.25)


def test_a_claim_on_a_line_the_model_lacks_stops_the_load(app, write_pilot):
    folder = write_pilot("reminders", pilot__toml=MINIMAL_TOML + CLAIM)
    text = (folder / "pilot.toml").read_text()
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("line = "))
    place = rf"pilot\.toml:{line}:1 \(finance\.poor_service\[1\]\.line\)"
    with pytest.raises(LoadError, match=place + ": the cost of poor service has no line"):
        load_path(folder)
    db.session.rollback()
    assert db.session.scalar(select(Pilot)) is None


@pytest.mark.parametrize(
    ("claim", "field", "message"),
    [
        ('metric = "nope"\n    share = 0.25', "metric", "unknown metric 'nope'"),
        ('metric = "wait"\nshare = 1.5', "share", "'share' must be above 0 and at most 1"),
    ],
)
def test_a_bad_claim_is_refused_at_its_line(app, model_path, write_pilot, claim, field, message):
    load_model(model_path)
    toml = MINIMAL_TOML + CLAIM.replace('metric = "fta"\n    share = 0.25', claim)
    folder = write_pilot("reminders", pilot__toml=toml)
    with pytest.raises(LoadError, match=rf"\(finance\.poor_service\[1\]\.{field}\): {message}"):
        load_path(folder)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("kind = \"rework\"", "kind = \"delays\"", "kind", "'delays' is not one of"),
        ("volume_range = [10000, 15000]", "volume_range = [13000, 15000]", "volume_range",
         "hold the stated 12000"),
        ("volume_range = [10000, 15000]", "volume_range = [10000]", "volume_range",
         "two numbers, low first"),
        ('period = "2024"\n\n', "\n", "period", "the key 'period' is required"),
        ("unit_cost = 80.0", "unit_cost = -80.0", "unit_cost", "must be zero or more"),
    ],
)  # fmt: skip
def test_a_bad_line_names_file_line_column_and_field(app, model_path, old, new, field, message):
    write(model_path, MODEL.replace(old, new, 1))
    with pytest.raises(LoadError, match=rf"poor-service\.toml:\d+:\d+ \(lines\[1\]\.{field}\)"):
        load_model(model_path)
    with pytest.raises(LoadError, match=message):
        load_model(model_path)
    assert db.session.scalar(select(PoorServiceLine)) is None


def test_a_model_that_drops_a_claimed_line_is_refused_whole(app, model_path, write_pilot):
    write_pilot("reminders", pilot__toml=MINIMAL_TOML + CLAIM)
    load_path(model_path.parent.parent)
    db.session.commit()
    kept = MODEL[: MODEL.index('    [[lines]]\n    key = "healthcare-missed"')]
    kept += MODEL[MODEL.index('    [[lines]]\n    key = "healthcare-complaints"') :]
    write(model_path, kept.replace("volume = 900", "volume = 950"))
    with pytest.raises(
        LoadError, match="the line 'healthcare-missed' is claimed by Reminder pilot"
    ):
        load_model(model_path)
    db.session.rollback()
    complaints = db.session.scalar(
        select(PoorServiceLine).where(PoorServiceLine.key == "healthcare-complaints")
    )
    assert complaints.volume == 900


def test_the_model_and_a_claim_travel_byte_for_byte(app, model_path, write_pilot, tmp_path):
    write_pilot("reminders", pilot__toml=MINIMAL_TOML + CLAIM)
    load_path(model_path.parent.parent)
    db.session.commit()
    first = tmp_path / "first"
    export_model(first / "company" / "poor-service.toml")
    export_pilot(db.session.scalar(select(Pilot)), first / "reminders")
    assert (
        'poor_service = [\n    { line = "healthcare-missed"'
        in (first / "reminders" / "pilot.toml").read_text()
    )

    db.session.remove()
    db.drop_all()
    db.create_all()
    load_path(first)
    db.session.commit()
    second = tmp_path / "second"
    export_model(second / "company" / "poor-service.toml")
    export_pilot(db.session.scalar(select(Pilot)), second / "reminders")
    for name in ("company/poor-service.toml", "reminders/pilot.toml"):
        assert (second / name).read_bytes() == (first / name).read_bytes(), name


def test_the_demo_model_loads_with_the_demo_pilots(app):
    load_path(PROJECT_ROOT / "experiments")
    db.session.commit()
    assert len(db.session.scalars(select(PoorServiceLine)).all()) == 9
    claim = db.session.scalar(select(PoorServiceClaim))
    assert claim.line.key == "healthcare-emergency-orders"
    assert model_text() == (PROJECT_ROOT / "experiments/company/poor-service.toml").read_text()


def test_the_commands_load_and_export_the_model(runner, model_path, tmp_path):
    result = runner.invoke(args=["load", str(model_path)])
    assert result.exit_code == 0, result.output
    assert "poor-service.toml: created" in result.output
    target = tmp_path / "out" / "poor-service.toml"
    result = runner.invoke(args=["poor-service", "export", str(target)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["load", str(target)])
    assert "poor-service.toml: unchanged" in result.output
    write(model_path, MODEL.replace('kind = "rework"', 'kind = "delays"'))
    result = runner.invoke(args=["load", str(model_path)])
    assert result.exit_code == 1
    assert "nothing was loaded" in result.output and "(lines[1].kind)" in result.output
