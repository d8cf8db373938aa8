import datetime as dt

import pytest

from vanban.signing import crypto, services, xmlsig
from vanban.signing.models import AgencyKey

XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">'
    b'<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:edXMLHeader>'
    b"<edXML:X>n\xe1\xbb\x99i dung</edXML:X>"
    b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="placeholder"/>'
    b"</edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>"
)


@pytest.mark.django_db
def test_agency_keys_are_issued_once_encrypted_and_identify_the_agency(province):
    signed = services.sign_xml(XML, province.a)
    verified = xmlsig.verify(signed, services.local_trust())
    assert verified.identifier == province.a.identifier
    key = AgencyKey.objects.get(agency=province.a)
    assert "ENCRYPTED PRIVATE KEY" in key.private_key_pem
    services.sign_xml(XML, province.a)
    assert AgencyKey.objects.filter(agency=province.a).count() == 1


def test_expired_and_untrusted_certificates_are_refused():
    ca = crypto.make_ca("CA")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=4000)
    old = crypto.issue(ca, common_name="cũ", identifier="000.00.01.H58", years=1, now=past)
    signed = xmlsig.sign(XML, old.key, [old.certificate])
    with pytest.raises(xmlsig.SignatureError) as e:
        xmlsig.verify(signed, xmlsig.Trust(authorities=(ca.certificate,)))
    assert e.value.rule == "expired"
    fresh = crypto.issue(ca, common_name="mới", identifier="000.00.01.H58")
    signed = xmlsig.sign(XML, fresh.key, [fresh.certificate])
    assert xmlsig.verify(signed, xmlsig.Trust(certificates=(fresh.certificate,))).identifier == "000.00.01.H58"
    with pytest.raises(xmlsig.SignatureError) as e:
        xmlsig.verify(signed, xmlsig.Trust(authorities=(crypto.make_ca("other").certificate,)))
    assert e.value.rule == "untrusted"
    with pytest.raises(xmlsig.SignatureError) as e:
        xmlsig.verify(XML, xmlsig.Trust(authorities=(ca.certificate,)))
    assert e.value.rule == "unsigned"


def test_tls_server_certificate_names_its_hosts():
    from cryptography import x509

    ca = crypto.make_ca("CA")
    server = crypto.issue_tls_server(ca, ["127.0.0.1", "vanban.tiengiang.gov.vn"])
    san = server.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(n.value) for n in san] == ["127.0.0.1", "vanban.tiengiang.gov.vn"]
    assert crypto.is_issued_by(server.certificate, ca.certificate)
    assert "BEGIN PRIVATE KEY" in crypto.key_to_pem(server.key, None)
