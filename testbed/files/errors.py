"""The error every bad input in a pilot folder raises: what is wrong, and where."""

from __future__ import annotations


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
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        place = self.path
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        field = f" ({self.field})" if self.field else ""
        return f"{place}{field}: {self.message}"
