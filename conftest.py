"""Shared test fixtures: a small province built through the real services, files in a
temporary content-addressed store, fast password hashing."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from vanban.documents.models import DocumentType
from vanban.documents.reference import sync_document_types
from vanban.documents.samples import one_page_pdf
from vanban.documents.services import Upload
from vanban.exchange import services as exchange_services
from vanban.orgs import services as org_services
from vanban.orgs.models import Role
from vanban.signing import services as signing_services

PASSWORD = "Test-Passw0rd-2026"  # noqa: S105 (test accounts only)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    settings.VANBAN_FSYNC = False
    # The test's database transaction is only visible to its own connection: deliver there.
    settings.VANBAN = {**settings.VANBAN, "EXCHANGE_PARALLEL": 1}
    # Each test has its own database: keys cached for another one would sign with a stale CA.
    signing_services.clear_caches()
    exchange_services.clear_caches()


def build_province() -> SimpleNamespace:
    """Two departments and a commune, with units and one person per role."""
    sync_document_types(DocumentType)
    p = SimpleNamespace()
    p.root = org_services.create_agency(
        None,
        code="82",
        identifier="000.00.00.H58",
        name="Ủy ban nhân dân tỉnh Tiền Giang",
        short_name="UBND tỉnh",
        notation="UBND",
        kind="province_pc",
    )
    p.a = org_services.create_agency(
        None,
        code="82-STTTT",
        identifier="000.00.12.H58",
        name="Sở Thông tin và Truyền thông tỉnh Tiền Giang",
        short_name="Sở TT&TT",
        notation="STTTT",
        kind="department",
        parent=p.root,
        place="Tiền Giang",
    )
    p.b = org_services.create_agency(
        None,
        code="82-STC",
        identifier="000.00.05.H58",
        name="Sở Tài chính tỉnh Tiền Giang",
        short_name="Sở TC",
        notation="STC",
        kind="department",
        parent=p.root,
    )
    p.a_vp = org_services.create_unit(None, p.a, name="Văn phòng", notation="VP")
    p.a_cntt = org_services.create_unit(None, p.a, name="Phòng Công nghệ thông tin", notation="CNTT")
    p.b_vp = org_services.create_unit(None, p.b, name="Văn phòng", notation="VP")

    def person(username, agency, unit, roles, **kw):
        return org_services.create_person(
            None,
            username=username,
            full_name=username.replace(".", " ").title(),
            email=f"{username}@example.vn",
            agency=agency,
            unit=unit,
            position="",
            roles=roles,
            password=PASSWORD,
            **kw,
        )

    p.clerk_a = person("vanthu.a", p.a, p.a_vp, [Role.CLERK])
    p.leader_a = person("lanhdao.a", p.a, p.a_vp, [Role.LEADER])
    p.specialist_a = person("chuyenvien.a", p.a, p.a_cntt, [Role.SPECIALIST])
    p.unithead_a = person("truongphong.a", p.a, p.a_cntt, [Role.UNIT_HEAD])
    p.admin_a = person("quantri.a", p.a, p.a_cntt, [Role.ADMIN])
    p.monitor = person("giamsat", p.a, p.a_cntt, [Role.MONITOR])
    p.clerk_b = person("vanthu.b", p.b, p.b_vp, [Role.CLERK])
    p.superuser = person("admin", p.a, p.a_cntt, [Role.ADMIN], is_superuser=True)
    p.types = {t.abbreviation or t.code: t for t in DocumentType.objects.all()}
    return p


@pytest.fixture
def province(db):
    return build_province()


def pdf_upload(text: str = "van ban", name: str = "van-ban.pdf") -> Upload:
    data = one_page_pdf(text)
    return Upload(io.BytesIO(data), name, len(data))


def django_pdf(text: str = "van ban", name: str = "van-ban.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, one_page_pdf(text), content_type="application/pdf")


@pytest.fixture
def make_pdf():
    return pdf_upload
