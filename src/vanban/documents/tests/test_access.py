"""Who may see which document, through the selector, the web pages and the API."""

import pytest
from conftest import PASSWORD, pdf_upload
from django.utils import timezone
from rest_framework.test import APIClient

from vanban.documents import selectors, services
from vanban.documents.models import DocumentAccess
from vanban.orgs import services as org_services

pytestmark = pytest.mark.django_db


def _incoming(p, clerk=None, **kw):
    clerk = clerk or p.clerk_a
    args = dict(
        uploads=[pdf_upload()],
        doc_type=p.types["cong-van"],
        subject="Văn bản thường",
        issuer_name="Sở Tài chính",
        issued_date=timezone.localdate(),
        original_code="10/STC-VP",
    )
    args.update(kw)
    return services.register_incoming(clerk, **args).document


@pytest.fixture
def docs(province):
    p = province
    return {
        "normal": _incoming(p),
        "secret": _incoming(p, subject="Văn bản mật", confidentiality="confidential"),
        "other_agency": _incoming(p, clerk=p.clerk_b, subject="Của sở khác"),
    }


def visible(person):
    return set(selectors.visible_documents(person).values_list("subject", flat=True))


def test_clerk_and_leader_see_all_of_their_agency_only(province, docs):
    for person in (province.clerk_a, province.leader_a):
        assert visible(person) == {"Văn bản thường", "Văn bản mật"}
    assert visible(province.clerk_b) == {"Của sở khác"}


def test_others_see_only_what_is_granted(province, docs):
    p = province
    for person in (p.specialist_a, p.unithead_a, p.admin_a, p.monitor, p.superuser):
        assert visible(person) == set(), person.username
    DocumentAccess.objects.create(document=docs["normal"], unit=p.a_cntt, reason="assigned")
    DocumentAccess.objects.create(document=docs["secret"], unit=p.a_cntt, reason="assigned")
    # A unit grant shows the ordinary document to the unit, never the confidential one.
    assert visible(p.specialist_a) == {"Văn bản thường"}
    DocumentAccess.objects.create(document=docs["secret"], person=p.specialist_a, reason="assigned")
    assert visible(p.specialist_a) == {"Văn bản thường", "Văn bản mật"}
    assert visible(p.unithead_a) == {"Văn bản thường"}


def test_disabled_account_sees_nothing(province, docs):
    org_services.update_person(None, province.clerk_a, is_active=False)
    province.clerk_a.refresh_from_db()
    assert visible(province.clerk_a) == set()


def test_web_detail_and_file_are_404_for_another_agency(client, province, docs):
    client.login(username="vanthu.b", password=PASSWORD)
    doc = docs["normal"]
    f = doc.files.get()
    assert client.get(f"/van-ban/{doc.pk}/").status_code == 404
    assert client.get(f"/van-ban/{doc.pk}/tep/{f.pk}/").status_code == 404
    page = client.get("/so/den/").content.decode()
    assert "Văn bản thường" not in page and "Của sở khác" in page


def test_api_is_scoped_with_404(province, docs):
    api = APIClient()
    api.force_authenticate(province.clerk_b)
    doc = docs["normal"]
    assert api.get(f"/api/v1/documents/{doc.pk}/").status_code == 404
    f = doc.files.get()
    assert api.get(f"/api/v1/documents/{doc.pk}/files/{f.pk}/content/").status_code == 404
    listed = {d["subject"] for d in api.get("/api/v1/documents/").json()["results"]}
    assert listed == {"Của sở khác"}
    api.force_authenticate(province.specialist_a)
    assert api.get(f"/api/v1/documents/{docs['secret'].pk}/").status_code == 404


def test_unauthenticated_gets_nothing(client, docs):
    assert client.get("/so/den/").status_code == 302
    assert APIClient().get("/api/v1/documents/").status_code == 401
