"""The metric library: the service indicators a pilot can adopt without defining them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from testbed.i18n import DEFAULT_LANGUAGE


@dataclass(frozen=True)
class MetricDefinition:
    """A metric as the library offers it or as a person describes it.

    In ``LIBRARY`` the area, name, unit and hint are lazy strings, said in the reader's
    language when shown; ``library_metric`` gives plain ones, fit to be stored.
    """

    area: str  # where the library lists it; empty for a metric a person defines
    key: str
    name: str
    kind: str  # mean | proportion | ratio
    direction: str  # increase | decrease: which way is better
    unit: str
    indicator: str  # leading | lagging
    perspective: str  # financial | customer | internal | learning (the balanced scorecard)
    hint: str = ""  # how to record it: what one row of observations is
    scale: tuple[int, int] | None = None


LIBRARY: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        area=_l("Operational"),
        key="response_time",
        name=_l("Average response time"),
        kind="mean",
        direction="decrease",
        unit=_l("hours"),
        indicator="leading",
        perspective="internal",
        hint=_l("One row per request: hours to the first answer."),
    ),
    MetricDefinition(
        area=_l("Operational"),
        key="resolution_time",
        name=_l("Average resolution time"),
        kind="mean",
        direction="decrease",
        unit=_l("hours"),
        indicator="lagging",
        perspective="internal",
        hint=_l("One row per request: hours until it was resolved."),
    ),
    MetricDefinition(
        area=_l("Operational"),
        key="pending_tickets",
        name=_l("Pending tickets"),
        kind="mean",
        direction="decrease",
        unit=_l("tickets open at day end"),
        indicator="leading",
        perspective="internal",
        hint=_l("One row per day: tickets still open."),
    ),
    MetricDefinition(
        area=_l("Operational"),
        key="first_call_resolution",
        name=_l("First-call resolution"),
        kind="proportion",
        direction="increase",
        unit=_l("calls"),
        indicator="leading",
        perspective="customer",
        hint=_l("One row per call: 1 if the issue was solved on that call, else 0."),
    ),
    MetricDefinition(
        area=_l("Operational"),
        key="abandonment_rate",
        name=_l("Abandonment rate"),
        kind="proportion",
        direction="decrease",
        unit=_l("calls"),
        indicator="leading",
        perspective="customer",
        hint=_l("One row per call: 1 if the caller hung up waiting."),
    ),
    MetricDefinition(
        area=_l("Call centre"),
        key="calls_handled",
        name=_l("Calls handled"),
        kind="mean",
        direction="increase",
        unit=_l("calls per agent-day"),
        indicator="leading",
        perspective="internal",
        hint=_l("One row per agent and day."),
    ),
    MetricDefinition(
        area=_l("Call centre"),
        key="transferred",
        name=_l("Calls transferred"),
        kind="proportion",
        direction="decrease",
        unit=_l("calls"),
        indicator="lagging",
        perspective="customer",
        hint=_l("One row per call: 1 if it was transferred."),
    ),
    MetricDefinition(
        area=_l("Call centre"),
        key="first_line_resolution",
        name=_l("First-line resolution rate"),
        kind="proportion",
        direction="increase",
        unit=_l("contacts"),
        indicator="leading",
        perspective="internal",
        hint=_l("One row per contact: 1 if the first line solved it. Drives cost per contact."),
    ),
    MetricDefinition(
        area=_l("Customer"),
        key="csat",
        name=_l("Satisfaction with service (CSAT)"),
        kind="proportion",
        direction="increase",
        unit=_l("survey answers"),
        indicator="lagging",
        perspective="customer",
        hint=_l("One row per survey answer: 1 if satisfied or very satisfied."),
    ),
    MetricDefinition(
        area=_l("Customer"),
        key="survey_response",
        name=_l("Customers answering surveys"),
        kind="proportion",
        direction="increase",
        unit=_l("surveys sent"),
        indicator="leading",
        perspective="customer",
        hint=_l("One row per survey sent: 1 if it was answered."),
    ),
    MetricDefinition(
        area=_l("Customer"),
        key="complaints",
        name=_l("Number of complaints"),
        kind="mean",
        direction="decrease",
        unit=_l("complaints per week"),
        indicator="lagging",
        perspective="customer",
        hint=_l("One row per week: complaints received."),
    ),
    MetricDefinition(
        area=_l("Customer"),
        key="nps",
        name=_l("Net Promoter Score (likelihood to recommend)"),
        kind="mean",
        direction="increase",
        unit=_l("score 0-10"),
        indicator="lagging",
        perspective="customer",
        hint=_l(
            "One row per answer, 0 to 10; results also show the NPS (promoters minus detractors)."
        ),
        scale=(0, 10),
    ),
    MetricDefinition(
        area=_l("Customer"),
        key="customer_effort",
        name=_l("Customer Effort Score"),
        kind="mean",
        direction="increase",
        unit=_l("score 1-7"),
        indicator="leading",
        perspective="customer",
        hint=_l("One row per answer to 'the company made it easy to handle my issue', 1 to 7."),
        scale=(1, 7),
    ),
    MetricDefinition(
        area=_l("Knowledge base"),
        key="self_service_completion",
        name=_l("Self-service completion rate"),
        kind="proportion",
        direction="increase",
        unit=_l("self-service sessions"),
        indicator="leading",
        perspective="customer",
        hint=_l("One row per session: 1 if the customer finished without contacting an agent."),
    ),
    MetricDefinition(
        area=_l("Knowledge base"),
        key="kb_completeness",
        name=_l("Knowledge-base completeness"),
        kind="proportion",
        direction="increase",
        unit=_l("common questions"),
        indicator="leading",
        perspective="learning",
        hint=_l("One row per common question: 1 if the knowledge base answers it."),
    ),
    MetricDefinition(
        area=_l("Knowledge base"),
        key="materials_up_to_date",
        name=_l("Materials up to date"),
        kind="proportion",
        direction="increase",
        unit=_l("articles"),
        indicator="leading",
        perspective="learning",
        hint=_l("One row per article: 1 if it was reviewed within its review period."),
    ),
    MetricDefinition(
        area=_l("Cost"),
        key="cost_per_contact",
        name=_l("Cost per inbound contact"),
        kind="ratio",
        direction="decrease",
        unit=_l("EUR per contact"),
        indicator="lagging",
        perspective="financial",
        hint=_l("One row per team and day: value = cost, denominator = contacts."),
    ),
    MetricDefinition(
        area=_l("Cost"),
        key="agent_cost",
        name=_l("Agent cost (hiring, training, management)"),
        kind="mean",
        direction="decrease",
        unit=_l("EUR per agent-month"),
        indicator="lagging",
        perspective="financial",
        hint=_l("One row per agent and month."),
    ),
    MetricDefinition(
        area=_l("Agents"),
        key="training_hours",
        name=_l("Training hours"),
        kind="mean",
        direction="increase",
        unit=_l("hours per agent-month"),
        indicator="leading",
        perspective="learning",
        hint=_l("One row per agent and month."),
    ),
    MetricDefinition(
        area=_l("Agents"),
        key="occupancy",
        name=_l("Agent occupancy"),
        kind="mean",
        direction="decrease",
        unit=_l("share of logged-in time on calls"),
        indicator="leading",
        perspective="internal",
        hint=_l("One row per agent and day, 0 to 1. Turnover tends to rise past about 0.7."),
    ),
    MetricDefinition(
        area=_l("Agents"),
        key="requests_per_agent",
        name=_l("Requests per agent"),
        kind="mean",
        direction="decrease",
        unit=_l("requests per agent-day"),
        indicator="leading",
        perspective="internal",
        hint=_l("One row per agent and day."),
    ),
    MetricDefinition(
        area=_l("Agents"),
        key="agent_satisfaction",
        name=_l("Agent satisfaction"),
        kind="mean",
        direction="increase",
        unit=_l("score 0-10"),
        indicator="lagging",
        perspective="learning",
        hint=_l("One row per pulse-survey answer, 0 to 10."),
        scale=(0, 10),
    ),
    MetricDefinition(
        area=_l("Agents"),
        key="top_performer_turnover",
        name=_l("Turnover among top performers"),
        kind="proportion",
        direction="decrease",
        unit=_l("top performers"),
        indicator="lagging",
        perspective="learning",
        hint=_l("One row per top performer and quarter: 1 if they left."),
    ),
    MetricDefinition(
        area=_l("Appointments"),
        key="fta",
        name=_l("Failure-to-attend rate"),
        kind="proportion",
        direction="decrease",
        unit=_l("appointments"),
        indicator="lagging",
        perspective="customer",
        hint=_l("One row per appointment: 1 if missed (FTA = missed × 100% / total appointments)."),
    ),
    MetricDefinition(
        area=_l("Appointments"),
        key="fta_cost",
        name=_l("Cost of missed appointments"),
        kind="mean",
        direction="decrease",
        unit=_l("EUR per clinic day"),
        indicator="lagging",
        perspective="financial",
        hint=_l("One row per clinic day: contract cost plus specialist time lost."),
    ),
    MetricDefinition(
        area=_l("Complexity"),
        key="greeting_to_keys",
        name=_l("Time from greeting to handing over the keys"),
        kind="mean",
        direction="decrease",
        unit=_l("minutes"),
        indicator="lagging",
        perspective="customer",
        hint=_l("One row per customer served."),
    ),
    MetricDefinition(
        area=_l("Complexity"),
        key="problem_tickets",
        name=_l("Support tickets about one problem"),
        kind="mean",
        direction="decrease",
        unit=_l("tickets per week"),
        indicator="leading",
        perspective="internal",
        hint=_l("One row per week: tickets about the problem the pilot addresses."),
    ),
    MetricDefinition(
        area=_l("Complexity"),
        key="negative_reviews",
        name=_l("Negative reviews"),
        kind="mean",
        direction="decrease",
        unit=_l("reviews per month"),
        indicator="lagging",
        perspective="customer",
        hint=_l("One row per month: reviews seen. Assume about ten unseen for each one seen."),
    ),
)

BY_KEY = {metric.key: metric for metric in LIBRARY}


def library_metric(key: str) -> MetricDefinition | None:
    """The library's metric with plain strings, as a pilot adopts it (never a lazy string
    in the database): its name, unit and hint in the current language (the pilot's own
    metric, which people may rename, is named as they read it), its area in English (it
    goes only into the activity log, which stays English)."""
    found = BY_KEY.get(key)
    if found is None:
        return None
    with force_locale(DEFAULT_LANGUAGE):
        area = str(found.area)
    return replace(
        found, area=area, name=str(found.name), unit=str(found.unit), hint=str(found.hint)
    )
