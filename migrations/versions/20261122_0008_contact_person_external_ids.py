"""contact person external ids: the JSON externalIds of contact persons into external_ids

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 03:55:00.000000+00:00

Contact persons' `externalIds` were kept only in their JSON column. From now on the external-id
table (kind `contact_person`) holds the pairs of every visible contact person (one linked to a
live client), for uniqueness and lookup, as it does for clients. The JSON column stays the
readable copy (a contact hidden by its client's soft delete takes its pairs back from it on a
restore), so nothing is lost: a pair two contacts share stays in both JSON lists, and the table
gives it to the contact created first (the lowest id, UUIDv7 being time-ordered).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rolodex.core.db
from rolodex.core.clock import now
from rolodex.core.db import JSONType
from rolodex.core.ids import new_id

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = "contact_person"
BATCH = 1000

contacts = sa.table(
    "contact_persons",
    sa.column("id", sa.Uuid()),
    sa.column("organization_id", sa.Uuid()),
    sa.column("external_ids", JSONType),
)
links = sa.table(
    "client_contact_persons",
    sa.column("organization_id", sa.Uuid()),
    sa.column("client_id", sa.Uuid()),
    sa.column("contact_person_id", sa.Uuid()),
)
clients = sa.table(
    "clients",
    sa.column("id", sa.Uuid()),
    sa.column("deleted_at", rolodex.core.db.UTCDateTime()),
)
external_ids = sa.table(
    "external_ids",
    sa.column("id", sa.Uuid()),
    sa.column("organization_id", sa.Uuid()),
    sa.column("subject_kind", sa.String()),
    sa.column("subject_id", sa.Uuid()),
    sa.column("system", sa.String()),
    sa.column("external_id", sa.String()),
    sa.column("created_at", rolodex.core.db.UTCDateTime()),
)


def upgrade() -> None:
    bind = op.get_bind()
    visible = sa.exists().where(
        links.c.organization_id == contacts.c.organization_id,
        links.c.contact_person_id == contacts.c.id,
        clients.c.id == links.c.client_id,
        clients.c.deleted_at.is_(None),
    )
    stmt = (
        sa.select(contacts.c.id, contacts.c.organization_id, contacts.c.external_ids)
        .where(visible, sa.cast(contacts.c.external_ids, sa.Text) != "[]")
        .order_by(contacts.c.id)
    )
    seen: set[tuple[object, str, str]] = set()
    rows = []
    moment = now()
    for contact_id, org_id, refs in bind.execute(stmt).all():
        for ref in refs or []:
            pair = (org_id, str(ref["system"]), str(ref["id"]))
            if pair in seen:
                continue
            seen.add(pair)
            rows.append(
                {
                    "id": new_id(),
                    "organization_id": org_id,
                    "subject_kind": KIND,
                    "subject_id": contact_id,
                    "system": pair[1],
                    "external_id": pair[2],
                    "created_at": moment,
                }
            )
            if len(rows) >= BATCH:
                op.bulk_insert(external_ids, rows)
                rows = []
    if rows:
        op.bulk_insert(external_ids, rows)


def downgrade() -> None:
    # The JSON column still has every pair: only the table's copies go.
    op.execute(external_ids.delete().where(external_ids.c.subject_kind == KIND))
