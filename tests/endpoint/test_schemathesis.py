"""Property-based tests from the app's own OpenAPI schema: no 5xx, and every answer matches the schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from builder.endpoint.app import create_app
from builder.endpoint.settings import load_settings

from .conftest import MailSink, make_env


@pytest.fixture
def api_schema(tmp_path: Path, manifest_path: Path, smtp: MailSink) -> Iterator[Any]:
    env = make_env(
        f"sqlite:///{tmp_path}/schemathesis.db",
        manifest_path,
        smtp,
        AFFSITE_CLICKS_PER_IP_PER_MINUTE="0",
        AFFSITE_SUBSCRIBE_PER_IP_PER_HOUR="0",
        AFFSITE_SUBSCRIBE_PER_ADDRESS_PER_HOUR="0",
    )
    app = create_app(load_settings(env))
    with TestClient(app):  # runs the lifespan: schema, manifest, click writer
        yield schemathesis.openapi.from_asgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: Any) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            response_headers_conformance,
        ]
    )
