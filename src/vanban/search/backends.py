"""The two engines behind `services.search`, chosen by the connection's vendor. Both index the
output of `folding.index_text` (folded tokens), so they match alike; both rank metadata above
full text. Highlighting is done in Python on the original text (`folding.highlight`), so snippets
keep their diacritics whatever the engine."""

from __future__ import annotations

import json

from django.db import connection

from .folding import Query

META_WEIGHT, BODY_WEIGHT = 10.0, 1.0


# Ranking window: a query is ranked among its newest RANK_WINDOW matches the reader may see; the
# count stops there too ("more than …"). Beyond it the reader narrows the search with filters.
RANK_WINDOW = 1000


def scope_token(agency_id: int) -> str:
    """The prefix naming a row's holding agency on every token it indexes (SQLite)."""
    return f"a{int(agency_id):06d}_"


def scoped(text: str, agency_id: int) -> str:
    """Folded index text with the agency's prefix on each token."""
    prefix = scope_token(agency_id)
    return " ".join(prefix + word for word in text.split())


class SQLiteBackend:
    """FTS5 virtual table `table(meta, body)`, rowid = the key. Every token is indexed with its
    holding agency's prefix (`a000012_moi`), so each agency has doclists of its own: a search
    walks only the postings of the reader's agencies, and bm25's statistics are the agency's
    (a province-wide index of a million documents would otherwise be walked for each common
    word). Prefix indexes cover the agency prefix plus 1–3 letters. The exact permission filter
    still applies to every row.

    A query first takes the newest RANK_WINDOW + 1 matches in scope (rowid order: no ranking
    cost), which gives the count or "more than RANK_WINDOW"; it then ranks (bm25, metadata ten
    times the full text) only that window."""

    TOKENIZE = "unicode61 tokenchars '_'"
    PREFIX = "9 10 11"  # len(scope_token(x)) == 8

    def __init__(self, table: str = "search_index"):
        self.table = table

    @staticmethod
    def match(query: Query, agencies: list[int]) -> str:
        alternatives = []
        for agency in agencies:
            prefix = scope_token(agency)
            parts = []
            for term in query.terms:
                part = '"' + " ".join(prefix + w for w in term.words) + '"'
                parts.append(part + "*" if term.prefix else part)
            alternatives.append("(" + " AND ".join(parts) + ")")
        return " OR ".join(alternatives)

    def upsert(self, cursor, doc_id: int, meta: str, body: str, agency_id: int) -> None:
        cursor.execute(f"DELETE FROM {self.table} WHERE rowid = %s", [doc_id])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {self.table} (rowid, meta, body) VALUES (%s, %s, %s)",  # noqa: S608
            [doc_id, scoped(meta, agency_id), scoped(body, agency_id)],
        )

    def scopes(self, cursor) -> dict[int, str] | None:
        """The agency prefix each indexed row's tokens carry ("" for a row without tokens)."""
        n = len(scope_token(0))
        cursor.execute(
            f"SELECT rowid, CASE WHEN meta != '' THEN substr(meta, 1, {n}) ELSE substr(body, 1, {n}) END "  # noqa: S608
            f"FROM {self.table}"
        )
        return dict(cursor.fetchall())

    def delete(self, cursor, doc_id: int) -> None:
        cursor.execute(f"DELETE FROM {self.table} WHERE rowid = %s", [doc_id])  # noqa: S608

    def indexed_ids(self, cursor) -> set[int]:
        cursor.execute(f"SELECT rowid FROM {self.table}")  # noqa: S608
        return {row[0] for row in cursor.fetchall()}

    def clear(self, cursor) -> None:
        cursor.execute(f"DELETE FROM {self.table}")  # noqa: S608

    def search(self, cursor, query: Query, scope_sql: str, scope_params, limit: int, offset: int, agencies):
        """(count, more, [(key, score)…]): `more` when there are over RANK_WINDOW matches (count is
        then RANK_WINDOW)."""
        if not agencies:
            return 0, False, []
        match = self.match(query, agencies)
        # "+rowid": keep SQLite from pushing the permission scope into FTS5 (which would run the
        # MATCH again for every readable document): match once, then filter.
        cursor.execute(
            f"SELECT rowid FROM {self.table} WHERE {self.table} MATCH %s AND +rowid IN ({scope_sql}) "  # noqa: S608
            "ORDER BY rowid DESC LIMIT %s",
            [match, *scope_params, RANK_WINDOW + 1],
        )
        window = [row[0] for row in cursor.fetchall()]
        more = len(window) > RANK_WINDOW
        window = window[:RANK_WINDOW]
        if offset >= len(window):
            return len(window), more, []
        # The window's rows are already permission-checked: rank exactly them.
        cursor.execute(
            f"SELECT rowid, -bm25({self.table}, {META_WEIGHT}, {BODY_WEIGHT}) AS score FROM {self.table} "  # noqa: S608
            f"WHERE {self.table} MATCH %s AND rowid >= %s AND +rowid IN (SELECT value FROM json_each(%s)) "
            "ORDER BY score DESC, rowid DESC LIMIT %s OFFSET %s",
            [match, window[-1], json.dumps(window), limit, offset],
        )
        return len(window), more, cursor.fetchall()


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
        return total, False, cursor.fetchall()


def backend(records: bool = False):
    """The engine of the connection: over documents, or (records=True) over `RecordEntry` rows."""
    if connection.vendor == "postgresql":
        return PostgresBackend("search_records", "record_id") if records else PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend("search_records") if records else SQLiteBackend()
    raise NotImplementedError(f"no search backend for {connection.vendor}")
