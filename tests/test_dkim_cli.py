"""``mailsec dkim keygen|sign|verify``, run as real processes (the interface of chapter 07)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from dnsserver import DnsServer

MAIL = (
    b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: Lunch\r\n"
    b"Date: Sun, 06 Dec 2026 12:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\n"
    b"See you at one.\r\n"
)


def mailsec(*args: str, data: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailsec", "dkim", *args],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module", params=["ed25519-sha256", "rsa-sha256"])
def made(request, tmp_path_factory):
    """A key made by ``keygen`` and a zone file holding the record it printed."""
    folder = tmp_path_factory.mktemp("dkim")
    done = mailsec(
        "keygen",
        "--algorithm",
        request.param,
        "--selector",
        "s1",
        "--domain",
        "example.com",
        "--out",
        str(folder / "key.pem"),
    )
    assert done.returncode == 0, done.stderr
    (folder / "zone.txt").write_bytes(done.stdout)
    return request.param, folder


def test_keygen_writes_a_private_key_and_prints_its_record(made):
    algorithm, folder = made
    line = (folder / "zone.txt").read_text()
    assert line.startswith("s1._domainkey.example.com. TXT ")
    assert f"k={algorithm.split('-')[0]}" in line and "p=" in line
    assert stat.S_IMODE(os.stat(folder / "key.pem").st_mode) == 0o600
    again = mailsec(
        "keygen", "--algorithm", algorithm, "--selector", "s1", "--domain", "example.com",
        "--out", str(folder / "key.pem"),
    )  # fmt: skip
    assert again.returncode == 1
    assert b"already exists" in again.stderr and len(again.stderr.splitlines()) == 1


def sign(folder: Path, *options: str, data: bytes = MAIL) -> bytes:
    done = mailsec(
        "sign", "--domain", "example.com", "--selector", "s1", "--key", str(folder / "key.pem"),
        *options, data=data,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def verify(folder: Path, data: bytes) -> subprocess.CompletedProcess:
    return mailsec("verify", "--zone", str(folder / "zone.txt"), data=data)


def test_signed_message_verifies_and_a_changed_one_fails(made):
    algorithm, folder = made
    signed = sign(folder)
    assert signed.startswith(b"DKIM-Signature: ") and signed.endswith(MAIL)
    assert f"a={algorithm}".encode() in signed
    good = verify(folder, signed)
    assert (good.returncode, good.stdout) == (0, b"pass d=example.com s=s1\n")
    changed = verify(folder, signed.replace(b"one.", b"two."))
    assert changed.returncode == 1
    assert changed.stdout.startswith(b"fail d=example.com s=s1 [") and b"body" in changed.stdout


def test_options_reach_the_signature(made):
    _algorithm, folder = made
    signed = sign(folder, "--canonicalization", "simple/simple", "--headers", "from:subject")
    field = signed.split(b"\r\nFrom:")[0].replace(b"\r\n", b"")
    assert b"c=simple/simple" in field and b"h=from:subject" in field
    assert verify(folder, signed).returncode == 0


def test_body_length_lets_appended_text_pass(made):
    """The l= weakness (RFC 6376 §8.2): what is added after the signed length is not checked."""
    _algorithm, folder = made
    signed = sign(folder, "--body-length")
    assert b" l=" in signed.split(b"\r\nFrom:")[0] or b";l=" in signed
    appended = verify(folder, signed + b"Click here: http://evil.example/\r\n")
    assert appended.returncode == 0 and appended.stdout.startswith(b"pass")


def test_unsigned_message_is_none():
    done = mailsec("verify", "--zone", "example", data=MAIL)
    assert (done.returncode, done.stdout) == (1, b"none (the message has no DKIM-Signature)\n")


def test_verify_asks_a_dns_server(made):
    _algorithm, folder = made
    signed = sign(folder)
    with DnsServer((folder / "zone.txt").read_text()) as server:
        done = mailsec("verify", "--nameserver", f"127.0.0.1:{server.port}", data=signed)
    assert (done.returncode, done.stdout) == (0, b"pass d=example.com s=s1\n")
    assert server.queries >= 1


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        (("sign", "--domain", "example.com", "--selector", "s1", "--key", "/nonexistent"), 1,
         b"Cannot read the key file"),
        (("sign", "--domain", "example.com", "--selector", "s1"), 2, b"--key"),
        (("verify", "--zone", "example", "--nameserver", "127.0.0.1"), 2, b"not allowed"),
        (("keygen", "--algorithm", "dsa", "--selector", "s", "--domain", "d", "--out", "k"), 2,
         b"invalid choice"),
    ],
)  # fmt: skip
def test_bad_usage_is_one_line(args, status, words):
    done = mailsec(*args, data=MAIL)
    assert done.returncode == status
    assert words in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_key_of_the_other_algorithm_is_refused(made, tmp_path):
    algorithm, folder = made
    other = "rsa-sha256" if algorithm.startswith("ed25519") else "ed25519-sha256"
    done = mailsec(
        "sign", "--domain", "example.com", "--selector", "s1", "--key", str(folder / "key.pem"),
        "--algorithm", other, data=MAIL,
    )  # fmt: skip
    assert done.returncode == 1 and other.encode() in done.stderr
    (tmp_path / "bad.pem").write_bytes(b"not a key")
    bad = mailsec(
        "sign", "--domain", "d.example", "--selector", "s", "--key", str(tmp_path / "bad.pem"),
        data=MAIL,
    )  # fmt: skip
    assert bad.returncode == 1 and b"not an unencrypted PEM private key" in bad.stderr


def test_empty_input_is_refused():
    done = mailsec("verify", "--zone", "example", data=b"")
    assert done.returncode == 1 and b"Nothing came on standard input" in done.stderr
