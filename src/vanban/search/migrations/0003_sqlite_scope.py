"""SQLite: the FTS5 index is rebuilt with every token prefixed by its document's agency
(backends.scoped, `a000012_moi`), '_' a token character, prefix indexes (1–2 letters) past the
agency prefix and a `facets` column (services.facets_of), so that each agency has its own
doclists and filters narrow the walk (see backends.SQLiteBackend). PostgreSQL: nothing.
Backwards: the plain tokens again."""

from django.db import migrations

from vanban.search.folding import tokens

NEW = (
    "CREATE VIRTUAL TABLE {name} USING fts5(meta, body, facets, tokenize=\"unicode61 tokenchars '_'\", "
    "prefix='9 10')"
)
OLD = "CREATE VIRTUAL TABLE {name} USING fts5(meta, body, tokenize='unicode61', prefix='1 2 3')"
PREFIX_LENGTH = 8  # len("a000012_")

# The migration keeps its own copies of backends.scoped and services.facets_of as they are today.


def _prefixed(text: str, agency_id: int) -> str:
    prefix = f"a{int(agency_id):06d}_"
    return " ".join(prefix + word for word in text.split())


def _facets(direction, urgency, issued_date, doc_type_id, signer_name) -> str:
    out = ["fa", f"fd{direction}", f"fu{urgency}"]
    if issued_date:
        out.append(f"fy{int(str(issued_date)[:4])}")  # as services.facets_of: the year as a number
    if doc_type_id:
        out.append(f"ft{doc_type_id}")
    out += [f"fs{w}" for w in tokens(signer_name or "")]
    return " ".join(out)


def _forward(row):
    pk, meta, body, agency, direction, urgency, issued_date, doc_type_id, signer_name = row
    facets = _facets(direction, urgency, issued_date, doc_type_id, signer_name)
    return pk, _prefixed(meta, agency), _prefixed(body, agency), _prefixed(facets, agency)


def _backward(row):
    pk, meta, body = row
    plain = lambda text: " ".join(word[PREFIX_LENGTH:] for word in text.split())  # noqa: E731
    return pk, plain(meta), plain(body)


def _rebuild(create: str, rows_sql: str, columns: str, convert):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        connection = schema_editor.connection
        marks = ", ".join(["%s"] * (columns.count(",") + 1))
        with connection.cursor() as reader, connection.cursor() as writer:
            writer.execute(create.format(name="search_index_new"))
            reader.execute(rows_sql)
            while rows := reader.fetchmany(1000):
                writer.executemany(
                    f"INSERT INTO search_index_new ({columns}) VALUES ({marks})", [convert(r) for r in rows]
                )
            writer.execute("DROP TABLE search_index")
            writer.execute("ALTER TABLE search_index_new RENAME TO search_index")

    return run


forward = _rebuild(
    NEW,
    "SELECT s.rowid, s.meta, s.body, d.agency_id, d.direction, d.urgency, d.issued_date, d.doc_type_id, "
    "d.signer_name FROM search_index s JOIN documents_document d ON d.id = s.rowid",
    "rowid, meta, body, facets",
    _forward,
)
backward = _rebuild(OLD, "SELECT rowid, meta, body FROM search_index", "rowid, meta, body", _backward)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_records"), ("documents", "0002_initial")]  # document.agency

    operations = [migrations.RunPython(forward, backward)]
