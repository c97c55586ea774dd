"""S/MIME encrypting and decrypting: EnvelopedData and AuthEnvelopedData (RFC 8551 §3.3, RFC 5652
§6, RFC 5083, RFC 5084, RFC 5753).

Every content cipher (AES-CBC, AES-GCM) to RSA (key transport) and ECDH (key agreement)
recipients, the CMS structures as the RFCs lay them out, headers kept outside the encryption,
signing then encrypting, contents around the block size, and every failure: tampering (caught by
GCM, not by CBC), the wrong recipient or key, a damaged key block, a truncated message, unusable
recipient certificates and input that is not an encrypted message.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from asn1crypto import cms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smime_samples import MAIL, SECRET

from mailsec.errors import DecryptionError, InputError
from mailsec.smime import (
    ContentCipher,
    MessageKind,
    RecipientKind,
    decrypt_message,
    encrypt_message,
    message_kind,
    sign_and_encrypt,
    sign_message,
    verify_message,
)
from mailsec.smime.cms import load_content_info
from mailsec.smime.enveloped import build_enveloped, open_enveloped
from mailsec.smime.mime import (
    base64_lines,
    decode_body,
    split_message,
)


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


@pytest.mark.parametrize("cipher", list(ContentCipher))
def test_content_encrypted_in_place_matches_one_shot_encryption(pki, cipher, monkeypatch):
    """The content is encrypted straight into the structure, a chunk at a time (made tiny here):
    the ciphertext and tag are those of one-shot encryption, and asn1crypto reads the DER."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.padding import PKCS7

    from mailsec.smime import enveloped

    monkeypatch.setattr(enveloped, "_CHUNK", 32)
    for length in (0, 1, 16, 31, 32, 33, 64, 100, 1000):
        content = bytes(range(256)) * 4
        content = content[:length]
        draws = iter([b"K" * cipher.key_size, b"N" * (12 if cipher.authenticated else 16)])
        der = build_enveloped(
            content, [pki.bob.certificate], cipher, random_bytes=lambda n, d=draws: next(d)
        )
        assert isinstance(der, bytes)
        body = cms.ContentInfo.load(der)["content"]
        key = b"K" * cipher.key_size
        if cipher.authenticated:
            eci = body["auth_encrypted_content_info"]
            sealed = AESGCM(key).encrypt(b"N" * 12, content, None)
            assert eci["encrypted_content"].native == sealed[:-16]
            assert body["mac"].native == sealed[-16:]
        else:
            eci = body["encrypted_content_info"]
            padder = PKCS7(128).padder()
            padded = padder.update(content) + padder.finalize()
            encryptor = Cipher(algorithms.AES(key), modes.CBC(b"N" * 16)).encryptor()
            assert eci["encrypted_content"].native == encryptor.update(padded)
        assert cms.ContentInfo.load(der).dump(force=True) == der
        opened = open_enveloped(load_content_info(der), pki.bob.key, pki.bob.certificate)
        assert opened.content == content


@pytest.mark.parametrize("cipher", [ContentCipher.AES256_GCM, ContentCipher.AES256_CBC])
def test_large_ciphertext_is_parsed_apart_from_the_structure(pki, cipher):
    """cms.load_hollow: the structure as asn1crypto reads it whole, less the ciphertext, which is
    a view into the DER; a changed byte still fails GCM's tag check with the one opaque error."""
    from mailsec.smime.cms import HOLLOW_FROM, load_hollow
    from mailsec.smime.enveloped import OPAQUE

    content = b"Content-Type: text/plain\r\n\r\n" + SECRET * (HOLLOW_FROM // len(SECRET) + 1)
    der = build_enveloped(content, [pki.alice.certificate, pki.bob.certificate], cipher)
    assert load_hollow(build_enveloped(b"x", [pki.bob.certificate], cipher)) is None
    info, ciphertext, _offset = load_hollow(der)
    whole = cms.ContentInfo.load(der)["content"]
    field = "auth_encrypted_content_info" if cipher.authenticated else "encrypted_content_info"
    assert bytes(ciphertext) == whole[field]["encrypted_content"].native
    for name, _spec, *_ in whole._fields:
        if name != field and whole[name].native is not None:
            assert info["content"][name].dump() == whole[name].dump()
    for identity in (pki.alice, pki.bob):
        opened = open_enveloped(info, identity.key, identity.certificate, ciphertext=ciphertext)
        assert opened.content == content
    lines = (SECRET + b"\r\n") * (HOLLOW_FROM // len(SECRET))
    sealed = encrypt_message(MAIL + lines, [pki.bob.certificate], cipher=cipher)
    opened = decrypt_message(sealed, key=pki.bob.key, certificate=pki.bob.certificate)
    assert opened.message.endswith(lines)
    if cipher.authenticated:
        body = split_message(sealed)
        der = bytearray(decode_body(body))
        der[len(der) // 2] ^= 1
        head = sealed[: len(sealed) - len(body.body)]
        with pytest.raises(DecryptionError) as caught:
            decrypt_message(
                head + base64_lines(bytes(der)), key=pki.bob.key, certificate=pki.bob.certificate
            )
        assert caught.value.message == OPAQUE


@pytest.mark.parametrize("cipher", list(ContentCipher))
def test_content_in_pieces_is_encrypted_as_if_joined(pki, cipher, monkeypatch):
    """build_enveloped_buffer takes the entity as pieces (header fields, a view of the body):
    the DER is byte for byte that of the joined content, wherever the pieces are cut."""
    from mailsec.smime import enveloped

    monkeypatch.setattr(enveloped, "_CHUNK", 16)
    content = bytes(range(256)) * 3 + b"tail"

    def draws():
        values = iter([b"K" * cipher.key_size, b"N" * 16])
        return lambda n: next(values)[:n]

    whole = build_enveloped(content, [pki.bob.certificate], cipher, random_bytes=draws())
    for cut in (0, 1, 15, 16, 17, 100, len(content)):
        pieces = (content[:cut], memoryview(content)[cut:])
        der = enveloped.build_enveloped_buffer(
            pieces, [pki.bob.certificate], cipher, random_bytes=draws()
        )
        assert isinstance(der, bytearray)
        # The recipient's one-time ECDH key differs per run; the encrypted content (and the tag
        # after it) is equal.
        assert len(der) == len(whole)
        assert der[-len(content) :] == whole[-len(content) :]


def test_encrypting_reads_a_canonical_body_and_a_bare_lf_body_alike(pki):
    """A CRLF body is encrypted from the message's own bytes, an LF body from its canonical copy."""
    canonical = MAIL.replace(b"\n", b"\r\n")
    for cipher in (ContentCipher.AES256_GCM, ContentCipher.AES256_CBC):
        for message in (canonical, MAIL):
            sealed = encrypt_message(message, [pki.bob.certificate], cipher=cipher)
            opened = decrypt_message(sealed, key=pki.bob.key, certificate=pki.bob.certificate)
            assert opened.message.endswith(canonical.split(b"\r\n\r\n", 1)[1])
            assert opened.entity.endswith(canonical.split(b"\r\n\r\n", 1)[1])


@pytest.mark.parametrize("cipher", list(ContentCipher))
def test_decrypt_message_buffer_decrypts_where_the_ciphertext_lies(pki, cipher):
    """The command line's decryption: the header fields and the entity are read-only views into
    the one buffer the body was decoded into, with the same content decrypt_message gives as
    bytes; and it holds a large message about once (tracemalloc), not three times."""
    import tracemalloc

    from mailsec.smime import decrypt_message_buffer

    lines = (SECRET + b"\r\n") * ((2 << 20) // len(SECRET))
    sealed = encrypt_message(MAIL + lines, [pki.bob.certificate], cipher=cipher)
    tracemalloc.start()
    try:
        opened = decrypt_message_buffer(sealed, key=pki.bob.key, certificate=pki.bob.certificate)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    copied = decrypt_message(sealed, key=pki.bob.key, certificate=pki.bob.certificate)
    assert type(copied.message) is bytes and opened.message == copied.message
    assert opened.entity == copied.entity and copied.message.endswith(lines)
    assert opened.message.readonly and opened.entity.obj is opened.message.obj
    assert peak < 1.6 * len(lines), f"peak {peak / len(lines):.1f}x the message size"


def test_a_refused_gcm_content_is_wiped_from_the_buffer(pki):
    """Decrypted in place, a content whose GCM tag does not match leaves nothing readable behind:
    the buffer is overwritten with zeros before the one opaque error."""
    from mailsec.smime.cms import HOLLOW_FROM, load_hollow
    from mailsec.smime.enveloped import OPAQUE

    content = b"Content-Type: text/plain\r\n\r\n" + SECRET * (HOLLOW_FROM // len(SECRET) + 1)
    der = bytearray(build_enveloped(content, [pki.bob.certificate], ContentCipher.AES256_GCM))
    info, ciphertext, offset = load_hollow(der)
    der[offset + 5] ^= 1
    with pytest.raises(DecryptionError) as caught:
        open_enveloped(info, pki.bob.key, pki.bob.certificate, ciphertext=ciphertext)
    assert caught.value.message == OPAQUE
    assert bytes(ciphertext) == bytes(len(ciphertext))
