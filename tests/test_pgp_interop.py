"""Interoperability with GnuPG 2.2 (``gpg``) and Sequoia's ``sqop`` 0.27, in both directions.

The matrix: keys, certificates, encrypted messages and signatures made by mailsec are accepted by
both tools, and theirs (Ed25519/Curve25519, RSA 3072, NIST P-256 from gpg; sqop's certify-only
primary with separate signing and encryption subkeys) by mailsec. gpg runs with a temporary
GNUPGHOME whose agent is stopped at the end. A tool that is not installed skips its tests with the
reason; CI installs both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mailsec import openpgp
from mailsec.errors import DecryptionError, VerificationError

pytestmark = pytest.mark.interop

GPG = shutil.which("gpg")
SQOP = shutil.which("sqop")
needs_gpg = pytest.mark.skipif(GPG is None, reason="gpg (Debian package gnupg) is not installed")
needs_sqop = pytest.mark.skipif(SQOP is None, reason="sqop (Debian package sqop) is not installed")

TEXT = b"Dear Bob,\nthe meeting moves to Thursday.\n-- Alice\n"
BIG = bytes((i * 7919) % 251 for i in range(300_000))  # big enough for gpg's partial lengths


class Gpg:
    """gpg with its own home directory."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {**os.environ, "GNUPGHOME": str(home), "LC_ALL": "C"}

    def __call__(
        self, *args: str, stdin: bytes = b"", check: bool = True
    ) -> subprocess.CompletedProcess:
        command = [
            GPG, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "",
            "--trust-model", "always", "--status-fd", "2", *args,
        ]  # fmt: skip
        result = subprocess.run(
            command, input=stdin, capture_output=True, env=self.env, timeout=120, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"gpg {' '.join(args)} failed:\n{result.stderr.decode()}")
        return result

    def generate(self, email: str, algorithm: str, subkey: str) -> str:
        self("--quick-gen-key", f"Tool <{email}>", algorithm, "sign,cert", "never")
        fingerprint = self.fingerprint(email)
        self("--quick-add-key", fingerprint, subkey, "encr", "never")
        return fingerprint

    def fingerprint(self, email: str) -> str:
        listing = self("--with-colons", "--list-keys", email).stdout.decode()
        return re.search(r"^fpr:+([0-9A-F]{40}):", listing, re.M).group(1)


def sqop(*args: str, stdin: bytes = b"", check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [SQOP, *args], input=stdin, capture_output=True, timeout=120, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"sqop {' '.join(args)} failed ({result.returncode}):\n{result.stderr.decode()}"
        )
    return result


@pytest.fixture(scope="module")
def keys() -> dict[str, openpgp.SecretKey]:
    """mailsec's own keys, one per algorithm it generates."""
    return {
        "ed25519": openpgp.generate_key("Mailsec Ed <ed@mailsec.example>"),
        "rsa3072": openpgp.generate_key("Mailsec RSA <rsa@mailsec.example>", algorithm="rsa3072"),
    }


@pytest.fixture(scope="module")
def gpg(tmp_path_factory, keys):
    if GPG is None:
        pytest.skip("gpg (Debian package gnupg) is not installed")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    tool = Gpg(home)
    try:
        for key in keys.values():
            tool("--import", stdin=key.to_bytes())
        tool.keys = {  # type: ignore[attr-defined]
            "ed25519": tool.generate("ged@tool.example", "ed25519", "cv25519"),
            "rsa3072": tool.generate("grsa@tool.example", "rsa3072", "rsa3072"),
            "nistp256": tool.generate("gp256@tool.example", "nistp256", "nistp256"),
        }
        yield tool
    finally:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"],
            env=tool.env,
            capture_output=True,
            timeout=30,
            check=False,
        )


def gpg_secret(gpg: Gpg, kind: str) -> openpgp.SecretKey:
    return openpgp.read_key(gpg("--export-secret-keys", "--armor", gpg.keys[kind]).stdout)


def gpg_cert(gpg: Gpg, kind: str) -> openpgp.Certificate:
    return openpgp.read_cert(gpg("--export", "--armor", gpg.keys[kind]).stdout)


@pytest.fixture(scope="module")
def sq_key(tmp_path_factory) -> dict[str, object]:
    if SQOP is None:
        pytest.skip("sqop (Debian package sqop) is not installed")
    folder = tmp_path_factory.mktemp("sqop")
    key = sqop("generate-key", "Sequoia <sq@tool.example>").stdout
    (folder / "sq.key").write_bytes(key)
    (folder / "sq.cert").write_bytes(sqop("extract-cert", stdin=key).stdout)
    return {"folder": folder, "key": folder / "sq.key", "cert": folder / "sq.cert"}


def write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


# == gpg reads mailsec ==================================================================================


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


# == mailsec reads gpg ==================================================================================


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072", "nistp256"])
def test_mailsec_reads_gpg_keys(gpg, kind):
    secret = gpg_secret(gpg, kind)
    cert = gpg_cert(gpg, kind)
    assert secret.fingerprint == cert.fingerprint == gpg.keys[kind]
    now = datetime.now(timezone.utc)
    assert cert.encryption_keys(now) and cert.signing_keys(now)
    assert cert.user_ids[0].startswith("Tool <")


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072", "nistp256"])
def test_gpg_decrypts_mailsec_message_to_gpg_key(gpg, keys, kind):
    message = openpgp.encrypt(TEXT, [gpg_cert(gpg, kind)], sign_with=[keys["ed25519"]])
    result = gpg("--decrypt", stdin=message)
    assert result.stdout == TEXT and "VALIDSIG" in result.stderr.decode()


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


@needs_gpg
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072", "nistp256"])
def test_gpg_verifies_signature_made_by_mailsec_with_gpg_key(gpg, tmp_path, kind):
    signature = openpgp.sign(TEXT, gpg_secret(gpg, kind))
    result = gpg("--verify", write(tmp_path, "s.sig", signature), write(tmp_path, "d", TEXT))
    assert f"VALIDSIG {gpg.keys[kind]}" in result.stderr.decode()


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


# == sqop reads mailsec =================================================================================


@needs_sqop
@pytest.mark.parametrize("kind", ["ed25519", "rsa3072"])
def test_sqop_extracts_same_certificate_from_mailsec_key(keys, kind):
    cert = sqop("extract-cert", stdin=keys[kind].to_bytes()).stdout
    assert openpgp.read_cert(cert).fingerprint == keys[kind].fingerprint


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


# == mailsec reads sqop =================================================================================


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


@needs_sqop
def test_sqop_decrypts_mailsec_message_to_sqop_key(sq_key, keys):
    cert = openpgp.read_cert(sq_key["cert"].read_bytes())
    message = openpgp.encrypt(TEXT, [cert], sign_with=[keys["ed25519"]])
    assert sqop("decrypt", str(sq_key["key"]), stdin=message).stdout == TEXT


@needs_sqop
def test_sqop_verifies_mailsec_signature_made_with_sqop_key(sq_key, tmp_path):
    signature = openpgp.sign(TEXT, openpgp.read_key(sq_key["key"].read_bytes()))
    result = sqop("verify", write(tmp_path, "s", signature), str(sq_key["cert"]), stdin=TEXT)
    assert result.returncode == 0


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


# == the SOP command lines against each other ============================================================


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


# == revocation both ways ================================================================================


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


# == cleartext signatures (RFC 4880 §7) ==================================================================

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


@needs_sqop
def test_session_key_from_sqop_opens_the_message_in_mailsec(sq_key, tmp_path):
    message = sqop("encrypt", str(sq_key["cert"]), stdin=TEXT).stdout
    session = tmp_path / "session"
    sqop("decrypt", "--session-key-out", str(session), str(sq_key["key"]), stdin=message)
    algorithm, key = session.read_text().strip().split(":")
    result = openpgp.decrypt(message, [], session_keys=[(int(algorithm), bytes.fromhex(key))])
    assert result.plaintext == TEXT


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


# == passwords (SKESK v4, RFC 4880 §5.3) =================================================================


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


# == more curves, and algorithms mailsec refuses plainly ================================================


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
