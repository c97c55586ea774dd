"""Encrypted messages between mailsec, GnuPG 2.2 (``gpg``) and Sequoia's ``sqop``, both ways.

Messages mailsec encrypts (and signs) are opened by gpg and sqop, and theirs by mailsec: gpg's
defaults (ZLIB, partial body lengths) and its variants (wildcard key IDs, BZip2, no compression,
AES-128), sqop's signing subkey, session keys handed over, the SOP command lines against each
other, a tampered message, and messages encrypted with a password (SKESK, RFC 4880 §5.3).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pgp_tools import (
    GPG,
    TEXT,
    gpg_cert,
    gpg_secret,
    needs_gpg,
    needs_sqop,
    sqop,
    write,
)

from mailsec import openpgp
from mailsec.errors import DecryptionError

pytestmark = pytest.mark.interop

BIG = bytes((i * 7919) % 251 for i in range(300_000))  # big enough for gpg's partial lengths


# == gpg opens mailsec's messages ==================================================================


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072"])
def test_gpg_decrypts_and_verifies_mailsec_message(gpg, keys, kind):
    signer = keys["ed25519" if kind == "rsa3072" else "rsa3072"]
    message = openpgp.encrypt(TEXT, [keys[kind].public], sign_with=[signer])
    result = gpg("--decrypt", stdin=message)
    assert result.stdout == TEXT
    status = result.stderr.decode()
    assert f"VALIDSIG {signer.fingerprint}" in status
    assert "DECRYPTION_OKAY" in status and "GOODMDC" in status
    # gpg chose AES-256 as we asked: "DECRYPTION_INFO <mdc> <cipher 9>".
    assert re.search(r"DECRYPTION_INFO 2 9", status)


@needs_gpg
def test_gpg_preferences_from_mailsec_key(gpg, keys):
    # gpg encrypts to our key with AES-256, read from the preferences we advertise (§5.2.3.7).
    encrypted = gpg("--encrypt", "-r", keys["ed25519"].fingerprint, stdin=b"x").stdout
    listing = openpgp.list_packets(encrypted, keys=[keys["ed25519"]])
    assert [p.tag for p in listing if p.depth == 0] == [1, 18]
    assert openpgp.decrypt(encrypted, [keys["ed25519"]]).session_key_algorithm == "AES-256"


@needs_gpg
def test_gpg_list_packets_agrees_with_mailsec(gpg, keys):
    # Tag, header length and body length of every packet, as `gpg --list-packets` prints them.
    message = openpgp.encrypt(
        TEXT, [keys["ed25519"].public], sign_with=[keys["rsa3072"]], armor=False
    )
    printed = gpg("--list-packets", stdin=message).stdout.decode()
    theirs = [tuple(map(int, m)) for m in re.findall(r"tag=(\d+) hlen=(\d+) plen=(\d+)", printed)]
    ours = [
        (p.tag, p.header_length, p.length)
        for p in openpgp.list_packets(message, keys=[keys["ed25519"]])
        if p.tag != 19  # gpg reports the MDC as a property of the encrypted packet
    ]
    assert ours == theirs
    assert f"keyid {keys['ed25519'].subkeys[0].key.key_id}" in printed


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072", "nistp256"])
def test_gpg_decrypts_mailsec_message_to_gpg_key(gpg, keys, kind):
    message = openpgp.encrypt(TEXT, [gpg_cert(gpg, kind)], sign_with=[keys["ed25519"]])
    result = gpg("--decrypt", stdin=message)
    assert result.stdout == TEXT and "VALIDSIG" in result.stderr.decode()


@needs_gpg
def test_gpg_refuses_tampered_mailsec_message(gpg, keys):
    message = bytearray(openpgp.encrypt(TEXT, [keys["ed25519"].public], armor=False))
    message[-10] ^= 0x01
    result = gpg("--decrypt", stdin=bytes(message), check=False)
    # gpg streams the plaintext out and then reports the failed MDC (RFC 4880 §5.13 allows it);
    # mailsec buffers, checks, and releases nothing.
    assert result.returncode != 0 and "BADMDC" in result.stderr.decode()
    with pytest.raises(DecryptionError):
        openpgp.decrypt(bytes(message), [keys["ed25519"]])


# == mailsec opens gpg's messages ==================================================================


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072", "nistp256"])
def test_mailsec_decrypts_gpg_message(gpg, keys, kind):
    # gpg's defaults: compressed (ZLIB), signed, streamed with partial body lengths.
    recipient = keys["ed25519"]
    message = gpg(
        "--sign", "--encrypt", "-u", gpg.keys[kind], "-r", recipient.fingerprint, stdin=BIG
    ).stdout
    listing = openpgp.list_packets(message, keys=[recipient])
    assert any(p.partial for p in listing) and any(p.tag == 8 for p in listing)
    result = openpgp.decrypt(message, [recipient], verify_with=[gpg_cert(gpg, kind)])
    assert result.plaintext == BIG
    assert result.compression in ("ZLIB", "ZIP")
    (check,) = result.verifications
    assert check.valid and check.signer_fingerprint == gpg.keys[kind]


@needs_gpg
def test_mailsec_decrypts_gpg_zip_compressed_armored_message(gpg, keys):
    recipient = keys["rsa3072"]
    message = gpg(
        "--encrypt", "--armor", "--compress-algo", "zip", "-r", recipient.fingerprint, stdin=TEXT
    ).stdout
    result = openpgp.decrypt(message, [recipient])
    assert result.plaintext == TEXT and result.compression == "ZIP"


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072", "nistp256"])
def test_mailsec_decrypts_with_gpg_secret_key(gpg, kind):
    message = gpg("--encrypt", "-r", gpg.keys[kind], stdin=TEXT).stdout
    assert openpgp.decrypt(message, [gpg_secret(gpg, kind)]).plaintext == TEXT


@needs_gpg
@pytest.mark.parametrize(
    "options",
    [
        ["--throw-keyids"],  # wildcard key ID 0 in the PKESK (RFC 4880 §5.1)
        ["--compress-algo", "bzip2"],
        ["--compress-algo", "none"],
        ["--cipher-algo", "AES128"],
        ["--armor", "--textmode"],
    ],
)
def test_mailsec_decrypts_gpg_message_variants(gpg, keys, options):
    recipient = keys["ed25519"]
    message = gpg(
        "--encrypt", *options, "-r", gpg.keys["rsa3072"], "-r", recipient.fingerprint, stdin=TEXT
    ).stdout
    result = openpgp.decrypt(message, [recipient])
    assert result.plaintext.replace(b"\r\n", b"\n") == TEXT


# == sqop and mailsec ==============================================================================


@needs_sqop
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072"])
def test_sqop_decrypts_and_verifies_mailsec_message(keys, tmp_path, kind):
    signer = keys["rsa3072" if kind == "ed25519" else "ed25519"]
    message = openpgp.encrypt(TEXT, [keys[kind].public], sign_with=[signer])
    key = write(tmp_path, "k", keys[kind].to_bytes())
    cert = write(tmp_path, "c", signer.public.to_bytes())
    out = tmp_path / "verifications"
    result = sqop(
        "decrypt", "--verify-with", cert, "--verifications-out", str(out), key, stdin=message
    )
    assert result.stdout == TEXT
    assert signer.fingerprint in out.read_text()


@needs_sqop
def test_sqop_decrypts_mailsec_message_to_sqop_key(sq_key, keys):
    cert = openpgp.read_cert(sq_key["cert"].read_bytes())
    message = openpgp.encrypt(TEXT, [cert], sign_with=[keys["ed25519"]])
    assert sqop("decrypt", str(sq_key["key"]), stdin=message).stdout == TEXT


@needs_sqop
def test_mailsec_decrypts_sqop_message(sq_key, keys, tmp_path):
    recipient = write(tmp_path, "r", keys["rsa3072"].public.to_bytes())
    message = sqop("encrypt", "--sign-with", str(sq_key["key"]), recipient, stdin=BIG).stdout
    signer = openpgp.read_cert(sq_key["cert"].read_bytes())
    result = openpgp.decrypt(message, [keys["rsa3072"]], verify_with=[signer])
    assert result.plaintext == BIG
    (check,) = result.verifications
    assert check.valid and check.signer_fingerprint == signer.fingerprint
    assert check.signing_key_fingerprint != signer.fingerprint  # made by the signing subkey
    assert check.hash_algorithm == "SHA-512"


@needs_sqop
def test_mailsec_decrypts_with_sqop_key(sq_key, tmp_path):
    message = sqop("encrypt", str(sq_key["cert"]), stdin=TEXT).stdout
    assert (
        openpgp.decrypt(message, [openpgp.read_key(sq_key["key"].read_bytes())]).plaintext == TEXT
    )


@needs_sqop
def test_session_key_from_sqop_opens_the_message_in_mailsec(sq_key, tmp_path):
    message = sqop("encrypt", str(sq_key["cert"]), stdin=TEXT).stdout
    session = tmp_path / "session"
    sqop("decrypt", "--session-key-out", str(session), str(sq_key["key"]), stdin=message)
    algorithm, key = session.read_text().strip().split(":")
    result = openpgp.decrypt(message, [], session_keys=[(int(algorithm), bytes.fromhex(key))])
    assert result.plaintext == TEXT


# == the SOP command lines against each other ======================================================


@needs_sqop
def test_mailsec_sop_and_sqop_round_trip(sq_key, tmp_path):
    import io

    from mailsec.cli.sop import run

    def ours(*argv: str, stdin: bytes = b"") -> bytes:
        out = io.BytesIO()
        assert run(list(argv), io.BytesIO(stdin), out, io.StringIO()) == 0
        return out.getvalue()

    key = write(tmp_path, "m.key", ours("generate-key", "SOP <sop@mailsec.example>"))
    cert = write(tmp_path, "m.cert", ours("extract-cert", stdin=Path(key).read_bytes()))
    # mailsec -> sqop
    message = ours("encrypt", "--sign-with", key, str(sq_key["cert"]), stdin=TEXT)
    out = tmp_path / "v1"
    plain = sqop(
        "decrypt",
        "--verify-with",
        cert,
        "--verifications-out",
        str(out),
        str(sq_key["key"]),
        stdin=message,
    )
    assert plain.stdout == TEXT and out.read_text().strip()
    # sqop -> mailsec
    message = sqop("encrypt", "--sign-with", str(sq_key["key"]), cert, stdin=TEXT).stdout
    out = tmp_path / "v2"
    plain = ours(
        "decrypt",
        "--verify-with",
        str(sq_key["cert"]),
        "--verifications-out",
        str(out),
        key,
        stdin=message,
    )
    assert plain == TEXT and out.read_text().strip()


# == passwords (SKESK v4, RFC 4880 §5.3) ===========================================================


@needs_gpg
def test_mailsec_decrypts_gpg_symmetric_message(gpg):
    # gpg -c: an SKESK without an encrypted session key (the S2K output is the session key).
    message = subprocess.run(
        [GPG, "--batch", "--pinentry-mode", "loopback", "--passphrase", "open sesame", "-c"],
        input=TEXT, capture_output=True, env=gpg.env, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert openpgp.decrypt(message, [], passwords=[b"open sesame"]).plaintext == TEXT
    with pytest.raises(DecryptionError):
        openpgp.decrypt(message, [], passwords=[b"open sesame!"])


@needs_gpg
def test_gpg_decrypts_mailsec_password_message(gpg):
    message = openpgp.encrypt(TEXT, [], passwords=[b"open sesame"])
    result = subprocess.run(
        [GPG, "--batch", "--pinentry-mode", "loopback", "--passphrase", "open sesame", "--decrypt"],
        input=message, capture_output=True, env=gpg.env, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout == TEXT


@needs_sqop
def test_sqop_and_mailsec_passwords_both_ways(tmp_path):
    password = write(tmp_path, "pw", b"open sesame")
    theirs = sqop("encrypt", "--with-password", password, stdin=TEXT).stdout
    assert openpgp.decrypt(theirs, [], passwords=[b"open sesame"]).plaintext == TEXT
    ours = openpgp.encrypt(TEXT, [], passwords=[b"open sesame"])
    assert sqop("decrypt", "--with-password", password, stdin=ours).stdout == TEXT
