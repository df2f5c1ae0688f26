"""Custom-field definitions and the validation of clients' values against them."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import listing, readonly
from rolodex.core.clock import now
from rolodex.core.custom_fields import repository
from rolodex.core.custom_fields.expressions import TEXT_MAX
from rolodex.core.custom_fields.models import CustomField
from rolodex.core.custom_fields.schemas import (
    CHOICE_TYPES,
    MAX_OPTIONS,
    READ_ONLY,
    CustomFieldCreate,
    CustomFieldUpdate,
    FieldType,
)
from rolodex.core.errors import Conflict, FieldIssue, Invalid, NotFound
from rolodex.core.principal import Principal

_DATE_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# As many as a client's customFields may hold (ClientFields.custom_fields).
MAX_DEFINITIONS = 200
_INT_LIMIT = 2**63  # SQLite's JSON keeps integers as 64-bit


def not_found(key: str) -> NotFound:
    return NotFound(f"Custom field {key!r} not found")


# ------------------------------------------------------------------ definitions


async def get(
    session: AsyncSession, principal: Principal, key: str, *, for_update: bool = False
) -> CustomField:
    """One definition of the caller's organization, by its key."""
    found = await repository.get(session, principal, key, for_update=for_update)
    if found is None:
        raise not_found(key)
    return found


async def list_page(
    session: AsyncSession, principal: Principal, query: listing.ListQuery
) -> listing.Page[CustomField]:
    """A page of the organization's definitions."""
    return await repository.list_page(session, principal, query)


async def types(session: AsyncSession, principal: Principal) -> dict[str, str]:
    """Each defined key with its type."""
    return {d.key: d.type for d in await repository.all_of(session, principal)}


async def create(
    session: AsyncSession, principal: Principal, data: CustomFieldCreate
) -> CustomField:
    """Define a new custom field (the route asks for the admin scope; dialects need write)."""
    existing = await repository.by_key_any_case(session, principal, data.key)
    if existing is not None:
        raise Conflict(f"A custom field with key {existing.key!r} already exists")
    if await repository.count(session, principal) >= MAX_DEFINITIONS:
        raise Conflict(f"An organization can define at most {MAX_DEFINITIONS} custom fields")
    options = _check_options(data.type, data.options or [])
    moment = now()
    definition = CustomField(
        organization_id=principal.organization_id,
        key=data.key,
        label=data.label or data.key,
        type=data.type.value,
        options=options,
        required=bool(data.required),
        created_at=moment,
        updated_at=moment,
    )
    session.add(definition)
    await repository.flush(session)
    _forget(session)
    return definition


async def define_on_use(
    session: AsyncSession,
    principal: Principal,
    name: str,
    field_type: FieldType,
    options: Sequence[str] = (),
) -> CustomField:
    """The definition `name` refers to, defined on first use (the write scope suffices).

    `name` matches a definition's label, else its key, else the key derived from it (`key_for`),
    all in any case. A definition of another type is a validation error naming `type`. For the
    choice types, `options` are the values in use: those the definition lacks are added to it.
    """
    wanted = list(dict.fromkeys(options))
    if any(not option.strip() or len(option) > 255 for option in wanted):
        raise Invalid.field("value", "choices must be 1 to 255 characters")
    definition = await _referred(session, principal, name)
    if definition is None:
        if field_type in CHOICE_TYPES and not wanted:
            raise Invalid.field("value", "a new choice field needs at least one choice")
        data = CustomFieldCreate.model_construct(
            key=key_for(name), label=name, type=field_type, options=wanted, required=False
        )
        return await create(session, principal, data)
    if definition.type != field_type:
        raise Invalid.field(
            "type",
            f"custom field {definition.key!r} is of type {definition.type}, not {field_type.value}",
        )
    missing = [option for option in wanted if option not in definition.options]
    if missing:
        definition = await get(session, principal, definition.key, for_update=True)
        grown = definition.options + [o for o in missing if o not in definition.options]
        if len(grown) > MAX_OPTIONS:
            raise Invalid.field("value", f"custom field {definition.key!r} has too many choices")
        definition.options = grown
        definition.updated_at = now()
        await repository.flush(session)
        _forget(session)
    return definition


async def _referred(session: AsyncSession, principal: Principal, name: str) -> CustomField | None:
    found = await repository.by_label(session, principal, name)
    if found is None:
        found = await repository.by_key_any_case(session, principal, name)
    if found is None:
        found = await repository.by_key_any_case(session, principal, key_for(name))
    return found


def key_for(name: str) -> str:
    """A valid key for a label: `Shoe size` -> `shoe_size`, `2e adres` -> `f_2e_adres`."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "_", plain).strip("_").lower()
    if not slug[:1].isalpha():
        slug = f"f_{slug}" if slug else "field"
    return slug[:40].rstrip("_")


async def update(
    session: AsyncSession, principal: Principal, key: str, data: CustomFieldUpdate
) -> CustomField:
    """Change label, type, options or required; never so that stored values become invalid."""
    definition = await get(session, principal, key, for_update=True)
    _check_read_only(definition, data)
    values = {k: v for k, v in data.given().items() if k not in READ_ONLY}
    for name in ("label", "type"):
        if name in values and values[name] is None:
            raise Invalid.field(name, "cannot be null")
    new_type = FieldType(values.get("type") or definition.type)
    if "options" in values:
        options = values["options"] or []
    elif new_type in CHOICE_TYPES and definition.type in CHOICE_TYPES:
        options = definition.options
    else:
        options = []  # no longer a choice: the options go with it
    options = _check_options(new_type, options)
    narrowed = set(definition.options) - set(options)
    if new_type != definition.type or narrowed:
        broken = await repository.count_invalid(session, principal, key, new_type, options)
        if broken:
            raise Conflict(
                f"{broken} client{'s hold values' if broken != 1 else ' holds a value'} of "
                f"custom field {key!r} that the changed definition would not allow; "
                "change or clear them first"
            )
    definition.type = new_type.value
    definition.options = options
    if "label" in values:
        definition.label = values["label"]
    if "required" in values:
        definition.required = bool(values["required"])
    definition.updated_at = now()
    await repository.flush(session)
    _forget(session)
    return definition


async def delete(session: AsyncSession, principal: Principal, key: str) -> CustomField:
    """Delete a definition that no client (soft-deleted ones included) holds a value for."""
    definition = await get(session, principal, key, for_update=True)
    used = await repository.count_values(session, principal, key)
    if used:
        raise Conflict(
            f"{used} client{'s hold values' if used != 1 else ' holds a value'} for custom "
            f"field {key!r}; clear them first (PATCH customFields with {{{key!r}: null}})"
        )
    await session.delete(definition)
    _forget(session)
    await session.flush()
    return definition


def _check_options(field_type: FieldType, options: list[str]) -> list[str]:
    if field_type in CHOICE_TYPES and not options:
        raise Invalid.field("options", f"required (at least one) for type {field_type.value}")
    if field_type not in CHOICE_TYPES and options:
        raise Invalid.field("options", "only for types singlechoice and multiplechoice")
    return list(options)


def _check_read_only(definition: CustomField, data: CustomFieldUpdate) -> None:
    if data.key is not None and data.key != definition.key:
        raise Invalid.field("key", "cannot be changed; create a new custom field instead")
    readonly.check_unchanged(
        data,
        {
            "created_at": readonly.stamp(definition.created_at),
            "updated_at": readonly.stamp(definition.updated_at),
        },
    )


def to_read(definition: CustomField) -> dict[str, Any]:
    """The definition as the API shows it."""
    return {
        "key": definition.key,
        "label": definition.label,
        "type": definition.type,
        "options": definition.options,
        "required": definition.required,
        "createdAt": definition.created_at,
        "updatedAt": definition.updated_at,
    }


# ------------------------------------------------------------------ values


async def validate_values(
    session: AsyncSession,
    principal: Principal,
    values: Mapping[str, Any],
    *,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A client's customFields checked against the organization's definitions.

    Without `current` (create, replace) `values` is the whole set and every required field must
    be there. With `current` (PATCH) `values` is merged into it by key: absent keys stay, `null`
    removes one (not a required one). Every problem is reported, each named `customFields.<key>`.
    """
    definitions = await _definitions(
        session, principal, [k for k, v in values.items() if v is not None]
    )
    merged = dict(current) if current is not None else {}
    issues: list[FieldIssue] = []
    for key, value in values.items():
        definition = definitions.get(key)
        problem = None
        if definition is None:
            problem = "unknown custom field" + _did_you_mean(key, definitions)
        elif value is None:
            problem = "is required" if definition.required else None
            merged.pop(key, None)
        else:
            try:
                merged[key] = check_value(definition, value)
            except ValueError as exc:
                problem = str(exc)
        if problem:
            issues.append(FieldIssue(f"customFields.{key}", problem))
    if current is None:
        issues += [
            FieldIssue(f"customFields.{key}", "is required")
            for key, definition in definitions.items()
            if definition.required and key not in values
        ]
    if issues:
        listed = "; ".join(f"{i.field} {i.message}" for i in issues[:3])
        raise Invalid(f"Invalid custom fields: {listed}", details=issues)
    return merged


_CACHE = "rolodex.custom_field_definitions"


@dataclass
class _Cached:
    locked: set[str] = field(default_factory=set)
    definitions: dict[str, CustomField] | None = None


def seed(session: AsyncSession, principal: Principal, definitions: list[CustomField]) -> None:
    """The organization's definitions, read in a round trip the transaction made anyway (a
    create's numbers, before its first statement): `_definitions` takes them instead of reading
    them, until it locks a key (then it reads them again, after the lock)."""
    _entry(session, principal).definitions = {d.key: d for d in definitions}


def _entry(session: AsyncSession, principal: Principal) -> _Cached:
    """The organization's cache entry for the session's current transaction."""
    transaction = session.get_transaction()
    cache = session.info.get(_CACHE)
    if cache is None or cache["transaction"] is not transaction:
        cache = session.info[_CACHE] = {"transaction": transaction}
    entry: _Cached | None = cache.get(principal.organization_id)
    if entry is None:
        entry = cache[principal.organization_id] = _Cached()
    return entry


async def _definitions(
    session: AsyncSession, principal: Principal, keys: list[str]
) -> dict[str, CustomField]:
    """The definitions, read once per transaction (a bulk write checks many clients).

    Lock first, then read: a definition change in flight is waited for, and then seen. A lock
    taken stays until the transaction ends, so each key is locked once; a definition change in
    this same transaction drops the cache (`_forget`).
    """
    entry = _entry(session, principal)
    new_keys = [k for k in keys if k not in entry.locked]
    if new_keys:
        await repository.lock_shared(session, principal, new_keys)
        entry.locked.update(new_keys)
        entry.definitions = None
    if entry.definitions is None:
        entry.definitions = {d.key: d for d in await repository.all_of(session, principal)}
    return dict(entry.definitions)


def _forget(session: AsyncSession) -> None:
    session.info.pop(_CACHE, None)


def _did_you_mean(key: str, definitions: Mapping[str, CustomField]) -> str:
    same = [k for k in definitions if k.lower() == key.lower()]
    return f" (did you mean {same[0]!r}?)" if same else ""


def check_value(definition: CustomField, value: Any) -> Any:
    """The value to store for this definition; ValueError saying what is wrong."""
    checked = _CHECKS[FieldType(definition.type)](definition, value)
    if definition.required and checked in ("", []):
        raise ValueError("is required (must not be empty)")
    return checked


def _text(definition: CustomField, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if len(value) > TEXT_MAX:
        raise ValueError(f"must be at most {TEXT_MAX} characters")
    return value


def _number(definition: CustomField, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, int) and abs(value) >= _INT_LIMIT:
        raise ValueError("is too large")
    return value


def _date(definition: CustomField, value: Any) -> str:
    """`YYYY-MM-DD`; a full ISO 8601 timestamp is accepted and its own date part kept."""
    message = "must be an ISO 8601 date (YYYY-MM-DD)"
    if not isinstance(value, str) or not _DATE_START.match(value):
        raise ValueError(message)
    try:
        day = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(message) from None
    return value[:10] if isinstance(day, datetime) else day.isoformat()


def _options_text(definition: CustomField) -> str:
    shown = ", ".join(definition.options[:20])
    return shown + (", ..." if len(definition.options) > 20 else "")


def _single(definition: CustomField, value: Any) -> str:
    if not isinstance(value, str) or value not in definition.options:
        raise ValueError(f"must be one of: {_options_text(definition)}")
    return value


def _multiple(definition: CustomField, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"must be a list of options from: {_options_text(definition)}")
    wrong = [item for item in value if not isinstance(item, str) or item not in definition.options]
    if wrong:
        raise ValueError(f"{str(wrong[0])[:100]!r} is not one of: {_options_text(definition)}")
    return list(dict.fromkeys(value))


_CHECKS = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _number,
    FieldType.DATE: _date,
    FieldType.SINGLECHOICE: _single,
    FieldType.MULTIPLECHOICE: _multiple,
}
