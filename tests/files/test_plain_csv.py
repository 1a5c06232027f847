"""Splitting plain CSV with numpy finds the cells the csv reader finds, or declines."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testbed.files import plain_csv


def csv_rows(block: bytes) -> list[list[str]]:
    """The rows Python's csv reader finds in a block, blank lines left out."""
    text = io.StringIO(block.decode("utf-8"), newline="")
    return [row for row in csv.reader(text) if row]


def split_rows(block: bytes, width: int) -> list[list[str]] | None:
    cells = plain_csv.split(block, width)
    if cells is None:
        return None
    columns = [[text.decode("utf-8") for text in cells.texts(j)] for j in range(width)]
    return [list(row) for row in zip(*columns, strict=True)]


@pytest.mark.parametrize(
    "block",
    [
        b"a,b,c\n",
        b"wait,pilot,12.5\nfta, baseline ,0\n",
        b",,\n,,\n",  # empty cells
        b"\n\na,b,c\n\nd,e,f\n\n",  # blank lines anywhere
        b"a,b,c\r\nd,e,f\r\n",  # CR LF line ends
        "Zürich,Ünit 7,2025-01-31\nOslo,été,3\n".encode(),
        b"a long unit name that is longer than thirty-two bytes,b,c\n",
        b"a\tb, b ,c \x0b\n",  # tabs and other spaces are text to the csv reader
    ],
)
def test_a_plain_block_splits_into_the_cells_the_csv_reader_finds(block):
    assert split_rows(block, 3) == csv_rows(block)


@pytest.mark.parametrize(
    "block",
    [
        b'a,"b",c\n',  # a quote
        b'a,b"c,d\n',  # a quote inside a cell
        b"a,b,c\rd,e,f\n",  # a carriage return that ends no CR LF
        b"a,b\x00,c\n",  # NUL
        b"a,b,c\nd,e\n",  # a short row
        b"a,b,c,d\n",  # a long row
        b" \n",  # a line of a space is a row of one cell
    ],
)
def test_a_block_that_is_not_plain_is_declined(block):
    assert plain_csv.split(block, 3) is None


ALPHABET = st.sampled_from(["a", "b", "7", ".", " ", "é", ",", "\n", "\r", "\r\n", '"', "\t"])


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(ALPHABET, max_size=40), width=st.integers(1, 4))
def test_split_agrees_with_the_csv_reader_or_declines(pieces, width):
    block = ("".join(pieces) + "\n").encode()
    found = split_rows(block, width)
    rows = csv_rows(block)
    if found is not None:
        assert found == rows
    elif b'"' not in block and b"\r" not in block.replace(b"\r\n", b""):
        # With no quote and no lone CR, only a row of another width is declined.
        assert any(len(row) != width for row in rows)


def test_distinct_texts_give_back_every_cell_in_order(monkeypatch):
    units = [b"", b"A", b"A ", b"unit-0000000001", b"unit-0000000002", b"x" * 70, b"x" * 69]
    cells = [units[(n * 7) % len(units)] for n in range(300)]
    block = b"".join(b"m," + unit + b"\n" for unit in cells)
    split = plain_csv.split(block, 2)
    texts, codes = split.distinct(1)
    assert sorted(texts) == sorted(set(cells))
    assert [texts[code] for code in codes] == cells


def test_distinct_texts_are_told_apart_when_their_keys_collide(monkeypatch):
    # With no mixing, a key is a text's last eight bytes: these two share it.
    monkeypatch.setattr(plain_csv, "_MIX", plain_csv.np.uint64(0))
    cells = [b"first---same-end", b"second--same-end", b"first---same-end"]
    split = plain_csv.split(b"".join(b"m," + cell + b"\n" for cell in cells), 2)
    texts, codes = split.distinct(1)
    assert [texts[code] for code in codes] == cells


def test_blocks_end_on_line_breaks_and_know_their_offset_and_first_line(monkeypatch):
    monkeypatch.setattr(plain_csv, "BLOCK_BYTES", 16)
    lines = [b"a,b\n", b"cc,dd\n", b"e" * 40 + b",f\n", b"\n", b"g,h\n", b"last,row"]
    data = b"header\n" + b"".join(lines)
    stream = io.BytesIO(data)
    stream.readline()
    found = list(plain_csv.blocks(stream, first_line=2))
    assert b"".join(block for _, _, block in found) == b"".join(lines) + b"\n"
    for offset, line, block in found:
        assert block.endswith(b"\n")
        assert data[offset : offset + len(block)].rstrip(b"\n") == block.rstrip(b"\n")
        assert line == data[:offset].count(b"\n") + 1
    assert any(len(block) > 16 for _, _, block in found), "a line longer than a block"


@pytest.mark.parametrize(
    ("line", "plain"),
    [
        (b"metric,group,value\n", True),
        (b"metric,group,value\r\n", True),
        (b"metric,group,value", True),
        (b'metric,"group",value\n', False),
        (b"metric,gr\roup,value\n", False),
        (b"\n", False),
    ],
)
def test_a_header_is_plain_without_quotes_or_stray_line_breaks(line, plain):
    assert plain_csv.plain_header(line) is plain
