"""PostgreSQL: search_index.agency_id, a copy of the document's agency written with the vector, and
its index. A search ANDs it with the GIN index's matches, so that only the reader's agencies' rows
are fetched and checked against the permission scope (backends.PostgresBackend.search). SQLite:
nothing (its tokens carry the agency, migration 0003)."""

from django.db import migrations

PG_ADD = [
    "ALTER TABLE search_index ADD COLUMN agency_id bigint",
    # Rows without a document (orphans, see `vanban search check`) keep NULL: no scope has them.
    "UPDATE search_index s SET agency_id = d.agency_id FROM {documents} d WHERE d.id = s.document_id",
    "CREATE INDEX search_index_agency ON search_index (agency_id)",
]
PG_DROP = [
    "DROP INDEX IF EXISTS search_index_agency",
    "ALTER TABLE search_index DROP COLUMN IF EXISTS agency_id",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        documents = schema_editor.quote_name(apps.get_model("documents", "Document")._meta.db_table)
        for sql in statements:
            schema_editor.execute(sql.format(documents=documents))

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_initial"),  # document.agency
        ("search", "0003_sqlite_scope"),
    ]

    operations = [
        migrations.RunPython(_run(PG_ADD), _run(PG_DROP)),
    ]
