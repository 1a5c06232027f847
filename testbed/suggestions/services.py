"""A suggestion's path from proposal to the iteration that adopted it, or its decline."""

from __future__ import annotations

from testbed.audit import record
from testbed.pilots.models import Iteration
from testbed.suggestions.models import Suggestion

# Where a suggestion may go from each status.
TRANSITIONS = {
    "new": ("under_review", "accepted", "declined"),
    "under_review": ("accepted", "declined"),
    "accepted": ("incorporated", "declined"),
    "incorporated": (),
    "declined": ("under_review",),
}


def move(
    suggestion: Suggestion,
    status: str,
    *,
    actor: str,
    user_id: int | None = None,
    iteration: Iteration | None = None,
    reason: str = "",
) -> None:
    """Change a suggestion's status; raises ValueError when the step is not allowed.

    Incorporating needs the iteration that adopted it, declining a reason.
    """
    if status not in TRANSITIONS[suggestion.status]:
        allowed = ", ".join(TRANSITIONS[suggestion.status]) or "nothing: it is final"
        raise ValueError(
            f"a suggestion that is {suggestion.status.replace('_', ' ')} can move "
            f"to {allowed}, not to {status.replace('_', ' ')}"
        )
    if status == "incorporated" and iteration is None:
        raise ValueError("say which iteration adopted the suggestion")
    if iteration is not None and iteration.pilot_id != suggestion.pilot_id:
        raise ValueError("the iteration belongs to another pilot")
    if status == "declined" and not reason.strip():
        raise ValueError("say why the suggestion is declined")
    suggestion.status = status
    suggestion.iteration = iteration if status == "incorporated" else None
    suggestion.reason = reason.strip() if status == "declined" else suggestion.reason
    suggestion.pilot.touch()
    record(
        "moved",
        "suggestion",
        actor=actor,
        user_id=user_id,
        entity_id=suggestion.id,
        pilot_id=suggestion.pilot_id,
        summary=f"to {status}",
    )
