"""Domain errors. They know nothing about HTTP; api/errors.py maps them to statuses."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One problem with one input field, named by its path (`contactPersons[1].email`)."""

    field: str
    message: str


class RolodexError(Exception):
    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, details: Sequence[FieldIssue] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)


class Invalid(RolodexError):
    code = "VALIDATION_ERROR"

    @classmethod
    def field(cls, field: str, message: str) -> Invalid:
        """A validation error about one field."""
        return cls(f"{field}: {message}", details=[FieldIssue(field, message)])


class Unauthorized(RolodexError):
    code = "UNAUTHORIZED"


class Forbidden(RolodexError):
    code = "FORBIDDEN"


class NotFound(RolodexError):
    code = "NOT_FOUND"


class Conflict(RolodexError):
    code = "CONFLICT"


class PreconditionFailed(RolodexError):
    code = "PRECONDITION_FAILED"


class PayloadTooLarge(RolodexError):
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(RolodexError):
    code = "UNSUPPORTED_MEDIA_TYPE"


class RateLimited(RolodexError):
    code = "RATE_LIMITED"

    def __init__(
        self, message: str, *, retry_after: int, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = headers or {}  # the limiter's X-RateLimit-* values, shown on the 429


class ServiceUnavailable(RolodexError):
    code = "SERVICE_UNAVAILABLE"


class MovedPermanently(RolodexError):
    """A merged-away record: the caller should follow `location`."""

    code = "MOVED"

    def __init__(self, message: str, *, location: str) -> None:
        super().__init__(message)
        self.location = location


@contextmanager
def under(prefix: str) -> Iterator[None]:
    """Re-raise Invalid and Conflict from the block with their fields under `prefix`.

    Nested writes use it so a 400 names the failing item: `contactPersons[1].email`.
    """
    try:
        yield
    except (Invalid, Conflict) as exc:
        details = [FieldIssue(f"{prefix}.{d.field}", d.message) for d in exc.details]
        if not details:
            details = [FieldIssue(prefix, exc.message)]
        message = "; ".join(f"{d.field}: {d.message}" for d in details)
        raise type(exc)(message, details=details) from None
