"""Declaring an endpoint: one decorator gives the route, its checks and its OpenAPI entry.

``@endpoint(...)`` registers the view on the blueprint and records an
``Operation``; ``testbed.api.openapi`` builds the document from those records.
The wrapper authenticates the bearer token, checks the permission, finds the
pilot in the address, checks ``If-Match`` against the pilot's version, and
validates query and body with the declared models before the view runs. The
view returns a response model (already validated when it was built).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, request, url_for
from flask_babel import gettext, ngettext
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from testbed.api import schemas
from testbed.api.auth import Unauthenticated, bearer_token, note_use, user_for_token
from testbed.api.services import Refused
from testbed.auth.access import ALL_ROLES, PERMISSIONS, can
from testbed.auth.models import role_name
from testbed.extensions import csrf, db
from testbed.files.definition import KEY_PATTERN
from testbed.files.errors import LoadError
from testbed.pilots.models import Pilot
from testbed.pilots.services import InvalidField, pilot_at

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated requests carry no cookie session, so CSRF does not apply.
csrf.exempt(blueprint)


class AnyRest(PathConverter):
    """The rest of an address, line breaks included (``path`` stops at one)."""

    regex = r"[\s\S]*?"
    part_isolating = False


@blueprint.record_once
def register_converter(state) -> None:
    # Before the catch-all route below is added to the application's map.
    state.app.url_map.converters["any_rest"] = AnyRest


JSON = "application/json"
CSV = "text/csv"
# The web forms' names for fields the API names otherwise.
FIELD_NAMES = {
    "new_partner_name": "partner.name",
    "metric_key": "key",
    "suggestions": "adopted_suggestions",
}
RULE_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass
class Operation:
    method: str
    rule: str
    name: str
    summary: str
    tag: str
    response: type[BaseModel]
    description: str = ""
    permission: str | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    csv_body: bool = False
    csv_example: str = "metric,group,value\nwait,pilot,9.5\n"
    status: int = 200
    if_match: str | None = None  # "required" or "optional"
    headers: dict[str, dict] = field(default_factory=dict)
    responses: dict[int, str] = field(default_factory=dict)

    @property
    def path_parameters(self) -> list[tuple[str, str]]:
        """(name, converter) of each part of the address, such as ('slug', '')."""
        return [(name, converter or "") for converter, name in RULE_PARAMETER.findall(self.rule)]

    @property
    def on_pilot(self) -> bool:
        return "<slug>" in self.rule


OPERATIONS: list[Operation] = []


class ApiError(Exception):
    """An answer other than success, sent as an ``Error`` body."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict] | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status, self.message = status, message
        self.errors, self.headers = errors or [], headers or {}


@dataclass
class Reply:
    """A response body with a status or headers other than the operation's defaults."""

    body: BaseModel
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def endpoint(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    response: type[BaseModel],
    **options: Any,
) -> Callable:
    """Register ``view`` for ``method rule`` under /api/v1 and describe it for OpenAPI."""

    def decorate(view: Callable) -> Callable:
        operation = Operation(
            method, rule, view.__name__, summary, tag, response, (view.__doc__ or ""), **options
        )
        OPERATIONS.append(operation)

        @wraps(view)
        def handle(**path: Any) -> Response:
            try:
                reply = view(**prepare(operation, path))
            except ApiError as error:
                return error_response(error)
            return render(operation, reply)

        handle.permission = operation.permission
        blueprint.add_url_rule(rule, endpoint=view.__name__, view_func=handle, methods=[method])
        return handle

    return decorate


def prepare(operation: Operation, path: dict[str, Any]) -> dict[str, Any]:
    """The view's arguments, once the request has passed every check the operation declares."""
    g.api_pilot = None
    if operation.permission:
        authorise(operation.permission)
    arguments = dict(path)
    if operation.on_pilot:
        arguments["pilot"] = find_pilot(arguments.pop("slug"))
        g.api_pilot = arguments["pilot"]
        check_version(arguments["pilot"], operation.if_match)
    if operation.query is not None:
        arguments["query"] = validated(operation.query, request.args.to_dict(), "query")
    if operation.body is not None:
        arguments["body"] = read_body(operation)
    return arguments


def authorise(permission: str) -> None:
    try:
        user, token = user_for_token(bearer_token(request.headers.get("Authorization")))
    except Unauthenticated as error:
        raise ApiError(401, error.message, headers={"WWW-Authenticate": "Bearer"}) from None
    if not can(permission, user):
        message = gettext(
            "a %(role)s may not do this (it needs the permission '%(permission)s')",
            role=role_name(user.role),
            permission=permission,
        )
        raise ApiError(403, message)
    g.api_user, g.api_token = user, token
    note_use(token)
    # The use is noted even when the view only reads.
    db.session.commit()


def api_user():
    """The user whose token authenticated this request."""
    return g.api_user


def api_token():
    return g.api_token


def find_pilot(slug: str) -> Pilot:
    pilot = None
    if KEY_PATTERN.match(slug):
        pilot = pilot_at(slug)
    if pilot is None:
        raise ApiError(404, gettext("there is no pilot '%(slug)s'", slug=slug))
    return pilot


def check_version(pilot: Pilot, if_match: str | None) -> None:
    """Refuse a change made from an older version of the pilot than the current one."""
    header = request.headers.get("If-Match") if if_match else None
    if header is None:
        if if_match == "required":
            message = gettext(
                "send If-Match with the pilot's version (ETag of GET), such as "
                'If-Match: "%(version)s", so no one else\'s change is overwritten',
                version=pilot.version,
            )
            raise ApiError(428, message)
        return
    versions = [part.strip().removeprefix("W/").strip('"') for part in header.split(",")]
    if "*" in versions:
        return
    if not all(version.isdigit() for version in versions):
        message = gettext('If-Match must name the pilot\'s version, such as "3"')
        raise ApiError(400, message, [{"message": message, "field": "If-Match"}])
    if str(pilot.version) not in versions:
        message = gettext(
            "someone else changed this pilot since you read it (version %(current)s now, "
            "If-Match said %(expected)s): read it again and retry",
            current=pilot.version,
            expected=header[:40],
        )
        raise ApiError(409, message)


def validated(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid(error, where) from None


def read_body(operation: Operation) -> BaseModel | str:
    """The JSON body checked against the operation's model, or, where allowed, CSV text."""
    media = (request.mimetype or "").lower()
    if operation.csv_body and media == CSV:
        return csv_text(request.get_data())
    if media != JSON:
        if operation.csv_body:
            message = gettext(
                "send the body as %(json)s or %(csv)s (Content-Type header)", json=JSON, csv=CSV
            )
        else:
            message = gettext("send the body as %(json)s (Content-Type header)", json=JSON)
        raise ApiError(415, message)
    try:
        return operation.body.model_validate_json(request.get_data(), strict=True)
    except ValidationError as error:
        if any(problem["type"] == "json_invalid" for problem in error.errors()):
            raise ApiError(400, gettext("the body is not valid JSON")) from None
        raise invalid(error, "body") from None


def csv_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = gettext("not UTF-8 text: save the file as 'CSV UTF-8'")
        whole = gettext("line %(line)s is not UTF-8 text: save the file as 'CSV UTF-8'", line=line)
        raise ApiError(422, whole, [{"message": message, "line": line}]) from None


def invalid(error: ValidationError, where: str) -> ApiError:
    """422 with one entry per problem: the field, and the item's index in a JSON array."""
    details = []
    for problem in error.errors(include_url=False):
        location = list(problem["loc"])
        index = location.pop(0) if location and isinstance(location[0], int) else None
        name = ".".join(str(part) for part in location) or None
        details.append({"message": problem["msg"], "field": name, "index": index})
    count = len(details)
    if where == "query":
        message = ngettext("the query has %(num)d problem", "the query has %(num)d problems", count)
    else:
        message = ngettext("the body has %(num)d problem", "the body has %(num)d problems", count)
    return ApiError(422, message, details)


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn a service's refusal into 422, naming the field or line at fault; nothing is kept."""
    try:
        yield
    except Refused as error:
        db.session.rollback()
        raise ApiError(error.status, error.message, error.errors) from None
    except InvalidField as error:
        db.session.rollback()
        field = FIELD_NAMES.get(error.field, error.field)
        raise ApiError(422, error.message, [{"message": error.message, "field": field}]) from None
    except LoadError as error:
        db.session.rollback()
        detail = {"message": error.message, "line": error.line, "column": error.column}
        raise ApiError(422, str(error), [{**detail, "field": error.field}]) from None
    except ValueError as error:
        db.session.rollback()
        raise ApiError(422, str(error)) from None


def render(operation: Operation, reply: BaseModel | Reply) -> Response:
    if not isinstance(reply, Reply):
        reply = Reply(reply)
    if not isinstance(reply.body, operation.response):
        raise TypeError(f"{operation.name} answered {type(reply.body).__name__}")
    response = json_response(reply.body, reply.status or operation.status)
    response.headers.update(reply.headers)
    pilot = g.get("api_pilot")
    if pilot is not None and db.session.object_session(pilot) is not None:
        response.headers["ETag"] = f'"{pilot.version}"'
    if isinstance(reply.body, schemas.Page):
        response.headers["Link"] = link_header(reply.body.links)
    return response


def json_response(body: BaseModel, status: int) -> Response:
    return Response(body.model_dump_json(exclude_unset=True), status=status, mimetype=JSON)


def error_response(error: ApiError) -> Response:
    db.session.rollback()
    body = schemas.Error(message=error.message, errors=[_detail(e) for e in error.errors])
    response = json_response(body, error.status)
    response.headers.update(error.headers)
    return response


def _detail(entry: dict) -> schemas.ErrorDetail:
    # Only the keys that say something: a CSV error has a line, a JSON one an index.
    return schemas.ErrorDetail(**{k: v for k, v in entry.items() if v is not None})


# Pages ------------------------------------------------------------------------------------


def paginate(query, page: schemas.PageQuery, item: Callable[[Any], BaseModel]) -> dict:
    """The fields of a ``Page`` of ``query``'s rows, each turned into a model by ``item``."""
    result = db.paginate(query, page=page.page, per_page=page.per_page, error_out=False)
    last = max(result.pages, 1)
    return {
        "items": [item(row) for row in result.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": result.total,
        "links": {
            "self": page_url(page.page, page.per_page),
            "first": page_url(1, page.per_page),
            "last": page_url(last, page.per_page),
            "next": page_url(page.page + 1, page.per_page) if page.page < last else None,
            "prev": page_url(min(page.page - 1, last), page.per_page) if page.page > 1 else None,
        },
    }


def page_url(number: int, per_page: int) -> str:
    arguments = {**request.args.to_dict(), "page": number, "per_page": per_page}
    return url_for(request.endpoint, **(request.view_args or {}), **arguments)


def link_header(links: schemas.PageLinks) -> str:
    relations = ("first", "prev", "next", "last")
    return ", ".join(
        f'<{getattr(links, name)}>; rel="{name}"'
        for name in relations
        if getattr(links, name) is not None
    )


# Errors outside the views -----------------------------------------------------------------


@blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException):
    if error.code == 404:
        message = not_found()
    elif error.code == 413:
        message = gettext("the body is too large")
    else:
        message = error.description or error.name
    return error_response(ApiError(error.code or 500, message))


def not_found() -> str:
    return gettext("nothing here: /api/v1/openapi.json lists every address")


# The application answers these codes with pages of its own; the API answers in JSON.
for code in (400, 403, 404, 405, 413):
    blueprint.register_error_handler(code, http_error)


@blueprint.errorhandler(StaleDataError)
def concurrent_change(error):
    # Another request committed a change to the pilot between our read and our write.
    return error_response(
        ApiError(
            409,
            gettext("someone else changed this pilot at the same moment: read it again and retry"),
        )
    )


@blueprint.errorhandler(500)
def server_error(error):
    message = gettext("something went wrong on our side; nothing was saved")
    return error_response(ApiError(500, message))


@blueprint.route("/<any_rest:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str):
    """Addresses and methods the API does not have, answered in JSON like everything else."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            rule_endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if rule_endpoint != "api.unknown":
            allowed.append(method)
    if allowed:
        message = gettext(
            "%(method)s is not allowed here; use %(allowed)s",
            method=request.method,
            allowed=", ".join(allowed),
        )
        return error_response(ApiError(405, message, headers={"Allow": ", ".join(allowed)}))
    return error_response(ApiError(404, not_found()))


def role_limited(permission: str | None) -> bool:
    return permission is not None and PERMISSIONS[permission] != ALL_ROLES
