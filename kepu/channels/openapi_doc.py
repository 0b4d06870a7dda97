"""The OpenAPI document says what the API really returns (issue 14): every error is ``{"detail": "…"}``
in Chinese (kepu/channels/app.py's handlers), not FastAPI's list of validation errors; any operation may answer
with such an error (404, 413, 422, 429, 503 …: the ``default`` response); the stream is
text/event-stream and /metrics is Prometheus text. schemathesis checks it (tests/test_openapi.py)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "错误说明（中文）"}},
    "required": ["detail"],
}
ERROR_RESPONSE = {
    "description": "错误（中文说明）",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
# Operations whose success is not JSON: path -> (media type, schema). A stream's schema is one event's:
# `token` events carry text, the `final` event the answer's JSON (kepu/channels/api.py).
SSE_EVENT = {
    "type": "object",
    "properties": {"event": {"type": "string", "enum": ["token", "final"]}, "data": {"type": "string"}},
}
OTHER_MEDIA: dict[str, tuple[str, dict[str, Any]]] = {
    "/api/ask/stream": ("text/event-stream", SSE_EVENT),
    "/metrics": ("text/plain", {"type": "string"}),
}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        for path, ops in doc.get("paths", {}).items():
            for op in ops.values():
                responses = op.setdefault("responses", {})
                responses.pop("422", None)
                responses["default"] = ERROR_RESPONSE
                if path in OTHER_MEDIA and "200" in responses:
                    media, schema = OTHER_MEDIA[path]
                    responses["200"]["content"] = {media: {"schema": schema}}
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
