"""The OpenAPI document: served, complete, and made from the models that check requests."""

from __future__ import annotations

import pytest

from testbed.api import schemas
from testbed.api.endpoint import OPERATIONS
from testbed.api.views import blueprint  # noqa: F401  (declaring the views registers them)


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def refs(value):
    if isinstance(value, dict):
        if "$ref" in value:
            yield value["$ref"]
        for item in value.values():
            yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


def test_the_document_is_openapi_3_1_and_public(document):
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/api/v1"}]
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_every_operation_is_described_with_its_permission(document):
    described = {
        (method.upper(), path) for path, methods in document["paths"].items() for method in methods
    }
    assert len(described) == len(OPERATIONS)
    for operation in OPERATIONS:
        path = operation.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        entry = document["paths"][path][operation.method.lower()]
        assert entry["x-permission"] == operation.permission
        assert entry["security"] == [{"token": []}]
        assert "401" in entry["responses"]
        assert str(operation.status) in entry["responses"]


def test_every_reference_resolves(document):
    names = set(document["components"]["schemas"])
    for ref in refs(document):
        assert ref.removeprefix("#/components/schemas/") in names, ref


def test_request_schemas_are_the_validating_models(document):
    components = document["components"]["schemas"]
    for model in (
        schemas.PilotCreate,
        schemas.HypothesisCreate,
        schemas.ObservationIn,
        schemas.SummaryIn,
    ):
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        generated.pop("$defs", None)
        assert components[model.__name__] == generated
    body = document["paths"]["/pilots/{slug}/observations"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "text/csv"}


def test_summaries_are_pushed_as_csv_or_json_and_documented_so(document):
    push = document["paths"]["/pilots/{slug}/summaries"]["post"]
    body = push["requestBody"]["content"]
    assert set(body) == {"application/json", "text/csv"}
    assert body["text/csv"]["example"].startswith("metric,group,n,mean,sd\n")
    listed = document["components"]["schemas"]["SummaryList"]
    assert listed["items"] == {"$ref": "#/components/schemas/SummaryIn"}
    assert {"200", "201", "409", "415", "422"} <= set(push["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in push["parameters"])
    assert push["x-permission"] == "observations.upload"
    pilot = document["components"]["schemas"]["PilotUpdate"]["properties"]
    assert "pilot_share" in pilot


def test_errors_and_conflicts_are_documented(document):
    patch = document["paths"]["/pilots/{slug}"]["patch"]
    assert {"400", "401", "403", "404", "409", "422", "428"} <= set(patch["responses"])
    assert [p for p in patch["parameters"] if p["name"] == "If-Match"][0]["required"] is True
    push = document["paths"]["/pilots/{slug}/observations"]["post"]
    assert {"200", "201", "409", "415", "422"} <= set(push["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in push["parameters"])
    listing = document["paths"]["/pilots"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"page", "per_page", "status"}
    assert "403" not in listing["responses"]


def test_the_index_points_to_the_document(client):
    body = client.get("/api/v1/").get_json()
    assert body["links"]["openapi"] == "/api/v1/openapi.json"
    assert body["version"] == "v1"
