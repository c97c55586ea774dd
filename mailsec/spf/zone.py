"""An offline DNS: answers SPF's questions from zone-file text, with no network.

The course's notebooks use this by default, so every lab runs the same way on a laptop, on Binder
and on CI with no network::

    from mailsec.spf.zone import ZoneResolver
    resolver = ZoneResolver.from_text('''
    $ORIGIN example.com.
    @      TXT "v=spf1 mx -all"
    @      MX  10 mail
    mail   A   192.0.2.10
    ''')

The text is read with dnspython's zone parser (``dns.zone.from_text``), so it is real zone-file
syntax: ``$ORIGIN``, ``$TTL``, relative and absolute names, several domains in one file. Answers
follow real DNS behaviour:

- a name with records, but none of the asked type, answers NODATA;
- a name that exists only as the parent of other names (``example.com`` when only
  ``mail.example.com`` has records) also answers NODATA, not NXDOMAIN (RFC 8020);
- any other name answers NXDOMAIN;
- CNAME chains are followed (up to 8 links); a loop answers as a server failure, as a real resolver
  would.

For tests and demonstrations, names listed in ``timeouts`` answer TIMEOUT and names in
``failures`` answer a server failure (SERVFAIL).
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Iterable

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.limits import MAX_CNAME_CHAIN, MAX_ZONE_FILE
from mailsec.spf.lookup import DnsAnswer, DnsStatus, Record, _rdata_to_record, name_text

__all__ = ["ZoneResolver", "example_resolver", "example_zone_text"]

TEXT = texts(
    {
        "line": "line {line}",
        "syntax": "The zone text could not be read: {message}. Check that line against "
        "zone-file syntax (name, optional TTL, type, data).",
        "unreadable": "The zone text could not be read: {message}.",
        "not_opened": "The zone file {path!r} could not be opened ({reason}). Check the path.",
        "too_large": "The zone file {path!r} is larger than {limit:,} bytes; the course's zones "
        "are a few kilobytes.",
        "not_utf8": "The zone file {path!r} is not UTF-8 text (line {line} has the byte {byte}); "
        "save it as UTF-8.",
    }
)
"""Why a zone cannot be read, in the current language (see :mod:`mailsec.i18n`)."""


def _key(name: str) -> str:
    return name.lower().rstrip(".")


class ZoneResolver:
    """A DNS source that answers from zone-file text (see the module docstring)."""

    def __init__(
        self,
        zone: dns.zone.Zone,
        *,
        timeouts: Iterable[str] = (),
        failures: Iterable[str] = (),
        text: str = "",
    ) -> None:
        self.zone = zone
        self.text = text
        self.timeouts = frozenset(_key(n) for n in timeouts)
        self.failures = frozenset(_key(n) for n in failures)
        self._records: dict[tuple[str, str], tuple[Record, ...]] = {}
        self._cnames: dict[str, str] = {}
        self._names: set[str] = set()
        self._parents: set[str] = set()
        self._answers: dict[tuple[str, str], DnsAnswer] = {}
        for name, node in zone.nodes.items():
            key = name_text(name).lower()
            self._names.add(key)
            for rdataset in node.rdatasets:
                rdtype = dns.rdatatype.to_text(rdataset.rdtype)
                if rdtype == "CNAME":
                    self._cnames[key] = name_text(rdataset[0].target).lower()
                elif rdtype in ("A", "AAAA", "MX", "TXT", "PTR"):
                    self._records[(key, rdtype)] = tuple(
                        _rdata_to_record(rdtype, rd) for rd in rdataset
                    )
            parent = name.parent() if name != dns.name.root else None
            while parent is not None and parent != dns.name.root:
                self._parents.add(name_text(parent).lower())
                parent = parent.parent()

    @classmethod
    def from_text(
        cls,
        text: str,
        *,
        origin: str = ".",
        timeouts: Iterable[str] = (),
        failures: Iterable[str] = (),
    ) -> ZoneResolver:
        """Build from zone-file text; relative names are relative to ``origin`` (default: root)."""
        # Zone files for teaching rarely set a TTL; SPF does not use TTLs, so give a default.
        # It goes on the first line after a comment-free "$TTL", and error line numbers are
        # shifted back so they point into the caller's text.
        has_ttl = re.search(r"^\$TTL\b", text, re.MULTILINE) is not None
        source = text if has_ttl else "$TTL 300\n" + text
        try:
            zone = dns.zone.from_text(
                source, origin=origin, relativize=False, check_origin=False, filename="zone"
            )
        except dns.exception.SyntaxError as exc:
            # dnspython reports the line after the one it read; the added $TTL line shifts it too.
            shift = 1 if has_ttl else 2
            message = re.sub(
                r"^zone:(\d+)",
                lambda m: TEXT["line"].format(line=max(1, int(m.group(1)) - shift)),
                str(exc),
            ).rstrip(".")
            raise InputError(TEXT["syntax"].format(message=message)) from None
        except dns.exception.DNSException as exc:
            raise InputError(TEXT["unreadable"].format(message=str(exc).rstrip("."))) from None
        return cls(zone, timeouts=timeouts, failures=failures, text=text)

    @classmethod
    def from_file(
        cls,
        path: str,
        *,
        origin: str = ".",
        timeouts: Iterable[str] = (),
        failures: Iterable[str] = (),
    ) -> ZoneResolver:
        """Build from a zone file on disk (UTF-8 text, at most :data:`MAX_ZONE_FILE` bytes)."""
        try:
            with open(path, "rb") as f:
                raw = f.read(MAX_ZONE_FILE + 1)
        except OSError as exc:
            raise InputError(TEXT["not_opened"].format(path=path, reason=exc.strerror)) from None
        if len(raw) > MAX_ZONE_FILE:
            raise InputError(TEXT["too_large"].format(path=path, limit=MAX_ZONE_FILE))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(
                TEXT["not_utf8"].format(path=path, line=line, byte=f"0x{raw[exc.start]:02x}")
            ) from None
        return cls.from_text(text, origin=origin, timeouts=timeouts, failures=failures)

    @property
    def names(self) -> list[str]:
        """Every owner name in the zone, sorted."""
        return sorted(self._names)

    def records(self, name: str, rdtype: str) -> tuple[Record, ...]:
        """The records of one name and type as stored (no CNAME following)."""
        return self._records.get((_key(name), rdtype.upper()), ())

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        # The zone never changes, so answers (immutable) are kept per question.
        memo = self._answers.get((name, rdtype))
        if memo is not None:
            return memo
        answer = self._answer(name, rdtype)
        if len(self._answers) < 100_000:
            self._answers[(name, rdtype)] = answer
        return answer

    def _answer(self, name: str, rdtype: str) -> DnsAnswer:
        key = _key(name)
        rdtype = rdtype.upper()
        seen = 0
        while True:
            if key in self.timeouts:
                return DnsAnswer(name, rdtype, DnsStatus.TIMEOUT, detail="no answer (test zone)")
            if key in self.failures:
                return DnsAnswer(name, rdtype, DnsStatus.ERROR, detail="SERVFAIL (test zone)")
            found = self._records.get((key, rdtype))
            if found:
                return DnsAnswer(name, rdtype, DnsStatus.ANSWER, found)
            target = self._cnames.get(key)
            if target is None:
                break
            seen += 1
            if seen > MAX_CNAME_CHAIN:
                return DnsAnswer(name, rdtype, DnsStatus.ERROR, detail="CNAME chain too long")
            key = target
        if key in self._names or key in self._parents:
            return DnsAnswer(name, rdtype, DnsStatus.NODATA)
        return DnsAnswer(name, rdtype, DnsStatus.NXDOMAIN)


def example_zone_text() -> str:
    """The course's embedded example zone (``mailsec/data/spf/example.zone``)."""
    return (
        importlib.resources.files("mailsec")
        .joinpath("data/spf/example.zone")
        .read_text(encoding="utf-8")
    )


@functools.lru_cache(maxsize=1)
def example_resolver() -> ZoneResolver:
    """The offline resolver over the course's example zone (built once, then shared)."""
    return ZoneResolver.from_text(example_zone_text())
