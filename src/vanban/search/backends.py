"""The two engines behind `services.search`, chosen by the connection's vendor. Both index the
output of `folding.index_text` (folded tokens), so they match alike; both rank metadata above
full text. Highlighting is done in Python on the original text (`folding.highlight`), so snippets
keep their diacritics whatever the engine."""

from __future__ import annotations

import json

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
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
                options = " OR ".join(
                    f'"{prefix}{f.rstrip("*").replace(chr(34), "")}"' + ("*" if f.endswith("*") else "") for f in group
                )
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

    @staticmethod
    def scope_of(agency_id: int, facets: str) -> str:
        """What `scopes` holds for a row of this agency with these facets."""
        return scoped(facets, agency_id)

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
    """Table `table(key bigint primary key, vector tsvector[, agency_id bigint])`: a GIN index on
    the vector and, for documents, a copy of the document's agency with its own index (migration
    0004). The GIN matches are ANDed with the reader's agencies (a superset of the scope) before
    the permission subquery applies, so only those rows are read — not one look-up per readable
    document. 1–2 letter prefixes are checked on the rows the other terms select instead of
    expanding in the GIN index. The same ranking window as SQLite: the newest RANK_WINDOW + 1
    permitted matches by key, then ts_rank (metadata weight A, full text B) over them only."""

    # A prefix shorter than this expands to too many words for the GIN index to be worth it.
    SHORT_PREFIX = 3

    def __init__(self, table: str = "search_index", key: str = "document_id", keeps_agency: bool = True):
        self.table, self.key, self.keeps_agency = table, key, keeps_agency

    @staticmethod
    def tsquery(query: Query) -> str:
        return PostgresBackend._tsquery(query.terms)

    @staticmethod
    def _tsquery(terms) -> str:
        parts = []
        for term in terms:
            words = [f"'{w}'" for w in term.words]  # tokens are letters and digits only
            if term.prefix:
                words[-1] += ":*"
            parts.append("(" + " <-> ".join(words) + ")")
        return " & ".join(parts)

    def condition(self, query: Query) -> tuple[str, list]:
        """The full-text condition: `@@` (which the GIN index serves) on the selective terms, and
        the whole query as a plain function call (`ts_match_vq`, the same test, not served by the
        index) when some terms were left out of it."""
        full = self.tsquery(query)
        indexed = [t for t in query.terms if not (t.prefix and len(t.words[-1]) < self.SHORT_PREFIX)]
        if len(indexed) == len(query.terms):
            return "vector @@ to_tsquery('simple', %s)", [full]
        check = "ts_match_vq(vector, to_tsquery('simple', %s))"
        if not indexed:
            return check, [full]
        return f"vector @@ to_tsquery('simple', %s) AND {check}", [self._tsquery(indexed), full]

    def upsert(self, cursor, doc_id: int, meta: str, body: str, agency_id: int, facets: str = "") -> None:
        vector = "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')"
        if self.keeps_agency:
            cursor.execute(
                f"INSERT INTO {self.table} ({self.key}, agency_id, vector) VALUES (%s, %s, {vector}) "  # noqa: S608
                f"ON CONFLICT ({self.key}) DO UPDATE SET agency_id = EXCLUDED.agency_id, vector = EXCLUDED.vector",
                [doc_id, agency_id, meta, body],
            )
        else:
            cursor.execute(
                f"INSERT INTO {self.table} ({self.key}, vector) VALUES (%s, {vector}) "  # noqa: S608
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
        """Each row's copy of its agency, as `scope_of` writes it (None: not kept)."""
        if not self.keeps_agency:
            return None
        cursor.execute(f"SELECT {self.key}, agency_id FROM {self.table}")  # noqa: S608
        return {pk: self.scope_of(agency, "") for pk, agency in cursor.fetchall()}

    @staticmethod
    def scope_of(agency_id: int | None, facets: str) -> str:
        return str(agency_id)

    def search(self, cursor, query: Query, scope, limit: int, offset: int, agencies=None, facets=None):
        """As SQLiteBackend.search (`facets` is not used: the scope applies the filters)."""
        try:
            scope_sql, scope_params = scope.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:
            return 0, False, []
        where, params = self.condition(query)
        if self.keeps_agency and agencies is not None:
            where += " AND agency_id = ANY(%s)"
            params.append(list(agencies))
        where += f" AND {self.key} IN ({scope_sql})"
        params += scope_params
        weights = "'{0.01, 0.01, 0.1, 1.0}'"  # D, C, B (full text), A (metadata)
        with transaction.atomic():
            # Starting parallel workers costs more than these index-led plans take; a GIN bitmap of
            # a common word over a million documents needs more than the default 4 MB to stay
            # exact (lossy pages are re-checked row by row: 290 ms instead of 120 ms, bench/search.py).
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cursor.execute("SET LOCAL work_mem = '16MB'")
            cursor.execute(
                f"SELECT {self.key} FROM {self.table} WHERE {where} ORDER BY {self.key} DESC LIMIT %s",  # noqa: S608
                [*params, RANK_WINDOW + 1],
            )
            window = [row[0] for row in cursor.fetchall()]
            more = len(window) > RANK_WINDOW
            window = window[:RANK_WINDOW]
            if offset >= len(window):
                return len(window), more, []
            cursor.execute(
                f"SELECT {self.key}, ts_rank({weights}, vector, to_tsquery('simple', %s)) AS score "  # noqa: S608
                f"FROM {self.table} WHERE {self.key} = ANY(%s) ORDER BY score DESC, {self.key} DESC LIMIT %s OFFSET %s",
                [self.tsquery(query), window, limit, offset],
            )
            return len(window), more, cursor.fetchall()


def backend(records: bool = False):
    """The engine of the connection: over documents, or (records=True) over `RecordEntry` rows."""
    if connection.vendor == "postgresql":
        return PostgresBackend("search_records", "record_id", keeps_agency=False) if records else PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend("search_records") if records else SQLiteBackend()
    raise NotImplementedError(f"no search backend for {connection.vendor}")
