"""The OpenAPI 3.1 document, built from the declared operations and their pydantic models."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from testbed.api import schemas
from testbed.api.endpoint import OPERATIONS, Operation, role_limited

REF = "#/components/schemas/{model}"
ERROR_MEANINGS = {
    400: "The body or a header cannot be read.",
    401: "No token, a malformed or unknown one, or a revoked one.",
    403: "Your role may not do this.",
    404: "No such pilot, or no such object in this pilot.",
    409: "The pilot changed since you read it (If-Match), or the request conflicts with "
    "what is stored.",
    413: "The body is too large.",
    415: "The body is not in a media type this operation reads.",
    422: "The request breaks a rule; 'errors' names each field (and line or item) at fault.",
    428: "This change needs If-Match with the pilot's version.",
    429: "Too many requests without a valid token from this address; 'Retry-After' says "
    "when to try again.",
}
INTRODUCTION = """\
The JSON API of testbed: pilots, their metrics, hypotheses, iterations and suggestions,
observation pushes, analysis results and returns.

Authenticate with a personal API token (Account → API tokens) in
`Authorization: Bearer <token>`. A token acts with the role of the person who made it.

Lists are paginated (`page`, `per_page`; links in the body and a `Link` header).
Reads of a pilot, or of anything in it, carry the pilot's version as `ETag`; send it
back as `If-Match` when you change something, and a change made by someone else in
between is refused with 409 instead of being overwritten.
"""


@cache
def document() -> dict[str, Any]:
    """The description of every declared operation (built once: operations are fixed)."""
    keys, definitions = models_json_schema(_models(), ref_template=REF)
    names = {pair: value["$ref"].rsplit("/", 1)[-1] for pair, value in keys.items()}
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        paths.setdefault(_path(operation), {})[operation.method.lower()] = _operation(
            operation, names
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": "testbed API", "version": "1", "description": INTRODUCTION},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token, shown once when it is created.",
                }
            },
        },
        "tags": [{"name": tag} for tag in dict.fromkeys(o.tag for o in OPERATIONS)],
    }


def _models() -> list[tuple[type[BaseModel], str]]:
    models: list[tuple[type[BaseModel], str]] = [(schemas.Error, "serialization")]
    for operation in OPERATIONS:
        models.append((operation.response, "serialization"))
        if operation.body is not None:
            models.append((operation.body, "validation"))
    return list(dict.fromkeys(models))


def _path(operation: Operation) -> str:
    path = operation.rule
    for name, converter in operation.path_parameters:
        written = f"<{converter}:{name}>" if converter else f"<{name}>"
        path = path.replace(written, "{" + name + "}")
    return path


def _operation(operation: Operation, names: dict) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "operationId": operation.name,
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": _parameters(operation),
        "responses": _responses(operation, names),
    }
    if operation.description:
        entry["description"] = " ".join(operation.description.split())
    if operation.permission:
        entry["security"] = [{"token": []}]
        entry["x-permission"] = operation.permission
    else:
        entry["security"] = []
    if operation.body is not None:
        entry["requestBody"] = _request_body(operation, names)
    return entry


def _parameters(operation: Operation) -> list[dict]:
    parameters = []
    for name, converter in operation.path_parameters:
        schema = (
            {"type": "integer", "minimum": 1, "maximum": schemas.MAX_INT}
            if converter == "int"
            else {"type": "string", "pattern": schemas.KEY, "minLength": 1, "maxLength": 80}
        )
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    if operation.query is not None:
        schema = operation.query.model_json_schema()
        for name, prop in schema["properties"].items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in schema.get("required", ()),
                    "description": prop.get("description", ""),
                    "schema": _not_null(prop),
                }
            )
    if operation.if_match:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": operation.if_match == "required",
                "description": 'The pilot\'s version as its ETag gave it, such as "3".',
                "schema": {"type": "string", "maxLength": 80},
            }
        )
    for name, schema in operation.headers.items():
        parameters.append({"name": name, "in": "header", **schema})
    return parameters


def _not_null(schema: dict) -> dict:
    """A query parameter is absent rather than null: keep the non-null branch."""
    schema = {k: v for k, v in schema.items() if k not in ("title", "description")}
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
        if schema.get("default") is None:
            schema.pop("default", None)
    return schema


def _request_body(operation: Operation, names: dict) -> dict:
    content = {"application/json": {"schema": _ref(operation.body, "validation", names)}}
    if operation.csv_body:
        content["text/csv"] = {
            "schema": {"type": "string"},
            "example": operation.csv_example,
        }
    return {"required": True, "content": content}


def _responses(operation: Operation, names: dict) -> dict:
    success = {
        "description": operation.responses.get(operation.status, "Success."),
        "content": {
            "application/json": {"schema": _ref(operation.response, "serialization", names)}
        },
    }
    headers = {}
    if operation.on_pilot:
        headers["ETag"] = {
            "description": "The pilot's version; send it back as If-Match to change it.",
            "schema": {"type": "string"},
        }
    if issubclass(operation.response, schemas.Page):
        headers["Link"] = {"description": "Links to other pages.", "schema": {"type": "string"}}
    if headers:
        success["headers"] = headers
    responses = {str(operation.status): success}
    for status, meaning in operation.responses.items():
        if status != operation.status:
            responses[str(status)] = {**success, "description": meaning}
    error = {
        "content": {"application/json": {"schema": _ref(schemas.Error, "serialization", names)}}
    }
    for status in _error_statuses(operation):
        responses[str(status)] = {"description": ERROR_MEANINGS[status], **error}
    return responses


def _error_statuses(operation: Operation) -> list[int]:
    statuses = set()
    if operation.permission:
        statuses.update((401, 429))
    if role_limited(operation.permission):
        statuses.add(403)
    if operation.path_parameters:
        statuses.add(404)
    if operation.query is not None or operation.body is not None:
        statuses.add(422)
    if operation.body is not None:
        statuses.update((400, 413, 415))
    if operation.method != "GET" and operation.on_pilot:
        statuses.add(409)
    if operation.if_match:
        statuses.add(400)
    if operation.if_match == "required":
        statuses.add(428)
    return sorted(statuses)


def _ref(model: type[BaseModel], mode: str, names: dict) -> dict:
    return {"$ref": REF.format(model=names[(model, mode)])}
