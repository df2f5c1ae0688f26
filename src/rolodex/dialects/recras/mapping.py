"""Recras <-> native: pure translations, no I/O (their tests need no database).

FIELDS and CONTACT_FIELDS drive both directions. What has no native field of its own is kept
in the client's metadata under a `recras.` prefix: `bedrijf_id`, and the empty string (`""`) that
Recras shows for a `website` or `soort_klant` it has none of (native: null). References the
routes resolve through the core services (the client type named by `soort_klant`, the contact
persons named by number, the custom fields named by `extra_fields`) come in as `References`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, TypeAdapter, ValidationError

from rolodex.api.errors import summarize, validation_issues
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientCreate, ClientUpdate
from rolodex.core.contacts.schemas import ClientContactPersonIn
from rolodex.core.custom_fields import service as custom_fields_service
from rolodex.core.custom_fields.models import CustomField
from rolodex.core.custom_fields.schemas import CHOICE_TYPES, FieldType
from rolodex.core.errors import FieldIssue, Invalid
from rolodex.core.validation import is_digits
from rolodex.dialects.recras.schemas import (
    RecrasContactIn,
    RecrasExtraField,
    RecrasKlantIn,
    RecrasKlantUpdate,
)

# Recras customer field -> native client field (API names).
FIELDS: Mapping[str, str] = {
    "naam": "name",
    "adres": "streetAndNumber",
    "postcode": "postalCode",
    "plaats": "city",
    "provinciecode": "provinceCode",
    "website": "website",
    "afdeling": "department",
    "factuur_adressering": "invoiceAddressing",
}
# Recras contact person field -> native contact person field.
CONTACT_FIELDS: Mapping[str, str] = {
    "voornaam": "firstName",
    "achternaam": "lastName",
    "geslacht": "gender",
    "aanhef": "salutation",
    "adres": "street",
    "postcode": "postalCode",
    "plaats": "city",
    "telefoon1": "phone",
    "telefoon2": "phone2",
    "email1": "email",
    "email2": "email2",
    "hoofdcontact": "isMain",
}
GENDERS: Mapping[str, str] = {"man": "MALE", "vrouw": "FEMALE", "onbekend": "UNKNOWN"}
TO_GENDER: Mapping[str, str] = {native: recras for recras, native in GENDERS.items()}

BEDRIJF_ID = "recras.bedrijf_id"
DEFAULT_BEDRIJF_ID = 1
# Sent as "", these are none (null): the native field cannot hold "" and Recras shows null.
EMPTY_IS_NONE = frozenset({"provinciecode", "telefoon1", "telefoon2", "email1", "email2"})
# Marks a field Recras was given as "" (native: null), so that it reads back as "".
EMPTY_MARKERS: Mapping[str, str] = {
    "website": "recras.website",
    "soort_klant": "recras.soort_klant",
}
# Native names in error paths -> Recras names (the native ones the tables above do not cover).
TO_RECRAS: Mapping[str, str] = {
    **{native: recras for recras, native in FIELDS.items()},
    "clientTypeId": "soort_klant",
    "metadata": "bedrijf_id",
    "contactPersons": "contactpersonen",
    "customFields": "extra_fields",
}
TO_RECRAS_CONTACT: Mapping[str, str] = {
    **{native: recras for recras, native in CONTACT_FIELDS.items()},
    "name": "achternaam",
}
MAX_NUMBER = 2**31 - 1  # ids are 32-bit numbers
_PATH = re.compile(r"(?P<head>[A-Za-z_]+)(?P<index>\[\d+\])?(?:\.(?P<rest>.+))?")

NativeT = TypeVar("NativeT", bound=BaseModel)


@dataclass(frozen=True)
class References:
    """What the body names by Recras reference, resolved to native records."""

    client_type_id: UUID | None = None
    contact_ids: Mapping[int, UUID] = field(default_factory=dict)
    custom_fields: Sequence[CustomField] = ()


# ------------------------------------------------------------------ Recras -> native


def contact_numbers(body: RecrasKlantUpdate) -> list[int]:
    """The ids (numbers) of the existing contact persons the body names."""
    return [item.id for item in body.contactpersonen or [] if item.id is not None]


def choices(extra: RecrasExtraField) -> list[str]:
    """The choices an extra field's value uses (for the choice types)."""
    if FieldType(extra.type) not in CHOICE_TYPES or extra.value is None:
        return []
    return [extra.value] if isinstance(extra.value, str) else list(extra.value)


def to_client_create(body: RecrasKlantIn, refs: References) -> ClientCreate:
    """A Recras create body as the core's ClientCreate (contact persons included)."""
    values = _client_values(body, refs, metadata={})
    values.setdefault("metadata", {})[BEDRIJF_ID] = body.bedrijf_id or DEFAULT_BEDRIJF_ID
    values["customFields"] = {
        key: value for key, value in values.get("customFields", {}).items() if value is not None
    }
    values["contactPersons"] = to_contact_persons(body.contactpersonen, refs)
    return _validated(ClientCreate, values)


def to_client_update(body: RecrasKlantUpdate, refs: References, current: Client) -> ClientUpdate:
    """A Recras PUT body as a partial core update of `current`: only the fields sent."""
    return _validated(ClientUpdate, _client_values(body, refs, metadata=current.meta))


def to_contact_list(
    body: RecrasKlantUpdate, refs: References
) -> list[ClientContactPersonIn] | None:
    """The body's `contactpersonen` as the core's items (None when not sent)."""
    if body.contactpersonen is None:
        return None
    items = to_contact_persons(body.contactpersonen, refs)
    adapter = TypeAdapter(list[ClientContactPersonIn])
    try:
        return adapter.validate_python(items)
    except ValidationError as exc:
        raise _invalid(exc, prefix="contactPersons") from None


def _client_values(
    body: RecrasKlantUpdate, refs: References, *, metadata: Mapping[str, Any]
) -> dict[str, Any]:
    """The native values (API names) of the fields sent; `metadata` is the current one."""
    sent = _none_for_empty(body.given())
    values: dict[str, Any] = {FIELDS[key]: sent[key] for key in FIELDS if key in sent}
    meta = dict(metadata)
    if "website" in sent:
        values["website"] = sent["website"] or None
        _mark(meta, "website", sent["website"])
    if "soort_klant" in sent:
        values["clientTypeId"] = refs.client_type_id if sent["soort_klant"] else None
        _mark(meta, "soort_klant", sent["soort_klant"])
    if "bedrijf_id" in sent:
        meta[BEDRIJF_ID] = sent["bedrijf_id"] or DEFAULT_BEDRIJF_ID
    if meta != metadata:
        values["metadata"] = meta
    if body.extra_fields:
        values["customFields"] = to_custom_fields(body.extra_fields, refs.custom_fields)
    return values


def _none_for_empty(sent: dict[str, Any]) -> dict[str, Any]:
    return {k: None if k in EMPTY_IS_NONE and v == "" else v for k, v in sent.items()}


def _mark(meta: dict[str, Any], name: str, value: str | None) -> None:
    if value == "":
        meta[EMPTY_MARKERS[name]] = ""
    else:
        meta.pop(EMPTY_MARKERS[name], None)


def to_custom_fields(
    extras: Sequence[RecrasExtraField], definitions: Sequence[CustomField]
) -> dict[str, Any]:
    """`extra_fields` as customFields, each value checked against its definition."""
    out: dict[str, Any] = {}
    for index, (extra, definition) in enumerate(zip(extras, definitions, strict=True)):
        if extra.value is not None:
            try:
                out[definition.key] = custom_fields_service.check_value(definition, extra.value)
            except ValueError as exc:
                raise Invalid.field(f"extra_fields[{index}].value", str(exc)) from None
        else:
            out[definition.key] = None
    return out


def to_contact_persons(items: Sequence[RecrasContactIn], refs: References) -> list[dict[str, Any]]:
    """`contactpersonen` as native contact person items (API names); an unknown id is a 406."""
    out = []
    for index, item in enumerate(items):
        sent = _none_for_empty(item.given())
        values = {CONTACT_FIELDS[key]: sent[key] for key in CONTACT_FIELDS if key in sent}
        if values.get("gender") is not None:
            values["gender"] = GENDERS[values["gender"]]
        if item.id is not None:
            found = refs.contact_ids.get(item.id)
            if found is None:
                raise Invalid.field(
                    f"contactpersonen[{index}].id", f"no contact person with id {item.id}"
                )
            values["id"] = found
        out.append(values)
    return out


def _validated(schema: type[NativeT], values: dict[str, Any]) -> NativeT:
    """`values` validated by the native schema; failures named in Recras terms."""
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: ValidationError, prefix: str = "") -> Invalid:
    issues = []
    for issue in validation_issues([dict(error) for error in exc.errors()]):
        path = f"{prefix}{issue.field}" if issue.field.startswith("[") else issue.field
        issues.append(FieldIssue(recras_field(path), issue.message))
    return Invalid(summarize(issues), details=issues)


def recras_field(path: str) -> str:
    """A native field path in Recras terms (`contactPersons[1].email` ->
    `contactpersonen[1].email1`); a Recras one stays as it is."""
    match = _PATH.fullmatch(path)
    if match is None:
        return path
    head, index, rest = match["head"], match["index"] or "", match["rest"]
    if head == "contactPersons" and rest is not None:
        first, dot, more = rest.partition(".")
        rest = TO_RECRAS_CONTACT.get(first, first) + dot + more
    renamed = TO_RECRAS.get(head, head) + index
    return f"{renamed}.{rest}" if rest is not None else renamed


# ------------------------------------------------------------------ native -> Recras


def to_recras_klant(client: Client, type_name: str | None) -> dict[str, Any]:
    """A client as Recras' customer JSON (`type_name`: its client type's name)."""
    meta = client.meta or {}
    return {
        "id": client.number,
        "type": "klant",
        "displaynaam": clients_service.display_name(client),
        "naam": client.name,
        "adres": client.street_and_number or client.street,
        "postcode": client.postal_code,
        "plaats": client.city,
        "provinciecode": client.province_code,
        "website": client.website or _marked(meta, "website"),
        "bedrijf_id": bedrijf_id(meta),
        "soort_klant": type_name or _marked(meta, "soort_klant"),
        "afdeling": client.department,
        "factuur_adressering": client.invoice_addressing,
    }


def _marked(meta: Mapping[str, Any], name: str) -> str | None:
    return "" if meta.get(EMPTY_MARKERS[name]) == "" else None


def bedrijf_id(meta: Mapping[str, Any]) -> int:
    """The metadata's company id; the default company when there is none (or it is not one)."""
    value = meta.get(BEDRIJF_ID)
    if isinstance(value, bool) or not isinstance(value, int | str):
        return DEFAULT_BEDRIJF_ID
    if isinstance(value, str):
        return int(value) if is_digits(value) and 0 < int(value) <= MAX_NUMBER else 1
    return value if value > 0 else DEFAULT_BEDRIJF_ID


def to_recras_detail(
    client: Client, type_name: str | None, contacts: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """A client with its contact persons (native read dicts, main first) as Recras shows one."""
    return {
        **to_recras_klant(client, type_name),
        "contactpersonen": [to_recras_contact(contact) for contact in contacts],
    }


def to_recras_contact(contact: Mapping[str, Any]) -> dict[str, Any]:
    """A contact person as the API shows it (`contacts.service.to_read`) in Recras' terms."""
    out: dict[str, Any] = {"id": contact["number"]}
    for recras, native in CONTACT_FIELDS.items():
        out[recras] = contact[native]
    out["geslacht"] = TO_GENDER.get(out["geslacht"]) if out["geslacht"] else None
    out["hoofdcontact"] = bool(out["hoofdcontact"])
    return out


def to_list_params(smallest_id: int | None) -> list[tuple[str, str]]:
    """The native list parameters for `GET /api2/klanten` (`id>`: the smallest id, inclusive).

    Newest first, as the document's example lists them and as native lists are by default.
    """
    pairs = [("sort", "-number")]
    if smallest_id is not None:
        if smallest_id > MAX_NUMBER:
            pairs.append(("number[gt]", str(MAX_NUMBER)))  # above every number: none
        else:
            pairs.append(("number[gte]", str(max(smallest_id, 0))))
    return pairs
