"""The SOP command line (draft-dkg-openpgp-stateless-cli): subcommands, stdin/stdout, exit codes.

Most tests run a command in-process through :func:`mailsec.cli.sop.run` with byte streams; a few run
the real ``python -m mailsec sop`` to check the whole path from the shell.
"""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mailsec import openpgp
from mailsec.cli.sop import run
from mailsec.openpgp.packets import encode_packet, read_packets

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)
LATER = T0 + timedelta(hours=2)

# Exit codes from the spec's "Failure Modes" section.
NO_SIGNATURE = 3
UNSUPPORTED_ASYMMETRIC_ALGO = 13
CERT_CANNOT_ENCRYPT = 17
MISSING_ARG = 19
INCOMPLETE_VERIFICATION = 23
CANNOT_DECRYPT = 29
UNSUPPORTED_OPTION = 37
BAD_DATA = 41
EXPECTED_TEXT = 53
OUTPUT_EXISTS = 59
MISSING_INPUT = 61
KEY_IS_PROTECTED = 67
UNSUPPORTED_SUBCOMMAND = 69
KEY_CANNOT_SIGN = 79
UNSUPPORTED_PROFILE = 89


class Result:
    def __init__(self, code: int, out: bytes, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def sop(*argv: str, stdin: bytes = b"", now: datetime = LATER) -> Result:
    out, err = io.BytesIO(), io.StringIO()
    code = run(list(argv), io.BytesIO(stdin), out, err, now=lambda: now)
    assert "Traceback" not in err.getvalue()
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    folder: Path = tmp_path_factory.mktemp("sop")
    alice = openpgp.generate_key("Alice <alice@example.org>", now=T0)
    bob = openpgp.generate_key("Bob <bob@example.org>", algorithm="rsa3072", now=T0)
    short = openpgp.generate_key("Short <short@example.org>", now=T0, expires=timedelta(hours=1))
    paths = {}
    for name, data in {
        "alice.key": alice.to_bytes(),
        "alice.cert": alice.public.to_bytes(),
        "bob.key": bob.to_bytes(),
        "bob.cert": bob.public.to_bytes(),
        "short.key": short.to_bytes(),
        "short.cert": short.public.to_bytes(),
        "garbage": b"this is not a key\n",
    }.items():
        (folder / name).write_bytes(data)
        paths[name] = str(folder / name)
    paths["dir"] = str(folder)
    return paths


def test_version():
    result = sop("version")
    assert result.code == 0 and result.out.startswith(b"mailsec ")
    assert sop("version", "--backend").out.startswith(b"cryptography ")


def test_generate_key_and_extract_cert():
    key = sop("generate-key", "Dave <dave@example.org>")
    assert key.code == 0 and key.out.startswith(b"-----BEGIN PGP PRIVATE KEY BLOCK-----")
    secret = openpgp.read_key(key.out)
    assert secret.user_ids == ("Dave <dave@example.org>",)
    assert secret.created == LATER
    cert = sop("extract-cert", stdin=key.out)
    assert cert.code == 0 and cert.out == secret.public.to_bytes()
    binary = sop("extract-cert", "--no-armor", stdin=key.out)
    assert binary.out == secret.public.to_bytes(armor=False)


def test_generate_key_profiles():
    assert b"rfc4880" in sop("list-profiles", "generate-key").out
    rsa = openpgp.read_key(sop("generate-key", "--profile", "rfc4880", "R <r@example.org>").out)
    assert rsa.primary.bits == 3072
    result = sop("generate-key", "--profile", "nonsense", "x")
    assert result.code == UNSUPPORTED_PROFILE


def test_generate_key_with_password(tmp_path):
    password = tmp_path / "password"
    password.write_bytes(b"sesame\n")
    key = sop("generate-key", "--with-key-password", str(password), "K <k@example.org>")
    assert key.code == 0
    with pytest.raises(openpgp.ProtectedKeyError):
        openpgp.read_key(key.out)
    assert openpgp.read_key(key.out, passphrase="sesame").user_ids == ("K <k@example.org>",)
    key_file = tmp_path / "k.key"
    key_file.write_bytes(key.out)
    assert sop("sign", str(key_file), stdin=b"x").code == KEY_IS_PROTECTED
    assert sop("sign", "--with-key-password", str(password), str(key_file), stdin=b"x").code == 0


def test_encrypt_decrypt(files):
    message = sop("encrypt", files["alice.cert"], files["bob.cert"], stdin=b"secret plans")
    assert message.code == 0 and message.out.startswith(b"-----BEGIN PGP MESSAGE-----")
    for key in ("alice.key", "bob.key"):
        plain = sop("decrypt", files[key], stdin=message.out)
        assert (plain.code, plain.out) == (0, b"secret plans")


def test_encrypt_sign_with_and_decrypt_verify_with(files, tmp_path):
    message = sop(
        "encrypt", "--sign-with", files["alice.key"], files["bob.cert"], stdin=b"signed plans"
    )
    out = tmp_path / "verifications"
    plain = sop(
        "decrypt",
        "--verify-with",
        files["alice.cert"],
        "--verifications-out",
        str(out),
        files["bob.key"],
        stdin=message.out,
    )
    assert (plain.code, plain.out) == (0, b"signed plans")
    alice = openpgp.read_cert(Path(files["alice.cert"]).read_bytes())
    # "DATE SIGNING-FPR PRIMARY-FPR mode:..." per the spec's VERIFICATIONS format.
    line = out.read_text().strip()
    assert line.startswith(f"{LATER:%Y-%m-%dT%H:%M:%SZ} {alice.fingerprint} {alice.fingerprint}")
    assert "mode:binary" in line


def test_decrypt_session_key_out(files, tmp_path):
    message = sop("encrypt", files["bob.cert"], stdin=b"x")
    target = tmp_path / "session"
    plain = sop("decrypt", "--session-key-out", str(target), files["bob.key"], stdin=message.out)
    assert plain.code == 0
    algorithm, key = target.read_text().strip().split(":")
    assert algorithm == "9" and len(bytes.fromhex(key)) == 32


def test_decrypt_verifications_without_signature_is_empty(files, tmp_path):
    message = sop("encrypt", files["bob.cert"], stdin=b"unsigned")
    out = tmp_path / "v"
    plain = sop(
        "decrypt", "--verify-with", files["alice.cert"], "--verifications-out", str(out),
        files["bob.key"], stdin=message.out,
    )  # fmt: skip
    assert plain.code == 0 and out.read_text() == ""


def test_sign_verify(files, tmp_path):
    signature = sop("sign", files["alice.key"], stdin=b"the document")
    assert signature.code == 0 and signature.out.startswith(b"-----BEGIN PGP SIGNATURE-----")
    sig_file = tmp_path / "doc.sig"
    sig_file.write_bytes(signature.out)
    good = sop("verify", str(sig_file), files["alice.cert"], stdin=b"the document")
    assert good.code == 0 and b"mode:binary" in good.out
    bad = sop("verify", str(sig_file), files["alice.cert"], stdin=b"another document")
    assert bad.code == NO_SIGNATURE
    assert "[NO_SIGNATURE]" in bad.err and bad.out == b""
    stranger = sop("verify", str(sig_file), files["bob.cert"], stdin=b"the document")
    assert stranger.code == NO_SIGNATURE


def test_sign_as_text_and_micalg(files, tmp_path):
    micalg = tmp_path / "micalg"
    signature = sop(
        "sign", "--as=text", "--micalg-out", str(micalg), files["bob.key"], stdin=b"a\nb\n"
    )
    assert signature.code == 0 and micalg.read_text() == "pgp-sha512"
    sig_file = tmp_path / "text.sig"
    sig_file.write_bytes(signature.out)
    good = sop("verify", str(sig_file), files["bob.cert"], stdin=b"a\r\nb\r\n")
    assert good.code == 0 and b"mode:text" in good.out


def test_sign_as_text_needs_utf8(files):
    assert sop("sign", "--as=text", files["alice.key"], stdin=b"\xff\xfe").code == EXPECTED_TEXT


def test_verify_time_window(files, tmp_path):
    signature = sop("sign", files["alice.key"], stdin=b"dated")
    sig_file = tmp_path / "dated.sig"
    sig_file.write_bytes(signature.out)
    before = (LATER - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = (LATER + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    args = (str(sig_file), files["alice.cert"])
    assert sop("verify", "--not-before", before, *args, stdin=b"dated").code == 0
    assert sop("verify", "--not-before", after, *args, stdin=b"dated").code == NO_SIGNATURE
    assert sop("verify", "--not-after", before, *args, stdin=b"dated").code == NO_SIGNATURE
    assert (
        sop("verify", "--not-after", "yesterday", *args, stdin=b"dated").code == UNSUPPORTED_OPTION
    )


def test_inline_sign_and_verify(files, tmp_path):
    signed = sop("inline-sign", files["alice.key"], stdin=b"inline text")
    assert signed.code == 0 and signed.out.startswith(b"-----BEGIN PGP MESSAGE-----")
    out = tmp_path / "inline-verifications"
    verified = sop(
        "inline-verify", "--verifications-out", str(out), files["alice.cert"], stdin=signed.out
    )
    assert (verified.code, verified.out) == (0, b"inline text")
    assert out.read_text().count("\n") == 1
    assert sop("inline-verify", files["bob.cert"], stdin=signed.out).code == NO_SIGNATURE
    text = sop("inline-sign", "--as=text", "--no-armor", files["bob.key"], stdin=b"t\n")
    assert [p.tag for p in read_packets(text.out)] == [4, 11, 2]


def test_inline_sign_clearsigned(files, tmp_path):
    signed = sop("inline-sign", "--as=clearsigned", files["alice.key"], stdin=b"Hello\n-dash\n")
    assert signed.code == 0 and signed.out.startswith(b"-----BEGIN PGP SIGNED MESSAGE-----\n")
    assert b"\n- -dash\n" in signed.out
    verified = sop("inline-verify", files["alice.cert"], stdin=signed.out)
    assert (verified.code, verified.out) == (0, b"Hello\n-dash\n")
    assert sop("inline-verify", files["bob.cert"], stdin=signed.out).code == NO_SIGNATURE
    assert (
        sop("inline-sign", "--as=clearsigned", files["alice.key"], stdin=b"\xff").code
        == EXPECTED_TEXT
    )


def test_armor_and_dearmor(files):
    cert = Path(files["alice.cert"]).read_bytes()
    binary = sop("dearmor", stdin=cert)
    assert binary.code == 0 and binary.out == openpgp.dearmor(cert)[1]
    again = sop("armor", stdin=binary.out)
    assert again.out == cert  # label chosen from the first packet: PUBLIC KEY BLOCK
    assert sop("armor", stdin=cert).out == cert  # armoring armored data changes nothing
    assert sop("dearmor", stdin=binary.out).out == binary.out
    forced = sop("armor", "--label", "message", stdin=binary.out)
    assert forced.out.startswith(b"-----BEGIN PGP MESSAGE-----")
    signature = openpgp.dearmor(sop("sign", files["alice.key"], stdin=b"x").out)[1]
    assert sop("armor", stdin=signature).out.startswith(b"-----BEGIN PGP SIGNATURE-----")


# -- failures and their exit codes --------------------------------------------------------------------


def test_decrypt_with_the_wrong_key(files):
    message = sop("encrypt", files["bob.cert"], stdin=b"for bob")
    result = sop("decrypt", files["alice.key"], stdin=message.out)
    assert result.code == CANNOT_DECRYPT and result.out == b""
    assert result.err.count("\n") == 1


def test_decrypt_tampered_message(files):
    message = sop("encrypt", "--no-armor", files["bob.cert"], stdin=b"A" * 100)
    tampered = bytearray(message.out)
    tampered[-30] ^= 0x20
    result = sop("decrypt", files["bob.key"], stdin=bytes(tampered))
    assert result.code == CANNOT_DECRYPT and result.out == b""


def test_bad_crc(files):
    message = sop("encrypt", files["bob.cert"], stdin=b"x").out.decode()
    lines = message.splitlines()
    lines[-2] = "=AAAA"
    result = sop("decrypt", files["bob.key"], stdin="\n".join(lines).encode())
    assert result.code == BAD_DATA and "checksum does not match" in result.err


def test_garbage_key_and_garbage_message(files):
    assert sop("decrypt", files["garbage"], stdin=b"x").code == BAD_DATA
    assert sop("decrypt", files["bob.key"], stdin=b"not a message").code == BAD_DATA
    assert sop("extract-cert", stdin=b"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n").code == BAD_DATA
    assert sop("dearmor", stdin=b"\x00\x01").code == BAD_DATA


def test_missing_input_file(files):
    result = sop("encrypt", files["dir"] + "/absent.cert", stdin=b"x")
    assert result.code == MISSING_INPUT and "absent.cert" in result.err


def test_unknown_subcommand():
    assert sop("frobnicate").code == UNSUPPORTED_SUBCOMMAND


def test_encrypt_without_certificates():
    assert sop("encrypt", stdin=b"x").code == MISSING_ARG


def test_encrypt_to_an_expired_certificate(files):
    result = sop("encrypt", files["short.cert"], stdin=b"x")
    assert result.code == CERT_CANNOT_ENCRYPT and "expired" in result.err


def test_sign_with_an_expired_key(files):
    assert sop("sign", files["short.key"], stdin=b"x").code == KEY_CANNOT_SIGN


def test_incomplete_verification_instructions(files):
    message = sop("encrypt", files["bob.cert"], stdin=b"x")
    result = sop(
        "decrypt", "--verify-with", files["alice.cert"], files["bob.key"], stdin=message.out
    )
    assert result.code == INCOMPLETE_VERIFICATION


def test_output_exists(files, tmp_path):
    message = sop("encrypt", "--sign-with", files["alice.key"], files["bob.cert"], stdin=b"x")
    existing = tmp_path / "exists"
    existing.write_text("keep me")
    result = sop(
        "decrypt", "--verify-with", files["alice.cert"], "--verifications-out", str(existing),
        files["bob.key"], stdin=message.out,
    )  # fmt: skip
    assert result.code == OUTPUT_EXISTS and existing.read_text() == "keep me"


def test_protected_key(tmp_path):
    key = openpgp.generate_key("Locked <l@example.org>", passphrase="right", now=T0)
    path = tmp_path / "locked.key"
    path.write_bytes(key.to_bytes())
    cert = tmp_path / "locked.cert"
    cert.write_bytes(key.public.to_bytes())
    right, wrong = tmp_path / "right", tmp_path / "wrong"
    right.write_bytes(b"right")
    wrong.write_bytes(b"wrong")
    assert sop("sign", str(path), stdin=b"x").code == KEY_IS_PROTECTED
    assert (
        sop("sign", "--with-key-password", str(wrong), str(path), stdin=b"x").code
        == KEY_IS_PROTECTED
    )
    assert sop("sign", "--with-key-password", str(right), str(path), stdin=b"x").code == 0
    message = sop("encrypt", str(cert), stdin=b"to the locked key").out
    assert sop("decrypt", str(path), stdin=message).code == KEY_IS_PROTECTED
    opened = sop("decrypt", "--with-key-password", str(right), str(path), stdin=message)
    assert (opened.code, opened.out) == (0, b"to the locked key")
    assert sop("extract-cert", stdin=path.read_bytes()).out == cert.read_bytes()


def test_unsupported_algorithm(tmp_path):
    path = tmp_path / "odd.cert"
    path.write_bytes(encode_packet(6, bytes([4, 0, 0, 0, 0, 99])))
    assert sop("encrypt", str(path), stdin=b"x").code == UNSUPPORTED_ASYMMETRIC_ALGO


def test_unsupported_profile(files):
    assert (
        sop("encrypt", "--profile", "rfc9580", files["bob.cert"], stdin=b"x").code
        == UNSUPPORTED_PROFILE
    )


# -- through the real command line ------------------------------------------------------------------


def mailsec(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailsec", "sop", *argv],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_python_m_mailsec_sop_round_trip(files):
    message = mailsec(
        "encrypt", "--sign-with", files["alice.key"], files["bob.cert"], stdin=b"shell"
    )
    assert message.returncode == 0, message.stderr
    plain = mailsec("decrypt", files["bob.key"], stdin=message.stdout)
    assert (plain.returncode, plain.stdout) == (0, b"shell")


def test_python_m_mailsec_sop_failure_is_one_line(files):
    result = mailsec("decrypt", files["alice.key"], stdin=b"-----BEGIN PGP MESSAGE-----\n\nAAAA\n")
    assert result.returncode == BAD_DATA
    assert b"Traceback" not in result.stderr
    assert result.stderr.decode().strip().count("\n") == 0


def test_decrypt_with_session_key(files, tmp_path):
    # --session-key-out then --with-session-key: no secret key needed the second time.
    message = sop(
        "encrypt", "--sign-with", files["alice.key"], files["bob.cert"], stdin=b"by session key"
    )
    session = tmp_path / "session"
    assert (
        sop("decrypt", "--session-key-out", str(session), files["bob.key"], stdin=message.out).code
        == 0
    )
    plain = sop("decrypt", "--with-session-key", str(session), stdin=message.out)
    assert (plain.code, plain.out) == (0, b"by session key")
    wrong = tmp_path / "wrong"
    wrong.write_text("9:" + "00" * 32)
    assert (
        sop("decrypt", "--with-session-key", str(wrong), stdin=message.out).code == CANNOT_DECRYPT
    )
    short = tmp_path / "short"
    short.write_text("9:0011")
    assert sop("decrypt", "--with-session-key", str(short), stdin=message.out).code == BAD_DATA


def test_decrypt_without_keys(files):
    message = sop("encrypt", files["bob.cert"], stdin=b"x")
    assert sop("decrypt", stdin=message.out).code == MISSING_ARG


def test_extract_cert_of_two_keys_is_one_armored_block(files):
    keys = Path(files["alice.key"]).read_bytes() + Path(files["bob.key"]).read_bytes()
    result = sop("extract-cert", stdin=keys)
    assert result.code == 0 and result.out.count(b"-----BEGIN PGP PUBLIC KEY BLOCK-----") == 1
    assert len(openpgp.read_certs(result.out)) == 2


def test_list_packets_extension(files):
    message = sop("encrypt", "--sign-with", files["alice.key"], files["bob.cert"], stdin=b"x")
    closed = sop("list-packets", stdin=message.out)
    assert closed.code == 0
    assert closed.out.decode().splitlines()[1] == ":public-key encrypted session key packet:"
    assert b":literal data packet:" not in closed.out
    opened = sop("list-packets", files["bob.key"], stdin=message.out)
    assert (
        b"  :literal data packet:" in opened.out and b"  :one-pass signature packet:" in opened.out
    )
    assert sop("list-packets", stdin=b"garbage").code == BAD_DATA


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["sign"], MISSING_ARG),  # KEYS is required
        (["encrypt", "--frobnicate", "x"], UNSUPPORTED_OPTION),
        (["sign", "--as=foo", "x"], UNSUPPORTED_OPTION),
        (["generate-key", "--profile", "nonsense", "x"], UNSUPPORTED_PROFILE),
        (["frobnicate"], UNSUPPORTED_SUBCOMMAND),
        ([], MISSING_ARG),
    ],
)
def test_command_line_mistakes_have_spec_exit_codes(argv, code):
    result = sop(*argv)
    assert result.code == code and result.out == b""
    assert "usage:" in result.err


def test_help_goes_to_standard_output():
    result = sop("--help")
    assert result.code == 0 and b"usage:" in result.out


def test_encrypt_and_decrypt_with_password(files, tmp_path):
    password = tmp_path / "password"
    password.write_bytes(b"correct horse\n")  # the trailing newline is not part of the password
    message = sop("encrypt", "--with-password", str(password), files["bob.cert"], stdin=b"pw")
    assert message.code == 0
    assert sop("decrypt", "--with-password", str(password), stdin=message.out).out == b"pw"
    bare = tmp_path / "bare"
    bare.write_bytes(b"correct horse")
    assert sop("decrypt", "--with-password", str(bare), stdin=message.out).out == b"pw"
    assert sop("decrypt", files["bob.key"], stdin=message.out).out == b"pw"
    wrong = tmp_path / "wrong"
    wrong.write_bytes(b"battery staple")
    assert sop("decrypt", "--with-password", str(wrong), stdin=message.out).code == CANNOT_DECRYPT


def test_password_must_be_text(tmp_path):
    password = tmp_path / "binary"
    password.write_bytes(b"\xff\xfe")
    assert sop("encrypt", "--with-password", str(password), stdin=b"x").code == 31
