"""Reads of the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from .chain import StoredEntry, verify
from .models import ChainHead, Entry


def entries_for(target: Any) -> QuerySet[Entry]:
    """The history of one object, oldest first. Callers check that the reader may see `target`."""
    return Entry.objects.filter(object_type=target._meta.label_lower, object_id=str(target.pk)).order_by("seq")


def _stored_entries() -> Iterator[StoredEntry]:
    for e in Entry.objects.order_by("seq").iterator(chunk_size=2000):
        yield StoredEntry(
            seq=e.seq,
            prev_hash=e.prev_hash,
            hash=e.hash,
            payload=e.payload,
            columns={
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor_id": e.actor_id,
                "actor": e.actor,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
            },
        )


def verify_chain():
    """(entries checked, first problem or None) for the whole log."""
    head = ChainHead.objects.filter(pk=1).first() or ChainHead()
    return verify(_stored_entries(), head.seq, head.hash)
