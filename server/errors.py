"""JSON errors: every error response is ``{"error": {"code", "message", "details"}}``."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("gridflow.server")

STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "validation_error", 429: "too_many_requests", 500: "internal_error", 503: "unavailable",
}


# tags of the request bodies that are one of several shapes (schemas.JobRequest)
UNION_TAGS = {"simulation", "optimization", "waterfall"}


class ApiError(StarletteHTTPException):
    """Raise anywhere in a request to answer with a JSON error."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None):
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.details = details


def error_body(code: str, message: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _field(loc: tuple | list) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, ApiError):
            return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)
        code = STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        return error_response(exc.status_code, code, message, None, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = []
        for e in exc.errors():
            loc = tuple(e.get("loc", ()))
            msg = e.get("msg", "invalid")
            # a body that is one of several shapes (POST /jobs): pydantic puts the shape's tag in the
            # location; the client's field is what follows it
            if len(loc) > 1 and loc[0] == "body" and loc[1] in UNION_TAGS:
                loc = ("body",) + loc[2:]
            if e.get("type") == "union_tag_invalid":
                loc = tuple(loc) + ("type",)
                ctx = e.get("ctx") or {}
                msg = f"unknown type {ctx.get('tag')!r} (one of {ctx.get('expected_tags', '')})"
            details.append({"field": _field(loc), "message": msg, "type": e.get("type")})
        if details:
            first = details[0]
            message = f"{first['field'] or 'request'}: {first['message']}"
        else:
            message = "the request is not valid"
        return error_response(422, "validation_error", message, details)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", f"internal error: {type(exc).__name__}")
