"""The API's HTTP details: a 405 names the allowed methods, JSON is never cached, ``page`` has a stated maximum."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from webapp.api.openapi import MAX_PAGE


def test_405_answers_carry_allow(client: FlaskClient, records_study: Any, bearer: dict[str, str]) -> None:
    response = client.delete(f"/api/v1/studies/{records_study.slug}/exports", headers=bearer)
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}
    assert client.put("/api/v1/studies", headers=bearer).headers["Allow"].startswith(("GET", "HEAD", "OPTIONS"))


def test_api_json_is_never_stored(client: FlaskClient, records_study: Any, bearer: dict[str, str]) -> None:
    for url in ("/api/v1/studies", f"/api/v1/studies/{records_study.slug}/participants", "/api/v1/openapi.json"):
        assert client.get(url, headers=bearer).headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/studies").headers["Cache-Control"] == "no-store"  # the 401 too


def test_page_maximum_in_the_schema_is_the_servers(client: FlaskClient, records_study: Any,
                                                   bearer: dict[str, str]) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = [p["schema"] for path in doc["paths"].values() for op in path.values()
               for p in op.get("parameters", []) if p.get("name") == "page"]
    assert schemas
    assert {s.get("maximum") for s in schemas} == {MAX_PAGE}
    url = f"/api/v1/studies/{records_study.slug}/participants"
    assert client.get(f"{url}?page={MAX_PAGE}", headers=bearer).status_code == 200
    assert client.get(f"{url}?page={MAX_PAGE + 1}", headers=bearer).status_code == 400
