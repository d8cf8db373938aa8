"""Reads of the signing room scoped to what the reader may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from vanban.orgs import selectors as org_selectors
from vanban.orgs.models import Agency, Person, Role

from .models import SigningIdentity, TrustedCertificate


def _is_province_admin(reader: Person) -> bool:
    return reader.is_active and reader.is_superuser


def _is_agency_admin(reader: Person) -> bool:
    return reader.is_active and reader.has_role(Role.ADMIN) and reader.agency_id is not None


def identities_for_admin(reader: Person) -> QuerySet[SigningIdentity]:
    """Signing identities an administrator manages: all for province administrators, their
    agency's people and seal for an agency's administrator, none for others."""
    qs = SigningIdentity.objects.select_related("person", "person__agency", "agency").order_by(
        "agency__identifier", "person__full_name", "-created_at"
    )
    if _is_province_admin(reader):
        return qs
    if _is_agency_admin(reader):
        return qs.filter(Q(person__agency_id=reader.agency_id) | Q(agency_id=reader.agency_id))
    return qs.none()


def people_for_identities(reader: Person) -> QuerySet[Person]:
    """People an administrator may register a certificate for."""
    if not (_is_province_admin(reader) or _is_agency_admin(reader)):
        return Person.objects.none()
    return org_selectors.people_manageable_by(reader).filter(is_active=True).order_by("full_name")


def agencies_for_seals(reader: Person) -> QuerySet[Agency]:
    """Agencies whose seal an administrator may register."""
    qs = Agency.objects.filter(status=Agency.Status.ACTIVE).order_by("identifier")
    if _is_province_admin(reader):
        return qs
    if _is_agency_admin(reader):
        return qs.filter(pk=reader.agency_id)
    return qs.none()


def trust_roots_for_admin(reader: Person) -> QuerySet[TrustedCertificate]:
    """The PDF trust roots (province-wide: every administrator may see them)."""
    if not (_is_province_admin(reader) or _is_agency_admin(reader)):
        return TrustedCertificate.objects.none()
    return TrustedCertificate.objects.filter(pdf_root=True).order_by("name")
