"""Every model in one namespace, for migrations and for short imports."""

from testbed.api.models import ApiToken
from testbed.audit import AuditEvent
from testbed.auth.models import Department, User
from testbed.finance.models import Benefit, CostItem, FinancePlan, Programme
from testbed.pilots.models import (
    Hypothesis,
    HypothesisAmendment,
    Iteration,
    Metric,
    Partner,
    Pilot,
)
from testbed.results.summaries import PilotSummary
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
    "DataSource",
    "Department",
    "FinancePlan",
    "Hypothesis",
    "HypothesisAmendment",
    "ImportBatch",
    "Iteration",
    "Metric",
    "MetricQuery",
    "Observation",
    "Partner",
    "Pilot",
    "PilotSummary",
    "Programme",
    "Suggestion",
    "SuggestionComment",
    "SuggestionStep",
    "SuggestionVote",
    "User",
    "ValueCount",
]
