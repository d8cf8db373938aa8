"""The hash chain of the audit log, without Django.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON
payload. Editing any entry changes its hash and breaks the link from the next one; removing an
entry leaves a gap in the sequence numbers; removing the newest entries is caught by comparing
with the chain head, which the writer updates in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS_HASH = "0" * 64

# Columns copied out of the payload for indexing; verification checks they still agree.
INDEXED_FIELDS = ("seq", "at", "actor_id", "actor", "action", "object_type", "object_id")


def canonical_json(payload: dict) -> str:
    """One byte-exact text for a payload, whatever database stored it."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, payload_text: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{payload_text}".encode()).hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """An entry as read back from storage."""

    seq: int
    prev_hash: str
    hash: str
    payload: str
    columns: dict


@dataclass(frozen=True)
class Problem:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


def verify(entries: Iterable[StoredEntry], head_seq: int, head_hash: str) -> tuple[int, Problem | None]:
    """Walk the entries in sequence order. Return (entries checked, first problem or None)."""
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    for entry in entries:
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                return count, Problem(expected_seq, f"missing (removed); the chain continues at {entry.seq}")
            return count, Problem(entry.seq, "sequence number out of order or repeated")
        if entry.prev_hash != prev:
            return count, Problem(entry.seq, "link to the previous entry is broken")
        if entry_hash(entry.prev_hash, entry.payload) != entry.hash:
            return count, Problem(entry.seq, "content was changed (hash does not match)")
        try:
            payload = json.loads(entry.payload)
        except ValueError:
            return count, Problem(entry.seq, "payload is not valid JSON")
        for name in INDEXED_FIELDS:
            if str(payload.get(name)) != str(entry.columns.get(name)):
                return count, Problem(entry.seq, f"column {name!r} differs from the hashed payload")
        prev = entry.hash
        expected_seq += 1
        count += 1
    if count != head_seq:
        return count, Problem(
            count + 1 if count < head_seq else count,
            f"the chain head records {head_seq} entries but {count} were found (newest entries removed)",
        )
    if prev != head_hash:
        return count, Problem(count, "the newest entry does not match the chain head")
    return count, None
