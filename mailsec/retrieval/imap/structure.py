"""A message's header and MIME structure as FETCH shows them (RFC 3501 §6.4.5, §7.4.2).

:func:`parse_part` reads a message (CRLF line ends) into a tree of :class:`Part` objects; from it
come the ENVELOPE (:func:`envelope`), BODY and BODYSTRUCTURE (:func:`bodystructure`) and the
octets of a numbered part (:func:`part_section`). :func:`header_fields` and :func:`header_value`
read header fields without parsing the whole message (FETCH ``HEADER.FIELDS``, SEARCH).
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import email.utils
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MAX_MIME_DEPTH",
    "Part",
    "bodystructure",
    "envelope",
    "header_fields",
    "header_value",
    "parse_part",
    "part_section",
    "split_header",
]

MAX_MIME_DEPTH = 20
"""Nesting of multiparts and attached messages followed; deeper parts count as plain bodies."""


# -- header fields ---------------------------------------------------------------------------------


def split_header(data: bytes) -> tuple[bytes, bytes]:
    """A message's header (with the blank line that ends it) and its body."""
    end = data.find(b"\r\n\r\n")
    if end == -1:
        return data, b""
    return data[: end + 4], data[end + 4 :]


def header_fields(header: bytes, names: Iterable[str], *, keep: bool) -> bytes:
    """The header lines of the fields ``names`` (``keep``) or of all other fields, with their
    continuation lines and a blank line at the end (``HEADER.FIELDS[.NOT]``)."""
    wanted = {n.lower() for n in names}
    out = bytearray()
    current_keep = False
    for line in header.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            if current_keep:
                out += line + b"\r\n"
            continue
        name = line.split(b":", 1)[0].strip().decode("ascii", "replace").lower()
        current_keep = (name in wanted) == keep
        if current_keep:
            out += line + b"\r\n"
    return bytes(out) + b"\r\n"


def header_value(header: bytes, name: str) -> str:
    """The value of header field ``name`` (all occurrences, unfolded), as text."""
    values = []
    current: list[bytes] | None = None
    for line in header.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and current is not None:
            current.append(line)
            continue
        current = None
        field, _, value = line.partition(b":")
        if field.strip().lower() == name.lower().encode():
            current = [value]
            values.append(current)
    return " ".join(b"".join(v).decode("utf-8", "replace").strip() for v in values)


# -- the MIME tree ---------------------------------------------------------------------------------


@dataclass
class Part:
    """One MIME entity of a message, with CRLF line ends."""

    header: bytes
    body: bytes
    fields: email.message.Message
    maintype: str
    subtype: str
    children: list[Part] | None = None
    """The parts of a multipart."""
    message: Part | None = None
    """The encapsulated message of a message/rfc822 part."""


def parse_part(raw: bytes, default: str = "text/plain", depth: int = 0) -> Part:
    """The MIME tree of an entity; ``default`` is its type when it names none (RFC 2046 §5.1.5:
    the parts of a multipart/digest are messages)."""
    if raw.startswith(b"\r\n"):
        header, body = b"\r\n", raw[2:]
    else:
        header, body = split_header(raw)
    fields = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(header)
    fields.set_default_type(default)
    maintype, subtype = fields.get_content_maintype(), fields.get_content_subtype()
    part = Part(header, body, fields, maintype, subtype)
    if depth >= MAX_MIME_DEPTH:
        return part
    if maintype == "multipart":
        boundary = fields.get_boundary()
        if boundary:
            child_default = "message/rfc822" if subtype == "digest" else "text/plain"
            part.children = [
                parse_part(chunk, child_default, depth + 1)
                for chunk in _split_multipart(body, boundary.encode("ascii", "replace"))
            ]
    elif (maintype, subtype) == ("message", "rfc822"):
        part.message = parse_part(body, "text/plain", depth + 1)
    return part


def _split_multipart(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts between the delimiter lines of a multipart body (RFC 2046 §5.1.1); the CRLF
    before a delimiter belongs to the delimiter."""
    delimiter = b"--" + boundary
    if body.startswith(delimiter):
        index = 0
    else:
        found = body.find(b"\r\n" + delimiter)
        if found < 0:
            return []
        index = found + 2
    parts: list[bytes] = []
    while len(parts) < 10_000:
        line_end = body.find(b"\r\n", index)
        line = body[index : line_end if line_end >= 0 else len(body)]
        if line.startswith(delimiter + b"--") or line_end < 0:
            break
        start = line_end + 2
        if body.startswith(delimiter, start):
            parts.append(b"")
            index = start
            continue
        following = body.find(b"\r\n" + delimiter, start)
        if following < 0:
            parts.append(body[start:])
            break
        parts.append(body[start:following])
        index = following + 2
    return parts


# -- ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2) --------------------------------------------------


def _raw(value: str | None) -> bytes | None:
    """A header value back as bytes, unfolded (the parser keeps 8-bit bytes as surrogates)."""
    if value is None:
        return None
    return re.sub(r"\r?\n", "", str(value)).encode("ascii", "surrogateescape")


def _nstring(value: bytes | str | None) -> bytes:
    """NIL, a quoted string, or a literal for 8-bit text (RFC 3501 §9 nstring)."""
    if value is None:
        return b"NIL"
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    if all(0x20 <= b < 0x7F for b in data):
        return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return b"{%d}\r\n" % len(data) + data


def _addresses(fields: email.message.Message, name: str) -> bytes | None:
    """The address list of header field ``name``: (name NIL mailbox host) for each address."""
    values = fields.get_all(name)
    if not values:
        return None
    out = []
    for display, address in email.utils.getaddresses([str(v) for v in values]):
        if not display and not address:
            continue
        mailbox_name, _, host = address.rpartition("@") if "@" in address else (address, "", "")
        out.append(
            b"("
            + b" ".join(
                (
                    _nstring(_raw(display) or None),
                    b"NIL",
                    _nstring(_raw(mailbox_name) if mailbox_name else None),
                    _nstring(_raw(host) if host else None),
                )
            )
            + b")"
        )
    return b"(" + b"".join(out) + b")" if out else None


def envelope(part: Part) -> bytes:
    """The ENVELOPE of a message (RFC 3501 §7.4.2): date, subject, addresses, ids."""
    fields = part.fields
    sender = _addresses(fields, "From")
    items = [
        _nstring(_raw(fields.get("Date"))),
        _nstring(_raw(fields.get("Subject"))),
        sender or b"NIL",
        _addresses(fields, "Sender") or sender or b"NIL",
        _addresses(fields, "Reply-To") or sender or b"NIL",
        _addresses(fields, "To") or b"NIL",
        _addresses(fields, "Cc") or b"NIL",
        _addresses(fields, "Bcc") or b"NIL",
        _nstring(_raw(fields.get("In-Reply-To"))),
        _nstring(_raw(fields.get("Message-ID"))),
    ]
    return b"(" + b" ".join(items) + b")"


def _param_list(pairs: list[tuple[str, str]]) -> bytes:
    if not pairs:
        return b"NIL"
    return b"(" + b" ".join(_nstring(k) + b" " + _nstring(v) for k, v in pairs) + b")"


def _params(fields: email.message.Message, header: str = "content-type") -> list[tuple[str, str]]:
    params = fields.get_params(header=header) or []
    return [(key, email.utils.collapse_rfc2231_value(value)) for key, value in params[1:] if key]


def _disposition(fields: email.message.Message) -> bytes:
    value = fields.get("Content-Disposition")
    if value is None:
        return b"NIL"
    kind = str(value).split(";", 1)[0].strip()
    return b"(" + _nstring(kind) + b" " + _param_list(_params(fields, "content-disposition")) + b")"


def bodystructure(part: Part, *, extended: bool) -> bytes:
    """BODYSTRUCTURE (``extended``) or BODY (RFC 3501 §7.4.2) of one entity."""
    fields = part.fields
    if part.children is not None:
        inner = b"".join(bodystructure(c, extended=extended) for c in part.children)
        out = b"(" + inner + b" " + _nstring(part.subtype)
        if extended:
            out += b" " + b" ".join(
                (
                    _param_list(_params(fields)),
                    _disposition(fields),
                    _nstring(_raw(fields.get("Content-Language"))),
                    _nstring(_raw(fields.get("Content-Location"))),
                )
            )
        return out + b")"
    params = _params(fields)
    if part.maintype == "text" and not params:
        params = [("charset", "us-ascii")]
    items = [
        _nstring(part.maintype),
        _nstring(part.subtype),
        _param_list(params),
        _nstring(_raw(fields.get("Content-ID"))),
        _nstring(_raw(fields.get("Content-Description"))),
        _nstring(_raw(fields.get("Content-Transfer-Encoding")) or b"7bit"),
        str(len(part.body)).encode(),
    ]
    if part.maintype == "text":
        items.append(str(part.body.count(b"\r\n")).encode())
    elif part.message is not None:
        items += [
            envelope(part.message),
            bodystructure(part.message, extended=extended),
            str(part.body.count(b"\r\n")).encode(),
        ]
    if extended:
        items += [
            _nstring(_raw(fields.get("Content-MD5"))),
            _disposition(fields),
            _nstring(_raw(fields.get("Content-Language"))),
            _nstring(_raw(fields.get("Content-Location"))),
        ]
    return b"(" + b" ".join(items) + b")"


# -- part sections (RFC 3501 §6.4.5) ---------------------------------------------------------------


def _child(node: Part, number: int) -> Part | None:
    """Part ``number`` of ``node`` (RFC 3501 §6.4.5 section numbering)."""
    if node.message is not None:
        node = node.message
    if node.children is not None:
        return node.children[number - 1] if 1 <= number <= len(node.children) else None
    return node if number == 1 else None


def part_section(data: bytes, path: tuple[int, ...], spec: str, fields: tuple[str, ...]) -> bytes:
    """The octets of ``BODY[path.spec]``; a part that does not exist is empty (as Dovecot)."""
    node: Part | None = parse_part(data)
    for number in path:
        assert node is not None
        node = _child(node, number)
        if node is None:
            return b""
    assert node is not None
    if spec == "MIME":
        return node.header
    if not spec:
        return node.body
    target = node.message if node.message is not None and path else node
    if spec == "HEADER":
        return target.header
    if spec == "TEXT":
        return target.body
    return header_fields(target.header, fields, keep=spec == "HEADER.FIELDS")
