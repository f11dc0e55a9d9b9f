"""Domain errors. Services raise these; the API and views map them to HTTP in one place."""

from __future__ import annotations


class ApplicationError(Exception):
    """Base of every error a user can cause and should be told about.

    ``message`` is shown to people (Chinese in the UI); ``field`` names the input at fault.
    """

    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, extra: dict[str, object] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class NotFound(ApplicationError):
    http_status = 404
    code = "not_found"


class ValidationFailed(ApplicationError):
    http_status = 422
    code = "validation_failed"


class Conflict(ApplicationError):
    http_status = 409
    code = "conflict"


class PermissionDenied(ApplicationError):
    http_status = 403
    code = "forbidden"


class TooManyRequests(ApplicationError):
    """A rate limit was reached (the public progress lookup)."""

    http_status = 429
    code = "too_many_requests"
