"""Logs never carry API keys, emails or personal numbers."""

from __future__ import annotations

import logging

import pytest

from rolodex.logs import RedactingFilter, redact


def test_redact() -> None:
    text = "key rdx_abcdefghijklmnopqrstuvwxyz012345 mail jane.doe@example.com pn 19811218-9876"
    out = redact(text)
    assert "rdx_abc" not in out and "jane.doe" not in out and "9876" not in out
    assert redact("Bearer rdx_whatever_secret") == "Bearer [redacted]"


def test_filter_rewrites_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("rolodex.test")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="rolodex.test"):
        logger.info("client %s with key %s", "a@example.com", "rdx_" + "x" * 40)
    assert "a@example.com" not in caplog.text and "rdx_xxxx" not in caplog.text
