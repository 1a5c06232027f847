"""JSON endpoints under /api/v1: each declares its permission, models and checks in one place."""

import re

from flask import jsonify, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from testbed.api import present, schemas, services
from testbed.api.endpoint import (
    ApiError,
    Reply,
    api_token,
    api_user,
    blueprint,
    endpoint,
    paginate,
    service_errors,
)
from testbed.api.openapi import document
from testbed.api.pages import blueprint as pages
from testbed.extensions import db
from testbed.finance.comparison import poor_service_model
from testbed.notify import api as notifications  # noqa: F401  (registers its endpoints)
from testbed.pilots.models import Hypothesis, Iteration, Metric, Pilot
from testbed.pilots.services import adopted_suggestions
from testbed.results.services import report_for
from testbed.scorecard import api as scorecard_api  # noqa: F401  (declaring registers the routes)
from testbed.store.models import ImportBatch
from testbed.suggestions.models import Suggestion

__all__ = ["blueprint"]

IDEMPOTENCY_KEY = {
    "Idempotency-Key": {
        "required": False,
        "description": "Any text you choose for this batch (a UUID, or the job's date). "
        "Sending the same batch again with the same key stores nothing and answers "
        "with the first push's batch; another body with a used key is refused.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-~]+$"},
    }
}
IDEMPOTENCY_PATTERN = r"^[!-~]{1,255}$"
# What an address naming another pilot's object, or none, is told: one sentence per kind.
NOT_IN_PILOT = {
    "metric": _l("the pilot '%(pilot)s' has no metric with id %(id)s"),
    "hypothesis": _l("the pilot '%(pilot)s' has no hypothesis with id %(id)s"),
    "iteration": _l("the pilot '%(pilot)s' has no iteration with id %(id)s"),
    "suggestion": _l("the pilot '%(pilot)s' has no suggestion with id %(id)s"),
    "batch": _l("the pilot '%(pilot)s' has no batch with id %(id)s"),
}


@blueprint.record_once
def register_pages(state) -> None:
    # The token and documentation pages are web pages outside /api/v1.
    state.app.register_blueprint(pages)


# The index and the description need no token: clients and tools read them first.
@blueprint.get("/")
def index():
    return jsonify(
        schemas.Index(
            version="v1",
            links={
                "openapi": url_for(".openapi"),
                "documentation": url_for("api_pages.documentation"),
                "pilots": url_for(".list_pilots"),
                "me": url_for(".get_me"),
            },
        ).model_dump()
    )


@blueprint.get("/openapi.json")
def openapi():
    return jsonify(document())


# Who am I ---------------------------------------------------------------------------------


@endpoint(
    "GET",
    "/me",
    summary="The token's user, role and permissions",
    tag="account",
    response=schemas.Me,
    permission="pilot.view",
)
def get_me():
    return present.me(api_user(), api_token())


# Pilots -----------------------------------------------------------------------------------


@endpoint(
    "GET",
    "/pilots",
    summary="List pilots",
    tag="pilots",
    response=schemas.PilotPage,
    permission="pilot.view",
    query=schemas.PilotQuery,
)
def list_pilots(query: schemas.PilotQuery):
    statement = select(Pilot).order_by(Pilot.name, Pilot.id)
    if query.status:
        statement = statement.where(Pilot.status == query.status)
    return schemas.PilotPage(**paginate(statement, query, present.pilot))


@endpoint(
    "POST",
    "/pilots",
    summary="Register a pilot",
    tag="pilots",
    response=schemas.Pilot,
    permission="pilot.edit",
    body=schemas.PilotCreate,
    status=201,
)
def create_pilot(body: schemas.PilotCreate):
    """A new pilot starts as a draft or as active; a partner not known yet is created."""
    with service_errors():
        pilot = services.create_pilot(body, by=api_user())
    db.session.commit()
    location = url_for(".get_pilot", slug=pilot.slug)
    return Reply(present.pilot(pilot), headers={"Location": location, "ETag": f'"{pilot.version}"'})


@endpoint(
    "GET",
    "/pilots/<slug>",
    summary="One pilot",
    tag="pilots",
    response=schemas.Pilot,
    permission="pilot.view",
)
def get_pilot(pilot: Pilot):
    return present.pilot(pilot)


@endpoint(
    "PATCH",
    "/pilots/<slug>",
    summary="Change a pilot",
    tag="pilots",
    response=schemas.Pilot,
    permission="pilot.edit",
    body=schemas.PilotUpdate,
    if_match="required",
)
def update_pilot(pilot: Pilot, body: schemas.PilotUpdate):
    """Only the fields sent change. The status follows the pilot lifecycle."""
    with service_errors():
        services.update_pilot(pilot, body, by=api_user())
    db.session.commit()
    return present.pilot(pilot)


# Metrics ----------------------------------------------------------------------------------


@endpoint(
    "GET",
    "/pilots/<slug>/metrics",
    summary="A pilot's metrics",
    tag="metrics",
    response=schemas.MetricPage,
    permission="pilot.view",
    query=schemas.PageQuery,
)
def list_metrics(pilot: Pilot, query: schemas.PageQuery):
    statement = select(Metric).where(Metric.pilot_id == pilot.id).order_by(Metric.id)
    return schemas.MetricPage(**paginate(statement, query, present.metric))


@endpoint(
    "POST",
    "/pilots/<slug>/metrics",
    summary="Add a metric",
    tag="metrics",
    response=schemas.Metric,
    permission="pilot.edit",
    body=schemas.MetricCreate,
    status=201,
    if_match="optional",
)
def create_metric(pilot: Pilot, body: schemas.MetricCreate):
    with service_errors():
        metric = services.add_metric(pilot, body, by=api_user())
    db.session.commit()
    return present.metric(metric)


@endpoint(
    "GET",
    "/pilots/<slug>/metrics/<int:metric_id>",
    summary="One metric",
    tag="metrics",
    response=schemas.Metric,
    permission="pilot.view",
)
def get_metric(pilot: Pilot, metric_id: int):
    return present.metric(in_pilot(pilot, Metric, metric_id, "metric"))


def in_pilot(pilot: Pilot, model, object_id: int, name: str):
    """The object with that id if it belongs to ``pilot``; 404 otherwise, even if it exists."""
    found = db.session.get(model, object_id)
    if found is None or found.pilot_id != pilot.id:
        raise ApiError(404, NOT_IN_PILOT[name] % {"pilot": pilot.slug, "id": object_id})
    return found


# Hypotheses -------------------------------------------------------------------------------


@endpoint(
    "GET",
    "/pilots/<slug>/hypotheses",
    summary="A pilot's hypotheses",
    tag="hypotheses",
    response=schemas.HypothesisPage,
    permission="pilot.view",
    query=schemas.PageQuery,
)
def list_hypotheses(pilot: Pilot, query: schemas.PageQuery):
    statement = select(Hypothesis).where(Hypothesis.pilot_id == pilot.id).order_by(Hypothesis.id)
    return schemas.HypothesisPage(**paginate(statement, query, present.hypothesis))


@endpoint(
    "POST",
    "/pilots/<slug>/hypotheses",
    summary="Pre-register a hypothesis",
    tag="hypotheses",
    response=schemas.Hypothesis,
    permission="pilot.edit",
    body=schemas.HypothesisCreate,
    status=201,
    if_match="optional",
)
def create_hypothesis(pilot: Pilot, body: schemas.HypothesisCreate):
    """The metric (and predictor) are keys of the pilot's metrics. A hypothesis whose metric
    has observations already is locked at once."""
    with service_errors():
        hypothesis = services.register_hypothesis(pilot, body, by=api_user())
    db.session.commit()
    return present.hypothesis(hypothesis)


@endpoint(
    "GET",
    "/pilots/<slug>/hypotheses/<int:hypothesis_id>",
    summary="One hypothesis",
    tag="hypotheses",
    response=schemas.Hypothesis,
    permission="pilot.view",
)
def get_hypothesis(pilot: Pilot, hypothesis_id: int):
    return present.hypothesis(in_pilot(pilot, Hypothesis, hypothesis_id, "hypothesis"))


@endpoint(
    "PATCH",
    "/pilots/<slug>/hypotheses/<int:hypothesis_id>",
    summary="Change a hypothesis",
    tag="hypotheses",
    response=schemas.Hypothesis,
    permission="pilot.edit",
    body=schemas.HypothesisUpdate,
    if_match="required",
)
def update_hypothesis(pilot: Pilot, hypothesis_id: int, body: schemas.HypothesisUpdate):
    """Once observations arrived the hypothesis is locked: a change then needs a reason and
    is kept as an amendment."""
    hypothesis = in_pilot(pilot, Hypothesis, hypothesis_id, "hypothesis")
    with service_errors():
        services.update_hypothesis(hypothesis, body, by=api_user())
    db.session.commit()
    return present.hypothesis(hypothesis)


# Iterations -------------------------------------------------------------------------------


@endpoint(
    "GET",
    "/pilots/<slug>/iterations",
    summary="A pilot's iterations",
    tag="iterations",
    response=schemas.IterationPage,
    permission="pilot.view",
    query=schemas.PageQuery,
)
def list_iterations(pilot: Pilot, query: schemas.PageQuery):
    adopted = adopted_suggestions(pilot)
    statement = select(Iteration).where(Iteration.pilot_id == pilot.id).order_by(Iteration.number)
    return schemas.IterationPage(
        **paginate(statement, query, lambda i: present.iteration(i, adopted.get(i.id, [])))
    )


@endpoint(
    "POST",
    "/pilots/<slug>/iterations",
    summary="Log an iteration",
    tag="iterations",
    response=schemas.Iteration,
    permission="pilot.edit",
    body=schemas.IterationCreate,
    status=201,
    if_match="optional",
)
def create_iteration(pilot: Pilot, body: schemas.IterationCreate):
    """Suggestions it adopts must be accepted; they become incorporated in this iteration."""
    with service_errors():
        iteration = services.log_iteration(pilot, body, by=api_user())
    db.session.commit()
    return present.iteration(iteration, adopted_suggestions(pilot).get(iteration.id, []))


@endpoint(
    "GET",
    "/pilots/<slug>/iterations/<int:iteration_id>",
    summary="One iteration",
    tag="iterations",
    response=schemas.Iteration,
    permission="pilot.view",
)
def get_iteration(pilot: Pilot, iteration_id: int):
    iteration = in_pilot(pilot, Iteration, iteration_id, "iteration")
    return present.iteration(iteration, adopted_suggestions(pilot).get(iteration.id, []))


# Suggestions ------------------------------------------------------------------------------


@endpoint(
    "GET",
    "/pilots/<slug>/suggestions",
    summary="A pilot's suggestions",
    tag="suggestions",
    response=schemas.SuggestionPage,
    permission="pilot.view",
    query=schemas.SuggestionQuery,
)
def list_suggestions(pilot: Pilot, query: schemas.SuggestionQuery):
    statement = select(Suggestion).where(Suggestion.pilot_id == pilot.id).order_by(Suggestion.id)
    if query.status:
        statement = statement.where(Suggestion.status == query.status)
    return schemas.SuggestionPage(**paginate(statement, query, present.suggestion))


@endpoint(
    "POST",
    "/pilots/<slug>/suggestions",
    summary="Suggest an idea to the pilot team",
    tag="suggestions",
    response=schemas.Suggestion,
    permission="suggestion.add",
    body=schemas.SuggestionCreate,
    status=201,
)
def create_suggestion(pilot: Pilot, body: schemas.SuggestionCreate):
    with service_errors():
        suggestion = services.add_suggestion(pilot, body, by=api_user())
    db.session.commit()
    return present.suggestion(suggestion)


@endpoint(
    "GET",
    "/pilots/<slug>/suggestions/<int:suggestion_id>",
    summary="One suggestion",
    tag="suggestions",
    response=schemas.Suggestion,
    permission="pilot.view",
)
def get_suggestion(pilot: Pilot, suggestion_id: int):
    return present.suggestion(in_pilot(pilot, Suggestion, suggestion_id, "suggestion"))


@endpoint(
    "POST",
    "/pilots/<slug>/suggestions/<int:suggestion_id>/moves",
    summary="Move a suggestion along its path",
    tag="suggestions",
    response=schemas.Suggestion,
    permission="suggestion.decide",
    body=schemas.SuggestionMove,
    if_match="optional",
)
def move_suggestion(pilot: Pilot, suggestion_id: int, body: schemas.SuggestionMove):
    """new → under_review → accepted → incorporated (in an iteration), or declined with a
    reason; a declined suggestion may be reviewed again."""
    suggestion = in_pilot(pilot, Suggestion, suggestion_id, "suggestion")
    with service_errors():
        services.move_suggestion(suggestion, body, by=api_user())
    db.session.commit()
    return present.suggestion(suggestion)


# Observations -----------------------------------------------------------------------------


@endpoint(
    "POST",
    "/pilots/<slug>/observations",
    summary="Push a batch of observations",
    tag="observations",
    response=schemas.Batch,
    permission="observations.upload",
    body=schemas.ObservationList,
    csv_body=True,
    status=201,
    headers=IDEMPOTENCY_KEY,
    responses={
        201: "The batch was stored.",
        200: "This Idempotency-Key stored this same batch before: nothing new was stored.",
    },
)
def push_observations(pilot: Pilot, body):
    """A CSV body in the observations file format (see docs/experiments.md), or a JSON array
    with one object per row. Every row is checked first; one bad cell and nothing is stored,
    and the answer lists each problem with its line and column (CSV) or item index (JSON)."""
    return _push(services.push_observations, pilot, body)


@endpoint(
    "POST",
    "/pilots/<slug>/summaries",
    summary="Push a batch of per-group summaries",
    tag="observations",
    response=schemas.Batch,
    permission="observations.upload",
    body=schemas.SummaryList,
    csv_body=True,
    csv_example="metric,group,n,mean,sd\nwait,pilot,120,9.5,3.1\n",
    status=201,
    headers=IDEMPOTENCY_KEY,
    responses={
        201: "The batch was stored.",
        200: "This Idempotency-Key stored this same batch before: nothing new was stored.",
    },
)
def push_summaries(pilot: Pilot, body):
    """For reporting tools that export only summaries: a CSV body in the summary file format
    (metric, group, n, mean, sd and optionally period; see docs/experiments.md), or a JSON
    array with one object per row. Checked and stored as a pilot folder's summary.csv is; one
    bad cell and nothing is stored, and the answer names each bad row's line and column (CSV)
    or item index (JSON)."""
    return _push(services.push_summaries, pilot, body)


def _push(push, pilot: Pilot, body):
    key = request.headers.get("Idempotency-Key")
    if key is not None and not re.fullmatch(IDEMPOTENCY_PATTERN, key):
        message = gettext("the Idempotency-Key must be 1 to 255 visible ASCII characters")
        raise ApiError(400, message, [{"message": message, "field": "Idempotency-Key"}])
    rows = body if isinstance(body, str) else body.root
    source = f"API push with token '{api_token().name}'"[:255]
    with service_errors():
        batch, replayed = push(
            pilot, request.get_data(), rows, key=key, source=source, by=api_user()
        )
    if replayed:
        return Reply(present.batch(batch), status=200)
    db.session.commit()
    return present.batch(batch)


@endpoint(
    "GET",
    "/pilots/<slug>/batches",
    summary="The batches of observations stored",
    tag="observations",
    response=schemas.BatchPage,
    permission="pilot.view",
    query=schemas.PageQuery,
)
def list_batches(pilot: Pilot, query: schemas.PageQuery):
    statement = select(ImportBatch).where(ImportBatch.pilot_id == pilot.id).order_by(ImportBatch.id)
    return schemas.BatchPage(**paginate(statement, query, present.batch))


@endpoint(
    "GET",
    "/pilots/<slug>/batches/<int:batch_id>",
    summary="One batch of observations",
    tag="observations",
    response=schemas.Batch,
    permission="pilot.view",
)
def get_batch(pilot: Pilot, batch_id: int):
    return present.batch(in_pilot(pilot, ImportBatch, batch_id, "batch"))


# Results and returns ----------------------------------------------------------------------


@endpoint(
    "GET",
    "/pilots/<slug>/results",
    summary="Every hypothesis against its baseline",
    tag="results",
    response=schemas.Report,
    permission="pilot.view",
    query=schemas.ReportQuery,
)
def get_results(pilot: Pilot, query: schemas.ReportQuery):
    """The same objects as testbed analyze --json prints; the returns are at /returns."""
    return present.report(report_for(pilot, query.correction))


@endpoint(
    "GET",
    "/pilots/<slug>/returns",
    summary="A pilot's returns",
    tag="returns",
    response=schemas.PilotReturns,
    permission="finance.view",
)
def get_returns(pilot: Pilot):
    """ROI, NPV, IRR and payback from the measured effects, with intervals, and the chance
    of beating each existing programme."""
    return present.returns(pilot, report_for(pilot)["returns"])


@endpoint(
    "GET",
    "/returns",
    summary="Every pilot's returns",
    tag="returns",
    response=schemas.ReturnsPage,
    permission="finance.view",
    query=schemas.PilotQuery,
)
def list_returns(query: schemas.PilotQuery):
    statement = select(Pilot).order_by(Pilot.name, Pilot.id)
    if query.status:
        statement = statement.where(Pilot.status == query.status)
    return schemas.ReturnsPage(
        **paginate(statement, query, lambda p: present.returns(p, report_for(p)["returns"]))
    )


# The cost of poor service -----------------------------------------------------------------


@endpoint(
    "GET",
    "/poor-service",
    summary="The cost of poor service and what pilots claim of it",
    tag="returns",
    response=schemas.PoorService,
    permission="finance.view",
)
def get_poor_service():
    """Per partner segment, each line's cost a year with its stated assumptions and range,
    and each pilot's claim with the interval its measured effect gives."""
    return present.poor_service(poor_service_model())
