"""Forms of the innovation team's pages: pilots, hypotheses, iterations and uploads."""

from __future__ import annotations

import re

from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
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
from testbed.finance.labels import METRIC_KIND_NAMES, STATUS_NAMES
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
KEY_MESSAGE = _l("use letters, digits, - and _ only")

STATUS_LABELS = {
    "draft": _l("Draft: being prepared"),
    "active": _l("Active: running with the partner"),
    "paused": _l("Paused"),
    "concluded": _l("Concluded: the evidence is in"),
    "scaled": _l("Scaled: rolled out beyond the partner"),
    "abandoned": _l("Abandoned"),
}
ROLE_LABELS = {
    "primary": _l("Primary: the question the pilot answers"),
    "secondary": _l("Secondary: also worth knowing"),
    "guardrail": _l("Guardrail: must not get worse"),
}
DESIGN_LABELS = {
    "concurrent": _l("Concurrent: baseline and pilot groups side by side"),
    "pre_post": _l("Pre/post: the pilot group before and after"),
    "did": _l("Difference-in-differences: both groups before and after"),
    "its": _l("Interrupted time series: daily values broken at the start date"),
    "threshold": _l("Threshold: where the outcome turns, against a predictor"),
}
METHOD_LABELS = {
    "fixed": _l("Fixed: one test at the planned sample size"),
    "sequential": _l("Sequential: may be looked at any time"),
    "bayesian": _l("Bayesian: chance that the pilot beats the baseline"),
}
# Stored values shown as they are named in English (lower case), in the reader's language.
SIZE_LABELS = {"small": _l("small"), "medium": _l("medium"), "large": _l("large")}
DIRECTION_LABELS = {"increase": _l("up"), "decrease": _l("down")}
INDICATOR_LABELS = {"leading": _l("leading"), "lagging": _l("lagging")}
PERSPECTIVE_LABELS = {
    "financial": _l("financial"),
    "customer": _l("customer"),
    "internal": _l("internal"),
    "learning": _l("learning"),
}
# How the library's table names a metric's kind, indicator and perspective.
METRIC_NAMES = {
    "kind": METRIC_KIND_NAMES,
    "indicator": INDICATOR_LABELS,
    "perspective": PERSPECTIVE_LABELS,
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

    status = SelectField(_l("Status"), default="")
    department = SelectField(_l("Department"), coerce=optional_int)
    partner = SelectField(_l("Partner"), coerce=optional_int)

    def __init__(self, formdata, **kwargs):
        super().__init__(formdata=formdata, **kwargs)
        self.status.choices = [
            SelectChoice("", gettext("Any status")),
            *choices(STATUSES, STATUS_NAMES),
        ]
        departments = db.session.scalars(select(Department).order_by(Department.name))
        self.department.choices = [SelectChoice("", gettext("Any department"))] + [
            SelectChoice(d.id, d.name) for d in departments
        ]
        partners = db.session.scalars(select(Partner).order_by(Partner.name))
        self.partner.choices = [SelectChoice("", gettext("Any partner"))] + [
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
        _l("Name"),
        [DataRequired(_l("give the pilot a name")), Length(max=200)],
        description=_l("What the pilot tries, and with whom: 'SMS reminders at Harbour Dental'."),
    )
    slug = StringField(
        _l("Address"),
        [Optional(), Length(max=80), Regexp(KEY_PATTERN, message=KEY_MESSAGE)],
        description=_l(
            "Part of the pilot's web address, such as dental-reminders. "
            "Leave it empty to derive it from the name. It cannot change later."
        ),
    )
    partner = SelectField(
        _l("Partner customer"),
        coerce=int,
        description=_l(
            "Small, new and eager partners suit a pilot best. Pick one, or choose "
            "'A new partner' and describe it below."
        ),
    )
    new_partner_name = StringField(_l("New partner's name"), [Length(max=200)])
    new_partner_segment = StringField(
        _l("Segment"), [Length(max=120)], description=_l("Such as healthcare, retail, logistics.")
    )
    new_partner_size = SelectField(
        _l("Size"), choices=choices(PARTNER_SIZES, SIZE_LABELS), default="small"
    )
    new_partner_key_account = BooleanField(_l("The new partner is one of our key accounts"))
    key_account_reason = TextAreaField(
        _l("Why a key account?"),
        [Length(max=2000)],
        description=_l(
            "Say why this partner is worth it, and who in sales agreed. Kept with the partner."
        ),
    )
    status = SelectField(_l("Status"), description=_l("Only the next sensible steps are offered."))
    start_date = DateField(_l("Start date"), [Optional()])
    end_date = DateField(_l("End date"), [Optional()], description=_l("Leave empty while it runs."))
    summary = TextAreaField(
        _l("Summary"),
        [Length(max=5000)],
        description=_l("What the pilot tries, and what would count as success."),
    )
    departments = MultiCheckboxField(
        _l("Departments involved"),
        coerce=int,
        description=_l("The departments that shape the pilot and may become its champions."),
    )
    pilot_share = FloatField(
        _l("Planned pilot share"),
        [Optional()],
        description=_l(
            "When units (customers, sites, agents) were assigned to the pilot at "
            "random: the share planned for the pilot group, such as 0.5. The results then check "
            "that the groups came out in that ratio. Leave empty otherwise."
        ),
    )
    submit = SubmitField(_l("Save pilot"))

    def __init__(self, pilot: Pilot | None = None, **kwargs):
        self.pilot = pilot
        super().__init__(data=unless_submitted(self._initial(pilot)), **kwargs)
        if pilot is None:
            del self.version  # a new pilot has no version to be stale against
        else:
            del self.slug
        partners = list(db.session.scalars(select(Partner).order_by(Partner.name)))
        self.partners = {p.id: p for p in partners}
        existing = gettext("Existing partners")
        self.partner.choices = [
            SelectChoice(NEW_PARTNER, gettext("A new partner, described below"))
        ] + [
            SelectChoice(
                p.id,
                gettext("%(name)s (key account)", name=p.name) if p.key_account else p.name,
                {"data-key-account": "true"} if p.key_account else {},
                optgroup=existing,
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
            raise ValidationError(
                gettext("another pilot has the address '%(slug)s'; choose another", slug=field.data)
            )

    def validate_new_partner_name(self, field) -> None:
        if self.partner.data != NEW_PARTNER:
            return
        name = (field.data or "").strip()
        if not name:
            raise ValidationError(gettext("name the new partner, or pick an existing one above"))
        if partner_named(name) is not None:
            raise ValidationError(
                gettext("a partner named %(name)s exists already: pick it above", name=name)
            )

    def validate_end_date(self, field) -> None:
        start = self.start_date.data
        if field.data and start and field.data < start:
            raise ValidationError(gettext("the end date must not be before the start date"))

    def validate_pilot_share(self, field) -> None:
        if field.data is not None and not 0 < field.data < 1:
            raise ValidationError(str(PILOT_SHARE_MESSAGE))

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
                gettext("say why this partner is worth it: pilots with key accounts alarm sales")
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
        _l("Key"),
        [DataRequired(_l("give the hypothesis a key")), Regexp(KEY_PATTERN, message=KEY_MESSAGE)],
        description=_l(
            "A short label used in results and files, such as H1. It cannot change later."
        ),
    )
    statement = TextAreaField(
        _l("Hypothesis"),
        [DataRequired(_l("state what you expect to happen")), Length(max=2000)],
        description=_l(
            "What you expect, written before the data arrive: 'Two-step reminders "
            "lower the failure-to-attend rate by two points.'"
        ),
    )
    metric = SelectField(
        _l("Metric"),
        [DataRequired(_l("pick the metric this hypothesis is judged on"))],
        description=_l(
            "What is measured. Pick one of the pilot's metrics, a ready-made one from "
            "the library, or define your own below."
        ),
    )
    metric_key = StringField(
        _l("Key of the new metric"),
        [Optional(), Length(max=80), Regexp(KEY_PATTERN, message=KEY_MESSAGE)],
        description=_l(
            "The name used in the metric column of observation files, such as wait_time."
        ),
    )
    metric_name = StringField(_l("Name of the new metric"), [Length(max=200)])
    metric_kind = SelectField(
        _l("Kind"),
        choices=choices(METRIC_KINDS, METRIC_KIND_NAMES),
        description=_l(
            "mean: a number per row; proportion: 0 or 1 per row; ratio: a value and "
            "a denominator per row (cost per contact)."
        ),
    )
    metric_direction = SelectField(
        _l("Better when it goes"), choices=choices(DIRECTIONS, DIRECTION_LABELS)
    )
    metric_unit = StringField(_l("Unit"), [Length(max=80)], description=_l("Such as minutes, EUR."))
    metric_indicator = SelectField(
        _l("Indicator"),
        choices=choices(INDICATORS, INDICATOR_LABELS),
        default="lagging",
        description=_l("Leading indicators move first and drive the lagging ones."),
    )
    metric_perspective = SelectField(
        _l("Scorecard perspective"),
        choices=choices(PERSPECTIVES, PERSPECTIVE_LABELS),
        default="customer",
    )
    metric_scale_min = IntegerField(_l("Score from"), [Optional()])
    metric_scale_max = IntegerField(
        _l("to"), [Optional()], description=_l("Only for a bounded score, such as 0 to 10 for NPS.")
    )
    role = SelectField(_l("Role"), choices=choices(HYPOTHESIS_ROLES, ROLE_LABELS))
    design = SelectField(_l("Design"), choices=choices(DESIGNS, DESIGN_LABELS))
    method = SelectField(_l("Method"), choices=choices(METHODS, METHOD_LABELS))
    alpha = FloatField(
        _l("Significance level (α)"),
        [InputRequired(_l("give a level between 0 and 1, usually 0.05"))],
        default=0.05,
        description=_l("The false-alarm rate you accept; 0.05 unless finance asks otherwise."),
    )
    minimum_effect = FloatField(
        _l("Minimum effect"),
        [Optional()],
        description=_l(
            "The smallest change worth acting on, in the metric's unit, signed "
            "(a proportion as a share: -0.02 is two points down). For a guardrail: how much "
            "worse it may get, as a positive margin."
        ),
    )
    planned_sample_size = IntegerField(
        _l("Planned sample size"),
        [Optional(), NumberRange(min=1, message=_l("must be at least 1"))],
        description=_l("Observations per group you plan to collect; used for power and timing."),
    )
    predictor = SelectField(
        _l("Predictor"),
        description=_l("Threshold designs only: the metric on the x axis, such as occupancy."),
    )
    quantiles = StringField(
        _l("Quantiles to compare"),
        [Length(max=200)],
        description=_l("Optional, such as 0.5, 0.9, 0.95: customers remember the worst cases."),
    )
    reason = TextAreaField(
        _l("Reason for the change"),
        [Length(max=2000)],
        description=_l(
            "Observations exist, so this hypothesis is locked: the change is kept "
            "as an amendment with your reason, for everyone to see."
        ),
    )
    submit = SubmitField(_l("Save hypothesis"))

    def __init__(self, pilot: Pilot, hypothesis: Hypothesis | None = None, **kwargs):
        self.pilot, self.hypothesis = pilot, hypothesis
        super().__init__(data=unless_submitted(self._initial(pilot, hypothesis)), **kwargs)
        if hypothesis is not None:
            del self.key
        if hypothesis is None or hypothesis.locked_at is None:
            del self.reason
        this_pilot = gettext("This pilot's metrics")
        own = [
            SelectChoice(f"pilot:{m.key}", f"{m.name} ({m.key})", optgroup=this_pilot)
            for m in pilot.metrics
        ]
        library = [
            SelectChoice(
                f"library:{d.key}", d.name, optgroup=gettext("Library: %(area)s", area=d.area)
            )
            for d in LIBRARY
            if pilot.metric(d.key) is None
        ]
        self.metric.choices = [
            SelectChoice("", gettext("Choose a metric…")),
            *own,
            *library,
            SelectChoice(
                CUSTOM_METRIC,
                gettext("A new metric, described below"),
                optgroup=gettext("Your own"),
            ),
        ]
        self.predictor.choices = [SelectChoice("", gettext("None")), *own, *library]

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
            raise ValidationError(
                gettext("the pilot has a hypothesis %(key)s already", key=field.data)
            )

    def validate_alpha(self, field) -> None:
        if field.data is not None and not 0 < field.data < 1:
            raise ValidationError(gettext("must lie between 0 and 1, such as 0.05"))

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
            raise ValidationError(gettext("give numbers between 0 and 1, such as 0.5, 0.9, 0.95"))
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
            self.reason.errors.append(
                gettext("say why the hypothesis changes after its data arrived")
            )
            valid = False
        return valid

    def _validate_custom_metric(self) -> bool:
        problems = []
        key = (self.metric_key.data or "").strip()
        if not key:
            problems.append(("metric_key", gettext("give the new metric a key, such as wait_time")))
        elif self.pilot.metric(key) is not None or library_metric(key) is not None:
            problems.append(
                (
                    "metric_key",
                    gettext(
                        "'%(key)s' is taken by a listed metric: pick it, or use another key",
                        key=key,
                    ),
                )
            )
        if not (self.metric_name.data or "").strip():
            problems.append(("metric_name", gettext("name the new metric")))
        low, high = self.metric_scale_min.data, self.metric_scale_max.data
        if (low is None) != (high is None) or (low is not None and low >= high):
            problems.append(
                ("metric_scale_max", gettext("give both ends of the score, lowest first"))
            )
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
        _l("Number"),
        [
            InputRequired(_l("give the iteration a number")),
            NumberRange(min=1, message=_l("from 1")),
        ],
        description=_l("Iterations are numbered in order; the next free number is filled in."),
    )
    title = StringField(
        _l("Title"),
        [DataRequired(_l("give the iteration a title")), Length(max=200)],
        description=_l("What this iteration tries, in a few words."),
    )
    start_date = DateField(_l("Start date"), [Optional()])
    end_date = DateField(_l("End date"), [Optional()], description=_l("Leave empty while it runs."))
    changes = TextAreaField(
        _l("What changed"), [Length(max=5000)], description=_l("What the team did differently.")
    )
    reason = TextAreaField(
        _l("Why"),
        [Length(max=5000)],
        description=_l("What you learned that led to the change: the next team will want to know."),
    )
    suggestions = MultiCheckboxField(
        _l("Suggestions this iteration adopts"),
        coerce=int,
        description=_l(
            "Accepted suggestions from other departments; adopting one marks it "
            "incorporated in this iteration."
        ),
    )
    submit = SubmitField(_l("Log iteration"))

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
            raise ValidationError(
                gettext("the pilot has an iteration %(number)s already", number=field.data)
            )

    def validate_end_date(self, field) -> None:
        start = self.start_date.data
        if field.data and start and field.data < start:
            raise ValidationError(gettext("the end date must not be before the start date"))

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
        _l("Observations file"),
        [FileRequired(_l("choose a CSV file to upload"))],
        description=_l(
            "A CSV file saved as UTF-8, with a header row, in the same format as "
            "observations.csv in a pilot folder, or as summary.csv (n, mean and sd per group)."
        ),
    )
    submit = SubmitField(_l("Upload and check"))

    def __init__(self, pilot: Pilot, **kwargs):
        super().__init__(data=unless_submitted({"version": pilot.version}), **kwargs)


class ConfirmUploadForm(VersionedForm):
    submit = SubmitField(_l("Import these observations"))


class DiscardUploadForm(WebForm):
    submit = SubmitField(_l("Discard"))
