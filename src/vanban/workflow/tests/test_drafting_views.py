"""Drafting pages through the web client: the whole path (draft → comment → chain → returned →
approved → issued), the forms shown only to who may use them, and refusals."""

from __future__ import annotations

import pytest
from conftest import django_pdf
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from vanban.documents.samples import docx, one_page_pdf
from vanban.exchange.models import Delivery
from vanban.workflow.models import ApprovalChain, ApprovalStep, Comment, Draft, DraftVersion
from vanban.workflow.tests.test_drafting import TODAY, chain, new_draft

pytestmark = pytest.mark.django_db


def client_for(person) -> Client:
    c = Client()
    c.force_login(person)
    return c


def test_the_whole_path_through_the_pages(province):
    p = province
    c = chain(p)
    author = client_for(p.specialist_a)
    assert author.get(reverse("draft-new")).status_code == 200
    r = author.post(
        reverse("draft-new"),
        {
            "doc_type": p.types["QĐ"].pk,
            "subject": "Về việc ban hành quy chế làm việc",
            "unit": p.a_cntt.pk,
            "urgency": "normal",
            "confidentiality": "normal",
            "file": SimpleUploadedFile("du-thao.docx", docx()),
        },
    )
    d = Draft.objects.get()
    assert r.status_code == 302 and r.url == reverse("draft-detail", args=[d.pk])
    page = author.get(r.url).content.decode()
    assert "du-thao.docx" in page and 'name="people"' in page and 'name="chain"' in page

    # Ask a colleague; the colleague comments; the author answers.
    r = author.post(
        reverse("draft-request-comments", args=[d.pk]), {"people": [p.clerk_a.pk], "deadline": TODAY.isoformat()}
    )
    assert r.status_code == 302
    colleague = client_for(p.clerk_a)
    assert 'name="text"' in colleague.get(reverse("draft-detail", args=[d.pk])).content.decode()
    colleague.post(reverse("draft-comment", args=[d.pk]), {"text": "Sửa Điều 3"})
    comment = Comment.objects.get()
    author.post(reverse("draft-answer", args=[d.pk, comment.pk]), {"answer": "Đã sửa"})
    comment.refresh_from_db()
    assert comment.answer == "Đã sửa"

    # A DOCX cannot be submitted; a PDF version can.
    author.post(reverse("draft-submit", args=[d.pk]), {"chain": c.pk})
    d.refresh_from_db()
    assert d.state == "drafting"
    author.post(reverse("draft-version-add", args=[d.pk]), {"file": django_pdf("v2"), "note": "PDF"})
    assert DraftVersion.objects.filter(draft=d).count() == 2
    author.post(reverse("draft-submit", args=[d.pk]), {"chain": c.pk})
    d.refresh_from_db()
    assert d.state == "in_approval"
    assert 'name="upload"' not in author.get(reverse("draft-detail", args=[d.pk])).content.decode()

    # The unit head approves; the leader returns it; the author resubmits; both approve.
    head = client_for(p.unithead_a)
    html = head.get(reverse("draft-detail", args=[d.pk])).content.decode()
    assert 'name="approve"' in html and 'name="return"' in html
    assert 'name="approve"' not in client_for(p.leader_a).get(reverse("draft-detail", args=[d.pk])).content.decode()
    step = ApprovalStep.objects.get(draft=d, state="current")
    head.post(reverse("draft-approve", args=[d.pk]), {"step": step.pk})
    leader = client_for(p.leader_a)
    step = ApprovalStep.objects.get(draft=d, state="current")
    leader.post(reverse("draft-return", args=[d.pk]), {"step": step.pk, "note": "Bổ sung căn cứ"})
    d.refresh_from_db()
    assert d.state == "returned"
    author.post(reverse("draft-version-add", args=[d.pk]), {"file": django_pdf("v3")})
    author.post(reverse("draft-submit", args=[d.pk]), {"chain": c.pk})
    head.post(reverse("draft-approve", args=[d.pk]), {"step": ApprovalStep.objects.get(draft=d, state="current").pk})
    leader.post(reverse("draft-approve", args=[d.pk]), {"step": ApprovalStep.objects.get(draft=d, state="current").pk})
    d.refresh_from_db()
    assert d.state == "approved"
    html = author.get(reverse("draft-detail", args=[d.pk])).content.decode()
    assert "Bổ sung căn cứ" in html and html.count('class="timeline"') == 2

    # The clerk issues it to another agency of the province.
    clerk = client_for(p.clerk_a)
    assert reverse("draft-issue", args=[d.pk]) in clerk.get(reverse("draft-list") + "?tab=to_issue").content.decode()
    issue_page = clerk.get(reverse("draft-issue", args=[d.pk])).content.decode()
    assert 'name="agencies"' in issue_page and p.b.identifier in issue_page
    r = clerk.post(reverse("draft-issue", args=[d.pk]), {"agencies": [p.b.pk], "copies": "2", "recipients": "Như trên"})
    d.refresh_from_db()
    assert d.state == "issued" and r.status_code == 302 and r.url == reverse("document-detail", args=[d.document_id])
    assert Delivery.objects.filter(dispatch__document=d.document, recipient_identifier=p.b.identifier).exists()
    # The document's page links back to the draft.
    assert reverse("draft-detail", args=[d.pk]) in author.get(r.url).content.decode()


def test_versions_download_unchanged_and_only_to_readers(province):
    p = province
    d = new_draft(p)
    url = reverse("draft-version", args=[d.pk, 1])
    r = client_for(p.specialist_a).get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == one_page_pdf("du thao v1")
    assert client_for(p.clerk_b).get(url).status_code == 404
    assert client_for(p.admin_a).get(url).status_code == 404
    assert client_for(p.specialist_a).get(reverse("draft-version", args=[d.pk, 9])).status_code == 404


def test_list_tabs_and_refusals(province):
    p = province
    d = new_draft(p)
    html = client_for(p.specialist_a).get(reverse("draft-list")).content.decode()
    assert d.subject in html and 'data-tab="to_approve"' in html
    assert d.subject not in client_for(p.clerk_b).get(reverse("draft-list")).content.decode()
    assert client_for(p.clerk_b).get(reverse("draft-detail", args=[d.pk])).status_code == 404
    # Issuing a draft that is not approved: refused, nothing numbered.
    assert client_for(p.clerk_a).get(reverse("draft-issue", args=[d.pk])).status_code == 403
    # Someone not on the step cannot approve; the refusal is shown, nothing changes.
    services_chain = chain(p)
    client_for(p.specialist_a).post(reverse("draft-submit", args=[d.pk]), {"chain": services_chain.pk})
    step = ApprovalStep.objects.get(draft=d, state="current")
    r = client_for(p.leader_a).post(reverse("draft-approve", args=[d.pk]), {"step": step.pk}, follow=True)
    step.refresh_from_db()
    assert step.state == "current" and r.status_code == 200
    assert client_for(p.clerk_a).get(reverse("draft-approve", args=[d.pk])).status_code == 405


def test_chains_page(province):
    p = province
    admin = client_for(p.admin_a)
    html = admin.get(reverse("draft-chains")).content.decode()
    assert 'name="kind_1"' in html
    r = admin.post(
        reverse("draft-chains"),
        {
            "name": "Trưởng phòng → Giám đốc",
            "kind_1": "unit_head",
            "title_1": "Trưởng phòng",
            "kind_2": "person",
            "person_2": p.leader_a.pk,
            "title_2": "Giám đốc",
        },
    )
    assert r.status_code == 302
    c = ApprovalChain.objects.get()
    assert [(s.kind, s.person_id) for s in c.steps.all()] == [("unit_head", None), ("person", p.leader_a.pk)]
    # A named step without a person: the form shows the refusal, nothing is created.
    r = admin.post(reverse("draft-chains"), {"name": "Sai", "kind_1": "person"})
    assert r.status_code == 200 and ApprovalChain.objects.count() == 1
    # Specialists see the chains but cannot manage them.
    specialist = client_for(p.specialist_a)
    assert 'name="kind_1"' not in specialist.get(reverse("draft-chains")).content.decode()
    assert specialist.post(reverse("draft-chains"), {"name": "X", "kind_1": "leader"}).status_code == 403
    specialist.post(reverse("draft-chain-deactivate", args=[c.pk]))
    c.refresh_from_db()
    assert c.active
    admin.post(reverse("draft-chain-deactivate", args=[c.pk]))
    c.refresh_from_db()
    assert not c.active
