"""No decryption oracle in S/MIME (RFC 3218 §2.3.2): a bad PKCS #1 v1.5 key block, a key of the
wrong length, a wrong key and a changed ciphertext all end in the same opaque error, from the
library and from the ``mailsec smime decrypt`` command line alike, so an attacker who sends
altered messages learns nothing from the answers.
"""

from __future__ import annotations

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives.asymmetric import padding as asymmetric_padding
from smime_samples import MAIL

from mailsec.errors import DecryptionError
from mailsec.smime import (
    ContentCipher,
    encrypt_message,
)
from mailsec.smime.cms import load_content_info
from mailsec.smime.enveloped import OPAQUE, build_enveloped, open_enveloped
from mailsec.smime.mime import (
    CRLF,
    base64_lines,
    canonical_crlf,
    decode_body,
    split_message,
)


def _with_encrypted_key(der: bytes, encrypted_key: bytes) -> bytes:
    """The same EnvelopedData/AuthEnvelopedData with the first recipient's key block replaced."""
    info = cms.ContentInfo.load(der)
    ktri = info["content"]["recipient_infos"][0].chosen
    ktri["encrypted_key"] = encrypted_key
    return info.dump(force=True)  # asn1crypto keeps the old bytes unless forced


@pytest.mark.parametrize("cipher", [ContentCipher.AES256_GCM, ContentCipher.AES256_CBC])
def test_every_failure_to_unwrap_or_decrypt_gives_the_same_answer(pki, cipher):
    """RFC 3218 §2.3.2: a bad PKCS #1 v1.5 block, a good block with a key of the wrong length,
    a wrong key of the right length and a changed ciphertext all end in one opaque error."""
    public = pki.alice.certificate.public_key()
    pad = asymmetric_padding.PKCS1v15()
    der = build_enveloped(
        b"Content-Type: text/plain\r\n\r\nsecret\r\n", [pki.alice.certificate], cipher
    )
    size = public.key_size // 8
    blocks = {
        "padding is wrong": (int.from_bytes(public.encrypt(b"x" * 32, pad), "big") ^ 1).to_bytes(
            size, "big"
        ),
        "key of 16 bytes": public.encrypt(b"k" * 16, pad),
        "wrong 32-byte key": public.encrypt(b"k" * 32, pad),
        "not a block at all": b"\x01\x02",
    }
    for name, block in blocks.items():
        info = load_content_info(_with_encrypted_key(der, block))
        try:
            opened = open_enveloped(info, pki.alice.key, pki.alice.certificate)
        except DecryptionError as failed:
            assert failed.message == OPAQUE, name
        else:
            # AES-CBC cannot tell a wrong key: about 1 in 256 random keys leave a valid padding
            # and "decrypt" to garbage, exactly as with any wrong key. Never the secret.
            assert not cipher.authenticated, name
            assert b"secret" not in opened.content, name


def test_the_cli_answers_every_decryption_failure_alike(pki, tmp_path):
    """One line, one exit status, whether the key block or the content is what was damaged."""
    import subprocess
    import sys

    key, cert = tmp_path / "alice.key.pem", tmp_path / "alice.pem"
    key.write_bytes(pki.alice.key_pem())
    cert.write_bytes(pki.alice.certificate_pem())
    sealed = encrypt_message(MAIL, [pki.alice.certificate])
    der = decode_body(split_message(canonical_crlf(sealed)))
    public = pki.alice.certificate.public_key()
    variants = [
        _with_encrypted_key(der, public.encrypt(b"k" * 16, asymmetric_padding.PKCS1v15())),
        _with_encrypted_key(der, b"\x00" * (public.key_size // 8)),
    ]
    head = canonical_crlf(sealed).split(CRLF + CRLF)[0] + CRLF + CRLF
    answers = set()
    for variant in [
        *(head + base64_lines(v) for v in variants),
        sealed[:-60] + b"AAAA" + sealed[-56:],
    ]:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "mailsec",
                "smime",
                "decrypt",
                "--key",
                str(key),
                "--cert",
                str(cert),
            ],
            input=variant,
            capture_output=True,
            timeout=60,
        )
        answers.add((run.returncode, run.stderr))
    assert len(answers) == 1, answers
    ((status, stderr),) = answers
    assert status != 0 and stderr.count(b"\n") == 1 and b"could not be decrypted" in stderr
