"""Keys and certificates between mailsec, GnuPG 2.2 (``gpg``) and Sequoia's ``sqop``, both ways.

Fingerprints, capabilities and user IDs survive the exchange of keys made by mailsec and of gpg's
(Ed25519/Curve25519, RSA 3072, NIST P-256, P-384, P-521) and sqop's (a certify-only primary with
separate signing and encryption subkeys); passphrase-protected keys, revocations, secret-subkey
stubs and third-party certifications are read by the other side; algorithms mailsec does not
support are refused with a plain sentence.
"""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pgp_tools import (
    GPG,
    TEXT,
    Gpg,
    gpg_cert,
    gpg_secret,
    needs_gpg,
    needs_sqop,
    sqop,
    write,
)

from mailsec import openpgp

pytestmark = pytest.mark.interop


# == keys and certificates, both ways ==============================================================


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072"])
def test_gpg_imports_mailsec_keys_with_same_fingerprints(gpg, keys, kind):
    key = keys[kind]
    listing = gpg("--with-colons", "--list-secret-keys", key.fingerprint).stdout.decode()
    fingerprints = re.findall(r"^fpr:+([0-9A-F]{40}):", listing, re.M)
    assert fingerprints == [key.fingerprint, key.subkeys[0].key.fingerprint]
    # gpg sees the capabilities from our self-signatures: sign+certify and encrypt.
    sec = next(line.split(":") for line in listing.splitlines() if line.startswith("sec:"))
    assert sec[11] == "scESC"  # field 12 of --with-colons: key capabilities
    assert "Mailsec" in listing


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072", "nistp256"])
def test_mailsec_reads_gpg_keys(gpg, kind):
    secret = gpg_secret(gpg, kind)
    cert = gpg_cert(gpg, kind)
    assert secret.fingerprint == cert.fingerprint == gpg.keys[kind]
    now = datetime.now(timezone.utc)
    assert cert.encryption_keys(now) and cert.signing_keys(now)
    assert cert.user_ids[0].startswith("Tool <")


@needs_sqop
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072"])
def test_sqop_extracts_same_certificate_from_mailsec_key(keys, kind):
    cert = sqop("extract-cert", stdin=keys[kind].to_bytes()).stdout
    assert openpgp.read_cert(cert).fingerprint == keys[kind].fingerprint


@needs_sqop
def test_mailsec_reads_sqop_key_layout(sq_key):
    # sqop: a certify-only primary key, a signing subkey and an encryption subkey.
    key = openpgp.read_key(sq_key["key"].read_bytes())
    assert key.user_ids == ("Sequoia <sq@tool.example>",)
    assert int(key.primary_flags()) == int(openpgp.KeyFlags.CERTIFY)
    now = datetime.now(timezone.utc)
    assert key.signing_keys(now)[0] is not key.primary
    assert key.encryption_keys(now)[0] is not key.primary
    cert = openpgp.read_cert(sq_key["cert"].read_bytes())
    assert cert.fingerprint == key.fingerprint


# == passphrase-protected keys =====================================================================


@needs_gpg
def test_gpg_protected_key_needs_its_passphrase(gpg):
    protected = Gpg(gpg.home)
    email = "locked@tool.example"
    subprocess.run(
        [GPG, "--batch", "--pinentry-mode", "loopback", "--passphrase", "s3cret",
         "--quick-gen-key", f"Locked <{email}>", "ed25519", "sign", "never"],
        env=protected.env, capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    exported = subprocess.run(
        [GPG, "--batch", "--pinentry-mode", "loopback", "--passphrase", "s3cret",
         "--export-secret-keys", email],
        env=protected.env, capture_output=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    with pytest.raises(openpgp.ProtectedKeyError, match="protected with a passphrase"):
        openpgp.read_key(exported)
    with pytest.raises(openpgp.ProtectedKeyError, match="does not unlock"):
        openpgp.read_key(exported, passphrase="S3cret")
    key = openpgp.read_key(exported, passphrase="s3cret")
    assert key.user_ids == ("Locked <locked@tool.example>",)
    result = gpg("--verify", "-", stdin=openpgp.inline_sign(TEXT, key), check=False)
    assert f"VALIDSIG {key.fingerprint}" in result.stderr.decode()


@needs_gpg
def test_gpg_uses_mailsec_protected_key(tmp_path):
    key = openpgp.generate_key("Guarded <guarded@mailsec.example>", passphrase="open sesame")
    fresh = Gpg(tmp_path / "fresh")
    fresh.home.mkdir(mode=0o700)
    try:
        fresh("--import", stdin=key.to_bytes())
        message = openpgp.encrypt(TEXT, [key.public])
        locked = subprocess.run(
            [GPG, "--batch", "--pinentry-mode", "loopback", "--passphrase", "wrong", "--decrypt"],
            input=message, capture_output=True, env=fresh.env, timeout=60, check=False,
        )  # fmt: skip
        assert locked.returncode != 0 and locked.stdout == b""
        opened = subprocess.run(
            [GPG, "--batch", "--pinentry-mode", "loopback", "--passphrase", "open sesame", "--decrypt"],
            input=message, capture_output=True, env=fresh.env, timeout=60, check=False,
        )  # fmt: skip
        assert opened.returncode == 0 and opened.stdout == TEXT
    finally:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"],
            env=fresh.env,
            capture_output=True,
            timeout=30,
            check=False,
        )


@needs_sqop
def test_sqop_and_mailsec_protected_keys(tmp_path):
    password = write(tmp_path, "pw", b"open sesame")
    theirs = sqop(
        "generate-key", "--with-key-password", password, "SqLocked <sql@tool.example>"
    ).stdout
    key = openpgp.read_key(theirs, passphrase="open sesame")
    assert openpgp.decrypt(openpgp.encrypt(TEXT, [key.public]), [key]).plaintext == TEXT
    ours = write(
        tmp_path,
        "ours",
        openpgp.generate_key("Ours <o@mailsec.example>", passphrase="open sesame").to_bytes(),
    )
    cert = write(tmp_path, "ours.cert", sqop("extract-cert", stdin=Path(ours).read_bytes()).stdout)
    signature = sqop("sign", "--with-key-password", password, ours, stdin=TEXT).stdout
    assert sqop("verify", write(tmp_path, "s", signature), cert, stdin=TEXT).returncode == 0


# == revocation, stubs and certifications ==========================================================


@needs_gpg
def test_gpg_sees_mailsec_revocation(gpg):
    key = openpgp.generate_key("Revoked <revoked@mailsec.example>")
    gpg("--import", stdin=openpgp.revoke(key, reason="compromised").to_bytes())
    listing = gpg("--with-colons", "--list-keys", key.fingerprint).stdout.decode()
    pub = next(line.split(":") for line in listing.splitlines() if line.startswith("pub:"))
    assert pub[1] == "r"  # validity field: revoked


@needs_gpg
def test_mailsec_sees_gpg_revocation(gpg):
    gpg("--quick-gen-key", "Gone <gone@tool.example>", "ed25519", "sign", "never")
    fingerprint = gpg.fingerprint("gone@tool.example")
    # gpg 2.2 writes a revocation certificate for every new key, its armor line masked with ':'.
    stored = (gpg.home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
    gpg("--import", stdin=stored.replace(":-----BEGIN", "-----BEGIN").encode())
    cert = openpgp.read_cert(gpg("--export", fingerprint).stdout)
    assert cert.revoked and "has been revoked" in cert.usable_at(cert.created)
    with pytest.raises(openpgp.CannotEncryptError, match="revoked"):
        openpgp.encrypt(b"x", [cert])


@needs_gpg
def test_mailsec_reads_gpg_secret_subkeys_export(gpg):
    # --export-secret-subkeys leaves a "gnu-dummy" stub for the primary key: decrypting works,
    # signing with the (absent) primary says why it cannot.
    stub = openpgp.read_key(gpg("--export-secret-subkeys", gpg.keys["ed25519"]).stdout)
    assert stub.primary.is_stub and stub.subkeys[0].key.is_secret
    message = gpg("--encrypt", "-r", gpg.keys["ed25519"], stdin=TEXT).stdout
    assert openpgp.decrypt(message, [stub]).plaintext == TEXT
    with pytest.raises(openpgp.CannotSignError, match="stub"):
        openpgp.sign(TEXT, stub)


@needs_gpg
def test_gpg_checks_mailsec_certification(gpg, keys):
    # A third-party certification (RFC 4880 §5.2.1, 0x10) made by mailsec, checked by gpg.
    gpg("--quick-gen-key", "Certified <certified@tool.example>", "ed25519", "sign", "never")
    fingerprint = gpg.fingerprint("certified@tool.example")
    cert = openpgp.read_cert(gpg("--export", fingerprint).stdout)
    signed = openpgp.certify(keys["rsa3072"], cert, "Certified <certified@tool.example>")
    gpg("--import", stdin=signed.to_bytes())
    listing = gpg("--with-colons", "--check-sigs", fingerprint).stdout.decode()
    lines = [line for line in listing.splitlines() if line.startswith("sig:")]
    assert any(line.startswith("sig:!:") and keys["rsa3072"].key_id in line for line in lines)


# == more curves, and algorithms mailsec refuses plainly ===========================================


@needs_gpg
@pytest.mark.parametrize("curve", ["nistp384", "nistp521"])
def test_other_nist_curves_both_ways(gpg, keys, curve):
    fingerprint = gpg.generate(f"{curve}@tool.example", curve, curve)
    secret = openpgp.read_key(gpg("--export-secret-keys", fingerprint).stdout)
    cert = openpgp.read_cert(gpg("--export", fingerprint).stdout)
    # gpg -> mailsec: ECDH with that curve's KDF parameters (RFC 6637 §9), ECDSA signature.
    message = gpg("--sign", "--encrypt", "-u", fingerprint, "-r", fingerprint, stdin=TEXT).stdout
    result = openpgp.decrypt(message, [secret], verify_with=[cert])
    assert result.plaintext == TEXT and result.verifications[0].valid
    # mailsec -> gpg
    result = gpg("--decrypt", stdin=openpgp.encrypt(TEXT, [cert], sign_with=[secret]))
    assert result.stdout == TEXT and f"VALIDSIG {fingerprint}" in result.stderr.decode()


@needs_gpg
@pytest.mark.parametrize(
    ("algorithm", "subkey", "message"),
    [
        ("brainpoolP256r1", "brainpoolP256r1", "elliptic curve with OID 2b2403030208010107"),
        ("dsa2048", "elg2048", "DSA"),
    ],
)
def test_unsupported_gpg_keys_are_refused_plainly(gpg, algorithm, subkey, message):
    fingerprint = gpg.generate(f"{algorithm}@tool.example", algorithm, subkey)
    with pytest.raises(openpgp.UnsupportedAlgorithmError, match=message):
        openpgp.read_cert(gpg("--export", fingerprint).stdout)


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072", "nistp256"])
def test_gpg_keys_survive_a_round_trip_through_mailsec(gpg, tmp_path, kind):
    # Read gpg's export (old-format headers, trust packets dropped) and write it again: a fresh gpg
    # imports the result with the same fingerprints, user ID and secret subkeys.
    secret = gpg_secret(gpg, kind)
    fresh = Gpg(tmp_path / "fresh")
    fresh.home.mkdir(mode=0o700)
    try:
        fresh("--import", stdin=secret.to_bytes())
        listing = fresh("--with-colons", "--list-secret-keys").stdout.decode()
        fingerprints = re.findall(r"^fpr:+([0-9A-F]{40}):", listing, re.M)
        assert fingerprints == [k.fingerprint for k in secret.all_keys()]
        assert "Tool <" in listing
        message = fresh("--encrypt", "-r", secret.fingerprint, stdin=TEXT).stdout
        assert fresh("--decrypt", stdin=message).stdout == TEXT
    finally:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"],
            env=fresh.env,
            capture_output=True,
            timeout=30,
            check=False,
        )
