"""S/MIME signing and verifying (RFC 8551 §3.5, RFC 5652 §5 and §11).

multipart/signed with a detached signature from RSA and ECDSA signers: the message layout, the
canonical form that is signed (CRLF, 7-bit text), the signer's certificate, signed attributes and
their absence, and every verdict: valid, tampered content or signature, expired, wrong address,
untrusted or missing certificate, not yet valid; bad input to sign or verify is refused with a
sentence, and a damaged signature part never crashes the verifier.
"""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smime_samples import MAIL, SECRET

from mailsec.errors import InputError
from mailsec.smime import (
    MessageKind,
    SignatureStatus,
    encrypt_message,
    message_kind,
    sign_message,
    verify_message,
)
from mailsec.smime.cms import load_content_info
from mailsec.smime.mime import (
    CRLF,
    base64_lines,
    canonical_crlf,
    decode_body,
    split_message,
    split_multipart_signed,
)


def _signature_info(signed: bytes) -> cms.ContentInfo:
    data = canonical_crlf(signed)
    split = split_message(data)
    _, part = split_multipart_signed(split, data)
    return load_content_info(decode_body(split_message(part)))


@pytest.mark.parametrize("signer", ["alice", "bob"])
def test_sign_verify_round_trip(pki, signer):
    """RFC 8551 §3.5.3: multipart/signed with a detached signature; RSA and ECDSA signers."""
    identity = pki.users[signer]
    mail = MAIL.replace(b"Alice <alice@example.org>", f"<{identity.email}>".encode())
    signed = sign_message(mail, key=identity.key, certificate=identity.certificate)
    assert message_kind(signed) is MessageKind.SIGNED
    result = verify_message(signed, trusted=[pki.ca.certificate])
    assert result.status is SignatureStatus.VALID, result.steps
    assert result.valid
    assert result.signer == identity.certificate
    assert result.sender == identity.email
    assert result.content is not None and SECRET in result.content
    expected = "rsassa_pkcs1v15" if signer == "alice" else "ecdsa"
    assert result.signature.signature_algorithm == expected
    assert result.signature.signing_time is not None


def test_signed_message_layout(pki):
    """RFC 8551 §3.5.3: protocol and micalg parameters; outer header fields stay outside."""
    signed = sign_message(
        MAIL, key=pki.alice.key, certificate=pki.alice.certificate, boundary="BOUNDARY"
    )
    split = split_message(signed)
    assert split.content_type == "multipart/signed"
    assert split.param("protocol") == "application/pkcs7-signature"
    assert split.param("micalg") == "sha-256"
    assert split.header("Subject") == "Lunch on Friday"
    entity, part = split_multipart_signed(split, signed)
    assert entity.startswith(b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello Bob,\r\n")
    assert b"Subject:" not in entity
    assert split_message(part).content_type == "application/pkcs7-signature"
    assert b"\n" not in signed.replace(CRLF, b"")  # every line ends in CRLF


def test_signature_carries_signer_certificate(pki):
    """RFC 8551 §2.4.1: the signer's certificate is included in every signature."""
    for identity in (pki.alice, pki.bob):
        signed = sign_message(MAIL, key=identity.key, certificate=identity.certificate)
        certs = _signature_info(signed)["content"]["certificates"]
        ders = [c.chosen.dump() for c in certs]
        assert identity.certificate.public_bytes(serialization.Encoding.DER) in ders


@pytest.mark.parametrize("digest", ["sha384", "sha512"])
def test_other_digests(pki, digest):
    signed = sign_message(MAIL, key=pki.bob.key, certificate=pki.bob.certificate, digest=digest)
    assert split_message(signed).param("micalg") == f"sha-{digest[3:]}"
    result = verify_message(signed, trusted=[pki.ca.certificate])
    assert result.signature.digest_algorithm == digest
    assert result.status is SignatureStatus.WRONG_ADDRESS  # Bob signs a mail From: Alice


def test_line_endings_do_not_matter(pki):
    """RFC 8551 §3.1.1: signing works on the canonical CRLF form, whatever the input uses."""
    crlf_mail = MAIL.replace(b"\n", b"\r\n")
    a = sign_message(MAIL, key=pki.alice.key, certificate=pki.alice.certificate, boundary="B")
    b = sign_message(crlf_mail, key=pki.alice.key, certificate=pki.alice.certificate, boundary="B")
    entity_a, _ = split_multipart_signed(split_message(a), a)
    entity_b, _ = split_multipart_signed(split_message(b), b)
    assert entity_a == entity_b
    # A signed message stored with Unix line ends (LF) still verifies.
    stored = a.replace(b"\r\n", b"\n")
    assert verify_message(stored, trusted=[pki.ca.certificate]).valid


def test_eight_bit_text_is_made_seven_bit(pki):
    """RFC 8551 §3.1.2: signed text goes as 7-bit (quoted-printable) so no relay changes it."""
    mail = "From: alice@example.org\nSubject: 昼食\n\nこんにちは、ボブさん。\n".encode()
    signed = sign_message(mail, key=pki.alice.key, certificate=pki.alice.certificate)
    entity, _ = split_multipart_signed(split_message(signed), signed)
    assert entity.isascii()
    assert b"Content-Transfer-Encoding: quoted-printable" in entity
    assert verify_message(signed, trusted=[pki.ca.certificate]).valid


def test_tampered_content_is_detected(pki):
    """RFC 5652 §11.2: the message-digest attribute no longer matches the changed content."""
    signed = sign_message(MAIL, key=pki.alice.key, certificate=pki.alice.certificate)
    changed = signed.replace(b"noon", b"nine")
    result = verify_message(changed, trusted=[pki.ca.certificate])
    assert result.status is SignatureStatus.TAMPERED
    assert result.content is None
    assert result.signature.problem == "the content was changed after it was signed"


def test_tampered_signature_is_detected(pki):
    """RFC 5652 §5.6: a changed signature value does not verify."""
    signed = sign_message(MAIL, key=pki.bob.key, certificate=pki.bob.certificate)
    info = _signature_info(signed)
    der = bytearray(info.dump())
    signature = info["content"]["signer_infos"][0]["signature"].native
    at = bytes(der).rfind(signature)
    der[at + 10] ^= 0x01
    data = canonical_crlf(signed)
    split = split_message(data)
    _, part = split_multipart_signed(split, data)
    tampered = data.replace(split_message(part).body, base64_lines(bytes(der)))
    result = verify_message(tampered, trusted=[pki.ca.certificate])
    assert result.status is SignatureStatus.TAMPERED
    assert result.signature.problem == "the signature does not match: the message was changed"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("expired", SignatureStatus.EXPIRED),
        ("wrong_address", SignatureStatus.WRONG_ADDRESS),
        ("unknown_ca", SignatureStatus.UNTRUSTED),
    ],
)
def test_failure_certificates(pki, role, status):
    """RFC 8550: expired, wrong address (From: is Alice), untrusted CA."""
    identity = pki.users[role]
    signed = sign_message(MAIL, key=identity.key, certificate=identity.certificate)
    result = verify_message(signed, trusted=[pki.ca.certificate])
    assert result.signature.valid  # the signature itself is fine ...
    assert result.status is status  # ... the certificate is not
    assert result.content is None


def test_not_yet_valid_by_clock(pki):
    signed = sign_message(MAIL, key=pki.alice.key, certificate=pki.alice.certificate)
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    result = verify_message(signed, trusted=[pki.ca.certificate], now=past)
    assert result.status is SignatureStatus.NOT_YET_VALID


def test_signature_without_certificate_is_refused(pki):
    """RFC 8551 §2.4.1: without the signer's certificate nothing can be checked."""
    data = canonical_crlf(MAIL)
    split = split_message(data)
    entity = b"Content-Type: text/plain\r\n\r\n" + split.body
    der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(entity)
        .add_signer(pki.alice.certificate, pki.alice.key, hashes.SHA256())
        .sign(
            serialization.Encoding.DER,
            [
                pkcs7.PKCS7Options.DetachedSignature,
                pkcs7.PKCS7Options.Binary,
                pkcs7.PKCS7Options.NoCerts,
            ],
        )
    )
    from mailsec.smime.mime import Entity, make_multipart_signed

    signed = make_multipart_signed(split, Entity(entity), der, micalg="sha-256")
    result = verify_message(signed, trusted=[pki.ca.certificate])
    assert result.status is SignatureStatus.NO_CERTIFICATE
    assert result.content is None


def test_message_without_from_verifies_with_warning(pki):
    mail = b"Subject: no sender\n\nbody\n"
    signed = sign_message(mail, key=pki.alice.key, certificate=pki.alice.certificate)
    result = verify_message(signed, trusted=[pki.ca.certificate])
    assert result.valid
    assert result.sender is None
    assert any(s.outcome.value == "warn" and "no From:" in s.text for s in result.steps)


def test_verify_rejects_non_smime(pki):
    with pytest.raises(InputError) as caught:
        verify_message(MAIL, trusted=[pki.ca.certificate])
    assert caught.value.message == (
        "This is not an S/MIME signed message: its Content-Type is 'text/plain'. "
        "Give the whole message as it was received."
    )
    sealed = encrypt_message(MAIL, [pki.bob.certificate])
    with pytest.raises(InputError, match="This message is encrypted; decrypt it first"):
        verify_message(sealed, trusted=[pki.ca.certificate])


def test_truncated_signed_message(pki):
    signed = sign_message(MAIL, key=pki.alice.key, certificate=pki.alice.certificate)
    with pytest.raises(InputError, match="truncated"):
        verify_message(signed[: len(signed) // 2], trusted=[pki.ca.certificate])


def test_sign_rejects_mismatched_key(pki):
    with pytest.raises(InputError, match="does not belong to the certificate"):
        sign_message(MAIL, key=pki.bob.key, certificate=pki.alice.certificate)
    with pytest.raises(InputError, match="'md5' is not offered"):
        sign_message(MAIL, key=pki.alice.key, certificate=pki.alice.certificate, digest="md5")


def test_sign_rejects_non_messages(pki):
    with pytest.raises(InputError, match="The message is empty"):
        sign_message(b"  \n", key=pki.alice.key, certificate=pki.alice.certificate)
    with pytest.raises(InputError, match="is not a header field"):
        sign_message(
            b"just some text\nwithout headers\n\nbody",
            key=pki.alice.key,
            certificate=pki.alice.certificate,
        )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_text_signs_and_verifies(pki, body):
    """Property: whatever the text (any Unicode, any line ends), signing then verifying works."""
    mail = b"From: alice@example.org\nSubject: x\n\n" + body.encode("utf-8")
    signed = sign_message(mail, key=pki.alice.key, certificate=pki.alice.certificate)
    assert verify_message(signed, trusted=[pki.ca.certificate]).valid


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), value=st.integers(min_value=1, max_value=255))
def test_damaged_signature_never_crashes(pki, position, value):
    """Property: a changed byte in the signature part is a result or an InputError, never a crash."""
    signed = sign_message(MAIL, key=pki.alice.key, certificate=pki.alice.certificate)
    split = split_message(signed)
    entity, part = split_multipart_signed(split, signed)
    der = bytearray(decode_body(split_message(part)))
    der[position % len(der)] ^= value
    changed = signed.replace(split_message(part).body, base64_lines(bytes(der)))
    try:
        result = verify_message(changed, trusted=[pki.ca.certificate])
    except InputError:
        return
    if result.valid:  # only a change the signature does not cover (e.g. an unsigned field)
        assert result.content == entity


def test_content_type_attribute_must_match(pki):
    """RFC 5652 §11.1: a signature whose content-type attribute differs from eContentType fails."""
    signed = sign_message(MAIL, key=pki.alice.key, certificate=pki.alice.certificate)
    data = canonical_crlf(signed)
    split = split_message(data)
    _, part = split_multipart_signed(split, data)
    der = decode_body(split_message(part))
    encap_data = bytes.fromhex("300b06092a864886f70d010701")  # encapContentInfo { id-data }
    at = der.find(encap_data)
    assert at > 0
    changed = der[: at + 12] + b"\x02" + der[at + 13 :]  # id-data -> id-signedData
    tampered = data.replace(split_message(part).body, base64_lines(changed))
    result = verify_message(tampered, trusted=[pki.ca.certificate])
    assert result.status is SignatureStatus.TAMPERED
    assert result.signature.problem == "the signed content type does not match"


def test_eight_bit_transfer_encoding_is_made_seven_bit(pki):
    """RFC 8551 §3.1.2: text declared 8bit is re-encoded as quoted-printable before signing."""
    mail = (
        "From: alice@example.org\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\nGrüße, Bob!\n"
    ).encode()
    signed = sign_message(mail, key=pki.alice.key, certificate=pki.alice.certificate)
    entity, _ = split_multipart_signed(split_message(signed), signed)
    assert entity.isascii()
    assert entity.count(b"Content-Transfer-Encoding") == 1
    assert b"Content-Transfer-Encoding: quoted-printable" in entity
    assert b"Gr=C3=BC=C3=9Fe" in entity
    assert verify_message(signed, trusted=[pki.ca.certificate]).valid


@pytest.mark.parametrize("signer", ["alice", "bob"])
def test_signature_without_signed_attributes(pki, signer):
    """RFC 5652 §5.4: without signed attributes the signature covers the content itself."""
    from mailsec.smime.mime import Entity, make_multipart_signed

    identity = pki.users[signer]
    mail = MAIL.replace(b"Alice <alice@example.org>", f"<{identity.email}>".encode())
    split = split_message(canonical_crlf(mail))
    entity = Entity.from_split(split, seven_bit=True)
    der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(entity.data)
        .add_signer(identity.certificate, identity.key, hashes.SHA256())
        .sign(
            serialization.Encoding.DER,
            [
                pkcs7.PKCS7Options.DetachedSignature,
                pkcs7.PKCS7Options.Binary,
                pkcs7.PKCS7Options.NoAttributes,
            ],
        )
    )
    signed = make_multipart_signed(split, entity, der, micalg="sha-256")
    assert not _signature_info(signed)["content"]["signer_infos"][0]["signed_attrs"]
    result = verify_message(signed, trusted=[pki.ca.certificate])
    assert result.status is SignatureStatus.VALID, result.steps
    assert result.signature.signing_time is None
    changed = verify_message(signed.replace(b"noon", b"nine"), trusted=[pki.ca.certificate])
    assert changed.status is SignatureStatus.TAMPERED
    assert changed.signature.problem == "the signature does not match: the message was changed"
