"""PGP/MIME against GnuPG: gpg checks and opens our messages, we check and open gpg's."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
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
        shutil.which("gpg") is None, reason="gpg is not installed (Debian package gnupg)"
    ),
]

# Keys made an hour ago, so gpg does not see them as "created in the future".
NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
TEXT = "Hi Bob,\nthe door code is 4711. \nAlice\n"


def gpg(home: Path, *args: str, stdin: bytes | None = None, check: bool = True):
    result = subprocess.run(
        [
            "gpg",
            "--homedir",
            str(home),
            "--batch",
            "--yes",
            "--no-tty",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--trust-model",
            "always",
            *args,
        ],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"gpg {' '.join(args)} failed:\n{result.stderr.decode()}")
    return result


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="pgm", dir="/tmp"))
    path = root / "g"
    path.mkdir(mode=0o700)
    try:
        yield path
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(path), "--kill", "gpg-agent"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def alice() -> openpgp.SecretKey:
    return openpgp.generate_key("Alice <alice@example.org>", now=NOW)


@pytest.fixture(scope="module")
def bob(home: Path) -> openpgp.SecretKey:
    key = openpgp.generate_key("Bob <bob@example.org>", now=NOW)
    gpg(home, "--import", stdin=key.to_bytes(armor=True))
    return key


@pytest.fixture(scope="module")
def gerda(home: Path) -> tuple[str, openpgp.Certificate]:
    """A key GnuPG made itself: its fingerprint and its certificate as mailsec reads it."""
    gpg(home, "--quick-gen-key", "Gerda <gerda@example.org>", "ed25519", "sign", "0")
    out = gpg(home, "--list-keys", "--with-colons", "gerda@example.org").stdout.decode()
    fingerprint = next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr"))
    gpg(home, "--quick-add-key", fingerprint, "cv25519", "encr", "0")
    cert = openpgp.read_cert(gpg(home, "--export", "--armor", fingerprint).stdout)
    return fingerprint, cert


def test_gpg_verifies_our_signed_part(home: Path, alice: openpgp.SecretKey, tmp_path: Path) -> None:
    """RFC 3156 §5: gpg checks our detached signature over part 1's canonical bytes."""
    gpg(home, "--import", stdin=alice.public.to_bytes(armor=True))
    message = sign_message(TEXT, alice, headers={"From": "alice@example.org"}, now=NOW)
    signed, _signature_part = split_signed(message.as_bytes(policy=POLICY))
    (tmp_path / "part").write_bytes(signed)
    sig = message.get_payload()[1].get_payload(decode=True)
    (tmp_path / "part.asc").write_bytes(sig)
    result = gpg(home, "--verify", str(tmp_path / "part.asc"), str(tmp_path / "part"))
    assert b"Good signature" in result.stderr
    changed = signed.replace(b"4711", b"4712")
    (tmp_path / "part").write_bytes(changed)
    assert (
        gpg(
            home, "--verify", str(tmp_path / "part.asc"), str(tmp_path / "part"), check=False
        ).returncode
        != 0
    )


def test_gpg_decrypts_our_encrypted_message(
    home: Path, alice: openpgp.SecretKey, bob: openpgp.SecretKey
) -> None:
    message = encrypt_message(TEXT, [bob.public], sign_with=[alice], now=NOW)
    gpg(home, "--import", stdin=alice.public.to_bytes(armor=True))
    armored = message.get_payload()[1].get_payload(decode=True)
    result = gpg(home, "--decrypt", stdin=armored)
    assert b"Good signature" in result.stderr
    entity = result.stdout
    assert entity.startswith(b"Content-Type: text/plain")
    assert b"4711.=20\r\n" in entity  # the MIME entity, quoted-printable, CRLF (RFC 3156 §4)


def test_we_verify_a_gpg_signed_message(home: Path, gerda: tuple[str, openpgp.Certificate]) -> None:
    """micalg follows the hash gpg chose (SHA-256 for Ed25519 in GnuPG 2.2)."""
    fingerprint, cert = gerda
    part = (
        b'Content-Type: text/plain; charset="us-ascii"\r\n'
        b"Content-Transfer-Encoding: 7bit\r\n\r\nSigned by GnuPG.\r\n"
    )
    signature = gpg(home, "-u", fingerprint, "--armor", "--detach-sign", stdin=part).stdout
    micalg = micalg_for(signature)
    message = (
        b"From: gerda@example.org\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/signed; protocol="application/pgp-signature"; '
        b'micalg="' + micalg.encode() + b'"; boundary="XyZ"\r\n\r\n'
        b"--XyZ\r\n" + part + b"\r\n--XyZ\r\n"
        b"Content-Type: application/pgp-signature\r\n\r\n" + signature + b"\r\n--XyZ--\r\n"
    )
    result = read_message(message, certs=[cert])
    assert result.kind is PgpMimeKind.SIGNED
    assert result.signature_valid is True
    assert result.micalg == micalg == "pgp-sha256"
    assert result.text == "Signed by GnuPG.\n"


def test_we_open_a_gpg_encrypted_and_signed_message(
    home: Path, bob: openpgp.SecretKey, gerda: tuple[str, openpgp.Certificate]
) -> None:
    fingerprint, cert = gerda
    entity = b'Content-Type: text/plain; charset="us-ascii"\r\n\r\nFrom GnuPG, encrypted.\r\n'
    armored = gpg(
        home,
        "-u",
        fingerprint,
        "--armor",
        "--sign",
        "--encrypt",
        "-r",
        bob.fingerprint,
        stdin=entity,
    ).stdout
    message = (
        b"From: gerda@example.org\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="q"\r\n'
        b"\r\n--q\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
        b"--q\r\nContent-Type: application/octet-stream\r\n\r\n" + armored + b"\r\n--q--\r\n"
    )
    result = read_message(message, keys=[bob], certs=[cert])
    assert result.kind is PgpMimeKind.ENCRYPTED_SIGNED
    assert result.signature_valid is True
    assert result.text == "From GnuPG, encrypted.\n"
