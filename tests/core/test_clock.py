"""The contract's timestamp format, as the Python renderings write it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from rolodex.core.clock import format_timestamp


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2023, 10, 27, 10, 0, tzinfo=UTC), "2023-10-27T10:00:00.000Z"),
        (datetime(2023, 10, 27, 10, 0, 0, 999999, tzinfo=UTC), "2023-10-27T10:00:00.999Z"),
        (datetime(2023, 10, 27, 12, 30, 5, 4000, tzinfo=timezone(timedelta(hours=2))),
         "2023-10-27T10:30:05.004Z"),
        (datetime(2023, 10, 27, 10, 0), "2023-10-27T10:00:00.000Z"),  # naive: UTC
        (datetime(999, 3, 4, tzinfo=UTC), "0999-03-04T00:00:00.000Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000Z"),
    ],
)  # fmt: skip
def test_utc_milliseconds_truncated_and_a_four_digit_year(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text


def test_the_last_moment_kept_answers_only_for_the_same_instant() -> None:
    """format_timestamp keeps the last moment it wrote: each moment below, written right after
    a different one (an equal instant in another zone, a naive time, a microsecond apart), is
    still written as itself."""
    moment = datetime(2023, 10, 27, 10, 0, 0, 1000, tzinfo=UTC)
    expected = [
        (moment, "2023-10-27T10:00:00.001Z"),
        (moment.astimezone(timezone(timedelta(hours=-5))), "2023-10-27T10:00:00.001Z"),
        (moment + timedelta(microseconds=999), "2023-10-27T10:00:00.001Z"),
        (moment + timedelta(milliseconds=1), "2023-10-27T10:00:00.002Z"),
        (datetime(2023, 10, 27, 12, 0, 0, 2000), "2023-10-27T12:00:00.002Z"),  # naive
        (datetime(2023, 10, 27, 12, 0, 0, 2000, tzinfo=timezone(timedelta(hours=2))),
         "2023-10-27T10:00:00.002Z"),  # the same wall time, aware: not equal to the naive one
        (moment, "2023-10-27T10:00:00.001Z"),
    ]  # fmt: skip
    assert [format_timestamp(when) for when, _ in expected] == [text for _, text in expected]
