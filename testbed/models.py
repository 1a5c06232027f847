"""Every model in one namespace, for migrations and for short imports."""

from testbed.audit import AuditEvent
from testbed.auth.models import Department, User
from testbed.finance.models import Benefit, CostItem, FinancePlan, Programme
from testbed.pilots.models import Hypothesis, Iteration, Metric, Partner, Pilot
from testbed.store.models import Aggregate, ImportBatch, Observation, ValueCount
from testbed.suggestions.models import Suggestion

__all__ = [
    "Aggregate",
    "AuditEvent",
    "Benefit",
    "CostItem",
    "Department",
    "FinancePlan",
    "Hypothesis",
    "ImportBatch",
    "Iteration",
    "Metric",
    "Observation",
    "Partner",
    "Pilot",
    "Programme",
    "Suggestion",
    "User",
    "ValueCount",
]
