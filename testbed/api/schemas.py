"""What the API accepts and answers: pydantic models that validate and describe each body.

The same classes check every request, build every response, and give the
OpenAPI document its components, so the document cannot drift from the code.
"""

from datetime import UTC, date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    model_validator,
)

from testbed.extensions import MAX_INT
from testbed.pilots.models import (
    DESIGNS,
    DIRECTIONS,
    HYPOTHESIS_ROLES,
    INDICATORS,
    METHODS,
    METRIC_KINDS,
    PARTNER_SIZES,
    PERSPECTIVES,
    REGISTRATIONS,
    STATUSES,
)
from testbed.results.decision import RECOMMENDATIONS
from testbed.store.models import GROUPS, ORIGINS, PERIODS
from testbed.suggestions.models import SUGGESTION_STATUSES
from testbed.suggestions.services import MAX_TEXT

# PostgreSQL refuses NUL characters in text; refusing them here keeps them out of the store.
NO_NUL = r"^[^\x00]*$"
KEY = r"^[A-Za-z0-9_-]+$"
MAX_PER_PAGE = 200


def free_text(max_length: int, min_length: int = 0):
    return Annotated[
        str, StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)
    ]


def identifier(max_length: int):
    return Annotated[str, StringConstraints(min_length=1, max_length=max_length, pattern=KEY)]


def one_of(values: tuple[str, ...]):
    return Literal[values]


Count = Annotated[int, Field(ge=0, le=MAX_INT)]
Positive = Annotated[int, Field(ge=1, le=MAX_INT)]
Share = Annotated[float, Field(gt=0, lt=1)]


def _in_utc(moment: datetime) -> datetime:
    # The store keeps naive UTC times; JSON answers say which zone they are in.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


Moment = Annotated[datetime, AfterValidator(_in_utc)]
# ``ObservationIn`` has a field named ``date``: its type needs another name.
Day = date


class Schema(BaseModel):
    """Unknown fields are refused, and JSON has no NaN or infinity: they are refused too."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, ser_json_inf_nan="null")


class Answer(BaseModel):
    """A response body: built by the server, validated before it is sent."""

    model_config = ConfigDict(ser_json_inf_nan="null")


# Errors and pages -----------------------------------------------------------------------


class ErrorDetail(Answer):
    """One thing wrong with a request: the field, and for a CSV body its line and column."""

    message: str
    field: str | None = None
    line: int | None = None
    column: int | None = None
    index: int | None = Field(
        default=None, description="For a JSON array body: the position of the item (from 0)."
    )


class Error(Answer):
    message: str
    errors: list[ErrorDetail] = Field(default_factory=list)


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page: Annotated[int, Field(ge=1, le=1_000_000, description="Page number, from 1.")] = 1
    per_page: Annotated[
        int, Field(ge=1, le=MAX_PER_PAGE, description="Items per page (at most 200).")
    ] = 50


class PageLinks(Answer):
    self: str
    first: str
    last: str
    next: str | None = None
    prev: str | None = None


T = TypeVar("T")


class Page(Answer, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int
    links: PageLinks


class Index(Answer):
    version: str
    links: dict[str, str]


# People and tokens ----------------------------------------------------------------------


class TokenInfo(Answer):
    id: int
    name: str
    prefix: str
    created_at: Moment
    last_used_at: Moment | None = None


class Me(Answer):
    id: int
    email: str
    name: str
    role: str
    department: str | None = None
    permissions: list[str]
    token: TokenInfo


# Pilots -----------------------------------------------------------------------------------


class PartnerIn(Schema):
    """A partner: an existing one is picked by name; a new one is created with these fields."""

    name: free_text(200, 1)
    segment: free_text(120) = ""
    size: one_of(PARTNER_SIZES) = "small"
    key_account: bool = False


class Partner(Answer):
    name: str
    segment: str
    size: str
    key_account: bool
    key_account_reason: str


PILOT_SHARE = (
    "The planned share of units in the pilot group, between 0 and 1, when units were "
    "randomised: it enables the sample-ratio check. Null when there is no such plan."
)


class PilotCreate(Schema):
    name: free_text(200, 1)
    partner: PartnerIn
    status: Literal["draft", "active"] = "draft"
    slug: identifier(80) | None = Field(
        default=None, description="The pilot's address; derived from the name when left out."
    )
    key_account_reason: free_text(2000) = Field(
        default="", description="Required when the partner is a key account: why this one."
    )
    start_date: date | None = None
    end_date: date | None = None
    summary: free_text(10_000) = ""
    departments: list[free_text(120, 1)] = Field(
        default_factory=list, max_length=50, description="Names of existing departments."
    )
    pilot_share: Share | None = Field(default=None, description=PILOT_SHARE)


class PilotUpdate(Schema):
    """Only the fields sent change; send ``If-Match`` with the pilot's version.

    A field that cannot be empty cannot be null either; a date sent as null is cleared.
    """

    name: free_text(200, 1) = None
    partner: PartnerIn = None
    status: one_of(STATUSES) = None
    key_account_reason: free_text(2000) = None
    start_date: date | None = None
    end_date: date | None = None
    summary: free_text(10_000) = None
    departments: list[free_text(120, 1)] = Field(default=None, max_length=50)
    pilot_share: Share | None = Field(default=None, description=PILOT_SHARE)


class Pilot(Answer):
    id: int
    slug: str
    name: str
    status: str
    partner: Partner
    start_date: date | None
    end_date: date | None
    summary: str
    pilot_share: float | None
    departments: list[str]
    version: int
    created_at: Moment
    updated_at: Moment
    links: dict[str, str]


class PilotQuery(PageQuery):
    status: one_of(STATUSES) | None = None


# Metrics ----------------------------------------------------------------------------------


class MetricCreate(Schema):
    key: identifier(80)
    name: free_text(200, 1)
    kind: one_of(METRIC_KINDS)
    direction: one_of(DIRECTIONS) = Field(description="Which way is better.")
    unit: free_text(80) = ""
    indicator: one_of(INDICATORS) = "lagging"
    perspective: one_of(PERSPECTIVES) = "customer"
    scale_min: Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)] | None = Field(
        default=None, description="For a bounded score (0 to 10 for NPS): the lowest value."
    )
    scale_max: Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)] | None = None

    @model_validator(mode="after")
    def _scale(self):
        if (self.scale_min is None) != (self.scale_max is None):
            raise ValueError("give both scale_min and scale_max, or neither")
        if self.scale_min is not None and self.scale_min >= self.scale_max:
            raise ValueError("scale_min must be below scale_max")
        return self


class Metric(Answer):
    id: int
    key: str
    name: str
    kind: str
    direction: str
    unit: str
    indicator: str
    perspective: str
    scale_min: int | None
    scale_max: int | None


# Hypotheses -------------------------------------------------------------------------------


class HypothesisFieldsIn(Schema):
    statement: free_text(10_000, 1)
    metric: identifier(80) = Field(description="The key of one of the pilot's metrics.")
    role: one_of(HYPOTHESIS_ROLES)
    design: one_of(DESIGNS) = "concurrent"
    method: one_of(METHODS) = "fixed"
    alpha: Share = 0.05
    minimum_effect: float | None = None
    planned_sample_size: Positive | None = None
    predictor: identifier(80) | None = Field(
        default=None, description="Threshold designs: the key of the metric on the x axis."
    )
    quantiles: list[Share] | None = Field(default=None, max_length=20)


class HypothesisCreate(HypothesisFieldsIn):
    key: identifier(40) | None = Field(
        default=None, description="Such as H2; the next free one if left out."
    )


class HypothesisUpdate(Schema):
    """Only the fields sent change; null clears an optional one. A locked hypothesis needs a
    ``reason``, kept as an amendment."""

    statement: free_text(10_000, 1) = None
    metric: identifier(80) = None
    role: one_of(HYPOTHESIS_ROLES) = None
    design: one_of(DESIGNS) = None
    method: one_of(METHODS) = None
    alpha: Share = None
    minimum_effect: float | None = None
    planned_sample_size: Positive | None = None
    predictor: identifier(80) | None = None
    quantiles: list[Share] | None = Field(default=None, max_length=20)
    reason: free_text(2000) = ""


class Amendment(Answer):
    at: Moment
    actor: str
    reason: str
    changes: list[str]


class Hypothesis(Answer):
    id: int
    key: str
    statement: str
    metric: str
    predictor: str | None
    role: str
    design: str
    method: str
    alpha: float
    minimum_effect: float | None
    planned_sample_size: int | None
    quantiles: list[float] | None
    locked_at: Moment | None
    registration: one_of(REGISTRATIONS) = Field(
        description="confirmatory: stated before its metric (or predictor) had data; "
        "exploratory: stated after, and so outside the multiple-testing correction."
    )
    amendments: list[Amendment]


# Iterations -------------------------------------------------------------------------------


class IterationCreate(Schema):
    number: Positive | None = Field(default=None, description="The next number if left out.")
    title: free_text(200, 1)
    start_date: date | None = None
    end_date: date | None = None
    changes: free_text(10_000) = Field(default="", description="What changed in this iteration.")
    reason: free_text(10_000) = Field(default="", description="Why it changed.")
    adopted_suggestions: list[Positive] = Field(
        default_factory=list,
        max_length=100,
        description="Ids of accepted suggestions this iteration adopts.",
    )


class Iteration(Answer):
    id: int
    number: int
    title: str
    start_date: date | None
    end_date: date | None
    changes: str
    reason: str
    adopted_suggestions: list[int]


# Suggestions ------------------------------------------------------------------------------


class SuggestionCreate(Schema):
    text: free_text(MAX_TEXT, 1)
    department: free_text(120, 1) | None = Field(
        default=None,
        description="On behalf of which department (a name); your own when left out, "
        "none when null.",
    )


class SuggestionMove(Schema):
    status: one_of(SUGGESTION_STATUSES)
    reason: free_text(2000) = Field(default="", description="Required to decline.")
    iteration: Positive | None = Field(
        default=None, description="Required to incorporate: the number of the adopting iteration."
    )


class Step(Answer):
    from_status: str
    status: str
    at: Moment
    actor: str
    reason: str
    iteration: int | None


class Suggestion(Answer):
    id: int
    text: str
    status: str
    author: str
    department: str | None
    proposed_on: date
    iteration: int | None
    reason: str
    steps: list[Step]


class SuggestionQuery(PageQuery):
    status: one_of(SUGGESTION_STATUSES) | None = None


# Observations -----------------------------------------------------------------------------


class ObservationIn(Schema):
    """One observation, as one row of an observations CSV file."""

    metric: identifier(80) = Field(description="The key of one of the pilot's metrics.")
    group: one_of(GROUPS)
    value: float = Field(
        description="0 or 1 for a proportion; the numerator for a ratio; "
        "a whole number inside the scale for a score."
    )
    denominator: float | None = Field(
        default=None, description="Ratios only: the denominator (for cost per contact: contacts)."
    )
    period: one_of(PERIODS) | None = Field(
        default=None, description="pre (before the pilot started) or post (when left out)."
    )
    unit: free_text(120) | None = Field(
        default=None, description="The site, team, agent or customer the row belongs to."
    )
    date: Day | None = Field(default=None, description="The day observed, such as 2025-01-31.")
    iteration: Positive | None = Field(
        default=None, description="The number of the iteration it was observed in."
    )
    covariate: float | None = Field(
        default=None, description="The same unit's value before the pilot (CUPED)."
    )


class ObservationList(RootModel[list[ObservationIn]]):
    """Observations as a JSON array: one object per row of an observations CSV file."""


class SummaryIn(Schema):
    """The summary of one group's observations, as one row of a summary CSV file."""

    metric: identifier(80) = Field(
        description="The key of one of the pilot's metrics (a mean or a proportion)."
    )
    group: one_of(GROUPS)
    n: Positive = Field(description="How many observations the summary covers.")
    mean: float = Field(description="Their mean; for a proportion, the share from 0 to 1.")
    sd: Annotated[float, Field(ge=0)] = Field(
        description="Their standard deviation, with n - 1 in the denominator."
    )
    period: one_of(PERIODS) | None = Field(
        default=None, description="pre (before the pilot started) or post (when left out)."
    )


class SummaryList(RootModel[list[SummaryIn]]):
    """Summaries as a JSON array: one object per row of a summary CSV file."""


class Batch(Answer):
    id: int
    origin: one_of(ORIGINS)
    source: str
    rows: int
    digest: str = Field(description="SHA-256 of the body as sent.")
    idempotency_key: str | None
    created_at: Moment


# Results and returns ----------------------------------------------------------------------


class Estimate(Answer):
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


class GroupSummary(Answer):
    n: int
    mean: float | None
    sd: float | None


class Planning(Answer):
    power: float
    n_per_group: int
    minimum_detectable_effect: float | None
    planned_sample_size: int | None
    n_needed_per_group: int | None
    weeks_remaining: float | None


class QuantileDifference(Answer):
    quantile: float
    baseline: float | None
    pilot: float | None
    absolute: Estimate
    relative: Estimate | None


class TailTest(Answer):
    test: str | None = None
    # How a rank test's p-value was found: "exact" or "normal approximation".
    method: str | None = None
    estimate: Estimate | None = None
    absolute: Estimate | None = None
    statistic: float | None = None
    p_value: float | None = None
    details: dict[str, float | None] | None = None
    error: str | None = None


class TailError(Answer):
    error: str


class Tails(Answer):
    quantiles: list[QuantileDifference] | TailError | None = None
    mann_whitney: TailTest | None = None
    nps: TailTest | None = None


class HypothesisResult(Answer):
    """One hypothesis against its baseline, as ``testbed analyze --json`` prints it."""

    hypothesis: str
    statement: str
    metric: str
    kind: str
    direction: str
    design: str
    method: str
    role: str
    registration: one_of(REGISTRATIONS) = Field(
        description="confirmatory: stated before its metric (or predictor) had data; "
        "exploratory: stated after, and so outside the multiple-testing correction."
    )
    alpha: float
    minimum_effect: float | None
    baseline: GroupSummary
    pilot: GroupSummary
    absolute: Estimate | None
    relative: Estimate | None
    statistic: float | None
    df: float | None
    p_value: float | None
    p_value_adjusted: float | None = Field(
        description="Null outside the correction family: guardrails, exploratory "
        "hypotheses and Bayesian results."
    )
    test: str | None
    notes: list[str]
    details: dict[str, float | None]
    error: str | None
    planning: Planning | None
    tails: Tails | None
    verdict: str
    chance_to_beat_baseline: float | None = None
    expected_loss: float | None = None


class SampleRatio(Answer):
    metric: str
    planned_pilot_share: float
    observed_pilot_share: float | None
    statistic: float | None
    p_value: float | None
    mismatch: bool


class Decision(Answer):
    """What to do with the pilot, from its primary hypotheses and guardrails."""

    recommendation: one_of(tuple(RECOMMENDATIONS)) = Field(
        description="scale, iterate, stop, or insufficient (not enough evidence yet)."
    )
    rule: str = Field(description="The rule that gave the recommendation, in one sentence.")


class Report(Answer):
    pilot: str
    correction: Literal["holm", "bh"]
    results: list[HypothesisResult]
    sample_ratio: SampleRatio | None
    decision: Decision


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    correction: Literal["holm", "bh"] = Field(
        default="holm",
        description="Multiple-testing correction across confirmatory primary and secondary "
        "hypotheses with a frequentist test.",
    )


class Beat(Answer):
    programme: str
    probability: float | None


class CountedClaim(Answer):
    """A claim on the cost of poor service that the returns count, with its measured effect."""

    claim: int
    line: str = Field(description="The key of the line of the cost of poor service.")
    hypothesis: str
    effect: float = Field(description="The relative effect (pilot / baseline − 1) counted.")
    se: float = Field(description="Its standard error, read off its interval.")


class Returns(Answer):
    """ROI, NPV, IRR and payback with intervals, and the chance of beating each programme."""

    currency: str
    discount_rate: float
    horizon_years: int
    programmes: dict[str, float | None]
    error: str | None
    notes: list[str]
    claims: list[CountedClaim] = Field(
        default=[], description="Claims on the cost of poor service counted as benefits."
    )
    annual_benefit: Estimate | None = None
    roi: Estimate | None = None
    npv: Estimate | None = None
    irr: float | None = None
    payback_years: Estimate | None = None
    probability_roi_positive: float | None = None
    probability_npv_positive: float | None = None
    beats: list[Beat] | None = None
    cashflows: list[float | None] | None = None


class PilotReturns(Answer):
    pilot: str
    name: str
    status: str
    returns: Returns | None = Field(description="Null when the pilot has no financial case.")


class PoorServiceClaim(Answer):
    """A pilot's claim on a line: what its measured effect removes a year, with its interval."""

    pilot: str = Field(description="The claiming pilot's slug.")
    metric: str
    share: float = Field(description="Share of the line's volume the change reaches, (0, 1].")
    hypothesis: str | None = Field(description="Null when the metric has no measured effect yet.")
    relative_effect: float | None
    relative_effect_se: float | None
    yearly: Estimate | None = Field(
        description="Benefit a year: −relative effect × share × volume × unit cost, with the "
        "95 % Monte Carlo interval that carries the effect and the line's ranges."
    )


class PoorServiceLine(Answer):
    key: str
    segment: str
    kind: Literal["lost_customers", "rework", "complaints"]
    name: str
    currency: str
    volume: float
    volume_range: list[float] | None
    unit_cost: float
    unit_cost_range: list[float] | None
    source: str
    period: str
    description: str
    cost: Estimate = Field(
        description="Volume × unit cost a year; the ends are the stated range (low × low, "
        "high × high), not a sampled interval."
    )
    claims: list[PoorServiceClaim]


class PoorServiceSegment(Answer):
    segment: str
    cost: Estimate
    claimed: Estimate | None = Field(description="What the pilots' claims remove a year.")
    lines: list[PoorServiceLine]


class PoorService(Answer):
    """The company's cost of poor service per partner segment, and what pilots claim of it."""

    currency: str | None = Field(description="The lines' currency, when they share one.")
    cost: Estimate | None
    claimed: Estimate | None
    segments: list[PoorServiceSegment]


# Pages, each with its own name in the OpenAPI document.


class PilotPage(Page[Pilot]):
    """A page of pilots."""


class MetricPage(Page[Metric]):
    """A page of metrics."""


class HypothesisPage(Page[Hypothesis]):
    """A page of hypotheses."""


class IterationPage(Page[Iteration]):
    """A page of iterations."""


class SuggestionPage(Page[Suggestion]):
    """A page of suggestions."""


class BatchPage(Page[Batch]):
    """A page of batches of observations."""


class ReturnsPage(Page[PilotReturns]):
    """A page of pilots' returns."""
