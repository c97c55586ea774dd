"""SPF macros (RFC 7208 §7): parse a macro string once, expand it many times.

A macro string is literal text with macros in it::

    exists:%{ir}.%{l1r-}.lp._spf.%{d}

- ``%{X...}`` expands a value (§7.2): ``s`` sender, ``l`` its local-part, ``o`` its domain, ``d`` the
  domain being checked, ``i`` the client IP (IPv6 as dotted nibbles), ``p`` the client's validated
  host name, ``v`` ``in-addr`` or ``ip6``, ``h`` the HELO name; and, only in explanation text, ``c``
  the client IP in its usual form, ``r`` the checking host's name and ``t`` a timestamp.
- After the letter come transformers (§7.3): digits keep that many right-hand parts, ``r`` reverses,
  and delimiters (``.-+,/_=``) say where to split (default ``.``); parts are joined with ``.``.
- An uppercase letter means "URL-escape the value" (§7.3): every octet outside
  ``A-Z a-z 0-9 - . _ ~`` becomes ``%XX``.
- ``%%``, ``%_`` and ``%-`` are a percent sign, a space and ``%20``. Any other ``%`` is a syntax
  error (permerror).
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from mailsec.i18n import texts

__all__ = [
    "EXPLANATION_ONLY",
    "MACRO_LETTERS",
    "Escape",
    "MacroContext",
    "MacroError",
    "MacroExpand",
    "MacroString",
    "expand",
    "ip_macro",
    "parse_macro_string",
    "to_domain_name",
]

#: Letters allowed everywhere (RFC 7208 §7.2).
MACRO_LETTERS = frozenset("slodipvh")
#: Letters allowed only in explanation text (RFC 7208 §7.2: "c", "r", "t").
EXPLANATION_ONLY = frozenset("crt")

TEXT = texts(
    {
        "percent": "{shown!r}: a '%' must be followed by '{{', '%', '_' or '-' (write %% for a "
        "literal percent sign)",
        "space": "a space is not allowed here: only visible ASCII characters may appear",
        "character": "the character {char!r} is not allowed here: only visible ASCII characters "
        "may appear",
        "malformed": "the macro {shown!r} is malformed: write %{{letter}} with optional digits, "
        "'r' and delimiters (.-+,/_=), for example %{{d2}} or %{{ir}}",
        "unknown": "{macro} uses the unknown macro letter {letter!r} (known: s l o d i p v h, "
        "and c r t in explanations)",
        "explanation_only": "the macro letter {letter!r} is allowed only in explanation text "
        "(RFC 7208 §7.2)",
        "zero": "{macro!r} keeps zero parts; the number must be 1 or more (RFC 7208 §7.3)",
    }
)
"""Why a macro string is not valid, in the current language (see :mod:`mailsec.i18n`)."""

_DELIMITERS = frozenset(".-+,/_=")
_EXPAND = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}")
_ESCAPES = {"%%": "%", "%_": " ", "%-": "%20"}
#: macro-literal (§7.1): visible ASCII except "%"; explanation text may also hold spaces.
_LITERAL = re.compile(r"[!-$&-~]+")
_LITERAL_SP = re.compile(r"[ !-$&-~]+")


class MacroError(ValueError):
    """A macro string breaks the syntax of RFC 7208 §7.1."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


@dataclass(frozen=True)
class MacroExpand:
    """One ``%{...}`` macro."""

    letter: str
    """The lowercase macro letter."""
    url_escape: bool
    """True when the letter was uppercase (§7.3)."""
    keep: int | None
    """Keep this many right-hand parts (None: all)."""
    reverse: bool
    delimiters: str
    source: str
    """The macro as written, for traces."""


@dataclass(frozen=True)
class Escape:
    """``%%``, ``%_`` or ``%-``: a fixed replacement."""

    source: str
    value: str


Token = str | MacroExpand | Escape


@dataclass(frozen=True)
class MacroString:
    """A parsed macro string: literal text and macros, in order."""

    source: str
    tokens: tuple[Token, ...]

    @property
    def has_macros(self) -> bool:
        return any(isinstance(t, MacroExpand) for t in self.tokens)

    @property
    def ends_with_macro(self) -> bool:
        """True when the last token is a macro-expand (``domain-end`` of §7.1)."""
        return bool(self.tokens) and not isinstance(self.tokens[-1], str)

    def literal_tail(self) -> str:
        """The literal text after the last macro (all of it when there is none)."""
        tail: list[str] = []
        for token in reversed(self.tokens):
            if not isinstance(token, str):
                break
            tail.append(token)
        return "".join(reversed(tail))


def parse_macro_string(
    text: str, *, explanation: bool = False, allow_space: bool = False, offset: int = 0
) -> MacroString:
    """Parse ``text`` as a macro string (RFC 7208 §7.1).

    ``explanation`` allows the letters ``c``, ``r`` and ``t`` (only the TXT text of an ``exp=``
    target may use them); ``allow_space`` allows spaces (explanation text only). ``offset`` is added
    to the positions of errors, so they point into the whole record.
    """
    tokens: list[Token] = []
    literal: list[str] = []
    run = _LITERAL_SP if allow_space else _LITERAL
    i = 0
    n = len(text)
    while i < n:
        m = run.match(text, i)
        if m is not None:
            literal.append(m.group())
            i = m.end()
            continue
        ch = text[i]
        if ch == "%":
            pair = text[i : i + 2]
            if pair in _ESCAPES:
                if literal:
                    tokens.append("".join(literal))
                    literal = []
                tokens.append(Escape(pair, _ESCAPES[pair]))
                i += 2
                continue
            if pair == "%{":
                macro, i = _macro_expand(text, i, explanation=explanation, offset=offset)
                if literal:
                    tokens.append("".join(literal))
                    literal = []
                tokens.append(macro)
                continue
            shown = pair if len(pair) == 2 else "%"
            raise MacroError(
                offset + i,
                TEXT["percent"].format(shown=shown),
            )
        code = ord(ch)
        if ch == " " and allow_space:
            literal.append(ch)
        elif code < 0x21 or code > 0x7E:
            message = TEXT["space"] if ch == " " else TEXT["character"].format(char=ch)
            raise MacroError(offset + i, message)
        else:
            literal.append(ch)
        i += 1
    if literal:
        tokens.append("".join(literal))
    return MacroString(text, tuple(tokens))


def _macro_expand(text: str, at: int, *, explanation: bool, offset: int) -> tuple[MacroExpand, int]:
    """The macro-expand starting at ``text[at]`` ('%{'), and where it ends (RFC 7208 §7.1)."""
    m = _EXPAND.match(text, at)
    if m is None:
        close = text.find("}", at)
        shown = text[at : close + 1] if close != -1 else text[at:]
        raise MacroError(
            offset + at,
            TEXT["malformed"].format(shown=shown),
        )
    letter = m.group(1).lower()
    if letter not in MACRO_LETTERS and letter not in EXPLANATION_ONLY:
        raise MacroError(
            offset + at,
            TEXT["unknown"].format(macro=f"%{{{m.group(1)}}}", letter=m.group(1)),
        )
    if letter in EXPLANATION_ONLY and not explanation:
        raise MacroError(
            offset + at,
            TEXT["explanation_only"].format(letter=m.group(1)),
        )
    digits = m.group(2)
    if digits and int(digits) == 0:
        raise MacroError(
            offset + at,
            TEXT["zero"].format(macro=m.group(0)),
        )
    macro = MacroExpand(
        letter=letter,
        url_escape=m.group(1).isupper(),
        keep=int(digits) if digits else None,
        reverse=bool(m.group(3)),
        delimiters=m.group(4) or ".",
        source=m.group(0),
    )
    return macro, m.end()


@dataclass(frozen=True)
class MacroContext:
    """The values macros expand to during one check (RFC 7208 §7.2)."""

    sender: str
    local_part: str
    sender_domain: str
    domain: str
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    helo: str
    receiver: str = "unknown"
    timestamp: int = 0
    validated_name: Callable[[], str] | None = None
    """Called for %{p}: the client's validated host name, or "unknown"."""

    def value(self, letter: str) -> str:
        if letter == "s":
            return self.sender
        if letter == "l":
            return self.local_part
        if letter == "o":
            return self.sender_domain
        if letter == "d":
            return self.domain
        if letter == "i":
            return ip_macro(self.ip)
        if letter == "v":
            return "in-addr" if self.ip.version == 4 else "ip6"
        if letter == "h":
            return self.helo
        if letter == "p":
            return self.validated_name() if self.validated_name else "unknown"
        if letter == "c":
            return str(self.ip)
        if letter == "r":
            return self.receiver
        if letter == "t":
            return str(self.timestamp)
        raise ValueError(f"unknown macro letter {letter!r}")


def ip_macro(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """%{i}: dotted quad for IPv4, 32 dot-separated hex nibbles for IPv6 (§7.3)."""
    if ip.version == 4:
        return str(ip)
    return ".".join(ip.exploded.replace(":", "").upper())


def _transform(value: str, token: MacroExpand) -> str:
    if token.delimiters == ".":
        parts = value.split(".")
    else:
        parts = re.split("[" + re.escape(token.delimiters) + "]", value)
    if token.reverse:
        parts.reverse()
    if token.keep is not None and token.keep < len(parts):
        parts = parts[len(parts) - token.keep :]
    out = ".".join(parts)
    if token.url_escape:
        out = urllib.parse.quote(out, safe="")
    return out


def expand(macro: MacroString, context: MacroContext, *, limit: int | None = None) -> str:
    """Expand a parsed macro string with the values of ``context``.

    With ``limit``, expansion stops once that many characters are there, and the result is cut
    to ``limit``: a record of a few kilobytes full of ``%{s}`` cannot grow into megabytes.
    """
    out: list[str] = []
    size = 0
    for token in macro.tokens:
        if limit is not None and size >= limit:
            return "".join(out)[:limit]
        if isinstance(token, str):
            out.append(token)
        elif isinstance(token, Escape):
            out.append(token.value)
        else:
            value = context.value(token.letter)
            if (
                token.keep is None
                and not token.reverse
                and not token.url_escape
                and token.delimiters == "."
            ):
                out.append(value)
            else:
                out.append(_transform(value, token))
        size += len(out[-1])
    return "".join(out) if limit is None else "".join(out)[:limit]


def to_domain_name(expanded: str) -> str:
    """An expanded domain-spec as a name to query (§7.3, §4.8).

    A trailing dot is dropped, and a name longer than 253 characters loses labels from the left
    until it fits.
    """
    name = expanded[:-1] if expanded.endswith(".") else expanded
    while len(name) > 253 and "." in name:
        name = name.split(".", 1)[1]
    return name
