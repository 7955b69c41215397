"""``datapackage.json``: a Frictionless Data Package describing the bundle's CSV files."""

from __future__ import annotations

from typing import Any

from workers.exports.schema import STS_GAP, STS_PAD, ExportTable
from workers.exports.tabular import month_columns

#: Partial ISO dates (``2018``, ``2018-03``, ``2018-03-15``).
PARTIAL_DATE = r"\d{4}(-\d{2}(-\d{2})?)?"
_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "date": "string",
    "datetime": "datetime",
    "code": "string",
}


def _field(column: Any) -> dict[str, Any]:
    field: dict[str, Any] = {"name": column.name, "type": _TYPES[column.kind], "title": column.label}
    if column.kind == "boolean":
        field["trueValues"], field["falseValues"] = ["true"], ["false"]
    if column.kind == "date":
        field["constraints"] = {"pattern": PARTIAL_DATE}
        field["description"] = "Partial ISO 8601 date; see the *_precision column"
    if column.kind == "datetime":
        field["description"] = "ISO 8601 timestamp in UTC"
    if column.vocab:
        field["constraints"] = {"enum": list(column.codes)}
        field["description"] = f"Code list: {column.vocab} (see codebook)"
    return field


def _schema(table: ExportTable) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "fields": [_field(c) for c in table.columns],
        "missingValues": [""],
    }
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": column, "reference": {"resource": resource, "fields": foreign}}
            for column, resource, foreign in table.foreign_keys
        ]
    return schema


def _resource(name: str, title: str, schema: dict[str, Any], *, bom: bool) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig" if bom else "utf-8",
        "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True},
        "schema": schema,
    }


def sts_schema(width: int, states: tuple[str, ...]) -> dict[str, Any]:
    """The Table Schema of the STS file: one state column per month, ``*`` in gaps, ``%`` after the end."""
    fields: list[dict[str, Any]] = [
        {"name": "participant_code", "type": "string", "title": "Participant code"}
    ]
    enum = [*states, STS_GAP, STS_PAD]
    fields += [
        {"name": m, "type": "string", "title": f"State in month {i}", "constraints": {"enum": enum}}
        for i, m in enumerate(month_columns(width), start=1)
    ]
    return {
        "fields": fields,
        "missingValues": [""],
        "primaryKey": ["participant_code"],
        "foreignKeys": [
            {
                "fields": "participant_code",
                "reference": {"resource": "participants", "fields": "participant_code"},
            }
        ],
    }


def datapackage(
    *,
    study: str,
    title: str,
    tables: list[ExportTable],
    sts_width: int,
    states: tuple[str, ...],
    bom: bool,
    contacts: bool,
    version: str,
    extra_tables: list[ExportTable] | None = None,
) -> dict[str, Any]:
    """The descriptor: one resource per CSV file, in bundle order (``extra_tables``: the CSV files other areas
    add, such as the codebook and agreement of the coding)."""
    resources = [_resource(t.name, t.label, _schema(t), bom=bom) for t in tables]
    resources.append(
        _resource("sequences_sts", "State sequences, STS format", sts_schema(sts_width, states), bom=bom)
    )
    if contacts:
        resources.append(
            _resource(
                "contacts",
                "Contact details (personal data)",
                {
                    "fields": [
                        {"name": n, "type": "string"}
                        for n in (
                            "participant_code",
                            "name",
                            "phone",
                            "email",
                            "messaging_app",
                            "messaging_id",
                        )
                    ],
                    "missingValues": [""],
                    "primaryKey": ["participant_code"],
                },
                bom=bom,
            )
        )
    for table in extra_tables or []:
        resources.append(_resource(table.name, table.label, _schema(table), bom=bom))
    return {
        "profile": "tabular-data-package",
        "name": _package_name(study),
        "title": title,
        "version": version,
        "description": "Career records exported by Keireki; see codebook.html and README.txt.",
        "resources": resources,
    }


def _package_name(study: str) -> str:
    name = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in study.lower())
    return name or "study"
