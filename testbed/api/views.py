"""JSON endpoints under /api/v1."""

from flask import Blueprint, jsonify

from testbed.extensions import csrf

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated requests carry no cookie session, so CSRF does not apply.
csrf.exempt(blueprint)


@blueprint.get("/")
def index():
    return jsonify(version="v1")
