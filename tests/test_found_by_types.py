"""Defects the type checker found (tests/test_types.py), each with the input that showed it.

- An RFC 2231 parameter (``protocol*=``) comes back from the standard library as a (charset,
  language, value) tuple: the PGP/MIME reader called ``.lower()`` on it and crashed on a hostile
  message instead of reading the value (the S/MIME inspector reads ``smime-type`` the same way
  now, through :func:`mailsec.mime.param_text`).
- DMARC's ``Policy`` is a ``str`` enum; a property named ``lower`` hid ``str.lower``.
- The Stateless OpenPGP API encrypting with a password and no recipient crashed.
- The exam bank's strict loader took a level written as ``1.0``.
"""

from __future__ import annotations

import pytest

from mailsec.dmarc.record import Policy
from mailsec.errors import DecryptionError, InputError
from mailsec.openpgp.pgpmime.read import read_message

ENCODED = "us-ascii''application%2Fpgp-encrypted"


def test_an_rfc_2231_protocol_parameter_is_read_not_crashed_on() -> None:
    message = (
        "From: a@example.org\r\nTo: b@example.org\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/encrypted; protocol*={ENCODED}; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n\r\nnot a message\r\n--b--\r\n"
    )
    with pytest.raises((DecryptionError, InputError)):  # read as PGP/MIME, then refused cleanly
        read_message(message.encode())


def test_a_dmarc_policy_is_still_a_string() -> None:
    assert Policy.REJECT.lower() == "reject"
    assert Policy.REJECT.weaker is Policy.QUARANTINE


def test_sop_encrypts_with_a_password_alone() -> None:
    from mailsec.cli.sop import MailsecSop

    sop = MailsecSop()
    sealed = sop.encrypt(b"hello", passwords={"pw": b"correct horse"})
    opened, _signatures, _session = sop.decrypt(bytes(sealed), passwords={"pw": b"correct horse"})
    assert bytes(opened) == b"hello"


def test_the_exam_loader_refuses_a_level_written_as_a_float(tmp_path) -> None:
    import json
    from importlib import resources

    from mailsec.exam.loading import load

    bank = json.loads(resources.files("mailsec").joinpath("data/exam/questions.json").read_text())
    bank["questions"][0]["level"] = float(bank["questions"][0]["level"])
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(bank, ensure_ascii=False), "utf-8")
    with pytest.raises(
        InputError, match=r"its level 1\.0 is not 1, 2 or 3|its level 2\.0|level 3\.0"
    ):
        load(path)


def test_a_certificate_with_an_ed25519_key_is_a_decryption_error(pki) -> None:
    """Decrypting with a certificate whose key is neither RSA nor EC: the opaque error, not a
    crash on the missing ``public_numbers``."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID
    from smime_samples import MAIL

    from mailsec.smime import ContentCipher, decrypt_message, encrypt_message
    from mailsec.smime.cms import load_content_info
    from mailsec.smime.enveloped import build_enveloped, open_enveloped

    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ed")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, None)
    )
    sealed = encrypt_message(MAIL, [pki.bob.certificate])
    with pytest.raises(DecryptionError):
        decrypt_message(sealed, key=pki.bob.key, certificate=certificate)
    der = build_enveloped(b"x", [pki.bob.certificate], ContentCipher.AES256_GCM)
    with pytest.raises(DecryptionError):  # the same check one level down
        open_enveloped(load_content_info(der), pki.bob.key, certificate)
