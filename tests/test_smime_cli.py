"""The ``mailsec smime`` and ``mailsec pki`` command lines, run as real processes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mailsec.pki import course_pki
from mailsec.smime.inspect import flip_byte

MAIL = b"From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: CLI\n\nHello Bob,\nfrom the command line.\n"


def mailsec(*args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mailsec", *args],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A course PKI written by ``mailsec pki init`` (keys made at run time)."""
    path = tmp_path_factory.mktemp("cli") / "pki"
    done = mailsec("pki", "init", str(path))
    assert done.returncode == 0, done.stderr.decode()
    return path


def test_pki_init_writes_keys_privately(folder):
    names = sorted(p.name for p in folder.iterdir())
    for stem in ("ca", "alice", "bob", "expired", "wrong-address", "unknown-ca", "unknown-root"):
        assert f"{stem}.pem" in names and f"{stem}.key.pem" in names
        mode = stat.S_IMODE(os.stat(folder / f"{stem}.key.pem").st_mode)
        assert mode == 0o600
    assert "README.txt" in names
    again = mailsec("pki", "init", str(folder))
    assert again.returncode == 1
    assert b"already exists; add --force" in again.stderr


def test_pki_issue_and_show(folder):
    done = mailsec(
        "pki",
        "issue",
        str(folder),
        "--email",
        "dave@example.org",
        "--name",
        "Dave",
        "--key-type",
        "ec-p256",
    )
    assert done.returncode == 0, done.stderr.decode()
    shown = mailsec(
        "pki",
        "show",
        str(folder / "dave.pem"),
        "--ca",
        str(folder / "ca.pem"),
        "--email",
        "dave@example.org",
    )
    assert shown.returncode == 0
    assert b"Verdict:   valid for S/MIME" in shown.stdout
    expired = mailsec("pki", "show", str(folder / "expired.pem"), "--ca", str(folder / "ca.pem"))
    assert expired.returncode == 1
    assert b"Verdict:   expired" in expired.stdout
    missing = mailsec("pki", "issue", str(folder / "nope"), "--email", "x@y.z", "--name", "X")
    assert missing.returncode == 1 and b"is not a folder" in missing.stderr


def _key(folder: Path, who: str) -> list[str]:
    return ["--key", str(folder / f"{who}.key.pem"), "--cert", str(folder / f"{who}.pem")]


@pytest.mark.parametrize("cipher", ["aes256-gcm", "aes256-cbc"])
def test_pipeline_sign_encrypt_decrypt_verify(folder, cipher):
    signed = mailsec("smime", "sign", *_key(folder, "alice"), data=MAIL)
    assert signed.returncode == 0, signed.stderr.decode()
    sealed = mailsec(
        "smime",
        "encrypt",
        "--recipient",
        str(folder / "bob.pem"),
        "--recipient",
        str(folder / "alice.pem"),
        "--cipher",
        cipher,
        data=signed.stdout,
    )
    assert sealed.returncode == 0, sealed.stderr.decode()
    assert b"Subject: CLI" in sealed.stdout and b"from the command line" not in sealed.stdout
    opened = mailsec("smime", "decrypt", *_key(folder, "bob"), data=sealed.stdout)
    assert opened.returncode == 0, opened.stderr.decode()
    assert (b"warning" in opened.stderr) is (cipher == "aes256-cbc")
    verified = mailsec("smime", "verify", "--ca", str(folder / "ca.pem"), data=opened.stdout)
    assert verified.returncode == 0, verified.stderr.decode()
    assert (
        verified.stdout
        == b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello Bob,\r\nfrom the command line.\r\n"
    )
    assert b"verification successful: signed by alice@example.org" in verified.stderr


def test_verify_explain_prints_the_trace(folder):
    signed = mailsec("smime", "sign", *_key(folder, "alice"), data=MAIL).stdout
    done = mailsec("smime", "verify", "--ca", str(folder / "ca.pem"), "--explain", data=signed)
    assert done.returncode == 0
    assert b"[RFC 5652 \xc2\xa75.6]" in done.stderr


def _one_line_error(done: subprocess.CompletedProcess[bytes]) -> str:
    assert done.returncode == 1
    assert done.stdout == b""
    text = done.stderr.decode()
    assert "Traceback" not in text
    assert text.count("\n") == 1 and text.startswith("mailsec smime: error: ")
    return text.strip()


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("expired", "the signer's certificate has expired"),
        ("wrong-address", "the signer's certificate is for a different address than From:"),
        ("unknown-ca", "the signer's certificate is not from a trusted CA"),
    ],
)
def test_verify_names_certificate_failures(folder, who, reason):
    signed = mailsec("smime", "sign", *_key(folder, who), data=MAIL)
    assert signed.returncode == 0
    done = mailsec("smime", "verify", "--ca", str(folder / "ca.pem"), data=signed.stdout)
    assert f"Verification failed: {reason}" in _one_line_error(done)


def test_verify_names_tampering(folder):
    signed = mailsec("smime", "sign", *_key(folder, "alice"), data=MAIL).stdout
    done = mailsec(
        "smime",
        "verify",
        "--ca",
        str(folder / "ca.pem"),
        data=signed.replace(b"Hello Bob", b"Hello Rob"),
    )
    assert "the message was changed after it was signed" in _one_line_error(done)


def test_decrypt_failures_are_named(folder):
    sealed = mailsec("smime", "encrypt", "--recipient", str(folder / "bob.pem"), data=MAIL).stdout
    wrong = mailsec("smime", "decrypt", *_key(folder, "alice"), data=sealed)
    assert "not encrypted for this certificate" in _one_line_error(wrong)
    mixed = mailsec(
        "smime",
        "decrypt",
        "--key",
        str(folder / "alice.key.pem"),
        "--cert",
        str(folder / "bob.pem"),
        data=sealed,
    )
    assert "does not belong to the certificate" in _one_line_error(mixed)
    head, body = sealed.split(b"\r\n\r\n", 1)
    truncated = mailsec(
        "smime", "decrypt", *_key(folder, "bob"), data=head + b"\r\n\r\n" + body[: len(body) // 2]
    )
    assert "truncated" in _one_line_error(truncated)
    # A change in the structure (the recipient information) is named as damage ...
    lines = body.split(b"\r\n")
    lines[2] = lines[2][:10] + (b"A" if lines[2][10:11] != b"A" else b"B") + lines[2][11:]
    damaged = mailsec(
        "smime", "decrypt", *_key(folder, "bob"), data=head + b"\r\n\r\n" + b"\r\n".join(lines)
    )
    assert "truncated or damaged" in _one_line_error(damaged)
    # ... and a change in the ciphertext fails the AES-GCM integrity check.
    tampered = mailsec("smime", "decrypt", *_key(folder, "bob"), data=flip_byte(sealed, 3).message)
    assert "could not be decrypted" in _one_line_error(tampered)  # the one opaque answer
    plain = mailsec("smime", "decrypt", *_key(folder, "bob"), data=MAIL)
    assert "not an S/MIME encrypted message" in _one_line_error(plain)


def test_bad_files_are_named(folder, tmp_path):
    corrupt = tmp_path / "corrupt.pem"
    corrupt.write_bytes(
        b"-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n"
    )
    done = mailsec(
        "smime", "sign", "--key", str(corrupt), "--cert", str(folder / "alice.pem"), data=MAIL
    )
    assert f"The key file '{corrupt}' is not a readable private key" in _one_line_error(done)
    missing = mailsec("smime", "encrypt", "--recipient", str(tmp_path / "nobody.pem"), data=MAIL)
    assert "Cannot read the certificate file" in _one_line_error(missing)
    bad_ca = mailsec("smime", "verify", "--ca", str(folder / "alice.key.pem"), data=MAIL)
    assert "is not a readable certificate" in _one_line_error(bad_ca)


def test_non_smime_and_empty_input(folder):
    done = mailsec("smime", "verify", "--ca", str(folder / "ca.pem"), data=MAIL)
    assert "not an S/MIME signed message" in _one_line_error(done)
    empty = mailsec("smime", "sign", *_key(folder, "alice"), data=b"")
    assert "Nothing came on standard input" in _one_line_error(empty)


def test_library_and_cli_agree(folder):
    """A message signed by the command line verifies with the library, and the other way round."""
    from mailsec.pki import load_certificate
    from mailsec.smime import verify_message

    ca = load_certificate((folder / "ca.pem").read_bytes())
    signed = mailsec(
        "smime",
        "sign",
        *_key(folder, "bob"),
        data=MAIL.replace(b"Alice <alice@example.org>", b"bob@example.net"),
    ).stdout
    assert verify_message(signed, trusted=[ca]).valid
    other = course_pki()
    assert not verify_message(signed, trusted=[other.ca.certificate]).valid


def test_encrypt_refuses_an_expired_recipient(folder):
    done = mailsec("smime", "encrypt", "--recipient", str(folder / "expired.pem"), data=MAIL)
    assert "The certificate of alice@example.org expired on" in _one_line_error(done)
