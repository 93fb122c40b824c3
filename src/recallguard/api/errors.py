"""Every error answer in ONE JSON shape, produced by ONE handler:
``{"error": {"code": "...", "message": "...", "details": {...}}}``.

The project's error hierarchy (``recallguard.errors``) carries its HTTP status and code; request
validation, unknown routes and wrong methods, and unexpected exceptions are mapped to the same shape.

>>> body, status = error_body(ValidationFailed("bad gtin", location="listings[2]", field="gtin"))
>>> status, body["error"]["code"], body["error"]["details"]
(422, 'validation_error', {'location': 'listings[2]', 'field': 'gtin'})
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from recallguard.errors import RecallguardError, ValidationFailed

log = logging.getLogger("recallguard.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_error",
    429: "rate_limited",
}


def error_body(exc: BaseException) -> tuple[dict[str, Any], int]:
    """The JSON body and status for any exception."""
    details: dict[str, Any] = {}
    if isinstance(exc, RecallguardError):
        status, code, message = exc.http_status, exc.code, str(exc)
        if isinstance(exc, ValidationFailed):
            details = {"location": exc.location, "field": exc.field}
    elif isinstance(exc, RequestValidationError):
        status, code = 422, "validation_error"
        errors = [
            {
                "location": ".".join(str(p) for p in e.get("loc", ())),
                "message": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"location": "", "message": "invalid request"}
        message = f"{first['location']}: {first['message']}" if first["location"] else first["message"]
        details = {"errors": errors}
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        code = _HTTP_CODES.get(status, "http_error")
        message = str(exc.detail)
    else:
        status, code, message = 500, "internal_error", "internal error"
    return {"error": {"code": code, "message": message, "details": details}}, status


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """The one exception handler of the API."""
    body, status = error_body(exc)
    if status >= 500:
        log.exception("error answering %s %s", request.method, request.url.path, exc_info=exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Route every error kind through :func:`handle_error`."""
    for exc_type in (RecallguardError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(exc_type, handle_error)
