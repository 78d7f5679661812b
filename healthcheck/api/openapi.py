"""The API's OpenAPI document, as data: served at ``/api/v1/openapi.json`` and what the tests run
Schemathesis against, so that every answer the API gives is checked against it."""

from __future__ import annotations

from typing import Any

from aggregation.score_files import LEVELS

GROUPINGS_NOW = ["type", "region"]  # kept equal to views.GROUPINGS by tests/test_api.py

CELL = {"type": ["number", "string", "boolean", "null"]}
SENTENCES: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
NULLABLE_INT = {"type": ["integer", "null"]}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
    "additionalProperties": False,
}
ABOUT: dict[str, Any] = {
    "year": {"type": "integer"},
    "edition": {"type": "integer", "minimum": 1},
    "published_at": {"type": "string", "format": "date-time"},
    "current": {"type": "boolean", "description": "false for an edition a later one superseded"},
    "superseded_by": {**NULLABLE_INT, "description": "the current edition's number, if this is not it"},
}
TABLE_SUMMARY: dict[str, Any] = {
    "type": "object",
    "required": ["grouping", "id", "number", "title", "kind", "base", "url"],
    "properties": {
        "grouping": {"type": "string"},
        "id": {"type": "string"},
        "number": {"type": "string"},
        "title": {"type": "string"},
        "kind": {"type": "string"},
        "base": NULLABLE_INT,
        "url": {"type": "string"},
    },
}
SCORE_ROW = {
    "type": "object",
    "required": ["scores", "respondents"],
    "properties": {
        "respondents": NULLABLE_INT,
        "respondents_withheld": {
            "type": ["string", "null"],
            "description": "why the count is withheld (a key of reasons)",
        },
        "scores": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": CELL}},
    },
}


def _schemas() -> dict[str, Any]:
    return {
        "Error": ERROR,
        "Editions": {
            "type": "object",
            "required": ["cycles"],
            "properties": {
                "cycles": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["year", "current_edition", "editions"],
                        "properties": {
                            "year": {"type": "integer"},
                            "current_edition": {"type": "integer"},
                            "editions": {"type": "array", "items": {"$ref": "#/components/schemas/About"}},
                        },
                    },
                }
            },
        },
        "About": {"type": "object", "required": list(ABOUT), "properties": ABOUT},
        "Edition": {
            "type": "object",
            "required": [*ABOUT, "groupings", "tables", "staff_scores", "key_findings"],
            "properties": {
                **ABOUT,
                "groupings": {"type": "array", "items": {"type": "string"}},
                "tables": {"type": "array", "items": {"$ref": "#/components/schemas/TableSummary"}},
                "staff_scores": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(LEVELS)},
                    "description": "the staff survey's levels published in this edition",
                },
                "key_findings": SENTENCES | {"description": "the national report's key findings, as it prints them"},
            },
        },
        "TableSummary": TABLE_SUMMARY,
        "Tables": {
            "type": "object",
            "required": [*ABOUT, "tables"],
            "properties": {
                **ABOUT,
                "tables": {"type": "array", "items": {"$ref": "#/components/schemas/TableSummary"}},
            },
        },
        "Table": {
            "type": "object",
            "required": [
                *ABOUT,
                *TABLE_SUMMARY["required"],
                "bases",
                "columns",
                "rows",
                "notes",
                "withheld_reason",
                "threshold",
                "findings",
            ],
            "properties": {
                **ABOUT,
                **TABLE_SUMMARY["properties"],
                "bases": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                    "description": "each measure's base, for a table of several measures (``base`` is null where "
                    "they differ)",
                },
                "findings": SENTENCES
                | {
                    "description": "the sentences the report and the results page "
                    "print with the table, written from its unrounded "
                    "figures (by region: each region's beside England's)"
                },
                "columns": {"type": "array", "items": {"type": "string"}},
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["withheld"],
                        "additionalProperties": CELL,
                        "properties": {
                            "withheld": {
                                "type": "boolean",
                                "description": "true where the row's figures are withheld: they are null",
                            }
                        },
                    },
                },
                "notes": {"type": "array", "items": {"type": "string"}},
                "withheld_reason": {"type": ["string", "null"]},
                "threshold": {**NULLABLE_INT, "description": "the fewest respondents a figure is shown from"},
            },
        },
        "StaffScores": {
            "type": "object",
            "required": [*ABOUT, "level", "minimum", "standards", "rows"],
            "properties": {
                **ABOUT,
                "level": {"type": "string", "enum": list(LEVELS)},
                "minimum": {"type": "integer"},
                "standards": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "number", "title"],
                        "properties": {
                            "id": {"type": "string"},
                            "number": {"type": ["integer", "string"]},
                            "title": {"type": "string"},
                        },
                    },
                },
                "rows": {"type": "array", "items": SCORE_ROW},
                "reasons": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "each withheld figure's why, in words",
                },
            },
        },
        "Raw": {
            "type": "object",
            "required": ["cycle", "questionnaire", "codebook", "returns"],
            "properties": {
                "cycle": {"type": "integer"},
                "questionnaire": {"type": "string"},
                "codebook": {"type": "array", "items": {"type": "object"}},
                "returns": {"type": "array", "items": {"type": "object"}},
            },
        },
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }


YEAR = {"name": "year", "in": "path", "required": True, "schema": {"type": "integer"}}
EDITION = {
    "name": "edition",
    "in": "query",
    "required": False,
    "description": "an edition's number (the current one if left out)",
    "schema": {"type": "integer", "minimum": 1},
}
FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "csv for the same rows as CSV",
    "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
}
BAD = _error("a parameter is not one the API understands")
LIMITED = _error("too many requests from this address: wait a minute")


def _get(
    summary: str,
    schema: str,
    parameters: list[dict[str, Any]],
    *,
    found: str | None = None,
    secured: bool = False,
    optional: bool = False,
) -> dict[str, Any]:
    responses = {"200": _ok(schema, summary), "400": BAD, "429": LIMITED}
    if found:
        responses["404"] = _error(found)
    if secured:
        responses["401"] = {
            **_error("no token, or one revoked, unknown or of an account that cannot use it"),
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        }
    operation: dict[str, Any] = {"summary": summary, "parameters": [*parameters, FORMAT], "responses": responses}
    if secured:
        operation["security"] = [{}, {"token": []}] if optional else [{"token": []}]
    return {"get": operation}


def document() -> dict[str, Any]:
    unknown = "nothing published for that year, or no such edition"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Social Work Health Check: open data",
            "version": "1",
            "description": "What has been published, read-only: each cycle's editions, their national "
            "tables and the staff survey's scores, as JSON or CSV. Withheld figures are null, "
            "marked withheld. The raw export needs a coordinator's API token.",
        },
        "paths": {
            "/api/v1/editions": _get("Every cycle with published results, and its editions", "Editions", []),
            "/api/v1/editions/{year}": _get(
                "An edition of a cycle's results: its tables and staff survey levels",
                "Edition",
                [YEAR, EDITION],
                found=unknown,
            ),
            "/api/v1/editions/{year}/tables": _get(
                "An edition's tables, of every grouping or of one",
                "Tables",
                [
                    YEAR,
                    EDITION,
                    {
                        "name": "grouping",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": GROUPINGS_NOW},
                    },
                ],
                found=unknown,
            ),
            "/api/v1/editions/{year}/tables/{grouping}/{table_id}": _get(
                "One table as published: its rows, withheld figures null",
                "Table",
                [
                    YEAR,
                    {
                        "name": "grouping",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": GROUPINGS_NOW},
                    },
                    {"name": "table_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    EDITION,
                ],
                found=unknown + ", or no such table",
            ),
            "/api/v1/editions/{year}/staff-scores/{level}": _get(
                "The staff survey's scores by standard at one level (organisations: with a token only)",
                "StaffScores",
                [
                    YEAR,
                    {
                        "name": "level",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": list(LEVELS)},
                    },
                    EDITION,
                ],
                found=unknown + ", or no staff survey scores in it",
                secured=True,
                optional=True,
            ),
            "/api/v1/raw/{year}": _get(
                "Every submitted return of a cycle, with the codebook (a coordinator's token)",
                "Raw",
                [YEAR],
                found="no such cycle",
                secured=True,
            ),
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "429": LIMITED,
                    },
                }
            },
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a coordinator's API token, made on their account page (/admin/account)",
                }
            },
        },
    }
