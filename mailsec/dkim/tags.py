"""Tag lists: the ``name=value; name=value`` syntax of DKIM (RFC 6376 §3.2).

Both the DKIM-Signature header field and the key record published in DNS are tag lists::

    v=1; a=rsa-sha256; d=example.com; s=brisbane; h=from : to : subject; bh=...; b=...

The grammar (§3.2) in words:

- tags are separated by ``;``, and a final ``;`` is allowed;
- a tag name is a letter followed by letters, digits or ``_``, and is case-sensitive;
- whitespace, including folded lines (CRLF followed by a space or tab, "FWS"), may surround the
  name, the ``=`` and the value, and may appear inside a value (``h=from : to``);
- a value is made of the printable characters ``!`` to ``~`` except ``;``;
- a tag may appear only once: a duplicate makes the whole list invalid;
- tags the reader does not know are ignored (so new tags can be added later).

:func:`parse_tag_list` reads a list and records, for each tag, where its value starts and ends in
the text. The verifier needs that to blank out the ``b=`` value exactly as it was written before
hashing the signature header (§3.7). :func:`decode_base64` reads ``b=``, ``bh=`` and ``p=``, whose
base64 may be folded over several lines (§3.5: whitespace in them is ignored).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mailsec.errors import InputError, quoted
from mailsec.i18n import texts
from mailsec.limits import MAX_TAG_LIST

__all__ = [
    "MAX_TAG_LIST",
    "DkimSyntaxError",
    "Tag",
    "TagList",
    "decode_base64",
    "parse_tag_list",
    "split_colon_list",
]


#: Messages shown to learners (kept together so they can be translated).
MESSAGES = texts(
    {
        "too_long": "The tag list is {length:,} characters long; the most read is {limit:,}.",
        "empty": "The tag list is empty: it needs at least one name=value pair (RFC 6376 §3.2).",
        "empty_tag": "There is an empty tag at character {character} (two semicolons with nothing "
        "between them); RFC 6376 §3.2 allows a semicolon only between tags and once at the end.",
        "no_equals": "The text {text} at character {character} is not a tag: a tag is written "
        "name=value (RFC 6376 §3.2).",
        "bad_name": "{name} at character {character} is not a valid tag name: a name is a letter "
        "followed by letters, digits or underscores (RFC 6376 §3.2).",
        "duplicate": "The tag {name} appears twice; RFC 6376 §3.2 makes a tag list with a "
        "duplicate tag invalid.",
        "bad_char": "The value of {name} contains {char} at character {character}; "
        "tag values are printable ASCII from ! to ~ except ';' (RFC 6376 §3.2).",
        "bad_line_break": "The value of {name} has a line break at character {character} that is not "
        "followed by a space or tab; only folded lines may appear inside a value (RFC 6376 §3.2).",
        "bad_base64": "The value of {name} is not valid base64: {detail}.",
        "empty_list_item": "The {name} tag has an empty item in its colon-separated list.",
    }
)

#: Anything but the characters allowed in a value (VALCHAR, %x21-3A / %x3C-7E), space, tab and
#: the CR and LF of folded lines.
_BAD_VALUE_CHAR = re.compile(r"[^\x21-\x3a\x3c-\x7e \t\r\n]")
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
#: Folding whitespace: spaces and tabs, possibly around line breaks (CRLF then WSP).
_FWS_CHARS = " \t\r\n"
_FOLD = re.compile(r"\r\n(?=[ \t])")
_WHITESPACE = re.compile(r"[ \t\r\n]+")


class DkimSyntaxError(InputError):
    """A DKIM tag list, signature or key record does not follow the syntax of RFC 6376."""

    def __init__(self, message: str | None = None, *, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position
        """Where in the text the problem is (0-based), when it is one place."""


def _error(key: str, *, position: int | None = None, **values: object) -> DkimSyntaxError:
    # Positions are 0-based in code and counted from 1 in the sentence a learner reads.
    character = None if position is None else position + 1
    return DkimSyntaxError(MESSAGES[key].format(character=character, **values), position=position)


@dataclass(frozen=True)
class Tag:
    """One ``name=value`` pair and where its value lies in the tag-list text."""

    name: str
    value: str
    """The value with surrounding whitespace removed; whitespace inside (``from : to``) is kept."""
    start: int
    """Where the value begins in the text: just after the ``=``."""
    end: int
    """Where the value ends: at the ``;`` that closes it, or the end of the text. The span
    ``start:end`` includes the whitespace around the value, which §3.7 removes with the value."""


@dataclass(frozen=True)
class TagList:
    """A parsed tag list, in the order the tags were written."""

    text: str
    tags: tuple[Tag, ...]

    def __contains__(self, name: object) -> bool:
        return any(tag.name == name for tag in self.tags)

    def __iter__(self) -> Iterator[Tag]:
        return iter(self.tags)

    def __len__(self) -> int:
        return len(self.tags)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of tag ``name`` (names are case-sensitive), or ``default``."""
        for tag in self.tags:
            if tag.name == name:
                return tag.value
        return default

    def find(self, name: str) -> Tag | None:
        for tag in self.tags:
            if tag.name == name:
                return tag
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(tag.name for tag in self.tags)

    def without_value(self, name: str) -> str:
        """The text with the value of ``name`` (and the whitespace around it) removed, as the
        signature header is hashed with an empty ``b=`` (RFC 6376 §3.7)."""
        tag = self.find(name)
        if tag is None:
            return self.text
        return self.text[: tag.start] + self.text[tag.end :]


def parse_tag_list(text: str) -> TagList:
    """Read a tag list (RFC 6376 §3.2); raise :class:`DkimSyntaxError` with the reason."""
    if len(text) > MAX_TAG_LIST:
        raise _error("too_long", length=len(text), limit=MAX_TAG_LIST)
    tags: list[Tag] = []
    seen: set[str] = set()
    offset = 0
    segments = text.split(";")
    for index, segment in enumerate(segments):
        is_last = index == len(segments) - 1
        if segment.strip(_FWS_CHARS) == "":
            # Whitespace alone is allowed only after the final semicolon (or as the whole list,
            # which is reported as empty below).
            if not is_last:
                raise _error("empty_tag", position=offset)
        else:
            tag = _parse_tag(segment, offset)
            if tag.name in seen:
                raise _error("duplicate", name=quoted(tag.name))
            seen.add(tag.name)
            tags.append(tag)
        offset += len(segment) + 1
    if not tags:
        raise _error("empty")
    return TagList(text, tuple(tags))


def _parse_tag(segment: str, offset: int) -> Tag:
    equals = segment.find("=")
    if equals < 0:
        stripped = segment.strip(_FWS_CHARS)
        at = offset + segment.find(stripped[:1])
        raise _error("no_equals", text=quoted(stripped, 30), position=at)
    raw_name = segment[:equals]
    name = raw_name.strip(_FWS_CHARS)
    name_at = offset + len(raw_name) - len(raw_name.lstrip(_FWS_CHARS))
    if not _TAG_NAME.match(name) or _FOLD.sub("", raw_name).strip(" \t") != name:
        raise _error("bad_name", name=quoted(name, 30), position=name_at)
    start = offset + equals + 1
    raw_value = segment[equals + 1 :]
    _check_value(name, raw_value, start)
    return Tag(name, raw_value.strip(_FWS_CHARS), start, offset + len(segment))


def _check_value(name: str, raw_value: str, start: int) -> None:
    bad = _BAD_VALUE_CHAR.search(raw_value)
    if bad:
        raise _error(
            "bad_char", name=quoted(name), char=quoted(bad.group()), position=start + bad.start()
        )
    # A line break is allowed only as part of folding whitespace: CRLF followed by WSP.
    stray = re.search(r"[\r\n]", _FOLD.sub("  ", raw_value))
    if stray:
        raise _error("bad_line_break", name=quoted(name), position=start + stray.start())


def decode_base64(name: str, value: str) -> bytes:
    """Decode a base64 tag value, ignoring folding whitespace in it (RFC 6376 §3.5)."""
    compact = _WHITESPACE.sub("", value)
    try:
        return base64.b64decode(compact.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        detail = str(exc).rstrip(".") or "it cannot be decoded"
        raise _error("bad_base64", name=quoted(name), detail=detail) from None


def split_colon_list(name: str, value: str) -> tuple[str, ...]:
    """Split a colon-separated tag value (``h=from : to``, ``t=y:s``), removing whitespace.

    An empty item (``from::to`` or a trailing colon) is a syntax error.
    """
    items = tuple(_WHITESPACE.sub("", item) for item in value.split(":"))
    if any(not item for item in items):
        raise _error("empty_list_item", name=quoted(name))
    return items
