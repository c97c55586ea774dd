"""Interop with the OpenSSL 3 command line (``openssl cms``), in both directions.

Keys and certificates are generated at run time into a temporary folder.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mailsec.errors import DecryptionError
from mailsec.pki import course_pki
from mailsec.smime import (
    ContentCipher,
    KeyTransport,
    RecipientKind,
    SignatureStatus,
    decrypt_message,
    encrypt_message,
    sign_and_encrypt,
    sign_message,
    verify_message,
)
from mailsec.smime.inspect import cms_outline, flip_byte

OPENSSL = shutil.which("openssl")
pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        OPENSSL is None, reason="the openssl command is not installed (Debian package 'openssl')"
    ),
]

MAIL = (
    b"From: Alice <alice@example.org>\r\n"
    b"To: Bob <bob@example.net>\r\n"
    b"Subject: Interop\r\n"
    b"\r\n"
    b"Hello Bob,\r\nthis went through OpenSSL.\r\n"
)
ENTITY = b"Content-Type: text/plain\r\n\r\nHello from openssl cms.\r\n"


@pytest.fixture(scope="module")
def pki():
    return course_pki()


@pytest.fixture(scope="module")
def files(pki, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    for name in ("ca", "alice", "bob"):
        identity = getattr(pki, name)
        (folder / f"{name}.pem").write_bytes(identity.certificate_pem())
        (folder / f"{name}.key.pem").write_bytes(identity.key_pem())
    (folder / "entity.txt").write_bytes(ENTITY)
    return folder


def openssl(*args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [OPENSSL or "openssl", *args], input=data, capture_output=True, timeout=60, check=False
    )


# -- mailsec writes, OpenSSL reads ------------------------------------------------------------------


@pytest.mark.parametrize("signer", ["alice", "bob"])
def test_openssl_verifies_our_signatures(pki, files, signer):
    """RFC 8551 §3.5.3: RSA and ECDSA multipart/signed messages verify with openssl cms."""
    identity = getattr(pki, signer)
    signed = sign_message(MAIL, key=identity.key, certificate=identity.certificate)
    # No -certfile: the signer's certificate must come from the signature itself.
    done = openssl(
        "cms", "-verify", "-CAfile", str(files / "ca.pem"), "-purpose", "smimesign", data=signed
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"Verification successful" in done.stderr
    assert done.stdout.replace(b"\r\n", b"\n").endswith(b"this went through OpenSSL.\n")


def test_openssl_notices_tampering_of_our_signature(pki, files):
    signed = sign_message(MAIL, key=pki.alice.key, certificate=pki.alice.certificate)
    done = openssl(
        "cms", "-verify", "-CAfile", str(files / "ca.pem"), data=signed.replace(b"Bob,", b"Rob,")
    )
    assert done.returncode != 0


@pytest.mark.parametrize("cipher", list(ContentCipher))
@pytest.mark.parametrize("recipient", ["alice", "bob"])
def test_openssl_decrypts_our_messages(pki, files, cipher, recipient):
    """RSA (ktri) and EC (kari, RFC 5753) recipients; CBC EnvelopedData and GCM AuthEnvelopedData."""
    sealed = encrypt_message(MAIL, [pki.alice.certificate, pki.bob.certificate], cipher=cipher)
    done = openssl(
        "cms",
        "-decrypt",
        "-recip",
        str(files / f"{recipient}.pem"),
        "-inkey",
        str(files / f"{recipient}.key.pem"),
        data=sealed,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert (
        done.stdout
        == b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello Bob,\r\nthis went through OpenSSL.\r\n"
    )


def test_openssl_reads_sign_then_encrypt(pki, files):
    sealed = sign_and_encrypt(
        MAIL,
        key=pki.alice.key,
        certificate=pki.alice.certificate,
        recipients=[pki.bob.certificate],
    )
    opened = openssl(
        "cms",
        "-decrypt",
        "-recip",
        str(files / "bob.pem"),
        "-inkey",
        str(files / "bob.key.pem"),
        data=sealed,
    )
    assert opened.returncode == 0, opened.stderr.decode()
    verified = openssl("cms", "-verify", "-CAfile", str(files / "ca.pem"), data=opened.stdout)
    assert verified.returncode == 0, verified.stderr.decode()
    assert b"this went through OpenSSL." in verified.stdout


# -- OpenSSL writes, mailsec reads ------------------------------------------------------------------


@pytest.mark.parametrize("signer", ["alice", "bob"])
@pytest.mark.parametrize("opaque", [False, True])
def test_we_verify_openssl_signatures(pki, files, signer, opaque):
    """openssl cms -sign (RSA and ECDSA; detached and opaque) carries the signer's certificate."""
    identity = getattr(pki, signer)
    args = [
        "cms",
        "-sign",
        "-in",
        str(files / "entity.txt"),
        "-signer",
        str(files / f"{signer}.pem"),
        "-inkey",
        str(files / f"{signer}.key.pem"),
        "-from",
        identity.email,
        "-to",
        "bob@example.net",
        "-subject",
        "From OpenSSL",
    ]
    if opaque:
        args.append("-nodetach")
    done = openssl(*args)
    assert done.returncode == 0, done.stderr.decode()
    result = verify_message(done.stdout, trusted=[pki.ca.certificate])
    assert result.status is SignatureStatus.VALID, result.steps
    assert result.content == ENTITY
    assert result.sender == identity.email


def test_we_detect_tampering_of_openssl_signature(pki, files):
    done = openssl(
        "cms",
        "-sign",
        "-in",
        str(files / "entity.txt"),
        "-signer",
        str(files / "alice.pem"),
        "-inkey",
        str(files / "alice.key.pem"),
        "-from",
        "alice@example.org",
    )
    tampered = done.stdout.replace(b"Hello from", b"Hullo from")
    result = verify_message(tampered, trusted=[pki.ca.certificate])
    assert result.status is SignatureStatus.TAMPERED


@pytest.mark.parametrize("cipher", ["-aes128", "-aes256", "-aes-256-gcm"])
@pytest.mark.parametrize("recipient", ["alice", "bob"])
def test_we_decrypt_openssl_messages(pki, files, cipher, recipient):
    """OpenSSL 3 writes dhSinglePass-stdDH-sha1kdf-scheme for EC recipients; we read it."""
    done = openssl(
        "cms",
        "-encrypt",
        "-in",
        str(files / "entity.txt"),
        cipher,
        "-from",
        "alice@example.org",
        "-subject",
        "From OpenSSL",
        str(files / "alice.pem"),
        str(files / "bob.pem"),
    )
    assert done.returncode == 0, done.stderr.decode()
    identity = getattr(pki, recipient)
    opened = decrypt_message(done.stdout, key=identity.key, certificate=identity.certificate)
    assert opened.entity == ENTITY
    assert opened.authenticated is (cipher == "-aes-256-gcm")
    expected = RecipientKind.KEY_TRANSPORT if recipient == "alice" else RecipientKind.KEY_AGREEMENT
    assert opened.recipient_kind is expected
    assert b"From: alice@example.org\r\n" in opened.message
    assert b"Subject: From OpenSSL\r\n" in opened.message
    assert opened.message.endswith(ENTITY)


def test_we_refuse_tampered_openssl_gcm(pki, files):
    """Stricter than openssl cms: nothing of a GCM message that fails its tag is returned."""
    done = openssl(
        "cms",
        "-encrypt",
        "-in",
        str(files / "entity.txt"),
        "-aes-256-gcm",
        str(files / "bob.pem"),
    )
    tampered = flip_byte(done.stdout, 7).message
    with pytest.raises(DecryptionError, match="integrity check"):
        decrypt_message(tampered, key=pki.bob.key, certificate=pki.bob.certificate)


@pytest.mark.parametrize("cipher", ["-aes-256-gcm", "-aes256"])
@pytest.mark.parametrize("digest", [None, "sha256"])
def test_we_decrypt_openssl_oaep(pki, files, cipher, digest):
    """RSA-OAEP key transport (RFC 8551 §2.3 recommends it), as openssl writes it with -keyopt:
    SHA-1 by default (absent or default parameters, RFC 8017 §A.2.1) or SHA-256; GCM and CBC."""
    options = ["-keyopt", "rsa_padding_mode:oaep"]
    if digest:
        options += ["-keyopt", f"rsa_oaep_md:{digest}", "-keyopt", f"rsa_mgf1_md:{digest}"]
    done = openssl(
        "cms", "-encrypt", "-in", str(files / "entity.txt"), cipher,
        "-recip", str(files / "alice.pem"), *options,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    opened = decrypt_message(done.stdout, key=pki.alice.key, certificate=pki.alice.certificate)
    assert opened.entity == ENTITY
    assert any("rsaes_oaep" in step.text for step in opened.steps)


@pytest.mark.parametrize("cipher", [ContentCipher.AES256_GCM, ContentCipher.AES256_CBC])
def test_openssl_decrypts_our_oaep(pki, files, cipher):
    """--key-transport rsa-oaep: RSAES-OAEP with SHA-256 (RFC 3560), which openssl reads."""
    sealed = encrypt_message(
        MAIL, [pki.alice.certificate, pki.bob.certificate], cipher=cipher,
        key_transport=KeyTransport.RSA_OAEP,
    )  # fmt: skip
    assert b"rsaes" not in sealed  # base64 on the wire; the outline below looks inside
    assert any(
        "rsaes-oaep" in node.detail
        for ri in cms_outline(sealed).children[0].children
        for node in ri.children
    )
    done = openssl(
        "cms", "-decrypt", "-recip", str(files / "alice.pem"), "-inkey",
        str(files / "alice.key.pem"), data=sealed,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.replace(b"\r\n", b"\n").endswith(b"this went through OpenSSL.\n")


@pytest.mark.parametrize("cipher", ["-aes128", "-aes256"])
def test_we_decrypt_openssl_rsa_cbc_with_cryptography(pki, files, cipher):
    """RSA-only AES-CBC EnvelopedData goes through cryptography's pkcs7_decrypt_der."""
    done = openssl(
        "cms", "-encrypt", "-in", str(files / "entity.txt"), cipher, str(files / "alice.pem")
    )
    assert done.returncode == 0, done.stderr.decode()
    opened = decrypt_message(done.stdout, key=pki.alice.key, certificate=pki.alice.certificate)
    assert opened.entity == ENTITY
    assert any("done by cryptography" in step.text for step in opened.steps)
    with pytest.raises(DecryptionError, match="not encrypted for this certificate"):
        decrypt_message(done.stdout, key=pki.bob.key, certificate=pki.bob.certificate)


def test_we_verify_openssl_rsa_pss_signatures(pki, files):
    """RSASSA-PSS signers (RFC 8551 §2.2 lists them; RFC 4056 in CMS), as openssl writes them."""
    done = openssl(
        "cms", "-sign", "-in", str(files / "entity.txt"), "-signer", str(files / "alice.pem"),
        "-inkey", str(files / "alice.key.pem"), "-keyopt", "rsa_padding_mode:pss",
        "-from", "alice@example.org",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    result = verify_message(done.stdout, trusted=[pki.ca.certificate])
    assert result.signature.signature_algorithm == "rsassa_pss"
    assert result.status is SignatureStatus.VALID, result.steps
    tampered = verify_message(
        done.stdout.replace(b"Hello from", b"Jello from"), trusted=[pki.ca.certificate]
    )
    assert tampered.status is SignatureStatus.TAMPERED


@pytest.mark.parametrize("digest", ["sha1", "md5"])
def test_signatures_over_broken_hashes_are_not_valid(pki, files, digest):
    """SHA-1 and MD5 collisions can be computed: such a signature proves nothing (RFC 8551 §2.1)."""
    done = openssl(
        "cms", "-sign", "-md", digest, "-in", str(files / "entity.txt"),
        "-signer", str(files / "alice.pem"), "-inkey", str(files / "alice.key.pem"),
    )  # fmt: skip
    if done.returncode != 0 and digest == "md5":
        pytest.skip(f"this openssl refuses to sign with MD5: {done.stderr.decode()[:80]}")
    assert done.returncode == 0, done.stderr.decode()
    result = verify_message(done.stdout, trusted=[pki.ca.certificate])
    assert result.status is SignatureStatus.WEAK_HASH
    assert not result.valid
    assert any("collisions can be computed" in step.text for step in result.steps)
