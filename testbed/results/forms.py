"""The planning page's form: what a pilot must detect and how it is set up."""

from __future__ import annotations

import math

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import FloatField, SelectChoice, SelectField
from wtforms.validators import InputRequired, Optional, ValidationError

from analysis.planning import DESIGNS
from testbed.forms import WebForm
from testbed.i18n import figure

KINDS = [
    SelectChoice("mean", _l("A mean (or a ratio)")),
    SelectChoice("proportion", _l("A proportion")),
]
DESIGN_LABELS = {
    "concurrent": _l("Concurrent: pilot against baseline over the same period"),
    "pre_post": _l("Pre/post: the pilot group before against after"),
    "did": _l("Difference-in-differences: both groups, before and after"),
}
DESIGN_CHOICES = [SelectChoice(design, DESIGN_LABELS[design]) for design in DESIGNS]
DIRECTION_CHOICES = [
    SelectChoice("increase", _l("Higher is better")),
    SelectChoice("decrease", _l("Lower is better")),
]


class Within:
    """The number lies between ``low`` and ``high``; an end is left out where ``open``."""

    def __init__(self, low=None, high=None, low_open=False, high_open=False):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            return
        if not math.isfinite(value):
            raise ValidationError(gettext("Must be a number (not infinity or NaN)."))
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            raise ValidationError(self._message())
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            raise ValidationError(self._message())

    def _message(self) -> str:
        low = figure(f"{self.low:g}")
        if self.high is None:
            if self.low_open:
                return gettext("Must be more than %(low)s.", low=low)
            return gettext("Must be at least %(low)s.", low=low)
        ends = {"low": low, "high": figure(f"{self.high:g}")}
        # Intervals as mathematics writes them: "(" leaves its end out, "[" takes it in.
        if self.low_open and self.high_open:
            return gettext("Must lie in (%(low)s, %(high)s).", **ends)
        if self.low_open:
            return gettext("Must lie in (%(low)s, %(high)s].", **ends)
        if self.high_open:
            return gettext("Must lie in [%(low)s, %(high)s).", **ends)
        return gettext("Must lie in [%(low)s, %(high)s].", **ends)


class PlanningForm(WebForm):
    """Read from the query string: the page changes nothing, so it needs no CSRF token."""

    class Meta:
        csrf = False

    kind = SelectField(_l("The metric is"), choices=KINDS, default="mean")
    direction = SelectField(_l("Better when"), choices=DIRECTION_CHOICES, default="increase")
    baseline_mean = FloatField(
        _l("Baseline mean"),
        validators=[Optional()],
        description=_l("Of a mean metric; shows the effect as a share of it."),
    )
    sd = FloatField(
        _l("Standard deviation of one observation"),
        validators=[Optional(), Within(0, low_open=True)],
        description=_l("Of a mean metric, from past data or a similar pilot."),
    )
    baseline_proportion = FloatField(
        _l("Baseline proportion"),
        validators=[
            Optional(),
            Within(0, 1, low_open=True, high_open=True),
        ],
        description=_l("Of a proportion metric, between 0 and 1: 0.2 for 20%."),
    )
    minimum_effect = FloatField(
        _l("Minimum effect worth acting on"),
        validators=[InputRequired(), Within(0, low_open=True)],
        description=_l(
            "A size in the metric's units; a proportion's as a difference "
            "of proportions (0.03 for three points)."
        ),
    )
    alpha = FloatField(
        _l("Significance level α"),
        default=0.05,
        validators=[Optional(), Within(0, 0.5, low_open=True)],
    )
    power = FloatField(
        _l("Power"),
        default=0.8,
        validators=[
            Optional(),
            Within(0, 1, low_open=True, high_open=True),
        ],
        description=_l("The chance of detecting the effect when it is there; 0.8 is usual."),
    )
    design = SelectField(_l("Design"), choices=DESIGN_CHOICES, default="concurrent")
    weekly_per_group = FloatField(
        _l("Expected observations per week per group"),
        validators=[Optional(), Within(0, low_open=True)],
    )
    correlation = FloatField(
        _l("Correlation with the pre-pilot value"),
        default=0.0,
        validators=[
            Optional(),
            Within(-1, 1, low_open=True, high_open=True),
        ],
        description=_l(
            "Concurrent and pre/post means: between each observation and its "
            "covariate, which the analysis adjusts for; 0 without one."
        ),
    )
    icc = FloatField(
        _l("Intra-cluster correlation (ICC)"),
        default=0.0,
        validators=[Optional(), Within(0, 1, high_open=True)],
        description=_l(
            "Difference-in-differences: the share of the variance between "
            "clusters (sites, agents) within a period."
        ),
    )
    cluster_size = FloatField(
        _l("Observations per cluster per period"),
        default=1.0,
        validators=[Optional(), Within(1)],
        description=_l("Difference-in-differences: 1 when observations are not grouped."),
    )
    cluster_autocorrelation = FloatField(
        _l("Cluster autocorrelation"),
        default=0.0,
        validators=[Optional(), Within(0, 1)],
        description=_l(
            "Difference-in-differences: the share of a cluster's effect that "
            "lasts from before into the pilot; 0 if unknown (the cautious choice)."
        ),
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # A field left empty takes its default, so that the plan and the page agree.
        for field in (
            self.alpha,
            self.power,
            self.correlation,
            self.icc,
            self.cluster_size,
            self.cluster_autocorrelation,
        ):
            if field.data is None and not field.errors:
                field.data = field.default
        # Which of the two is needed depends on the kind, so neither field can require itself.
        if self.kind.data == "mean":
            needed, message = self.sd, gettext("Give the standard deviation of one observation.")
        else:
            needed = self.baseline_proportion
            message = gettext("Give the proportion in the baseline.")
        if needed.data is None and not needed.errors:
            needed.errors.append(message)
            return False
        return valid

    def plan_arguments(self) -> dict:
        """The arguments of ``analysis.planning.plan_pilot``, for the chosen kind and design."""
        arguments = {
            "alpha": self.alpha.data,
            "power": self.power.data,
            "design": self.design.data,
            "weekly_per_group": self.weekly_per_group.data,
        }
        if self.kind.data == "proportion":
            sign = 1 if self.direction.data == "increase" else -1
            arguments["baseline_proportion"] = self.baseline_proportion.data
            arguments["minimum_effect"] = sign * self.minimum_effect.data
        else:
            arguments["sd"] = self.sd.data
            arguments["minimum_effect"] = self.minimum_effect.data
            if self.design.data in ("concurrent", "pre_post"):
                arguments["correlation"] = self.correlation.data
        if self.design.data == "did":
            arguments["icc"] = self.icc.data
            arguments["cluster_size"] = self.cluster_size.data
            arguments["cluster_autocorrelation"] = self.cluster_autocorrelation.data
        return arguments
