"""Every event type there is, and the patterns (`*`, `client.*`) that select them."""

from __future__ import annotations

from collections.abc import Iterable

from rolodex.core.errors import Invalid

# subject kind -> what can happen to it. A new type is added here first.
VERBS: dict[str, tuple[str, ...]] = {
    "client": ("created", "updated", "deleted", "restored", "purged", "merged"),
    "contact_person": ("created", "updated", "deleted", "linked", "unlinked"),
    "address": ("created", "updated", "deleted"),
    "order": ("created", "updated", "deleted"),
}
EVENT_TYPES: tuple[str, ...] = tuple(
    f"{kind}.{verb}" for kind, verbs in VERBS.items() for verb in verbs
)
ALL = "*"


def kind_of(event_type: str) -> str:
    """`client.updated` -> `client`."""
    return event_type.partition(".")[0]


def check_pattern(pattern: str) -> bool:
    """A known type, `*`, or `<kind>.*` for a known kind."""
    if pattern == ALL or pattern in EVENT_TYPES:
        return True
    kind, _, rest = pattern.partition(".")
    return rest == "*" and kind in VERBS


def expand(patterns: Iterable[str], *, field: str) -> tuple[str, ...]:
    """The event types the patterns select, in catalog order; an unknown one is a 400."""
    given = [p.strip() for p in patterns]
    unknown = [p for p in given if not check_pattern(p)]
    if unknown:
        raise Invalid.field(field, f"unknown event type: {', '.join(unknown)}")
    return tuple(t for t in EVENT_TYPES if matches(given, t))


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """Whether any of the patterns selects the event type."""
    kind = kind_of(event_type)
    return any(p in (ALL, event_type, f"{kind}.*") for p in patterns)
