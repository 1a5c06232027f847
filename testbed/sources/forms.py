"""Forms for data sources (administrators) and metric queries (the pilot's editors)."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from testbed.extensions import db
from testbed.forms import WebForm
from testbed.sources.models import DataSource
from testbed.sources.query import QueryError, check_select
from testbed.sources.vault import parse_url


class SourceForm(WebForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    url = StringField(
        _l("Connection URL"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l(
            "Any SQLAlchemy URL, e.g. postgresql://reader@warehouse.example/sales or "
            "duckdb:////srv/data/contacts.duckdb. Put the password in the field below."
        ),
    )
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(max=500)],
        description=_l("Stored encrypted and never shown again."),
    )
    timeout_seconds = IntegerField(
        _l("Time limit (seconds)"), default=60, validators=[DataRequired(), NumberRange(1, 3600)]
    )
    submit = SubmitField(_l("Test and save"))

    def __init__(self, *args, source: DataSource | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        if source is not None:
            self.password.label.text = gettext("Replace the password")
            self.password.description = gettext("Unchanged unless you enter a new one here.")

    def validate_name(self, field) -> None:
        other = db.session.scalar(select(DataSource).where(DataSource.name == field.data.strip()))
        if other is not None and other is not self.source:
            raise ValidationError(gettext("A data source of this name exists already."))

    def validate_url(self, field) -> None:
        try:
            url = parse_url(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        if url.password is not None:
            raise ValidationError(
                gettext("Leave the password out of the URL; enter it in its own field.")
            )


class QueryForm(WebForm):
    source_id = SelectField(_l("Data source"), coerce=int)
    sql = TextAreaField(
        _l("Query"),
        validators=[DataRequired(), Length(max=20_000)],
        description=_l(
            'One SELECT with columns "group" and value, and optionally denominator, '
            "period, unit, date, iteration and covariate; :start and :end are the pilot's dates."
        ),
    )
    submit = SubmitField(_l("Save the query"))

    def __init__(self, *args, sources: list[DataSource], **kwargs):
        super().__init__(*args, **kwargs)
        self.source_id.choices = [(s.id, s.name) for s in sources]

    def validate_sql(self, field) -> None:
        try:
            check_select(field.data)
        except QueryError as error:
            raise ValidationError(str(error)) from None


class RefreshForm(WebForm):
    submit = SubmitField(_l("Refresh now"))
