"""Arbitrary pilot folders and uploads: a clean load or a LoadError that names its place.

Whatever a folder holds, ``testbed load`` either loads it or raises LoadError
naming the file and the line (or, for a missing key, the field), and the
rolled-back session has stored nothing. An upload from the browser either
shows its preview or the form again with a message: never a server error,
and a refused upload leaves no file behind.
"""

from __future__ import annotations

import csv
import io
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from testbed.extensions import db
from testbed.files.errors import LoadError
from testbed.files.loader import load_path
from testbed.files.tables import OBSERVATION_COLUMNS, SUMMARY_COLUMNS
from tests.conftest import MINIMAL_OBSERVATIONS, MINIMAL_TOML

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(FUZZ, max_examples=40)

PILOT_TOML = textwrap.dedent(MINIMAL_TOML)
OBSERVATIONS = textwrap.dedent(MINIMAL_OBSERVATIONS)

# Cells a real file might hold, and the corners where parsers break.
CELL_SAMPLES = [
    "wait",
    "fta",
    "baseline",
    "pilot",
    "pre",
    "post",
    "0",
    "1",
    "12.5",
    "-3",
    "1e308",
    "1e309",
    "nan",
    "-inf",
    "",
    " ",
    "2025-01-31",
    "2025-13-01",
    "\u00b2",  # a superscript two: a digit to str.isdigit, not to int()
    "\u0661",  # an Arabic-Indic one
    "99999999999999999999",
    "\x00",
    '"',
    "a,b",
    "line\nbreak",
    "=HYPERLINK(1)",
    "x" * 300,
]
cells = st.one_of(st.sampled_from(CELL_SAMPLES), st.text(max_size=12))
column_names = st.sampled_from(
    [*OBSERVATION_COLUMNS, *SUMMARY_COLUMNS, "colour", "", "METRIC", " value "]
)


@st.composite
def csv_tables(draw) -> str:
    """A header of plausible and odd columns, rows of about its width, as CSV text."""
    header = draw(st.lists(column_names, max_size=9))
    width = st.integers(max(len(header) - 1, 0), len(header) + 1)
    rows = draw(st.lists(width.flatmap(lambda n: st.lists(cells, min_size=n, max_size=n))))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([header, *rows])
    return out.getvalue()


@st.composite
def corrupted(draw, texts) -> bytes:
    """UTF-8 text, sometimes with arbitrary bytes spliced in somewhere."""
    data = draw(texts).encode("utf-8")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


file_contents = st.one_of(
    corrupted(csv_tables()),
    corrupted(st.text(max_size=200)),
    st.binary(max_size=300),
    st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb\xbfmetric,group,value\n\xff"]),
)

TOML_VALUES = [
    '""',
    '"=HYPERLINK(1)"',
    '"\\u0000"',
    '"' + "x" * 300 + '"',
    "0",
    "-1",
    "99999999999999999999",
    "2147483648",
    "nan",
    "-inf",
    "1e400",
    "0.5",
    "true",
    "[]",
    "[1, 2]",
    '["a", ""]',
    "{}",
    "2025-01-31",
    "2025-02-30",
    '"2025-02-30"',
]


@st.composite
def pilot_tomls(draw) -> str:
    """The minimal pilot.toml with one value replaced, or arbitrary text now and then."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=200))
    lines = PILOT_TOML.splitlines()
    settable = [i for i, line in enumerate(lines) if " = " in line]
    at = draw(st.sampled_from(settable))
    value = draw(st.one_of(st.sampled_from(TOML_VALUES), st.integers().map(str)))
    lines[at] = lines[at].split(" = ")[0] + " = " + value
    return "\n".join(lines) + "\n"


def table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.Model.metadata.sorted_tables
    }


def write_folder(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def assert_loads_or_names_its_place(folder: Path, empty: dict[str, int]) -> None:
    """Load like ``testbed load``: commit nothing, roll back, and check what was left."""
    try:
        load_path(folder)
    except LoadError as error:
        assert Path(error.path).parent == folder, f"{error} names no file of the folder"
        assert error.line is not None or error.field is not None, f"{error} names no place"
        assert str(error).startswith(error.path)
    finally:
        db.session.rollback()
    assert table_counts() == empty


@FUZZ
@given(observations=file_contents)
def test_any_observations_file_loads_or_names_file_and_line(app, tmp_path, observations):
    empty = table_counts()
    folder = write_folder(
        tmp_path / "reminders",
        {"pilot.toml": PILOT_TOML.encode(), "observations.csv": observations},
    )
    try:
        load_path(folder)
    except LoadError as error:
        assert Path(error.path) == folder / "observations.csv"
        assert error.line is not None, f"{error} names no line"
    finally:
        db.session.rollback()
    assert table_counts() == empty


@FUZZ
@given(summary=file_contents)
def test_any_summary_file_loads_or_names_file_and_line(app, tmp_path, summary):
    empty = table_counts()
    folder = write_folder(
        tmp_path / "reminders", {"pilot.toml": PILOT_TOML.encode(), "summary.csv": summary}
    )
    try:
        load_path(folder)
    except LoadError as error:
        assert Path(error.path) == folder / "summary.csv"
        assert error.line is not None, f"{error} names no line"
    finally:
        db.session.rollback()
    assert table_counts() == empty


@FUZZ
@given(definition=st.one_of(corrupted(pilot_tomls()), st.binary(max_size=200)))
def test_any_definition_loads_or_names_file_and_place(app, tmp_path, definition):
    empty = table_counts()
    folder = write_folder(
        tmp_path / "reminders",
        {"pilot.toml": definition, "observations.csv": OBSERVATIONS.encode()},
    )
    assert_loads_or_names_its_place(folder, empty)


HUGE_FIELD = b"9" * 140_000  # over the csv module's field limit


@pytest.mark.parametrize(
    ("name", "data", "place"),
    [
        ("observations.csv", b"metric,group,value\nwait,pilot,1\ncaf\xe9,pilot,1\n", ":3:4: "),
        ("observations.csv", b"\xef\xbb\xbf\xff", ":1:1: "),
        ("observations.csv", b"metric,group,value\nwait,pilot,1\n" + HUGE_FIELD, ":3: "),
        ("observations.csv", b"metric,group,value\nwait,pilot,\x00\n", ":2:3 (value): "),
        ("observations.csv", "metric,group,value,iteration\nwait,pilot,1,\u00b2\n", ":2:4 (iter"),
        ("observations.csv", "metric,group,value,unit\nwait,pilot,1," + "u" * 121, ":2:4 (unit): "),
        ("observations.csv", "metric,group,value,unit\nwait,pilot,1,a\x00b\n", ":2:4 (unit): "),
        ("summary.csv", b"metric,group,n,mean,sd\nwait,pilot,2,1,\xff\n", ":2:16: "),
        ("summary.csv", b"metric,group,n,mean,sd\n" + HUGE_FIELD, ":2: "),
        ("summary.csv", "metric,group,n,mean,sd\nwait,pilot,\u00b2,1,1\n", ":2:3 (n): "),
        ("pilot.toml", b'name = "\xff"\n', ":1:9: "),
        ("pilot.toml", b'name = "x"\n[partner', ":2:9: "),
        ("pilot.toml", b'name = "x"\n[partner]\nname =', ":3:7: "),
        ("pilot.toml", b'[partner]\nname = "x"\n', " (name): "),
        ("pilot.toml", b'name = "x"\n\n[partner]\nsegment = "y"\n', ":3:1 (partner.name): "),
    ],
)
def test_unreadable_files_are_refused_at_their_line_and_column(app, tmp_path, name, data, place):
    files = {"pilot.toml": PILOT_TOML.encode(), "observations.csv": OBSERVATIONS.encode()}
    files[name] = data if isinstance(data, bytes) else data.encode()
    folder = write_folder(tmp_path / "reminders", files)
    with pytest.raises(LoadError) as caught:
        load_path(folder)
    assert str(caught.value).startswith(str(folder / name) + place)


def test_a_failed_load_after_stored_rows_leaves_nothing(app, tmp_path):
    # The first chunk is stored before the bad row of the second is read.
    good = "wait,baseline,1\n" * 20_001
    folder = write_folder(
        tmp_path / "reminders",
        {
            "pilot.toml": PILOT_TOML.encode(),
            "observations.csv": f"metric,group,value\n{good}wait,baseline,x\n".encode(),
        },
    )
    empty = table_counts()
    with pytest.raises(LoadError, match=r"observations\.csv:20003:3 \(value\)"):
        load_path(folder)
    db.session.rollback()
    assert table_counts() == empty


# The same files sent from the browser ---------------------------------------------------


@pytest.fixture
def upload_folder(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    return tmp_path / "instance" / "uploads"


@pytest.fixture
def innovator(client, login):
    login("innovation")
    return client


def files_in(folder: Path) -> set[Path]:
    return set(folder.glob("*")) if folder.exists() else set()


@FEW
@given(data=file_contents)
def test_any_uploaded_file_is_previewed_or_refused_with_a_message(
    innovator, loaded_pilot, upload_folder, data
):
    before = files_in(upload_folder)
    response = innovator.post(
        f"/pilots/{loaded_pilot.slug}/observations/upload",
        data={"version": loaded_pilot.version, "file": (io.BytesIO(data), "observations.csv")},
    )
    added = files_in(upload_folder) - before
    if response.status_code == 302:
        assert innovator.get(response.headers["Location"]).status_code == 200
        assert sorted(path.suffix for path in added) == [".csv", ".json"]
    else:
        assert response.status_code == 422
        assert b"has-error" in response.data
        assert not added
