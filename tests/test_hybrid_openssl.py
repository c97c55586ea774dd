"""Interop: the learning layer's primitives are the standard ones, checked with the openssl tool.

Keys are generated at run time into pytest's temporary folder. Skipped only when ``openssl`` is
not installed (Debian package ``openssl``; CI has it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from mailsec.hybrid import (
    HybridMessage,
    KeyKind,
    KeyPair,
    WrapMethod,
    WrappedKey,
    decrypt,
    encrypt,
    generate_keypair,
    new_content_key,
    seal,
    sign,
    unwrap,
)

OPENSSL = shutil.which("openssl")
pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        OPENSSL is None, reason="openssl is not installed (Debian package 'openssl')"
    ),
]
OAEP = [
    "-pkeyopt",
    "rsa_padding_mode:oaep",
    "-pkeyopt",
    "rsa_oaep_md:sha256",
    "-pkeyopt",
    "rsa_mgf1_md:sha256",
]


def openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(OPENSSL), *args], input=data, capture_output=True, timeout=60, check=False
    )


def write_keys(folder: Path, keypair: KeyPair) -> tuple[Path, Path]:
    private, public = folder / f"{keypair.owner}.key", folder / f"{keypair.owner}.pub"
    private.write_bytes(
        keypair.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        keypair.public.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture(scope="module")
def bob() -> KeyPair:
    return generate_keypair("Bob", KeyKind.RSA)


def test_openssl_unwraps_mailsecs_rsa_oaep_key(bob, tmp_path):
    """RFC 8017 §7.1.2: OpenSSL's RSA-OAEP (SHA-256, MGF1-SHA-256) recovers mailsec's content key."""
    private, _ = write_keys(tmp_path, bob)
    result = encrypt(b"interop", [bob.public])
    wrapped = tmp_path / "wrapped.bin"
    wrapped.write_bytes(result.message.wrapped_keys[0].wrapped)
    out = openssl("pkeyutl", "-decrypt", "-inkey", str(private), "-in", str(wrapped), *OAEP)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == result.content_key.key


def test_mailsec_unwraps_a_key_wrapped_by_openssl(bob, tmp_path):
    """RFC 8017 §7.1.1: a content key OpenSSL wrapped for Bob opens with mailsec."""
    _, public = write_keys(tmp_path, bob)
    key = bytes(range(32))
    out = openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", str(public), *OAEP, data=key)
    assert out.returncode == 0, out.stderr.decode()
    entry = WrappedKey("Bob", bob.public.key_id, WrapMethod.RSA_OAEP, "", out.stdout)
    assert unwrap(entry, bob) == key
    # A message sealed under that key, with OpenSSL's entry as Bob's, opens with mailsec.
    sealed = seal(b"hello from both", new_content_key(random=lambda n: key))
    message = HybridMessage(sealed.nonce, sealed.ciphertext, sealed.tag, (entry,))
    assert decrypt(message, bob).plaintext == b"hello from both"


def test_openssl_verifies_mailsecs_ed25519_signature(tmp_path):
    """RFC 8032 §5.1.7: OpenSSL verifies an Ed25519 signature made by mailsec."""
    alice = generate_keypair("Alice", KeyKind.ED25519)
    _, public = write_keys(tmp_path, alice)
    message, sig = tmp_path / "m.txt", tmp_path / "m.sig"
    message.write_bytes(b"Pay 10 EUR to Bob.")
    sig.write_bytes(sign(message.read_bytes(), alice).value)
    args = ["pkeyutl", "-verify", "-pubin", "-inkey", str(public), "-rawin"]
    good = openssl(*args, "-in", str(message), "-sigfile", str(sig))
    assert good.returncode == 0, good.stdout.decode() + good.stderr.decode()
    message.write_bytes(b"Pay 90 EUR to Bob.")
    bad = openssl(*args, "-in", str(message), "-sigfile", str(sig))
    assert bad.returncode != 0


def test_openssl_verifies_mailsecs_rsa_pss_signature(bob, tmp_path):
    """RFC 8017 §8.1.2: OpenSSL verifies RSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt)."""
    _, public = write_keys(tmp_path, bob)
    message, sig = tmp_path / "m.txt", tmp_path / "m.sig"
    message.write_bytes(b"Pay 10 EUR to Alice.")
    sig.write_bytes(sign(message.read_bytes(), bob).value)
    args = [
        "dgst",
        "-sha256",
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        "rsa_pss_saltlen:32",
        "-sigopt",
        "rsa_mgf1_md:sha256",
        "-verify",
        str(public),
        "-signature",
        str(sig),
    ]
    good = openssl(*args, str(message))
    assert good.returncode == 0, good.stdout.decode() + good.stderr.decode()
    message.write_bytes(b"Pay 90 EUR to Alice.")
    assert openssl(*args, str(message)).returncode != 0
