"""The S/MIME and PKI command lines in Japanese (:mod:`mailsec.cli.smime`, :mod:`mailsec.cli.pki`).

``mailsec --lang ja smime ...`` (or ``LANG=ja_JP.UTF-8``) says every error in Japanese: the
one-line wrapper of ``__main__`` *and* the sentence inside it, which comes from
:mod:`mailsec.smime`, :mod:`mailsec.pki` or the shared file readers of :mod:`mailsec.cli`. For
real failures -- an unreadable CA file, a message that is not S/MIME, the wrong key for
decryption, a changed signed message, an expired certificate -- the error is one line, names a
certificate or a signature in Japanese, and holds no English sentence (no run of three ASCII
words outside the quoted input); the exit status is 1; the same command in English still says
the English sentence it always said.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailsec.__main__ import main
from mailsec.i18n import language, set_language
from mailsec.pki import CoursePKI, course_pki
from mailsec.smime import encrypt_message, sign_message

MAIL = (
    b"From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: i18n\n\nHello Bob,\nsee you.\n"
)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
"""Hiragana, katakana or a kanji."""
QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")
"""Input quoted in a message (a path, a Content-Type): Python's repr, in single quotes."""
ENGLISH = re.compile(r"[A-Za-z][\w'/.:-]*(?:[ ,]+[A-Za-z][\w'/.:-]*){2,}")
"""Three or more ASCII words in a row, separated only by spaces or commas: an English sentence
(or its start). Terms inside Japanese text (``S/MIME``, ``Content-Type``, ``SHA256``) stand
alone between Japanese words."""
DISTINGUISHED_NAME = re.compile(r"(?<![A-Za-z])(?:CN|O)=[^,、。→]+")
"""An attribute of a certificate's name as RFC 4514 writes it (``CN=mailsec Course Root CA``):
data from the certificate, not words."""
ERROR = "mailsec smime：エラー："


def english_words(text: str) -> list[str]:
    """The runs of three or more ASCII words in ``text`` outside its quoted input."""
    return ENGLISH.findall(QUOTED.sub("''", text))


@pytest.fixture(autouse=True)
def english_kernel() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@dataclass(frozen=True)
class Files:
    """The course PKI written out as the command line reads it, and a few messages."""

    folder: Path
    pki: CoursePKI

    def pem(self, stem: str) -> str:
        return str(self.folder / f"{stem}.pem")

    def key(self, stem: str) -> str:
        return str(self.folder / f"{stem}.key.pem")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("i18n-smime")
    pki = course_pki()
    for stem, who in (
        ("ca", pki.ca),
        ("alice", pki.alice),
        ("bob", pki.bob),
        ("expired", pki.expired),
    ):
        (folder / f"{stem}.pem").write_bytes(who.certificate_pem())
        (folder / f"{stem}.key.pem").write_bytes(who.key_pem())
    return Files(folder, pki)


def _run(argv: list[str], data: bytes, monkeypatch, capsys) -> tuple[int, str]:
    """``main(argv)`` in this process with ``data`` on standard input: (status, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    status = main(argv)
    captured = capsys.readouterr()
    assert language() == "en"  # the command line's language ends with the command
    return status, captured.err


def _signed(files: Files, who: str = "alice") -> bytes:
    identity = getattr(files.pki, who)
    return sign_message(MAIL, key=identity.key, certificate=identity.certificate)


def _tampered(files: Files) -> bytes:
    signed = _signed(files)
    assert b"Hello Bob," in signed
    return signed.replace(b"Hello Bob,", b"Hello Eve,")


def _sealed(files: Files) -> bytes:
    return encrypt_message(MAIL, [files.pki.bob.certificate])


# Each case: the command after "smime", its input, what the Japanese error names, and the English
# sentence the same command says.
CASES = {
    "unreadable CA file": (
        lambda f: ["verify", "--ca", str(f.folder / "missing" / "ca.pem")],
        _signed,
        "認証局の電子証明書のファイル",
        "Cannot read the CA certificate file",
    ),
    "not an S/MIME message": (
        lambda f: ["verify", "--ca", f.pem("ca")],
        lambda f: MAIL,
        "S/MIMEの署名付きメッセージではありません",
        "This is not an S/MIME signed message: its Content-Type is 'text/plain'.",
    ),
    "wrong key for decryption": (
        lambda f: ["decrypt", "--key", f.key("alice"), "--cert", f.pem("alice")],
        _sealed,
        "この電子証明書宛てに暗号化されていません",
        "The message is not encrypted for this certificate",
    ),
    "key of another certificate": (
        lambda f: ["decrypt", "--key", f.key("alice"), "--cert", f.pem("bob")],
        _sealed,
        "秘密鍵が電子証明書と対になっていません",
        "The private key does not belong to the certificate",
    ),
    "tampered signed message": (
        lambda f: ["verify", "--ca", f.pem("ca")],
        _tampered,
        "署名後にメッセージが改ざんされた",
        "Verification failed: the message was changed after it was signed",
    ),
    "expired certificate": (
        lambda f: ["verify", "--ca", f.pem("ca")],
        lambda f: _signed(f, "expired"),
        "署名者の電子証明書の有効期限が切れている",
        "Verification failed: the signer's certificate has expired",
    ),
    "encrypting to an expired certificate": (
        lambda f: ["encrypt", "--recipient", f.pem("expired")],
        lambda f: MAIL,
        "の電子証明書は",
        "The certificate of alice@example.org expired on",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_failure_is_one_japanese_line(case: str, files: Files, monkeypatch, capsys) -> None:
    argv, data, japanese, english = CASES[case]
    status, err = _run(["--lang", "ja", "smime", *argv(files)], data(files), monkeypatch, capsys)
    assert status == 1
    assert err.count("\n") == 1 and err.startswith(ERROR), err
    assert "Traceback" not in err
    assert japanese in err, err
    assert "証明書" in err or "署名" in err, err
    assert english_words(err) == [], err
    # The same command in English says the English sentence, which the check above would catch.
    status, err = _run(["smime", *argv(files)], data(files), monkeypatch, capsys)
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("mailsec smime: error: "), err
    assert english in err, err
    assert not JAPANESE.search(err)
    assert english_words(err) != []


def test_verification_success_and_the_trace_are_japanese(files: Files, monkeypatch, capsys) -> None:
    argv = ["--lang", "ja", "smime", "verify", "--ca", files.pem("ca"), "--explain"]
    status, err = _run(argv, _signed(files), monkeypatch, capsys)
    assert status == 0
    lines = err.splitlines()
    assert lines[-1] == "mailsec smime：検証に成功しました：alice@example.orgの電子署名です。"
    assert "+ 署名者の電子証明書の公開鍵で電子署名を検証できました。  [RFC 5652 §5.6]" in lines
    for line in lines:  # every step of the trace: Japanese, the RFC section as it is
        assert JAPANESE.search(line), line
        assert english_words(DISTINGUISHED_NAME.sub("", line.split("  [RFC")[0])) == [], line


def test_an_unauthenticated_decryption_warns_in_japanese(files: Files, monkeypatch, capsys) -> None:
    from mailsec.smime import ContentCipher

    sealed = encrypt_message(MAIL, [files.pki.bob.certificate], cipher=ContentCipher.AES256_CBC)
    argv = [
        "--lang",
        "ja",
        "smime",
        "decrypt",
        "--key",
        files.key("bob"),
        "--cert",
        files.pem("bob"),
    ]
    status, err = _run(argv, sealed, monkeypatch, capsys)
    assert status == 0
    assert err == (
        "mailsec smime：警告：AES-256（CBC、認証なし）：このメッセージは途中で誰にも気づかれずに"
        "改ざんされたおそれがあります。電子署名も付いている場合にだけ信頼してください。\n"
    )


def test_pki_show_and_its_errors_are_japanese(files: Files, monkeypatch, capsys) -> None:
    status = main(["--lang", "ja", "pki", "show", files.pem("expired"), "--ca", files.pem("ca")])
    out = capsys.readouterr().out
    assert status == 1
    assert out.splitlines()[0].startswith("主体者：    CN=Alice (expired),O=mailsec course")
    assert out.splitlines()[-1] == "判定：      有効期限切れ"
    assert "：有効期限が切れています。  [RFC 5280 §4.1.2.5]" in out
    missing = str(files.folder / "nope")
    status, err = _run(["--lang", "ja", "pki", "issue", missing, "--email", "d@example.org",
                        "--name", "D"], b"", monkeypatch, capsys)  # fmt: skip
    assert status == 1
    assert err.startswith("mailsec pki：エラー：") and "はフォルダではありません" in err
    assert english_words(err) == [], err


def test_lang_from_the_environment_in_a_real_process(files: Files) -> None:
    environ = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    environ.update(LANG="ja_JP.UTF-8", PYTHONIOENCODING="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mailsec", "smime", "verify", "--ca", files.pem("ca")],
        input=_tampered(files),
        capture_output=True,
        env=environ,
        timeout=60,
        check=False,
    )
    err = done.stderr.decode("utf-8")
    assert done.returncode == 1
    assert done.stdout == b""
    assert err.count("\n") == 1 and err.startswith(ERROR), err
    assert "署名後にメッセージが改ざんされた" in err
    assert english_words(err) == [], err
