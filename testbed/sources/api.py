"""``POST /api/v1/pilots/{slug}/refresh``: refresh a pilot from its data sources over the API."""

from __future__ import annotations

from pydantic import Field

from testbed.api.endpoint import api_user, endpoint
from testbed.api.schemas import Answer
from testbed.extensions import db
from testbed.pilots.models import Pilot
from testbed.sources import services


class RefreshedMetric(Answer):
    metric: str
    rows: int = Field(description="Observations the query covered.")
    groups: int = Field(description="Result rows fetched: sums per cell, or the rows themselves.")
    bytes: int = Field(description="About how many bytes of values were fetched.")
    seconds: float
    fingerprint: str = Field(description="SHA-256 of the normalised SQL.")


class Refresh(Answer):
    refreshed: bool = Field(description="False when a query failed; nothing changed then.")
    metrics: list[RefreshedMetric]
    errors: dict[str, str] = Field(description="Each failing metric's message, secrets scrubbed.")


@endpoint(
    "POST",
    "/pilots/<slug>/refresh",
    summary="Refresh a pilot from its data sources",
    tag="observations",
    response=Refresh,
    permission="source.query",
)
def refresh_pilot_sources(pilot: Pilot):
    """Runs every metric query of the pilot in its source (read-only, within the source's time
    limit) and replaces the pilot's source data only when all of them succeed."""
    outcome = services.refresh_pilot(pilot, actor=api_user().email, user_id=api_user().id)
    db.session.commit()
    metrics = [
        RefreshedMetric(
            metric=item.query.metric.key,
            rows=item.rows,
            groups=item.groups,
            bytes=item.bytes,
            seconds=item.seconds,
            fingerprint=item.query.fingerprint,
        )
        for item in outcome.fetched
    ]
    return Refresh(
        refreshed=outcome.ok, metrics=metrics if outcome.ok else [], errors=outcome.errors
    )
