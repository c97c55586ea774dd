"""Reading a message into header fields and body, and DKIM's canonicalization (RFC 6376 §3.4).

Mail is changed on its way: a server may refold a long header line, turn tabs into spaces or
add blank lines at the end. A signature over the exact bytes would then break, so DKIM first
brings the header fields and the body into a *canonical* form, and signs that. There are two
algorithms for each part, chosen by the signer in ``c=header/body``:

``simple`` (§3.4.1, §3.4.3)
    Header fields exactly as they are. For the body, only empty lines at the end are ignored.
``relaxed`` (§3.4.2, §3.4.4)
    Header names in lower case, folded lines unfolded, every run of spaces and tabs made one
    space, and the spaces around the colon and at the end removed. In the body, runs of
    spaces and tabs become one space and spaces at the ends of lines go.

Then the header fields named in ``h=`` are picked from the bottom of the header up (§5.4.2): a
name listed twice takes the last instance and then the one above it. A name listed more times
than the message has instances contributes nothing; signers use that on purpose ("oversigning")
so that an instance added later breaks the signature.

:func:`read_message` splits a message, refusing what is too large to be mail. Lines that end in a
bare LF (as text typed in Python does) are read as ending in CRLF, as mail on the wire does
(RFC 5322 §2.1, RFC 6376 §5.3); a bare CR is left as it is.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailsec.errors import InputError, quoted
from mailsec.i18n import texts
from mailsec.limits import MAX_HEADER_FIELDS, MAX_HEADER_SECTION, MAX_MESSAGE

__all__ = [
    "MAX_HEADER_FIELDS",
    "Canon",
    "HeaderField",
    "Message",
    "body_relaxed",
    "body_simple",
    "canonicalize_body",
    "canonicalize_header",
    "header_data",
    "header_relaxed",
    "header_simple",
    "is_field_name",
    "read_message",
    "select_fields",
]

CRLF = b"\r\n"


MESSAGES = texts(
    {
        "too_large": "The message is {size:,} bytes; the course reads messages of at most "
        "{limit:,} bytes.",
        "header_too_large": "The header section is {size:,} bytes; the course reads at most {limit:,} "
        "(Postfix's header_size_limit).",
        "too_many_fields": "The message has more than {limit:,} header fields; that is not mail "
        "anybody sent.",
        "continuation_first": "The message starts with a folded line (a line beginning with a space "
        "or tab) before any header field: {line}.",
        "not_a_field": "Line {number} of the header section is not a header field "
        "(name, colon, value): {line}. Put an empty line between the header and the body.",
        "not_bytes": "A message is read as bytes, not {kind}: DKIM signs octets. Encode text first, "
        "for example with .encode('utf-8').",
        "bad_method": "{method} is not a canonicalization algorithm: use 'simple' or 'relaxed'.",
    }
)

_UNFOLD = re.compile(rb"\r\n(?=[ \t])")
_BARE_LF = re.compile(rb"(?<!\r)\n")
_FIELD_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+\Z")


class Canon(str, enum.Enum):
    """A canonicalization algorithm (RFC 6376 §3.4)."""

    SIMPLE = "simple"
    """§3.4.1 and §3.4.3: tolerates almost no change (the default when ``c=`` is missing)."""
    RELAXED = "relaxed"
    """§3.4.2 and §3.4.4: tolerates common whitespace changes and refolding."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def from_text(cls, text: str) -> Canon:
        """The algorithm named ``text``; raises :class:`InputError` for any other name."""
        try:
            return cls(text.lower())
        except ValueError:
            raise InputError(MESSAGES["bad_method"].format(method=quoted(text))) from None


@dataclass(frozen=True)
class HeaderField:
    """One header field as it appears in the message."""

    name: str
    """The name as written (``"Subject"``), without any space before the colon."""
    raw: bytes
    """The whole field (name, colon, value, folded lines) without its final CRLF."""

    @property
    def key(self) -> str:
        """The name in lower case: header field names are compared without case."""
        return self.name.lower()

    @property
    def value(self) -> bytes:
        return self.raw.partition(b":")[2]


@dataclass(frozen=True)
class Message:
    """A message split into its header fields and its body."""

    fields: tuple[HeaderField, ...]
    body: bytes
    """Everything after the empty line that ends the header section."""
    bare_line_ends: bool = False
    """True when lines ending in a bare LF were read as ending in CRLF."""

    def to_bytes(self) -> bytes:
        """The message again, with CRLF line ends."""
        head = b"".join(field.raw + CRLF for field in self.fields)
        return head + CRLF + self.body


def read_message(message: bytes) -> Message:
    """Split ``message`` into header fields and body; raise :class:`InputError` for what is not
    a message or too large to be one."""
    if not isinstance(message, bytes | bytearray):
        raise InputError(MESSAGES["not_bytes"].format(kind=type(message).__name__))
    message = bytes(message)
    if len(message) > MAX_MESSAGE:
        raise InputError(MESSAGES["too_large"].format(size=len(message), limit=MAX_MESSAGE))
    bare = message.count(b"\n") != message.count(CRLF)
    if bare:
        message = _BARE_LF.sub(CRLF, message)
    if message.startswith(CRLF):
        head, body = b"", message[2:]
    else:
        end = message.find(CRLF + CRLF)
        if end < 0:
            head, body = message, b""
        else:
            head, body = message[: end + 2], message[end + 4 :]
    if len(head) > MAX_HEADER_SECTION:
        raise InputError(
            MESSAGES["header_too_large"].format(size=len(head), limit=MAX_HEADER_SECTION)
        )
    return Message(_read_fields(head), body, bare)


def _read_fields(head: bytes) -> tuple[HeaderField, ...]:
    lines = head.split(CRLF)
    if lines and lines[-1] == b"":
        lines.pop()
    fields: list[HeaderField] = []
    current: list[bytes] = []
    name = ""
    for number, line in enumerate(lines, start=1):
        if line[:1] in (b" ", b"\t"):
            if not current:
                raise InputError(MESSAGES["continuation_first"].format(line=_show(line)))
            current.append(line)
            continue
        if current:
            fields.append(HeaderField(name, CRLF.join(current)))
            if len(fields) > MAX_HEADER_FIELDS:
                raise InputError(MESSAGES["too_many_fields"].format(limit=MAX_HEADER_FIELDS))
        raw_name, colon, _ = line.partition(b":")
        raw_name = raw_name.rstrip(b" \t")
        if not colon or not _FIELD_NAME.match(raw_name):
            raise InputError(MESSAGES["not_a_field"].format(number=number, line=_show(line)))
        name = raw_name.decode("ascii")
        current = [line]
    if current:
        fields.append(HeaderField(name, CRLF.join(current)))
    if len(fields) > MAX_HEADER_FIELDS:
        raise InputError(MESSAGES["too_many_fields"].format(limit=MAX_HEADER_FIELDS))
    return tuple(fields)


def is_field_name(name: str) -> bool:
    """Whether ``name`` can be a header field name: printable ASCII without a colon
    (RFC 5322 §3.6.8)."""
    return name.isascii() and _FIELD_NAME.match(name.encode("ascii")) is not None


def _show(line: bytes) -> str:
    return quoted(line.decode("utf-8", "replace"), 60)


# -- canonicalization (§3.4) ----------------------------------------------------------------------


def header_simple(field: HeaderField) -> bytes:
    """§3.4.1: the field exactly as it is, with its CRLF."""
    return field.raw + CRLF


def header_relaxed(field: HeaderField) -> bytes:
    """§3.4.2, its five steps in order, then the CRLF that ends the field."""
    name, _, value = field.raw.partition(b":")
    name = name.lower()  # 1. names in lower case (ASCII only, as bytes.lower is)
    value = _UNFOLD.sub(b"", value)  # 2. unfold: a CRLF followed by WSP is removed
    name = _one_space(name)  # 3. every run of WSP becomes one SP ...
    value = _one_space(value)
    value = value.rstrip(b" ")  # 4. ... WSP at the end of the value is deleted
    name, value = name.rstrip(b" "), value.lstrip(b" ")  # 5. and WSP around the colon
    return name + b":" + value + CRLF


def _one_space(data: bytes) -> bytes:
    """Every run of WSP (spaces and tabs) as one space: tabs become spaces, then two spaces
    become one until no two are left. Each step is one pass in C; a run of n spaces takes about
    log2(n) passes. (A regular expression over ``[ \\t]+`` does the same but visits every single
    space of a body, and was the slowest part of verifying a signature.)"""
    data = data.replace(b"\t", b" ")
    while b"  " in data:
        data = data.replace(b"  ", b" ")
    return data


def _trailing_crlf_count(body: bytes) -> int:
    """How many CRLFs end ``body`` in a row (the empty lines at its end, plus the last line's).

    Done with whole-string operations, so a body of millions of line breaks is counted at once:
    in the run of CR and LF at the end, the CRLF pairs start after the last doubled character.
    """
    tail = body[len(body.rstrip(b"\r\n")) :]
    if not tail.endswith(b"\n"):
        return 0
    start = max(tail.rfind(b"\r\r"), tail.rfind(b"\n\n")) + 1
    run = tail[start:]
    if run.startswith(b"\n"):
        run = run[1:]
    return len(run) // 2


def body_simple(body: bytes) -> bytes:
    """§3.4.3: empty lines at the end are removed and the body ends with exactly one CRLF (an
    empty body becomes one CRLF)."""
    content = body[: len(body) - 2 * _trailing_crlf_count(body)]
    return content + CRLF


def body_relaxed(body: bytes) -> bytes:
    """§3.4.4: WSP runs become one SP, WSP at line ends goes, then empty lines at the end are
    removed; a body that is not empty ends with CRLF (an empty body stays empty)."""
    body = _one_space(body)
    body = body.replace(b" \r\n", CRLF)
    if body.endswith(b" "):  # the last line, when it has no CRLF
        body = body[:-1]
    content = body[: len(body) - 2 * _trailing_crlf_count(body)]
    return content + CRLF if content else b""


def canonicalize_header(field: HeaderField, method: Canon) -> bytes:
    return header_relaxed(field) if method is Canon.RELAXED else header_simple(field)


def canonicalize_body(body: bytes, method: Canon) -> bytes:
    return body_relaxed(body) if method is Canon.RELAXED else body_simple(body)


# -- which header fields are signed (§5.4.2) -----------------------------------------------------


def select_fields(
    fields: Sequence[HeaderField], names: Sequence[str], *, skip: HeaderField | None = None
) -> tuple[HeaderField | None, ...]:
    """The field each name of ``h=`` stands for, or None when the message has no (more) instances.

    Instances are taken from the bottom of the header up (§5.4.2). ``skip`` is a field that is
    never chosen: the DKIM-Signature being verified, which did not exist when it was signed.
    """
    stacks: dict[str, list[HeaderField]] = {}
    for field in fields:
        if field is not skip:
            stacks.setdefault(field.key, []).append(field)
    chosen = []
    for name in names:
        stack = stacks.get(name.lower())
        chosen.append(stack.pop() if stack else None)
    return tuple(chosen)


def header_data(
    selected: Sequence[HeaderField | None], signature_field: HeaderField, method: Canon
) -> bytes:
    """The bytes whose hash is signed (§3.7): the selected fields canonicalized in ``h=`` order
    (a missing one adds nothing, §5.4), then the DKIM-Signature field itself, with its ``b=``
    value already emptied, canonicalized the same way but without its final CRLF."""
    parts = [canonicalize_header(field, method) for field in selected if field is not None]
    parts.append(canonicalize_header(signature_field, method)[:-2])
    return b"".join(parts)
