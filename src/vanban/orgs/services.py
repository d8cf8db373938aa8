"""Every write to agencies, units and people. Each function is one user action: it checks the
actor's permission, validates, writes in one transaction and appends the audit entry.

`actor=None` means the system itself (management commands, the demo loader); views and the API
always pass the logged-in person.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vanban.audit import services as audit

from .models import Agency, AgencyNameRecord, Person, PersonalToken, PersonRole, Role, Unit

AGENCY_FIELDS = (
    "code",
    "identifier",
    "name",
    "short_name",
    "notation",
    "kind",
    "parent",
    "place",
    "address",
    "email",
    "phone",
    "website",
)
PERSON_FIELDS = ("full_name", "email", "agency", "unit", "position", "phone", "is_active")


# --- permissions ----------------------------------------------------------------------------


def can_manage_agencies(actor: Person | None) -> bool:
    """Creating, renaming, merging and closing agencies is for the province's administrators."""
    return actor is None or (actor.is_active and actor.is_superuser)


def can_manage_people_of(actor: Person | None, agency: Agency | None) -> bool:
    """Province administrators manage everyone; an agency's administrator manages its people."""
    if actor is None or (actor.is_active and actor.is_superuser):
        return True
    return bool(actor.is_active and agency is not None and actor.has_role(Role.ADMIN) and actor.agency_id == agency.pk)


def can_manage_person(actor: Person | None, person: Person) -> bool:
    """As `can_manage_people_of` the person's agency, except that a province administrator's
    account is managed only by province administrators: an agency administrator must not be able
    to take it over (password, token) or lock it out."""
    if person.is_superuser and not can_manage_agencies(actor):
        return False
    return can_manage_people_of(actor, person.agency)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You do not have permission to do this."))


def _snapshot(obj, fields: Iterable[str]) -> dict:
    out = {}
    for f in fields:
        value = getattr(obj, f"{f}_id", None) if hasattr(obj, f"{f}_id") else getattr(obj, f)
        out[f] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def _full_clean(obj, exclude=None) -> None:
    obj.full_clean(exclude=exclude)


# --- agencies -------------------------------------------------------------------------------


@transaction.atomic
def create_agency(actor: Person | None, **fields) -> Agency:
    _require(can_manage_agencies(actor))
    agency = Agency(**{k: v for k, v in fields.items() if k in AGENCY_FIELDS})
    _full_clean(agency)
    agency.save()
    audit.record(actor=actor, action="agency.create", target=agency, data=_snapshot(agency, AGENCY_FIELDS))
    return agency


@transaction.atomic
def update_agency(actor: Person | None, agency: Agency, **fields) -> Agency:
    """Change an agency's contact details, code or place in the tree. Its name and notation
    change through `rename_agency`, which keeps the former name on record."""
    _require(can_manage_agencies(actor))
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    allowed = set(AGENCY_FIELDS) - {"name", "short_name", "notation"}
    changed = {}
    for key, value in fields.items():
        if key not in allowed:
            raise ValueError(f"update_agency cannot change {key!r}")
        if getattr(agency, key) != value:
            setattr(agency, key, value)
            changed[key] = value
    if not changed:
        return agency
    if agency.parent_id and agency.parent_id == agency.pk:
        raise ValidationError({"parent": _("An agency cannot be its own parent.")})
    # Nor can it go under one of the agencies below it: that would make a loop in the tree.
    ancestor, seen = agency.parent, set()
    while ancestor is not None and ancestor.pk not in seen:
        if ancestor.parent_id == agency.pk:
            raise ValidationError({"parent": _("An agency cannot be placed under one of the agencies below it.")})
        seen.add(ancestor.pk)
        ancestor = ancestor.parent
    _full_clean(agency)
    agency.save()
    audit.record(actor=actor, action="agency.update", target=agency, data=_snapshot(agency, changed))
    return agency


@transaction.atomic
def rename_agency(
    actor: Person | None,
    agency: Agency,
    *,
    name: str,
    short_name: str,
    notation: str,
    effective: dt.date | None = None,
    reason: str = "",
) -> Agency:
    """Give an agency a new name (and notation) from `effective` on. Documents already issued or
    received keep the names written in them."""
    _require(can_manage_agencies(actor))
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    effective = effective or timezone.localdate()
    old = {"name": agency.name, "short_name": agency.short_name, "notation": agency.notation}
    agency.name, agency.short_name, agency.notation = name.strip(), short_name.strip(), notation.strip()
    _full_clean(agency)
    if old == {"name": agency.name, "short_name": agency.short_name, "notation": agency.notation}:
        return agency
    AgencyNameRecord.objects.create(agency=agency, valid_to=effective - dt.timedelta(days=1), reason=reason, **old)
    agency.save()
    audit.record(
        actor=actor,
        action="agency.rename",
        target=agency,
        data={
            "from": old,
            "to": {"name": agency.name, "short_name": agency.short_name, "notation": agency.notation},
            "effective": effective.isoformat(),
            "reason": reason,
        },
    )
    return agency


@transaction.atomic
def merge_agency(
    actor: Person | None, agency: Agency, *, into: Agency, effective: dt.date | None = None, reason: str = ""
) -> Agency:
    """Merge `agency` into `into`: it stops registering and issuing; its registers stay readable
    by the successor's people. Its people are not moved automatically (an administrator decides
    who goes where)."""
    _require(can_manage_agencies(actor))
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    into = Agency.objects.get(pk=into.pk)
    if into.pk == agency.pk:
        raise ValidationError({"into": _("An agency cannot be merged into itself.")})
    if not into.is_active:
        raise ValidationError({"into": _("The receiving agency is not active.")})
    if not agency.is_active:
        raise ValidationError({"into": _("This agency is no longer active.")})
    # The successor must not itself (transitively) have been merged into this agency.
    seen, cur = set(), into
    while cur.successor_id and cur.successor_id not in seen:
        seen.add(cur.pk)
        if cur.successor_id == agency.pk:
            raise ValidationError({"into": _("That would merge the agencies into each other.")})
        cur = cur.successor
    agency.status = Agency.Status.MERGED
    agency.successor = into
    agency.ended_on = effective or timezone.localdate()
    agency.save(update_fields=["status", "successor", "ended_on", "updated_at"])
    audit.record(
        actor=actor,
        action="agency.merge",
        target=agency,
        data={
            "into": into.pk,
            "into_identifier": into.identifier,
            "effective": agency.ended_on.isoformat(),
            "reason": reason,
        },
    )
    return agency


@transaction.atomic
def close_agency(actor: Person | None, agency: Agency, *, effective: dt.date | None = None, reason: str = "") -> Agency:
    _require(can_manage_agencies(actor))
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if not agency.is_active:
        raise ValidationError({"status": _("This agency is no longer active.")})
    agency.status = Agency.Status.CLOSED
    agency.ended_on = effective or timezone.localdate()
    agency.save(update_fields=["status", "ended_on", "updated_at"])
    audit.record(
        actor=actor,
        action="agency.close",
        target=agency,
        data={"effective": agency.ended_on.isoformat(), "reason": reason},
    )
    return agency


# --- units ----------------------------------------------------------------------------------


@transaction.atomic
def create_unit(actor: Person | None, agency: Agency, *, name: str, notation: str) -> Unit:
    _require(can_manage_people_of(actor, agency))
    unit = Unit(agency=agency, name=name.strip(), notation=notation.strip())
    _full_clean(unit)
    unit.save()
    audit.record(
        actor=actor,
        action="unit.create",
        target=unit,
        data={"agency": agency.pk, "name": unit.name, "notation": unit.notation},
    )
    return unit


@transaction.atomic
def update_unit(actor: Person | None, unit: Unit, *, name: str, notation: str, active: bool = True) -> Unit:
    _require(can_manage_people_of(actor, unit.agency))
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    unit.name, unit.notation, unit.active = name.strip(), notation.strip(), active
    _full_clean(unit)
    unit.save()
    audit.record(
        actor=actor,
        action="unit.update",
        target=unit,
        data={"name": unit.name, "notation": unit.notation, "active": active},
    )
    return unit


# --- people ---------------------------------------------------------------------------------


def _validate_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise ValidationError({"roles": _("Unknown role: %(roles)s.") % {"roles": ", ".join(bad)}})
    return roles


def _check_person(person: Person, roles: list[str]) -> None:
    errors = {}
    if person.unit_id and person.unit.agency_id != person.agency_id:
        errors["unit"] = _("The unit does not belong to the person's agency.")
    if person.agency_id is None and not person.is_superuser:
        errors["agency"] = _("Choose the person's agency.")
    if person.agency_id and not person.agency.is_active and person.is_active:
        errors["agency"] = _("This agency is no longer active.")
    if errors:
        raise ValidationError(errors)


def _set_roles(person: Person, roles: list[str]) -> None:
    PersonRole.objects.filter(person=person).exclude(role__in=roles).delete()
    existing = set(PersonRole.objects.filter(person=person).values_list("role", flat=True))
    PersonRole.objects.bulk_create([PersonRole(person=person, role=r) for r in roles if r not in existing])
    person.__dict__.pop("role_codes", None)
    if hasattr(person, "_prefetched_objects_cache"):
        person._prefetched_objects_cache.pop("role_grants", None)


@transaction.atomic
def create_person(
    actor: Person | None,
    *,
    username: str,
    full_name: str,
    email: str = "",
    agency: Agency | None,
    unit: Unit | None = None,
    position: str = "",
    phone: str = "",
    roles: Iterable[str] = (),
    password: str | None = None,
    is_superuser: bool = False,
) -> Person:
    _require(can_manage_people_of(actor, agency))
    if is_superuser and not can_manage_agencies(actor):
        raise PermissionDenied(_("You do not have permission to do this."))
    roles = _validate_roles(roles)
    person = Person(
        username=username.strip(),
        full_name=full_name.strip(),
        email=email.strip(),
        agency=agency,
        unit=unit,
        position=position.strip(),
        phone=phone.strip(),
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    _full_clean(person, exclude=["password"])
    _check_person(person, roles)
    if password:
        if actor is not None:  # people choose real passwords; only the demo loader is exempt
            try:
                validate_password(password, person)
            except ValidationError as exc:
                raise ValidationError({"password": exc.messages}) from exc
        person.set_password(password)
    else:
        person.set_unusable_password()
    person.save()
    _set_roles(person, roles)
    audit.record(
        actor=actor,
        action="person.create",
        target=person,
        data={**_snapshot(person, ("username", *PERSON_FIELDS, "is_superuser")), "roles": roles},
    )
    return person


@transaction.atomic
def update_person(
    actor: Person | None,
    person: Person,
    *,
    roles: Iterable[str] | None = None,
    password: str | None = None,
    **fields,
) -> Person:
    """Change a person's details, roles and (when given) password, all or nothing: a refused
    password leaves the other changes unmade."""
    # of=self: the manager outer-joins the (nullable) agency and unit, which PostgreSQL cannot lock.
    person = Person.objects.select_for_update(of=("self",)).get(pk=person.pk)
    _require(can_manage_person(actor, person))
    if "agency" in fields:
        _require(can_manage_people_of(actor, fields["agency"]))
    changed = {}
    for key, value in fields.items():
        if key not in PERSON_FIELDS:
            raise ValueError(f"update_person cannot change {key!r}")
        if key in {"full_name", "email", "position", "phone"}:
            value = value.strip()
        if getattr(person, key) != value:
            setattr(person, key, value)
            changed[key] = value
    new_roles = _validate_roles(roles) if roles is not None else sorted(person.role_codes)
    if actor is not None and actor.pk == person.pk and Role.ADMIN in person.role_codes and Role.ADMIN not in new_roles:
        raise ValidationError({"roles": _("You cannot remove your own administrator role.")})
    _full_clean(person, exclude=["password"])
    _check_person(person, new_roles)
    person.save()
    roles_changed = set(new_roles) != set(person.role_codes)
    if roles_changed:
        _set_roles(person, new_roles)
    if changed or roles_changed:
        data = _snapshot(person, changed)
        if roles_changed:
            data["roles"] = new_roles
        audit.record(actor=actor, action="person.update", target=person, data=data)
    if password:
        set_password(actor, person, password)
    return person


@transaction.atomic
def set_password(actor: Person | None, person: Person, password: str, *, validate: bool = True) -> None:
    """An administrator (or the person themselves) sets a new password. Only the system actor
    may skip the password rules (the demo accounts take VANBAN_DEMO_PASSWORD as given)."""
    if actor is None or actor.pk != person.pk:
        _require(can_manage_person(actor, person))
    if validate or actor is not None:
        try:
            validate_password(password, person)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
    person = Person.objects.select_for_update(of=("self",)).get(pk=person.pk)
    person.set_password(password)
    person.save(update_fields=["password"])
    audit.record(actor=actor, action="person.set_password", target=person, data={})


# --- personal API tokens --------------------------------------------------------------------

TOKEN_PREFIX = "vb_"  # noqa: S105 (a prefix that tells a vanban token at sight, not a secret)


@transaction.atomic
def create_token(actor: Person | None, person: Person, name: str = "") -> tuple[PersonalToken, str]:
    """Create a token for `person` and return it with the secret, which is never stored."""
    if actor is None or actor.pk != person.pk:
        _require(can_manage_person(actor, person))
    if not person.is_active:
        raise ValidationError({"person": _("This account is disabled.")})
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalToken.objects.create(
        person=person,
        name=(name.strip() or _("API token"))[:100],
        key_hash=PersonalToken.hash_key(key),
        prefix=key[: len(TOKEN_PREFIX) + 6],
    )
    audit.record(actor=actor, action="token.create", target=person, data={"token": token.pk, "prefix": token.prefix})
    return token, key


@transaction.atomic
def revoke_token(actor: Person, token: PersonalToken) -> None:
    token = PersonalToken.objects.select_for_update().get(pk=token.pk)
    if actor.pk != token.person_id:
        _require(can_manage_person(actor, token.person))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="token.revoke", target=token.person, data={"token": token.pk})
