"""The scorecard under /api/v1: indicators, measurement pushes, cause-and-effect links, pilot links.

Declared with the API's ``@endpoint``, so each route checks its token and
permission, validates its body and appears in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated

from flask import url_for
from flask_babel import gettext
from pydantic import Field, RootModel
from sqlalchemy import select

from testbed.api.endpoint import ApiError, Reply, api_user, endpoint, paginate, service_errors
from testbed.api.schemas import (
    Answer,
    Page,
    PageQuery,
    Positive,
    Schema,
    free_text,
    identifier,
    one_of,
)
from testbed.auth.models import Department
from testbed.extensions import db
from testbed.pilots.models import DIRECTIONS, PERSPECTIVES, Pilot
from testbed.pilots.services import actor_name
from testbed.scorecard import services
from testbed.scorecard.files import read_measurements
from testbed.scorecard.models import CADENCES, Indicator, IndicatorLink
from testbed.scorecard.services import IndicatorFields, MeasurementRow

TAG = "scorecard"


class IndicatorIn(Schema):
    key: identifier(80)
    name: free_text(200, 1)
    perspective: one_of(PERSPECTIVES) = Field(description="Balanced-scorecard perspective.")
    direction: one_of(DIRECTIONS) = Field(description="Which way is better.")
    cadence: one_of(CADENCES) = "monthly"
    unit: free_text(80) = ""
    target: float | None = None
    department: free_text(120) | None = Field(
        default=None, description="The owner department's name; it must exist."
    )
    baseline_period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")] | None = (
        Field(default=None, description="The period progress counts from, such as 2025-01.")
    )
    description: free_text(5000) = ""


class Progress(Answer):
    department: str | None = Field(description="None: the company-wide series.")
    periods: int
    start_period: str | None
    start_value: float | None
    latest_period: str | None
    latest_value: float | None
    change: float | None
    ci_low: float | None = Field(description="95% Welch interval of the change, if n and sd.")
    ci_high: float | None
    df: float | None
    reading: str | None = Field(description="better, worse, unclear or unmeasured.")
    gap_closed: float | None = Field(description="Share of the start's distance to target.")
    note: str


class IndicatorOut(Answer):
    id: int
    key: str
    name: str
    perspective: str
    direction: str
    cadence: str
    unit: str
    target: float | None
    department: str | None
    baseline_period: str | None
    description: str
    measurements: int
    pilots: list[str] = Field(description="Slugs of the pilots meant to move it.")
    progress: list[Progress]


IndicatorPage = Page[IndicatorOut]


class MeasurementIn(Schema):
    """One row of a measurements CSV file."""

    indicator: identifier(80)
    period: free_text(7, 1) = Field(description="2025-01 (monthly) or 2025-Q1 (quarterly).")
    value: float
    department: free_text(120) | None = Field(
        default=None, description="A department's name; left out, the company-wide value."
    )
    n: Positive | None = Field(default=None, description="Answers behind a mean; with sd.")
    sd: Annotated[float, Field(ge=0)] | None = None


class MeasurementList(RootModel[list[MeasurementIn]]):
    """Measurements as a JSON array: one object per row of a measurements CSV file."""


class Stored(Answer):
    added: int
    replaced: int = Field(description="Periods measured before, now replaced.")


class LinkIn(Schema):
    leading: identifier(80)
    lagging: identifier(80)
    note: free_text(2000) = ""


class LinkOut(Answer):
    id: int
    leading: str
    lagging: str
    note: str


class LinkList(Answer):
    items: list[LinkOut]


class PilotIndicators(Schema):
    indicators: Annotated[list[identifier(80)], Field(max_length=100)] = Field(
        description="Keys of the scorecard indicators the pilot is meant to move."
    )


class PilotIndicatorsOut(Answer):
    pilot: str
    indicators: list[str]


def present(indicator: Indicator) -> IndicatorOut:
    progress = []
    for series in services.series_of(indicator):
        change = series.change
        progress.append(
            Progress(
                department=series.department.name if series.department else None,
                periods=series.periods,
                start_period=series.start.period if series.start else None,
                start_value=series.start.value if series.start else None,
                latest_period=series.latest.period if series.latest else None,
                latest_value=series.latest.value if series.latest else None,
                change=change.change if change else None,
                ci_low=change.ci_low if change else None,
                ci_high=change.ci_high if change else None,
                df=change.df if change else None,
                reading=change.verdict if change else None,
                gap_closed=series.closed,
                note=series.note,
            )
        )
    return IndicatorOut(
        id=indicator.id,
        key=indicator.key,
        name=indicator.name,
        perspective=indicator.perspective,
        direction=indicator.direction,
        cadence=indicator.cadence,
        unit=indicator.unit,
        target=indicator.target,
        department=indicator.department.name if indicator.department else None,
        baseline_period=indicator.baseline_period,
        description=indicator.description,
        measurements=len(indicator.measurements),
        pilots=[p.slug for p in services.pilots_moving(indicator)],
        progress=progress,
    )


def _indicator(key: str) -> Indicator:
    found = services.indicator_named(key)
    if found is None:
        raise ApiError(404, gettext("there is no indicator '%(key)s'", key=key))
    return found


def _actor() -> dict:
    user = api_user()
    return {"actor": actor_name(user), "user_id": user.id}


@endpoint(
    "GET",
    "/scorecard/indicators",
    summary="List the company indicators, with each department's progress",
    tag=TAG,
    response=IndicatorPage,
    permission="scorecard.view",
    query=PageQuery,
)
def list_indicators(query: PageQuery):
    statement = select(Indicator).order_by(Indicator.name, Indicator.id)
    return IndicatorPage(**paginate(statement, query, present))


@endpoint(
    "GET",
    "/scorecard/indicators/<key>",
    summary="One indicator, with each department's change from its starting point",
    tag=TAG,
    response=IndicatorOut,
    permission="scorecard.view",
)
def get_indicator(key: str):
    return present(_indicator(key))


@endpoint(
    "POST",
    "/scorecard/indicators",
    summary="Put a new indicator on the scorecard",
    tag=TAG,
    response=IndicatorOut,
    permission="scorecard.edit",
    body=IndicatorIn,
    status=201,
)
def create_indicator(body: IndicatorIn):
    department = None
    if body.department:
        department = db.session.scalar(select(Department).where(Department.name == body.department))
        if department is None:
            message = gettext("there is no department '%(name)s'", name=body.department)
            raise ApiError(422, message, [{"message": message, "field": "department"}])
    fields = IndicatorFields(
        key=body.key,
        name=body.name,
        perspective=body.perspective,
        direction=body.direction,
        cadence=body.cadence,
        unit=body.unit,
        target=body.target,
        department=department,
        baseline_period=body.baseline_period,
        description=body.description,
    )
    with service_errors():
        indicator = services.create_indicator(fields, **_actor())
    db.session.commit()
    location = url_for("api.get_indicator", key=indicator.key)
    return Reply(present(indicator), headers={"Location": location})


@endpoint(
    "POST",
    "/scorecard/measurements",
    summary="Push measurements of the indicators",
    tag=TAG,
    response=Stored,
    permission="scorecard.measure",
    body=MeasurementList,
    csv_body=True,
    csv_example="indicator,period,department,value,n,sd\nnps,2025-01,Sales,31.5,240,82.1\n",
    status=201,
)
def push_measurements(body):
    """A CSV body in the measurements file format (indicator, period, value and optionally
    department, n, sd; see docs/scorecard.md), or a JSON array with one object per row. A
    period already measured for the department is replaced. One bad row and nothing is
    stored; the answer names its line and column (CSV) or item index (JSON). A department
    head may push only indicators their own department owns."""
    with service_errors():
        if isinstance(body, str):
            rows = read_measurements(body.encode("utf-8"), "body")
        else:
            rows = _rows(body.root)
        refused = sorted(
            {r.indicator.key for r in rows if not services.may_measure(api_user(), r.indicator)}
        )
        if refused:
            raise ApiError(
                403,
                gettext(
                    "only innovation, admins and the owner department's head measure "
                    "%(indicators)s",
                    indicators=", ".join(refused),
                ),
            )
        added, replaced = services.store_measurements(rows, source="api", **_actor())
    db.session.commit()
    return Stored(added=added, replaced=replaced)


def _rows(items: list[MeasurementIn]) -> list[MeasurementRow]:
    known = {i.key: i for i in services.indicators()}
    departments = {d.name: d for d in db.session.scalars(select(Department))}
    rows = []
    for index, item in enumerate(items):
        indicator = known.get(item.indicator)
        if indicator is None:
            message = gettext("unknown indicator '%(key)s'", key=item.indicator)
            raise _item_error(index, "indicator", message)
        department = None
        if item.department:
            department = departments.get(item.department)
            if department is None:
                message = gettext("unknown department '%(name)s'", name=item.department)
                raise _item_error(index, "department", message)
        row = MeasurementRow(indicator, department, item.period, item.value, item.n, item.sd)
        problems = services.measurement_problems(row)
        if problems:
            raise _item_error(index, *problems[0])
        rows.append(row)
    if not rows:
        raise ApiError(422, gettext("no measurements: send at least one"))
    seen = set()
    for index, row in enumerate(rows):
        key = (row.indicator.id, row.department and row.department.id, row.period)
        if key in seen:
            raise _item_error(
                index, "period", gettext("the same indicator, period and department twice")
            )
        seen.add(key)
    return rows


def _item_error(index: int, field: str, message: str) -> ApiError:
    return ApiError(
        422,
        gettext("item %(index)s: %(problem)s", index=index, problem=message),
        [{"message": message, "field": field, "index": index}],
    )


@endpoint(
    "GET",
    "/scorecard/links",
    summary="Cause and effect: every leading → lagging link",
    tag=TAG,
    response=LinkList,
    permission="scorecard.view",
)
def list_links():
    return LinkList(items=[_link(link) for link in services.links()])


def _link(link: IndicatorLink) -> LinkOut:
    return LinkOut(id=link.id, leading=link.leading.key, lagging=link.lagging.key, note=link.note)


@endpoint(
    "POST",
    "/scorecard/links",
    summary="Link a leading indicator to the lagging one it drives",
    tag=TAG,
    response=LinkOut,
    permission="scorecard.edit",
    body=LinkIn,
    status=201,
)
def create_link(body: LinkIn):
    leading, lagging = (
        _indicator_in_body(body.leading, "leading"),
        _indicator_in_body(body.lagging, "lagging"),
    )
    with service_errors():
        link = services.add_link(leading, lagging, body.note, **_actor())
    db.session.commit()
    return _link(link)


def _indicator_in_body(key: str, field: str) -> Indicator:
    found = services.indicator_named(key)
    if found is None:
        message = gettext("there is no indicator '%(key)s'", key=key)
        raise ApiError(422, message, [{"message": message, "field": field}])
    return found


@endpoint(
    "GET",
    "/pilots/<slug>/indicators",
    summary="The indicators a pilot is meant to move",
    tag=TAG,
    response=PilotIndicatorsOut,
    permission="pilot.view",
)
def get_pilot_indicators(pilot: Pilot):
    return PilotIndicatorsOut(pilot=pilot.slug, indicators=services.pilot_indicator_keys(pilot))


@endpoint(
    "PUT",
    "/pilots/<slug>/indicators",
    summary="Say which indicators a pilot is meant to move",
    tag=TAG,
    response=PilotIndicatorsOut,
    permission="pilot.edit",
    body=PilotIndicators,
    if_match="optional",
)
def put_pilot_indicators(pilot: Pilot, body: PilotIndicators):
    """The list replaces the pilot's indicators; each key must be on the scorecard."""
    with service_errors():
        services.set_pilot_indicators(pilot, body.indicators, **_actor())
    db.session.commit()
    return PilotIndicatorsOut(pilot=pilot.slug, indicators=services.pilot_indicator_keys(pilot))
