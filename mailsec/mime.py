"""Untrusted mail, read within bounds: one place checks size, header section and MIME depth.

Every part of the course that parses a message it did not make itself (S/MIME and PGP/MIME
messages, the IMAP server's BODYSTRUCTURE, the labs) goes through :func:`parse`, or at least
through :func:`check_message` before it hands the bytes to another parser. The limits are in
:mod:`mailsec.limits`; the errors say which limit and why.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
import re

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.limits import MAX_HEADER_SECTION, MAX_MESSAGE, MAX_MIME_DEPTH

__all__ = [
    "check_message",
    "mime_depth",
    "param_text",
    "parse",
    "payload_bytes",
    "subparts",
]

TEXT = texts(
    {
        "message": "The message",
        "too_large": "{what} is {size} bytes; the course reads messages up to {limit} bytes.",
        "header_too_large": "{what} has more than {limit} bytes of header fields before its "
        "first empty line; mail servers refuse such messages (Postfix's header_size_limit).",
        "too_deep": "{what} nests multiparts more than {limit} deep; no mail program writes "
        "that, and mail servers refuse it (Postfix's mime_nesting_limit).",
    }
)
"""The limits' sentences (see :mod:`mailsec.i18n`). ``what`` names the message in the caller's
words (its default is "The message")."""

_END_OF_HEADER = re.compile(rb"\r\n\r\n|\n\n|\r\r")


def check_message(data: bytes, *, what: str | None = None) -> None:
    """Refuse a message that is too large, or whose header section is (see :mod:`mailsec.limits`).

    ``what`` names the message in the error (default: "The message", in the current language)."""
    if len(data) > MAX_MESSAGE:
        raise InputError(
            TEXT["too_large"].format(
                what=what or TEXT["message"], size=f"{len(data):,}", limit=f"{MAX_MESSAGE:,}"
            )
        )
    end = _END_OF_HEADER.search(data, 0, MAX_HEADER_SECTION + 4)
    header = end.start() if end is not None else len(data)
    if header > MAX_HEADER_SECTION:
        raise InputError(
            TEXT["header_too_large"].format(
                what=what or TEXT["message"], limit=f"{MAX_HEADER_SECTION:,}"
            )
        )


def mime_depth(message: email.message.Message) -> int:
    """How deeply multiparts are nested (1 for a single part), counted without recursion."""
    deepest = 0
    stack = [(message, 1)]
    while stack:
        part, depth = stack.pop()
        deepest = max(deepest, depth)
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend(
                (child, depth + 1) for child in payload if isinstance(child, email.message.Message)
            )
    return deepest


def payload_bytes(part: email.message.Message) -> bytes:
    """The decoded body of a single part (``get_payload(decode=True)``), ``b""`` for none.

    The standard library's stubs type that payload loosely; for a part that is not multipart it
    is bytes, and for a multipart it is None (read here as ``b""``)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def subparts(part: email.message.Message) -> list[email.message.Message]:
    """The parts of a multipart (``get_payload()``), none for a single part."""
    payload = part.get_payload()
    if not part.is_multipart() or not isinstance(payload, list):
        return []
    return [child for child in payload if isinstance(child, email.message.Message)]


def param_text(part: email.message.Message, name: str) -> str:
    """A Content-Type parameter as text, ``""`` when it is absent. A parameter written in RFC 2231
    form (``name*=charset''value``) comes from ``get_param`` as a tuple: it is decoded here."""
    value = part.get_param(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else email.utils.collapse_rfc2231_value(value)


def parse(
    data: bytes, *, what: str | None = None, policy: email.policy.Policy = email.policy.compat32
) -> email.message.Message:
    """Parse an untrusted message with :mod:`email`, within the course's limits."""
    check_message(data, what=what)
    try:
        message = email.message_from_bytes(data, policy=policy)
        depth = mime_depth(message)
    except RecursionError:
        depth = MAX_MIME_DEPTH + 1
    if depth > MAX_MIME_DEPTH:
        raise InputError(
            TEXT["too_deep"].format(what=what or TEXT["message"], limit=MAX_MIME_DEPTH)
        )
    return message
