"""The two engines behind `services.search`, chosen by the connection's vendor. Both index the
output of `folding.index_text` (folded tokens), so they match alike; both rank metadata above
full text. Highlighting is done in Python on the original text (`folding.highlight`), so snippets
keep their diacritics whatever the engine."""

from __future__ import annotations

import json

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models.expressions import RawSQL

from .folding import Query

META_WEIGHT, BODY_WEIGHT = 10.0, 1.0


# Ranking window: a query is ranked among its newest RANK_WINDOW matches the reader may see; the
# count stops there too ("more than …"). Beyond it the reader narrows the search with filters.
RANK_WINDOW = 1000


def scope_token(agency_id: int) -> str:
    """The prefix naming a row's holding agency on every token it indexes (SQLite)."""
    return f"a{int(agency_id):06d}_"


def scoped(text: str, agency_id: int) -> str:
    """Folded index text (or facet tokens) with the agency's prefix on each token."""
    prefix = scope_token(agency_id)
    return " ".join(prefix + word for word in text.split())


class SQLiteBackend:
    """FTS5 virtual table `table(meta, body)`, rowid = the key. Every token is indexed with its
    holding agency's prefix (`a000012_moi`), so each agency has doclists of its own: a search
    walks only the postings of the reader's agencies, and bm25's statistics are the agency's
    (a province-wide index of a million documents would otherwise be walked for each common
    word). Prefix indexes cover the agency prefix plus 1–2 letters (longer prefixes expand to few
    words of one agency). The exact permission filter still applies to every row, as a correlated
    EXISTS checked on the matches walked (newest first) — not a list of every readable document
    built first, which costs more than the search on a large agency or with a filter.

    A third column holds facet tokens (direction, year, type, urgency, the signer's words): a
    filtered search ANDs them into the MATCH, so it walks only rows that may pass the filters.

    A query first takes the newest RANK_WINDOW + 1 matches in scope (rowid order: no ranking
    cost), which gives the count or "more than RANK_WINDOW"; it then ranks (bm25, metadata ten
    times the full text) only that window."""

    TOKENIZE = "unicode61 tokenchars '_'"
    PREFIX = "9 10"  # len(scope_token(x)) == 8

    def __init__(self, table: str = "search_index"):
        self.table = table

    @staticmethod
    def match(query: Query, agencies: list[int], facets: list[list[str]] | None = None) -> str:
        """The MATCH expression: the query's terms in meta or body, and each facet group (any of its
        facet tokens; a trailing * is a prefix) in `facets`, per agency."""
        alternatives = []
        for agency in agencies:
            prefix = scope_token(agency)
            parts = []
            for term in query.terms:
                part = '"' + " ".join(prefix + w for w in term.words) + '"'
                parts.append(part + "*" if term.prefix else part)
            expr = "{meta body} : (" + " AND ".join(parts) + ")"
            for group in facets or []:
                options = " OR ".join(f'"{prefix}{f.rstrip("*")}"' + ("*" if f.endswith("*") else "") for f in group)
                expr += f" AND facets : ({options})"
            alternatives.append("(" + expr + ")")
        return " OR ".join(alternatives)

    def upsert(self, cursor, doc_id: int, meta: str, body: str, agency_id: int, facets: str = "") -> None:
        """`facets`: space-separated facet tokens (see services.facets_of) for filters."""
        cursor.execute(f"DELETE FROM {self.table} WHERE rowid = %s", [doc_id])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {self.table} (rowid, meta, body, facets) VALUES (%s, %s, %s, %s)",  # noqa: S608
            [doc_id, scoped(meta, agency_id), scoped(body, agency_id), scoped(facets, agency_id)],
        )

    def scopes(self, cursor) -> dict[int, str] | None:
        """Each indexed row's facets as indexed (they begin with the agency prefix)."""
        cursor.execute(f"SELECT rowid, facets FROM {self.table}")  # noqa: S608
        return dict(cursor.fetchall())

    def delete(self, cursor, doc_id: int) -> None:
        cursor.execute(f"DELETE FROM {self.table} WHERE rowid = %s", [doc_id])  # noqa: S608

    def indexed_ids(self, cursor) -> set[int]:
        cursor.execute(f"SELECT rowid FROM {self.table}")  # noqa: S608
        return {row[0] for row in cursor.fetchall()}

    def clear(self, cursor) -> None:
        cursor.execute(f"DELETE FROM {self.table}")  # noqa: S608

    def search(self, cursor, query: Query, scope, limit: int, offset: int, agencies, facets=None):
        """(count, more, [(key, score)…]) among `scope` (a queryset of the keyed rows the reader may
        see); `more` when there are over RANK_WINDOW matches (count is then RANK_WINDOW). `facets`
        narrows the walk to rows carrying the filters' facets (the scope still decides)."""
        if not agencies:
            return 0, False, []
        match = self.match(query, agencies, facets)
        # The table name is ours, not input.
        allowed = scope.order_by().filter(pk=RawSQL(f"{self.table}.rowid", ())).values("pk")  # noqa: S611
        try:
            allowed_sql, allowed_params = allowed.query.sql_with_params()
        except EmptyResultSet:
            return 0, False, []
        cursor.execute(
            f"SELECT rowid FROM {self.table} WHERE {self.table} MATCH %s AND EXISTS ({allowed_sql}) "  # noqa: S608
            "ORDER BY rowid DESC LIMIT %s",
            [match, *allowed_params, RANK_WINDOW + 1],
        )
        window = [row[0] for row in cursor.fetchall()]
        more = len(window) > RANK_WINDOW
        window = window[:RANK_WINDOW]
        if offset >= len(window):
            return len(window), more, []
        # The window's rows are already permission-checked: rank exactly them.
        cursor.execute(
            f"SELECT rowid, -bm25({self.table}, {META_WEIGHT}, {BODY_WEIGHT}, 0.0) AS score FROM {self.table} "  # noqa: S608
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

    def upsert(self, cursor, doc_id: int, meta: str, body: str, agency_id: int, facets: str = "") -> None:
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

    def search(self, cursor, query: Query, scope, limit: int, offset: int, agencies=None, facets=None):
        try:
            scope_sql, scope_params = scope.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:
            return 0, False, []
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
