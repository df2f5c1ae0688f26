"""Logging that never writes secrets or personal data: API keys, emails, personal numbers.

Every log record is redacted when it is created (a record factory), so it does not matter which
logger wrote it or which handler prints it: uvicorn's, pytest's, the stderr fallback a library
logger propagates to. SQLAlchemy engines also hide statement parameters (core/db.py), so the
values in a failed statement never reach a traceback.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

_PATTERNS = [
    (re.compile(r"rdx_[A-Za-z0-9_\-]{8,}"), "rdx_[redacted]"),
    (re.compile(r"(?i)bearer\s+\S+"), "Bearer [redacted]"),
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), "[email]"),
    # Personal numbers: 6-8 digits, optional separator, 4-5 more (SE, NO, DK, FI, NL, ...).
    (re.compile(r"\b\d{6,8}[-+A ]?\d{3,5}[A-Z0-9]?\b"), "[number]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message, traceback and stack redacted (in place)."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what can be shown
        message = f"{record.msg!r} {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """Redacts each record that passes (for handlers set up outside `install`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


class _RedactingFactory:
    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(self.wrapped(*args, **kwargs))


def install() -> None:
    """Redact every log record from now on, whoever logs it (idempotent)."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(factory))
