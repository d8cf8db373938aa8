"""Fixtures of the orgs tests.

Building the conftest province takes a noticeable fraction of a second, and loading the demo
province several seconds. Both are built once per test module inside a transaction that is rolled
back when the module ends; every test runs in a savepoint inside it and gets its own deep copy of
the Python objects (what Django's `TestCase.setUpTestData` does).
"""

from __future__ import annotations

import copy

import pytest
from conftest import build_province
from django.db import transaction
from django.db.models import Max
from django.test import override_settings

from vanban.audit.models import Entry

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def _module_province(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic():
            p = build_province()
            yield p
            transaction.set_rollback(True)


@pytest.fixture
def province(_module_province, db):
    """The root conftest's province (same people and agencies), built once per module."""
    return copy.deepcopy(_module_province)


class AuditLog:
    """The audit entries written since the last `mark()`."""

    def __init__(self) -> None:
        self.mark()

    def mark(self) -> None:
        self.start = Entry.objects.aggregate(m=Max("seq"))["m"] or 0

    def entries(self) -> list[Entry]:
        return list(Entry.objects.filter(seq__gt=self.start).order_by("seq"))

    def actions(self) -> list[str]:
        return [e.action for e in self.entries()]


@pytest.fixture
def audit_log(province) -> AuditLog:
    return AuditLog()
