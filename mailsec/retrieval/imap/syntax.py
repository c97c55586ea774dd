"""IMAP command syntax (RFC 3501 §4, §9): tokens, literals, strings, dates and sequence sets.

A command arrives as line pieces and literals; :func:`tokenize` turns them into atoms
(:class:`Atom`), strings (``str``), literal octets (``bytes``) and parenthesised lists. The other
functions read one argument (:func:`astring`, :func:`parse_date_time`, :func:`parse_ranges`) or
write one value back (:func:`quote`, :func:`internaldate`, :func:`compress`). A syntax error raises
:class:`Bad`, a refusal :class:`No`; the session turns them into the tagged reply.
"""

from __future__ import annotations

import calendar
import datetime
import re
import time
from dataclasses import dataclass

from mailsec.retrieval.maildir import SYSTEM_FLAGS

__all__ = [
    "LITERAL_AT_END",
    "LITERAL_LOOSE",
    "MAX_NESTING",
    "Atom",
    "Bad",
    "Literal",
    "No",
    "astring",
    "compress",
    "dot",
    "internaldate",
    "numbers_in",
    "parse_date_time",
    "parse_flag_list",
    "parse_ranges",
    "parse_sequence_set",
    "quote",
    "search_date",
    "tokenize",
]

MAX_NESTING = 64
"""Parenthesis levels accepted in a command (search programs nest, but not this deep)."""
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

LITERAL_AT_END = re.compile(rb"\{(\d{1,12})(\+?)\}$")
"""A literal announced at the end of a line: ``{n}`` or, with LITERAL+ (RFC 7888), ``{n+}``."""
LITERAL_LOOSE = re.compile(rb"\{([^}]*)\}$")
"""Anything in braces at the end of a line: a literal announcement, well formed or not."""


class Bad(Exception):
    """A syntax error: the tagged reply is BAD with this text."""


class No(Exception):
    """The command cannot be carried out: the tagged reply is NO with this text."""


class Atom(str):
    """An atom token (as opposed to a quoted string, which is a plain ``str``)."""


@dataclass(frozen=True)
class Literal:
    """The octets of a literal (RFC 3501 §4.3), between the line pieces of a command."""

    data: bytes


# -- tokenising ------------------------------------------------------------------------------------


def tokenize(parts: list[bytes | Literal]) -> list[object]:
    """Split a command (line pieces and literals) into atoms, strings, bytes and lists."""
    stack: list[list[object]] = [[]]
    for part in parts:
        if isinstance(part, Literal):
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
                    raise Bad("Too deeply nested parentheses")
                stack.append([])
                i += 1
            elif c == b")":
                if len(stack) == 1:
                    raise Bad("Unexpected ')'")
                done = stack.pop()
                stack[-1].append(done)
                i += 1
            elif c == b'"':
                text, i = _quoted(data, i + 1)
                stack[-1].append(text)
            elif c == b"{":
                # The literal's contents follow as the next part; the marker itself is dropped.
                end = data.find(b"}", i)
                if end == -1 or end != len(data) - 1:
                    raise Bad("Invalid literal size")
                i = end + 1
            else:
                atom, i = _atom(data, i)
                stack[-1].append(atom)
    if len(stack) != 1:
        raise Bad("Missing ')'")
    return stack[0]


def _quoted(data: bytes, i: int) -> tuple[str, int]:
    """The quoted string whose first character is at ``i`` (after the opening quote), and the
    index after its closing quote."""
    out = bytearray()
    while True:
        if i >= len(data):
            raise Bad("Missing '\"'")
        ch = data[i : i + 1]
        if ch == b"\\":
            if i + 1 >= len(data) or data[i + 1 : i + 2] not in (b"\\", b'"'):
                raise Bad("Invalid escape in quoted string")
            out += data[i + 1 : i + 2]
            i += 2
        elif ch == b'"':
            i += 1
            break
        else:
            out += ch
            i += 1
    try:
        return out.decode("utf-8"), i
    except UnicodeDecodeError:
        raise Bad("Quoted string is not valid UTF-8") from None


def _atom(data: bytes, start: int) -> tuple[Atom, int]:
    """The atom that starts at ``start`` and the index after it; brackets may hold spaces and
    parentheses (``BODY[HEADER.FIELDS (FROM)]`` is one atom)."""
    i = start
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
        raise Bad("8bit data in atom")
    if any(b < 0x20 or b == 0x7F for b in word):
        raise Bad("Invalid characters in atom")
    return Atom(word.decode("ascii")), i


# -- arguments -------------------------------------------------------------------------------------


def astring(token: object) -> str:
    """An atom, quoted string or literal argument as text (RFC 3501 §9 astring)."""
    if isinstance(token, str):
        return str(token)
    if isinstance(token, bytes):
        try:
            return token.decode("utf-8")
        except UnicodeDecodeError:
            raise Bad("Literal is not valid UTF-8") from None
    raise Bad("Invalid arguments")


def parse_flag_list(tokens: list[object]) -> frozenset[str]:
    """The system flags of a flag list (RFC 3501 §9 flag-list); keywords are refused, as this
    server stores none."""
    flags = set()
    for token in tokens:
        if not isinstance(token, Atom):
            raise Bad("Invalid flag")
        match = [f for f in SYSTEM_FLAGS if f.upper() == token.upper()]
        if match:
            flags.add(match[0])
        elif token.startswith("\\"):
            raise Bad(f"Invalid system flag {token.upper()}")
        else:
            raise No(f"Keywords are not supported by this server: {token}")
    return frozenset(flags)


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
    return numbers_in(ranges)


def numbers_in(ranges: list[tuple[int, int]]) -> list[int]:
    """Every number of the (low, high) ranges, ascending and once each; the caller has bounded
    how many there are."""
    numbers: set[int] = set()
    for low, high in ranges:
        numbers.update(range(low, high + 1))
    return sorted(numbers)


def parse_date_time(text: str) -> float:
    """``"dd-Mon-yyyy hh:mm:ss +zzzz"`` (RFC 3501 §9 date-time) to seconds since the epoch."""
    match = re.fullmatch(
        r" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)", text
    )
    if not match:
        raise Bad("Invalid date-time")
    day, mon, year, hh, mm, ss, sign, zh, zm = match.groups()
    month = _month(mon)
    if month is None:
        raise Bad("Invalid date-time")
    try:
        stamp = calendar.timegm((int(year), month, int(day), int(hh), int(mm), int(ss)))
    except (ValueError, OverflowError):
        raise Bad("Invalid date-time") from None
    offset = (int(zh) * 60 + int(zm)) * 60
    return stamp - offset if sign == "+" else stamp + offset


def search_date(text: str) -> datetime.date:
    """``1-Feb-1994`` (RFC 3501 §9 date) as a date."""
    match = re.fullmatch(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})", text)
    month = _month(match.group(2)) if match else None
    if not match or month is None:
        raise Bad(f"Invalid search date parameter: {text}")
    day = int(match.group(1))
    if not 1 <= day <= 31 or int(match.group(3)) < 1:
        raise Bad(f"Invalid search date parameter: {text}")
    # The grammar allows 31-Feb; like Dovecot, count on from the first of the month.
    first = datetime.date(int(match.group(3)), month, 1)
    return first + datetime.timedelta(days=day - 1)


def _month(name: str) -> int | None:
    """The number of a month's three-letter name, in any case; ``None`` for another word."""
    names = [m.lower() for m in MONTHS]
    return names.index(name.lower()) + 1 if name.lower() in names else None


# -- values in responses ---------------------------------------------------------------------------


def dot(text: str) -> str:
    """Error texts end with a full stop, as Dovecot's do."""
    return text if text.endswith(".") else text + "."


def quote(text: str) -> bytes:
    """A mailbox name in a response: as an atom when it can be one, else quoted."""
    if text and re.fullmatch(r"[A-Za-z0-9._\-]+", text):
        return text.encode()
    return b'"' + text.replace("\\", "\\\\").replace('"', '\\"').encode("utf-8") + b'"'


def internaldate(timestamp: float) -> str:
    """A message's internal date as FETCH INTERNALDATE gives it (RFC 3501 §9 date-time), in UTC."""
    t = time.gmtime(timestamp)
    return f"{t.tm_mday:02d}-{MONTHS[t.tm_mon - 1]}-{t.tm_year} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def compress(numbers: list[int]) -> str:
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
