"""Signatures between mailsec, GnuPG 2.2 (``gpg``) and Sequoia's ``sqop``, both ways.

Detached, inline (one-pass) and cleartext signatures (RFC 4880 §7), binary and text mode, one or
two signers, made by mailsec and checked by gpg and sqop, and made by them and checked by mailsec;
a signature over changed data fails on both sides.
"""

from __future__ import annotations

import pytest
from pgp_tools import (
    TEXT,
    gpg_cert,
    gpg_secret,
    needs_gpg,
    needs_sqop,
    sqop,
    write,
)

from mailsec import openpgp
from mailsec.errors import VerificationError

pytestmark = pytest.mark.interop


# == gpg checks mailsec's signatures ===============================================================


@needs_gpg
@pytest.mark.parametrize("text", [False, True])
def test_gpg_verifies_mailsec_detached_signatures(gpg, keys, tmp_path, text):
    for key in keys.values():
        signature = openpgp.sign(TEXT, key, text=text)
        result = gpg("--verify", write(tmp_path, "s.asc", signature), write(tmp_path, "d", TEXT))
        assert f"VALIDSIG {key.fingerprint}" in result.stderr.decode()
        changed = gpg(
            "--verify", str(tmp_path / "s.asc"), write(tmp_path, "d", TEXT + b"!"), check=False
        )
        assert changed.returncode == 1 and "BADSIG" in changed.stderr.decode()


@needs_gpg
def test_gpg_verifies_mailsec_inline_signature(gpg, keys):
    message = openpgp.inline_sign(TEXT, keys["ed25519"])
    result = gpg("--decrypt", stdin=message)
    assert (
        result.stdout == TEXT
        and f"VALIDSIG {keys['ed25519'].fingerprint}" in result.stderr.decode()
    )


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072", "nistp256"])
def test_gpg_verifies_signature_made_by_mailsec_with_gpg_key(gpg, tmp_path, kind):
    signature = openpgp.sign(TEXT, gpg_secret(gpg, kind))
    result = gpg("--verify", write(tmp_path, "s.sig", signature), write(tmp_path, "d", TEXT))
    assert f"VALIDSIG {gpg.keys[kind]}" in result.stderr.decode()


@needs_gpg
def test_gpg_verifies_two_signers(gpg, keys):
    # Two one-pass signatures, the first with the "nested" flag 0 (RFC 4880 §5.4).
    signers = [keys["ed25519"], keys["rsa3072"]]
    for message in (
        openpgp.inline_sign(TEXT, signers),
        openpgp.encrypt(TEXT, [keys["ed25519"].public], sign_with=signers),
    ):
        result = gpg("--decrypt", stdin=message)
        status = result.stderr.decode()
        assert result.stdout == TEXT
        assert all(f"VALIDSIG {key.fingerprint}" in status for key in signers)


# == mailsec checks gpg's signatures ===============================================================


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072", "nistp256"])
@pytest.mark.parametrize("mode", ["--detach-sign", "--textmode"])
def test_mailsec_verifies_gpg_signatures(gpg, tmp_path, kind, mode):
    data = write(tmp_path, "doc", TEXT)
    extra = ["--detach-sign", "--textmode"] if mode == "--textmode" else ["--detach-sign"]
    signature = gpg(*extra, "-u", gpg.keys[kind], "-o", "-", data).stdout
    (check,) = openpgp.verify(TEXT, signature, [gpg_cert(gpg, kind)])
    assert check.valid and check.mode == ("text" if mode == "--textmode" else "binary")
    with pytest.raises(VerificationError):
        openpgp.verify(TEXT + b"x", signature, [gpg_cert(gpg, kind)])


@needs_gpg
def test_mailsec_verifies_gpg_inline_signed_message(gpg):
    message = gpg("--sign", "-u", gpg.keys["ed25519"], stdin=TEXT).stdout
    data, (check,) = openpgp.inline_verify(message, [gpg_cert(gpg, "ed25519")])
    assert data == TEXT and check.valid


# == sqop and mailsec ==============================================================================


@needs_sqop
@pytest.mark.parametrize("text", [False, True])
def test_sqop_verifies_mailsec_signatures(keys, tmp_path, text):
    for key in keys.values():
        signature = write(tmp_path, "s", openpgp.sign(TEXT, key, text=text))
        cert = write(tmp_path, "c", key.public.to_bytes())
        result = sqop("verify", signature, cert, stdin=TEXT)
        assert key.fingerprint in result.stdout.decode()
        assert sqop("verify", signature, cert, stdin=TEXT + b"!", check=False).returncode == 3


@needs_sqop
def test_sqop_inline_verifies_mailsec_message(keys, tmp_path):
    message = openpgp.inline_sign(TEXT, keys["ed25519"])
    cert = write(tmp_path, "c", keys["ed25519"].public.to_bytes())
    assert sqop("inline-verify", cert, stdin=message).stdout == TEXT


@needs_sqop
def test_sqop_verifies_mailsec_signature_made_with_sqop_key(sq_key, tmp_path):
    signature = openpgp.sign(TEXT, openpgp.read_key(sq_key["key"].read_bytes()))
    result = sqop("verify", write(tmp_path, "s", signature), str(sq_key["cert"]), stdin=TEXT)
    assert result.returncode == 0


@needs_sqop
@pytest.mark.parametrize("mode", ["binary", "text"])
def test_mailsec_verifies_sqop_signatures(sq_key, mode):
    signature = sqop("sign", f"--as={mode}", str(sq_key["key"]), stdin=TEXT).stdout
    (check,) = openpgp.verify(TEXT, signature, [openpgp.read_cert(sq_key["cert"].read_bytes())])
    assert check.valid and check.mode == mode


@needs_sqop
def test_mailsec_verifies_sqop_inline_signed_message(sq_key):
    message = sqop("inline-sign", str(sq_key["key"]), stdin=TEXT).stdout
    data, (check,) = openpgp.inline_verify(
        message, [openpgp.read_cert(sq_key["cert"].read_bytes())]
    )
    assert data == TEXT and check.valid


# == cleartext signatures (RFC 4880 §7) ============================================================

CLEAR = b"Hello list,  \n-- \nFrom the archive\nbye\n"
CLEAR_SIGNED = b"Hello list,\n--\nFrom the archive\nbye\n"  # trailing blanks are not signed (§7.1)


@needs_gpg
def test_mailsec_verifies_gpg_clearsigned_message(gpg):
    signed = gpg("--clearsign", "-u", gpg.keys["rsa3072"], stdin=CLEAR).stdout
    text, (check,) = openpgp.inline_verify(signed, [gpg_cert(gpg, "rsa3072")])
    assert text == CLEAR and check.valid


@needs_gpg
def test_gpg_verifies_mailsec_clearsigned_message(gpg, keys):
    signed = openpgp.clearsign(CLEAR, keys["ed25519"])
    result = gpg("--decrypt", stdin=signed)
    assert f"VALIDSIG {keys['ed25519'].fingerprint}" in result.stderr.decode()
    assert result.stdout == CLEAR_SIGNED


@needs_sqop
def test_sqop_and_mailsec_clearsigned_both_ways(sq_key, keys, tmp_path):
    theirs = sqop("inline-sign", "--as=clearsigned", str(sq_key["key"]), stdin=CLEAR).stdout
    text, (check,) = openpgp.inline_verify(theirs, [openpgp.read_cert(sq_key["cert"].read_bytes())])
    assert check.valid and text == CLEAR_SIGNED
    ours = openpgp.clearsign(CLEAR, keys["rsa3072"])
    cert = write(tmp_path, "c", keys["rsa3072"].public.to_bytes())
    assert sqop("inline-verify", cert, stdin=ours).stdout == CLEAR_SIGNED


# == text mode (signature type 0x01, literal data 't') =============================================


@needs_gpg
def test_gpg_verifies_mailsec_text_mode_inline_signature(gpg, keys):
    message = openpgp.inline_sign(b"line one\nline two\n", keys["rsa3072"], text=True)
    result = gpg("--decrypt", stdin=message)
    assert f"VALIDSIG {keys['rsa3072'].fingerprint}" in result.stderr.decode()
    assert result.stdout.replace(b"\r\n", b"\n") == b"line one\nline two\n"


@needs_sqop
def test_sqop_verifies_mailsec_text_mode_inline_signature(keys, tmp_path):
    message = openpgp.inline_sign(b"line one\nline two\n", keys["ed25519"], text=True)
    cert = write(tmp_path, "c", keys["ed25519"].public.to_bytes())
    assert (
        sqop("inline-verify", cert, stdin=message).stdout.replace(b"\r\n", b"\n")
        == b"line one\nline two\n"
    )


@needs_gpg
def test_gpg_reads_mailsec_text_mode_signed_and_encrypted(gpg, keys):
    message = openpgp.encrypt(
        b"a\nb\n", [keys["rsa3072"].public], sign_with=[keys["ed25519"]], text=True
    )
    result = gpg("--decrypt", stdin=message)
    assert f"VALIDSIG {keys['ed25519'].fingerprint}" in result.stderr.decode()
    assert result.stdout.replace(b"\r\n", b"\n") == b"a\nb\n"


@needs_sqop
def test_sqop_reads_mailsec_text_mode_signed_and_encrypted(keys, tmp_path):
    message = openpgp.encrypt(
        b"a\nb\n", [keys["rsa3072"].public], sign_with=[keys["ed25519"]], text=True
    )
    key = write(tmp_path, "k", keys["rsa3072"].to_bytes())
    cert = write(tmp_path, "c", keys["ed25519"].public.to_bytes())
    out = tmp_path / "v"
    plain = sqop(
        "decrypt", "--verify-with", cert, "--verifications-out", str(out), key, stdin=message
    )
    assert plain.stdout.replace(b"\r\n", b"\n") == b"a\nb\n"
    assert keys["ed25519"].fingerprint in out.read_text()


@needs_gpg
def test_mailsec_reads_gpg_text_mode_inline_signature(gpg):
    message = gpg("--sign", "--textmode", "-u", gpg.keys["nistp256"], stdin=b"a\nb\n").stdout
    data, (check,) = openpgp.inline_verify(message, [gpg_cert(gpg, "nistp256")])
    assert check.valid and check.mode == "text" and data.replace(b"\r\n", b"\n") == b"a\nb\n"
