"""A person's own notices."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from vanban.orgs.models import Person

from ..models import Notice


def notices_of(person: Person) -> QuerySet[Notice]:
    """The person's notices, unread first, newest first within each."""
    return (
        Notice.objects.filter(person=person)
        .annotate(
            unread_first=Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("unread_first", "-created_at", "-pk")
    )


def get_notice(person: Person, pk) -> Notice:
    """One of the person's own notices; 404 for anyone else's, so that it is not told it exists."""
    try:
        return Notice.objects.get(person=person, pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def unread_count(person: Person) -> int:
    return Notice.objects.filter(person=person, read_at__isnull=True).count()
