"""Errors as clients see them: one JSON shape `{"error": {"code", "message", "request_id"}}` and a status."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ApiProblem(Exception):
    """Raised by a route to answer with a JSON error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_body(code: str, message: str, request_id: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "request_id": request_id}}


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "request_id"],
            "properties": {name: {"type": "string"} for name in ("code", "message", "request_id")},
        }
    },
}


def responses(*statuses: int, html: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer (`html`: also as a page, for form posts)."""
    entries: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        content: dict[str, Any] = {"application/json": {"schema": ERROR_SCHEMA}}
        if html:
            content["text/html"] = {"schema": {"type": "string"}}
        entries[status] = {"description": _DESCRIPTIONS.get(status, "Error"), "content": content}
    return entries


_DESCRIPTIONS = {
    400: "Malformed request body",
    403: "Cross-site request or missing proxy signature",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported content type",
    422: "Invalid input or unknown item",
    429: "Too many requests",
    503: "Database unavailable",
}
