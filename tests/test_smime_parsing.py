"""Reading S/MIME messages: the MIME helpers (base64 lines of RFC 2045 §6.8, canonical CRLF line
ends), how a message is classified (``message_kind``, with or without the optional smime-type
parameter of RFC 8551 §3.2.2), and the property that any input at all, random bytes or a damaged
S/MIME message, is handled or refused with a MailsecError, never a traceback.
"""

from __future__ import annotations

import base64
import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smime_samples import MAIL

from mailsec.smime import (
    ContentCipher,
    MessageKind,
    decrypt_message,
    encrypt_message,
    message_kind,
    verify_message,
)
from mailsec.smime.mime import (
    base64_lines,
    canonical_crlf,
)


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
