"""Trigram indexes for the inbox search (PostgreSQL only; nothing on SQLite).

The search matches "contains" on the ticket's email and name and the order's number; Django
writes that as UPPER(column::text) LIKE UPPER(...), which a btree index cannot serve. With a
GIN trigram index on the same expression each arm is an index scan and PostgreSQL ORs the
bitmaps, instead of reading all tickets joined to their orders (250 ms with 50,000 tickets).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    ("support_ticket_email_trgm", "support_ticket", "email"),
    ("support_ticket_name_trgm", "support_ticket", "name"),
    ("orders_order_number_trgm", "orders_order", "number"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0002_ticket_inbox_order"),
        ("orders", "0001_initial"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
