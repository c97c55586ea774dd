"""Reading an SPF record into terms (RFC 7208 §4.5, §4.6.1, §5, §6 and the ABNF of §12).

``parse_record`` turns ``"v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all"`` into a
:class:`Record` of :class:`Mechanism` and :class:`Modifier` terms, or raises
:class:`SpfSyntaxError` with the position (0-based, into the record text) and the reason. The whole
record is checked before any of it is used: a syntax error anywhere is a permerror (§4.6).
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.spf.macro import MacroError, MacroString, parse_macro_string

__all__ = [
    "DNS_MECHANISMS",
    "Mechanism",
    "MechanismKind",
    "Modifier",
    "Qualifier",
    "Record",
    "SpfSyntaxError",
    "Term",
    "is_spf_record",
    "parse_domain_spec",
    "parse_record",
]

VERSION = "v=spf1"


class Qualifier(str, enum.Enum):
    """The sign before a mechanism and the result it gives on a match (RFC 7208 §4.6.2)."""

    PASS = "+"
    """"+": the host is authorised (the default when no sign is written)."""
    FAIL = "-"
    """"-": the host is explicitly not authorised."""
    SOFTFAIL = "~"
    """"~": probably not authorised; accept but mark."""
    NEUTRAL = "?"
    """"?": the domain makes no assertion."""

    @property
    def result_name(self) -> str:
        return {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}[self.value]


class MechanismKind(str, enum.Enum):
    """The eight mechanisms of RFC 7208 §5."""

    ALL = "all"
    """§5.1: always matches."""
    INCLUDE = "include"
    """§5.2: matches when the other domain's record gives pass."""
    A = "a"
    """§5.3: matches the domain's A/AAAA addresses."""
    MX = "mx"
    """§5.4: matches the addresses of the domain's mail exchangers."""
    PTR = "ptr"
    """§5.5: matches a validated reverse-DNS name under the domain (do not use)."""
    IP4 = "ip4"
    """§5.6: matches an IPv4 network."""
    IP6 = "ip6"
    """§5.6: matches an IPv6 network."""
    EXISTS = "exists"
    """§5.7: matches when the (macro-built) name has an A record."""

    @property
    def section(self) -> str:
        return {
            "all": "5.1",
            "include": "5.2",
            "a": "5.3",
            "mx": "5.4",
            "ptr": "5.5",
            "ip4": "5.6",
            "ip6": "5.6",
            "exists": "5.7",
        }[self.value]


#: Mechanisms that cost a DNS lookup (RFC 7208 §4.6.4); the "redirect" modifier does too.
DNS_MECHANISMS = frozenset(
    {
        MechanismKind.INCLUDE,
        MechanismKind.A,
        MechanismKind.MX,
        MechanismKind.PTR,
        MechanismKind.EXISTS,
    }
)


@dataclass(frozen=True)
class Mechanism:
    """One directive: qualifier + mechanism + its arguments."""

    qualifier: Qualifier
    kind: MechanismKind
    text: str
    """The term as written in the record."""
    position: int
    domain_spec: MacroString | None = None
    cidr4: int | None = None
    """ip4-cidr-length of a/mx (None: 32)."""
    cidr6: int | None = None
    """ip6-cidr-length of a/mx (None: 128)."""
    network_int: int | None = None
    """ip4/ip6: the network address as an integer (host bits cleared)."""
    prefix: int | None = None
    """ip4/ip6: the prefix length."""
    lookup: bool = False
    """True when this term costs a DNS lookup (§4.6.4); set by the parser."""

    @property
    def causes_lookup(self) -> bool:
        return self.kind in DNS_MECHANISMS

    @functools.cached_property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        """ip4/ip6: the network, for display (matching uses the integers)."""
        if self.network_int is None or self.prefix is None:
            return None
        if self.kind is MechanismKind.IP4:
            return ipaddress.IPv4Network((self.network_int, self.prefix))
        return ipaddress.IPv6Network((self.network_int, self.prefix))


@dataclass(frozen=True)
class Modifier:
    """A ``name=value`` term: redirect, exp, or an unknown modifier (ignored, §6)."""

    name: str
    """Lowercase name."""
    value: MacroString
    text: str
    position: int


Term = Mechanism | Modifier


@dataclass(frozen=True)
class Record:
    """A parsed SPF record."""

    text: str
    terms: tuple[Term, ...]
    mechanisms: tuple[Mechanism, ...] = field(init=False, repr=False, compare=False)
    """The mechanisms, in order."""
    redirect: Modifier | None = field(init=False, repr=False, compare=False)
    explanation: Modifier | None = field(init=False, repr=False, compare=False)
    """The exp= modifier."""
    unknown_modifiers: tuple[Modifier, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Worked out once here: evaluation reads them for every check.
        mechanisms = []
        redirect = explanation = None
        unknown = []
        for term in self.terms:
            if isinstance(term, Mechanism):
                mechanisms.append(term)
            elif term.name == "redirect":
                redirect = redirect or term
            elif term.name == "exp":
                explanation = explanation or term
            else:
                unknown.append(term)
        object.__setattr__(self, "mechanisms", tuple(mechanisms))
        object.__setattr__(self, "redirect", redirect)
        object.__setattr__(self, "explanation", explanation)
        object.__setattr__(self, "unknown_modifiers", tuple(unknown))


class SpfSyntaxError(InputError):
    """An SPF record breaks the syntax of RFC 7208; evaluation gives permerror."""

    def __init__(self, record: str, position: int, reason: str) -> None:
        self.record = record
        self.position = position
        self.reason = reason
        super().__init__(TEXT["error"].format(position=position + 1, reason=reason))

    def pointer(self) -> str:
        """The record with a caret under the bad character, for plain-text displays."""
        return f"{self.record}\n{' ' * self.position}^"


TEXT = texts(
    {
        "error": "Syntax error at character {position} of the SPF record: {reason}.",
        "needs_domain": "{what} needs a domain name after it",
        "no_prefix": "{what} {text!r}: this mechanism takes no /prefix length",
        "two_labels": "{what} {text!r} is not a domain name with at least two labels (for "
        "example mail.example.com)",
        "digits": "{what} {text!r}: the last label {label!r} is all digits; an IP address "
        "belongs in ip4: or ip6:, not here",
        "toplabel": "{what} {text!r}: the last label {label!r} is not a valid top-level label "
        "(letters, digits and inner hyphens only)",
        "leading_zero": "the {kind} prefix length /{value} has a leading zero",
        "too_large": "the {kind} prefix length /{value} is larger than {limit}",
        "no_name": "{term!r} has no mechanism name",
        "neither": "{term!r} is neither a mechanism nor a modifier: a modifier name starts with "
        "a letter and has only letters, digits, '-', '_' and '.' before '='",
        "unknown": "{name!r} is not a mechanism SPF knows ({names})",
        "all_argument": "'all' takes no argument, found {rest!r}",
        "ptr_prefix": "'ptr' takes no prefix length, found {rest!r}",
        "needs_colon": "'{kind}' needs ':' and a domain, as in {kind}:example.com",
        "two_slashes": "{term!r}: an IPv6 prefix length needs two slashes, as in {example}",
        "after_kind": "{term!r}: after '{kind}' comes ':domain', '/prefix' or '//prefix6', not "
        "{found!r}",
        "needs_address": "'{kind}' needs ':' and an address, as in {example}",
        "not_prefix": "{term!r}: '/{length}' is not a prefix length (one '/' and a number "
        "0-{limit})",
        "bad_ip4": "{address!r} is not a valid IPv4 address (four numbers 0-255 like 192.0.2.10)",
        "bad_ip6": "{address!r} is not a valid IPv6 address (like 2001:db8::1)",
        "version": "an SPF record starts with 'v=spf1' followed by a space or the end",
        "not_ascii": "the character {char!r} is not ASCII; SPF records are 7-bit ASCII (§3.1)",
        "control": "the control character {char!r} is inside a term; terms are separated by "
        "spaces only (§4.6.1)",
        "twice": "'{name}=' appears twice (first at character {first}); it may appear at most "
        "once (§6)",
    }
)
"""Why a record breaks the syntax, in the current language (see :mod:`mailsec.i18n`)."""

_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9\-_.]*)=")
_CIDR_SUFFIX = re.compile(r"(?:/([0-9]+))?(?://([0-9]+))?\Z")
_TOPLABEL = re.compile(
    r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])\Z"
)
_IP4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\Z"
)
_NAMES = ", ".join(k.value for k in MechanismKind)
_KINDS = {k.value: k for k in MechanismKind}
_PLAIN = re.compile(r"[!-~]+\Z")
_DIGITS = re.compile(r"[0-9]+")
_NAME_END = re.compile(r"[^:/]*")
_SLASH_NUMBER = re.compile(r"/[0-9]+")
_QUALIFIERS = {q.value: q for q in Qualifier}
_NOT_ASCII = re.compile(r"[^\x00-\x7e]")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def is_spf_record(text: str) -> bool:
    """True when ``text`` starts with the version ``v=spf1`` ended by a space or the end (§4.5)."""
    return text[:6].lower() == VERSION and (len(text) == 6 or text[6] == " ")


def parse_domain_spec(record: str, text: str, position: int, what: str) -> MacroString:
    """Parse a domain-spec (§7.1): a macro string ending in a macro or ``.toplabel[.]``."""
    if not text:
        raise SpfSyntaxError(record, position, TEXT["needs_domain"].format(what=what))
    if "%" not in text and _PLAIN.match(text):
        spec = MacroString(text, (text,))  # the common case: no macros at all
    else:
        try:
            spec = parse_macro_string(text, offset=position)
        except MacroError as exc:
            raise SpfSyntaxError(record, exc.position, exc.reason) from None
        if spec.ends_with_macro:
            return spec
    tail = spec.literal_tail()
    if tail.endswith("."):
        tail = tail[:-1]
    dot = tail.rfind(".")
    toplabel = tail[dot + 1 :]
    if dot == -1 or not _TOPLABEL.match(toplabel):
        if re.search(r"/[0-9]+\Z", text):
            reason = TEXT["no_prefix"].format(what=what, text=text)
        elif dot == -1:
            reason = TEXT["two_labels"].format(what=what, text=text)
        elif re.fullmatch(r"[0-9]+", toplabel):
            reason = TEXT["digits"].format(what=what, text=text, label=toplabel)
        else:
            reason = TEXT["toplabel"].format(what=what, text=text, label=toplabel)
        raise SpfSyntaxError(record, position, reason)
    return spec


def _cidr(record: str, value: str, limit: int, position: int, kind: str) -> int:
    if len(value) > 1 and value.startswith("0"):
        raise SpfSyntaxError(record, position, TEXT["leading_zero"].format(kind=kind, value=value))
    number = int(value)
    if number > limit:
        raise SpfSyntaxError(
            record, position, TEXT["too_large"].format(kind=kind, value=value, limit=limit)
        )
    return number


@dataclass(frozen=True)
class _Term:
    """A mechanism being parsed: its qualifier and kind are known, its argument comes next."""

    record: str
    text: str
    pos: int
    qualifier: Qualifier
    kind: MechanismKind
    rest: str
    """What follows the name: '', ':domain', '/prefix', ':address/prefix' ..."""
    rest_pos: int

    def error(self, reason: str, at: int | None = None) -> SpfSyntaxError:
        return SpfSyntaxError(self.record, self.rest_pos if at is None else at, reason)


def _parse_mechanism(record: str, term: str, pos: int) -> Mechanism:
    qualifier = Qualifier.PASS
    body = term
    if term[0] in "+-~?":
        qualifier = _QUALIFIERS[term[0]]
        body = term[1:]
    body_pos = pos + (len(term) - len(body))
    name_end = _NAME_END.match(body)  # up to ':' or '/'
    assert name_end is not None  # the pattern matches the empty string too
    cut = name_end.end()
    name = body[:cut]
    kind = _KINDS.get(name.lower())
    if kind is None:
        if not name:
            reason = TEXT["no_name"].format(term=term)
        elif "=" in body:
            reason = TEXT["neither"].format(term=term)
        else:
            reason = TEXT["unknown"].format(name=name, names=_NAMES)
        raise SpfSyntaxError(record, body_pos, reason)
    parsed = _Term(record, term, pos, qualifier, kind, body[cut:], body_pos + cut)
    return _ARGUMENTS[kind](parsed)


def _all(t: _Term) -> Mechanism:
    """all (§5.1) takes no argument."""
    if t.rest:
        raise t.error(TEXT["all_argument"].format(rest=t.rest))
    return Mechanism(t.qualifier, t.kind, t.text, t.pos)


def _domain(t: _Term) -> Mechanism:
    """include (§5.2) and exists (§5.7) need ':domain'; ptr (§5.5) may have one."""
    if t.kind is MechanismKind.PTR and not t.rest:
        return Mechanism(t.qualifier, t.kind, t.text, t.pos, lookup=True)
    if not t.rest.startswith(":"):
        if t.kind is MechanismKind.PTR:
            raise t.error(TEXT["ptr_prefix"].format(rest=t.rest))
        raise t.error(TEXT["needs_colon"].format(kind=t.kind.value))
    spec = parse_domain_spec(t.record, t.rest[1:], t.rest_pos + 1, f"'{t.kind.value}:'")
    return Mechanism(t.qualifier, t.kind, t.text, t.pos, spec, lookup=True)


def _domain_and_prefixes(t: _Term) -> Mechanism:
    """a (§5.3) and mx (§5.4): an optional ':domain', then '/prefix4' and '//prefix6'."""
    kind, rest, rest_pos = t.kind, t.rest, t.rest_pos
    m = _CIDR_SUFFIX.search(rest)
    assert m is not None  # the pattern matches the empty string at the end
    domain_part = rest[: m.start()]
    if domain_part and not domain_part.startswith(":"):
        if _SLASH_NUMBER.fullmatch(domain_part):
            reason = TEXT["two_slashes"].format(
                term=t.text, example=f"{kind.value}{domain_part}/{rest[m.start() :]}"
            )
        else:
            reason = TEXT["after_kind"].format(term=t.text, kind=kind.value, found=domain_part)
        raise t.error(reason)
    cidr4 = cidr6 = None
    if m.group(1) is not None:
        cidr4 = _cidr(t.record, m.group(1), 32, rest_pos + m.start(1) - 1, "IPv4")
    if m.group(2) is not None:
        cidr6 = _cidr(t.record, m.group(2), 128, rest_pos + m.start(2) - 2, "IPv6")
    spec = None
    if domain_part:
        spec = parse_domain_spec(t.record, domain_part[1:], rest_pos + 1, f"'{kind.value}:'")
    return Mechanism(t.qualifier, kind, t.text, t.pos, spec, cidr4, cidr6, lookup=True)


def _network(t: _Term) -> Mechanism:
    """ip4 and ip6 (§5.6): ':address', optionally '/prefix'."""
    ipv4 = t.kind is MechanismKind.IP4
    if not t.rest.startswith(":") or len(t.rest) == 1:
        example = "ip4:192.0.2.0/24" if ipv4 else "ip6:2001:db8::/32"
        raise t.error(TEXT["needs_address"].format(kind=t.kind.value, example=example))
    arg, arg_pos = t.rest[1:], t.rest_pos + 1
    address, slash, length = arg.partition("/")
    limit = 32 if ipv4 else 128
    prefix = limit
    if slash:
        if not _DIGITS.fullmatch(length):
            raise t.error(
                TEXT["not_prefix"].format(term=t.text, length=length, limit=limit),
                arg_pos + len(address),
            )
        prefix = _cidr(t.record, length, limit, arg_pos + len(address), "IPv4" if ipv4 else "IPv6")
    packed = _address_bytes(address, ipv4)
    if packed is None:
        key = "bad_ip4" if ipv4 else "bad_ip6"
        raise t.error(TEXT[key].format(address=address), arg_pos)
    shift = limit - prefix
    network_int = (int.from_bytes(packed, "big") >> shift) << shift
    return Mechanism(t.qualifier, t.kind, t.text, t.pos, network_int=network_int, prefix=prefix)


def _address_bytes(address: str, ipv4: bool) -> bytes | None:
    """The address in network byte order, or None when it is not one (strictly, as §5.6 asks)."""
    try:
        if ipv4:
            return socket.inet_pton(socket.AF_INET, address) if _IP4.match(address) else None
        if "%" in address or ("." in address and not re.search(r":[0-9.]+\Z", address)):
            return None
        return socket.inet_pton(socket.AF_INET6, address)
    except (ValueError, OSError):
        return None


_ARGUMENTS: dict[MechanismKind, Callable[[_Term], Mechanism]] = {
    MechanismKind.ALL: _all,
    MechanismKind.INCLUDE: _domain,
    MechanismKind.EXISTS: _domain,
    MechanismKind.PTR: _domain,
    MechanismKind.A: _domain_and_prefixes,
    MechanismKind.MX: _domain_and_prefixes,
    MechanismKind.IP4: _network,
    MechanismKind.IP6: _network,
}


def _parse_modifier(record: str, term: str, pos: int, name: str) -> Modifier:
    value = term[len(name) + 1 :]
    value_pos = pos + len(name) + 1
    lname = name.lower()
    if lname in ("redirect", "exp"):
        spec = parse_domain_spec(record, value, value_pos, f"'{lname}='")
        return Modifier(lname, spec, term, pos)
    try:
        ms = parse_macro_string(value, offset=value_pos)
    except MacroError as exc:
        raise SpfSyntaxError(record, exc.position, exc.reason) from None
    return Modifier(lname, ms, term, pos)


def parse_record(text: str) -> Record:
    """Parse one SPF record (the TXT strings already joined, §3.3).

    Raises :class:`SpfSyntaxError` with position and reason for anything RFC 7208 does not allow.
    """
    if not is_spf_record(text):
        raise SpfSyntaxError(text, 0, TEXT["version"])
    bad = _NOT_ASCII.search(text)
    if bad is not None:
        raise SpfSyntaxError(
            text,
            bad.start(),
            TEXT["not_ascii"].format(char=bad.group()),
        )
    terms: list[Term] = []
    seen: dict[str, int] = {}
    i = 6
    n = len(text)
    while i < n:
        if text[i] == " ":
            i += 1
            continue
        j = text.find(" ", i)
        if j == -1:
            j = n
        term = text[i:j]
        control = _CONTROL.search(term)
        if control is not None:
            raise SpfSyntaxError(
                text,
                i + control.start(),
                TEXT["control"].format(char=control.group()),
            )
        m = _MODIFIER.match(term)
        if m:
            mod = _parse_modifier(text, term, i, m.group(1))
            if mod.name in ("redirect", "exp"):
                if mod.name in seen:
                    raise SpfSyntaxError(
                        text,
                        i,
                        TEXT["twice"].format(name=mod.name, first=seen[mod.name] + 1),
                    )
                seen[mod.name] = i
            terms.append(mod)
        else:
            terms.append(_parse_mechanism(text, term, i))
        i = j
    return Record(text, tuple(terms))
