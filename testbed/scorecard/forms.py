"""Forms for indicators, their measurements, cause-and-effect links and pilot links."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
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
from testbed.scorecard.models import (
    CADENCE_LABELS,
    CADENCES,
    PERIOD_EXAMPLES,
    PERSPECTIVE_LABELS,
    Indicator,
)

NONE = 0
DIRECTION_LABELS = {"increase": _l("Higher is better"), "decrease": _l("Lower is better")}


def department_choices(departments: list[Department], empty: str) -> list[tuple[int, str]]:
    return [(NONE, empty)] + [(d.id, d.name) for d in departments]


class IndicatorForm(WebForm):
    key = StringField(
        _l("Key"),
        [
            DataRequired(_l("give the indicator a key")),
            Length(max=80),
            Regexp(KEY_PATTERN, message=_l("use letters, digits, - and _ only")),
        ],
        description=_l("How files and the API name it, such as nps or cost-per-contact."),
    )
    name = StringField(_l("Name"), [DataRequired(_l("give the indicator a name")), Length(max=200)])
    perspective = SelectField(
        _l("Perspective"),
        choices=choices(PERSPECTIVES, PERSPECTIVE_LABELS),
        description=_l("Where it sits on the balanced scorecard and the strategy map."),
    )
    direction = SelectField(_l("Direction"), choices=choices(DIRECTIONS, DIRECTION_LABELS))
    unit = StringField(
        _l("Unit"), [Length(max=80)], description=_l("Such as points, %, EUR, hours.")
    )
    target = FloatField(
        _l("Target"), [Optional()], description=_l("Leave empty if there is none yet.")
    )
    cadence = SelectField(
        _l("Cadence"),
        choices=choices(CADENCES, CADENCE_LABELS),
        description=_l("How often it is measured."),
    )
    department = SelectField(
        _l("Owner department"),
        coerce=int,
        default=NONE,
        invalid_choice_message=_l("Choose a department from the list."),
        description=_l("Its head may enter the indicator's measurements."),
    )
    baseline_period = StringField(
        _l("Starting point"),
        [Optional(), Length(max=7)],
        description=_l(
            "The period progress is counted from, such as 2025-01 or 2025-Q1. "
            "Leave empty to count from each department's first measured period."
        ),
    )
    description = TextAreaField(_l("What it measures"), [Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Save indicator"))

    def __init__(self, departments: list[Department], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices(departments, gettext("No owner yet"))
        self._departments = {d.id: d for d in departments}

    def chosen_department(self) -> Department | None:
        return self._departments.get(self.department.data)


class MeasurementForm(WebForm):
    period = StringField(
        _l("Period"),
        [DataRequired(_l("say which period")), Length(max=7)],
    )
    department = SelectField(
        _l("Department"),
        coerce=int,
        default=NONE,
        invalid_choice_message=_l("Choose a department from the list."),
    )
    value = FloatField(_l("Value"), [InputRequired(_l("enter the value"))])
    n = IntegerField(
        _l("Answers (n)"),
        [Optional(), NumberRange(min=1, message=_l("at least 1"))],
        description=_l(
            "When the value is a mean of answers: how many. Gives the change an interval."
        ),
    )
    sd = FloatField(
        _l("Standard deviation"),
        [Optional(), NumberRange(min=0, message=_l("not negative"))],
        description=_l("Of the answers, with n."),
    )
    submit = SubmitField(_l("Save measurement"))

    def __init__(self, indicator: Indicator, departments: list[Department], *args, **kwargs):
        super().__init__(*args, **kwargs)
        example = PERIOD_EXAMPLES[indicator.cadence]
        if indicator.cadence == "quarterly":
            self.period.description = gettext(
                "A quarterly period such as %(example)s. "
                "A period already measured for the department is replaced.",
                example=example,
            )
        else:
            self.period.description = gettext(
                "A monthly period such as %(example)s. "
                "A period already measured for the department is replaced.",
                example=example,
            )
        self.department.choices = department_choices(departments, gettext("Company-wide"))
        self._departments = {d.id: d for d in departments}

    def chosen_department(self) -> Department | None:
        return self._departments.get(self.department.data)


class MeasurementFileForm(WebForm):
    file = FileField(
        _l("Measurements CSV"),
        [FileRequired(_l("choose a CSV file"))],
        description=_l(
            "Columns indicator, period, value and optionally department, n, sd "
            "(see the file format). All rows are stored, or none."
        ),
    )
    submit = SubmitField(_l("Load measurements"))


class LinkForm(WebForm):
    leading = SelectField(
        _l("Leading indicator"), coerce=int, invalid_choice_message=_l("Choose an indicator.")
    )
    lagging = SelectField(
        _l("Lagging indicator"), coerce=int, invalid_choice_message=_l("Choose an indicator.")
    )
    note = StringField(
        _l("Why"), [Length(max=2000)], description=_l("How the one drives the other.")
    )
    submit = SubmitField(_l("Add link"))

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
    indicators = MultiCheckboxField(_l("Indicators it is meant to move"))
    submit = SubmitField(_l("Save"))

    def __init__(self, indicators: list[Indicator], held: list[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = {i.key: i.name for i in indicators}
        # A key a pilot folder named before the scorecard had it stays offered, so saving
        # the form never drops it unasked.
        self.indicators.choices = [(i.key, i.name) for i in indicators] + [
            (key, gettext("%(key)s (not on the scorecard)", key=key))
            for key in held
            if key not in names
        ]
