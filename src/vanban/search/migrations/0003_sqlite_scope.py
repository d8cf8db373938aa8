"""SQLite: the FTS5 index is rebuilt with every token prefixed by its document's agency
(backends.scoped, `a000012_moi`), '_' a token character and prefix indexes past the agency
prefix, so that each agency has its own doclists (see backends.SQLiteBackend). PostgreSQL:
nothing. Backwards: the plain tokens again."""

from django.db import migrations

NEW = (
    "CREATE VIRTUAL TABLE {name} USING fts5(meta, body, tokenize=\"unicode61 tokenchars '_'\", prefix='9 10 11')"
)
OLD = "CREATE VIRTUAL TABLE {name} USING fts5(meta, body, tokenize='unicode61', prefix='1 2 3')"
PREFIX_LENGTH = 8  # len("a000012_")


def _prefixed(text: str, agency_id: int) -> str:
    prefix = f"a{int(agency_id):06d}_"  # as backends.scope_token (a migration keeps its own copy)
    return " ".join(prefix + word for word in text.split())


def _plain(text: str) -> str:
    return " ".join(word[PREFIX_LENGTH:] for word in text.split())


def _rebuild(create: str, rows_sql: str, convert):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        connection = schema_editor.connection
        with connection.cursor() as reader, connection.cursor() as writer:
            writer.execute(create.format(name="search_index_new"))
            reader.execute(rows_sql)
            while rows := reader.fetchmany(1000):
                writer.executemany(
                    "INSERT INTO search_index_new (rowid, meta, body) VALUES (%s, %s, %s)",
                    [(pk, *convert(meta, body, agency)) for pk, meta, body, agency in rows],
                )
            writer.execute("DROP TABLE search_index")
            writer.execute("ALTER TABLE search_index_new RENAME TO search_index")

    return run


forward = _rebuild(
    NEW,
    "SELECT s.rowid, s.meta, s.body, d.agency_id FROM search_index s JOIN documents_document d ON d.id = s.rowid",
    lambda meta, body, agency: (_prefixed(meta, agency), _prefixed(body, agency)),
)
backward = _rebuild(
    OLD,
    "SELECT rowid, meta, body, 0 FROM search_index",
    lambda meta, body, agency: (_plain(meta), _plain(body)),
)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_records"), ("documents", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
