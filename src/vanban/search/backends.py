"""The two engines behind `services.search`, chosen by the connection's vendor. Both index the
output of `folding.index_text` (folded tokens), so they match alike; both rank metadata above
full text. Highlighting is done in Python on the original text (`folding.highlight`), so snippets
keep their diacritics whatever the engine."""

from __future__ import annotations

from django.db import connection

from .folding import Query

META_WEIGHT, BODY_WEIGHT = 10.0, 1.0


def scope_token(agency_id: int) -> str:
    """The token naming a row's holding agency in the index (never matched by users' words)."""
    return f"a{int(agency_id)}"


class SQLiteBackend:
    """FTS5 virtual table `table(meta, body, scope)`, rowid = the key. `scope` holds the holding
    agency's token: a search ANDs the reader's agencies into the MATCH, so FTS5 walks only their
    rows instead of every match in the province (then the exact permission filter applies)."""

    def __init__(self, table: str = "search_index"):
        self.table = table

    @staticmethod
    def match(query: Query, agencies: list[int] | None = None) -> str:
        parts = []
        for term in query.terms:
            part = '"' + " ".join(term.words) + '"'
            parts.append(part + "*" if term.prefix else part)
        expr = "{meta body} : (" + " AND ".join(parts) + ")"
        if agencies is not None:
            expr += " AND scope : (" + (" OR ".join(scope_token(a) for a in agencies) or "a0") + ")"
        return expr

    def upsert(self, cursor, doc_id: int, meta: str, body: str, agency_id: int) -> None:
        cursor.execute(f"DELETE FROM {self.table} WHERE rowid = %s", [doc_id])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {self.table} (rowid, meta, body, scope) VALUES (%s, %s, %s, %s)",  # noqa: S608
            [doc_id, meta, body, scope_token(agency_id)],
        )

    def scopes(self, cursor) -> dict[int, str] | None:
        """Each indexed row's scope token (for `check`)."""
        cursor.execute(f"SELECT rowid, scope FROM {self.table}")  # noqa: S608
        return dict(cursor.fetchall())

    def delete(self, cursor, doc_id: int) -> None:
        cursor.execute(f"DELETE FROM {self.table} WHERE rowid = %s", [doc_id])  # noqa: S608

    def indexed_ids(self, cursor) -> set[int]:
        cursor.execute(f"SELECT rowid FROM {self.table}")  # noqa: S608
        return {row[0] for row in cursor.fetchall()}

    def clear(self, cursor) -> None:
        cursor.execute(f"DELETE FROM {self.table}")  # noqa: S608

    def search(self, cursor, query: Query, scope_sql: str, scope_params, limit: int, offset: int, agencies=None):
        match = self.match(query, agencies)
        # "+rowid": keep SQLite from pushing the permission scope into FTS5 (which would run the
        # MATCH again for every readable document): match once, then filter (bench/search.py).
        where = f"{self.table} MATCH %s AND +rowid IN ({scope_sql})"
        params = [match, *scope_params]
        cursor.execute(f"SELECT count(*) FROM {self.table} WHERE {where}", params)  # noqa: S608
        total = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT rowid, -bm25({self.table}, {META_WEIGHT}, {BODY_WEIGHT}, 0.0) AS score "  # noqa: S608
            f"FROM {self.table} WHERE {where} ORDER BY score DESC, rowid DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return total, cursor.fetchall()


class PostgresBackend:
    """Table `table(key bigint primary key, vector tsvector)` with a GIN index."""

    def __init__(self, table: str = "search_index", key: str = "document_id"):
        self.table, self.key = table, key

    @staticmethod
    def tsquery(query: Query) -> str:
        parts = []
        for term in query.terms:
            words = [f"'{w}'" for w in term.words]  # tokens are letters and digits only
            if term.prefix:
                words[-1] += ":*"
            parts.append("(" + " <-> ".join(words) + ")")
        return " & ".join(parts)

    def upsert(self, cursor, doc_id: int, meta: str, body: str, agency_id: int) -> None:
        cursor.execute(
            f"INSERT INTO {self.table} ({self.key}, vector) VALUES (%s, "  # noqa: S608
            "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')) "
            f"ON CONFLICT ({self.key}) DO UPDATE SET vector = EXCLUDED.vector",
            [doc_id, meta, body],
        )

    def delete(self, cursor, doc_id: int) -> None:
        cursor.execute(f"DELETE FROM {self.table} WHERE {self.key} = %s", [doc_id])  # noqa: S608

    def indexed_ids(self, cursor) -> set[int]:
        cursor.execute(f"SELECT {self.key} FROM {self.table}")  # noqa: S608
        return {row[0] for row in cursor.fetchall()}

    def clear(self, cursor) -> None:
        cursor.execute(f"DELETE FROM {self.table}")  # noqa: S608

    def scopes(self, cursor) -> dict[int, str] | None:
        return None  # the scope is not stored in this engine

    def search(self, cursor, query: Query, scope_sql: str, scope_params, limit: int, offset: int, agencies=None):
        where = f"vector @@ to_tsquery('simple', %s) AND {self.key} IN ({scope_sql})"
        params = [self.tsquery(query), *scope_params]
        cursor.execute(f"SELECT count(*) FROM {self.table} WHERE {where}", params)  # noqa: S608
        total = cursor.fetchone()[0]
        weights = "'{0.01, 0.01, 0.1, 1.0}'"  # D, C, B (full text), A (metadata)
        cursor.execute(
            f"SELECT {self.key}, ts_rank({weights}, vector, to_tsquery('simple', %s)) AS score "  # noqa: S608
            f"FROM {self.table} WHERE {where} ORDER BY score DESC, {self.key} DESC LIMIT %s OFFSET %s",
            [params[0], *params, limit, offset],
        )
        return total, cursor.fetchall()


def backend(records: bool = False):
    """The engine of the connection: over documents, or (records=True) over `RecordEntry` rows."""
    if connection.vendor == "postgresql":
        return PostgresBackend("search_records", "record_id") if records else PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend("search_records") if records else SQLiteBackend()
    raise NotImplementedError(f"no search backend for {connection.vendor}")
