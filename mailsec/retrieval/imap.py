"""IMAP4rev1 (RFC 3501, a subset) with QUOTA (RFC 9208) as a pure state machine.

An :class:`ImapSession` is fed the client's lines (bytes without CRLF) and literals, and returns
an :class:`ImapResult`: the responses to send, and whether a literal must be read first. It never
touches a socket; :mod:`mailsec.retrieval.servers` is the thin asyncio shell around it.

What is built: CAPABILITY, NOOP, LOGOUT, LOGIN, SELECT, EXAMINE, CREATE, DELETE, RENAME, LIST,
LSUB, SUBSCRIBE, UNSUBSCRIBE, STATUS, APPEND, CHECK, CLOSE, EXPUNGE, SEARCH, FETCH (FLAGS, UID,
RFC822.SIZE, INTERNALDATE, ENVELOPE, BODY, BODYSTRUCTURE, RFC822*, ``BODY[...]`` and
``BODY.PEEK[...]`` with part numbers, HEADER, TEXT, MIME, HEADER.FIELDS[.NOT] and partial
``<start.length>``; FAST, ALL, FULL), STORE, COPY, UID FETCH/STORE/SEARCH/COPY/EXPUNGE,
GETQUOTAROOT, GETQUOTA, SETQUOTA (refused), IDLE (RFC 2177); synchronising and non-synchronising
literals (LITERAL+, RFC 7888); AUTHENTICATE PLAIN (RFC 4616, SASL-IR RFC 4959); NAMESPACE
(RFC 2342); UNSELECT (RFC 3691); MOVE and UID MOVE (RFC 6851). Not built: STARTTLS, keywords (only
system flags are stored).

Several sessions share one :class:`~mailsec.retrieval.maildir.MailStore`. A session with a
folder selected hears about other sessions' changes and reports them before its next tagged
reply (or at once while it idles): new mail as ``* n EXISTS``, flag changes as
``* n FETCH (FLAGS ...)``, removals as ``* n EXPUNGE`` -- but never while answering FETCH, STORE
or SEARCH, whose message numbers must not shift under the client (RFC 3501 §7.4.1).

Where RFC 3501 leaves a choice, replies follow Dovecot 2.3 (texts, ``BAD`` for a message number
beyond the mailbox, ``OK`` for STORE in a read-only mailbox, the quota root ``"User quota"``).
"""

from __future__ import annotations

import calendar
import datetime
import email.message
import email.parser
import email.policy
import email.utils
import enum
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mailsec.retrieval.maildir import (
    QUOTA_ROOT,
    SYSTEM_FLAGS,
    ChangeKind,
    Folder,
    FolderChange,
    MailStore,
)
from mailsec.retrieval.sasl import PlainOutcome, check_plain, credentials_match

__all__ = [
    "CAPABILITIES",
    "MAX_LINE",
    "MAX_LITERAL",
    "ImapResult",
    "ImapSession",
    "ImapState",
    "parse_ranges",
    "parse_sequence_set",
]

MAX_LINE = 65536
"""Longest command line read, in octets (Dovecot's imap_max_line_length)."""
MAX_LITERAL = 32 * 1024 * 1024
"""Largest literal accepted (a message to APPEND); larger ones get ``NO [TOOBIG]``."""
MAX_COMMAND_LITERALS = 65536
"""Octets of literals accepted in any command other than APPEND."""
MAX_NESTING = 64
"""Parenthesis levels accepted in a command (search programs nest, but not this deep)."""
MAX_BAD_COMMANDS = 20
"""BAD replies tolerated before the server says BYE (Dovecot's limit)."""

CAPABILITIES = (
    "IMAP4rev1 SASL-IR LITERAL+ IDLE NAMESPACE UNSELECT UIDPLUS MOVE QUOTA QUOTA=RES-STORAGE "
    "AUTH=PLAIN"
)
"""What this server can do (RFC 3501 §7.2.1, RFC 4959, RFC 7888, RFC 2177, RFC 4315, RFC 9208
§3.1, RFC 4616, RFC 2342, RFC 3691, RFC 6851)."""
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class ImapState(enum.Enum):
    """The states of an IMAP session (RFC 3501 §3)."""

    NOT_AUTHENTICATED = "not authenticated"
    """Connected; the client must LOGIN."""
    AUTHENTICATED = "authenticated"
    """Logged in; the client must SELECT or EXAMINE a mailbox before working on messages."""
    SELECTED = "selected"
    """A mailbox is open: FETCH, STORE, SEARCH, COPY, EXPUNGE work on its messages."""
    LOGOUT = "logout"
    """The connection is closing."""


@dataclass(frozen=True)
class ImapResult:
    """What the shell must do after feeding a line or a literal."""

    responses: tuple[bytes, ...] = ()
    """Complete responses to send, each ending in CRLF (literals included)."""
    literal: int | None = None
    """Read exactly this many octets next and pass them to :meth:`ImapSession.feed_literal`."""
    continuation: bool = False
    """Send a ``+`` continuation request before reading the literal (synchronising literal)."""
    close: bool = False
    """Close the connection after sending the responses."""


class _Bad(Exception):
    """A syntax error: the tagged reply is BAD with this text."""


class _No(Exception):
    """The command cannot be carried out: the tagged reply is NO with this text."""


class Atom(str):
    """An atom token (as opposed to a quoted string, which is a plain ``str``)."""


# -- tokenising ------------------------------------------------------------------------------------

_ATOM_END = b" ()\r\n"


def _tokenize(parts: list[bytes | _Literal]) -> list[object]:
    """Split a command (line pieces and literals) into atoms, strings, bytes and lists."""
    stack: list[list[object]] = [[]]
    for part in parts:
        if isinstance(part, _Literal):
            stack[-1].append(part.data)
            continue
        data = part
        i = 0
        while i < len(data):
            c = data[i : i + 1]
            if c == b" ":
                i += 1
            elif c == b"(":
                if len(stack) > MAX_NESTING:
                    raise _Bad("Too deeply nested parentheses")
                stack.append([])
                i += 1
            elif c == b")":
                if len(stack) == 1:
                    raise _Bad("Unexpected ')'")
                done = stack.pop()
                stack[-1].append(done)
                i += 1
            elif c == b'"':
                i += 1
                out = bytearray()
                while True:
                    if i >= len(data):
                        raise _Bad("Missing '\"'")
                    ch = data[i : i + 1]
                    if ch == b"\\":
                        if i + 1 >= len(data) or data[i + 1 : i + 2] not in (b"\\", b'"'):
                            raise _Bad("Invalid escape in quoted string")
                        out += data[i + 1 : i + 2]
                        i += 2
                    elif ch == b'"':
                        i += 1
                        break
                    else:
                        out += ch
                        i += 1
                try:
                    stack[-1].append(out.decode("utf-8"))
                except UnicodeDecodeError:
                    raise _Bad("Quoted string is not valid UTF-8") from None
            elif c == b"{":
                # The literal's contents follow as the next part; the marker itself is dropped.
                end = data.find(b"}", i)
                if end == -1 or end != len(data) - 1:
                    raise _Bad("Invalid literal size")
                i = end + 1
            else:
                start = i
                depth = 0
                while i < len(data):
                    ch = data[i : i + 1]
                    if ch == b"[":
                        depth += 1
                    elif ch == b"]":
                        depth -= 1
                    elif depth == 0 and ch in (b" ", b"(", b")"):
                        break
                    i += 1
                word = data[start:i]
                if not word.isascii():
                    raise _Bad("8bit data in atom")
                if any(b < 0x20 or b == 0x7F for b in word):
                    raise _Bad("Invalid characters in atom")
                stack[-1].append(Atom(word.decode("ascii")))
    if len(stack) != 1:
        raise _Bad("Missing ')'")
    return stack[0]


@dataclass(frozen=True)
class _Literal:
    data: bytes


_LITERAL_AT_END = re.compile(rb"\{(\d{1,12})(\+?)\}$")
_LITERAL_LOOSE = re.compile(rb"\{([^}]*)\}$")


def parse_ranges(text: str, largest: int) -> list[tuple[int, int]] | None:
    """Parse an IMAP sequence set (RFC 3501 §9 ``sequence-set``) into (low, high) ranges, with
    ``*`` standing for ``largest``; ``None`` when the text is not a sequence set."""
    ranges = []
    for item in text.split(","):
        bounds = item.split(":")
        if len(bounds) > 2 or not all(bounds):
            return None
        values = []
        for bound in bounds:
            if bound == "*":
                values.append(largest)
            elif bound.isascii() and bound.isdigit() and bound[0] != "0" and len(bound) <= 10:
                values.append(int(bound))
            else:
                return None
        ranges.append((min(values), max(values)))
    return ranges


def parse_sequence_set(text: str, largest: int) -> list[int] | None:
    """The numbers of an IMAP sequence set, ascending and without duplicates (``*`` is
    ``largest``), or ``None`` when the text is not a sequence set or names over ten million."""
    ranges = parse_ranges(text, largest)
    if ranges is None or sum(high - low + 1 for low, high in ranges) > 10_000_000:
        return None
    numbers: set[int] = set()
    for low, high in ranges:
        numbers.update(range(low, high + 1))
    return sorted(numbers)


def _dot(text: str) -> str:
    """Error texts end with a full stop, as Dovecot's do."""
    return text if text.endswith(".") else text + "."


def _compress(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` as the sequence set ``1:3,7`` (RFC 4315 §3 uid-set)."""
    out: list[str] = []
    start = prev = None
    for n in sorted(numbers):
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            out.append(str(start) if start == prev else f"{start}:{prev}")
            start = prev = n
    if start is not None:
        out.append(str(start) if start == prev else f"{start}:{prev}")
    return ",".join(out)


def _astring(token: object) -> str:
    if isinstance(token, str):
        return str(token)
    if isinstance(token, bytes):
        try:
            return token.decode("utf-8")
        except UnicodeDecodeError:
            raise _Bad("Literal is not valid UTF-8") from None
    raise _Bad("Invalid arguments")


def _quote(text: str) -> bytes:
    if text and re.fullmatch(r"[A-Za-z0-9._\-]+", text):
        return text.encode()
    return b'"' + text.replace("\\", "\\\\").replace('"', '\\"').encode("utf-8") + b'"'


def _internaldate(timestamp: float) -> str:
    t = time.gmtime(timestamp)
    return f"{t.tm_mday:02d}-{_MONTHS[t.tm_mon - 1]}-{t.tm_year} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def _parse_date_time(text: str) -> float:
    """``"dd-Mon-yyyy hh:mm:ss +zzzz"`` (RFC 3501 §9 date-time) to seconds since the epoch."""
    match = re.fullmatch(
        r" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)", text
    )
    if not match:
        raise _Bad("Invalid date-time")
    day, mon, year, hh, mm, ss, sign, zh, zm = match.groups()
    months = [m.lower() for m in _MONTHS]
    if mon.lower() not in months:
        raise _Bad("Invalid date-time")
    try:
        stamp = calendar.timegm(
            (int(year), months.index(mon.lower()) + 1, int(day), int(hh), int(mm), int(ss))
        )
    except (ValueError, OverflowError):
        raise _Bad("Invalid date-time") from None
    offset = (int(zh) * 60 + int(zm)) * 60
    return stamp - offset if sign == "+" else stamp + offset


def _search_date(text: str) -> datetime.date:
    """``1-Feb-1994`` (RFC 3501 §9 date) as a date."""
    match = re.fullmatch(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})", text)
    months = [m.lower() for m in _MONTHS]
    if not match or match.group(2).lower() not in months:
        raise _Bad(f"Invalid search date parameter: {text}")
    day = int(match.group(1))
    if not 1 <= day <= 31 or int(match.group(3)) < 1:
        raise _Bad(f"Invalid search date parameter: {text}")
    # The grammar allows 31-Feb; like Dovecot, count on from the first of the month.
    first = datetime.date(int(match.group(3)), months.index(match.group(2).lower()) + 1, 1)
    return first + datetime.timedelta(days=day - 1)


def _split_header(data: bytes) -> tuple[bytes, bytes]:
    end = data.find(b"\r\n\r\n")
    if end == -1:
        return data, b""
    return data[: end + 4], data[end + 4 :]


def _header_fields(header: bytes, names: Iterable[str], *, keep: bool) -> bytes:
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


# -- MIME structure: ENVELOPE, BODYSTRUCTURE and part sections (RFC 3501 §6.4.5, §7.4.2) -------

MAX_MIME_DEPTH = 20
"""Nesting of multiparts and attached messages followed; deeper parts count as plain bodies."""


@dataclass
class _Part:
    """One MIME entity of a message, with CRLF line ends."""

    header: bytes
    body: bytes
    fields: email.message.Message
    maintype: str
    subtype: str
    children: list[_Part] | None = None
    """The parts of a multipart."""
    message: _Part | None = None
    """The encapsulated message of a message/rfc822 part."""


def _parse_part(raw: bytes, default: str = "text/plain", depth: int = 0) -> _Part:
    if raw.startswith(b"\r\n"):
        header, body = b"\r\n", raw[2:]
    else:
        header, body = _split_header(raw)
    fields = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(header)
    fields.set_default_type(default)
    maintype, subtype = fields.get_content_maintype(), fields.get_content_subtype()
    part = _Part(header, body, fields, maintype, subtype)
    if depth >= MAX_MIME_DEPTH:
        return part
    if maintype == "multipart":
        boundary = fields.get_boundary()
        if boundary:
            child_default = "message/rfc822" if subtype == "digest" else "text/plain"
            part.children = [
                _parse_part(chunk, child_default, depth + 1)
                for chunk in _split_multipart(body, boundary.encode("ascii", "replace"))
            ]
    elif (maintype, subtype) == ("message", "rfc822"):
        part.message = _parse_part(body, "text/plain", depth + 1)
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


def _envelope(part: _Part) -> bytes:
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


def _bodystructure(part: _Part, *, extended: bool) -> bytes:
    """BODYSTRUCTURE (``extended``) or BODY (RFC 3501 §7.4.2) of one entity."""
    fields = part.fields
    if part.children is not None:
        inner = b"".join(_bodystructure(c, extended=extended) for c in part.children)
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
            _envelope(part.message),
            _bodystructure(part.message, extended=extended),
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


def _child(node: _Part, number: int) -> _Part | None:
    """Part ``number`` of ``node`` (RFC 3501 §6.4.5 section numbering)."""
    if node.message is not None:
        node = node.message
    if node.children is not None:
        return node.children[number - 1] if 1 <= number <= len(node.children) else None
    return node if number == 1 else None


def _part_section(data: bytes, path: tuple[int, ...], spec: str, fields: tuple[str, ...]) -> bytes:
    """The octets of ``BODY[path.spec]``; a part that does not exist is empty (as Dovecot)."""
    node: _Part | None = _parse_part(data)
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
    return _header_fields(target.header, fields, keep=spec == "HEADER.FIELDS")


# -- FETCH items -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FetchItem:
    name: str
    """FLAGS, UID, RFC822.SIZE, INTERNALDATE, ENVELOPE, BODYSTRUCTURE, BODY (the structure) or
    SECTION (``BODY[...]``, also RFC822, RFC822.HEADER and RFC822.TEXT)."""
    section: str = ""
    """HEADER, TEXT, MIME, HEADER.FIELDS, HEADER.FIELDS.NOT or empty."""
    fields: tuple[str, ...] = ()
    peek: bool = True
    partial: tuple[int, int] | None = None
    label: str = ""
    """How the item is named in the response."""
    path: tuple[int, ...] = ()
    """The part number (``1.2`` is ``(1, 2)``); empty for the whole message."""


_SECTION = re.compile(r"^(BODY|BODY\.PEEK)\[([^\]]*)\](?:<(\d+)\.(\d+)>)?$", re.IGNORECASE)
_SPEC = re.compile(
    r"^(?:((?:[1-9]\d{0,8}\.)*[1-9]\d{0,8})(?:\.|$))?"
    r"(HEADER\.FIELDS\.NOT \(([^()]*)\)|HEADER\.FIELDS \(([^()]*)\)|HEADER|TEXT|MIME)?$",
    re.IGNORECASE,
)


def _fetch_item(token: object) -> list[_FetchItem]:
    if not isinstance(token, Atom):
        raise _Bad("Invalid fetch attribute")
    word = token.upper()
    fast = [_FetchItem("FLAGS"), _FetchItem("INTERNALDATE"), _FetchItem("RFC822.SIZE")]
    simple = {
        "FLAGS": [_FetchItem("FLAGS")],
        "UID": [_FetchItem("UID")],
        "RFC822.SIZE": [_FetchItem("RFC822.SIZE")],
        "INTERNALDATE": [_FetchItem("INTERNALDATE")],
        "ENVELOPE": [_FetchItem("ENVELOPE")],
        "BODYSTRUCTURE": [_FetchItem("BODYSTRUCTURE")],
        "BODY": [_FetchItem("BODY")],
        "FAST": fast,
        "ALL": [*fast, _FetchItem("ENVELOPE")],
        "FULL": [*fast, _FetchItem("ENVELOPE"), _FetchItem("BODY")],
        "RFC822": [_FetchItem("SECTION", "", peek=False, label="RFC822")],
        "RFC822.HEADER": [_FetchItem("SECTION", "HEADER", label="RFC822.HEADER")],
        "RFC822.TEXT": [_FetchItem("SECTION", "TEXT", peek=False, label="RFC822.TEXT")],
    }
    if word in simple:
        return simple[word]
    match = _SECTION.match(str(token))
    if not match:
        raise _Bad(f"Unknown parameter: {token}")
    kind, section, start, length = match.groups()
    spec_match = _SPEC.match(section)
    if not spec_match or (section and not any(spec_match.groups())):
        raise _Bad("Invalid BODY[..] section")
    numbers, spec_text, not_fields, fields_text = spec_match.groups()
    path = tuple(int(n) for n in numbers.split(".")) if numbers else ()
    fields: tuple[str, ...] = ()
    spec = ""
    if spec_text:
        spec = spec_text.split(" ", 1)[0].upper()
        field_list = not_fields if not_fields is not None else fields_text
        if field_list is not None:
            fields = tuple(field_list.split())
            if not fields:
                raise _Bad("Empty header field list")
    if spec == "MIME" and not path:
        raise _Bad("Invalid BODY[..] section")
    shown = ".".join(map(str, path))
    if spec:
        shown = f"{shown}.{spec}" if shown else spec
        if fields:
            shown += f" ({' '.join(f.upper() for f in fields)})"
    partial = (int(start), int(length)) if start is not None else None
    label = f"BODY[{shown}]" + (f"<{start}>" if start is not None else "")
    return [_FetchItem("SECTION", spec, fields, kind.upper() == "BODY.PEEK", partial, label, path)]


def _parse_fetch_items(token: object) -> list[_FetchItem]:
    tokens = token if isinstance(token, list) else [token]
    items: list[_FetchItem] = []
    for t in tokens:
        items.extend(_fetch_item(t))
    if not items:
        raise _Bad("Empty fetch list")
    return items


# -- the session ---------------------------------------------------------------------------------


class ImapSession:
    """One IMAP conversation with one client over a :class:`MailStore`."""

    def __init__(self, store: MailStore, *, user: str, password: str) -> None:
        self.store = store
        self.user = user
        self.password = password
        self.state = ImapState.NOT_AUTHENTICATED
        self.bad_commands = 0
        self.internal_errors = 0
        self.folder: Folder | None = None
        self.readonly = False
        self.view: list[int] = []
        """The UIDs the client knows, in message-sequence order."""
        self.recent: set[int] = set()
        self._announced_recent = 0
        self._seen_removals = 0
        self._position_cache: dict[int, int] | None = None
        self._flag_news: set[int] = set()
        self.sasl_tag: str | None = None
        """The tag of an AUTHENTICATE waiting for the client's response line, or ``None``."""
        self.idling: str | None = None
        """The tag of the IDLE command in progress (RFC 2177), or ``None``."""
        self.on_news: Callable[[], None] | None = None
        """Called when another session changes the selected folder during IDLE (the shell sets
        it to wake itself up and push :meth:`idle_updates`)."""
        self._parts: list[bytes | _Literal] = []
        self._literal_octets = 0
        self._literal_is_append = False

    # -- life cycle ----------------------------------------------------------------------------

    def greeting(self) -> bytes:
        return f"* OK [CAPABILITY {CAPABILITIES}] mailsec IMAP4rev1 server ready.\r\n".encode()

    def connection_lost(self) -> None:
        """The connection ended (LOGOUT or dropped): stop listening to the folder. Nothing is
        expunged: only EXPUNGE and CLOSE remove messages (RFC 3501 §6.4.2-6.4.3)."""
        self._unselect()
        self.state = ImapState.LOGOUT

    def _unselect(self) -> None:
        self.idling = None
        if self.folder is not None and self._on_change in self.folder.listeners:
            self.folder.listeners.remove(self._on_change)
        self.folder = None
        self.view = []
        self._position_cache = None
        self.recent = set()
        self._flag_news = set()

    def _on_change(self, change: FolderChange) -> None:
        if change.kind is ChangeKind.FLAGS and change.origin is not self:
            self._flag_news.add(change.uid)
        if self.idling is not None and change.origin is not self and self.on_news is not None:
            self.on_news()

    # -- IDLE (RFC 2177) -------------------------------------------------------------------------

    def idle_updates(self) -> ImapResult:
        """While idling: the untagged updates to push now (new mail, flags, expunges)."""
        if self.idling is None:
            return ImapResult()
        return ImapResult(tuple(self._updates(allow_expunge=True)))

    def _idle_line(self, line: bytes) -> ImapResult:
        tag, self.idling = self.idling or "*", None
        if line.upper() == b"DONE":
            return ImapResult(
                (*self._updates(allow_expunge=True), f"{tag} OK Idle completed.\r\n".encode())
            )
        return self._count_bad(ImapResult((f"{tag} BAD Expected DONE.\r\n".encode(),)))

    # -- input ----------------------------------------------------------------------------------

    def reset_input(self) -> None:
        """Forget a half-received command (after the shell could not complete it)."""
        self._parts = []
        self._literal_octets = 0

    def too_long(self) -> ImapResult:
        """The reply to a line longer than :data:`MAX_LINE` (the shell discarded its rest)."""
        self._parts = []
        self._literal_octets = 0
        return self._bad_untagged("Error in IMAP command: Line too long.")

    def _bad_untagged(self, text: str) -> ImapResult:
        self.bad_commands += 1
        out = [f"* BAD {text}\r\n".encode()]
        if self.bad_commands > MAX_BAD_COMMANDS:
            self.connection_lost()
            out.append(b"* BYE Too many invalid IMAP commands.\r\n")
            return ImapResult(tuple(out), close=True)
        return ImapResult(tuple(out))

    def feed(self, line: bytes) -> ImapResult:
        """One line from the client (without CRLF)."""
        if self.state is ImapState.LOGOUT:
            return ImapResult(close=True)
        if self.idling is not None:
            return self._idle_line(line)
        if self.sasl_tag is not None:
            tag, self.sasl_tag = self.sasl_tag, None
            return self._sasl_response(tag, line, initial=False)
        self._parts.append(line)
        marker = _LITERAL_AT_END.search(line)
        if marker is None and _LITERAL_LOOSE.search(line) is not None:
            return self._finish_bad(line, "Invalid literal size")
        if marker is not None:
            size, plus = int(marker.group(1)), marker.group(2) == b"+"
            first = self._parts[0]
            words = first.split(b" ", 3)
            is_append = len(words) > 1 and words[1].upper() == b"APPEND"
            limit = MAX_LITERAL if is_append else MAX_COMMAND_LITERALS - self._literal_octets
            if (
                is_append
                and size > 0
                and self.state is not ImapState.NOT_AUTHENTICATED
                and not self.store.fits(size)
            ):
                # Refuse before the client sends the message (as Dovecot does).
                return self._finish(
                    first, "NO", "[OVERQUOTA] Quota exceeded (mailbox for user is full)", close=plus
                )
            if size > limit:
                text = "[TOOBIG] Mail is too large" if is_append else "Literal too large"
                # A non-synchronising literal is on its way already: hang up rather than read it.
                return self._finish(first, "NO" if is_append else "BAD", text, close=plus)
            self._literal_octets += 0 if is_append else size
            return ImapResult(literal=size, continuation=not plus)
        parts, self._parts = self._parts, []
        self._literal_octets = 0
        return self._run(parts)

    def feed_literal(self, data: bytes) -> ImapResult:
        """The octets of the literal the last :class:`ImapResult` asked for."""
        self._parts.append(_Literal(bytes(data)))
        return ImapResult()

    def _finish_bad(self, line: bytes, text: str) -> ImapResult:
        first = self._parts[0] if self._parts else line
        return self._finish(first, "BAD", text)

    def _finish(self, first: bytes, status: str, text: str, *, close: bool = False) -> ImapResult:
        self._parts = []
        self._literal_octets = 0
        tag = first.split(b" ", 1)[0].decode("ascii", "replace") or "*"
        name = first.split(b" ", 2)[1].decode("ascii", "replace").upper() if b" " in first else ""
        if status == "BAD":
            text = (
                f"Error in IMAP command {name}: {text}"
                if name
                else f"Error in IMAP command: {text}"
            )
            result = self._count_bad(ImapResult((f"{tag} BAD {_dot(text)}\r\n".encode(),)))
        else:
            result = ImapResult((f"{tag} {status} {_dot(text)}\r\n".encode(),))
        if close:
            self.connection_lost()
            return ImapResult(result.responses, close=True)
        return result

    def _count_bad(self, result: ImapResult) -> ImapResult:
        self.bad_commands += 1
        if self.bad_commands > MAX_BAD_COMMANDS:
            self.connection_lost()
            return ImapResult(
                (*result.responses, b"* BYE Too many invalid IMAP commands.\r\n"), close=True
            )
        return result

    # -- running a command ------------------------------------------------------------------------

    def _run(self, parts: list[bytes | _Literal]) -> ImapResult:
        try:
            return self._run_command(parts)
        except Exception:
            # A fault inside the server: answer with the command's tag so the client goes on.
            # Nothing half-done is left behind: every change to the store is one rename, one
            # unlink or one new file.
            first = parts[0] if isinstance(parts[0], bytes) else b"*"
            tag = first.split(b" ", 1)[0].decode("ascii", "replace") or "*"
            self.internal_errors += 1
            return ImapResult(
                (
                    f"{tag} NO Internal error occurred. Refer to server log for more information.\r\n".encode(),
                )
            )

    def _run_command(self, parts: list[bytes | _Literal]) -> ImapResult:
        first = parts[0]
        assert isinstance(first, bytes)
        tag_bytes, _, rest = first.partition(b" ")
        if (
            not tag_bytes
            or not tag_bytes.isascii()
            or any(c in b'(){%*"\\]+' or c < 0x21 for c in tag_bytes)
        ):
            return self._count_bad(
                ImapResult((b"* BAD Error in IMAP command received by server.\r\n",))
            )
        tag = tag_bytes.decode("ascii")
        name_bytes, _, args_bytes = rest.partition(b" ")
        name = name_bytes.decode("ascii", "replace").upper()
        if not name or not name.isalpha():
            return self._count_bad(
                ImapResult(
                    (f"{tag} BAD Error in IMAP command: Invalid command name.\r\n".encode(),)
                )
            )
        uid = False
        if name == "UID":
            sub, _, args_bytes = args_bytes.partition(b" ")
            name = sub.decode("ascii", "replace").upper()
            uid = True
            if name not in ("FETCH", "STORE", "SEARCH", "COPY", "MOVE", "EXPUNGE"):
                return self._count_bad(
                    ImapResult(
                        (
                            f"{tag} BAD Error in IMAP command UID {name}: Unknown command.\r\n".encode(),
                        )
                    )
                )
        if name == "AUTHENTICATE" and not uid and self.state is ImapState.NOT_AUTHENTICATED:
            return self._authenticate(tag, args_bytes)
        handler = self._handler(name)
        if handler is None:
            if self.state is ImapState.NOT_AUTHENTICATED:
                return self._count_bad(
                    ImapResult(
                        (f"{tag} BAD Error in IMAP command received by server.\r\n".encode(),)
                    )
                )
            return self._count_bad(
                ImapResult(
                    (f"{tag} BAD Error in IMAP command {name}: Unknown command.\r\n".encode(),)
                )
            )
        states, fn = handler
        if self.state not in states:
            if self.state is ImapState.NOT_AUTHENTICATED:
                text = "Error in IMAP command received by server."
            elif ImapState.SELECTED in states:
                text = "No mailbox selected"
            else:
                text = f"Error in IMAP command {name}: Unknown command"
            return self._count_bad(ImapResult((f"{tag} BAD {_dot(text)}\r\n".encode(),)))
        try:
            args = _tokenize([args_bytes, *parts[1:]])
            out: list[bytes] = []
            text, close = fn(tag, args, out, uid)
        except _Bad as exc:
            return self._count_bad(
                ImapResult(
                    (f"{tag} BAD Error in IMAP command {name}: {_dot(str(exc))}\r\n".encode(),)
                )
            )
        except _No as exc:
            updates = self._updates(allow_expunge=name not in ("FETCH", "STORE", "SEARCH") or uid)
            return ImapResult((*updates, f"{tag} NO {_dot(str(exc))}\r\n".encode()))
        if close:
            return ImapResult((*out, f"{tag} OK {text}\r\n".encode()), close=True)
        if self.idling is not None:
            # RFC 2177 §3: a continuation, then updates as they happen, until the client's DONE.
            updates = self._updates(allow_expunge=True)
            return ImapResult((*out, *updates, b"+ idling\r\n"))
        updates = self._updates(allow_expunge=name not in ("FETCH", "STORE", "SEARCH") or uid)
        return ImapResult((*out, *updates, f"{tag} OK {text}\r\n".encode()))

    def _handler(
        self, name: str
    ) -> tuple[frozenset[ImapState], Callable[..., tuple[str, bool]]] | None:
        anyone = frozenset(
            {ImapState.NOT_AUTHENTICATED, ImapState.AUTHENTICATED, ImapState.SELECTED}
        )
        pre = frozenset({ImapState.NOT_AUTHENTICATED})
        auth = frozenset({ImapState.AUTHENTICATED, ImapState.SELECTED})
        sel = frozenset({ImapState.SELECTED})
        table: dict[str, tuple[frozenset[ImapState], Callable[..., tuple[str, bool]]]] = {
            "CAPABILITY": (anyone, self._capability),
            "NOOP": (anyone, self._noop),
            "IDLE": (auth, self._idle),
            "LOGOUT": (anyone, self._logout),
            "LOGIN": (pre, self._login),
            "SELECT": (auth, self._select),
            "EXAMINE": (auth, self._select),
            "CREATE": (auth, self._create),
            "DELETE": (auth, self._delete),
            "RENAME": (auth, self._rename),
            "LIST": (auth, self._list),
            "LSUB": (auth, self._list),
            "SUBSCRIBE": (auth, self._subscribe),
            "UNSUBSCRIBE": (auth, self._subscribe),
            "STATUS": (auth, self._status),
            "APPEND": (auth, self._append),
            "GETQUOTAROOT": (auth, self._getquotaroot),
            "GETQUOTA": (auth, self._getquota),
            "SETQUOTA": (auth, self._setquota),
            "NAMESPACE": (auth, self._namespace),
            "UNSELECT": (sel, self._unselect_command),
            "CHECK": (sel, self._noop),
            "CLOSE": (sel, self._close),
            "EXPUNGE": (sel, self._expunge),
            "SEARCH": (sel, self._search),
            "FETCH": (sel, self._fetch),
            "STORE": (sel, self._store),
            "COPY": (sel, self._copy),
            "MOVE": (sel, self._move),
        }
        entry = table.get(name)
        if entry is None:
            return None
        # Remember which command runs, for the SELECT/EXAMINE and LIST/LSUB pairs.
        self._command = name
        return entry

    # -- untagged updates (RFC 3501 §7.3.1, §7.4.1, §7.4.2) -----------------------------------------

    def _updates(self, *, allow_expunge: bool) -> list[bytes]:
        folder = self.folder
        if folder is None:
            return []
        out: list[bytes] = []
        if allow_expunge and folder.removals != self._seen_removals:
            # Highest number first, as Dovecot does: each number is then still right when the
            # client applies it (RFC 3501 §7.4.1).
            for index in range(len(self.view) - 1, -1, -1):
                if self.view[index] not in folder.messages:
                    out.append(f"* {index + 1} EXPUNGE\r\n".encode())
                    self.recent.discard(self.view.pop(index))
                    self._position_cache = None
            self._seen_removals = folder.removals
        last = self.view[-1] if self.view else 0
        new = []
        for uid in reversed(folder.messages):
            if uid <= last:
                break
            new.append(uid)
        if new:
            new.reverse()
            self.recent |= folder.claim_recent(keep=self.readonly) & set(new)
            self.view.extend(new)
            self._position_cache = None
            out.append(f"* {len(self.view)} EXISTS\r\n".encode())
        if new or len(self.recent) != self._announced_recent:
            out.append(f"* {len(self.recent)} RECENT\r\n".encode())
            self._announced_recent = len(self.recent)
        if self._flag_news:
            positions = self._positions()
            for uid in sorted(self._flag_news):
                msg = folder.messages.get(uid)
                if msg is not None and uid in positions:
                    out.append(
                        f"* {positions[uid]} FETCH (FLAGS ({self._flags(uid)}))\r\n".encode()
                    )
            self._flag_news = set()
        return out

    def _flags(self, uid: int) -> str:
        assert self.folder is not None
        msg = self.folder.messages.get(uid)
        flags = [f for f in SYSTEM_FLAGS if msg is not None and f in msg.flags]
        if uid in self.recent:
            flags.append("\\Recent")
        return " ".join(flags)

    # -- any state (RFC 3501 §6.1) ----------------------------------------------------------------

    def _capability(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if args:
            raise _Bad("Invalid arguments")
        out.append(f"* CAPABILITY {CAPABILITIES}\r\n".encode())
        return "Capability completed.", False

    def _noop(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        if self.folder is not None:
            self.folder.sync()
        return ("NOOP completed." if self._command == "NOOP" else "Check completed."), False

    def _idle(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        if args:
            raise _Bad("Invalid arguments")
        self.idling = tag
        return "", False

    def _logout(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        self.connection_lost()
        out.append(b"* BYE Logging out\r\n")
        return "Logout completed.", True

    # -- not authenticated (RFC 3501 §6.2) --------------------------------------------------------

    def _login(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        if len(args) != 2:
            raise _Bad("Invalid arguments")
        user, password = _astring(args[0]), _astring(args[1])
        if not credentials_match(user, password, user=self.user, password=self.password):
            raise _No("[AUTHENTICATIONFAILED] Authentication failed.")
        self.state = ImapState.AUTHENTICATED
        return f"[CAPABILITY {CAPABILITIES}] Logged in", False

    def _authenticate(self, tag: str, args_bytes: bytes) -> ImapResult:
        """AUTHENTICATE PLAIN (RFC 3501 §6.2.2, RFC 4616), with an initial response (SASL-IR,
        RFC 4959) or on the next line after a ``+`` continuation request."""
        words = args_bytes.split()
        if not words or len(words) > 2:
            return self._count_bad(
                ImapResult(
                    (
                        f"{tag} BAD Error in IMAP command AUTHENTICATE: Invalid arguments.\r\n".encode(),
                    )
                )
            )
        if words[0].upper() != b"PLAIN":
            return ImapResult(
                (f"{tag} NO [ALERT] Unsupported authentication mechanism.\r\n".encode(),)
            )
        if len(words) == 1:
            self.sasl_tag = tag
            return ImapResult((b"+ \r\n",))
        return self._sasl_response(tag, words[1], initial=True)

    def _sasl_response(self, tag: str, line: bytes, *, initial: bool) -> ImapResult:
        outcome = check_plain(line, initial=initial, user=self.user, password=self.password)
        if outcome is PlainOutcome.ABORTED:
            return self._count_bad(
                ImapResult((f"{tag} BAD Authentication aborted by client.\r\n".encode(),))
            )
        if outcome is PlainOutcome.MALFORMED:
            return self._count_bad(
                ImapResult((f"{tag} BAD Invalid base64 data in initial response\r\n".encode(),))
            )
        if outcome is PlainOutcome.REFUSED:
            return ImapResult(
                (f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n".encode(),)
            )
        self.state = ImapState.AUTHENTICATED
        return ImapResult((f"{tag} OK [CAPABILITY {CAPABILITIES}] Logged in\r\n".encode(),))

    # -- authenticated (RFC 3501 §6.3) ------------------------------------------------------------

    def _mailbox_arg(self, token: object) -> str:
        return self.store.normalise(_astring(token))

    def _select(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        examine = self._command == "EXAMINE"
        if len(args) != 1:
            raise _Bad("Invalid arguments")
        name = self._mailbox_arg(args[0])
        if self.folder is not None:
            # RFC 3501 §6.3.1: selecting another mailbox first closes the current one, without
            # expunging; RFC 7162 §3.2.11 adds the CLOSED response code that Dovecot sends.
            self._unselect()
            self.state = ImapState.AUTHENTICATED
            out.append(b"* OK [CLOSED] Previous mailbox closed.\r\n")
        try:
            folder = self.store.folder(name)
        except KeyError:
            raise _No(f"Mailbox doesn't exist: {name}") from None
        folder.sync()
        self.folder, self.readonly = folder, examine
        self.view = folder.uids
        self._position_cache = None
        self._seen_removals = folder.removals
        self.recent = folder.claim_recent(keep=examine)
        self._announced_recent = len(self.recent)
        folder.listeners.append(self._on_change)
        self.state = ImapState.SELECTED
        flags = " ".join(SYSTEM_FLAGS)
        out.append(f"* FLAGS ({flags})\r\n".encode())
        if examine:
            out.append(b"* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n")
        else:
            out.append(f"* OK [PERMANENTFLAGS ({flags})] Flags permitted.\r\n".encode())
        out.append(f"* {len(self.view)} EXISTS\r\n".encode())
        out.append(f"* {len(self.recent)} RECENT\r\n".encode())
        unseen = next(
            (i + 1 for i, u in enumerate(self.view) if "\\Seen" not in folder.messages[u].flags),
            None,
        )
        if unseen is not None:
            out.append(f"* OK [UNSEEN {unseen}] First unseen.\r\n".encode())
        out.append(f"* OK [UIDVALIDITY {folder.uidvalidity}] UIDs valid\r\n".encode())
        out.append(f"* OK [UIDNEXT {folder.uidnext}] Predicted next UID\r\n".encode())
        if examine:
            return "[READ-ONLY] Examine completed.", False
        return "[READ-WRITE] Select completed.", False

    def _create(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 1:
            raise _Bad("Invalid arguments")
        name = self._mailbox_arg(args[0]).rstrip(".")
        if self.store.exists(name):
            raise _No("[ALREADYEXISTS] Mailbox already exists")
        problem = self.store.check_name(name)
        if problem:
            raise _No(problem)
        self.store.create_folder(name)
        return "Create completed.", False

    def _namespace(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        # RFC 2342 §5: one personal namespace, no prefix, "." between levels (Maildir++).
        out.append(b'* NAMESPACE (("" ".")) NIL NIL\r\n')
        return "Namespace completed.", False

    def _unselect_command(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        # RFC 3691: like CLOSE, but nothing is expunged.
        self._unselect()
        self.state = ImapState.AUTHENTICATED
        return "Unselect completed.", False

    def _delete(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 1:
            raise _Bad("Invalid arguments")
        name = self._mailbox_arg(args[0])
        if name == "INBOX":
            raise _No("INBOX can't be deleted.")
        if not self.store.exists(name):
            raise _No(f"[NONEXISTENT] Mailbox doesn't exist: {name}")
        # RFC 3501 §6.3.4: the messages go with the folder (and stop counting for the quota).
        self.store.delete_folder(name)
        return "Delete completed.", False

    def _rename(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 2:
            raise _Bad("Invalid arguments")
        old, new = self._mailbox_arg(args[0]), self._mailbox_arg(args[1]).rstrip(".")
        if old == "INBOX":
            # RFC 3501 §6.3.5 allows moving INBOX's mail away; Dovecot refuses, and so do we.
            raise _No("[CANNOT] Renaming INBOX isn't supported.")
        if not self.store.exists(old) and not self.store.has_children(old):
            raise _No(f"[NONEXISTENT] Mailbox doesn't exist: {old}")
        if self.store.exists(new) or self.store.has_children(new):
            raise _No("[ALREADYEXISTS] Target mailbox already exists.")
        if new.startswith(old + "."):
            raise _No("[CANNOT] Can't rename mailbox under itself.")
        problem = self.store.check_name(new)
        if problem:
            raise _No(problem)
        self.store.rename_folder(old, new)
        return "Rename completed.", False

    def _list(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        if len(args) != 2:
            raise _Bad("Invalid arguments")
        reference, pattern = _astring(args[0]), _astring(args[1])
        word = self._command
        if pattern == "":
            if word == "LIST":
                out.append(b'* LIST (\\Noselect) "." ""\r\n')
            return f"{word.capitalize()} completed.", False
        full = reference + pattern
        regex = re.compile(
            "^"
            + "".join(".*" if c == "*" else "[^.]*" if c == "%" else re.escape(c) for c in full)
            + "$",
            re.IGNORECASE if full.upper().startswith("INBOX") else 0,
        )
        if word == "LSUB":
            # RFC 3501 §6.3.9: only subscribed names; a parent that only has subscribed
            # children shows as \Noselect when '%' stops at it.
            subscribed = self.store.subscriptions()
            shown: dict[str, str] = {}
            for name in subscribed:
                if regex.match(name):
                    shown[name] = ""
                parts = name.split(".")
                for i in range(1, len(parts)):
                    parent = ".".join(parts[:i])
                    if parent not in subscribed and regex.match(parent) and "%" in full:
                        shown.setdefault(parent, "\\Noselect")
            for name in sorted(shown, key=lambda n: (n != "INBOX", n)):
                out.append(f'* LSUB ({shown[name]}) "." '.encode() + _quote(name) + b"\r\n")
            return "Lsub completed.", False
        names = self.store.folder_names()
        every = set(names)
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts)):
                every.add(".".join(parts[:i]))
        for name in sorted(every, key=lambda n: (n != "INBOX", n)):
            if not regex.match(name):
                continue
            selectable = name in names
            children = any(other.startswith(name + ".") for other in every)
            attrs = [] if selectable else ["\\Noselect"]
            attrs.append("\\HasChildren" if children else "\\HasNoChildren")
            out.append(f'* {word} ({" ".join(attrs)}) "." '.encode() + _quote(name) + b"\r\n")
        return f"{word.capitalize()} completed.", False

    def _subscribe(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 1:
            raise _Bad("Invalid arguments")
        name = self._mailbox_arg(args[0])
        problem = self.store.check_name(name) if name != "INBOX" else None
        if problem:
            raise _No(problem)
        if self._command == "SUBSCRIBE":
            self.store.subscribe(name)
        else:
            self.store.unsubscribe(name)
        return f"{self._command.capitalize()} completed.", False

    def _status(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 2 or not isinstance(args[1], list):
            raise _Bad("Invalid arguments")
        name = self._mailbox_arg(args[0])
        try:
            folder = self.store.folder(name)
        except KeyError:
            raise _No(f"Mailbox doesn't exist: {name}") from None
        folder.sync()
        values = []
        order = ("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN")
        # Answered in a fixed order, whatever order they were asked in (as Dovecot does).
        for item in sorted(
            args[1], key=lambda i: order.index(str(i).upper()) if str(i).upper() in order else -1
        ):
            word = str(item).upper()
            if word == "MESSAGES":
                value = len(folder.messages)
            elif word == "RECENT":
                value = len(folder.claim_recent(keep=True))
            elif word == "UIDNEXT":
                value = folder.uidnext
            elif word == "UIDVALIDITY":
                value = folder.uidvalidity
            elif word == "UNSEEN":
                value = sum(1 for m in folder.messages.values() if "\\Seen" not in m.flags)
            else:
                raise _Bad(f"Invalid status item {item}")
            values.append(f"{word} {value}")
        out.append(b"* STATUS " + _quote(name) + f" ({' '.join(values)})\r\n".encode())
        return "Status completed.", False

    def _append(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) < 2 or not isinstance(args[-1], bytes):
            raise _Bad("Invalid arguments")
        name = self._mailbox_arg(args[0])
        flags: frozenset[str] = frozenset()
        date: float | None = None
        for extra in args[1:-1]:
            if isinstance(extra, list):
                flags = self._flag_list(extra)
            elif isinstance(extra, str) and not isinstance(extra, Atom):
                date = _parse_date_time(extra)
            else:
                raise _Bad("Invalid arguments")
        data = args[-1]
        assert isinstance(data, bytes)
        if not data:
            raise _No("Can't save a zero byte message")
        try:
            folder = self.store.folder(name)
        except KeyError:
            raise _No(f"[TRYCREATE] Mailbox doesn't exist: {name}") from None
        if not self.store.fits(len(data)):
            raise _No("[OVERQUOTA] Quota exceeded (mailbox for user is full)")
        new_uid = folder.add(data, flags=flags, internaldate=date, origin=self)
        return f"[APPENDUID {folder.uidvalidity} {new_uid}] Append completed.", False

    def _quota_line(self) -> bytes:
        used = math.ceil(self.store.used() / 1024)
        limit = math.ceil((self.store.quota or 0) / 1024)
        return f'* QUOTA "{QUOTA_ROOT}" (STORAGE {used} {limit})\r\n'.encode()

    def _getquotaroot(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 1:
            raise _Bad("Invalid arguments")
        name = self._mailbox_arg(args[0])
        if not self.store.exists(name):
            raise _No(f"Mailbox doesn't exist: {name}")
        if self.store.quota is None:
            out.append(b"* QUOTAROOT " + _quote(name) + b"\r\n")
        else:
            out.append(b"* QUOTAROOT " + _quote(name) + f' "{QUOTA_ROOT}"\r\n'.encode())
            out.append(self._quota_line())
        return "Getquotaroot completed.", False

    def _getquota(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        if len(args) != 1:
            raise _Bad("Invalid arguments")
        if self.store.quota is None or _astring(args[0]) != QUOTA_ROOT:
            raise _No("Quota root doesn't exist")
        out.append(self._quota_line())
        return "Getquota completed.", False

    def _setquota(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        # RFC 9208 §4.1.3 lets a server refuse; the quota is the administrator's setting.
        raise _No("Quota can be changed only by admin")

    # -- selected (RFC 3501 §6.4) ---------------------------------------------------------------------

    def _close(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        if not self.readonly:
            # RFC 3501 §6.4.2: CLOSE expunges silently (no untagged EXPUNGE to this client).
            folder.expunge(
                (
                    u
                    for u in self.view
                    if "\\Deleted" in getattr(folder.messages.get(u), "flags", ())
                ),
                origin=self,
            )
        self._unselect()
        self.state = ImapState.AUTHENTICATED
        return "Close completed.", False

    def _expunge(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        if self.readonly:
            raise _No("Mailbox is read-only")
        allowed: set[int] | None = None
        if uid:
            if len(args) != 1 or not isinstance(args[0], Atom):
                raise _Bad("Invalid arguments")
            allowed = set(self._uid_set(str(args[0])))
        elif args:
            raise _Bad("Invalid arguments")
        doomed = [
            u
            for u in self.view
            if u in folder.messages
            and "\\Deleted" in folder.messages[u].flags
            and (allowed is None or u in allowed)
        ]
        folder.expunge(doomed, origin=self)
        # The EXPUNGE responses come from _updates(), in ascending order with renumbering.
        return "Expunge completed.", False

    def _seq_set(self, text: str) -> list[int]:
        # Bounds first, so "1:4000000000" costs nothing (a message number beyond the mailbox is
        # BAD, as in Dovecot).
        ranges = parse_ranges(text, len(self.view))
        if ranges is None or any(low < 1 or high > len(self.view) for low, high in ranges):
            raise _Bad("Invalid messageset")
        numbers: set[int] = set()
        for low, high in ranges:
            numbers.update(range(low, high + 1))
        return sorted(numbers)

    def _positions(self) -> dict[int, int]:
        """UID -> message sequence number for the view (cached until the view changes)."""
        if self._position_cache is None:
            self._position_cache = {u: i + 1 for i, u in enumerate(self.view)}
        return self._position_cache

    def _uid_set(self, text: str) -> list[int]:
        """The UIDs of the view named by a UID set, ascending; unknown UIDs are skipped
        (RFC 3501 §6.4.8)."""
        largest = self.view[-1] if self.view else 0
        ranges = parse_ranges(text, largest)
        if ranges is None:
            raise _Bad("Invalid UID messageset")
        positions = self._positions()
        found: set[int] = set()
        for low, high in ranges:
            if high - low < len(self.view):
                found.update(u for u in range(low, high + 1) if u in positions)
            else:
                found.update(u for u in self.view if low <= u <= high)
        return sorted(found)

    def _targets(self, token: object, uid: bool) -> list[tuple[int, int]]:
        """(sequence number, UID) pairs named by a sequence set or UID set."""
        if not isinstance(token, Atom):
            raise _Bad("Invalid messageset")
        if uid:
            positions = self._positions()
            return [(positions[u], u) for u in self._uid_set(str(token))]
        return [(n, self.view[n - 1]) for n in self._seq_set(str(token))]

    def _fetch(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        if len(args) != 2:
            raise _Bad("Invalid arguments")
        targets = self._targets(args[0], uid)
        items = _parse_fetch_items(args[1])
        if uid and not any(i.name == "UID" for i in items):
            items.insert(0, _FetchItem("UID"))
        missing = False
        for number, msg_uid in targets:
            msg = folder.messages.get(msg_uid)
            if msg is None:
                missing = True
                continue
            parts: list[bytes] = []
            data: bytes | None = None
            structure: _Part | None = None
            set_seen = False
            for item in items:
                if item.name == "FLAGS":
                    parts.append(f"FLAGS ({self._flags(msg_uid)})".encode())
                elif item.name == "UID":
                    parts.append(f"UID {msg_uid}".encode())
                elif item.name == "RFC822.SIZE":
                    parts.append(f"RFC822.SIZE {msg.size}".encode())
                elif item.name == "INTERNALDATE":
                    parts.append(f'INTERNALDATE "{_internaldate(msg.internaldate)}"'.encode())
                else:
                    if data is None:
                        try:
                            data = folder.read(msg_uid)
                        except KeyError:
                            missing = True
                            break
                    if item.name != "SECTION":
                        if structure is None:
                            structure = _parse_part(data)
                        if item.name == "ENVELOPE":
                            parts.append(b"ENVELOPE " + _envelope(structure))
                        else:
                            extended = item.name == "BODYSTRUCTURE"
                            parts.append(
                                item.name.encode()
                                + b" "
                                + _bodystructure(structure, extended=extended)
                            )
                        continue
                    body = self._section(data, item)
                    parts.append(f"{item.label} {{{len(body)}}}\r\n".encode() + body)
                    set_seen = set_seen or not item.peek
            else:
                if set_seen and not self.readonly and "\\Seen" not in msg.flags:
                    # RFC 3501 §6.4.5: BODY[...] sets \Seen; the new flags are reported.
                    folder.set_flags(msg_uid, msg.flags | {"\\Seen"}, origin=self)
                    if not any(i.name == "FLAGS" for i in items):
                        parts.insert(1 if uid else 0, f"FLAGS ({self._flags(msg_uid)})".encode())
                out.append(f"* {number} FETCH (".encode() + b" ".join(parts) + b")\r\n")
        if missing:
            raise _No("Some of the requested messages no longer exist.")
        return "Fetch completed.", False

    @staticmethod
    def _section(data: bytes, item: _FetchItem) -> bytes:
        if item.path:
            body = _part_section(data, item.path, item.section, item.fields)
        else:
            header, text = _split_header(data)
            if item.section == "":
                body = data
            elif item.section == "HEADER":
                body = header
            elif item.section == "TEXT":
                body = text
            else:
                body = _header_fields(header, item.fields, keep=item.section == "HEADER.FIELDS")
        if item.partial is not None:
            start, length = item.partial
            body = body[start : start + length]
        return body

    def _flag_list(self, tokens: list[object]) -> frozenset[str]:
        flags = set()
        for token in tokens:
            if not isinstance(token, Atom):
                raise _Bad("Invalid flag")
            match = [f for f in SYSTEM_FLAGS if f.upper() == token.upper()]
            if match:
                flags.add(match[0])
            elif token.startswith("\\"):
                raise _Bad(f"Invalid system flag {token.upper()}")
            else:
                raise _No(f"Keywords are not supported by this server: {token}")
        return frozenset(flags)

    def _store(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        if len(args) < 3 or not isinstance(args[1], Atom):
            raise _Bad("Invalid arguments")
        targets = self._targets(args[0], uid)
        mode = args[1].upper()
        silent = mode.endswith(".SILENT")
        base = mode.removesuffix(".SILENT")
        if base not in ("FLAGS", "+FLAGS", "-FLAGS"):
            raise _Bad(f"Invalid arguments: {args[1]}")
        flag_tokens = args[2] if len(args) == 3 and isinstance(args[2], list) else args[2:]
        flags = self._flag_list(flag_tokens)
        if self.readonly:
            return "Store ignored with read-only mailbox.", False
        missing = False
        for number, msg_uid in targets:
            msg = folder.messages.get(msg_uid)
            if msg is None:
                missing = True
                continue
            if base == "FLAGS":
                new = flags
            elif base == "+FLAGS":
                new = msg.flags | flags
            else:
                new = msg.flags - flags
            try:
                folder.set_flags(msg_uid, new, origin=self)
            except KeyError:
                missing = True
                continue
            self._flag_news.discard(msg_uid)
            if not silent:
                uid_part = f"UID {msg_uid} " if uid else ""
                out.append(
                    f"* {number} FETCH ({uid_part}FLAGS ({self._flags(msg_uid)}))\r\n".encode()
                )
        if missing:
            raise _No("Some of the requested messages no longer exist.")
        return "Store completed.", False

    def _move(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        """MOVE (RFC 6851): copy, then expunge the originals; the new UIDs in an untagged OK."""
        folder = self.folder
        assert folder is not None
        if len(args) != 2:
            raise _Bad("Invalid arguments")
        targets = self._targets(args[0], uid)
        name = self._mailbox_arg(args[1])
        try:
            destination = self.store.folder(name)
        except KeyError:
            raise _No(f"[TRYCREATE] Mailbox doesn't exist: {name}") from None
        if self.readonly:
            # EXAMINE promises no change to the mailbox (RFC 3501 §6.3.2); Dovecot moves anyway.
            raise _No("Mailbox is read-only.")
        present = [u for _n, u in targets if u in folder.messages]
        if len(present) != len(targets):
            raise _No("Some of the requested messages no longer exist.")
        if not present:
            return "No messages found.", False
        new_uids = []
        for msg_uid in present:
            msg = folder.messages[msg_uid]
            data = folder.read(msg_uid)
            new_uids.append(
                destination.add(data, flags=msg.flags, internaldate=msg.internaldate, origin=self)
            )
        # Only now are the originals removed: a failure above leaves them where they were.
        folder.expunge(present, origin=self)
        out.append(
            f"* OK [COPYUID {destination.uidvalidity} {_compress(present)} {_compress(new_uids)}] "
            "Moved UIDs.\r\n".encode()
        )
        return "Move completed.", False

    def _copy(self, tag: str, args: list[object], out: list[bytes], uid: bool) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        if len(args) != 2:
            raise _Bad("Invalid arguments")
        targets = self._targets(args[0], uid)
        name = self._mailbox_arg(args[1])
        try:
            destination = self.store.folder(name)
        except KeyError:
            raise _No(f"[TRYCREATE] Mailbox doesn't exist: {name}") from None
        present = [(n, u) for n, u in targets if u in folder.messages]
        if len(present) != len(targets):
            raise _No("Some of the requested messages no longer exist.")
        size = sum(folder.messages[u].size for _n, u in present)
        if not self.store.fits(size):
            raise _No("[OVERQUOTA] Quota exceeded (mailbox for user is full)")
        source_uids, new_uids = [], []
        for _number, msg_uid in present:
            msg = folder.messages[msg_uid]
            data = folder.read(msg_uid)
            new_uids.append(
                destination.add(data, flags=msg.flags, internaldate=msg.internaldate, origin=self)
            )
            source_uids.append(msg_uid)
        if not present:
            return "No messages found.", False
        src, dst = _compress(source_uids), _compress(new_uids)
        return f"[COPYUID {destination.uidvalidity} {src} {dst}] Copy completed.", False

    # -- SEARCH (RFC 3501 §6.4.4) -----------------------------------------------------------------

    def _search(
        self, tag: str, args: list[object], out: list[bytes], uid: bool
    ) -> tuple[str, bool]:
        folder = self.folder
        assert folder is not None
        tokens = list(args)
        if tokens and isinstance(tokens[0], Atom) and tokens[0].upper() == "CHARSET":
            if len(tokens) < 2 or _astring(tokens[1]).upper() not in ("UTF-8", "US-ASCII"):
                raise _No("[BADCHARSET (UTF-8 US-ASCII)] Unknown charset")
            tokens = tokens[2:]
        if not tokens:
            raise _Bad("Missing search parameters")
        position = {u: i + 1 for i, u in enumerate(self.view)}
        tests = []
        while tokens:
            tests.append(self._search_key(tokens))
        found = []
        for msg_uid in self.view:
            msg = folder.messages.get(msg_uid)
            if msg is None:
                continue
            if all(test(msg_uid) for test in tests):
                found.append(msg_uid if uid else position[msg_uid])
        out.append(("* SEARCH" + "".join(f" {n}" for n in found) + "\r\n").encode())
        return "Search completed.", False

    def _search_key(self, tokens: list[object]) -> Callable[[int], bool]:
        folder = self.folder
        assert folder is not None
        token = tokens.pop(0)
        if isinstance(token, list):
            inner = list(token)
            tests = []
            while inner:
                tests.append(self._search_key(inner))
            return lambda u: all(t(u) for t in tests)
        if not isinstance(token, Atom):
            raise _Bad("Invalid search key")
        word = token.upper()

        def flags(u: int) -> frozenset[str]:
            msg = folder.messages.get(u)
            return msg.flags if msg is not None else frozenset()

        def has(flag: str, want: bool) -> Callable[[int], bool]:
            return lambda u: (flag in flags(u)) == want

        simple: dict[str, Callable[[int], bool]] = {
            "ALL": lambda u: True,
            "SEEN": has("\\Seen", True),
            "UNSEEN": has("\\Seen", False),
            "DELETED": has("\\Deleted", True),
            "UNDELETED": has("\\Deleted", False),
            "FLAGGED": has("\\Flagged", True),
            "UNFLAGGED": has("\\Flagged", False),
            "ANSWERED": has("\\Answered", True),
            "UNANSWERED": has("\\Answered", False),
            "DRAFT": has("\\Draft", True),
            "UNDRAFT": has("\\Draft", False),
            "RECENT": lambda u: u in self.recent,
            "OLD": lambda u: u not in self.recent,
            "NEW": lambda u: u in self.recent and "\\Seen" not in flags(u),
        }
        if word in simple:
            return simple[word]
        if word == "NOT":
            if not tokens:
                raise _Bad("Missing search parameters")
            inner_test = self._search_key(tokens)
            return lambda u: not inner_test(u)
        if word == "OR":
            if len(tokens) < 2:
                raise _Bad("Missing search parameters")
            left = self._search_key(tokens)
            right = self._search_key(tokens)
            return lambda u: left(u) or right(u)
        if word == "UID":
            if not tokens or not isinstance(tokens[0], Atom):
                raise _Bad("Invalid UID messageset")
            uids = set(self._uid_set(str(tokens.pop(0))))
            return lambda u: u in uids
        if word in ("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"):
            if not tokens:
                raise _Bad("Missing search parameters")
            day = _search_date(_astring(tokens.pop(0)))

            def message_day(u: int) -> datetime.date | None:
                msg = folder.messages.get(u)
                if msg is None:
                    return None
                if not word.startswith("SENT"):
                    # The internal date, in the server's time zone (UTC here).
                    return datetime.datetime.fromtimestamp(
                        msg.internaldate, datetime.timezone.utc
                    ).date()
                try:
                    header = _split_header(folder.read(u))[0]
                    sent = email.utils.parsedate_to_datetime(header_value(header, "Date"))
                except (KeyError, TypeError, ValueError, IndexError):
                    return None
                # RFC 3501 §6.4.4: the date part of the Date: header, ignoring time and zone.
                return sent.date()

            compare = {
                "BEFORE": lambda d: d < day,
                "ON": lambda d: d == day,
                "SINCE": lambda d: d >= day,
            }[word.removeprefix("SENT")]

            def dated(u: int) -> bool:
                found = message_day(u)
                return found is not None and compare(found)

            return dated
        if word in ("LARGER", "SMALLER"):
            if not tokens or not str(tokens[0]).isdigit():
                raise _Bad(f"Invalid size for {word}")
            limit = int(str(tokens.pop(0)))

            def size(u: int) -> int:
                msg = folder.messages.get(u)
                return msg.size if msg is not None else 0

            return (lambda u: size(u) > limit) if word == "LARGER" else (lambda u: size(u) < limit)
        if word in ("FROM", "TO", "CC", "BCC", "SUBJECT", "HEADER", "BODY", "TEXT"):
            field = word
            if word == "HEADER":
                if not tokens:
                    raise _Bad("Missing search parameters")
                field = _astring(tokens.pop(0))
            if not tokens:
                raise _Bad("Missing search parameters")
            needle = _astring(tokens.pop(0)).lower()

            def contains(u: int) -> bool:
                try:
                    data = folder.read(u)
                except KeyError:
                    return False
                header, text = _split_header(data)
                if field == "BODY":
                    haystack = text.decode("utf-8", "replace")
                elif field == "TEXT":
                    haystack = data.decode("utf-8", "replace")
                else:
                    haystack = header_value(header, field)
                return needle in haystack.lower()

            return contains
        if word[0].isdigit() or word[0] == "*":
            ranges = parse_ranges(word, len(self.view))
            if ranges is None:
                raise _Bad("Invalid messageset")
            uids = {
                uid
                for low, high in ranges
                for uid in self.view[max(low, 1) - 1 : min(high, len(self.view))]
            }
            return lambda u: u in uids
        raise _Bad(f"Unknown argument {word}")
