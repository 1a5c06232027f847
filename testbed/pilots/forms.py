"""Forms of the innovation team's pages: pilots, hypotheses, iterations and uploads."""

from __future__ import annotations

import re

from flask import request
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from testbed.auth.models import Department
from testbed.extensions import db
from testbed.files.definition import KEY_PATTERN
from testbed.forms import WebForm
from testbed.pilots.library import LIBRARY, MetricDefinition, library_metric
from testbed.pilots.models import (
    DESIGNS,
    DIRECTIONS,
    HYPOTHESIS_ROLES,
    INDICATORS,
    METHODS,
    METRIC_KINDS,
    PARTNER_SIZES,
    PERSPECTIVES,
    STATUSES,
    Hypothesis,
    Partner,
    Pilot,
)
from testbed.pilots.services import (
    PILOT_SHARE_MESSAGE,
    HypothesisFields,
    IterationFields,
    NewPartner,
    PilotFields,
    accepted_suggestions,
    check_hypothesis_rules,
    next_hypothesis_key,
    next_iteration_number,
    next_statuses,
    partner_named,
    slug_taken,
)

NEW_PARTNER = 0
CUSTOM_METRIC = "custom"
KEY_MESSAGE = "use letters, digits, - and _ only"

STATUS_LABELS = {
    "draft": "Draft: being prepared",
    "active": "Active: running with the partner",
    "paused": "Paused",
    "concluded": "Concluded: the evidence is in",
    "scaled": "Scaled: rolled out beyond the partner",
    "abandoned": "Abandoned",
}
ROLE_LABELS = {
    "primary": "Primary: the question the pilot answers",
    "secondary": "Secondary: also worth knowing",
    "guardrail": "Guardrail: must not get worse",
}
DESIGN_LABELS = {
    "concurrent": "Concurrent: baseline and pilot groups side by side",
    "pre_post": "Pre/post: the pilot group before and after",
    "did": "Difference-in-differences: both groups before and after",
    "its": "Interrupted time series: daily values broken at the start date",
    "threshold": "Threshold: where the outcome turns, against a predictor",
}
METHOD_LABELS = {
    "fixed": "Fixed: one test at the planned sample size",
    "sequential": "Sequential: may be looked at any time",
    "bayesian": "Bayesian: chance that the pilot beats the baseline",
}


def choices(values, labels: dict | None = None) -> list[SelectChoice]:
    labels = labels or {}
    return [SelectChoice(v, labels.get(v, v.replace("_", " "))) for v in values]


def unless_submitted(initial: dict) -> dict | None:
    """Initial values for a page being opened; a submitted form holds only what was sent.

    Otherwise a field left out of a POST would silently keep its stored value,
    and a POST without the version would pass the optimistic-locking check.
    """
    return None if request.method == "POST" else initial


def optional_int(value) -> int | None:
    return int(value) if value not in (None, "") else None


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes: easier than a multiple select, and no JS needed."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class VersionedForm(WebForm):
    """A change to a pilot, carrying the pilot version the page was made from."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])

    def stale(self, pilot: Pilot) -> bool:
        return self.version.data != pilot.version


class PortfolioFilter(WebForm):
    """The portfolio's filters, read from the query string."""

    class Meta:
        csrf = False

    status = SelectField("Status", default="")
    department = SelectField("Department", coerce=optional_int)
    partner = SelectField("Partner", coerce=optional_int)

    def __init__(self, formdata, **kwargs):
        super().__init__(formdata=formdata, **kwargs)
        self.status.choices = [SelectChoice("", "Any status"), *choices(STATUSES)]
        departments = db.session.scalars(select(Department).order_by(Department.name))
        self.department.choices = [SelectChoice("", "Any department")] + [
            SelectChoice(d.id, d.name) for d in departments
        ]
        partners = db.session.scalars(select(Partner).order_by(Partner.name))
        self.partner.choices = [SelectChoice("", "Any partner")] + [
            SelectChoice(p.id, p.name) for p in partners
        ]

    def filters(self) -> dict:
        """The filters to apply; none when the query string is not understood."""
        if not self.validate():
            return {}
        return {
            "status": self.status.data or None,
            "department_id": self.department.data,
            "partner_id": self.partner.data,
        }


class PilotForm(VersionedForm):
    name = StringField(
        "Name",
        [DataRequired("give the pilot a name"), Length(max=200)],
        description="What the pilot tries, and with whom: 'SMS reminders at Harbour Dental'.",
    )
    slug = StringField(
        "Address",
        [Optional(), Length(max=80), Regexp(KEY_PATTERN, message=KEY_MESSAGE)],
        description="Part of the pilot's web address, such as dental-reminders. "
        "Leave it empty to derive it from the name. It cannot change later.",
    )
    partner = SelectField(
        "Partner customer",
        coerce=int,
        description="Small, new and eager partners suit a pilot best. Pick one, or choose "
        "'A new partner' and describe it below.",
    )
    new_partner_name = StringField("New partner's name", [Length(max=200)])
    new_partner_segment = StringField(
        "Segment", [Length(max=120)], description="Such as healthcare, retail, logistics."
    )
    new_partner_size = SelectField("Size", choices=choices(PARTNER_SIZES), default="small")
    new_partner_key_account = BooleanField("The new partner is one of our key accounts")
    key_account_reason = TextAreaField(
        "Why a key account?",
        [Length(max=2000)],
        description="Say why this partner is worth it, and who in sales agreed. "
        "Kept with the partner.",
    )
    status = SelectField("Status", description="Only the next sensible steps are offered.")
    start_date = DateField("Start date", [Optional()])
    end_date = DateField("End date", [Optional()], description="Leave empty while it runs.")
    summary = TextAreaField(
        "Summary",
        [Length(max=5000)],
        description="What the pilot tries, and what would count as success.",
    )
    departments = MultiCheckboxField(
        "Departments involved",
        coerce=int,
        description="The departments that shape the pilot and may become its champions.",
    )
    pilot_share = FloatField(
        "Planned pilot share",
        [Optional()],
        description="When units (customers, sites, agents) were assigned to the pilot at "
        "random: the share planned for the pilot group, such as 0.5. The results then check "
        "that the groups came out in that ratio. Leave empty otherwise.",
    )
    submit = SubmitField("Save pilot")

    def __init__(self, pilot: Pilot | None = None, **kwargs):
        self.pilot = pilot
        super().__init__(data=unless_submitted(self._initial(pilot)), **kwargs)
        if pilot is None:
            del self.version  # a new pilot has no version to be stale against
        else:
            del self.slug
        partners = list(db.session.scalars(select(Partner).order_by(Partner.name)))
        self.partners = {p.id: p for p in partners}
        self.partner.choices = [SelectChoice(NEW_PARTNER, "A new partner, described below")] + [
            SelectChoice(
                p.id,
                f"{p.name} (key account)" if p.key_account else p.name,
                {"data-key-account": "true"} if p.key_account else {},
                optgroup="Existing partners",
            )
            for p in partners
        ]
        status = pilot.status if pilot is not None else None
        current = (status,) if status is not None else ()
        self.status.choices = choices((*current, *next_statuses(status)), STATUS_LABELS)
        departments = db.session.scalars(select(Department).order_by(Department.name))
        self.departments.choices = [SelectChoice(d.id, d.name) for d in departments]
        self.key_account_chosen = self._key_account_chosen()

    @staticmethod
    def _initial(pilot: Pilot | None) -> dict:
        if pilot is None:
            return {"status": "draft"}
        return {
            "version": pilot.version,
            "name": pilot.name,
            "partner": pilot.partner_id,
            "key_account_reason": pilot.partner.key_account_reason,
            "status": pilot.status,
            "start_date": pilot.start_date,
            "end_date": pilot.end_date,
            "summary": pilot.summary,
            "departments": [d.id for d in pilot.departments],
            "pilot_share": pilot.pilot_share,
        }

    def chosen_partner(self) -> Partner | NewPartner | None:
        if self.partner.data == NEW_PARTNER:
            return NewPartner(
                name=(self.new_partner_name.data or "").strip(),
                segment=self.new_partner_segment.data or "",
                size=self.new_partner_size.data or "small",
                key_account=bool(self.new_partner_key_account.data),
            )
        return self.partners.get(self.partner.data)

    def _key_account_chosen(self) -> bool:
        partner = self.chosen_partner()
        return partner is not None and partner.key_account

    def validate_slug(self, field) -> None:
        if field.data and slug_taken(field.data):
            raise ValidationError(f"another pilot has the address '{field.data}'; choose another")

    def validate_new_partner_name(self, field) -> None:
        if self.partner.data != NEW_PARTNER:
            return
        name = (field.data or "").strip()
        if not name:
            raise ValidationError("name the new partner, or pick an existing one above")
        if partner_named(name) is not None:
            raise ValidationError(f"a partner named {name} exists already: pick it above")

    def validate_end_date(self, field) -> None:
        start = self.start_date.data
        if field.data and start and field.data < start:
            raise ValidationError("the end date must not be before the start date")

    def validate_pilot_share(self, field) -> None:
        if field.data is not None and not 0 < field.data < 1:
            raise ValidationError(PILOT_SHARE_MESSAGE)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.key_account_chosen = self._key_account_chosen()
        if self.key_account_chosen and not (self.key_account_reason.data or "").strip():
            partner = self.chosen_partner()
            previous = getattr(partner, "key_account_reason", "")
            if previous:
                # Offer the reason given before, so confirming it is one click.
                self.key_account_reason.data = previous
            self.key_account_reason.errors.append(
                "say why this partner is worth it: pilots with key accounts alarm sales"
            )
            valid = False
        return valid

    def fields(self) -> PilotFields:
        return PilotFields(
            name=self.name.data.strip(),
            slug=(self.slug.data or "").strip() if "slug" in self else "",
            partner=self.chosen_partner(),
            key_account_reason=self.key_account_reason.data or "",
            status=self.status.data,
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            summary=self.summary.data or "",
            departments=tuple(db.session.get(Department, i) for i in self.departments.data or []),
            pilot_share=self.pilot_share.data,
        )


class HypothesisForm(VersionedForm):
    key = StringField(
        "Key",
        [DataRequired("give the hypothesis a key"), Regexp(KEY_PATTERN, message=KEY_MESSAGE)],
        description="A short label used in results and files, such as H1. It cannot change later.",
    )
    statement = TextAreaField(
        "Hypothesis",
        [DataRequired("state what you expect to happen"), Length(max=2000)],
        description="What you expect, written before the data arrive: 'Two-step reminders "
        "lower the failure-to-attend rate by two points.'",
    )
    metric = SelectField(
        "Metric",
        [DataRequired("pick the metric this hypothesis is judged on")],
        description="What is measured. Pick one of the pilot's metrics, a ready-made one from "
        "the library, or define your own below.",
    )
    metric_key = StringField(
        "Key of the new metric",
        [Optional(), Length(max=80), Regexp(KEY_PATTERN, message=KEY_MESSAGE)],
        description="The name used in the metric column of observation files, such as wait_time.",
    )
    metric_name = StringField("Name of the new metric", [Length(max=200)])
    metric_kind = SelectField(
        "Kind",
        choices=choices(METRIC_KINDS),
        description="mean: a number per row; proportion: 0 or 1 per row; ratio: a value and "
        "a denominator per row (cost per contact).",
    )
    metric_direction = SelectField(
        "Better when it goes", choices=choices(DIRECTIONS, {"increase": "up", "decrease": "down"})
    )
    metric_unit = StringField("Unit", [Length(max=80)], description="Such as minutes, EUR.")
    metric_indicator = SelectField(
        "Indicator",
        choices=choices(INDICATORS),
        default="lagging",
        description="Leading indicators move first and drive the lagging ones.",
    )
    metric_perspective = SelectField(
        "Scorecard perspective", choices=choices(PERSPECTIVES), default="customer"
    )
    metric_scale_min = IntegerField("Score from", [Optional()])
    metric_scale_max = IntegerField(
        "to", [Optional()], description="Only for a bounded score, such as 0 to 10 for NPS."
    )
    role = SelectField("Role", choices=choices(HYPOTHESIS_ROLES, ROLE_LABELS))
    design = SelectField("Design", choices=choices(DESIGNS, DESIGN_LABELS))
    method = SelectField("Method", choices=choices(METHODS, METHOD_LABELS))
    alpha = FloatField(
        "Significance level (α)",
        [InputRequired("give a level between 0 and 1, usually 0.05")],
        default=0.05,
        description="The false-alarm rate you accept; 0.05 unless finance asks otherwise.",
    )
    minimum_effect = FloatField(
        "Minimum effect",
        [Optional()],
        description="The smallest change worth acting on, in the metric's unit, signed "
        "(a proportion as a share: -0.02 is two points down). For a guardrail: how much "
        "worse it may get, as a positive margin.",
    )
    planned_sample_size = IntegerField(
        "Planned sample size",
        [Optional(), NumberRange(min=1, message="must be at least 1")],
        description="Observations per group you plan to collect; used for power and timing.",
    )
    predictor = SelectField(
        "Predictor",
        description="Threshold designs only: the metric on the x axis, such as occupancy.",
    )
    quantiles = StringField(
        "Quantiles to compare",
        [Length(max=200)],
        description="Optional, such as 0.5, 0.9, 0.95: customers remember the worst cases.",
    )
    reason = TextAreaField(
        "Reason for the change",
        [Length(max=2000)],
        description="Observations exist, so this hypothesis is locked: the change is kept "
        "as an amendment with your reason, for everyone to see.",
    )
    submit = SubmitField("Save hypothesis")

    def __init__(self, pilot: Pilot, hypothesis: Hypothesis | None = None, **kwargs):
        self.pilot, self.hypothesis = pilot, hypothesis
        super().__init__(data=unless_submitted(self._initial(pilot, hypothesis)), **kwargs)
        if hypothesis is not None:
            del self.key
        if hypothesis is None or hypothesis.locked_at is None:
            del self.reason
        own = [
            SelectChoice(f"pilot:{m.key}", f"{m.name} ({m.key})", optgroup="This pilot's metrics")
            for m in pilot.metrics
        ]
        library = [
            SelectChoice(f"library:{d.key}", d.name, optgroup=f"Library: {d.area}")
            for d in LIBRARY
            if pilot.metric(d.key) is None
        ]
        self.metric.choices = [
            SelectChoice("", "Choose a metric…"),
            *own,
            *library,
            SelectChoice(CUSTOM_METRIC, "A new metric, described below", optgroup="Your own"),
        ]
        self.predictor.choices = [SelectChoice("", "None"), *own, *library]

    @staticmethod
    def _initial(pilot: Pilot, hypothesis: Hypothesis | None) -> dict:
        if hypothesis is None:
            return {"version": pilot.version, "key": next_hypothesis_key(pilot)}
        return {
            "version": pilot.version,
            "statement": hypothesis.statement,
            "metric": f"pilot:{hypothesis.metric.key}",
            "role": hypothesis.role,
            "design": hypothesis.design,
            "method": hypothesis.method,
            "alpha": hypothesis.alpha,
            "minimum_effect": hypothesis.minimum_effect,
            "planned_sample_size": hypothesis.planned_sample_size,
            "predictor": f"pilot:{hypothesis.predictor.key}" if hypothesis.predictor else "",
            "quantiles": ", ".join(f"{q:g}" for q in hypothesis.quantiles or []),
        }

    def validate_key(self, field) -> None:
        if any(h.key == field.data for h in self.pilot.hypotheses):
            raise ValidationError(f"the pilot has a hypothesis {field.data} already")

    def validate_alpha(self, field) -> None:
        if field.data is not None and not 0 < field.data < 1:
            raise ValidationError("must lie between 0 and 1, such as 0.05")

    def validate_quantiles(self, field) -> None:
        self.quantile_values()

    def quantile_values(self) -> list[float] | None:
        text = (self.quantiles.data or "").strip()
        if not text:
            return None
        try:
            values = [float(part) for part in re.split(r"[,;\s]+", text) if part]
        except ValueError:
            values = []
        if not values or not all(0 < v < 1 for v in values):
            raise ValidationError("give numbers between 0 and 1, such as 0.5, 0.9, 0.95")
        return values

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.metric.data == CUSTOM_METRIC:
            valid = self._validate_custom_metric() and valid
        if valid:
            for name, message in check_hypothesis_rules(self.pilot, self.fields()):
                self[name].errors.append(message)
                valid = False
        if "reason" in self and not (self.reason.data or "").strip():
            self.reason.errors.append("say why the hypothesis changes after its data arrived")
            valid = False
        return valid

    def _validate_custom_metric(self) -> bool:
        problems = []
        key = (self.metric_key.data or "").strip()
        if not key:
            problems.append(("metric_key", "give the new metric a key, such as wait_time"))
        elif self.pilot.metric(key) is not None or library_metric(key) is not None:
            problems.append(
                ("metric_key", f"'{key}' is taken by a listed metric: pick it, or use another key")
            )
        if not (self.metric_name.data or "").strip():
            problems.append(("metric_name", "name the new metric"))
        low, high = self.metric_scale_min.data, self.metric_scale_max.data
        if (low is None) != (high is None) or (low is not None and low >= high):
            problems.append(("metric_scale_max", "give both ends of the score, lowest first"))
        for name, message in problems:
            self[name].errors.append(message)
        return not problems

    def chosen_metric(self, value: str | None):
        if not value:
            return None
        if value == CUSTOM_METRIC:
            low, high = self.metric_scale_min.data, self.metric_scale_max.data
            return MetricDefinition(
                area="",
                key=(self.metric_key.data or "").strip(),
                name=(self.metric_name.data or "").strip(),
                kind=self.metric_kind.data,
                direction=self.metric_direction.data,
                unit=(self.metric_unit.data or "").strip(),
                indicator=self.metric_indicator.data,
                perspective=self.metric_perspective.data,
                scale=(low, high) if low is not None and high is not None else None,
            )
        source, _, key = value.partition(":")
        return self.pilot.metric(key) if source == "pilot" else library_metric(key)

    def fields(self) -> HypothesisFields:
        return HypothesisFields(
            statement=(self.statement.data or "").strip(),
            metric=self.chosen_metric(self.metric.data),
            role=self.role.data,
            design=self.design.data,
            method=self.method.data,
            alpha=self.alpha.data,
            minimum_effect=self.minimum_effect.data,
            planned_sample_size=self.planned_sample_size.data,
            predictor=self.chosen_metric(self.predictor.data),
            quantiles=self.quantile_values(),
        )


class IterationForm(VersionedForm):
    number = IntegerField(
        "Number",
        [InputRequired("give the iteration a number"), NumberRange(min=1, message="from 1")],
        description="Iterations are numbered in order; the next free number is filled in.",
    )
    title = StringField(
        "Title",
        [DataRequired("give the iteration a title"), Length(max=200)],
        description="What this iteration tries, in a few words.",
    )
    start_date = DateField("Start date", [Optional()])
    end_date = DateField("End date", [Optional()], description="Leave empty while it runs.")
    changes = TextAreaField(
        "What changed", [Length(max=5000)], description="What the team did differently."
    )
    reason = TextAreaField(
        "Why",
        [Length(max=5000)],
        description="What you learned that led to the change: the next team will want to know.",
    )
    suggestions = MultiCheckboxField(
        "Suggestions this iteration adopts",
        coerce=int,
        description="Accepted suggestions from other departments; adopting one marks it "
        "incorporated in this iteration.",
    )
    submit = SubmitField("Log iteration")

    def __init__(self, pilot: Pilot, **kwargs):
        self.pilot = pilot
        initial = {"version": pilot.version, "number": next_iteration_number(pilot)}
        super().__init__(data=unless_submitted(initial), **kwargs)
        self.accepted = {s.id: s for s in accepted_suggestions(pilot)}
        self.suggestions.choices = [
            SelectChoice(s.id, f"{s.text} ({s.department.name if s.department else s.author})")
            for s in self.accepted.values()
        ]

    def validate_number(self, field) -> None:
        if any(i.number == field.data for i in self.pilot.iterations):
            raise ValidationError(f"the pilot has an iteration {field.data} already")

    def validate_end_date(self, field) -> None:
        start = self.start_date.data
        if field.data and start and field.data < start:
            raise ValidationError("the end date must not be before the start date")

    def fields(self) -> IterationFields:
        return IterationFields(
            number=self.number.data,
            title=self.title.data.strip(),
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            changes=self.changes.data or "",
            reason=self.reason.data or "",
        )

    def adopted(self) -> list:
        return [self.accepted[i] for i in self.suggestions.data or []]


class UploadForm(VersionedForm):
    file = FileField(
        "Observations file",
        [FileRequired("choose a CSV file to upload")],
        description="A CSV file saved as UTF-8, with a header row, in the same format as "
        "observations.csv in a pilot folder, or as summary.csv (n, mean and sd per group).",
    )
    submit = SubmitField("Upload and check")

    def __init__(self, pilot: Pilot, **kwargs):
        super().__init__(data=unless_submitted({"version": pilot.version}), **kwargs)


class ConfirmUploadForm(VersionedForm):
    submit = SubmitField("Import these observations")


class DiscardUploadForm(WebForm):
    submit = SubmitField("Discard")
