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


def record(*, actor: Any, action: str, target: Any, data: dict | None = None) -> Entry:
    """Append one entry describing `action` by `actor` (a user or None) on `target` (a model
    instance). Must run inside the caller's transaction so the change and its entry commit
    together or not at all."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must be called inside the transaction of the change")
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # First entry ever (or a flushed test database): create the head race-free.
        ChainHead.objects.bulk_create([ChainHead(pk=1)], ignore_conflicts=True)
        head = ChainHead.objects.select_for_update().get(pk=1)
    seq = head.seq + 1
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
    digest = entry_hash(head.hash, text)
    entry = Entry.objects.create(
        seq=seq,
        at=now,
        actor_id=payload["actor_id"],
        actor=payload["actor"],
        action=action,
        object_type=payload["object_type"],
        object_id=payload["object_id"],
        payload=text,
        prev_hash=head.hash,
        hash=digest,
    )
    ChainHead.objects.filter(pk=1).update(seq=seq, hash=digest)
    return entry
