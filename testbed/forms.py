"""The base of every web form: it refuses what no column can hold, whatever the form."""

from __future__ import annotations

import math

from flask import request
from flask_babel import gettext
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import DecimalField, Field, FloatField, IntegerField, StringField, TextAreaField
from wtforms.validators import StopValidation

from testbed.extensions import MAX_INT
from testbed.i18n import figure

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
            code = f"U+{ord(char):04X}"
            raise StopValidation(
                gettext(
                    "Remove the control character %(code)s (character %(place)s): "
                    "typed text cannot hold it.",
                    code=code,
                    place=place,
                )
            )


def refuse_numbers_past_the_columns(_form, field: Field) -> None:
    if isinstance(field, IntegerField) and field.data is not None and abs(field.data) > MAX_INT:
        raise StopValidation(
            gettext(
                "Enter a whole number from %(low)s to %(high)s.",
                low=figure(f"{-MAX_INT:,}"),
                high=figure(f"{MAX_INT:,}"),
            )
        )


def json_fields(body) -> list[tuple[str, str]]:
    """A JSON body's fields as a posted form would send them: names with text values.

    A posted form holds only text; a JSON body may be a list, a number, or hold nulls,
    nested objects or numbers. Numbers become their text (as a form field would send
    them), true becomes "y" (a ticked box), and what no form field could send is left
    out, so the field reads as not given and its own checks say so.
    """
    if not isinstance(body, dict):
        return []
    fields = []
    for name, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            text = _as_form_text(item)
            if text is not None:
                fields.append((str(name), text))
    return fields


def _as_form_text(value) -> str | None:
    if isinstance(value, bool):
        return "y" if value else None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def refuse_numbers_that_are_not_finite(_form, field: Field) -> None:
    # float() reads "inf", "nan" and "1e999" as numbers, which no statistic can use and
    # PostgreSQL's numeric columns refuse.
    number = field.data if isinstance(field, FloatField | DecimalField) else None
    if number is not None and not math.isfinite(number):
        raise StopValidation(gettext("Enter a finite number, such as 0.05 or 12.5."))


class WebForm(FlaskForm):
    """Every page's form: before a field's own checks that may look things up, the field is
    refused if it holds a control character, a whole number past the integer columns, or a
    number that is not finite.

    A text or a number that no column can hold would otherwise reach the database, which
    fails the whole request (PostgreSQL refuses NUL and integers past 2**31 - 1, SQLite's
    driver numbers past 2**63) or keeps characters nobody can see.

    Flask-WTF reads a JSON body as readily as a posted form; its fields are read as a
    posted form's would be (``json_fields``), so no body shape can fail the request.
    """

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and request.is_json and request.method != "GET":
                return ImmutableMultiDict(json_fields(request.get_json(silent=True)))
            return super().wrap_formdata(form, formdata)

    def validate(self, extra_validators=None) -> bool:
        # Extra validators run after those the field was declared with (which never
        # query) and before the form's validate_<field> methods (which may).
        given = extra_validators or {}
        checks = (
            refuse_control_characters,
            refuse_numbers_past_the_columns,
            refuse_numbers_that_are_not_finite,
        )
        extra = {name: [*checks, *given.get(name, ())] for name in self._fields}
        return super().validate(extra)


def page_status(form: FlaskForm) -> int:
    """The status of a form's page: 200 when shown, 422 when it comes back refused."""
    return 422 if form.is_submitted() else 200
