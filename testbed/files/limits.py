"""Caps on the shape of a CSV body sent over the web, checked on its bytes before it is read.

The observation and summary formats have a handful of known columns and short
cells. A body far outside that shape (a header of a million columns, a cell of
twenty megabytes) would keep a worker busy for many seconds reading and
previewing it, and make a preview page of many megabytes; it is refused at
once instead, with the line and column at fault. The check looks at commas and
line breaks only, in whole blocks with numpy, so it takes a fraction of a
second even for the largest body the server accepts.
"""

from __future__ import annotations

import csv

import numpy as np
from flask_babel import gettext

from testbed.files.errors import LoadError
from testbed.i18n import figure

# The observations format has 9 columns and the summaries format 6: room for a few
# misspelt or repeated ones, each of which the header check then names.
MAX_COLUMNS = 32
# The longest cell the formats need is a unit of 120 characters (480 bytes of UTF-8).
MAX_CELL_BYTES = 4096
WINDOW = 1 << 20
COMMA, NEWLINE, RETURN = ord(","), ord("\n"), ord("\r")


def check_shape(data: bytes, name: str) -> None:
    """Raise LoadError unless every line has at most MAX_COLUMNS columns and no cell
    is longer than MAX_CELL_BYTES.

    A comma counts wherever it stands, even inside quotes: no cell of these
    formats needs one, bar a unit, which is too short to hold many. A cell's
    length is the stretch between commas and line breaks, so a cell in quotes
    that holds commas is measured in parts; the csv reader still limits those.
    """
    scan = _Scan(np.frombuffer(data, dtype=np.uint8))
    problem = scan.first_problem()
    if problem is None:
        return
    kind, start, size = problem
    line = _line_of(data, start)
    if kind == "columns":
        message = gettext(
            "line %(line)s has %(count)s columns; a file of this format has at most %(most)s",
            line=line,
            count=figure(f"{size:,}"),
            most=MAX_COLUMNS,
        )
        raise LoadError(name, message, line, MAX_COLUMNS + 1)
    column = _column_of(data, start)
    message = gettext(
        "line %(line)s, column %(column)s: a cell of %(size)s bytes; a cell holds at most %(most)s",
        line=line,
        column=column,
        size=figure(f"{size:,}"),
        most=figure(f"{MAX_CELL_BYTES:,}"),
    )
    raise LoadError(name, message, line, column)


class _Scan:
    """One pass over the bytes in windows, carrying the open line and cell across them."""

    def __init__(self, data: np.ndarray):
        self.data = data
        self.last_break = -1  # where the last comma or line break stood
        self.line_start = 0
        self.line_commas = 0  # commas seen so far on the line that is still open

    def first_problem(self) -> tuple[str, int, int] | None:
        """("columns", line start, columns) or ("cell", cell start, bytes), the earliest."""
        for start in range(0, len(self.data), WINDOW):
            found = self._window(start, self.data[start : start + WINDOW])
            if found is not None:
                return found
        tail = len(self.data) - 1 - self.last_break
        if tail > MAX_CELL_BYTES:
            return "cell", self.last_break + 1, tail
        if self.line_commas >= MAX_COLUMNS:
            return "columns", self.line_start, self.line_commas + 1
        return None

    def _window(self, start: int, window: np.ndarray) -> tuple[str, int, int] | None:
        breaks = (window == NEWLINE) | (window == RETURN)
        separators = np.flatnonzero((window == COMMA) | breaks)
        found = [self._long_cell(start, separators), None]
        # Each line's commas are the separators between its break and the one before.
        line_ends = np.flatnonzero(breaks[separators])
        if len(line_ends):
            per_line = np.diff(line_ends, prepend=-1) - 1
            per_line[0] += self.line_commas
            wide = np.flatnonzero(per_line >= MAX_COLUMNS)
            if len(wide):
                i = wide[0]
                begin = self.line_start if i == 0 else int(separators[line_ends[i - 1]]) + start + 1
                found[1] = ("columns", begin, int(per_line[i]) + 1)
            self.line_start = int(separators[line_ends[-1]]) + start + 1
            self.line_commas = len(separators) - 1 - int(line_ends[-1])
        else:
            self.line_commas += len(separators)
        problems = [problem for problem in found if problem is not None]
        return min(problems, key=lambda problem: problem[1]) if problems else None

    def _long_cell(self, start: int, separators: np.ndarray) -> tuple[str, int, int] | None:
        positions = separators + start
        lengths = np.diff(positions, prepend=self.last_break) - 1
        too_long = np.flatnonzero(lengths > MAX_CELL_BYTES)
        if len(too_long):
            i = too_long[0]
            begin = self.last_break + 1 if i == 0 else int(positions[i - 1]) + 1
            return "cell", begin, int(lengths[i])
        if len(positions):
            self.last_break = int(positions[-1])
        return None


def _line_of(data: bytes, position: int) -> int:
    """The line a byte stands on, counting LF, CR LF and CR line ends as the csv reader does."""
    before = data[:position]
    return 1 + before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n")


def _column_of(data: bytes, position: int) -> int:
    """The column a cell starting at ``position`` is in, as the csv reader counts them."""
    line_start = max(data.rfind(b"\n", 0, position), data.rfind(b"\r", 0, position)) + 1
    before = data[line_start:position]
    try:
        # A line cut inside quotes still gives the column its quoted cell began in.
        return len(next(csv.reader([before.decode("utf-8", errors="replace") + "x"])))
    except csv.Error:
        return before.count(b",") + 1
