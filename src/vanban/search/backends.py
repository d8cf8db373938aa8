"""The two engines behind `services.search`, chosen by the connection's vendor. Both index the
output of `folding.index_text` (folded tokens), so they match alike; both rank metadata above
full text. Highlighting is done in Python on the original text (`folding.highlight`), so snippets
keep their diacritics whatever the engine."""

from __future__ import annotations

from django.db import connection

from .folding import Query

META_WEIGHT, BODY_WEIGHT = 10.0, 1.0


class SQLiteBackend:
    @staticmethod
    def match(query: Query) -> str:
        parts = []
        for term in query.terms:
            part = '"' + " ".join(term.words) + '"'
            parts.append(part + "*" if term.prefix else part)
        return " AND ".join(parts)

    def upsert(self, cursor, doc_id: int, meta: str, body: str) -> None:
        cursor.execute("DELETE FROM search_index WHERE rowid = %s", [doc_id])
        cursor.execute("INSERT INTO search_index (rowid, meta, body) VALUES (%s, %s, %s)", [doc_id, meta, body])

    def delete(self, cursor, doc_id: int) -> None:
        cursor.execute("DELETE FROM search_index WHERE rowid = %s", [doc_id])

    def indexed_ids(self, cursor) -> set[int]:
        cursor.execute("SELECT rowid FROM search_index")
        return {row[0] for row in cursor.fetchall()}

    def clear(self, cursor) -> None:
        cursor.execute("DELETE FROM search_index")

    def search(self, cursor, query: Query, scope_sql: str, scope_params, limit: int, offset: int):
        match = self.match(query)
        # "+rowid": keep SQLite from pushing the permission scope into FTS5 (which would run the
        # MATCH again for every readable document): match once, then filter (bench/search.py).
        where = f"search_index MATCH %s AND +rowid IN ({scope_sql})"
        params = [match, *scope_params]
        cursor.execute(f"SELECT count(*) FROM search_index WHERE {where}", params)  # noqa: S608
        total = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT rowid, -bm25(search_index, {META_WEIGHT}, {BODY_WEIGHT}) AS score "  # noqa: S608
            f"FROM search_index WHERE {where} ORDER BY score DESC, rowid DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return total, cursor.fetchall()


class PostgresBackend:
    @staticmethod
    def tsquery(query: Query) -> str:
        parts = []
        for term in query.terms:
            words = [f"'{w}'" for w in term.words]  # tokens are letters and digits only
            if term.prefix:
                words[-1] += ":*"
            parts.append("(" + " <-> ".join(words) + ")")
        return " & ".join(parts)

    def upsert(self, cursor, doc_id: int, meta: str, body: str) -> None:
        cursor.execute(
            "INSERT INTO search_index (document_id, vector) VALUES (%s, "
            "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')) "
            "ON CONFLICT (document_id) DO UPDATE SET vector = EXCLUDED.vector",
            [doc_id, meta, body],
        )

    def delete(self, cursor, doc_id: int) -> None:
        cursor.execute("DELETE FROM search_index WHERE document_id = %s", [doc_id])

    def indexed_ids(self, cursor) -> set[int]:
        cursor.execute("SELECT document_id FROM search_index")
        return {row[0] for row in cursor.fetchall()}

    def clear(self, cursor) -> None:
        cursor.execute("DELETE FROM search_index")

    def search(self, cursor, query: Query, scope_sql: str, scope_params, limit: int, offset: int):
        where = f"vector @@ to_tsquery('simple', %s) AND document_id IN ({scope_sql})"
        params = [self.tsquery(query), *scope_params]
        cursor.execute(f"SELECT count(*) FROM search_index WHERE {where}", params)  # noqa: S608
        total = cursor.fetchone()[0]
        weights = "'{0.01, 0.01, 0.1, 1.0}'"  # D, C, B (full text), A (metadata)
        cursor.execute(
            f"SELECT document_id, ts_rank({weights}, vector, to_tsquery('simple', %s)) AS score "  # noqa: S608
            f"FROM search_index WHERE {where} ORDER BY score DESC, document_id DESC LIMIT %s OFFSET %s",
            [params[0], *params, limit, offset],
        )
        return total, cursor.fetchall()


def backend():
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    raise NotImplementedError(f"no search backend for {connection.vendor}")
