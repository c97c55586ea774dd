"""MTA-STS (RFC 8461): a domain publishes which MX hosts receive its mail and that they speak TLS.

Between mail servers, STARTTLS is opportunistic: a sending MTA that finds no STARTTLS offer, or a
certificate it cannot check, delivers in plaintext or over unauthenticated TLS. An attacker on the
path can strip the offer, and one who forges the MX answer in DNS can receive the mail on a host
of their own, with a perfectly valid certificate for *their* name. MTA-STS closes both gaps with
two things the receiving domain (the Policy Domain) publishes:

- a TXT record at ``_mta-sts.<domain>``, such as ``v=STSv1; id=20240601T000000;`` (§3.1): "a
  policy exists, and this is its version";
- the policy itself at ``https://mta-sts.<domain>/.well-known/mta-sts.txt`` (§3.2, §3.3), fetched
  over HTTPS and so authenticated by the Web PKI rather than by DNS::

      version: STSv1
      mode: enforce
      mx: mx1.example.net
      mx: *.backup.example.net
      max_age: 604800

A sender that honours the policy delivers only to an MX whose name matches an ``mx`` line (§4.1)
and that offers STARTTLS with a certificate valid for that name (§4.2); in ``enforce`` mode it
delivers nowhere else, in ``testing`` mode it delivers as before and reports the failure (TLSRPT,
RFC 8460), and ``none`` withdraws the policy (§5). It keeps the policy for ``max_age`` seconds, so
an attacker who blocks the lookup later meets the cached copy (§5.1, §10.2).

What is built, as pure functions with no network (the outside world is passed in):

- this module: the TXT record (:func:`parse_record`, §3.1), the policy file (:func:`parse_policy`,
  §3.2, bounded as §3.3 suggests) and MX matching (:func:`mx_matches`, :meth:`Policy.allows`,
  §4.1);
- :mod:`~mailsec.transport.mtasts_cache`: the record found in a DNS answer, the policy cache and
  its refresh (§3.3, §5.1);
- :mod:`~mailsec.transport.mtasts_delivery`: the sending MTA's decision per MX and for the
  message (§4, §5), and :func:`~mailsec.transport.mtasts_delivery.evaluate`, the recipe.

What is not built: the HTTPS fetch itself (its certificate check for ``mta-sts.<domain>``, the
200 status, no redirects, ``text/plain``; §3.3) and the TLS handshake with each MX (the RFC 6125
checks of §4.2). Their outcomes are inputs: a fetched :class:`Policy` or a failure, and per MX
"valid certificate", "expired", "wrong name", "untrusted issuer" or "no STARTTLS offered". TLSRPT
reports (RFC 8460) are named in results, not written.

The alternative is DANE for SMTP (RFC 7672): TLSA records in a DNSSEC-signed zone pin the MX's
certificate or key, with no web server and no trust on first use, but it needs DNSSEC on the
receiving side and a validating resolver on the sending side. A sender that does both must not let
MTA-STS override a failing DANE check (RFC 8461 §2). DANE is not implemented here.

Where the RFC leaves a choice, this module:

- skips empty lines in a policy (the ABNF has none; deployed policies often end with one, and
  widely used senders skip them);
- accepts spaces or tabs at the very end of the TXT record;
- keeps the first of a repeated field (other than ``mx``) and ignores the rest, as §3.2 says, and
  says so in :attr:`Policy.notes`;
- refuses a ``max_age`` above 31,557,600 seconds instead of cutting it down, and an ``mx`` value
  with a final dot instead of removing it (validate, do not quietly fix); MX host names from DNS,
  which are absolute names, may end with a dot.

The limits on hostile input are constants below with their reasons; the resource bounds
(:data:`MAX_POLICY_SIZE`, :data:`MAX_POLICY_LINES`, :data:`MAX_MX_PATTERNS`,
:data:`MAX_RECORD_SIZE`) are the kind :mod:`mailsec.limits` collects.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mailsec.errors import InputError, one_line, quoted
from mailsec.i18n import texts
from mailsec.limits import MAX_STS_MX_PATTERNS as MAX_MX_PATTERNS
from mailsec.limits import MAX_STS_POLICY as MAX_POLICY_SIZE
from mailsec.limits import MAX_STS_POLICY_LINES as MAX_POLICY_LINES
from mailsec.limits import MAX_STS_RECORD as MAX_RECORD_SIZE

__all__ = [
    "MAX_AGE_LIMIT",
    "MAX_MX_PATTERNS",
    "MAX_POLICY_LINES",
    "MAX_POLICY_SIZE",
    "MAX_RECORD_SIZE",
    "Mode",
    "Policy",
    "StsRecord",
    "StsSyntaxError",
    "check_host_name",
    "is_sts_record",
    "mx_matches",
    "parse_policy",
    "parse_record",
    "policy_url",
]

# -- limits ---------------------------------------------------------------------------------------


#: RFC 8461 §3.2: ``max_age`` is at most 31,557,600 seconds (a year). A rule of the standard,
#: not a resource bound.
MAX_AGE_LIMIT = 31_557_600

#: RFC 8461 §3.1: ``id`` is 1 to 32 letters and digits.
_ID = re.compile(r"[A-Za-z0-9]{1,32}\Z")
#: §3.1 ``sts-ext-name`` and §3.2 ``sts-policy-ext-name``: a letter or digit, then up to 31
#: letters, digits, ``_``, ``-`` or ``.``.
_FIELD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}\Z")
#: §3.1 ``sts-ext-value``: printable US-ASCII except ``=``, ``;`` and space.
_RECORD_VALUE = re.compile(r"[\x21-\x3a\x3c\x3e-\x7e]+\Z")
#: §3.1: a record "begins with" ``v=STSv1`` when a semicolon (or nothing) follows it.
_RECORD_START = re.compile(r"v=STSv1[ \t]*(?:;|\Z)")
#: RFC 5321 ``sub-domain``: letters, digits and hyphens, not starting or ending with a hyphen.
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
_MAX_AGE = re.compile(r"[0-9]{1,10}\Z")


class StsSyntaxError(InputError):
    """An MTA-STS TXT record or policy does not follow RFC 8461 §3.1-§3.2."""

    def __init__(self, message: str | None = None, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        """The policy line at fault (counted from 1), or None for the text as a whole."""


class Mode(str, enum.Enum):
    """What a sender does when an MX fails the policy (RFC 8461 §5)."""

    ENFORCE = "enforce"
    """Deliver only to an MX that matches the policy and has a valid certificate."""
    TESTING = "testing"
    """Deliver as before, and report the failure (TLSRPT, RFC 8460)."""
    NONE = "none"
    """Treat the domain as having no policy: how a domain withdraws MTA-STS (§8.3)."""

    def __str__(self) -> str:
        return self.value

    @property
    def meaning(self) -> str:
        """What the mode asks of the sender, in one sentence."""
        return MODE_MEANINGS[self.value]


MODE_MEANINGS: Mapping[str, str] = texts(
    {
        "enforce": "Deliver only to an MX named in the policy that offers STARTTLS with a valid "
        "certificate for its name; if there is none, do not deliver.",
        "testing": "Check the MXs, report failures (TLSRPT), and deliver as if there were no "
        "policy.",
        "none": "Treat the domain as if it had no MTA-STS policy.",
    }
)

TEXT = texts(
    {
        # Why a name is not a host name: the end of "{what} {name} {problem}."
        "empty": "is empty",
        "not_ascii": "has characters outside ASCII: write an internationalized name in its "
        "A-label form (xn--…), as RFC 8461 §3.2 requires",
        "final_dot": "ends with a dot: write the name without the final dot",
        "star_wildcard": "has a * that is not the whole leftmost label: a wildcard is written "
        "*.example.net and stands for exactly one label (RFC 8461 §4.1)",
        "star_host": "has a *: an MX host name has no wildcard",
        "too_long_name": "is {length} characters long; a domain name has at most 253",
        "empty_label": "has an empty label (two dots in a row, or a dot at the start)",
        "long_label": "has a label of {length} characters; a label has at most 63",
        "bad_label": "has the label {label}: a label is letters, digits and hyphens, and does not "
        "start or end with a hyphen",
        "what_mx": "The MX host name",
        "not_text": "{what} must be text, not {kind}.",
        "bad_name": "{what} {name} {problem}.",
        # The TXT record.
        "record_long": "The TXT record is {length:,} characters long; an MTA-STS record is under "
        "100, and records over {limit:,} are not read.",
        "record_char": "The TXT record {record} has the character {char}: an MTA-STS record is "
        "printable US-ASCII (RFC 8461 §3.1).",
        "record_start": "The TXT record {record} does not begin with v=STSv1 and a semicolon: it "
        "is not an MTA-STS record (RFC 8461 §3.1; v= is case-sensitive and comes first).",
        "record_empty_field": "The TXT record {record} has an empty field between two semicolons.",
        "record_no_value": "The TXT record's field {field} has no value.",
        "record_bad_field": "The TXT record has the field {field}, which is not name=value (a "
        "name of letters, digits, _ - .; a value without spaces, = or ;).",
        "record_again": "The field {name}= appears again; only the first counts (§3.2).",
        "record_unknown": "The unknown field {name}= was ignored (§3.2).",
        "record_no_id": "The TXT record {record} has no id= field; the id is required (RFC 8461 "
        "§3.1).",
        "record_bad_id": "The id {id} is not 1 to 32 letters and digits (RFC 8461 §3.1).",
        # The policy.
        "too_big": "The policy is larger than {limit:,} bytes, the most a sender reads (RFC 8461 "
        "§3.3 suggests 64 kilobytes); a real policy is a few hundred bytes.",
        "not_utf8": "Line {line} of the policy has the byte {byte}, which is not UTF-8; a policy "
        "is UTF-8 text.",
        "control": "Line {number} of the policy ({line}) has the control character {char}; lines "
        "end with LF or CRLF and hold printable text.",
        "no_colon": "Line {number} of the policy ({line}) has no colon: each line is "
        "'name: value', such as 'mode: enforce'.",
        "space_name": "Line {number} of the policy ({line}) does not start with a field name: no "
        "space before the name or before the colon.",
        "bad_name_field": "Line {number} of the policy ({line}) does not start with a field "
        "name: a name is 1 to 32 letters, digits, _ - . and starts with a letter or digit.",
        "bad_version": "the version is {value}; the only version is STSv1",
        "bad_mode": "the mode is {value}; it is enforce, testing or none",
        "bad_mode_case": "the mode is {value}; it is enforce, testing or none (written in lower "
        "case)",
        "bad_max_age": "max_age is {value}; it is a whole number of seconds from 0 to {limit:,} "
        "(a year), for example 604800 for a week",
        "bad_mx": "the mx pattern {value} {problem}",
        "many_lines": "The policy has {count:,} lines; a policy has a handful, and more than "
        "{limit:,} are not read.",
        "unknown_field": "Line {number}: the unknown field {name} was ignored.",
        "unknown_case": "Line {number}: the unknown field {name} was ignored (field names are "
        "case-sensitive: did you mean {near}?).",
        "again": "Line {number}: {name} appears again; only the first counts (§3.2).",
        "bad_line": "Line {number} of the policy: {problem}.",
        "many_mx": "Line {number} of the policy is mx line number {count}; more than {limit} are "
        "not read (a policy lists a few hosts or a wildcard).",
        "missing": "The policy has no {name} line; version, mode and max_age are required, for "
        "example 'version: STSv1', 'mode: enforce', 'max_age: 604800'.",
        "missing_case": "The policy has no {name} line; version, mode and max_age are required, "
        "for example 'version: STSv1', 'mode: enforce', 'max_age: 604800' (there is a line "
        "{near}: field names are lower case).",
        "no_mx": "The policy's mode is {mode} but it has no mx line: list the MX hosts that may "
        "receive mail, such as 'mx: mx1.example.net' (only mode none may leave them out).",
    }
)
"""The reader's errors and notes (named placeholders, for translation)."""


def policy_url(domain: str) -> str:
    """Where a domain's policy is fetched (§3.2): ``https://mta-sts.<domain>/.well-known/…``."""
    return f"https://mta-sts.{domain}/.well-known/mta-sts.txt"


# -- host names and MX patterns (§3.2, §4.1) ----------------------------------------------------


def _name_problem(name: str, *, wildcard: bool, final_dot: bool) -> str | None:
    """Why ``name`` is not an RFC 5321 domain (with ``*.`` in front when ``wildcard``), or None."""
    if not name:
        return TEXT["empty"]
    if not name.isascii():
        return TEXT["not_ascii"]
    if name.endswith("."):
        if not final_dot:
            return TEXT["final_dot"]
        name = name[:-1]
    if wildcard and name.startswith("*."):
        name = name[2:]
    if "*" in name:
        return TEXT["star_wildcard" if wildcard else "star_host"]
    if len(name) > 253:
        return TEXT["too_long_name"].format(length=len(name))
    for label in name.split("."):
        if not label:
            return TEXT["empty_label"]
        if len(label) > 63:
            return TEXT["long_label"].format(length=len(label))
        if not _LABEL.match(label):
            return TEXT["bad_label"].format(label=repr(label))
    return None


def check_host_name(name: str, *, what: str | None = None) -> str:
    """``name`` if it is a host name (an MX from DNS may end with a dot), else an InputError
    whose sentence starts with ``what`` (by default "The MX host name")."""
    what = TEXT["what_mx"] if what is None else what
    if not isinstance(name, str):
        raise InputError(TEXT["not_text"].format(what=what, kind=type(name).__name__))
    problem = _name_problem(name, wildcard=False, final_dot=True)
    if problem:
        raise InputError(
            TEXT["bad_name"].format(what=what, name=quoted(one_line(name)), problem=problem)
        )
    return name


def _fold(name: str) -> bytes:
    """``name`` for comparison: ASCII letters in lower case (RFC 6125 §6.4.1), no final dot."""
    folded = name.encode("utf-8", "surrogatepass").lower()
    return folded[:-1] if folded.endswith(b".") else folded


def mx_matches(pattern: str, host: str) -> bool:
    """Whether the policy's ``mx`` pattern matches the MX host name ``host`` (§4.1).

    Case does not matter and a final dot is ignored. ``*.example.net`` matches a name with exactly
    one more label in front (``mx.example.net``), not ``example.net`` and not
    ``a.b.example.net``: the wildcard is the whole leftmost label and nothing else.
    """
    want, name = _fold(pattern), _fold(host)
    if not want.startswith(b"*."):
        return bool(want) and b"*" not in want and want == name
    suffix = want[1:]  # ".example.net"
    head = name[: -len(suffix)] if name.endswith(suffix) else b""
    return bool(head) and b"." not in head and b"*" not in head


# -- the TXT record (§3.1) ------------------------------------------------------------------------


@dataclass(frozen=True)
class StsRecord:
    """The ``_mta-sts`` TXT record: the policy's version ``id`` and any other fields."""

    id: str
    """Changes whenever the policy changes; no order between ids is implied (§3.1)."""
    extensions: tuple[tuple[str, str], ...] = ()
    """Fields other than ``v`` and ``id``, in order: unknown, so ignored (§3.2)."""
    notes: tuple[str, ...] = field(default=(), compare=False)
    """Fields that were ignored, in words."""
    text: str = field(default="", repr=False, compare=False)

    @classmethod
    def from_text(cls, text: str) -> StsRecord:
        """The record in ``text`` (see :func:`parse_record`)."""
        return parse_record(text)

    def to_text(self) -> str:
        """The record as published: ``v=STSv1; id=…;`` and any other fields."""
        fields = [f"id={self.id}", *(f"{k}={v}" for k, v in self.extensions)]
        return "v=STSv1; " + "; ".join(fields) + ";"


def is_sts_record(text: str) -> bool:
    """Whether a TXT record begins with ``v=STSv1`` and a semicolon (or ends there): the records
    a sender keeps; the others at ``_mta-sts`` are set aside (§3.1)."""
    return _RECORD_START.match(text) is not None


def parse_record(text: str) -> StsRecord:
    """Read an ``_mta-sts`` TXT record (its strings already joined, §3.1).

    Raises :class:`StsSyntaxError`, an InputError, with a sentence that names the problem. A
    sender that meets one treats the domain as having no available policy (§3.1); a cached
    policy still applies (:mod:`~mailsec.transport.mtasts_cache`).
    """
    if len(text) > MAX_RECORD_SIZE:
        raise StsSyntaxError(TEXT["record_long"].format(length=len(text), limit=MAX_RECORD_SIZE))
    bad = next((c for c in text if not (" " <= c <= "~" or c == "\t")), None)
    if bad is not None:
        raise StsSyntaxError(
            TEXT["record_char"].format(record=quoted(one_line(text)), char=repr(bad))
        )
    if not is_sts_record(text):
        raise StsSyntaxError(TEXT["record_start"].format(record=quoted(text)))
    parts = text[len("v=STSv1") :].split(";")[1:]
    fields: dict[str, str] = {}
    extensions: list[tuple[str, str]] = []
    notes: list[str] = []
    for index, part in enumerate(parts):
        item = part.strip(" \t")
        if not item:
            if index == len(parts) - 1:
                break  # a final semicolon (and spaces after it)
            raise StsSyntaxError(TEXT["record_empty_field"].format(record=quoted(text)))
        name, sep, value = item.partition("=")
        if sep and not value:
            raise StsSyntaxError(TEXT["record_no_value"].format(field=quoted(item)))
        if not sep or not _FIELD_NAME.match(name) or not _RECORD_VALUE.match(value):
            raise StsSyntaxError(TEXT["record_bad_field"].format(field=quoted(item)))
        if name in fields or name == "v":
            notes.append(TEXT["record_again"].format(name=name))
            continue
        fields[name] = value
        if name != "id":
            extensions.append((name, value))
            notes.append(TEXT["record_unknown"].format(name=name))
    if "id" not in fields:
        raise StsSyntaxError(TEXT["record_no_id"].format(record=quoted(text)))
    if not _ID.match(fields["id"]):
        raise StsSyntaxError(TEXT["record_bad_id"].format(id=quoted(fields["id"])))
    return StsRecord(fields["id"], tuple(extensions), tuple(notes), text)


# -- the policy (§3.2) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """An MTA-STS policy as read from its text."""

    mode: Mode
    mx: tuple[str, ...]
    """The ``mx`` patterns as written, in order: host names, or ``*.`` and a domain."""
    max_age: int
    """Seconds a sender may keep the policy after fetching it (0 to 31,557,600)."""
    version: str = "STSv1"
    extensions: tuple[tuple[str, str], ...] = ()
    """Fields this version does not know, in order; a sender ignores them (§3.2)."""
    notes: tuple[str, ...] = field(default=(), compare=False)
    """What was ignored while reading (unknown or repeated fields), in words; two policies that
    differ only in how they were written compare equal."""
    text: str = field(default="", repr=False, compare=False)

    @classmethod
    def from_text(cls, text: str | bytes) -> Policy:
        """The policy in ``text`` (see :func:`parse_policy`)."""
        return parse_policy(text)

    def to_text(self, *, newline: str = "\r\n") -> str:
        """The policy file: one ``key: value`` per line (§3.2 separates them with CRLF)."""
        lines = [f"version: {self.version}", f"mode: {self.mode}"]
        lines += [f"mx: {pattern}" for pattern in self.mx]
        lines.append(f"max_age: {self.max_age}")
        lines += [f"{k}: {v}" for k, v in self.extensions]
        return newline.join(lines) + newline

    def matching_pattern(self, host: str) -> str | None:
        """The first ``mx`` pattern that matches ``host`` (§4.1), or None."""
        return next((p for p in self.mx if mx_matches(p, host)), None)

    def allows(self, host: str) -> bool:
        """Whether ``host`` matches one of the policy's ``mx`` patterns (§4.1)."""
        return self.matching_pattern(host) is not None


_KNOWN = ("version", "mode", "max_age", "mx")


def _policy_text(text: str | bytes) -> str:
    """``text`` as a string within :data:`MAX_POLICY_SIZE` bytes of UTF-8, or an error."""
    too_big = TEXT["too_big"].format(limit=MAX_POLICY_SIZE)
    if len(text) > MAX_POLICY_SIZE:
        raise StsSyntaxError(too_big)
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = text[: exc.start].count(b"\n") + 1
            raise StsSyntaxError(
                TEXT["not_utf8"].format(line=line, byte=f"0x{text[exc.start]:02x}"), line=line
            ) from None
    if len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_SIZE:
        raise StsSyntaxError(too_big)
    return text


def _split_line(number: int, line: str) -> tuple[str, str]:
    """One line's name and value, or an error that names the line."""
    bad = next((c for c in line if not (c.isprintable() or c == "\t")), None)
    if bad is not None:
        raise StsSyntaxError(
            TEXT["control"].format(number=number, line=quoted(one_line(line)), char=repr(bad)),
            line=number,
        )
    name, sep, value = line.partition(":")
    if not sep:
        raise StsSyntaxError(TEXT["no_colon"].format(number=number, line=quoted(line)), line=number)
    if not _FIELD_NAME.match(name):
        key = "space_name" if name != name.strip(" \t") else "bad_name_field"
        raise StsSyntaxError(TEXT[key].format(number=number, line=quoted(line)), line=number)
    return name, value.strip(" \t")


def _value_problem(name: str, value: str) -> str | None:
    """Why ``value`` is not allowed for the known field ``name``, or None."""
    if name == "version" and value != "STSv1":
        return TEXT["bad_version"].format(value=quoted(value))
    if name == "mode" and value not in ("enforce", "testing", "none"):
        case = value.lower() in ("enforce", "testing", "none")
        return TEXT["bad_mode_case" if case else "bad_mode"].format(value=quoted(value))
    if name == "max_age" and not (_MAX_AGE.match(value) and int(value) <= MAX_AGE_LIMIT):
        return TEXT["bad_max_age"].format(value=quoted(value), limit=MAX_AGE_LIMIT)
    if name == "mx":
        problem = _name_problem(value, wildcard=True, final_dot=False)
        if problem:
            return TEXT["bad_mx"].format(value=quoted(value), problem=problem)
    return None


def _read_lines(text: str) -> tuple[dict[str, str], list[str], list[tuple[str, str]], list[str]]:
    """The first value of each known field, the mx patterns, the unknown fields and the notes."""
    lines = text.split("\n")
    if len(lines) > MAX_POLICY_LINES:
        raise StsSyntaxError(TEXT["many_lines"].format(count=len(lines), limit=MAX_POLICY_LINES))
    first: dict[str, str] = {}
    mx: list[str] = []
    unknown: list[tuple[str, str]] = []
    notes: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line.strip(" \t"):
            continue
        name, value = _split_line(number, line)
        if name not in _KNOWN:
            unknown.append((name, value))
            near = next((k for k in _KNOWN if k == name.lower()), None)
            key = "unknown_case" if near else "unknown_field"
            notes.append(TEXT[key].format(number=number, name=repr(name), near=near))
            continue
        if name != "mx" and name in first:
            notes.append(TEXT["again"].format(number=number, name=name))
            continue
        problem = _value_problem(name, value)
        if problem:
            raise StsSyntaxError(
                TEXT["bad_line"].format(number=number, problem=problem), line=number
            )
        if name == "mx":
            mx.append(value)
            if len(mx) > MAX_MX_PATTERNS:
                raise StsSyntaxError(
                    TEXT["many_mx"].format(number=number, count=len(mx), limit=MAX_MX_PATTERNS),
                    line=number,
                )
        else:
            first[name] = value
    return first, mx, unknown, notes


def parse_policy(text: str | bytes) -> Policy:
    """Read an MTA-STS policy (§3.2): lines of ``key: value`` ending in LF or CRLF.

    ``version``, ``mode`` and ``max_age`` are required once, ``mx`` at least once unless the mode
    is ``none``; field names and the values of ``version`` and ``mode`` are case-sensitive.
    Unknown fields are ignored, and of a repeated field other than ``mx`` only the first counts.
    Raises :class:`StsSyntaxError` (an InputError) with a sentence naming the line at fault.
    """
    text = _policy_text(text)
    first, mx, unknown, notes = _read_lines(text)
    for name in ("version", "mode", "max_age"):
        if name not in first:
            near = [n for n, _ in unknown if n.lower() == name]
            key = "missing_case" if near else "missing"
            raise StsSyntaxError(TEXT[key].format(name=name, near=repr(near[0]) if near else ""))
    mode = Mode(first["mode"])
    if not mx and mode is not Mode.NONE:
        raise StsSyntaxError(TEXT["no_mx"].format(mode=mode))
    return Policy(
        mode=mode,
        mx=tuple(mx),
        max_age=int(first["max_age"]),
        version=first["version"],
        extensions=tuple(unknown),
        notes=tuple(notes),
        text=text,
    )
