"""Every model in one namespace, for migrations and for short imports."""

from testbed.api.models import ApiToken
from testbed.audit import AuditEvent
from testbed.auth.models import Department, User
from testbed.finance.models import (
    Benefit,
    CostItem,
    FinancePlan,
    PoorServiceClaim,
    PoorServiceLine,
    Programme,
)
from testbed.ideas.models import Idea, IdeaStep, IdeaVote
from testbed.notify.models import (
    DeliveryAttempt,
    Notification,
    NotificationEvent,
    OutboxMessage,
    PilotWatch,
    Preference,
    SuggestionWatch,
    Webhook,
)
from testbed.pilots.models import (
    Hypothesis,
    HypothesisAmendment,
    Iteration,
    Metric,
    Partner,
    Pilot,
)
from testbed.results.summaries import PilotSummary
from testbed.scorecard.models import Indicator, IndicatorLink, Measurement, pilot_indicator
from testbed.sources.models import DataSource, MetricQuery
from testbed.store.models import Aggregate, ImportBatch, Observation, ValueCount
from testbed.suggestions.models import (
    Suggestion,
    SuggestionComment,
    SuggestionStep,
    SuggestionVote,
)

__all__ = [
    "Aggregate",
    "ApiToken",
    "AuditEvent",
    "Benefit",
    "CostItem",
    "DeliveryAttempt",
    "DataSource",
    "Department",
    "FinancePlan",
    "Hypothesis",
    "HypothesisAmendment",
    "Idea",
    "IdeaStep",
    "IdeaVote",
    "ImportBatch",
    "Indicator",
    "IndicatorLink",
    "Iteration",
    "Measurement",
    "Metric",
    "Notification",
    "NotificationEvent",
    "MetricQuery",
    "Observation",
    "OutboxMessage",
    "Partner",
    "Pilot",
    "PilotSummary",
    "PoorServiceClaim",
    "PoorServiceLine",
    "PilotWatch",
    "Preference",
    "Programme",
    "Suggestion",
    "SuggestionComment",
    "SuggestionStep",
    "SuggestionVote",
    "SuggestionWatch",
    "User",
    "ValueCount",
    "pilot_indicator",
    "Webhook",
]
