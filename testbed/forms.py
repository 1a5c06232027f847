"""The base of every web form: it refuses what no column can hold, whatever the form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, StringField, TextAreaField
from wtforms.validators import StopValidation

from testbed.extensions import MAX_INT

# Text of several lines may hold tabs and line breaks; no other C0 control
# character belongs in what people type (and PostgreSQL refuses NUL outright).
MULTI_LINE_CONTROLS = frozenset("\t\n\r")


def first_control_character(text: str, allowed: frozenset[str]) -> tuple[int, str] | None:
    """(position from 1, character) of the first C0 control character not ``allowed``."""
    return next(
        ((place, char) for place, char in enumerate(text, 1) if char < " " and char not in allowed),
        None,
    )


def refuse_control_characters(_form, field: Field) -> None:
    if not isinstance(field, StringField):
        return  # dates, numbers and choices refuse such text as not theirs already
    allowed = MULTI_LINE_CONTROLS if isinstance(field, TextAreaField) else frozenset()
    for text in field.raw_data or ():
        found = first_control_character(text, allowed) if isinstance(text, str) else None
        if found:
            place, char = found
            raise StopValidation(
                f"Remove the control character U+{ord(char):04X} (character {place}): "
                "typed text cannot hold it."
            )


def refuse_numbers_past_the_columns(_form, field: Field) -> None:
    if isinstance(field, IntegerField) and field.data is not None and abs(field.data) > MAX_INT:
        raise StopValidation(f"Enter a whole number from {-MAX_INT:,} to {MAX_INT:,}.")


class WebForm(FlaskForm):
    """Every page's form: before a field's own checks that may look things up, the field is
    refused if it holds a control character or a whole number past the integer columns.

    A text or a number that no column can hold would otherwise reach the database, which
    fails the whole request (PostgreSQL refuses NUL and integers past 2**31 - 1, SQLite's
    driver numbers past 2**63) or keeps characters nobody can see.
    """

    def validate(self, extra_validators=None) -> bool:
        # Extra validators run after those the field was declared with (which never
        # query) and before the form's validate_<field> methods (which may).
        given = extra_validators or {}
        checks = (refuse_control_characters, refuse_numbers_past_the_columns)
        extra = {name: [*checks, *given.get(name, ())] for name in self._fields}
        return super().validate(extra)
