"""Reading a DMARC policy record (RFC 7489 §6.3, §6.4).

A domain publishes its DMARC policy as a TXT record at ``_dmarc.<domain>``::

    v=DMARC1; p=reject; sp=quarantine; adkim=s; rua=mailto:dmarc@example.com!10m; pct=50

The record is a tag list in the syntax of DKIM key records (RFC 6376 §3.2, which §6.3 points to),
read here by :func:`mailsec.dkim.tags.parse_tag_list`. The rules on top of it:

- ``v=DMARC1`` comes first, and its value must match exactly (§6.3 ``v``);
- ``p`` must be present: ``none``, ``quarantine`` or ``reject`` (§6.3 ``p``);
- unknown tags are ignored (§6.3): a later version may add tags;
- tag names are read without regard to case, as the ABNF of §6.4 writes them as quoted strings,
  and so are the keyword values (``p=Reject`` is ``reject``); tags may come in any order after
  ``v``, as receivers accept them.

:func:`parse_record` reads a record two ways. The default, ``strict=True``, raises
:class:`DmarcSyntaxError` for the first wrong tag, naming it: what a domain owner checking a
record wants. ``strict=False`` reads as a receiver does: a wrong value in an optional tag is
replaced by its default and noted in :attr:`DmarcRecord.problems` (§6.3: "syntax errors in the
remainder of the record SHOULD be discarded in favor of default values"), and a record whose ``p``
or ``sp`` is not valid but that names at least one valid ``rua`` address is read as ``p=none``
(§6.6.3 step 6) so that the owner still gets reports telling them about it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from mailsec.dkim.tags import DkimSyntaxError, parse_tag_list
from mailsec.errors import InputError, quoted
from mailsec.i18n import texts
from mailsec.limits import MAX_DMARC_RECORD as MAX_RECORD

__all__ = [
    "MAX_RECORD",
    "AlignmentMode",
    "DmarcRecord",
    "DmarcSyntaxError",
    "Policy",
    "ReportUri",
    "is_dmarc_record",
    "parse_record",
]

SECTION = "RFC 7489 §6.3"


#: ``ri=`` is a 32-bit unsigned number of seconds (§6.3); a report size at most this many digits.
MAX_RI = 2**32 - 1
MAX_SIZE_DIGITS = 18

#: Messages shown to learners (kept together so they can be translated).
MESSAGES = texts(
    {
        "too_long": "The DMARC record is {length:,} characters long; the most read is {limit:,}. "
        "A real record is a few hundred characters.",
        "tag_list": "The DMARC record is not a valid tag list: {problem}",
        "no_version": "A DMARC record starts with v=DMARC1 (RFC 7489 §6.3); this one starts with "
        "{first}.",
        "version": "v={value} is not DMARC1; the version must match exactly, in capitals "
        "(RFC 7489 §6.3).",
        "no_policy": "The DMARC record has no p= tag; p=none, p=quarantine or p=reject is required "
        "(RFC 7489 §6.3).",
        "policy": "{tag}={value} is not a policy: use none, quarantine or reject (RFC 7489 §6.3).",
        "alignment": "{tag}={value} is not an alignment mode: use r (relaxed) or s (strict) "
        "(RFC 7489 §6.3).",
        "pct": "pct={value} is not a percentage: use a whole number from 0 to 100 (RFC 7489 §6.3).",
        "ri": "ri={value} is not a number of seconds: use a whole number from 0 to {limit:,} "
        "(RFC 7489 §6.3).",
        "fo": "fo={value} is not a list of failure options: use 0, 1, d or s, separated by colons "
        "(RFC 7489 §6.3).",
        "rf": "rf={value} is not a list of report formats: use keywords such as afrf, separated by "
        "colons (RFC 7489 §6.3).",
        "uri_empty": "{tag}= has an empty item in its comma-separated list of addresses "
        "(RFC 7489 §6.4).",
        "uri_scheme": "{tag}= lists {uri}, which is not a URI: write a scheme first, such as "
        "mailto:dmarc@example.com (RFC 7489 §6.2).",
        "uri_size": "{tag}= lists {uri}, whose size limit after ! is not a number with an optional "
        "unit k, m, g or t (RFC 7489 §6.2).",
        "uri_mailto": "{tag}= lists {uri}, which is not a mailto: address of the form "
        "mailto:name@domain (RFC 7489 §6.2).",
        "duplicate": "The tag {tag} appears twice (tag names are read without regard to case); "
        "RFC 6376 §3.2 makes such a tag list invalid.",
        "replaced": "{problem} The default {tag}={default} is used instead.",
        "dropped": "{problem} That address is ignored.",
        "policy_none": "{problem} Because rua= names a valid address, the record is read as p=none "
        "(RFC 7489 §6.6.3).",
    }
)

#: ``v=DMARC1`` first: the tag name without regard to case, the value exactly (§6.3 ``v``: "The
#: value of this tag MUST match precisely; if it does not ... the entire retrieved record MUST be
#: ignored").
_VERSION_PREFIX = re.compile(r"[ \t\r\n]*[vV][ \t\r\n]*=[ \t\r\n]*DMARC1[ \t\r\n]*(?:;|\Z)")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+\Z")
_SIZE = re.compile(r"(\d+)([kmgt]?)\Z", re.I)
_MAILTO = re.compile(r"mailto:[^@\s]+@[^@\s]+\Z", re.I)
_KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*\Z")
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


class DmarcSyntaxError(InputError):
    """A DMARC record does not follow the syntax of RFC 7489 §6.3-§6.4."""

    def __init__(self, message: str | None = None, *, tag: str | None = None) -> None:
        super().__init__(message)
        self.tag = tag
        """The tag at fault (``"p"``, ``"rua"`` ...), or None for the record as a whole."""


class Policy(str, enum.Enum):
    """What a domain owner asks receivers to do with mail that fails DMARC (§6.3 ``p``)."""

    NONE = "none"
    """Monitor only: deliver as usual and send reports."""
    QUARANTINE = "quarantine"
    """Treat the mail as suspicious: the spam folder, or a closer look."""
    REJECT = "reject"
    """Refuse the mail during the SMTP transaction."""

    def __str__(self) -> str:
        return self.value

    @property
    def weaker(self) -> Policy:
        """The next weaker policy, for messages left out by ``pct`` (§6.6.4)."""
        return {"reject": Policy.QUARANTINE, "quarantine": Policy.NONE, "none": Policy.NONE}[
            self.value
        ]


class AlignmentMode(str, enum.Enum):
    """How closely an authenticated domain must match the From: domain (§3.1, ``adkim``/``aspf``)."""

    RELAXED = "r"
    """The same organizational domain is enough: ``mail.example.com`` aligns with ``example.com``."""
    STRICT = "s"
    """The domains must be the same."""

    def __str__(self) -> str:
        return self.value

    @property
    def word(self) -> str:
        return "relaxed" if self is AlignmentMode.RELAXED else "strict"


@dataclass(frozen=True)
class ReportUri:
    """One address from ``rua=`` or ``ruf=`` (§6.2): a URI and an optional size limit."""

    uri: str
    max_size: int | None = None
    """The largest report the owner accepts at this address, in bytes (``!10m``), or None."""

    @property
    def scheme(self) -> str:
        return self.uri.partition(":")[0].lower()

    @property
    def address(self) -> str | None:
        """For ``mailto:`` URIs, the mail address (before any ``?`` of the URI)."""
        if self.scheme != "mailto":
            return None
        return self.uri.partition(":")[2].partition("?")[0]

    def __str__(self) -> str:
        return self.uri


@dataclass(frozen=True)
class DmarcRecord:
    """A DMARC record, read. Field defaults are the defaults of §6.3."""

    text: str
    """The record as published."""
    policy: Policy
    """``p``: what to do with failing mail from the domain itself."""
    subdomain_policy: Policy | None = None
    """``sp``: what to do with failing mail from subdomains; None when the record has no ``sp``,
    and then ``p`` applies to subdomains too (see :attr:`effective_subdomain_policy`)."""
    dkim_alignment: AlignmentMode = AlignmentMode.RELAXED
    """``adkim``."""
    spf_alignment: AlignmentMode = AlignmentMode.RELAXED
    """``aspf``."""
    percent: int = 100
    """``pct``: the share of failing mail the policy is applied to (§6.6.4)."""
    aggregate_uris: tuple[ReportUri, ...] = ()
    """``rua``: where aggregate reports go (§7.2)."""
    failure_uris: tuple[ReportUri, ...] = ()
    """``ruf``: where failure reports go (§7.3)."""
    failure_options: tuple[str, ...] = ("0",)
    """``fo``: when failure reports are wanted."""
    report_formats: tuple[str, ...] = ("afrf",)
    """``rf``: the formats of failure reports."""
    report_interval: int = 86400
    """``ri``: seconds between aggregate reports."""
    ignored: tuple[str, ...] = ()
    """Unknown tags, which §6.3 says to ignore."""
    problems: tuple[str, ...] = ()
    """Wrong values read as their defaults (``strict=False`` only), one sentence each."""

    @property
    def effective_subdomain_policy(self) -> Policy:
        return self.subdomain_policy or self.policy


def is_dmarc_record(text: str) -> bool:
    """Whether a TXT record starts with ``v=DMARC1`` (§6.6.3 step 2 discards the others)."""
    return _VERSION_PREFIX.match(text) is not None


def parse_record(text: str, *, strict: bool = True) -> DmarcRecord:
    """Read a DMARC record; raise :class:`DmarcSyntaxError` naming the tag at fault.

    With ``strict=False`` the record is read as a receiver reads it (see the module docstring):
    only a record that is no DMARC record at all, or whose policy is unusable, raises.
    """
    if len(text) > MAX_RECORD:
        raise DmarcSyntaxError(MESSAGES["too_long"].format(length=len(text), limit=MAX_RECORD))
    try:
        tag_list = parse_tag_list(text)
    except DkimSyntaxError as exc:
        raise DmarcSyntaxError(MESSAGES["tag_list"].format(problem=exc.message)) from None
    first = tag_list.tags[0]
    if first.name.lower() != "v":
        raise DmarcSyntaxError(
            MESSAGES["no_version"].format(first=quoted(f"{first.name}={first.value}", 30)), tag="v"
        )
    if first.value != "DMARC1":
        raise DmarcSyntaxError(MESSAGES["version"].format(value=quoted(first.value)), tag="v")
    values: dict[str, str] = {}
    ignored: list[str] = []
    for tag in tag_list.tags[1:]:
        name = tag.name.lower()
        if name in _OPTIONAL or name in ("p", "sp"):
            if name in values:  # "P=" and "p=": one tag written twice
                raise DmarcSyntaxError(MESSAGES["duplicate"].format(tag=quoted(name)), tag=name)
            values[name] = tag.value
        else:
            ignored.append(tag.name)
    reader = _Reader(values, strict)
    # In the order of _OPTIONAL, which is the order the problems are listed in.
    dkim_alignment = reader.read("adkim", _ALIGNMENT)
    spf_alignment = reader.read("aspf", _ALIGNMENT)
    percent = reader.read("pct", _PERCENT)
    aggregate_uris = reader.uris("rua")
    failure_uris = reader.uris("ruf")
    failure_options = reader.read("fo", _FAILURE_OPTIONS)
    report_formats = reader.read("rf", _FORMATS)
    report_interval = reader.read("ri", _INTERVAL)
    policy, subdomain_policy = reader.policies(aggregate_uris)
    return DmarcRecord(
        text=text,
        policy=policy,
        subdomain_policy=subdomain_policy,
        dkim_alignment=dkim_alignment,
        spf_alignment=spf_alignment,
        percent=percent,
        aggregate_uris=aggregate_uris,
        failure_uris=failure_uris,
        failure_options=failure_options,
        report_formats=report_formats,
        report_interval=report_interval,
        ignored=tuple(ignored),
        problems=tuple(reader.problems),
    )


class _Reader:
    """Reads one tag at a time, raising (strict) or noting the problem and using the default."""

    def __init__(self, values: dict[str, str], strict: bool) -> None:
        self.values = values
        self.strict = strict
        self.problems: list[str] = []

    def read(self, name: str, tag: _Tag[_T]) -> _T:
        if name not in self.values:
            return tag.default
        try:
            return tag.parse(name, self.values[name])
        except DmarcSyntaxError as exc:
            if self.strict:
                raise
            self.problems.append(
                MESSAGES["replaced"].format(problem=exc.message, tag=name, default=tag.shown)
            )
            return tag.default

    def uris(self, name: str) -> tuple[ReportUri, ...]:
        """``rua`` or ``ruf``; read as a receiver reads them, each address on its own."""
        if name in self.values and not self.strict:
            return self._addresses(name, self.values[name])
        return self.read(name, _URIS)

    def _addresses(self, name: str, value: str) -> tuple[ReportUri, ...]:
        """Each address of a list on its own: a wrong one does not hide the valid ones."""
        uris: list[ReportUri] = []
        for item in value.split(","):
            try:
                uris.extend(_uris(name, item))
            except DmarcSyntaxError as exc:
                self.problems.append(MESSAGES["dropped"].format(problem=exc.message))
        return tuple(uris)

    def policies(self, rua: tuple[ReportUri, ...]) -> tuple[Policy, Policy | None]:
        """``p`` and ``sp``, or p=none for an unusable policy with a valid rua (§6.6.3 step 6)."""
        try:
            if "p" not in self.values:
                raise DmarcSyntaxError(MESSAGES["no_policy"], tag="p")
            policy = _policy("p", self.values["p"])
            subdomain = _policy("sp", self.values["sp"]) if "sp" in self.values else None
        except DmarcSyntaxError as exc:
            if self.strict or not rua:
                raise
            self.problems.append(MESSAGES["policy_none"].format(problem=exc.message))
            return Policy.NONE, None
        return policy, subdomain


def _policy(tag: str, value: str) -> Policy:
    try:
        return Policy(value.lower())
    except ValueError:
        raise DmarcSyntaxError(
            MESSAGES["policy"].format(tag=tag, value=quoted(value)), tag=tag
        ) from None


def _alignment(tag: str, value: str) -> AlignmentMode:
    try:
        return AlignmentMode(value.lower())
    except ValueError:
        raise DmarcSyntaxError(
            MESSAGES["alignment"].format(tag=tag, value=quoted(value)), tag=tag
        ) from None


def _percent(tag: str, value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 3 and int(value) <= 100):
        raise DmarcSyntaxError(MESSAGES["pct"].format(value=quoted(value)), tag=tag)
    return int(value)


def _interval(tag: str, value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_RI):
        raise DmarcSyntaxError(MESSAGES["ri"].format(value=quoted(value), limit=MAX_RI), tag=tag)
    return int(value)


def _failure_options(tag: str, value: str) -> tuple[str, ...]:
    items = tuple(item.strip(" \t\r\n").lower() for item in value.split(":"))
    if not all(item in ("0", "1", "d", "s") for item in items):
        raise DmarcSyntaxError(MESSAGES["fo"].format(value=quoted(value)), tag=tag)
    return items


def _formats(tag: str, value: str) -> tuple[str, ...]:
    items = tuple(item.strip(" \t\r\n").lower() for item in value.split(":"))
    if not all(_KEYWORD.match(item) for item in items):
        raise DmarcSyntaxError(MESSAGES["rf"].format(value=quoted(value)), tag=tag)
    return items


def _uris(tag: str, value: str) -> tuple[ReportUri, ...]:
    """A comma-separated list of DMARC URIs (§6.4 ``dmarc-urilist``): ``uri[!size[unit]]``."""
    uris = []
    for item in value.split(","):
        text = item.strip(" \t\r\n")
        if not text:
            raise DmarcSyntaxError(MESSAGES["uri_empty"].format(tag=tag), tag=tag)
        uri, bang, size_text = text.rpartition("!") if "!" in text else (text, "", "")
        size = None
        if bang:
            size_match = _SIZE.match(size_text)
            if not size_match or len(size_match.group(1)) > MAX_SIZE_DIGITS:
                raise DmarcSyntaxError(
                    MESSAGES["uri_size"].format(tag=tag, uri=quoted(text)), tag=tag
                )
            size = int(size_match.group(1)) * _UNITS[size_match.group(2).lower()]
        if not _SCHEME.match(uri):
            raise DmarcSyntaxError(
                MESSAGES["uri_scheme"].format(tag=tag, uri=quoted(text)), tag=tag
            )
        if uri[:7].lower() == "mailto:" and not _MAILTO.match(uri.partition("?")[0]):
            raise DmarcSyntaxError(
                MESSAGES["uri_mailto"].format(tag=tag, uri=quoted(text)), tag=tag
            )
        uris.append(ReportUri(uri, size))
    return tuple(uris)


_T = TypeVar("_T")


@dataclass(frozen=True)
class _Tag(Generic[_T]):
    """An optional tag: its default (§6.3), its reader, the default as written."""

    default: _T
    parse: Callable[[str, str], _T]
    shown: str


_ALIGNMENT = _Tag(AlignmentMode.RELAXED, _alignment, "r")
_PERCENT = _Tag(100, _percent, "100")
_URIS: _Tag[tuple[ReportUri, ...]] = _Tag((), _uris, "")
_FAILURE_OPTIONS: _Tag[tuple[str, ...]] = _Tag(("0",), _failure_options, "0")
_FORMATS: _Tag[tuple[str, ...]] = _Tag(("afrf",), _formats, "afrf")
_INTERVAL = _Tag(86400, _interval, "86400")

#: The tags besides ``v``, ``p`` and ``sp``: adkim, aspf, pct, rua, ruf, fo, rf, ri (§6.3).
_OPTIONAL = ("adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri")
