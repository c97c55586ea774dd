"""check_host(): the SPF evaluation of RFC 7208 §4, §5 and §6, with its limits and its trace.

:func:`check_host` takes the client's IP address, a domain and the sender, asks DNS through a
:class:`~mailsec.spf.lookup.DnsSource`, and returns an :class:`~mailsec.spf.result.SpfCheck` whose
trace records each step: the record found, each term tried with its RFC section, each DNS question
and answer, the lookup counters, macro expansions and why evaluation stopped.

The limits of §4.6.4 are counted while evaluating, not in advance: a record with 15 lookup terms
passes if a match comes before the 11th. At most 10 terms may cause DNS lookups (include, a, mx,
ptr, exists, redirect); at most 2 of those lookups may come back empty (void); an MX answer may
hold at most 10 names; only the first 10 PTR names are looked at; the whole check has a time limit.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

import dns.exception

from mailsec.spf.lookup import Address, DnsAnswer, DnsSource, DnsStatus, MxRecord, as_source
from mailsec.spf.macro import (
    MacroContext,
    MacroError,
    MacroString,
    expand,
    parse_macro_string,
    to_domain_name,
)
from mailsec.spf.record import (
    Mechanism,
    MechanismKind,
    Modifier,
    Qualifier,
    Record,
    SpfSyntaxError,
    is_spf_record,
    parse_record,
)
from mailsec.spf.result import SpfCheck, SpfResult
from mailsec.trace import Outcome, Step

__all__ = [
    "MAX_DNS_LOOKUPS",
    "MAX_MX_NAMES",
    "MAX_PTR_NAMES",
    "MAX_VOID_LOOKUPS",
    "TIME_LIMIT",
    "check_host",
    "domain_problem",
    "parse_ip",
]

#: RFC 7208 §4.6.4: terms that cause DNS queries are limited to 10 per check.
MAX_DNS_LOOKUPS = 10
#: RFC 7208 §4.6.4: at most 2 lookups that return no records (NODATA or NXDOMAIN).
MAX_VOID_LOOKUPS = 2
#: RFC 7208 §4.6.4: an "mx" mechanism with more than 10 MX names is a permerror.
MAX_MX_NAMES = 10
#: RFC 7208 §4.6.4: the "ptr" mechanism and %{p} look at the first 10 PTR names only.
MAX_PTR_NAMES = 10
#: RFC 7208 §4.6.4: a time limit for the whole check of "at least 20 seconds", then temperror.
TIME_LIMIT = 20.0

_QUALIFIER_RESULT = {
    Qualifier.PASS: SpfResult.PASS,
    Qualifier.FAIL: SpfResult.FAIL,
    Qualifier.SOFTFAIL: SpfResult.SOFTFAIL,
    Qualifier.NEUTRAL: SpfResult.NEUTRAL,
}
_MECH_SECTION = {kind._value_: f"RFC 7208 §{kind.section}" for kind in MechanismKind}
# Plain strings: faster to test than enum members in the hot path.
_FAILURE_VALUES = frozenset({"timeout", "error"})
_VOID_VALUES = frozenset({"nodata", "nxdomain"})


def _rfc(section: str) -> str:
    return f"RFC 7208 §{section}"


@functools.lru_cache(maxsize=2048)
def _parse_cached(text: str) -> Record:
    """Records are immutable once parsed, and the same records come back from DNS all the time."""
    return parse_record(text)


@functools.lru_cache(maxsize=4096)
def _ip_text(ip: Address) -> str:
    return str(ip)


@functools.lru_cache(maxsize=1024)
def _parse_explanation(raw: bytes) -> MacroString | None:
    """The exp= TXT text as a macro string, or None if it is not ASCII or not valid (§6.2)."""
    try:
        return parse_macro_string(raw.decode("ascii"), explanation=True, allow_space=True)
    except (UnicodeDecodeError, MacroError):
        return None


@functools.lru_cache(maxsize=4096)
def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The client address as SPF uses it: an IPv4-mapped IPv6 address is IPv4 (RFC 7208 §5)."""
    text = text.strip()
    if "%" in text:  # a scoped (link-local zone) address names no host on the Internet
        raise ValueError(f"{text!r} has a zone index")
    ip = ipaddress.ip_address(text)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@functools.lru_cache(maxsize=4096)
def domain_problem(domain: str, *, multi_label: bool = True) -> str | None:
    """Why ``domain`` cannot be checked (RFC 7208 §4.3), or None when it is fine."""
    if not domain:
        return "the domain is empty"
    if domain.startswith("["):
        return f"{domain!r} is an address literal, not a domain name"
    name = domain[:-1] if domain.endswith(".") else domain
    labels = name.split(".")
    if "" in labels:
        return f"{domain!r} has an empty label (two dots in a row, or a leading dot)"
    if max(map(len, labels)) > 63:
        return f"{domain!r} has a label longer than 63 characters"
    if len(name) > 253:
        return f"{domain!r} is longer than 253 characters"
    if multi_label and len(labels) < 2:
        return f"{domain!r} is not a fully qualified domain name (it has only one label)"
    return None


class _Addresses:
    """Addresses for a trace line, formatted only when the trace is read."""

    def __init__(self, found: list[Address]) -> None:
        self.found = found

    def __format__(self, spec: str) -> str:
        if not self.found:
            return "no addresses"
        more = f" (+{len(self.found) - 8} more)" if len(self.found) > 8 else ""
        return ", ".join(str(a) for a in self.found[:8]) + more


class _Network:
    def __init__(self, mech: Mechanism) -> None:
        self.mech = mech

    def __format__(self, spec: str) -> str:
        return str(self.mech.network)


class _CidrNote:
    def __init__(self, mech: Mechanism, ip: Address) -> None:
        self.bits = mech.cidr4 if ip.version == 4 else mech.cidr6

    def __format__(self, spec: str) -> str:
        return f" (comparing the first {self.bits} bits)" if self.bits is not None else ""


class _NoDns:
    """A DNS source for when the system's DNS cannot even be set up: every lookup fails."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        return DnsAnswer(name, rdtype, DnsStatus.ERROR, detail=self.reason)


class _Stop(Exception):
    """Evaluation ends with permerror or temperror."""

    def __init__(self, result: SpfResult, reason: str, section: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason
        self.section = section


@dataclass(frozen=True)
class _Outcome:
    """The result of one check_host level, and the exp= to use if it is the final fail."""

    result: SpfResult
    mechanism: str | None
    exp: tuple[Modifier, MacroContext] | None = None


class _Evaluation:
    def __init__(
        self,
        source: DnsSource,
        ip: Address,
        sender: str,
        helo: str,
        *,
        receiver: str,
        clock: Callable[[], float],
        now: Callable[[], float],
        time_limit: float,
    ) -> None:
        self.source = source
        self.ip = ip
        local, at, sender_domain = sender.rpartition("@")
        if not at:  # a bare domain
            sender_domain = sender
        # §4.3: a sender without a local-part is checked as postmaster@domain (and %{s} says so).
        self.local_part = local or "postmaster"
        self.sender = f"{self.local_part}@{sender_domain}"
        self.sender_domain = sender_domain
        self.helo = helo
        self.receiver = receiver
        self.clock = clock
        self.now = now
        self.deadline = clock() + time_limit
        self.time_limit = time_limit
        self.steps: list[object] = []
        self.lookups = 0
        self.voids = 0
        self.cache: dict[tuple[str, str], DnsAnswer] = {}
        self._validated: list[str] | None = None
        self.top_record: str | None = None

    # -- trace -----------------------------------------------------------------------------------

    def step(
        self,
        text: str | tuple[str, tuple[object, ...]],
        depth: int,
        section: str | None = None,
        outcome: Outcome = Outcome.INFO,
        **data: object,
    ) -> None:
        # Kept raw; SpfCheck.trace formats them only when someone reads the trace.
        self.steps.append((text, depth, section, outcome, data))

    # -- DNS -------------------------------------------------------------------------------------

    def query(self, name: str, rdtype: str, depth: int, section: str) -> DnsAnswer:
        key = (name.lower(), rdtype)
        answer = self.cache.get(key)
        cached = answer is not None
        if answer is None:
            remaining = self.deadline - self.clock()
            if remaining <= 0:
                raise _Stop(
                    SpfResult.TEMPERROR,
                    f"the check took longer than its limit of {self.time_limit:g} seconds",
                    _rfc("4.6.4"),
                )
            answer = self.source.lookup(name, rdtype, lifetime=remaining)
            self.cache[key] = answer
        self.step(
            ("DNS {} {} → {}{}", (rdtype, name, answer, " (already asked)" if cached else "")),
            depth + 1,
            section,
            Outcome.WARN if answer.status._value_ in _FAILURE_VALUES else Outcome.INFO,
            kind="dns",
            name=name,
            rdtype=rdtype,
            status=answer.status._value_,
            answer=answer,
        )
        return answer

    def count_lookup(self, term: str, depth: int) -> None:
        self.lookups += 1
        if self.lookups > MAX_DNS_LOOKUPS:
            raise _Stop(
                SpfResult.PERMERROR,
                f"'{term}' would be DNS lookup number {self.lookups}; the limit is "
                f"{MAX_DNS_LOOKUPS} per check",
                _rfc("4.6.4"),
            )

    def count_void(self, answer: DnsAnswer, depth: int) -> None:
        if answer.status._value_ in _VOID_VALUES:
            self.voids += 1
            self.step(
                f"Void lookup {self.voids} of {MAX_VOID_LOOKUPS} allowed ({answer.name} {answer.rdtype})",
                depth + 1,
                _rfc("4.6.4"),
                Outcome.WARN if self.voids > MAX_VOID_LOOKUPS else Outcome.INFO,
                kind="counter",
                lookups=self.lookups,
                voids=self.voids,
            )
            if self.voids > MAX_VOID_LOOKUPS:
                raise _Stop(
                    SpfResult.PERMERROR,
                    f"{self.voids} lookups found nothing; at most {MAX_VOID_LOOKUPS} such "
                    "void lookups are allowed",
                    _rfc("4.6.4"),
                )

    def fail_on_error(self, answer: DnsAnswer, what: str) -> None:
        if answer.status._value_ in _FAILURE_VALUES:
            raise _Stop(
                SpfResult.TEMPERROR,
                f"the DNS lookup of {answer.name} ({answer.rdtype}) for {what} failed: "
                f"{answer.describe()}",
                _rfc("2.6.6"),
            )

    # -- macros ----------------------------------------------------------------------------------

    def context(self, domain: str) -> MacroContext:
        return MacroContext(
            sender=self.sender,
            local_part=self.local_part,
            sender_domain=self.sender_domain,
            domain=domain,
            ip=self.ip,
            helo=self.helo,
            receiver=self.receiver,
            timestamp=int(self.now()),
            validated_name=lambda: self.validated_name(domain),
        )

    def target(self, spec: MacroString | None, domain: str, depth: int, section: str) -> str:
        if spec is None:
            return domain
        if not spec.has_macros and all(isinstance(t, str) for t in spec.tokens):
            return to_domain_name(spec.source)
        expanded = expand(spec, self.context(domain))
        name = to_domain_name(expanded)
        self.step(
            f"Macro {spec.source} → {name}",
            depth + 1,
            _rfc("7.3"),
            kind="macro",
            macro=spec.source,
            value=name,
        )
        return name

    # -- addresses and names ---------------------------------------------------------------------

    def addresses(self, name: str, depth: int, section: str, *, void_counts: bool) -> list[Address]:
        rdtype = "A" if self.ip.version == 4 else "AAAA"
        answer = self.query(name, rdtype, depth, section)
        self.fail_on_error(answer, "an address")
        if void_counts:
            self.count_void(answer, depth)
        return list(answer.records)  # type: ignore[arg-type]

    def in_cidr(self, address: Address, mech: Mechanism) -> bool:
        if address.version != self.ip.version:
            return False
        if self.ip.version == 4:
            bits = mech.cidr4 if mech.cidr4 is not None else 32
            width = 32
        else:
            bits = mech.cidr6 if mech.cidr6 is not None else 128
            width = 128
        shift = width - bits
        return (int(address) >> shift) == (int(self.ip) >> shift)

    def validated_names(self, depth: int, *, for_macro: bool = False) -> list[str]:
        """The validated domain names of the client IP (RFC 7208 §5.5)."""
        if self._validated is not None:
            return self._validated
        reverse = self.ip.reverse_pointer
        answer = self.query(reverse, "PTR", depth, _rfc("5.5"))
        validated: list[str] = []
        if answer.status._value_ in _FAILURE_VALUES:
            self.step(
                "The PTR lookup failed, so there are no validated names (§5.5: no match)",
                depth + 1,
                _rfc("5.5"),
            )
        else:
            if not for_macro:
                self.count_void(answer, depth)
            names = [str(r) for r in answer.records]
            if len(names) > MAX_PTR_NAMES:
                self.step(
                    f"{len(names)} PTR names: only the first {MAX_PTR_NAMES} are checked",
                    depth + 1,
                    _rfc("4.6.4"),
                    Outcome.WARN,
                )
                names = names[:MAX_PTR_NAMES]
            for name in names:
                if domain_problem(name, multi_label=False):
                    continue
                rdtype = "A" if self.ip.version == 4 else "AAAA"
                forward = self.query(name, rdtype, depth + 1, _rfc("5.5"))
                if forward.status._value_ in _FAILURE_VALUES:
                    continue  # §5.5: a DNS error skips this name
                if self.ip in forward.records:
                    validated.append(name)
            self.step(
                "Validated names: " + (", ".join(validated) if validated else "none"),
                depth + 1,
                _rfc("5.5"),
            )
        self._validated = validated
        return validated

    def validated_name(self, domain: str) -> str:
        """%{p}: a validated name, preferring the domain itself, then its subdomains (§7.3)."""
        try:
            names = self.validated_names(0, for_macro=True)
        except _Stop:
            return "unknown"
        lowered = domain.lower()
        for name in names:
            if name.lower() == lowered:
                return name
        for name in names:
            if name.lower().endswith("." + lowered):
                return name
        return names[0] if names else "unknown"

    # -- check_host ------------------------------------------------------------------------------

    def fetch_record(self, domain: str, depth: int) -> Record | None:
        """§4.4 record lookup and §4.5 selection; None means "none"."""
        answer = self.query(domain, "TXT", depth - 1 if depth else 0, _rfc("4.4"))
        if answer.status._value_ in _FAILURE_VALUES:
            raise _Stop(
                SpfResult.TEMPERROR,
                f"the TXT lookup of {domain} failed: {answer.describe()}",
                _rfc("4.4"),
            )
        if answer.status._value_ in _VOID_VALUES:
            self.step(f"{domain} publishes no TXT records, so no SPF record", depth, _rfc("4.4"))
            return None
        texts = [b"".join(r).decode("latin-1") for r in answer.records]  # type: ignore[arg-type]
        found = [t for t in texts if is_spf_record(t)]
        if not found:
            self.step(
                f"None of the {len(texts)} TXT record(s) of {domain} starts with 'v=spf1'",
                depth,
                _rfc("4.5"),
            )
            return None
        if len(found) > 1:
            raise _Stop(
                SpfResult.PERMERROR,
                f"{domain} publishes {len(found)} SPF records; there must be exactly one",
                _rfc("4.5"),
            )
        text = found[0]
        try:
            record = _parse_cached(text)
        except SpfSyntaxError as exc:
            self.step(
                f"SPF record of {domain}: {text}",
                depth,
                _rfc("4.5"),
                kind="record",
                domain=domain,
                record=text,
            )
            raise _Stop(
                SpfResult.PERMERROR,
                f"the SPF record of {domain} has a syntax error at character "
                f"{exc.position + 1}: {exc.reason}",
                _rfc("4.6"),
            ) from None
        self.step(
            f"SPF record of {domain}: {text}",
            depth,
            _rfc("4.5"),
            kind="record",
            domain=domain,
            record=text,
        )
        return record

    def check_host(self, domain: str, depth: int) -> _Outcome:
        problem = domain_problem(domain)
        if problem:
            self.step(f"Cannot check: {problem}", depth, _rfc("4.3"), Outcome.INFO)
            return _Outcome(SpfResult.NONE, None)
        record = self.fetch_record(domain, depth)
        if record is None:
            return _Outcome(SpfResult.NONE, None)
        if depth == 0 and self.top_record is None:
            self.top_record = record.text
        for mech in record.mechanisms:
            if self.matches(mech, domain, depth):
                result = _QUALIFIER_RESULT[mech.qualifier]
                self.step(
                    f"'{mech.text}' matches → {result._value_}",
                    depth,
                    _rfc("4.6.2"),
                    result.outcome,
                    kind="match",
                    term=mech.text,
                    result=result._value_,
                    lookups=self.lookups,
                    voids=self.voids,
                )
                exp = record.explanation
                return _Outcome(
                    result, mech.text, (exp, self.context(domain)) if exp is not None else None
                )
        redirect = record.redirect
        if redirect is not None:
            self.count_lookup(redirect.text, depth)
            target = self.target(redirect.value, domain, depth, _rfc("6.1"))
            self.step(
                f"No mechanism matched: following '{redirect.text}' to {target} "
                f"(lookup {self.lookups} of {MAX_DNS_LOOKUPS})",
                depth,
                _rfc("6.1"),
                kind="term",
                term=redirect.text,
                lookups=self.lookups,
                voids=self.voids,
            )
            inner = self.check_host(target, depth + 1)
            if inner.result is SpfResult.NONE:
                raise _Stop(
                    SpfResult.PERMERROR,
                    f"'{redirect.text}' points to {target}, which has no SPF record",
                    _rfc("6.1"),
                )
            return inner
        self.step(
            "No mechanism matched and there is no redirect: the default result is neutral",
            depth,
            _rfc("4.7"),
            kind="default",
            lookups=self.lookups,
            voids=self.voids,
        )
        return _Outcome(SpfResult.NEUTRAL, None)

    def matches(self, mech: Mechanism, domain: str, depth: int) -> bool:
        kind = mech.kind
        section = _MECH_SECTION[kind._value_]
        if mech.lookup:
            self.count_lookup(mech.text, depth)
            counted = f" (lookup {self.lookups} of {MAX_DNS_LOOKUPS})"
        else:
            counted = ""
        self.step(
            f"Trying '{mech.text}'{counted}",
            depth,
            section,
            kind="term",
            term=mech.text,
            lookups=self.lookups,
            voids=self.voids,
        )
        ip = self.ip
        if kind is MechanismKind.ALL:
            return True
        if kind is MechanismKind.IP4 or kind is MechanismKind.IP6:
            width = 32 if kind is MechanismKind.IP4 else 128
            if (ip.version == 4) != (width == 32):
                self.step(
                    ("No match: an IPv{} client never matches {}:", (ip.version, kind._value_)),
                    depth + 1,
                    section,
                )
                return False
            shift = width - mech.prefix  # type: ignore[operator]
            if (int(ip) >> shift) << shift == mech.network_int:
                return True
            self.step(("No match: {} is not in {}", (ip, _Network(mech))), depth + 1, section)
            return False
        target = self.target(mech.domain_spec, domain, depth, section)
        if kind is not MechanismKind.PTR:
            bad = domain_problem(target, multi_label=False)
            if bad:
                if kind is MechanismKind.INCLUDE:
                    raise _Stop(
                        SpfResult.PERMERROR,
                        f"'{mech.text}' points to an invalid domain: {bad}",
                        section,
                    )
                self.step(f"No match: {bad}, so it cannot exist", depth + 1, _rfc("4.8"))
                return False
        if kind is MechanismKind.A:
            found = self.addresses(target, depth, section, void_counts=True)
            return self._address_match(found, mech, depth, section)
        if kind is MechanismKind.MX:
            answer = self.query(target, "MX", depth, section)
            self.fail_on_error(answer, "mail exchangers")
            self.count_void(answer, depth)
            exchangers = [r for r in answer.records if isinstance(r, MxRecord)]
            if len(exchangers) > MAX_MX_NAMES:
                raise _Stop(
                    SpfResult.PERMERROR,
                    f"{target} has {len(exchangers)} MX records; 'mx' allows at most {MAX_MX_NAMES}",
                    _rfc("4.6.4"),
                )
            found: list[Address] = []
            for mx in sorted(exchangers, key=lambda r: r.preference):
                if not mx.exchange or mx.exchange == ".":
                    self.step(f"{target} has a null MX (it receives no mail)", depth + 1, section)
                    continue
                found.extend(self.addresses(mx.exchange, depth, section, void_counts=False))
                if any(self.in_cidr(a, mech) for a in found):
                    break
            return self._address_match(found, mech, depth, section)
        if kind is MechanismKind.PTR:
            names = self.validated_names(depth)
            lowered = target.lower()
            hit = next(
                (n for n in names if n.lower() == lowered or n.lower().endswith("." + lowered)),
                None,
            )
            if hit is None:
                self.step(f"No match: no validated name ends in {target}", depth + 1, section)
                return False
            self.step(f"{hit} is a validated name within {target}", depth + 1, section)
            return True
        if kind is MechanismKind.EXISTS:
            answer = self.query(target, "A", depth, section)  # §5.7: always A, even for IPv6
            self.fail_on_error(answer, "exists")
            self.count_void(answer, depth)
            return answer.status is DnsStatus.ANSWER
        # include
        inner = self.check_host(target, depth + 1)
        result = inner.result
        if result is SpfResult.PASS:
            return True
        if result is SpfResult.NONE:
            raise _Stop(
                SpfResult.PERMERROR,
                f"'{mech.text}' points to {target}, which has no SPF record",
                _rfc("5.2"),
            )
        self.step(
            f"The included policy gave {result._value_}, so '{mech.text}' does not match",
            depth + 1,
            _rfc("5.2"),
        )
        return False

    def _address_match(
        self, found: list[Address], mech: Mechanism, depth: int, section: str
    ) -> bool:
        hit = next((a for a in found if self.in_cidr(a, mech)), None)
        if hit is None:
            self.step(
                (
                    "No match: {} is not among {}{}",
                    (self.ip, _Addresses(found), _CidrNote(mech, self.ip)),
                ),
                depth + 1,
                section,
            )
            return False
        self.step(("{} matches {}{}", (self.ip, hit, _CidrNote(mech, self.ip))), depth + 1, section)
        return True

    # -- explanation -----------------------------------------------------------------------------

    def explanation(self, modifier: Modifier, context: MacroContext) -> str | None:
        """§6.2: fetch and expand the exp= text; any problem means "no explanation"."""
        section = _rfc("6.2")
        name = to_domain_name(expand(modifier.value, context))
        if domain_problem(name, multi_label=False):
            self.step(f"exp= target {name!r} is not a valid name: no explanation", 0, section)
            return None
        try:
            answer = self.query(name, "TXT", 0, section)
        except _Stop:
            return None
        if answer.status is not DnsStatus.ANSWER or len(answer.records) != 1:
            self.step(
                f"exp= lookup gave {len(answer.records)} TXT records (exactly one is needed): "
                "no explanation",
                0,
                section,
            )
            return None
        raw = b"".join(answer.records[0])  # type: ignore[arg-type]
        parsed = _parse_explanation(raw)
        if parsed is None:
            self.step("The explanation text is not valid ASCII macro text: ignored", 0, section)
            return None
        value = expand(parsed, context)
        self.step(f"Explanation: {value}", 0, section, kind="explanation", explanation=value)
        return value


def check_host(
    ip: str,
    domain: str,
    sender: str,
    *,
    helo: str = "",
    resolver: object | None = None,
    receiver: str = "unknown",
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], float] = time.time,
    time_limit: float = TIME_LIMIT,
    identity: str = "mailfrom",
    mail_from: str | None = None,
) -> SpfCheck:
    """Evaluate the SPF policy of ``domain`` for the client ``ip`` (RFC 7208 §4).

    ``sender`` is ``local-part@domain`` (a missing local-part counts as ``postmaster``, §4.3).
    ``resolver`` is a ``dns.resolver.Resolver``, an offline
    :class:`~mailsec.spf.zone.ZoneResolver`, or None for the system's DNS. ``clock`` (monotonic)
    bounds the whole check by ``time_limit`` seconds; ``now`` (wall clock) feeds the ``%{t}`` macro.
    Never raises for bad input: a malformed IP gives permerror with the reason in ``problem``.
    """
    steps_head: list[Step] = []
    try:
        source = as_source(resolver)
    except dns.exception.DNSException as exc:  # no /etc/resolv.conf, no name servers at all
        source = _NoDns(f"this machine has no usable DNS configuration ({exc})")
    try:
        client = parse_ip(ip)
    except (ValueError, TypeError, AttributeError):
        problem = f"{ip!r} is not an IPv4 or IPv6 address"
        steps_head.append(Step(f"Cannot check: {problem}", Outcome.FAIL, _rfc("4.1")))
        steps_head.append(
            Step(
                "Result: permerror",
                Outcome.FAIL,
                SpfResult.PERMERROR.section,
                0,
                {"kind": "result", "result": "permerror", "lookups": 0, "voids": 0},
            )
        )
        return SpfCheck(
            result=SpfResult.PERMERROR,
            explanation=None,
            events=tuple(steps_head),
            client_ip=ip,
            sender=sender,
            helo=helo,
            domain=domain,
            identity=identity,
            mail_from=sender if mail_from is None else mail_from,
            problem=problem,
            receiver=receiver,
        )
    ev = _Evaluation(
        source, client, sender, helo, receiver=receiver, clock=clock, now=now, time_limit=time_limit
    )
    ev.step(
        ("check_host(ip={}, domain={}, sender={})", (client, domain, sender)),
        0,
        _rfc("4.1"),
        kind="start",
    )
    explanation = None
    problem = None
    mechanism = None
    try:
        outcome = ev.check_host(domain, 0)
        result = outcome.result
        mechanism = outcome.mechanism
        if result is SpfResult.FAIL and outcome.exp is not None:
            modifier, context = outcome.exp
            explanation = ev.explanation(modifier, context)
        if result is SpfResult.NONE:
            problem = domain_problem(domain) or f"{domain} publishes no SPF record"
    except _Stop as stop:
        result = stop.result
        problem = stop.reason
        ev.step(f"Stopped: {stop.reason}", 0, stop.section, result.outcome, kind="stop")
    ev.step(
        f"Result: {result._value_}" + (f" (decided by '{mechanism}')" if mechanism else ""),
        0,
        result.section,
        result.outcome,
        kind="result",
        result=result._value_,
        lookups=ev.lookups,
        voids=ev.voids,
    )
    return SpfCheck(
        result=result,
        explanation=explanation,
        events=tuple(ev.steps),
        client_ip=_ip_text(client),
        sender=sender,
        helo=helo,
        domain=domain,
        identity=identity,
        mail_from=sender if mail_from is None else mail_from,
        lookups=ev.lookups,
        void_lookups=ev.voids,
        mechanism=mechanism,
        problem=problem,
        record=ev.top_record,
        receiver=receiver,
    )
