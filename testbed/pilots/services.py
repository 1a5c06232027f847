"""Reading pilots for the portfolio and the pilot pages."""

from __future__ import annotations

from flask import abort
from sqlalchemy import func, select

from testbed.extensions import db
from testbed.pilots.models import Pilot
from testbed.suggestions.models import Suggestion


def pilot_or_404(slug: str) -> Pilot:
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == slug))
    if pilot is None:
        abort(404)
    return pilot


def portfolio_rows() -> list[dict]:
    """Every pilot with the figures the portfolio shows, in two queries."""
    counts = dict(
        db.session.execute(
            select(Suggestion.pilot_id, func.count()).group_by(Suggestion.pilot_id)
        ).all()
    )
    pilots = db.session.scalars(select(Pilot).order_by(Pilot.name))
    return [
        {
            "pilot": pilot,
            "iteration": pilot.iterations[-1] if pilot.iterations else None,
            "primary": next((h for h in pilot.hypotheses if h.role == "primary"), None),
            "suggestions": counts.get(pilot.id, 0),
        }
        for pilot in pilots
    ]
