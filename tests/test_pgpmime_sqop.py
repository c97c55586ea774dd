"""PGP/MIME against Sequoia's sqop (the Stateless OpenPGP command line): both directions."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mailsec import openpgp
from mailsec.openpgp.pgpmime import (
    POLICY,
    PgpMimeKind,
    encrypt_message,
    micalg_for,
    read_message,
    sign_message,
    split_signed,
)

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        shutil.which("sqop") is None, reason="sqop is not installed (Debian package sqop)"
    ),
]

NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
TEXT = "Hi Bob,\nthe draft is attached. \nAlice\n"


def sqop(*args: str, stdin: bytes = b"", check: bool = True) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(
        ["sqop", *args], input=stdin, capture_output=True, timeout=60, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"sqop {' '.join(args)} failed ({result.returncode}): {result.stderr.decode()}"
        )
    return result


@pytest.fixture(scope="module")
def alice() -> openpgp.SecretKey:
    return openpgp.generate_key("Alice <alice@example.org>", now=NOW)


@pytest.fixture(scope="module")
def bob() -> openpgp.SecretKey:
    return openpgp.generate_key("Bob <bob@example.org>", now=NOW)


@pytest.fixture(scope="module")
def sam(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, openpgp.Certificate]:
    """A key sqop made itself (certify-only primary, separate signing and encryption subkeys)."""
    folder = tmp_path_factory.mktemp("sqop")
    key = folder / "sam.key"
    key.write_bytes(sqop("generate-key", "Sam <sam@example.org>").stdout)
    cert = openpgp.read_cert(sqop("extract-cert", stdin=key.read_bytes()).stdout)
    return key, cert


def test_sqop_verifies_our_signed_part(alice: openpgp.SecretKey, tmp_path: Path) -> None:
    message = sign_message(TEXT, alice, now=NOW)
    signed, _ = split_signed(message.as_bytes(policy=POLICY))
    (tmp_path / "sig.asc").write_bytes(message.get_payload()[1].get_payload(decode=True))
    (tmp_path / "alice.cert").write_bytes(alice.public.to_bytes(armor=True))
    result = sqop("verify", str(tmp_path / "sig.asc"), str(tmp_path / "alice.cert"), stdin=signed)
    assert alice.fingerprint in result.stdout.decode()
    changed = sqop(
        "verify",
        str(tmp_path / "sig.asc"),
        str(tmp_path / "alice.cert"),
        stdin=signed.replace(b"draft", b"DRAFT"),
        check=False,
    )
    assert changed.returncode == 3  # SOP: no acceptable signature


def test_sqop_decrypts_our_encrypted_message(alice, bob, tmp_path: Path) -> None:
    message = encrypt_message(TEXT, [bob.public], sign_with=[alice], now=NOW)
    (tmp_path / "bob.key").write_bytes(bob.to_bytes(armor=True))
    (tmp_path / "alice.cert").write_bytes(alice.public.to_bytes(armor=True))
    out = tmp_path / "verifications"
    result = sqop(
        "decrypt",
        f"--verifications-out={out}",
        "--verify-with",
        str(tmp_path / "alice.cert"),
        str(tmp_path / "bob.key"),
        stdin=message.get_payload()[1].get_payload(decode=True),
    )
    assert result.stdout.startswith(b"Content-Type: text/plain")  # a MIME entity (RFC 3156 §4)
    assert alice.fingerprint in out.read_text()


def test_we_verify_an_sqop_signed_message(sam) -> None:
    key, cert = sam
    part = b'Content-Type: text/plain; charset="us-ascii"\r\n\r\nSigned by sqop.\r\n'
    signature = sqop("sign", "--as=binary", str(key), stdin=part).stdout
    micalg = micalg_for(signature)
    message = (
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/signed; protocol="application/pgp-signature"; '
        b'micalg="' + micalg.encode() + b'"; boundary="s"\r\n\r\n'
        b"--s\r\n"
        + part
        + b"\r\n--s\r\nContent-Type: application/pgp-signature\r\n\r\n"
        + signature
        + b"\r\n--s--\r\n"
    )
    result = read_message(message, certs=[cert])
    assert result.kind is PgpMimeKind.SIGNED
    assert result.signature_valid is True
    assert micalg == result.micalg == "pgp-sha512"  # sqop signs with SHA-512 (field notes)


def test_we_open_an_sqop_encrypted_and_signed_message(bob, sam, tmp_path: Path) -> None:
    key, cert = sam
    (tmp_path / "bob.cert").write_bytes(bob.public.to_bytes(armor=True))
    entity = b'Content-Type: text/plain; charset="us-ascii"\r\n\r\nFrom sqop, encrypted.\r\n'
    armored = sqop(
        "encrypt", "--sign-with", str(key), str(tmp_path / "bob.cert"), stdin=entity
    ).stdout
    message = (
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="e"\r\n'
        b"\r\n--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
        b"--e\r\nContent-Type: application/octet-stream\r\n\r\n" + armored + b"\r\n--e--\r\n"
    )
    result = read_message(message, keys=[bob], certs=[cert])
    assert result.kind is PgpMimeKind.ENCRYPTED_SIGNED
    assert result.signature_valid is True
    assert result.text == "From sqop, encrypted.\n"
