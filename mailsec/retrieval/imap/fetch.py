"""FETCH data items (RFC 3501 §6.4.5, §7.4.2): what the client asks for, and how it is shown.

:func:`parse_fetch_items` reads the item list of a FETCH (macros such as ``FAST`` expanded,
``RFC822.*`` as the ``BODY[...]`` sections they stand for); :func:`render` writes the items of one
message, reading its file and MIME structure only when an item needs them; :func:`section` cuts
out what one ``BODY[...]`` item names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from mailsec.retrieval.imap.structure import (
    Part,
    bodystructure,
    envelope,
    header_fields,
    parse_part,
    part_section,
    split_header,
)
from mailsec.retrieval.imap.syntax import Atom, Bad, internaldate

__all__ = ["FetchItem", "FetchedMessage", "MessageGone", "parse_fetch_items", "render", "section"]


@dataclass(frozen=True)
class FetchItem:
    """One data item of a FETCH, as read from the command."""

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
_FAST = (FetchItem("FLAGS"), FetchItem("INTERNALDATE"), FetchItem("RFC822.SIZE"))
_NAMED: dict[str, tuple[FetchItem, ...]] = {
    "FLAGS": (FetchItem("FLAGS"),),
    "UID": (FetchItem("UID"),),
    "RFC822.SIZE": (FetchItem("RFC822.SIZE"),),
    "INTERNALDATE": (FetchItem("INTERNALDATE"),),
    "ENVELOPE": (FetchItem("ENVELOPE"),),
    "BODYSTRUCTURE": (FetchItem("BODYSTRUCTURE"),),
    "BODY": (FetchItem("BODY"),),
    "FAST": _FAST,
    "ALL": (*_FAST, FetchItem("ENVELOPE")),
    "FULL": (*_FAST, FetchItem("ENVELOPE"), FetchItem("BODY")),
    "RFC822": (FetchItem("SECTION", "", peek=False, label="RFC822"),),
    "RFC822.HEADER": (FetchItem("SECTION", "HEADER", label="RFC822.HEADER"),),
    "RFC822.TEXT": (FetchItem("SECTION", "TEXT", peek=False, label="RFC822.TEXT"),),
}
"""The items named by one word, macros (RFC 3501 §6.4.5) expanded."""


def parse_fetch_items(token: object) -> list[FetchItem]:
    """The items of a FETCH: one item or a parenthesised list of them."""
    tokens = token if isinstance(token, list) else [token]
    items: list[FetchItem] = []
    for t in tokens:
        items.extend(_fetch_item(t))
    if not items:
        raise Bad("Empty fetch list")
    return items


def _fetch_item(token: object) -> tuple[FetchItem, ...]:
    if not isinstance(token, Atom):
        raise Bad("Invalid fetch attribute")
    named = _NAMED.get(token.upper())
    if named is not None:
        return named
    match = _SECTION.match(str(token))
    if not match:
        raise Bad(f"Unknown parameter: {token}")
    kind, section_text, start, length = match.groups()
    path, spec, fields = _section_spec(section_text)
    shown = ".".join(map(str, path))
    if spec:
        shown = f"{shown}.{spec}" if shown else spec
        if fields:
            shown += f" ({' '.join(f.upper() for f in fields)})"
    partial = (int(start), int(length)) if start is not None else None
    label = f"BODY[{shown}]" + (f"<{start}>" if start is not None else "")
    peek = kind.upper() == "BODY.PEEK"
    return (FetchItem("SECTION", spec, fields, peek, partial, label, path),)


def _section_spec(text: str) -> tuple[tuple[int, ...], str, tuple[str, ...]]:
    """What is between the brackets of ``BODY[...]``: the part number, HEADER, TEXT, MIME or
    HEADER.FIELDS[.NOT] and its field names (RFC 3501 §9 section)."""
    spec_match = _SPEC.match(text)
    if not spec_match or (text and not any(spec_match.groups())):
        raise Bad("Invalid BODY[..] section")
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
                raise Bad("Empty header field list")
    if spec == "MIME" and not path:
        raise Bad("Invalid BODY[..] section")
    return path, spec, fields


def section(data: bytes, item: FetchItem) -> bytes:
    """The octets a ``BODY[...]`` item names, cut to its ``<start.length>``."""
    if item.path:
        body = part_section(data, item.path, item.section, item.fields)
    else:
        header, text = split_header(data)
        if item.section == "":
            body = data
        elif item.section == "HEADER":
            body = header
        elif item.section == "TEXT":
            body = text
        else:
            body = header_fields(header, item.fields, keep=item.section == "HEADER.FIELDS")
    if item.partial is not None:
        start, length = item.partial
        body = body[start : start + length]
    return body


# -- rendering -----------------------------------------------------------------------------------


class MessageGone(Exception):
    """The message's file was removed (by another session) after the FETCH began."""


@dataclass
class FetchedMessage:
    """One message as FETCH shows it: what the store knows, and its octets once an item needs
    them (``read`` raises ``KeyError`` when the file has gone)."""

    uid: int
    size: int
    internaldate: float
    flags: Callable[[], str]
    """The flags as the session shows them, at the moment they are written."""
    read: Callable[[], bytes]
    _data: bytes | None = field(default=None, repr=False)
    _structure: Part | None = field(default=None, repr=False)

    def data(self) -> bytes:
        if self._data is None:
            try:
                self._data = self.read()
            except KeyError:
                raise MessageGone(self.uid) from None
        return self._data

    def structure(self) -> Part:
        if self._structure is None:
            self._structure = parse_part(self.data())
        return self._structure


def render(items: list[FetchItem], message: FetchedMessage) -> tuple[list[bytes], bool] | None:
    """The items of one message's FETCH response, in order, and whether a ``BODY[...]`` without
    PEEK was among them (it sets ``\\Seen``); ``None`` when the message's file has gone."""
    parts = []
    unpeeked = False
    try:
        for item in items:
            parts.append(_render_item(item, message))
            unpeeked = unpeeked or (item.name == "SECTION" and not item.peek)
    except MessageGone:
        return None
    return parts, unpeeked


def _render_item(item: FetchItem, message: FetchedMessage) -> bytes:
    if item.name == "FLAGS":
        return f"FLAGS ({message.flags()})".encode()
    if item.name == "UID":
        return f"UID {message.uid}".encode()
    if item.name == "RFC822.SIZE":
        return f"RFC822.SIZE {message.size}".encode()
    if item.name == "INTERNALDATE":
        return f'INTERNALDATE "{internaldate(message.internaldate)}"'.encode()
    if item.name == "SECTION":
        body = section(message.data(), item)
        return f"{item.label} {{{len(body)}}}\r\n".encode() + body
    if item.name == "ENVELOPE":
        return b"ENVELOPE " + envelope(message.structure())
    extended = item.name == "BODYSTRUCTURE"
    return item.name.encode() + b" " + bodystructure(message.structure(), extended=extended)
