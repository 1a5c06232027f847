"""The error every bad input in a pilot folder raises: what is wrong, and where.

Its message is in the language of the request that found the problem (an upload, an API
push), or English on the command line; it is kept as text, so it can be stored and
compared whatever it was made of.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

NOT_UTF8 = _l("not UTF-8 text: save the file as UTF-8 (from a spreadsheet: 'CSV UTF-8')")


class LoadError(ValueError):
    """Bad input in a pilot folder, with the file, line, column and field at fault."""

    def __init__(
        self,
        path,
        message: str,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ):
        self.path = str(path)
        self.line = line
        self.column = column
        self.field = field
        self.message = str(message)
        super().__init__(str(self))

    def __str__(self) -> str:
        place = self.path
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        if self.field:
            return gettext(
                "%(place)s (%(field)s): %(problem)s",
                place=place,
                field=self.field,
                problem=self.message,
            )
        return gettext("%(place)s: %(problem)s", place=place, problem=self.message)


def not_utf8(path, name: str | None = None) -> LoadError:
    """The error for a file that is not UTF-8 text, placed at its first bad byte.

    ``name`` is what the message calls the file, if not its path.
    """
    path, name = Path(path), name or str(path)
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        # A byte-order mark is no character of the first line.
        column = len(data[line_start : error.start].decode("utf-8-sig")) + 1
        return LoadError(name, NOT_UTF8, line, column)
    return LoadError(name, NOT_UTF8, 1)
