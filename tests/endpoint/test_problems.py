"""Errors as clients see them: the OpenAPI document names one error model, and every JSON error is that model."""

from __future__ import annotations

from typing import Any

from builder.endpoint.problems import ErrorBody

from .conftest import BEACON_HEADERS, Endpoint

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _json_errors(document: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    """(path, method, status) -> the documented JSON schema of every error answer."""
    found = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if int(status) >= 400 and schema is not None:
                    found[(path, method, status)] = schema
    return found


def test_the_openapi_error_schema_is_the_model(endpoint: Endpoint) -> None:
    document = endpoint.client.get("/api/openapi.json").json()
    expected = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = expected.pop("$defs")
    components = document["components"]["schemas"]
    assert components["ErrorBody"] == expected
    for name, schema in nested.items():
        assert components[name] == schema
    errors = _json_errors(document)
    # both ways the entries are made: a JSON route (`model`) and a page route that may also answer JSON
    assert {("/api/clicks", "post", "413"), ("/api/health", "get", "503"), ("/api/confirm", "post", "403")} <= set(
        errors
    )
    wrong = {where: schema for where, schema in errors.items() if schema != ERROR_REF}
    assert not wrong, f"error answers not documented as ErrorBody: {wrong}"


def test_every_json_error_is_exactly_the_model(endpoint: Endpoint) -> None:
    answers = [
        endpoint.client.get("/nowhere"),  # the app's 404 handler
        endpoint.client.post("/api/clicks", content="x" * 5000, headers=BEACON_HEADERS),  # the edge middleware
        endpoint.client.post("/api/confirm", data={"token": "x"}, headers={"origin": "https://evil.example"}),
        endpoint.client.post("/api/subscribe", json={"email": 5}),  # validation
    ]
    for answer in answers:
        assert answer.status_code >= 400 and answer.headers["content-type"].startswith("application/json")
        body = answer.json()
        assert ErrorBody.model_validate(body).model_dump() == body, body  # nothing missing, nothing extra
