"""What the parts of an address may hold: only what the database can look up."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, UnicodeConverter

from testbed.extensions import MAX_INT


def numbers_up_to(limit: int) -> str:
    """A regular expression for 1 to ``limit`` in ASCII digits, without leading zeros."""
    digits = str(limit)
    width = len(digits)
    shorter = [f"[1-9][0-9]{{0,{width - 2}}}"] if width > 1 else []
    same_width = [digits]
    for place, digit in enumerate(digits):
        lowest = 1 if place == 0 else 0
        below = int(digit) - 1
        if below >= lowest:
            choice = str(below) if below == lowest else f"[{lowest}-{below}]"
            rest = width - place - 1
            same_width.append(digits[:place] + choice + (f"[0-9]{{{rest}}}" if rest else ""))
    return "(?:" + "|".join(shorter + same_width) + ")"


class DatabaseInt(IntegerConverter):
    """Werkzeug's ``int``, matching only 1 to ``MAX_INT``: any other number is no address.

    The stock converter takes any number of digits, and a query with a number past the
    columns' range fails in the driver (SQLite past 2**63) or the database (PostgreSQL's
    integer past 2**31 - 1) instead of finding nothing. The range is in the pattern, not
    checked after matching, so routing goes on to the next rule as for any other address
    it lacks: a page answers 404 and the API's catch-all its JSON 404 (a bound checked
    after matching would give 405 where another method shares the address).
    """

    regex = numbers_up_to(MAX_INT)


class TextPart(UnicodeConverter):
    """Werkzeug's default part of an address (``<slug>``), without C0 control characters.

    Such a part is looked up as text, and PostgreSQL fails the query on a NUL (``%00``)
    instead of finding nothing; no slug, key or token holds a control character anyway.
    """

    def __init__(self, url_map, minlength: int = 1, maxlength=None, length=None) -> None:
        super().__init__(url_map, minlength, maxlength, length)
        # The parent's pattern is "[^/]" and a length: keep the length, refuse controls too.
        self.regex = r"[^/\x00-\x1f]" + self.regex.removeprefix("[^/]")


def register_converters(app) -> None:
    """Before any route is added: the converters every blueprint's addresses are read with."""
    app.url_map.converters["int"] = DatabaseInt
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextPart
