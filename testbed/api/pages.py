"""The web pages of the API: personal tokens and the readable API reference."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from testbed.api import auth
from testbed.api.forms import RevokeForm, TokenForm
from testbed.api.openapi import document
from testbed.auth.access import PERMISSIONS, requires
from testbed.auth.models import ROLES
from testbed.extensions import db

blueprint = Blueprint("api_pages", __name__)

REF_PREFIX = "#/components/schemas/"


def _user():
    return current_user._get_current_object()


@blueprint.get("/account/tokens")
@requires("api.tokens")
def tokens():
    return _tokens_page(TokenForm())


@blueprint.post("/account/tokens")
@requires("api.tokens")
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form)
    try:
        token, text = auth.create_token(_user(), form.name.data)
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        form.name.errors.append(str(error))
        return _tokens_page(form)
    # Shown on this answer only: the token is not stored, so it cannot be shown again.
    return _tokens_page(TokenForm(formdata=None), created=token, text=text)


@blueprint.post("/account/tokens/<int:token_id>/revoke")
@requires("api.tokens")
def revoke_token(token_id: int):
    token = auth.token_of(_user(), token_id)
    if token is None:
        abort(404)
    if RevokeForm().validate_on_submit():
        if auth.revoke_token(token, _user()):
            db.session.commit()
            flash(
                gettext(
                    "Token '%(name)s' revoked: systems using it are refused from now on.",
                    name=token.name,
                ),
                "success",
            )
        else:
            flash(gettext("Token '%(name)s' was revoked already.", name=token.name), "success")
    return redirect(url_for(".tokens"))


def _tokens_page(form: TokenForm, created=None, text: str | None = None) -> str:
    return render_template(
        "api/tokens.html",
        form=form,
        revoke=RevokeForm(),
        tokens=auth.tokens_of(_user()),
        created=created,
        text=text,
    )


@blueprint.get("/api/v1/docs")
@requires("api.tokens")
def documentation():
    spec = document()
    return render_template(
        "api/docs.html",
        spec=spec,
        groups=_operations_by_tag(spec),
        models=_models(spec["components"]["schemas"]),
    )


def _operations_by_tag(spec: dict) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {tag["name"]: [] for tag in spec["tags"]}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            groups[operation["tags"][0]].append(_operation_row(path, method, operation))
    return list(groups.items())


def _operation_row(path: str, method: str, operation: dict) -> dict:
    permission = operation.get("x-permission")
    roles = [role for role in ROLES if permission and role in PERMISSIONS[permission]]
    body = operation.get("requestBody", {}).get("content", {})
    return {
        "id": operation["operationId"],
        "method": method.upper(),
        "path": "/api/v1" + path,
        "summary": operation["summary"],
        "description": operation.get("description", ""),
        "roles": roles,
        "parameters": [
            {
                "name": p["name"],
                "where": p["in"],
                "required": p.get("required", False),
                "type": describe(p["schema"]),
                "description": p.get("description", ""),
            }
            for p in operation["parameters"]
        ],
        "body": [(media, describe(content["schema"])) for media, content in body.items()],
        "responses": [
            (status, response["description"], _response_type(response))
            for status, response in operation["responses"].items()
        ],
    }


def _response_type(response: dict) -> str:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return describe(schema) if schema else ""


def _models(definitions: dict) -> list[dict]:
    return [
        {
            "name": name,
            "description": schema.get("description", ""),
            "fields": [
                {
                    "name": field,
                    "type": describe(prop),
                    "required": field in schema.get("required", ()),
                    "description": prop.get("description", ""),
                }
                for field, prop in schema.get("properties", {}).items()
            ],
            "type": "" if "properties" in schema else describe(schema),
        }
        for name, schema in sorted(definitions.items())
    ]


def describe(schema: dict) -> str:
    """A JSON Schema in a few words: 'Pilot', 'list of Metric', 'text (at most 200)'."""
    if "$ref" in schema:
        return schema["$ref"].removeprefix(REF_PREFIX)
    if "anyOf" in schema:
        return " or ".join(describe(branch) for branch in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(str(value) for value in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    kind = schema.get("type")
    if kind == "array":
        return "list of " + describe(schema.get("items", {}))
    if kind == "object":
        extra = schema.get("additionalProperties")
        return "object of " + describe(extra) if isinstance(extra, dict) else "object"
    words = {
        "string": "text",
        "integer": "whole number",
        "number": "number",
        "boolean": "true or false",
        "null": "null",
    }
    text = words.get(kind, kind or "anything")
    if schema.get("format") in ("date", "date-time"):
        text = schema["format"]
    limits = []
    if "minimum" in schema or "exclusiveMinimum" in schema:
        limits.append(
            f"above {schema['exclusiveMinimum']}"
            if "exclusiveMinimum" in schema
            else f"from {schema['minimum']}"
        )
    if "maximum" in schema or "exclusiveMaximum" in schema:
        limits.append(
            f"below {schema['exclusiveMaximum']}"
            if "exclusiveMaximum" in schema
            else f"to {schema['maximum']}"
        )
    if "maxLength" in schema:
        limits.append(f"at most {schema['maxLength']} characters")
    return f"{text} ({', '.join(limits)})" if limits else text
