"""Forms for indicators, their measurements, cause-and-effect links and pilot links."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from testbed.auth.models import Department
from testbed.files.definition import KEY_PATTERN
from testbed.forms import WebForm
from testbed.pilots.forms import MultiCheckboxField, choices
from testbed.pilots.models import DIRECTIONS, PERSPECTIVES
from testbed.scorecard.models import CADENCES, PERIOD_EXAMPLES, PERSPECTIVE_LABELS, Indicator

NONE = 0
DIRECTION_LABELS = {"increase": "Higher is better", "decrease": "Lower is better"}


def department_choices(departments: list[Department], empty: str) -> list[tuple[int, str]]:
    return [(NONE, empty)] + [(d.id, d.name) for d in departments]


class IndicatorForm(WebForm):
    key = StringField(
        "Key",
        [
            DataRequired("give the indicator a key"),
            Length(max=80),
            Regexp(KEY_PATTERN, message="use letters, digits, - and _ only"),
        ],
        description="How files and the API name it, such as nps or cost-per-contact.",
    )
    name = StringField("Name", [DataRequired("give the indicator a name"), Length(max=200)])
    perspective = SelectField(
        "Perspective",
        choices=choices(PERSPECTIVES, PERSPECTIVE_LABELS),
        description="Where it sits on the balanced scorecard and the strategy map.",
    )
    direction = SelectField("Direction", choices=choices(DIRECTIONS, DIRECTION_LABELS))
    unit = StringField("Unit", [Length(max=80)], description="Such as points, %, EUR, hours.")
    target = FloatField("Target", [Optional()], description="Leave empty if there is none yet.")
    cadence = SelectField(
        "Cadence", choices=choices(CADENCES), description="How often it is measured."
    )
    department = SelectField(
        "Owner department",
        coerce=int,
        default=NONE,
        invalid_choice_message="Choose a department from the list.",
        description="Its head may enter the indicator's measurements.",
    )
    baseline_period = StringField(
        "Starting point",
        [Optional(), Length(max=7)],
        description="The period progress is counted from, such as 2025-01 or 2025-Q1. "
        "Leave empty to count from each department's first measured period.",
    )
    description = TextAreaField("What it measures", [Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField("Save indicator")

    def __init__(self, departments: list[Department], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices(departments, "No owner yet")
        self._departments = {d.id: d for d in departments}

    def chosen_department(self) -> Department | None:
        return self._departments.get(self.department.data)


class MeasurementForm(WebForm):
    period = StringField(
        "Period",
        [DataRequired("say which period"), Length(max=7)],
    )
    department = SelectField(
        "Department",
        coerce=int,
        default=NONE,
        invalid_choice_message="Choose a department from the list.",
    )
    value = FloatField("Value", [InputRequired("enter the value")])
    n = IntegerField(
        "Answers (n)",
        [Optional(), NumberRange(min=1, message="at least 1")],
        description="When the value is a mean of answers: how many. Gives the change an interval.",
    )
    sd = FloatField(
        "Standard deviation",
        [Optional(), NumberRange(min=0, message="not negative")],
        description="Of the answers, with n.",
    )
    submit = SubmitField("Save measurement")

    def __init__(self, indicator: Indicator, departments: list[Department], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.period.description = (
            f"A {indicator.cadence} period such as {PERIOD_EXAMPLES[indicator.cadence]}. "
            "A period already measured for the department is replaced."
        )
        self.department.choices = department_choices(departments, "Company-wide")
        self._departments = {d.id: d for d in departments}

    def chosen_department(self) -> Department | None:
        return self._departments.get(self.department.data)


class MeasurementFileForm(WebForm):
    file = FileField(
        "Measurements CSV",
        [FileRequired("choose a CSV file")],
        description="Columns indicator, period, value and optionally department, n, sd "
        "(see the file format). All rows are stored, or none.",
    )
    submit = SubmitField("Load measurements")


class LinkForm(WebForm):
    leading = SelectField(
        "Leading indicator", coerce=int, invalid_choice_message="Choose an indicator."
    )
    lagging = SelectField(
        "Lagging indicator", coerce=int, invalid_choice_message="Choose an indicator."
    )
    note = StringField("Why", [Length(max=2000)], description="How the one drives the other.")
    submit = SubmitField("Add link")

    def __init__(self, indicators: list[Indicator], *args, **kwargs):
        super().__init__(*args, **kwargs)
        options = [(i.id, i.name) for i in indicators]
        self.leading.choices = options
        self.lagging.choices = options
        self._indicators = {i.id: i for i in indicators}

    def chosen(self, name: str) -> Indicator:
        return self._indicators[getattr(self, name).data]


class DeleteForm(WebForm):
    """A button that removes something: only the CSRF token travels."""


class PilotIndicatorsForm(WebForm):
    indicators = MultiCheckboxField("Indicators it is meant to move")
    submit = SubmitField("Save")

    def __init__(self, indicators: list[Indicator], held: list[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = {i.key: i.name for i in indicators}
        # A key a pilot folder named before the scorecard had it stays offered, so saving
        # the form never drops it unasked.
        self.indicators.choices = [(i.key, i.name) for i in indicators] + [
            (key, f"{key} (not on the scorecard)") for key in held if key not in names
        ]
