"""S/MIME messages (RFC 8551) and the hand-written CMS parts (RFC 5652, 5083, 5084, 5753)."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asymmetric_padding
from cryptography.hazmat.primitives.serialization import pkcs7
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsec.errors import DecryptionError, InputError
from mailsec.pki import course_pki
from mailsec.smime import (
    ContentCipher,
    MessageKind,
    RecipientKind,
    SignatureStatus,
    decrypt_message,
    encrypt_message,
    message_kind,
    sign_and_encrypt,
    sign_message,
    verify_message,
)
from mailsec.smime.cms import load_content_info
from mailsec.smime.enveloped import OPAQUE, build_enveloped, open_enveloped
from mailsec.smime.mime import (
    CRLF,
    base64_lines,
    canonical_crlf,
    decode_body,
    split_message,
    split_multipart_signed,
)

MAIL = (
    b"From: Alice <alice@example.org>\n"
    b"To: Bob <bob@example.net>\n"
    b"Subject: Lunch on Friday\n"
    b"Date: Sat, 28 Nov 2026 10:00:00 +0000\n"
    b"\n"
    b"Hello Bob,\n"
    b"see you at noon by the fountain.\n"
    b"Alice\n"
)
SECRET = b"see you at noon by the fountain."


@pytest.fixture(scope="module")
def pki():
    return course_pki()


def _signature_info(signed: bytes) -> cms.ContentInfo:
    data = canonical_crlf(signed)
    split = split_message(data)
    _, part = split_multipart_signed(split, data)
    return load_content_info(decode_body(split_message(part)))


# -- signing and verifying -------------------------------------------------------------------------


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


# -- encrypting and decrypting -------------------------------------------------------------------


@pytest.mark.parametrize("cipher", list(ContentCipher))
def test_encrypt_decrypt_every_cipher_and_recipient(pki, cipher):
    """RFC 5652 §6 (CBC), RFC 5083/5084 (GCM); RSA (ktri) and ECDH (kari, RFC 5753) recipients."""
    sealed = encrypt_message(MAIL, [pki.alice.certificate, pki.bob.certificate], cipher=cipher)
    kind = MessageKind.AUTH_ENVELOPED if cipher.authenticated else MessageKind.ENVELOPED
    assert message_kind(sealed) is kind
    assert SECRET not in sealed
    for identity, recipient_kind in (
        (pki.alice, RecipientKind.KEY_TRANSPORT),
        (pki.bob, RecipientKind.KEY_AGREEMENT),
    ):
        opened = decrypt_message(sealed, key=identity.key, certificate=identity.certificate)
        assert SECRET in opened.entity
        assert opened.cipher is cipher
        assert opened.recipient_kind is recipient_kind
        assert opened.authenticated is cipher.authenticated
        assert opened.message.startswith(b"From: Alice <alice@example.org>\r\n")


@pytest.mark.parametrize("cipher", [ContentCipher.AES256_CBC, ContentCipher.AES128_CBC])
def test_rsa_only_cbc_is_made_by_cryptography(pki, cipher):
    """RSA recipients with AES-CBC: cryptography's PKCS7EnvelopeBuilder builds it (RFC 5652 §6)."""
    sealed = encrypt_message(MAIL, [pki.alice.certificate], cipher=cipher)
    info = load_content_info(decode_body(split_message(sealed)))
    assert info["content_type"].native == "enveloped_data"
    algorithm = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]
    assert algorithm["algorithm"].native == cipher.oid_name
    opened = decrypt_message(sealed, key=pki.alice.key, certificate=pki.alice.certificate)
    assert SECRET in opened.entity
    assert any("cryptography" in s.text for s in opened.steps)


def test_headers_stay_outside_the_encryption(pki):
    """RFC 8551 §3.3: only the MIME entity is encrypted; Subject and From stay readable."""
    sealed = encrypt_message(MAIL, [pki.bob.certificate])
    split = split_message(sealed)
    assert split.header("Subject") == "Lunch on Friday"
    assert split.header("From") == "Alice <alice@example.org>"
    assert split.content_type == "application/pkcs7-mime"
    assert split.param("smime-type") == "authEnveloped-data"
    assert split.param("name") == "smime.p7m"
    assert split.header("Content-Disposition") == "attachment; filename=smime.p7m"


def test_gcm_structure(pki):
    """RFC 5083 §2.1 version 0; RFC 5084 §3.2 GCMParameters with a 12-byte nonce; 16-byte mac."""
    fixed = iter([bytes(range(32)), bytes(range(100, 112))])
    der = build_enveloped(
        b"Content-Type: text/plain\r\n\r\nhi\r\n",
        [pki.alice.certificate],
        ContentCipher.AES256_GCM,
        random_bytes=lambda n: next(fixed)[:n],
    )
    info = load_content_info(der)
    assert info["content_type"].native == "authenticated_enveloped_data"
    body = info["content"]
    assert body["version"].native == "v0"
    eci = body["auth_encrypted_content_info"]
    assert eci["content_encryption_algorithm"]["algorithm"].native == "aes256_gcm"
    params = eci["content_encryption_algorithm"]["parameters"].dump()
    assert bytes(range(100, 112)) in params
    assert len(body["mac"].native) == 16
    assert cms.ContentInfo.load(der).dump(force=True) == der  # our hand-written DER is DER


def test_ecdh_recipient_structure(pki):
    """RFC 5753 §3.1.1: version 3, an ephemeral originator key, the SHA-256 KDF scheme, AES wrap."""
    der = build_enveloped(b"x", [pki.bob.certificate], ContentCipher.AES128_CBC)
    info = load_content_info(der)
    assert info["content"]["version"].native == "v2"  # RFC 5652 §6.1: a kari is not version 0
    kari = info["content"]["recipient_infos"][0].chosen
    assert kari["version"].native == "v3"
    assert kari["originator"].name == "originator_key"
    assert kari["key_encryption_algorithm"]["algorithm"].dotted == "1.3.132.1.11.1"
    wrap = cms.KeyEncryptionAlgorithm.load(kari["key_encryption_algorithm"]["parameters"].dump())
    assert wrap["algorithm"].native == "aes128_wrap"
    assert len(kari["recipient_encrypted_keys"][0]["encrypted_key"].native) == 24


def test_sign_then_encrypt(pki):
    """RFC 8551 §3.7: the signed message is the content of the encryption."""
    sealed = sign_and_encrypt(
        MAIL,
        key=pki.alice.key,
        certificate=pki.alice.certificate,
        recipients=[pki.bob.certificate, pki.alice.certificate],
    )
    opened = decrypt_message(sealed, key=pki.bob.key, certificate=pki.bob.certificate)
    assert opened.entity.startswith(b"Content-Type: multipart/signed")
    result = verify_message(opened.message, trusted=[pki.ca.certificate])
    assert result.valid and result.sender == "alice@example.org"


@pytest.mark.parametrize("where", ["ciphertext", "tag", "nonce"])
def test_gcm_tampering_releases_nothing(pki, where):
    """RFC 5084 §3.1: any change fails the tag check, and no plaintext comes out."""
    der = build_enveloped(b"Content-Type: text/plain\r\n\r\n" + SECRET, [pki.bob.certificate])
    info = load_content_info(der)
    body = info["content"]
    target = {
        "ciphertext": body["auth_encrypted_content_info"]["encrypted_content"].native,
        "tag": body["mac"].native,
        "nonce": body["auth_encrypted_content_info"]["content_encryption_algorithm"][
            "parameters"
        ].dump()[4:16],
    }[where]
    changed = bytearray(der)
    changed[der.rfind(target) + 3] ^= 0x80
    with pytest.raises(DecryptionError) as caught:
        open_enveloped(load_content_info(bytes(changed)), pki.bob.key, pki.bob.certificate)
    assert caught.value.message == (
        "The message could not be decrypted: the key does not open it, or it failed its "
        "integrity check because it was changed or damaged on the way. Nothing of its content "
        "is shown."
    )


def test_cbc_tampering_goes_unnoticed(pki):
    """The weakness behind EFAIL: CBC decrypts a changed ciphertext without complaint."""
    from mailsec.smime.inspect import efail_rewrite

    sealed = encrypt_message(MAIL, [pki.bob.certificate], cipher=ContentCipher.AES256_CBC)
    attack = efail_rewrite(sealed, known=b"Content-Type: te", injected=b"<img src='http:/")
    opened = decrypt_message(attack.message, key=pki.bob.key, certificate=pki.bob.certificate)
    assert opened.entity.startswith(b"<img src='http:/xt/plain")
    assert not opened.authenticated
    gcm = encrypt_message(MAIL, [pki.bob.certificate], cipher=ContentCipher.AES256_GCM)
    attack = efail_rewrite(gcm, known=b"Content-Type: te", injected=b"<img src='http:/")
    with pytest.raises(DecryptionError, match="integrity check"):
        decrypt_message(attack.message, key=pki.bob.key, certificate=pki.bob.certificate)


def test_wrong_recipient(pki):
    sealed = encrypt_message(MAIL, [pki.bob.certificate])
    with pytest.raises(DecryptionError) as caught:
        decrypt_message(sealed, key=pki.alice.key, certificate=pki.alice.certificate)
    assert caught.value.message == (
        "The message is not encrypted for this certificate: none of its 1 recipient(s) names it. "
        "Use the key and certificate of a recipient."
    )
    cbc = encrypt_message(MAIL, [pki.alice.certificate], cipher=ContentCipher.AES256_CBC)
    with pytest.raises(DecryptionError, match="not encrypted for this certificate"):
        decrypt_message(cbc, key=pki.wrong_address.key, certificate=pki.wrong_address.certificate)


def test_key_not_matching_certificate(pki):
    sealed = encrypt_message(MAIL, [pki.bob.certificate])
    with pytest.raises(DecryptionError, match="does not belong to the certificate"):
        decrypt_message(sealed, key=pki.alice.key, certificate=pki.bob.certificate)


@pytest.mark.parametrize("recipient", ["alice", "bob"])
def test_damaged_encrypted_key_is_opaque(pki, recipient):
    """A damaged wrapped key (RFC 3394 integrity check) or RSA block fails with no plaintext."""
    identity = pki.users[recipient]
    der = build_enveloped(b"Content-Type: text/plain\r\n\r\n" + SECRET, [identity.certificate])
    info = load_content_info(der)
    chosen = info["content"]["recipient_infos"][0].chosen
    if recipient == "bob":
        encrypted_key = chosen["recipient_encrypted_keys"][0]["encrypted_key"].native
    else:
        encrypted_key = chosen["encrypted_key"].native
    changed = bytearray(der)
    changed[der.find(encrypted_key) + 5] ^= 0x01
    with pytest.raises(DecryptionError) as caught:
        open_enveloped(load_content_info(bytes(changed)), identity.key, identity.certificate)
    assert "Nothing of its content is shown" in caught.value.message


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9, 0.99])
def test_truncated_encrypted_message(pki, cut):
    sealed = encrypt_message(MAIL * 20, [pki.bob.certificate])
    head, body = sealed.split(b"\r\n\r\n", 1)
    broken = head + b"\r\n\r\n" + body[: int(len(body) * cut)]
    with pytest.raises((InputError, DecryptionError)) as caught:
        decrypt_message(broken, key=pki.bob.key, certificate=pki.bob.certificate)
    assert "truncated" in caught.value.message or "integrity" in caught.value.message


def test_decrypt_rejects_other_input(pki):
    with pytest.raises(InputError, match="not an S/MIME encrypted message"):
        decrypt_message(MAIL, key=pki.bob.key, certificate=pki.bob.certificate)
    signed = sign_message(MAIL, key=pki.alice.key, certificate=pki.alice.certificate)
    with pytest.raises(InputError, match="signed, not encrypted"):
        decrypt_message(signed, key=pki.bob.key, certificate=pki.bob.certificate)
    garbage = (
        b"From: a@b\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\n"
        b"Content-Transfer-Encoding: base64\n\n" + base64.b64encode(b"not a CMS structure")
    )
    with pytest.raises(InputError, match="not a readable CMS structure"):
        decrypt_message(garbage, key=pki.bob.key, certificate=pki.bob.certificate)


def test_encrypt_needs_a_recipient():
    with pytest.raises(InputError, match="at least one recipient"):
        encrypt_message(MAIL, [])


def test_base64_lines_are_76_characters():
    """RFC 2045 §6.8: encoded lines are at most 76 characters."""
    data = bytes(range(256)) * 10
    encoded = base64_lines(data)
    lines = encoded.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) == 76 for line in lines[:-2]) and 0 < len(lines[-2]) <= 76
    assert base64.b64decode(encoded) == data
    assert base64_lines(b"") == b""


@given(st.binary(max_size=200))
def test_canonical_crlf_properties(data):
    once = canonical_crlf(data)
    assert canonical_crlf(once) == once
    assert once.replace(b"\r\n", b"").count(b"\n") == 0
    assert once.replace(b"\r\n", b"").count(b"\r") == 0


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), value=st.integers(min_value=1, max_value=255))
def test_damaged_gcm_never_yields_changed_plaintext(pki, position, value):
    """Property (RFC 5083 §2.2): one changed byte anywhere in the CMS structure either leaves
    the content provably intact or ends in a MailsecError, never a traceback or altered text."""
    from mailsec.errors import MailsecError

    sealed = encrypt_message(MAIL, [pki.bob.certificate, pki.alice.certificate])
    split = split_message(sealed)
    der = bytearray(decode_body(split))
    der[position % len(der)] ^= value
    head = sealed[: sealed.index(b"\r\n\r\n") + 4]
    try:
        opened = decrypt_message(
            head + base64_lines(bytes(der)), key=pki.bob.key, certificate=pki.bob.certificate
        )
    except MailsecError:
        return
    assert SECRET in opened.entity
    assert (
        opened.entity
        == decrypt_message(sealed, key=pki.bob.key, certificate=pki.bob.certificate).entity
    )


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


def test_message_kind_without_smime_type(pki):
    """RFC 8551 §3.2.2: smime-type is optional; the CMS content type decides then."""
    sealed = encrypt_message(MAIL, [pki.bob.certificate], cipher=ContentCipher.AES128_CBC)
    bare = sealed.replace(b"smime-type=enveloped-data; ", b"")
    assert b"smime-type" not in bare
    assert message_kind(bare) is MessageKind.ENVELOPED
    assert decrypt_message(bare, key=pki.bob.key, certificate=pki.bob.certificate).entity.endswith(
        b"Alice\r\n"
    )
    assert message_kind(MAIL) is MessageKind.PLAIN


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.builds(
            lambda ctype, body: (
                b"From: a@example.org\r\nContent-Type: " + ctype + b"\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n" + body
            ),
            st.sampled_from(
                [
                    b"application/pkcs7-mime; smime-type=enveloped-data",
                    b"application/pkcs7-mime",
                    b'multipart/signed; protocol="application/pkcs7-signature"; boundary=b',
                    b"text/plain",
                ]
            ),
            st.binary(max_size=300),
        ),
    )
)
def test_arbitrary_input_never_crashes(pki, data):
    """Property: any input is either handled or refused with a MailsecError — no traceback."""
    from mailsec.errors import MailsecError

    for operation in (
        lambda: verify_message(data, trusted=[pki.ca.certificate]),
        lambda: decrypt_message(data, key=pki.bob.key, certificate=pki.bob.certificate),
        lambda: message_kind(data),
    ):
        with contextlib.suppress(MailsecError):
            operation()


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


def test_multipart_message_with_attachment(pki):
    """A multipart/mixed message is signed and encrypted whole, with its boundary intact."""
    mail = (
        b"From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: Report\n"
        b'Content-Type: multipart/mixed; boundary="XYZ"\n\n'
        b"--XYZ\nContent-Type: text/plain\n\nThe report is attached.\n"
        b"--XYZ\nContent-Type: application/pdf; name=report.pdf\n"
        b"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcfsj6IK\n--XYZ--\n"
    )
    sealed = sign_and_encrypt(
        mail, key=pki.alice.key, certificate=pki.alice.certificate, recipients=[pki.bob.certificate]
    )
    opened = decrypt_message(sealed, key=pki.bob.key, certificate=pki.bob.certificate)
    result = verify_message(opened.message, trusted=[pki.ca.certificate])
    assert result.valid
    assert result.content.startswith(b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n--XYZ')
    assert b"name=report.pdf" in result.content


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


def test_encrypt_refuses_unusable_recipient_certificates(pki):
    """RFC 5280 §4.1.2.5 and §4.2.1.3: no encryption to an expired certificate or a signing-only key."""
    with pytest.raises(InputError) as caught:
        encrypt_message(MAIL, [pki.bob.certificate, pki.expired.certificate])
    assert caught.value.message.startswith("The certificate of alice@example.org expired on ")
    with pytest.raises(InputError, match="does not allow its EC key to agree on keys"):
        encrypt_message(MAIL, [pki.ca.certificate])  # the CA key may only sign certificates
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400)
    with pytest.raises(InputError, match="expired on"):
        encrypt_message(MAIL, [pki.bob.certificate], now=later)


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 31, 32, 1000])
@pytest.mark.parametrize("cipher", list(ContentCipher))
def test_cms_round_trip_at_block_boundaries(pki, cipher, length):
    """RFC 5652 §6.3 padding (CBC) and RFC 5084 (GCM) for contents around the 16-byte block size."""
    content = bytes(range(256)) * 4
    content = content[:length]
    der = build_enveloped(content, [pki.alice.certificate, pki.bob.certificate], cipher)
    for identity in (pki.alice, pki.bob):
        opened = open_enveloped(load_content_info(der), identity.key, identity.certificate)
        assert opened.content == content
        assert opened.recipients == 2


# -- no decryption oracle ------------------------------------------------------------------------


def _with_encrypted_key(der: bytes, encrypted_key: bytes) -> bytes:
    """The same EnvelopedData/AuthEnvelopedData with the first recipient's key block replaced."""
    info = cms.ContentInfo.load(der)
    ktri = info["content"]["recipient_infos"][0].chosen
    ktri["encrypted_key"] = encrypted_key
    return info.dump(force=True)  # asn1crypto keeps the old bytes unless forced


@pytest.mark.parametrize("cipher", [ContentCipher.AES256_GCM, ContentCipher.AES256_CBC])
def test_every_failure_to_unwrap_or_decrypt_gives_the_same_answer(pki, cipher):
    """RFC 3218 §2.3.2: a bad PKCS #1 v1.5 block, a good block with a key of the wrong length,
    a wrong key of the right length and a changed ciphertext all end in one opaque error."""
    public = pki.alice.certificate.public_key()
    pad = asymmetric_padding.PKCS1v15()
    der = build_enveloped(
        b"Content-Type: text/plain\r\n\r\nsecret\r\n", [pki.alice.certificate], cipher
    )
    size = public.key_size // 8
    blocks = {
        "padding is wrong": (int.from_bytes(public.encrypt(b"x" * 32, pad), "big") ^ 1).to_bytes(
            size, "big"
        ),
        "key of 16 bytes": public.encrypt(b"k" * 16, pad),
        "wrong 32-byte key": public.encrypt(b"k" * 32, pad),
        "not a block at all": b"\x01\x02",
    }
    for name, block in blocks.items():
        info = load_content_info(_with_encrypted_key(der, block))
        try:
            opened = open_enveloped(info, pki.alice.key, pki.alice.certificate)
        except DecryptionError as failed:
            assert failed.message == OPAQUE, name
        else:
            # AES-CBC cannot tell a wrong key: about 1 in 256 random keys leave a valid padding
            # and "decrypt" to garbage, exactly as with any wrong key. Never the secret.
            assert not cipher.authenticated, name
            assert b"secret" not in opened.content, name


def test_the_cli_answers_every_decryption_failure_alike(pki, tmp_path):
    """One line, one exit status, whether the key block or the content is what was damaged."""
    import subprocess
    import sys

    key, cert = tmp_path / "alice.key.pem", tmp_path / "alice.pem"
    key.write_bytes(pki.alice.key_pem())
    cert.write_bytes(pki.alice.certificate_pem())
    sealed = encrypt_message(MAIL, [pki.alice.certificate])
    der = decode_body(split_message(canonical_crlf(sealed)))
    public = pki.alice.certificate.public_key()
    variants = [
        _with_encrypted_key(der, public.encrypt(b"k" * 16, asymmetric_padding.PKCS1v15())),
        _with_encrypted_key(der, b"\x00" * (public.key_size // 8)),
    ]
    head = canonical_crlf(sealed).split(CRLF + CRLF)[0] + CRLF + CRLF
    answers = set()
    for variant in [
        *(head + base64_lines(v) for v in variants),
        sealed[:-60] + b"AAAA" + sealed[-56:],
    ]:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "mailsec",
                "smime",
                "decrypt",
                "--key",
                str(key),
                "--cert",
                str(cert),
            ],
            input=variant,
            capture_output=True,
            timeout=60,
        )
        answers.add((run.returncode, run.stderr))
    assert len(answers) == 1, answers
    ((status, stderr),) = answers
    assert status != 0 and stderr.count(b"\n") == 1 and b"could not be decrypted" in stderr
