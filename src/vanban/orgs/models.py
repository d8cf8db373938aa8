"""The province as a tree of agencies, their units, and the people who work in them."""

from __future__ import annotations

import hashlib
from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .identifiers import IDENTIFIER_RE

identifier_validator = RegexValidator(
    IDENTIFIER_RE,
    _("An identifier code has the form NNN.NN.NN.XNN, for example 000.00.12.H58."),
)
notation_validator = RegexValidator(
    r"^[0-9A-Za-zĐđ&]{1,20}$",
    _("An abbreviation may contain only letters and digits, without spaces or dashes."),
)


class Agency(models.Model):
    """A state agency that keeps its own registers and issues documents under its own name."""

    class Kind(models.TextChoices):
        PROVINCE_PC = "province_pc", _("Provincial People's Committee")
        PROVINCE_OFFICE = "province_office", _("Office of the Provincial People's Committee")
        DEPARTMENT = "department", _("Provincial department or agency")
        DISTRICT_PC = "district_pc", _("District-level People's Committee")
        COMMUNE_PC = "commune_pc", _("Commune-level People's Committee")
        OTHER = "other", _("Other agency")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MERGED = "merged", _("Merged into another agency")
        CLOSED = "closed", _("Closed")

    code = models.CharField(_("administrative code"), max_length=32, unique=True)
    identifier = models.CharField(_("identifier code"), max_length=13, unique=True, validators=[identifier_validator])
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100)
    notation = models.CharField(
        _("abbreviation in document notations"),
        max_length=20,
        validators=[notation_validator],
        help_text=_("Used in the document code, e.g. UBND in 15/QĐ-UBND."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    place = models.CharField(_("place name on documents"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    email = models.EmailField(_("official email"), blank=True)
    phone = models.CharField(_("telephone"), max_length=30, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["identifier"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class AgencyNameRecord(models.Model):
    """A name an agency carried until `valid_to`. Documents keep the name they were issued
    under in their own fields; this table tells which name an agency had when."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="former_names")
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=100)
    notation = models.CharField(max_length=20)
    valid_to = models.DateField()
    reason = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["agency", "-valid_to"]

    def __str__(self) -> str:
        return f"{self.name} (→ {self.valid_to})"


class Unit(models.Model):
    """A unit (phòng, ban, văn phòng) inside an agency."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(_("name"), max_length=200)
    notation = models.CharField(
        _("abbreviation"),
        max_length=20,
        validators=[notation_validator],
        help_text=_("Used in official letters' codes, e.g. VP in 123/UBND-VP."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "notation"], name="unit_notation_unique")]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLERK = "clerk", _("Clerk")
    SPECIALIST = "specialist", _("Specialist")
    UNIT_HEAD = "unit_head", _("Unit head")
    LEADER = "leader", _("Agency leader")
    ADMIN = "admin", _("Administrator")
    MONITOR = "monitor", _("Provincial monitor")


class PersonManager(UserManager):
    def get_queryset(self):
        return super().get_queryset().select_related("agency", "unit").prefetch_related("role_grants")


class Person(AbstractUser):
    """A person who logs in: an official of one agency."""

    first_name = None
    last_name = None
    full_name = models.CharField(_("full name"), max_length=100)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("telephone"), max_length=30, blank=True)

    objects = PersonManager()
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["agency", "full_name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name.split()[-1] if self.full_name else self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        return frozenset(g.role for g in self.role_grants.all())

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes.intersection(roles))


class PersonRole(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "role"], name="person_role_unique")]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.role}"


class PersonalToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once, at creation."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
