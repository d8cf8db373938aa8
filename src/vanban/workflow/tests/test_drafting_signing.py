"""The approval step signs: the last approver signs the PDF while approving, the clerk issues it
and the agency signs it before the exchange sends it; the issued document records both."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from vanban.documents import storage
from vanban.exchange.models import Delivery
from vanban.signing import services as signing_services
from vanban.signing import verification
from vanban.signing.models import DocumentSignature
from vanban.workflow.models import ApprovalStep, DraftVersion
from vanban.workflow.services import drafting as services
from vanban.workflow.tests.test_drafting import chain, new_draft, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def pki(province):
    signing_services.demo_pki(base_url=signing_services.public_url())
    return province


def test_the_last_approver_signs_the_clerk_issues_and_the_agency_signs_before_sending(pki):
    p = pki
    d = new_draft(p, doc_type=p.types["cong-van"], unit=p.a_cntt)
    services.submit(p.specialist_a, d, chain=chain(p))
    # Signing belongs to the last step only, and nothing changes when refused.
    refused(ValidationError, lambda: services.approve(p.unithead_a, d, sign=True), d, field="step")
    services.approve(p.unithead_a, d)
    # The leader's authority line must be a Decree 30 prefix.
    refused(
        ValidationError,
        lambda: services.approve(p.leader_a, d, sign=True, authority_prefix="Thay mặt"),
        d,
        field="authority_prefix",
    )
    step = services.approve(p.leader_a, d, sign=True, authority_prefix="KT. GIÁM ĐỐC")
    unsigned, signed = DraftVersion.objects.filter(draft=d).order_by("number")
    assert step.version == signed and signed.signed_from == unsigned
    assert signed.signing_identity == signing_services.identity_of_person(p.leader_a)
    signed_bytes = storage.read_verified(signed.blob_id)
    assert signed_bytes.startswith(storage.read_verified(unsigned.blob_id))
    assert verification.check_bytes(signed_bytes).verdict == "valid"

    document, dispatch = services.issue(p.clerk_a, d, recipient_codes=[p.b.identifier])
    main = document.files.get()
    sent = storage.read_verified(main.blob_id)
    assert sent.startswith(signed_bytes) and len(sent) > len(signed_bytes)  # the seal appended
    report = verification.check_bytes(sent)
    assert report.verdict == "valid" and len(report.signatures) == 2
    kinds = list(DocumentSignature.objects.filter(document=document).values_list("kind", "signed_by"))
    assert kinds == [("person", p.leader_a.pk), ("seal", p.clerk_a.pk)]
    assert document.signer_name == p.leader_a.get_full_name()
    assert Delivery.objects.filter(dispatch=dispatch).count() == 1


def test_signing_while_approving_needs_ones_own_certificate(pki):
    p = pki
    d = new_draft(p)
    services.submit(p.specialist_a, d, chain=chain(p, ("person", p.unithead_a, "Trưởng phòng")))
    # The unit head has no certificate in the demo PKI (leaders and agencies have).
    refused(PermissionDenied, lambda: services.approve(p.unithead_a, d, sign=True), d)
    assert ApprovalStep.objects.get(draft=d).state == "current"
    services.approve(p.unithead_a, d)  # approving without signing stays possible
    document, _dispatch = services.issue(p.clerk_a, d)
    # Not signed while approving: the issued document carries no signature (and no seal either).
    assert not DocumentSignature.objects.filter(document=document).exists()
