"""Appending to the audit log. Every service that creates or changes a document, person or
agency calls `record` inside its own transaction, after its other writes (the chain head is
the last lock taken, so services never wait on each other in opposite orders)."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.utils import timezone

from .chain import canonical_json, entry_hash
from .models import ChainHead, Entry


def record(*, actor: Any, action: str, target: Any, data: dict | None = None) -> int:
    """Append one entry describing `action` by `actor` (a user or None) on `target` (a model
    instance) and return its sequence number. Must run inside the caller's transaction so the
    change and its entry commit together or not at all."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must be called inside the transaction of the change")
    head = _lock_head()
    if head is None:
        # First entry ever (or a flushed test database): create the head race-free.
        ChainHead.objects.bulk_create([ChainHead(pk=1)], ignore_conflicts=True)
        head = _lock_head()
    head_seq, head_hash = head
    seq = head_seq + 1
    now = timezone.now()
    payload = {
        "seq": seq,
        "at": now.isoformat(),
        "actor_id": getattr(actor, "pk", None),
        "actor": actor.get_username() if actor is not None else "",
        "action": action,
        "object_type": target._meta.label_lower,
        "object_id": str(target.pk),
        "data": json.loads(canonical_json(data or {})),
    }
    text = canonical_json(payload)
    digest = entry_hash(head_hash, text)
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_ENTRY,
            [
                seq,
                connection.ops.adapt_datetimefield_value(now),
                payload["actor_id"],
                payload["actor"],
                action,
                payload["object_type"],
                payload["object_id"],
                text,
                head_hash,
                digest,
            ],
        )
        cursor.execute(_UPDATE_HEAD, [seq, digest])
    return seq


# Every audited change runs these statements: written out once rather than built by the ORM each time.
_HEAD_TABLE = ChainHead._meta.db_table
_ENTRY_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "payload",
    "prev_hash",
    "hash",
)
_INSERT_ENTRY = (
    f"INSERT INTO {Entry._meta.db_table} ({', '.join(_ENTRY_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_ENTRY_COLUMNS))})"
)
_SELECT_HEAD = f"SELECT seq, hash FROM {_HEAD_TABLE} WHERE id = 1"  # noqa: S608
_UPDATE_HEAD = f"UPDATE {_HEAD_TABLE} SET seq = %s, hash = %s WHERE id = 1"  # noqa: S608


def _lock_head() -> tuple[int, str] | None:
    """The chain head, locked until the end of the transaction (PostgreSQL: FOR UPDATE; SQLite:
    the transaction already holds the database's write lock, BEGIN IMMEDIATE)."""
    sql = _SELECT_HEAD + (" FOR UPDATE" if connection.features.has_select_for_update else "")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()
