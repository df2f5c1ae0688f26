"""The demo organization: realistic sample clients and a stable admin key."""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.cli.common import transaction
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientCreate
from rolodex.core.errors import RolodexError
from rolodex.core.keys import service as keys_service
from rolodex.core.orgs import service as orgs_service
from rolodex.core.principal import Principal, Scope
from rolodex.settings import Settings

if TYPE_CHECKING:
    from faker import Faker

LOCALES = {"SE": "sv_SE", "DE": "de_DE", "NL": "nl_NL", "GB": "en_GB", "NO": "no_NO"}
KEY_FILE = Path(".rolodex-demo-key")


async def ensure_demo(settings: Settings, count: int) -> str:
    """Make sure the demo org has `count` clients; answer its admin key (reused if valid)."""
    # The organization is committed before its clients: on PostgreSQL a create takes its
    # numbers on a connection of its own (core/numbers.py), which sees only committed rows.
    async with transaction(settings) as session:
        org = await orgs_service.get_demo(session) or await orgs_service.create(
            session, name="Demo Company", is_demo=True
        )
        principal = Principal(org.id, org.number, Scope.ADMIN)
    async with transaction(settings) as session:
        of_org = Client.organization_id == principal.organization_id
        have = await session.scalar(select(func.count()).select_from(Client).where(of_org))
        for body in sample_clients(max(0, count - int(have or 0)), seed=int(have or 0)):
            await clients_service.create(session, principal, body)
        key = await _stable_key(session, principal.organization_id)
    return key


async def _stable_key(session: AsyncSession, organization_id: UUID) -> str:
    if KEY_FILE.exists():  # noqa: ASYNC240 - a tiny local file, read once at startup
        secret = KEY_FILE.read_text().strip()  # noqa: ASYNC240
        try:
            principal = await keys_service.authenticate(session, secret)
            if principal.organization_id == organization_id and principal.scope == Scope.ADMIN:
                return secret
        except RolodexError:  # revoked or from another database: make a new key
            pass
    made = await keys_service.create(
        session,
        organization_id=organization_id,
        scope="admin",
        name="demo admin",
    )
    KEY_FILE.write_text(made.secret + "\n")  # noqa: ASYNC240
    KEY_FILE.chmod(0o600)  # noqa: ASYNC240
    return made.secret


def sample_clients(count: int, *, seed: int = 0) -> list[ClientCreate]:
    """Realistic companies and persons across a few European countries."""
    from faker import Faker  # slow to import: only here, not on every `rolodex` command

    rng = random.Random(seed)
    fakers = {cc: Faker(loc) for cc, loc in LOCALES.items()}
    for i, fake in enumerate(fakers.values()):
        fake.seed_instance(seed * 10 + i)
    out = []
    for i in range(count):
        country = rng.choice(list(LOCALES))
        fake = fakers[country]
        person = rng.random() < 0.3
        first, last = fake.first_name(), fake.last_name()
        name = f"{first} {last}" if person else fake.company()
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20] or "client"
        paid_by_email = rng.random() < 0.5
        out.append(
            ClientCreate.model_validate(
                {
                    "name": name[:255],
                    "kind": "PERSON" if person else "COMPANY",
                    "firstName": first if person else None,
                    "lastName": last if person else None,
                    "companyName": None if person else name[:255],
                    "email": f"{slug}.{seed + i}@example.com",
                    "phone": f"+{rng.randint(30, 49)} {rng.randint(100, 999)} "
                    f"{rng.randint(10000, 99999)}",
                    "streetAndNumber": fake.street_address()[:255],
                    "postalCode": fake.postcode()[:32],
                    "city": fake.city()[:255],
                    "country": country,
                    "status": rng.choice(["ACTIVE"] * 6 + ["PROSPECT", "INACTIVE"]),
                    "partnerType": "PRIVATE"
                    if person
                    else rng.choice(["CONSTRUCTION", "INDUSTRY", "CITY_COMMUNITY", "OTHER"]),
                    "creditLimit": rng.choice([0, 5000, 10000, 25000, 50000, 100000]),
                    "paymentTerms": rng.choice([10, 14, 30, 45, 60]),
                    "paymentType": "EMAIL" if paid_by_email else "PRINT",
                    "billingEmail": f"invoices.{slug}.{seed + i}@example.com"
                    if paid_by_email
                    else None,
                    "externalId": f"DEMO-{seed + i + 1:05d}",
                    "tags": rng.sample(
                        ["vip", "key-account", "new", "north", "south"], rng.randint(0, 2)
                    ),
                    "contactPersons": _sample_contacts(rng, fake, slug, seed + i),
                    "addresses": [_sample_address(rng, fake, country)],
                }
            )
        )
    return out


JOB_TITLES = ["Owner", "CEO", "CFO", "Purchasing", "Site manager", "Accounts payable", "Sales"]


def _sample_contacts(rng: random.Random, fake: Faker, slug: str, n: int) -> list[dict[str, Any]]:
    """One to three people at the client; the first one is its main contact."""
    people = []
    for j in range(rng.randint(1, 3)):
        female = rng.random() < 0.5
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        # A name may end in a dot ("Hans J."): no empty part between dots in an address.
        parts = ("".join(ch for ch in part if ch.isalnum()) for part in (first, last))
        local = ".".join(part for part in parts if part).lower()
        people.append(
            {
                "firstName": first[:255],
                "lastName": last[:255],
                "gender": "FEMALE" if female else "MALE",
                "jobTitle": rng.choice(JOB_TITLES),
                "email": f"{local or 'contact'}.{n}.{j}@{slug}.example.com",
                "phone": f"+{rng.randint(30, 49)} {rng.randint(100, 999)} "
                f"{rng.randint(10000, 99999)}",
                "isMain": j == 0,
            }
        )
    return people


def _sample_address(rng: random.Random, fake: Faker, country: str) -> dict[str, Any]:
    """A delivery (sometimes also invoice) address besides the client's own."""
    return {
        "label": rng.choice(["Warehouse", "Site office", "Head office", "Depot"]),
        "streetAndNumber": fake.street_address()[:255],
        "postalCode": fake.postcode()[:32],
        "city": fake.city()[:255],
        "country": country,
        "isDelivery": True,
        "isInvoice": rng.random() < 0.3,
    }
