"""The author domain: the domain of the From: address a reader sees (RFC 7489 §6.6.1).

DMARC protects one name, the domain in the message's From: field (RFC 5322 §3.6.2), because that
is the sender people read. Finding it takes care, since a forger controls the whole header:

- RFC 5322 §3.6 allows exactly one From: field. With two, one mail program may show the first and
  another the last, so a check of either could vouch for the other.
- A From: field may list several authors (``From: a@one.example, b@two.example``). DMARC checks one
  author domain.
- The display name can look like an address (``"Bank <support@bank.example>" <x@evil.example>``);
  only the address in angle brackets counts, and that is what is read here.

§6.6.1 notes that messages with no From: field, several From: fields, or one field naming authors
in several domains are "typically rejected". That is the choice here: :func:`author_domain` gives
no domain for them, with a reason in plain words, and the evaluation turns that into ``permerror``
with the disposition ``reject``. Several addresses that share one domain are accepted, since there
is then one author domain. The same applies to a From: field that cannot be read as an address
(a group, a domain literal such as ``[192.0.2.1]``, an unclosed quote) or whose domain is not a
valid domain name.

The message is split by :func:`mailsec.dkim.canon.read_message`, which refuses what is too large
to be mail (:mod:`mailsec.limits`); the From: field itself is read up to :data:`MAX_FROM`
characters by a small scanner that follows RFC 5322 §3.4, not by the standard library's lenient
header parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailsec.dkim.canon import Message, read_message
from mailsec.dmarc.orgdomain import normalize_domain
from mailsec.errors import InputError, quoted
from mailsec.i18n import texts
from mailsec.limits import MAX_COMMENT_DEPTH
from mailsec.limits import MAX_FROM_FIELD as MAX_FROM

__all__ = ["MAX_FROM", "AuthorDomain", "author_domain"]

SECTION = "RFC 7489 §6.6.1"


MESSAGES = texts(
    {
        "no_from": "The message has no From: field. RFC 5322 requires exactly one, and without it "
        "there is no author domain to check; receivers typically reject such messages "
        "(RFC 7489 §6.6.1).",
        "several_fields": "The message has {count} From: fields. RFC 5322 allows exactly one, and "
        "mail programs may show a different one than was checked; receivers typically reject such "
        "messages (RFC 7489 §6.6.1).",
        "several_domains": "The From: field names authors in {count} domains ({domains}); DMARC "
        "checks one author domain, and receivers typically reject such messages (RFC 7489 §6.6.1).",
        "no_address": "The From: field holds no address, so there is no author domain to check.",
        "too_long": "The From: field is {length:,} characters long; the most read is {limit:,}.",
        "not_utf8": "The From: field is not UTF-8 text (RFC 6532), so its address cannot be read.",
        "unclosed": "The From: field has a {what} that is never closed: {text}.",
        "stray": "The From: field has {char} where an address or a name was expected: {text}.",
        "group": "The From: field holds a group (name: addresses;), which gives no single author.",
        "not_address": "The From: field's {text} is not an address of the form name@domain.",
        "after_address": "The From: field has text after the address in angle brackets: {text}.",
        "literal": "The From: address has the domain literal {literal} (an IP address), not a "
        "domain name that could publish a DMARC record.",
        "bad_domain": "The From: domain cannot be used: {problem}",
        "deep_comment": "The From: field nests comments more than {limit} deep.",
    }
)

_SPECIALS = "<>,:;@"
_ATOM_END = re.compile(r"[\s()<>\[\]\",:;@\\]")


class _FromProblem(Exception):
    """Why a From: field gives no author domain (a sentence from MESSAGES); never leaves
    this module."""


@dataclass(frozen=True)
class AuthorDomain:
    """The author domain of a message, or why there is none."""

    domain: str | None
    """The From: domain, normalized (lower case, IDNA A-labels); None when there is no single one."""
    problem: str | None = None
    """Why there is no author domain, in a sentence; None when there is one."""
    field: str | None = None
    """The From: field's value as read (unfolded), when there was exactly one field."""
    addresses: tuple[str, ...] = ()
    """The addresses found in it."""


def author_domain(message: bytes | Message) -> AuthorDomain:
    """The author domain of ``message`` (bytes, or a message read by ``read_message``).

    Raises :class:`~mailsec.errors.InputError` only for what cannot be read as a message at all;
    every problem with the From: field is described in :attr:`AuthorDomain.problem`.
    """
    parsed = message if isinstance(message, Message) else read_message(message)
    fields = [f for f in parsed.fields if f.key == "from"]
    if not fields:
        return AuthorDomain(None, MESSAGES["no_from"])
    if len(fields) > 1:
        return AuthorDomain(None, MESSAGES["several_fields"].format(count=len(fields)))
    raw = re.sub(rb"\r\n(?=[ \t])", b"", fields[0].value)
    try:
        value = raw.decode("utf-8").strip(" \t")
    except UnicodeDecodeError:
        return AuthorDomain(None, MESSAGES["not_utf8"])
    try:
        addresses, domains = _domains_in_from(value)
    except _FromProblem as exc:
        return AuthorDomain(None, str(exc), value)
    if not domains:
        return AuthorDomain(None, MESSAGES["no_address"], value)
    if len(set(domains)) > 1:
        shown = ", ".join(sorted(set(domains))[:4])
        problem = MESSAGES["several_domains"].format(count=len(set(domains)), domains=shown)
        return AuthorDomain(None, problem, value, tuple(addresses))
    return AuthorDomain(domains[0], None, value, tuple(addresses))


def _domains_in_from(value: str) -> tuple[list[str], list[str]]:
    """The addresses of a From: field value and their normalized domains, in order.

    Raises :class:`_FromProblem` with a sentence when the value cannot be read.
    """
    if len(value) > MAX_FROM:
        raise _FromProblem(MESSAGES["too_long"].format(length=len(value), limit=MAX_FROM))
    tokens = _tokens(value)
    addresses, domains = [], []
    for mailbox in _split(tokens):
        local, domain = _address(mailbox)
        if domain.startswith("["):
            raise _FromProblem(MESSAGES["literal"].format(literal=quoted(domain)))
        try:
            domains.append(normalize_domain(domain))
        except InputError as exc:
            raise _FromProblem(MESSAGES["bad_domain"].format(problem=exc.message)) from None
        addresses.append(f"{local}@{domain}")
    return addresses, domains


def _tokens(value: str) -> list[tuple[str, str]]:
    """Lexical tokens of RFC 5322 §3.2: ("atom"|"quoted"|"literal"|"special", text). Comments
    and white space are dropped."""
    tokens: list[tuple[str, str]] = []
    at, end = 0, len(value)
    while at < end:
        char = value[at]
        if char.isspace():
            at += 1
        elif char == "(":
            at = _skip_comment(value, at)
        elif char == '"':
            close = _closing(value, at, '"', "quoted text")
            tokens.append(("quoted", value[at + 1 : close]))
            at = close + 1
        elif char == "[":
            close = _closing(value, at, "]", "domain literal")
            tokens.append(("literal", value[at : close + 1]))
            at = close + 1
        elif char in _SPECIALS:
            tokens.append(("special", char))
            at += 1
        elif char in ")]\\":
            raise _FromProblem(MESSAGES["stray"].format(char=quoted(char), text=quoted(value)))
        else:
            stop = _ATOM_END.search(value, at)
            close = stop.start() if stop else end
            tokens.append(("atom", value[at:close]))
            at = close
    return tokens


def _closing(value: str, start: int, close: str, what: str) -> int:
    """Where a quoted string or domain literal that opens at ``start`` closes."""
    at = start + 1
    while at < len(value):
        if value[at] == "\\":
            at += 2
            continue
        if value[at] == close:
            return at
        at += 1
    raise _FromProblem(MESSAGES["unclosed"].format(what=what, text=quoted(value[start:])))


def _skip_comment(value: str, start: int) -> int:
    depth, at = 0, start
    while at < len(value):
        char = value[at]
        if char == "\\":
            at += 2
            continue
        if char == "(":
            depth += 1
            if depth > MAX_COMMENT_DEPTH:
                raise _FromProblem(MESSAGES["deep_comment"].format(limit=MAX_COMMENT_DEPTH))
        elif char == ")":
            depth -= 1
            if depth == 0:
                return at + 1
        at += 1
    raise _FromProblem(MESSAGES["unclosed"].format(what="comment", text=quoted(value[start:])))


def _split(tokens: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The mailboxes of a mailbox-list: split at commas outside angle brackets; empty items (which
    RFC 5322 §4.4 allows as obsolete syntax) are skipped."""
    if any(token == ("special", ":") or token == ("special", ";") for token in tokens):
        raise _FromProblem(MESSAGES["group"])
    mailboxes: list[list[tuple[str, str]]] = [[]]
    inside = False
    for token in tokens:
        if token == ("special", "<"):
            inside = True
        elif token == ("special", ">"):
            inside = False
        if token == ("special", ",") and not inside:
            mailboxes.append([])
        else:
            mailboxes[-1].append(token)
    return [mailbox for mailbox in mailboxes if mailbox]


def _address(mailbox: list[tuple[str, str]]) -> tuple[str, str]:
    """``(local-part, domain)`` of one mailbox: ``name <addr-spec>`` or a bare addr-spec."""
    if ("special", "<") in mailbox:
        start = mailbox.index(("special", "<"))
        if ("special", ">") not in mailbox[start:]:
            raise _FromProblem(MESSAGES["unclosed"].format(what="<", text=quoted(_show(mailbox))))
        stop = mailbox.index(("special", ">"), start)
        if stop != len(mailbox) - 1:
            raise _FromProblem(MESSAGES["after_address"].format(text=quoted(_show(mailbox))))
        if any(kind == "special" for kind, _ in mailbox[:start]):
            raise _FromProblem(MESSAGES["not_address"].format(text=quoted(_show(mailbox))))
        spec = mailbox[start + 1 : stop]
    else:
        spec = mailbox
    if (
        len(spec) != 3
        or spec[0][0] not in ("atom", "quoted")
        or spec[1] != ("special", "@")
        or spec[2][0] not in ("atom", "literal")
    ):
        raise _FromProblem(MESSAGES["not_address"].format(text=quoted(_show(mailbox))))
    local = spec[0][1] if spec[0][0] == "atom" else f'"{spec[0][1]}"'
    return local, spec[2][1]


def _show(tokens: list[tuple[str, str]]) -> str:
    return " ".join(f'"{text}"' if kind == "quoted" else text for kind, text in tokens)
