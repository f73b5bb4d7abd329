"""GitHub's OpenAPI description (the subset in tests/schemas) as request-body validators."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]

API_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "github-rest-api-subset.json"


@dataclass(frozen=True)
class Operation:
    """One operation of the OpenAPI description: method, path pattern, and its request-body validator."""

    method: str
    pattern: re.Pattern[str]
    operation_id: str
    validator: Any | None


def _openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` spelled as JSON Schema (a `null` type), everything else unchanged."""
    if isinstance(node, list):
        return [_openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _openapi_to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        out["type"] = [node["type"], "null"]
    return out


@cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the schema file, with a Draft 7 validator for those that take a JSON body."""
    document = _openapi_to_json_schema(json.loads(API_SCHEMA.read_text(encoding="utf-8")))
    found = []
    for path, methods in document["paths"].items():
        pattern = re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path))
        for method, op in methods.items():
            if method not in {"get", "post", "patch", "put", "delete"}:
                continue
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            validator = None
            if schema is not None:
                root = {**schema, "components": document["components"]}
                validator = jsonschema.Draft7Validator(root, format_checker=jsonschema.FormatChecker())
            found.append(Operation(method.upper(), pattern, op["operationId"], validator))
    return tuple(found)


def body_errors(operation: Operation, body: Any) -> list[str]:
    """What is wrong with `body` for `operation`, by GitHub's schema; empty when nothing is."""
    if operation.validator is None:
        return [] if body is None else ["a body where the operation takes none"]
    if body is None:
        return ["no JSON body"]
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in operation.validator.iter_errors(body)
    ]
