"""Our XML-DSig profile against an independent implementation (signxml) and against tampering."""

import base64
import datetime as dt

import pytest
import signxml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from vanban.signing import crypto, xmlsig

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DS = xmlsig.DSIG_NS
DOC = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<edXML xmlns="{NS}">\n  <edXML:edXMLEnvelope xmlns:edXML="{NS}">\n    <edXML:edXMLHeader>\n'
    "      <edXML:Subject>V/v thử nghiệm &amp; kiểm tra</edXML:Subject>\n"
    f'      <ds:Signature xmlns:ds="{DS}" Id="placeholder"/>\n'
    "    </edXML:edXMLHeader>\n  </edXML:edXMLEnvelope>\n"
    "  <AttachmentEncoded><Attachment><ContentId>cid:1</ContentId></Attachment></AttachmentEncoded>\n"
    "</edXML>\n"
).encode()


@pytest.fixture(scope="module")
def pki():
    ca = crypto.make_ca("CA thử")
    return ca, crypto.issue(ca, common_name="Sở Thông tin và Truyền thông", identifier="000.00.11.H58")


def _trust(pki):
    return xmlsig.Trust(authorities=(pki[0].certificate,))


def _signxml(xml: bytes, pair, c14n: str) -> bytes:
    signer = signxml.XMLSigner(
        method=signxml.methods.enveloped,
        signature_algorithm=signxml.SignatureMethod.RSA_SHA256,
        digest_algorithm=signxml.DigestAlgorithm.SHA256,
        c14n_algorithm=c14n,
    )
    signed = signer.sign(etree.fromstring(xml), key=pair.key, cert=[pair.certificate])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def test_signxml_verifies_our_signature_and_the_content_is_untouched(pki):
    signed = xmlsig.sign(DOC, pki[1].key, [pki[1].certificate, pki[0].certificate])
    signxml.XMLVerifier().verify(signed, x509_cert=pki[1].certificate)
    verified = xmlsig.verify(signed, _trust(pki))
    assert verified.identifier == "000.00.11.H58" and verified.common_name == "Sở Thông tin và Truyền thông"
    assert len(verified.chain) == 2
    # Everything outside the signature is byte-for-byte what was given (whitespace included).
    sig_start, sig_end = signed.index(b"<ds:Signature"), signed.index(b"</ds:Signature>") + len(b"</ds:Signature>")
    placeholder = DOC[DOC.index(b"<ds:Signature") :]
    placeholder = placeholder[: placeholder.index(b"/>") + 2]
    assert signed[:sig_start].split(b"?>", 1)[1] == DOC[: DOC.index(b"<ds:Signature")].split(b"?>", 1)[1]
    assert signed[sig_end:].rstrip() == DOC[DOC.index(placeholder) + len(placeholder) :].rstrip()


@pytest.mark.parametrize("c14n", [xmlsig.EXC_C14N, xmlsig.C14N])
def test_we_verify_signxml_signatures(pki, c14n):
    signed = _signxml(DOC, pki[1], c14n)
    assert xmlsig.verify(signed, _trust(pki)).identifier == "000.00.11.H58"
    # ...and the same tree, parsed once by the caller, is left as it was.
    root = etree.fromstring(signed)
    before = etree.tostring(root)
    xmlsig.verify(root, _trust(pki))
    assert etree.tostring(root) == before


def test_a_document_without_placeholder_is_signed_at_the_end(pki):
    doc = b'<a xmlns="urn:x"><b>1</b> tail </a>'
    signed = xmlsig.sign(doc, pki[1].key, [pki[1].certificate])
    assert etree.fromstring(signed)[-1].tag == f"{{{DS}}}Signature"
    signxml.XMLVerifier().verify(signed, x509_cert=pki[1].certificate)
    xmlsig.verify(signed, _trust(pki))


def _rule(data: bytes, trust) -> str:
    with pytest.raises(xmlsig.SignatureError) as e:
        xmlsig.verify(data, trust)
    return e.value.rule


def test_tampering_is_refused(pki):
    signed = xmlsig.sign(DOC, pki[1].key, [pki[1].certificate])
    trust = _trust(pki)
    assert _rule(signed.replace("thử nghiệm".encode(), b"thu nghiem"), trust) == "bad_signature"
    assert _rule(signed.replace(b"cid:1", b"cid:2"), trust) == "bad_signature"  # after the envelope, still signed
    assert _rule(signed.replace(b'<ds:Reference URI="">', b'<ds:Reference URI="#x">'), trust) == "bad_signature"
    # whitespace between elements is content too
    assert _rule(signed.replace(b"\n  <AttachmentEncoded>", b"<AttachmentEncoded>"), trust) == "bad_signature"
    root = etree.fromstring(signed)
    value = root.find(f".//{{{DS}}}SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    assert _rule(etree.tostring(root), trust) == "bad_signature"
    value.text = "không phải base64"
    assert _rule(etree.tostring(root), trust) == "bad_signature"


def test_weak_or_unexpected_profiles_are_refused(pki):
    trust = _trust(pki)
    signed = xmlsig.sign(DOC, pki[1].key, [pki[1].certificate])
    # the SDK samples' rsa-sha1 / sha1
    sha1 = signed.replace(xmlsig.RSA_SHA256.encode(), b"http://www.w3.org/2000/09/xmldsig#rsa-sha1")
    assert _rule(sha1, trust) == "wrong_algorithm"
    sha1 = signed.replace(xmlsig.SHA256.encode(), b"http://www.w3.org/2000/09/xmldsig#sha1")
    assert _rule(sha1, trust) == "wrong_algorithm"
    with_comments = signed.replace(
        b'CanonicalizationMethod Algorithm="' + xmlsig.EXC_C14N.encode(),
        b'CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
    )
    assert _rule(with_comments, trust) == "wrong_algorithm"
    signed = xmlsig.sign(DOC, pki[1].key, [pki[1].certificate])
    root = etree.fromstring(signed)
    reference = root.find(f".//{{{DS}}}Reference")
    reference.getparent().append(etree.fromstring(etree.tostring(reference)))
    assert _rule(etree.tostring(root), trust) == "bad_signature"  # two references
    root = etree.fromstring(signed)
    root.find(f".//{{{DS}}}Transforms")[0].set("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")
    assert _rule(etree.tostring(root), trust) == "bad_signature"
    root = etree.fromstring(signed)
    root.find(f".//{{{DS}}}Transforms")[1].set("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")
    assert _rule(etree.tostring(root), trust) == "wrong_algorithm"
    # a second signature anywhere (wrapping)
    root = etree.fromstring(signed)
    root.append(etree.fromstring(etree.tostring(root.find(f".//{{{DS}}}Signature"))))
    assert _rule(etree.tostring(root), trust) == "bad_signature"
    assert _rule(DOC, trust) == "unsigned"
    assert (
        _rule(DOC.replace(b"ds:Signature", b"Signature").replace(b"xmlns:ds", b"xmlns:x"), trust) == "wrong_namespace"
    )
    assert _rule(b"<a><b", trust) == "bad_signature"


def test_certificates_are_checked(pki):
    trust = _trust(pki)
    other_ca = crypto.make_ca("khác")
    stranger = crypto.issue(other_ca, common_name="lạ", identifier="000.00.99.H58")
    assert _rule(xmlsig.sign(DOC, stranger.key, [stranger.certificate, other_ca.certificate]), trust) == "untrusted"
    # the signing certificate of one key with the key of another
    forged = xmlsig.sign(DOC, stranger.key, [pki[1].certificate])
    assert _rule(forged, trust) == "bad_signature"
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=4000)
    old = crypto.issue(pki[0], common_name="cũ", identifier="000.00.01.H58", years=1, now=past)
    assert _rule(xmlsig.sign(DOC, old.key, [old.certificate]), trust) == "expired"
    signed = xmlsig.sign(DOC, pki[1].key, [pki[1].certificate])
    root = etree.fromstring(signed)
    root.find(f".//{{{DS}}}X509Certificate").text = "AAAA"
    assert _rule(etree.tostring(root), trust) == "no_certificate"
    root.find(f".//{{{DS}}}KeyInfo").clear()
    assert _rule(etree.tostring(root), trust) == "no_certificate"


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=_text, tail=st.sampled_from(["", " ", "\n  ", "x"]), attr=_text)
def test_any_content_round_trips_and_signxml_agrees(pki, subject, tail, attr):
    root = etree.fromstring(DOC)
    root.find(f".//{{{NS}}}Subject").text = subject
    root.find(f".//{{{NS}}}Subject").set("note", attr)
    root.find(f".//{{{DS}}}Signature").tail = tail
    doc = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    signed = xmlsig.sign(doc, pki[1].key, [pki[1].certificate])
    xmlsig.verify(signed, _trust(pki))
    if tail.strip():
        return  # signxml itself fails on text right after the Signature element (it re-parses it with its tail)
    signxml.XMLVerifier().verify(signed, x509_cert=pki[1].certificate)
    again = etree.fromstring(_signxml(doc, pki[1], xmlsig.EXC_C14N))
    mine = etree.fromstring(signed)
    digest = f".//{{{DS}}}DigestValue"
    assert again.find(digest).text == mine.find(digest).text
