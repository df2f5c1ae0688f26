"""Row types for the JSON documents the database writes (core/clients/documents.py)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 19:30:00.000000+00:00

documents.py wrote each object as `(SELECT row_to_json(d) FROM (SELECT ... AS "key") AS d)`:
a subquery per client, contact person and address, which PostgreSQL sets up again (a Result
node, a row descriptor) every time the statement runs. With a named row type,
`row_to_json(ROW(...)::client_document)` writes the same keys, in the same order, from one
expression. The types' attributes are the documents' keys, in order; text stands for the
varchar columns, so a column's length can change without them. PostgreSQL only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES = {
    "address_document": """
        "id" uuid, "number" integer, "clientId" uuid, "label" text, "street" text,
        "streetAndNumber" text, "coAddress" text, "postalCode" text, "city" text,
        "provinceCode" text, "country" text, "point" json, "isDelivery" boolean,
        "isInvoice" boolean, "isVisiting" boolean, "metadata" jsonb, "createdAt" text,
        "updatedAt" text
    """,
    "contact_person_document": """
        "id" uuid, "number" integer, "name" text, "firstName" text, "lastName" text,
        "jobTitle" text, "department" text, "email" text, "email2" text, "phone" text,
        "phone2" text, "mobile" text, "fax" text, "workPhone" text, "gender" text,
        "salutation" text, "street" text, "postalCode" text, "city" text, "country" text,
        "personalNumber" text, "isMain" boolean, "externalId" text, "externalIds" jsonb,
        "clientId" uuid, "clientIds" json, "tags" jsonb, "metadata" jsonb, "version" integer,
        "createdAt" text, "updatedAt" text
    """,
    "client_document": """
        "id" uuid, "number" integer, "name" text, "longName" text, "displayName" text,
        "kind" text, "firstName" text, "lastName" text, "companyName" text, "externalId" text,
        "customPriceId" text, "creditLimit" double precision, "usedLimit" double precision,
        "paymentTerms" integer, "paymentType" text, "billingEmail" text,
        "additionalInformation" text, "frameContract" boolean, "selfInsurance" boolean,
        "pricing" text, "website" text, "fax" text, "phone" text, "mobile" text,
        "workPhone" text, "email" text, "vatNumber" text, "personalNumber" text, "point" json,
        "street" text, "streetAndNumber" text, "postalCode" text, "city" text,
        "provinceCode" text, "country" text, "department" text, "invoiceAddressing" text,
        "partnerType" text, "creditworthiness" text, "status" text, "clientTypeId" uuid,
        "tags" jsonb, "metadata" jsonb, "externalIds" jsonb, "customFields" jsonb,
        "references" jsonb, "archived" boolean, "archivedAt" text, "deletedAt" text,
        "organization" uuid, "structureId" text, "version" integer, "createdAt" text,
        "updatedAt" text, "contactPersons" json, "addresses" json
    """,
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, attributes in TYPES.items():
            op.execute(f"CREATE TYPE {name} AS ({attributes})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in reversed(TYPES):
            op.execute(f"DROP TYPE {name}")
