"""Our own revocation data (OCSP responder, CRLs) is answered in process: signing (B-LT) and
verifying a demo-signed PDF make no HTTP request, and a revocation still shows at once."""

from __future__ import annotations

import aiohttp
import pytest

from vanban.documents.samples import one_page_pdf
from vanban.signing import document_signing, fetchers, services, verification

from .test_pki_helpers import validate

pytestmark = pytest.mark.django_db

BASE = "http://vanban.test"


@pytest.fixture
def pki(province, settings, monkeypatch):
    settings.VANBAN = {**settings.VANBAN, "PUBLIC_URL": BASE}
    services.demo_pki(base_url=BASE)
    services.clear_caches()
    answered: list[str] = []
    real_init = fetchers.InProcessFetcherBackend.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.answered = answered  # one list for every backend made

    monkeypatch.setattr(fetchers.InProcessFetcherBackend, "__init__", init)

    def no_http(*args, **kwargs):
        raise AssertionError("HTTP request made")

    monkeypatch.setattr(aiohttp.ClientSession, "_request", no_http)
    monkeypatch.setattr(aiohttp.ClientSession, "__init__", no_http)
    province.answered = answered
    return province


def _signed(p) -> bytes:
    data = one_page_pdf("Cong van so 7/STTTT-VP")
    leader = services.identity_of_person(p.leader_a)
    seal = services.seal_of_agency(p.clerk_a.agency)
    one = document_signing.sign_as_person(leader, data, full_name=p.leader_a.get_full_name(), position="GĐ")
    assert one.level == "B-LT"
    two = document_signing.sign_as_agency(seal, one.data)
    assert two.level == "B-LT"
    return two.data


def test_signing_and_verifying_answer_our_urls_in_process(pki):
    data = _signed(pki)
    assert f"{BASE}/pki/ocsp/" in pki.answered
    pki.answered.clear()
    report = verification.check_bytes(data)
    assert report.verdict == "valid", report.to_dict()
    assert f"{BASE}/pki/ocsp/" in pki.answered


def test_a_revocation_shows_at_once_despite_the_caches(pki):
    data = _signed(pki)
    assert verification.check_bytes(data).verdict == "valid"  # our CRLs and OCSP answers cached
    assert validate(data, services.validation_context()).bottom_line
    seal = services.seal_of_agency(pki.clerk_a.agency)
    services.revoke(pki.superuser, seal, reason="key_compromise")
    # Checked now (not at its signing time), the seal's signature is revoked: neither the cached
    # OCSP answer ("good") nor the cached CRL survive the revocation.
    status = validate(data, services.validation_context())
    assert status.revoked and not status.bottom_line
