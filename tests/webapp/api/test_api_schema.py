"""Schemathesis against the app: every operation, with a valid token, finds no 500 and no schema violation."""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.fuzz import examples

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_openapi_document_and_api_agree(app: Flask, records_study: Any, token: str) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # The WSGI transport hands back the raw body: ask for it uncompressed (an HTTP client would decompress it).
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    for operation in operations:

        @settings(max_examples=examples(12, share=len(operations)), deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            if case.path_parameters and "study" in case.path_parameters:
                case.path_parameters["study"] = records_study.slug
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
