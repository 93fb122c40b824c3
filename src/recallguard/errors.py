"""One error hierarchy for the whole project; the API and CLI turn it into responses in one place.

>>> issubclass(ValidationFailed, RecallguardError)
True
"""

from __future__ import annotations


class RecallguardError(Exception):
    """Base of every error recallguard raises on purpose."""

    code = "error"
    http_status = 500
    exit_code = 2


class UsageError(RecallguardError):
    """The caller asked for something malformed (bad option, unreadable file)."""

    code = "usage_error"
    http_status = 400
    exit_code = 2


class InputError(UsageError):
    """An input file or feed cannot be read at all (as opposed to one bad record in it)."""

    code = "unreadable_input"


class ValidationFailed(RecallguardError):
    """One record failed validation; names the record and the field."""

    code = "validation_error"
    http_status = 422
    exit_code = 1

    def __init__(self, message: str, *, location: str = "", field: str = "") -> None:
        super().__init__(message)
        self.location = location
        self.field = field


class NotFoundError(RecallguardError):
    code = "not_found"
    http_status = 404


class ConflictError(RecallguardError):
    code = "conflict"
    http_status = 409


class PermissionDenied(RecallguardError):
    code = "forbidden"
    http_status = 403


class AuthenticationRequired(RecallguardError):
    code = "unauthenticated"
    http_status = 401


class UpstreamError(RecallguardError):
    """A remote feed or marketplace answered wrongly or not at all."""

    code = "upstream_error"
    http_status = 502


class ConfigurationError(RecallguardError):
    code = "configuration_error"
    http_status = 500


class BackpressureTimeout(RecallguardError):
    """A producer waited too long for consumers to catch up (stream lag stayed over its limit)."""

    code = "backpressure"
    http_status = 503


class ImageRejected(RecallguardError):
    """An image could not be fetched or decoded within the limits (size, pixels, time, scheme)."""

    code = "image_rejected"
    http_status = 422
    exit_code = 1


class RuleFileError(UsageError):
    """A category-ban rule file that cannot be used; the message names the file and the field."""

    code = "rule_file_error"

    def __init__(self, source: str, field: str, message: str) -> None:
        super().__init__(f"rule file {source}: field {field!r}: {message}")
        self.source = source
        self.field = field


class CsrfRejected(UsageError):
    """A page form without a valid CSRF token (the pages answer 400 and ask to reload)."""

    code = "csrf_rejected"


class FetchRefused(UsageError):
    """A URL recallguard will not fetch: a scheme not allowed, or a host on a private, loopback or
    link-local address (unless the deployment allows private addresses)."""

    code = "fetch_refused"
