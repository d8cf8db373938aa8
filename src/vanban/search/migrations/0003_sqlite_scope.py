"""SQLite: the FTS5 table gains a `scope` column (the holding agency's token, see
backends.scope_token), filled from the documents; PostgreSQL: nothing."""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE search_index_new USING fts5(meta, body, scope, tokenize='unicode61', prefix='1 2 3')",
    "INSERT INTO search_index_new (rowid, meta, body, scope) "
    "SELECT s.rowid, s.meta, s.body, 'a' || d.agency_id FROM search_index s JOIN documents_document d ON d.id = s.rowid",
    "DROP TABLE search_index",
    "ALTER TABLE search_index_new RENAME TO search_index",
]
SQLITE_BACKWARD = [
    "CREATE VIRTUAL TABLE search_index_old USING fts5(meta, body, tokenize='unicode61', prefix='1 2 3')",
    "INSERT INTO search_index_old (rowid, meta, body) SELECT rowid, meta, body FROM search_index",
    "DROP TABLE search_index",
    "ALTER TABLE search_index_old RENAME TO search_index",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_records"), ("documents", "0001_initial")]

    operations = [migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD))]
