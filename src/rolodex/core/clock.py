"""The one place that reads the time, and the contract's timestamp format."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time in UTC, truncated to milliseconds (what the API shows)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def format_timestamp(moment: datetime) -> str:
    """`2023-10-27T10:00:00.000Z`: UTC, milliseconds (truncated), Z; the year in four digits
    (`0999-...`, as PostgreSQL's `to_char` writes it in documents.py; `strftime("%Y")` wrote
    `999`).

    The last moment written is kept with its text: a create writes its one moment a dozen
    times (each row's createdAt and updatedAt, in its events and in its answer)."""
    global _last_written
    last, text = _last_written
    if last == moment:  # the same instant (or the same naive time): the same text
        return text
    utc = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment
    text = utc.isoformat(timespec="milliseconds") + "Z"
    _last_written = (moment, text)
    return text


# format_timestamp's last moment and its text.
_last_written: tuple[datetime | None, str] = (None, "")


def unix_seconds(moment: datetime | None) -> int:
    """Whole seconds since 1970-01-01 UTC (a fraction is dropped); 0 for no moment."""
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() // 1)
