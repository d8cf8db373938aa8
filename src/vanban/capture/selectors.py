"""Reads of the capture room, scoped to what the reader may see."""

from django.db.models import QuerySet

from .models import Capture


def visible_captures(reader) -> QuerySet[Capture]:
    """The captures of the reader's own agency, for its clerks and administrators."""
    if reader is None or not reader.is_active or reader.agency_id is None:
        return Capture.objects.none()
    if not reader.has_role("clerk", "admin"):
        return Capture.objects.none()
    return Capture.objects.filter(agency_id=reader.agency_id)
