"""A person's own notices."""

from __future__ import annotations

from django.db.models import QuerySet

from vanban.orgs.models import Person

from ..models import Notice


def notices_of(person: Person) -> QuerySet[Notice]:
    return Notice.objects.filter(person=person)


def unread_count(person: Person) -> int:
    return Notice.objects.filter(person=person, read_at__isnull=True).count()
