"""The OpenAPI 3.1 document of ``/api/v1/``, built from the records contract (one place for names)."""

from __future__ import annotations

from typing import Any

from workers.exports import ExportTable, export_tables

PREFIX = "/api/v1"
MAX_PER_PAGE = 1000
#: Highest page number the server accepts (stated as the parameter's ``maximum``).
MAX_PAGE = 10**9
#: Largest id (a 32-bit integer column).
MAX_ID = 2**31 - 1
DEFAULT_PER_PAGE = 100
_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
               "date": "string", "datetime": "string", "code": "string"}


def api_tables() -> dict[str, ExportTable]:
    """The tables the API serves: the de-identified export tables."""
    return export_tables()


def _row_schema(table: ExportTable) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for col in table.columns:
        prop: dict[str, Any] = {"type": [_JSON_TYPES[col.kind], "null"], "description": col.label}
        if col.kind == "datetime":
            prop["format"] = "date-time"
        if col.vocab:
            prop["enum"] = [*col.codes, None]
        props[col.name] = prop
    return {"type": "object", "title": table.label, "properties": props, "required": list(table.column_names),
            "additionalProperties": False}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Bad request (e.g. page or per_page out of range)", 401: "Missing, unknown or revoked token",
            404: "Not found, or not the token's study", 429: "Too many requests"}
    out: dict[str, Any] = {}
    for code in codes:
        out[str(code)] = _json(_ref("Error"), text[code])
        if code == 401:
            out[str(code)]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return out


def _paged(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["items", "page", "per_page", "total", "pages"],
            "additionalProperties": False,
            "properties": {"items": {"type": "array", "items": item}, "page": {"type": "integer", "minimum": 1},
                           "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                           "total": {"type": "integer", "minimum": 0}, "pages": {"type": "integer", "minimum": 0}}}


_STUDY_PARAM = {"name": "study", "in": "path", "required": True, "schema": {"type": "string"},
                "description": "The study's slug (the token's study)"}
_JOB_PARAM = {"name": "job_id", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
_PAGING = [
    {"name": "page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    {"name": "per_page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}},
]

_STRING_OR_NULL = {"type": ["string", "null"]}
_COMPONENTS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["status", "message"],
        "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}},
    "Study": {"type": "object", "required": ["slug", "title", "default_language", "languages", "quotas"],
              "additionalProperties": False, "properties": {
                  "slug": {"type": "string"},
                  "title": {"type": "object", "additionalProperties": {"type": "string"}},
                  "default_language": {"type": "string"},
                  "languages": {"type": "array", "items": {"type": "string"}},
                  "quotas": {"type": "object", "additionalProperties": {"type": "integer"}}}},
    "Participant": {"type": "object", "additionalProperties": False,
                    "required": ["code", "participant_type", "status", "form_language", "channel", "created_at"],
                    "properties": {
                        "code": {"type": "string"}, "participant_type": {"type": "string"},
                        "status": {"type": "string",
                                   "enum": ["screened", "consented", "submitted", "interviewed", "withdrawn"]},
                        "form_language": {"type": "string"}, "channel": _STRING_OR_NULL,
                        "created_at": {"type": "string", "format": "date-time"}}},
    "ExportJob": {"type": "object", "additionalProperties": False, "required": [
        "id", "status", "done", "total", "percent", "with_pii", "created_at", "finished_at", "expires_at",
        "expired", "filename", "size", "sha256", "error", "download_url"], "properties": {
        "id": {"type": "integer"}, "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
        "done": {"type": "integer"}, "total": {"type": "integer"},
        "percent": {"type": "integer", "minimum": 0, "maximum": 100}, "with_pii": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"}, "expired": {"type": "boolean"},
        "filename": _STRING_OR_NULL, "size": {"type": ["integer", "null"]}, "sha256": _STRING_OR_NULL,
        "error": _STRING_OR_NULL, "download_url": _STRING_OR_NULL}},
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (served at ``/api/v1/openapi.json``)."""
    tables = api_tables()
    schemas = dict(_COMPONENTS)
    for name, table in tables.items():
        schemas[f"Row_{name}"] = _row_schema(table)
    secured: list[dict[str, list[str]]] = [{"bearerAuth": []}]
    study_ops = {
        f"{PREFIX}/studies": {"get": {
            "operationId": "listStudies", "summary": "The token's study", "security": secured,
            "responses": {"200": _json({"type": "object", "required": ["studies"], "additionalProperties": False,
                                        "properties": {"studies": {"type": "array", "items": _ref("Study")}}},
                                       "The study the token belongs to"), **_errors(401, 429)}}},
        f"{PREFIX}/studies/{{study}}/participants": {"get": {
            "operationId": "listParticipants", "summary": "Participants (pseudonymous fields only), paged",
            "security": secured, "parameters": [_STUDY_PARAM, *_PAGING],
            "responses": {"200": _json(_paged(_ref("Participant")), "A page of participants"),
                          **_errors(400, 401, 404, 429)}}},
        f"{PREFIX}/studies/{{study}}/records/{{table}}": {"get": {
            "operationId": "listRecords", "summary": "Rows of a career-records table (de-identified), paged",
            "description": "Rows in key order; columns as in the export bundle's codebook.",
            "security": secured, "parameters": [
                _STUDY_PARAM,
                {"name": "table", "in": "path", "required": True, "schema": {"type": "string", "enum": list(tables)}},
                *_PAGING],
            "responses": {"200": _json(_paged({"anyOf": [_ref(f"Row_{n}") for n in tables]}), "A page of rows"),
                          **_errors(400, 401, 404, 429)}}},
        f"{PREFIX}/studies/{{study}}/exports": {"post": {
            "operationId": "startExport", "summary": "Start a de-identified export bundle", "security": secured,
            "parameters": [_STUDY_PARAM],
            "responses": {"202": {**_json(_ref("ExportJob"), "The export job, queued"),
                                  "headers": {"Location": {"schema": {"type": "string"}}}},
                          **_errors(401, 404, 429)}}},
        f"{PREFIX}/studies/{{study}}/exports/{{job_id}}": {"get": {
            "operationId": "getExport", "summary": "Poll an export job", "security": secured,
            "parameters": [_STUDY_PARAM, _JOB_PARAM],
            "responses": {"200": _json(_ref("ExportJob"), "The export job"), **_errors(401, 404, 429)}}},
        f"{PREFIX}/studies/{{study}}/exports/{{job_id}}/download": {"get": {
            "operationId": "downloadExport", "summary": "Download a finished export bundle (zip)",
            "security": secured, "parameters": [_STUDY_PARAM, _JOB_PARAM],
            "responses": {"200": {"description": "The bundle", "content": {"application/zip": {
                "schema": {"type": "string", "contentMediaType": "application/zip"}}}},
                **_errors(401, 404, 429)}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Keireki API", "version": "1.0.0",
                 "description": "Read-only access to a study's career records and its export bundles. "
                                "Authenticate with a study's token: `Authorization: Bearer <token>`."},
        "paths": study_ops,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }
