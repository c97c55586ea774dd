"""DNS as SPF sees it: a question, and an answer that is data.

SPF needs five record types (A, AAAA, MX, TXT, PTR) and must tell apart four outcomes of a
question (RFC 7208 §4.4, §5 and §2.6.7):

- records came back;
- the name exists but has no records of that type (NODATA: RCODE 0 with an empty answer);
- the name does not exist (NXDOMAIN: RCODE 3);
- the lookup failed (a timeout, SERVFAIL or any other error), which SPF turns into ``temperror``.

Every DNS source here answers :meth:`DnsSource.lookup` with a :class:`DnsAnswer` instead of raising,
so the evaluator can record each query and its answer in the trace. Two sources are provided:

- :class:`DnspythonSource` wraps a ``dns.resolver.Resolver`` exactly as given (its name servers, port,
  timeout and lifetime), for live DNS or a test server on 127.0.0.1;
- :class:`mailsec.spf.zone.ZoneResolver` answers from zone-file text, with no network at all.

:class:`OverlaySource` puts a few edited records on top of another source (the labs use it to let a
learner rewrite one domain's SPF record without rebuilding the zone).
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast, runtime_checkable

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from mailsec.i18n import texts

__all__ = [
    "RDTYPES",
    "Address",
    "DnsAnswer",
    "DnsSource",
    "DnsStatus",
    "DnspythonSource",
    "MxRecord",
    "OverlaySource",
    "as_source",
    "name_text",
    "system_resolver",
    "text_to_name",
]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The record types SPF asks for (RFC 7208 §4.4 TXT, §5 A/AAAA/MX/PTR).
TEXT = texts(
    {
        "more": "{shown} (+{count} more)",
        "nodata": "no {rdtype} records (the name exists: NODATA)",
        "nxdomain": "no such name (NXDOMAIN)",
        "timeout": "timed out",
        "timeout_detail": "timed out: {detail}",
        "error": "DNS error",
        "error_detail": "DNS error: {detail}",
        "no_answer_within": "no answer within {seconds} s",
        "no_answer": "no answer in time",
    }
)
"""A DNS answer in words, in the current language (see :mod:`mailsec.i18n`)."""

RDTYPES = ("A", "AAAA", "MX", "TXT", "PTR")


class DnsStatus(enum.Enum):
    """How a DNS question turned out."""

    ANSWER = "answer"
    """One or more records came back."""
    NODATA = "nodata"
    """The name exists but has no records of this type (RCODE 0, empty answer)."""
    NXDOMAIN = "nxdomain"
    """The name does not exist (RCODE 3, "Name Error")."""
    TIMEOUT = "timeout"
    """No answer in time: SPF's temperror (RFC 7208 §2.6.7)."""
    ERROR = "error"
    """SERVFAIL or another failure: SPF's temperror (RFC 7208 §2.6.7)."""

    @property
    def is_void(self) -> bool:
        """NODATA and NXDOMAIN are the "void lookups" of RFC 7208 §4.6.4."""
        return self in (DnsStatus.NODATA, DnsStatus.NXDOMAIN)

    @property
    def is_failure(self) -> bool:
        return self in (DnsStatus.TIMEOUT, DnsStatus.ERROR)


@dataclass(frozen=True)
class MxRecord:
    """One MX record: preference and the mail exchanger's name (no trailing dot)."""

    preference: int
    exchange: str

    def __str__(self) -> str:
        return f"{self.preference} {self.exchange or '.'}"


#: What ``records`` holds per type: A/AAAA addresses, MX records, TXT strings (a tuple of byte
#: strings per record, as DNS carries them) and PTR names (without the trailing dot).
Record = Address | MxRecord | tuple[bytes, ...] | str


@dataclass(frozen=True)
class DnsAnswer:
    """The answer to one question: a status and, for ANSWER, the records."""

    name: str
    rdtype: str
    status: DnsStatus
    records: tuple[Record, ...] = ()
    detail: str = ""
    """For TIMEOUT and ERROR: what went wrong, in words."""

    def addresses(self) -> list[Address]:
        """The records of an A or AAAA answer."""
        return [
            record
            for record in self.records
            if isinstance(record, (ipaddress.IPv4Address, ipaddress.IPv6Address))
        ]

    def txt_records(self) -> list[tuple[bytes, ...]]:
        """The records of a TXT answer, each the strings DNS carried it in."""
        return [record for record in self.records if isinstance(record, tuple)]

    def describe(self) -> str:
        """The answer in one line, for traces: ``A mail.example.com → 192.0.2.10``."""
        if self.status is DnsStatus.ANSWER:
            shown = ", ".join(_show(r) for r in self.records[:12])
            if len(self.records) > 12:
                return TEXT["more"].format(shown=shown, count=len(self.records) - 12)
            return shown
        if self.status is DnsStatus.NODATA:
            return TEXT["nodata"].format(rdtype=self.rdtype)
        if self.status is DnsStatus.NXDOMAIN:
            return TEXT["nxdomain"]
        if self.status is DnsStatus.TIMEOUT:
            if self.detail:
                return TEXT["timeout_detail"].format(detail=self.detail)
            return TEXT["timeout"]
        if self.detail:
            return TEXT["error_detail"].format(detail=self.detail)
        return TEXT["error"]

    def __format__(self, spec: str) -> str:
        return self.describe()


def _show(record: Record) -> str:
    if isinstance(record, tuple):
        return " ".join('"' + s.decode("latin-1") + '"' for s in record)
    return str(record)


@runtime_checkable
class DnsSource(Protocol):
    """Anything that can answer SPF's DNS questions."""

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        """Ask for ``rdtype`` records of ``name`` (an absolute name, no trailing dot needed).

        ``lifetime`` is the most time (seconds) this one question may take; sources without a
        network ignore it. Never raises for DNS outcomes.
        """
        ...


def name_text(name: dns.name.Name) -> str:
    """A DNS name as plain text: the labels joined with dots, no escapes, no final dot.

    SPF builds names by string operations (macros), so names are compared in this raw form; the
    root name is the empty string.
    """
    return ".".join(label.decode("utf-8", "replace") for label in name.labels if label)


def text_to_name(text: str) -> dns.name.Name:
    """The inverse of :func:`name_text` (raises ``dns.name`` errors for impossible names)."""
    labels = text[:-1].split(".") if text.endswith(".") else text.split(".")
    return dns.name.Name([label.encode("utf-8") for label in labels] + [b""])


def _rdata_to_record(rdtype: str, rdata: Any) -> Record:
    # ``rdata`` is dnspython's class for ``rdtype`` (dns.rdtypes.IN.A.A, ...), whose fields differ
    # by type: an answer is typed as holding the Rdata base class, so it is Any here.
    if rdtype in ("A", "AAAA"):
        return ipaddress.ip_address(rdata.address)
    if rdtype == "MX":
        return MxRecord(rdata.preference, name_text(rdata.exchange))
    if rdtype == "TXT":
        return tuple(rdata.strings)
    if rdtype == "PTR":
        return name_text(rdata.target)
    raise ValueError(f"SPF does not ask for {rdtype} records")


def system_resolver(*, timeout: float = 3.0, lifetime: float = 10.0) -> dns.resolver.Resolver:
    """A resolver that uses this machine's DNS settings (``/etc/resolv.conf``)."""
    resolver = dns.resolver.Resolver()
    resolver.timeout = timeout
    resolver.lifetime = lifetime
    return resolver


class DnspythonSource:
    """Ask a ``dns.resolver.Resolver``, used exactly as configured.

    The only thing added is a cap on each question's lifetime so that a whole SPF check stays within
    its time limit (RFC 7208 §4.6.4: at least 20 seconds, then temperror).
    """

    def __init__(self, resolver: dns.resolver.Resolver) -> None:
        self.resolver = resolver

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        try:
            qname = text_to_name(name)
        except (dns.exception.DNSException, ValueError) as exc:
            # A name DNS cannot carry (a label over 63 octets, an empty label): it cannot exist.
            return DnsAnswer(name, rdtype, DnsStatus.NXDOMAIN, detail=str(exc))
        limit = self.resolver.lifetime
        if lifetime is not None and (limit is None or lifetime < limit):
            limit = max(lifetime, 0.001)
        try:
            answer = self.resolver.resolve(
                qname, rdtype, search=False, raise_on_no_answer=False, lifetime=limit
            )
        except dns.resolver.NXDOMAIN:
            return DnsAnswer(name, rdtype, DnsStatus.NXDOMAIN)
        except dns.exception.Timeout as exc:
            waited = getattr(exc, "kwargs", {}).get("timeout")
            detail = (
                TEXT["no_answer_within"].format(seconds=f"{waited:.1f}")
                if waited
                else TEXT["no_answer"]
            )
            return DnsAnswer(name, rdtype, DnsStatus.TIMEOUT, detail=detail)
        except dns.resolver.NoNameservers as exc:
            return DnsAnswer(name, rdtype, DnsStatus.ERROR, detail=_short(exc))
        except dns.exception.DNSException as exc:
            return DnsAnswer(name, rdtype, DnsStatus.ERROR, detail=_short(exc))
        except OSError as exc:  # no network at all, refused sockets ...
            return DnsAnswer(name, rdtype, DnsStatus.ERROR, detail=str(exc))
        if answer.rrset is None or len(answer.rrset) == 0:
            return DnsAnswer(name, rdtype, DnsStatus.NODATA)
        records = tuple(_rdata_to_record(rdtype, rd) for rd in answer.rrset)
        return DnsAnswer(name, rdtype, DnsStatus.ANSWER, records)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "..."


class OverlaySource:
    """Answer some questions from a table, the rest from another source.

    ``records`` maps ``(name, rdtype)`` to the records to answer with (an empty tuple answers
    NODATA). Names are compared without case and without a trailing dot. The labs use this to put a
    learner's edited SPF record on top of the course's example zone.
    """

    def __init__(
        self, base: DnsSource, records: Mapping[tuple[str, str], tuple[Record, ...]]
    ) -> None:
        self.base = base
        self.records = {(n.lower().rstrip("."), t.upper()): v for (n, t), v in records.items()}
        self._names = {n for n, _ in self.records}

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        key = (name.lower().rstrip("."), rdtype.upper())
        if key in self.records:
            recs = self.records[key]
            status = DnsStatus.ANSWER if recs else DnsStatus.NODATA
            return DnsAnswer(name, rdtype, status, recs)
        answer = self.base.lookup(name, rdtype, lifetime=lifetime)
        if answer.status is DnsStatus.NXDOMAIN and key[0] in self._names:
            return DnsAnswer(name, rdtype, DnsStatus.NODATA)
        return answer


def as_source(resolver: object | None) -> DnsSource:
    """Turn what a caller passed as ``resolver`` into a :class:`DnsSource`.

    ``None`` means the system's DNS; a ``dns.resolver.Resolver`` is used as given; anything with a
    ``lookup`` method (the offline :class:`~mailsec.spf.zone.ZoneResolver`, an overlay) is used
    directly.
    """
    if resolver is None:
        return DnspythonSource(system_resolver())
    if isinstance(resolver, dns.resolver.Resolver):
        return DnspythonSource(resolver)
    if callable(getattr(resolver, "lookup", None)):
        # It has the one method a DnsSource has; isinstance() against the runtime-checkable
        # protocol would check the same, at a tenth of a millisecond per SPF check.
        return cast(DnsSource, resolver)
    raise TypeError(
        f"resolver must be a dns.resolver.Resolver, a mailsec ZoneResolver or None, "
        f"not {type(resolver).__name__}"
    )
