"""Does a mechanism match the client? The mechanisms of RFC 7208 §5, one method each.

:class:`Matching` is the part of an SPF evaluation (:mod:`mailsec.spf.evaluate`) that tries one
term of a record: ``all``, ``ip4``/``ip6`` (§5.6), ``a`` (§5.3), ``mx`` (§5.4), ``ptr`` (§5.5,
with the validated names it needs), ``exists`` (§5.7) and ``include`` (§5.2, which runs a whole
check of another domain). Each method adds its steps to the trace and says match or no match;
an error that ends the check raises :class:`~mailsec.spf.limits.Stop`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailsec.i18n import texts
from mailsec.spf.limits import (
    MAX_DNS_LOOKUPS,
    MAX_MX_NAMES,
    MAX_PTR_NAMES,
    Stop,
    domain_problem,
    rfc,
)
from mailsec.spf.lookup import Address, DnsAnswer, DnsStatus, MxRecord
from mailsec.spf.record import Mechanism, MechanismKind
from mailsec.spf.result import SpfResult
from mailsec.trace import Outcome

if TYPE_CHECKING:
    from mailsec.spf.evaluate import CheckOutcome
    from mailsec.spf.macro import MacroString
    from mailsec.spf.result import TextRef

__all__ = ["Matching"]

TEXT = texts(
    {
        "no_addresses": "no addresses",
        "addresses_more": "{addresses} (+{count} more)",
        "cidr": " (comparing the first {bits} bits)",
        "trying": "Trying '{term}'",
        "trying_counted": "Trying '{term}' (lookup {count} of {limit})",
        "include_invalid": "'{term}' points to an invalid domain: {problem}",
        "cannot_exist": "No match: {problem}, so it cannot exist",
        "family": "No match: an IPv{version} client never matches {kind}:",
        "not_in": "No match: {ip} is not in {network}",
        "mx_too_many": "{target} has {count} MX records; 'mx' allows at most {limit}",
        "null_mx": "{target} has a null MX (it receives no mail)",
        "no_validated": "No match: no validated name ends in {target}",
        "validated_within": "{name} is a validated name within {target}",
        "include_none": "'{term}' points to {target}, which has no SPF record",
        "include_gave": "The included policy gave {result}, so '{term}' does not match",
        "not_among": "No match: {ip} is not among {addresses}{cidr}",
        "address_matches": "{ip} matches {address}{cidr}",
        "ptr_failed": "The PTR lookup failed, so there are no validated names (§5.5: no match)",
        "ptr_many": "{count} PTR names: only the first {limit} are checked",
        "validated": "Validated names: {names}",
        "validated_none": "Validated names: none",
    }
)
"""The steps of trying a mechanism, in the current language (see :mod:`mailsec.i18n`)."""

_MECH_SECTION = {kind._value_: f"RFC 7208 §{kind.section}" for kind in MechanismKind}
# Plain strings: faster to test than enum members in the hot path.
FAILURE_VALUES = frozenset({"timeout", "error"})


class _Addresses:
    """Addresses for a trace line, formatted only when the trace is read."""

    def __init__(self, found: list[Address]) -> None:
        self.found = found

    def __format__(self, spec: str) -> str:
        if not self.found:
            return TEXT["no_addresses"]
        shown = ", ".join(str(a) for a in self.found[:8])
        if len(self.found) > 8:
            return TEXT["addresses_more"].format(addresses=shown, count=len(self.found) - 8)
        return shown


class _Network:
    def __init__(self, mech: Mechanism) -> None:
        self.mech = mech

    def __format__(self, spec: str) -> str:
        return str(self.mech.network)


class _CidrNote:
    def __init__(self, mech: Mechanism, ip: Address) -> None:
        self.bits = mech.cidr4 if ip.version == 4 else mech.cidr6

    def __format__(self, spec: str) -> str:
        return TEXT["cidr"].format(bits=self.bits) if self.bits is not None else ""


class Matching:
    """Trying the terms of a record against the client (mixed into the evaluation)."""

    ip: Address
    lookups: int
    voids: int
    _validated: list[str] | None

    if TYPE_CHECKING:  # provided by the evaluation

        def step(
            self,
            text: TextRef,
            depth: int,
            section: str | None = None,
            outcome: Outcome = Outcome.INFO,
            **data: object,
        ) -> None: ...
        def query(self, name: str, rdtype: str, depth: int, section: str) -> DnsAnswer: ...
        def count_lookup(self, term: str, depth: int) -> None: ...
        def count_void(self, answer: DnsAnswer, depth: int) -> None: ...
        def fail_on_error(self, answer: DnsAnswer, what: str) -> None: ...
        def target(
            self, spec: MacroString | None, domain: str, depth: int, section: str
        ) -> str: ...
        def check_host(self, domain: str, depth: int) -> CheckOutcome: ...

    def matches(self, mech: Mechanism, domain: str, depth: int) -> bool:
        """Does ``mech`` of ``domain``'s record match the client? Counts its lookup first."""
        kind = mech.kind
        section = _MECH_SECTION[kind._value_]
        if mech.lookup:
            self.count_lookup(mech.text, depth)
            trying = (
                TEXT,
                "trying_counted",
                {"term": mech.text, "count": self.lookups, "limit": MAX_DNS_LOOKUPS},
            )
        else:
            trying = (TEXT, "trying", {"term": mech.text})
        self.step(
            trying,
            depth,
            section,
            kind="term",
            term=mech.text,
            lookups=self.lookups,
            voids=self.voids,
        )
        if kind is MechanismKind.ALL:
            return True
        if kind is MechanismKind.IP4 or kind is MechanismKind.IP6:
            return self._match_network(mech, depth, section)
        target = self.target(mech.domain_spec, domain, depth, section)
        if kind is not MechanismKind.PTR:
            bad = domain_problem(target, multi_label=False)
            if bad:
                if kind is MechanismKind.INCLUDE:
                    raise Stop(
                        SpfResult.PERMERROR,
                        TEXT["include_invalid"].format(term=mech.text, problem=bad),
                        section,
                    )
                self.step((TEXT, "cannot_exist", {"problem": bad}), depth + 1, rfc("4.8"))
                return False
        return _MATCHERS[kind](self, mech, target, depth, section)

    def _match_network(self, mech: Mechanism, depth: int, section: str) -> bool:
        """ip4 and ip6 (§5.6): the client's address within the network, no DNS."""
        ip, kind = self.ip, mech.kind
        width = 32 if kind is MechanismKind.IP4 else 128
        if (ip.version == 4) != (width == 32):
            self.step(
                (TEXT, "family", {"version": ip.version, "kind": kind._value_}),
                depth + 1,
                section,
            )
            return False
        prefix = mech.prefix
        assert prefix is not None  # ip4/ip6 terms always have one (/32 or /128 when not written)
        shift = width - prefix
        if (int(ip) >> shift) << shift == mech.network_int:
            return True
        self.step((TEXT, "not_in", {"ip": ip, "network": _Network(mech)}), depth + 1, section)
        return False

    def _match_a(self, mech: Mechanism, target: str, depth: int, section: str) -> bool:
        """a (§5.3): one of the target's addresses is the client's (within the CIDR length)."""
        found = self.addresses(target, depth, section, void_counts=True)
        return self._address_match(found, mech, depth, section)

    def _match_mx(self, mech: Mechanism, target: str, depth: int, section: str) -> bool:
        """mx (§5.4): one of the addresses of the target's mail exchangers is the client's."""
        answer = self.query(target, "MX", depth, section)
        self.fail_on_error(answer, "mx")
        self.count_void(answer, depth)
        exchangers = [r for r in answer.records if isinstance(r, MxRecord)]
        if len(exchangers) > MAX_MX_NAMES:
            raise Stop(
                SpfResult.PERMERROR,
                TEXT["mx_too_many"].format(
                    target=target, count=len(exchangers), limit=MAX_MX_NAMES
                ),
                rfc("4.6.4"),
            )
        found: list[Address] = []
        for mx in sorted(exchangers, key=lambda r: r.preference):
            if not mx.exchange or mx.exchange == ".":
                self.step((TEXT, "null_mx", {"target": target}), depth + 1, section)
                continue
            found.extend(self.addresses(mx.exchange, depth, section, void_counts=False))
            if any(self.in_cidr(a, mech) for a in found):
                break
        return self._address_match(found, mech, depth, section)

    def _match_ptr(self, mech: Mechanism, target: str, depth: int, section: str) -> bool:
        """ptr (§5.5): a validated name of the client is the target or within it."""
        names = self.validated_names(depth)
        lowered = target.lower()
        hit = next(
            (n for n in names if n.lower() == lowered or n.lower().endswith("." + lowered)),
            None,
        )
        if hit is None:
            self.step((TEXT, "no_validated", {"target": target}), depth + 1, section)
            return False
        self.step((TEXT, "validated_within", {"name": hit, "target": target}), depth + 1, section)
        return True

    def _match_exists(self, mech: Mechanism, target: str, depth: int, section: str) -> bool:
        """exists (§5.7): the target has an A record, whatever the client's address family."""
        answer = self.query(target, "A", depth, section)
        self.fail_on_error(answer, "exists")
        self.count_void(answer, depth)
        return answer.status is DnsStatus.ANSWER

    def _match_include(self, mech: Mechanism, target: str, depth: int, section: str) -> bool:
        """include (§5.2): the target's own check passes; its none is a permerror."""
        result = self.check_host(target, depth + 1).result
        if result is SpfResult.PASS:
            return True
        if result is SpfResult.NONE:
            raise Stop(
                SpfResult.PERMERROR,
                TEXT["include_none"].format(term=mech.text, target=target),
                rfc("5.2"),
            )
        self.step(
            (TEXT, "include_gave", {"result": result._value_, "term": mech.text}),
            depth + 1,
            rfc("5.2"),
        )
        return False

    def _address_match(
        self, found: list[Address], mech: Mechanism, depth: int, section: str
    ) -> bool:
        hit = next((a for a in found if self.in_cidr(a, mech)), None)
        if hit is None:
            self.step(
                (
                    TEXT,
                    "not_among",
                    {
                        "ip": self.ip,
                        "addresses": _Addresses(found),
                        "cidr": _CidrNote(mech, self.ip),
                    },
                ),
                depth + 1,
                section,
            )
            return False
        self.step(
            (
                TEXT,
                "address_matches",
                {"ip": self.ip, "address": hit, "cidr": _CidrNote(mech, self.ip)},
            ),
            depth + 1,
            section,
        )
        return True

    def addresses(self, name: str, depth: int, section: str, *, void_counts: bool) -> list[Address]:
        rdtype = "A" if self.ip.version == 4 else "AAAA"
        answer = self.query(name, rdtype, depth, section)
        self.fail_on_error(answer, "address")
        if void_counts:
            self.count_void(answer, depth)
        return answer.addresses()

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
        answer = self.query(reverse, "PTR", depth, rfc("5.5"))
        validated: list[str] = []
        if answer.status._value_ in FAILURE_VALUES:
            self.step(
                (TEXT, "ptr_failed", {}),
                depth + 1,
                rfc("5.5"),
            )
        else:
            if not for_macro:
                self.count_void(answer, depth)
            names = [str(r) for r in answer.records]
            if len(names) > MAX_PTR_NAMES:
                self.step(
                    (TEXT, "ptr_many", {"count": len(names), "limit": MAX_PTR_NAMES}),
                    depth + 1,
                    rfc("4.6.4"),
                    Outcome.WARN,
                )
                names = names[:MAX_PTR_NAMES]
            for name in names:
                if domain_problem(name, multi_label=False):
                    continue
                rdtype = "A" if self.ip.version == 4 else "AAAA"
                forward = self.query(name, rdtype, depth + 1, rfc("5.5"))
                if forward.status._value_ in FAILURE_VALUES:
                    continue  # §5.5: a DNS error skips this name
                if self.ip in forward.records:
                    validated.append(name)
            self.step(
                (TEXT, "validated", {"names": ", ".join(validated)})
                if validated
                else (TEXT, "validated_none", {}),
                depth + 1,
                rfc("5.5"),
            )
        self._validated = validated
        return validated

    def validated_name(self, domain: str) -> str:
        """%{p}: a validated name, preferring the domain itself, then its subdomains (§7.3)."""
        try:
            names = self.validated_names(0, for_macro=True)
        except Stop:
            return "unknown"
        lowered = domain.lower()
        for name in names:
            if name.lower() == lowered:
                return name
        for name in names:
            if name.lower().endswith("." + lowered):
                return name
        return names[0] if names else "unknown"


_MATCHERS: dict[MechanismKind, Callable[[Matching, Mechanism, str, int, str], bool]] = {
    MechanismKind.A: Matching._match_a,
    MechanismKind.MX: Matching._match_mx,
    MechanismKind.PTR: Matching._match_ptr,
    MechanismKind.EXISTS: Matching._match_exists,
    MechanismKind.INCLUDE: Matching._match_include,
}
