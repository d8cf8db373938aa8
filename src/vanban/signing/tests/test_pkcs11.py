"""PKCS#11 keys with SoftHSM2: a token in a temporary directory (private SOFTHSM2_CONF), a key
imported with softhsm2-util and its certificate with python-pkcs11; registration reads the
certificate with the PIN once, signing opens the token with the PIN given then."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ValidationError

from vanban.signing import crypto, pki, services
from vanban.signing.models import SigningIdentity

from .test_pki_helpers import sign, validate

LIBRARY = services.DEFAULT_PKCS11_LIBRARY
TOKEN, PIN, SO_PIN = "vanban-test", "1234", "5678"


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    """A token holding the key of "Lanhdao A" (label leader, id 01) and its certificate. Fails,
    never skips, without SoftHSM2: the suite must exercise PKCS#11 (scripts/bootstrap.sh installs
    the Debian package softhsm2)."""
    if not (os.path.exists(LIBRARY) and shutil.which("softhsm2-util")):
        pytest.fail(
            f"SoftHSM2 is not installed ({LIBRARY}, softhsm2-util): run `scripts/bootstrap.sh test` or "
            "`apt-get install -y --no-install-recommends softhsm2`.",
            pytrace=False,
        )
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read by the library when it initialises
    env = {**os.environ}
    root = pki.make_root("Token Root")
    leader = pki.issue_signer(root, "Lanhdao A")
    key_file = home / "key.pem"
    key_file.write_bytes(
        leader.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    run = {"check": True, "env": env, "capture_output": True}
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN], **run
    )
    subprocess.run(
        ["softhsm2-util", "--import", str(key_file), "--token", TOKEN, "--label", "leader", "--id", "01", "--pin", PIN],
        **run,
    )
    key_file.unlink()
    lib = pkcs11.lib(LIBRARY)
    with lib.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: "leader",
                Attribute.ID: b"\x01",
                Attribute.SUBJECT: leader.certificate.subject.public_bytes(),
                Attribute.VALUE: leader.certificate.public_bytes(serialization.Encoding.DER),
            }
        )
    yield {"root": root, "leader": leader}
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


def test_register_refuses_a_wrong_pin_an_unknown_token_and_a_library_not_allowed(province, token):
    base = {"owner_person": province.leader_a, "key_label": "leader"}
    with pytest.raises(ValidationError) as exc:
        services.register_pkcs11(province.admin_a, token_label=TOKEN, pin="0000", **base)
    assert "pin" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.register_pkcs11(province.admin_a, token_label="no-such-token", pin=PIN, **base)
    assert "token_label" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.register_pkcs11(province.admin_a, token_label=TOKEN, pin=PIN, library="/tmp/evil.so", **base)
    assert "library" in exc.value.message_dict
    with pytest.raises(ValidationError):  # the token's certificate names someone else
        services.register_pkcs11(
            province.admin_a, owner_person=province.clerk_a, key_label="leader", token_label=TOKEN, pin=PIN
        )
    assert SigningIdentity.objects.count() == 0


def test_register_and_sign_a_pdf_with_the_token(province, token):
    identity = services.register_pkcs11(
        province.admin_a, owner_person=province.leader_a, token_label=TOKEN, key_label="leader", pin=PIN
    )
    identity.refresh_from_db()
    assert identity.kind == SigningIdentity.Kind.PKCS11
    assert identity.private_key_pem == ""
    assert identity.fingerprint == crypto.fingerprint(token["leader"].certificate)
    row = SigningIdentity.objects.filter(pk=identity.pk).values().get()
    assert not any(str(v) == PIN for v in row.values())  # the PIN is not stored
    with pytest.raises(ValidationError):
        services.signer_for(identity)  # no PIN, no signature
    with services.signing_session(identity, pin=PIN) as signer:
        pdf = sign(signer)
    status = validate(pdf, services.validation_context(extra_roots=[token["root"].certificate], fetch=False))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
