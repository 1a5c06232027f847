"""Forms for a pilot's financial case and the programmes it is compared with."""

from __future__ import annotations

import math

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from testbed.finance.labels import BETTER_NAMES
from testbed.finance.poor_service import LINE_FIELDS
from testbed.finance.services import MAX_HORIZON_YEARS, benefit_metric_taken, programme_named
from testbed.forms import WebForm


class TypedField:
    """Once the text is not a number, say only that: range checks would repeat it."""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class NumberField(TypedField, FloatField):
    """A finite number typed with a decimal point and no thousands separators."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            value = float(valuelist[0].strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.data = None
            raise ValueError(
                gettext("Enter a number such as 4000 or 12.5 (no thousands separators).")
            )
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        # Percentages stored as fractions come back as 18.000000000000004: show 18.
        return f"{self.data:.10f}".rstrip("0").rstrip(".")


def above_zero(form, field):
    if field.data is not None and field.data <= 0:
        raise ValidationError(gettext("Enter a number above zero."))


class WholeNumberField(TypedField, IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(gettext("Enter a whole number, such as 2.")) from None


class PilotEdit(WebForm):
    """Every edit of a pilot's case carries the version of the pilot it was made on."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class PlanForm(PilotEdit):
    currency = StringField(
        _l("Currency"),
        filters=[lambda text: text.strip().upper() if text else text],
        validators=[
            InputRequired(),
            Regexp(r"^[A-Z]{3}$", message=_l("Use a three-letter currency code such as EUR.")),
        ],
        description=_l("The three-letter code all amounts of this pilot are in: EUR, USD, GBP."),
    )
    discount_rate = NumberField(
        _l("Discount rate (% a year)"),
        validators=[InputRequired(), NumberRange(0, 100, _l("Enter a rate from 0 to 100."))],
        description=_l("The yearly rate the NPV discounts future cash flows at, such as 8."),
    )
    horizon_years = WholeNumberField(
        _l("Horizon (years)"),
        validators=[
            InputRequired(),
            NumberRange(
                1, MAX_HORIZON_YEARS, _l("Enter 1 to %(most)s years.", most=MAX_HORIZON_YEARS)
            ),
        ],
        description=_l(
            "How many years of benefit to count, from year 1; "
            "compare with programmes stated over the same horizon."
        ),
    )
    submit = SubmitField(_l("Save the plan"))

    def __init__(self, *args, latest_cost_year: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.latest_cost_year = latest_cost_year

    def validate_horizon_years(self, field):
        latest = self.latest_cost_year
        if field.data is not None and latest is not None and 1 <= field.data < latest:
            raise ValidationError(
                gettext(
                    "A cost falls in year %(year)s: move it first, or keep a horizon of "
                    "%(year)s years or more.",
                    year=latest,
                )
            )


class CostForm(PilotEdit):
    item = StringField(
        _l("What the cost is for"),
        validators=[InputRequired(), Length(max=200)],
        description=_l("Such as “SMS gateway set-up” or “Extra agent hours”."),
    )
    amount = NumberField(
        _l("Amount"),
        validators=[InputRequired(), above_zero],
        description=_l("In the plan's currency, without thousands separators."),
    )
    year = WholeNumberField(
        _l("Year"),
        validators=[InputRequired()],
        description=_l("0 is the start of the roll-out; 1 is the first year of benefit."),
    )
    recurring = BooleanField(
        _l("Recurring"),
        description=_l(
            "Tick when the amount is paid again every year from this year to the horizon."
        ),
    )
    submit = SubmitField(_l("Save the cost"))

    def __init__(self, *args, horizon_years: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.horizon_years = horizon_years
        horizon = ngettext(
            "The horizon is %(num)d years.", "The horizon is %(num)d years.", horizon_years
        )
        self.year.description = f"{self.year.description} {horizon}"

    def validate_year(self, field):
        if field.data is not None and not 0 <= field.data <= self.horizon_years:
            raise ValidationError(
                gettext(
                    "Enter a year from 0 to %(horizon)s (the horizon); "
                    "change the horizon in the plan to go further.",
                    horizon=self.horizon_years,
                )
            )


class BenefitForm(PilotEdit):
    metric = SelectField(
        _l("Metric"),
        coerce=int,
        validators=[InputRequired()],
        description=_l(
            "The benefit takes its effect from this metric's hypothesis (primary first)."
        ),
    )
    value_per_unit = NumberField(
        _l("Value per unit of improvement"),
        validators=[InputRequired(), above_zero],
        description=_l(
            "What one unit is worth, such as 85 for one missed appointment. "
            "A rate's improvement counts as a share: 2 points fewer missed is 0.02 of the volume."
        ),
    )
    volume_per_year = NumberField(
        _l("Volume per year"),
        validators=[InputRequired(), NumberRange(min=0, message=_l("Enter zero or more."))],
        description=_l("How many units a year the change reaches, such as 12000 appointments."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Optional: why one unit is worth that much, and where the volume comes from."
        ),
    )
    submit = SubmitField(_l("Save the benefit line"))

    def __init__(self, *args, pilot, benefit_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot, self.benefit_id = pilot, benefit_id
        self.metric.choices = [
            SelectChoice(m.id, f"{m.name} ({BETTER_NAMES[m.direction]})") for m in pilot.metrics
        ]

    def chosen_metric(self):
        return next((m for m in self.pilot.metrics if m.id == self.metric.data), None)

    def validate_metric(self, field):
        metric = self.chosen_metric()
        if metric is not None and benefit_metric_taken(self.pilot, metric, self.benefit_id):
            raise ValidationError(
                gettext("This metric has a benefit line already: change that one.")
            )


class DeleteForm(PilotEdit):
    submit = SubmitField(_l("Delete"))


class ProgrammeForm(WebForm):
    name = StringField(
        _l("Name"),
        filters=[lambda text: text.strip() if text else text],
        validators=[InputRequired(), Length(max=200)],
        description=_l(
            "An operational programme finance already funds, such as “Replace old switches”."
        ),
    )
    roi_percent = NumberField(
        _l("Stated ROI (%)"),
        validators=[
            InputRequired(),
            NumberRange(
                min=-100, message=_l("Enter −100 or more: a programme loses at most what it costs.")
            ),
        ],
        description=_l("Its return over the horizon, undiscounted, as a percentage: 18 for 18 %."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Optional: where the stated return comes from."),
    )
    submit = SubmitField(_l("Save the programme"))

    def __init__(self, *args, programme_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme_id = programme_id

    def validate_name(self, field):
        if field.data and programme_named(field.data, self.programme_id) is not None:
            raise ValidationError(gettext("A programme of this name exists already."))


class ConfirmForm(WebForm):
    """A button that changes something: only the CSRF token is checked."""

    submit = SubmitField(_l("Delete"))


KIND_CHOICES = [
    SelectChoice("lost_customers", _l("Customers lost × lifetime value (lost revenue)")),
    SelectChoice("rework", _l("Rework × unit cost (not done right the first time)")),
    SelectChoice("complaints", _l("Complaints × handling cost")),
]


def optional_number(label: str, description: str) -> NumberField:
    return NumberField(
        label,
        validators=[Optional(), NumberRange(min=0, message=_l("Enter zero or more."))],
        description=description,
    )


class PoorServiceLineForm(WebForm):
    """A line of the company's cost of poor service, with its stated assumptions."""

    key = StringField(
        _l("Key"),
        filters=[lambda text: text.strip() if text else text],
        validators=[
            InputRequired(),
            Length(max=80),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use letters, digits, _ and - only.")),
        ],
        description=_l("How pilot files name the line, such as healthcare-repeat-orders."),
    )
    segment = StringField(
        _l("Partner segment"),
        validators=[InputRequired(), Length(max=120)],
        description=_l("The partners' segment the figures are for, as on each pilot's partner."),
    )
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validators=[InputRequired()])
    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(max=200)],
        description=_l("What fails, such as “Orders placed again because the first was wrong”."),
    )
    currency = StringField(
        _l("Currency"),
        filters=[lambda text: text.strip().upper() if text else text],
        validators=[
            InputRequired(),
            Regexp(r"^[A-Z]{3}$", message=_l("Use a three-letter currency code such as EUR.")),
        ],
    )
    volume = NumberField(
        _l("Volume a year"),
        validators=[InputRequired(), NumberRange(min=0, message=_l("Enter zero or more."))],
        description=_l("Customers lost, contacts handled again, or complaints, in a year."),
    )
    volume_low = optional_number(
        _l("Volume: low end"), _l("Optional: the lowest volume finance expects.")
    )
    volume_high = optional_number(_l("Volume: high end"), _l("Optional: the highest."))
    unit_cost = NumberField(
        _l("Unit cost"),
        validators=[InputRequired(), NumberRange(min=0, message=_l("Enter zero or more."))],
        description=_l("A lost customer's lifetime value, or the cost of one repeat or complaint."),
    )
    unit_cost_low = optional_number(_l("Unit cost: low end"), _l("Optional: the lowest unit cost."))
    unit_cost_high = optional_number(_l("Unit cost: high end"), _l("Optional: the highest."))
    source = TextAreaField(
        _l("Source"),
        validators=[InputRequired(), Length(max=2000)],
        description=_l("Where the figures come from: a report, a system, a survey."),
    )
    period = StringField(
        _l("Period"),
        validators=[InputRequired(), Length(max=120)],
        description=_l("The period the figures cover, such as “2024 financial year”."),
    )
    description = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save the line"))

    def __init__(self, *args, line_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_id = line_id

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        from testbed.finance.poor_service import line_problems

        problems = list(line_problems(self.fields(), self.line_id))
        for name, message in problems:
            getattr(self, name).errors.append(message[0].upper() + message[1:] + ".")
        return not problems

    def fields(self) -> dict:
        return {name: getattr(self, name).data for name in LINE_FIELDS}


class ClaimForm(PilotEdit):
    """A pilot's claim to remove part of a poor-service line through a measured effect."""

    line = SelectField(
        _l("Line of the cost of poor service"),
        coerce=int,
        validators=[InputRequired()],
        description=_l("What the change reduces, in the company's cost of poor service."),
    )
    metric = SelectField(
        _l("Metric"),
        coerce=int,
        validators=[InputRequired()],
        description=_l(
            "A metric that counts the failure itself (lower is better): its measured "
            "relative fall is the share of the line's cost removed."
        ),
    )
    share_percent = NumberField(
        _l("Share of the line's volume reached (%)"),
        validators=[
            InputRequired(),
            NumberRange(min=0, max=100, message=_l("Enter more than 0 and at most 100.")),
            above_zero,
        ],
        description=_l(
            "How much of the segment's volume the change reaches once rolled out: "
            "100 when it would run for every partner in the segment."
        ),
    )
    description = TextAreaField(
        _l("Why"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Optional: why the metric counts this failure, and where the share comes from."
        ),
    )
    submit = SubmitField(_l("Save the claim"))

    def __init__(self, *args, pilot, lines, claim_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot, self.lines, self.claim_id = pilot, lines, claim_id
        self.line.choices = [
            SelectChoice(
                line.id,
                gettext(
                    "%(segment)s: %(name)s (%(key)s)",
                    segment=line.segment,
                    name=line.name,
                    key=line.key,
                ),
            )
            for line in lines
        ]
        self.metric.choices = [
            SelectChoice(m.id, f"{m.name} ({BETTER_NAMES[m.direction]})") for m in pilot.metrics
        ]

    def chosen_line(self):
        return next((line for line in self.lines if line.id == self.line.data), None)

    def chosen_metric(self):
        return next((m for m in self.pilot.metrics if m.id == self.metric.data), None)
