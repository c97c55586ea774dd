"""Reading S/MIME messages: the MIME helpers (base64 lines of RFC 2045 §6.8, canonical CRLF line
ends), how a message is classified (``message_kind``, with or without the optional smime-type
parameter of RFC 8551 §3.2.2), and the property that any input at all, random bytes or a damaged
S/MIME message, is handled or refused with a MailsecError, never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smime_samples import MAIL

from mailsec import base64text
from mailsec.base64text import b64decode_lines
from mailsec.smime import (
    ContentCipher,
    MessageKind,
    decrypt_message,
    encrypt_message,
    message_kind,
    mime,
    verify_message,
)
from mailsec.smime.mime import (
    base64_lines,
    canonical_crlf,
    pkcs7_mime_parts,
    split_message,
)


def _base64_lines_by_line(data: bytes) -> bytes:
    """The former writer, one 76-character line at a time: the reference for the block writer."""
    encoded = binascii.b2a_base64(data, newline=False)
    if not encoded:
        return b""
    full = len(encoded) // 76
    lines = list(struct.unpack_from("76s" * full, encoded))
    if len(encoded) % 76:
        lines.append(encoded[full * 76 :])
    lines.append(b"")
    return b"\r\n".join(lines)


def _decode_reference(text: bytes) -> bytes | None:
    """The former reader: strip blanks and line ends, then the strict standard decoder."""
    try:
        return base64.b64decode(text.translate(None, b" \t\r\n"), validate=True)
    except binascii.Error:
        return None


def _decode_blocks(text: bytes) -> bytes | None:
    try:
        return b64decode_lines(text)
    except binascii.Error:
        return None


def test_block_base64_is_byte_identical_to_line_by_line(monkeypatch):
    """Blocks of whole lines, wrapped column by column, give exactly the former line-by-line text:
    every length around a line, around a block (made small here) and one large message."""
    for n in [*range(0, 400), 57 * 3 - 1, 57 * 3, 57 * 3 + 1, 57 * 6 + 5, 4000]:
        data = os.urandom(n)
        assert base64_lines(data) == _base64_lines_by_line(data), n
        monkeypatch.setattr(mime, "BLOCK", 57 * 3)
        assert base64_lines(data) == _base64_lines_by_line(data), n
        monkeypatch.setattr(mime, "BLOCK", 57 * 18_000)
    big = os.urandom(3 * 1024 * 1024 + 11)
    assert base64_lines(big) == _base64_lines_by_line(big)
    assert base64_lines(memoryview(bytearray(big))) == _base64_lines_by_line(big)


def test_pkcs7_mime_parts_join_to_the_whole_message(monkeypatch):
    monkeypatch.setattr(mime, "BLOCK", 57 * 2)
    split = split_message(MAIL)
    der = os.urandom(1000)
    parts = list(pkcs7_mime_parts(split, der, smime_type="enveloped-data"))
    assert len(parts) > 2
    assert b"".join(parts) == mime.make_pkcs7_mime(split, der, smime_type="enveloped-data")
    assert b"".join(parts[1:]) == _base64_lines_by_line(der)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=120),
    edits=st.lists(
        st.tuples(st.integers(0, 400), st.sampled_from(list(b"=A/+-.\r\n \t\x00"))), max_size=3
    ),
    cut=st.none() | st.integers(0, 400),
    block=st.sampled_from([4, 7, 16, 33]),
)
def test_block_base64_decoding_reads_as_the_standard_decoder(data, edits, cut, block):
    """Block-wise SIMD decoding accepts and refuses exactly what the strict standard decoder did,
    with the same bytes out, whatever is changed, cut off or added (surplus padding too)."""
    text = bytearray(base64_lines(data))
    for at, value in edits:
        if text:
            text[at % len(text)] = value
    if cut is not None:
        del text[cut:]
    original = base64text.DECODE_BLOCK
    base64text.DECODE_BLOCK = block
    try:
        assert _decode_blocks(bytes(text)) == _decode_reference(bytes(text))
        assert _decode_blocks(bytes(text) + b"==") == _decode_reference(bytes(text) + b"==")
    finally:
        base64text.DECODE_BLOCK = original


def test_canonical_crlf_returns_canonical_input_itself():
    data = b"a\r\nb\r\n" * 1000
    assert canonical_crlf(data) is data
    assert canonical_crlf(b"a\r\nb\n") == b"a\r\nb\r\n"
    assert canonical_crlf(b"a\r\nb\r") == b"a\r\nb\r\n"
    assert canonical_crlf(b"a\rb\n\r\n") == b"a\r\nb\r\n\r\n"


def test_base64_lines_are_76_characters():
    """RFC 2045 §6.8: encoded lines are at most 76 characters."""
    data = bytes(range(256)) * 10
    encoded = base64_lines(data)
    lines = encoded.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) == 76 for line in lines[:-2]) and 0 < len(lines[-2]) <= 76
    assert base64.b64decode(encoded) == data
    assert base64_lines(b"") == b""


@given(st.binary(max_size=200))
def test_canonical_crlf_properties(data):
    once = canonical_crlf(data)
    assert canonical_crlf(once) == once
    assert once.replace(b"\r\n", b"").count(b"\n") == 0
    assert once.replace(b"\r\n", b"").count(b"\r") == 0


def test_message_kind_without_smime_type(pki):
    """RFC 8551 §3.2.2: smime-type is optional; the CMS content type decides then."""
    sealed = encrypt_message(MAIL, [pki.bob.certificate], cipher=ContentCipher.AES128_CBC)
    bare = sealed.replace(b"smime-type=enveloped-data; ", b"")
    assert b"smime-type" not in bare
    assert message_kind(bare) is MessageKind.ENVELOPED
    assert decrypt_message(bare, key=pki.bob.key, certificate=pki.bob.certificate).entity.endswith(
        b"Alice\r\n"
    )
    assert message_kind(MAIL) is MessageKind.PLAIN


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.builds(
            lambda ctype, body: (
                b"From: a@example.org\r\nContent-Type: " + ctype + b"\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n" + body
            ),
            st.sampled_from(
                [
                    b"application/pkcs7-mime; smime-type=enveloped-data",
                    b"application/pkcs7-mime",
                    b'multipart/signed; protocol="application/pkcs7-signature"; boundary=b',
                    b"text/plain",
                ]
            ),
            st.binary(max_size=300),
        ),
    )
)
def test_arbitrary_input_never_crashes(pki, data):
    """Property: any input is either handled or refused with a MailsecError — no traceback."""
    from mailsec.errors import MailsecError

    for operation in (
        lambda: verify_message(data, trusted=[pki.ca.certificate]),
        lambda: decrypt_message(data, key=pki.bob.key, certificate=pki.bob.certificate),
        lambda: message_kind(data),
    ):
        with contextlib.suppress(MailsecError):
            operation()
