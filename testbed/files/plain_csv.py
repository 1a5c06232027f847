"""Plain CSV split into columns with numpy, for large observation files.

Most observation files are plain: no quotes, one row per line. Such a file
can be cut into cells by finding its commas and line breaks in whole blocks of
bytes, with no Python object per cell; only the distinct texts of a column
become Python strings, and only number columns are read cell by cell. That is
the difference between a million-row import in seconds and in many seconds.

A block is plain when it holds no quote, no NUL, no carriage return other than
in CR LF line ends, and every line that is not blank has the header's number
of fields. For such a block the cells are exactly the ones Python's csv reader
finds. Anything else is left to the csv reader, which names the line and
column of whatever is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pandas

BLOCK_BYTES = 1 << 20
COMMA, NEWLINE = ord(","), ord("\n")
WORD = 8  # bytes per uint64: cells are compared eight bytes at a time
# Bits that keep the first k bytes of a little-endian word, for k = 0..8.
_KEEP = np.array([(1 << (8 * k)) - 1 for k in range(WORD)] + [2**64 - 1], dtype=np.uint64)
# An odd multiplier that mixes a long cell's words into one key; keys that
# collide are told apart by comparing the words themselves.
_MIX = np.uint64(0x9E3779B97F4A7C15)


def plain_header(line: bytes) -> bool:
    """Whether a header line (its line break included) can be split at its commas."""
    line = line.removesuffix(b"\n").removesuffix(b"\r")
    return bool(line) and not any(mark in line for mark in (b'"', b"\r", b"\n", b"\0"))


def blocks(stream: BinaryIO, first_line: int) -> Iterator[tuple[int, int, bytes]]:
    """(byte offset, first line number, block) of whole lines of about ``BLOCK_BYTES``."""
    offset, line, rest = stream.tell(), first_line, b""
    while True:
        data = stream.read(BLOCK_BYTES)
        if not data:
            if rest:
                yield offset, line, rest + b"\n"
            return
        data = rest + data
        end = data.rfind(b"\n") + 1
        if not end:
            rest = data  # a line longer than a block: read on
            continue
        block, rest = data[:end], data[end:]
        yield offset, line, block
        offset, line = offset + len(block), line + block.count(b"\n")


@dataclass
class Cells:
    """The cells of a plain block: a start and a length per (row, column)."""

    data: np.ndarray  # the block's bytes, followed by a word of zeros
    starts: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    def texts(self, column: int) -> list[bytes]:
        """Every cell of ``column`` as bytes."""
        return _as_bytes(self._words(column))

    def distinct(self, column: int) -> tuple[list[bytes], np.ndarray]:
        """The column's distinct texts, and each cell's index into them."""
        words = self._words(column)
        key = words[:, 0].copy()
        for k in range(1, words.shape[1]):
            key = key * _MIX + words[:, k]  # wraps around, as a hash should
        codes, keys = pandas.factorize(key)
        first = np.empty(len(keys), dtype=np.intp)
        first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write is the first row
        if words.shape[1] > 1 and not (words[first][codes] == words).all():
            # Two texts share a key: tell them apart by their bytes.
            _, first, codes = np.unique(words, axis=0, return_index=True, return_inverse=True)
            codes = codes.ravel()
        return _as_bytes(words[first]), codes

    def _words(self, column: int) -> np.ndarray:
        """Each cell as little-endian words of eight bytes, zero past its end."""
        starts, lengths = self.starts[:, column], self.lengths[:, column]
        count = max(1, -(-int(lengths.max(initial=0)) // WORD))
        # The word that starts at every byte of the block, without copying it.
        at = np.ndarray((len(self.data) - WORD + 1,), dtype="<u8", buffer=self.data, strides=(1,))
        words = np.empty((len(starts), count), dtype="<u8")  # back to bytes in their order
        for k in range(count):
            taken = np.clip(lengths - k * WORD, 0, WORD)
            words[:, k] = at[np.minimum(starts + k * WORD, len(at) - 1)] & _KEEP[taken]
        return words


def _as_bytes(words: np.ndarray) -> list[bytes]:
    """Rows of words back to texts; numpy drops the zeros past each text's end."""
    return np.ascontiguousarray(words).view(f"S{words.shape[1] * WORD}").ravel().tolist()


def split(block: bytes, width: int) -> Cells | None:
    """The cells of a block of whole lines, or None if it is not plain."""
    if b'"' in block or b"\0" in block:
        return None
    if b"\r" in block:
        if block.count(b"\r") != block.count(b"\r\n"):
            return None
        block = block.replace(b"\r\n", b"\n")
    data = np.frombuffer(block + bytes(WORD), dtype=np.uint8)
    text = data[: len(block)]
    ends = np.flatnonzero((text == COMMA) | (text == NEWLINE))
    starts = np.empty_like(ends)
    starts[:1], starts[1:] = 0, ends[:-1] + 1
    kinds = text[ends]
    # A blank line is a line break right after another one (or at the start).
    blank = (kinds == NEWLINE) & (starts == ends) & (text[starts - 1] == NEWLINE)
    blank[:1] = (kinds[:1] == NEWLINE) & (ends[:1] == 0)
    if blank.any():
        keep = ~blank
        ends, starts, kinds = ends[keep], starts[keep], kinds[keep]
    if len(ends) % width:
        return None
    kinds = kinds.reshape(-1, width)
    if not ((kinds[:, :-1] == COMMA).all() and (kinds[:, -1] == NEWLINE).all()):
        return None
    starts = starts.reshape(-1, width)
    return Cells(data, starts, ends.reshape(-1, width) - starts)
