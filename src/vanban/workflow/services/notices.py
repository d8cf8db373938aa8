"""Writing in-app notices. Every area calls `notify`; nobody creates Notice rows directly."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from vanban.orgs.models import Person

from ..models import Notice


def notify(people: Iterable[Person], *, kind: str, text: str, url: str = "", key: str = "") -> int:
    """Tell each of `people` (inactive accounts skipped) `text`, linking to `url`. With a `key`,
    a person gets the notice once however often this is called (reminders, retries). Call it
    inside the action's transaction: the notice exists exactly when the action committed.
    Returns how many people were addressed (already-notified ones included)."""
    rows = [
        Notice(person=p, kind=kind, text=text[:500], url=url[:300], key=key[:150])
        for p in {p.pk: p for p in people if p.is_active}.values()
    ]
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def mark_read(actor: Person, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notices read (all unread ones when `notice_ids` is None)."""
    qs = Notice.objects.filter(person=actor, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=timezone.now())
