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
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

import dns.exception

from mailsec.spf.evaluate_text import TEXT
from mailsec.spf.limits import (
    MAX_DNS_LOOKUPS,
    MAX_EXPLANATION,
    MAX_MX_NAMES,
    MAX_PTR_NAMES,
    MAX_VOID_LOOKUPS,
    TIME_LIMIT,
    Stop,
    domain_problem,
    parse_ip,
    rfc,
    sender_problem,
)
from mailsec.spf.lookup import Address, DnsAnswer, DnsSource, DnsStatus, as_source
from mailsec.spf.macro import (
    MacroContext,
    MacroError,
    MacroString,
    expand,
    parse_macro_string,
    to_domain_name,
)
from mailsec.spf.mechanisms import FAILURE_VALUES, Matching
from mailsec.spf.record import (
    Modifier,
    Qualifier,
    Record,
    SpfSyntaxError,
    is_spf_record,
    parse_record,
)
from mailsec.spf.result import Event, SpfCheck, SpfResult, TextRef
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

_QUALIFIER_RESULT = {
    Qualifier.PASS: SpfResult.PASS,
    Qualifier.FAIL: SpfResult.FAIL,
    Qualifier.SOFTFAIL: SpfResult.SOFTFAIL,
    Qualifier.NEUTRAL: SpfResult.NEUTRAL,
}
_VOID_VALUES = frozenset({"nodata", "nxdomain"})


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


class _NoDns:
    """A DNS source for when the system's DNS cannot even be set up: every lookup fails."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        return DnsAnswer(name, rdtype, DnsStatus.ERROR, detail=self.reason)


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check_host level, and the exp= to use if it is the final fail."""

    result: SpfResult
    mechanism: str | None
    exp: tuple[Modifier, MacroContext] | None = None


class _Evaluation(Matching):
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
        self.steps: list[Event] = []
        self.lookups = 0
        self.voids = 0
        self.cache: dict[tuple[str, str], DnsAnswer] = {}
        self._validated: list[str] | None = None
        self.top_record: str | None = None

    # -- trace -----------------------------------------------------------------------------------

    def step(
        self,
        text: TextRef,
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
                raise Stop(
                    SpfResult.TEMPERROR,
                    TEXT["too_long"].format(seconds=f"{self.time_limit:g}"),
                    rfc("4.6.4"),
                )
            answer = self.source.lookup(name, rdtype, lifetime=remaining)
            self.cache[key] = answer
        self.step(
            (
                TEXT,
                "dns_cached" if cached else "dns",
                {"rdtype": rdtype, "name": name, "answer": answer},
            ),
            depth + 1,
            section,
            Outcome.WARN if answer.status._value_ in FAILURE_VALUES else Outcome.INFO,
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
            raise Stop(
                SpfResult.PERMERROR,
                TEXT["too_many"].format(term=term, number=self.lookups, limit=MAX_DNS_LOOKUPS),
                rfc("4.6.4"),
            )

    def count_void(self, answer: DnsAnswer, depth: int) -> None:
        if answer.status._value_ in _VOID_VALUES:
            self.voids += 1
            self.step(
                (
                    TEXT,
                    "void",
                    {
                        "count": self.voids,
                        "limit": MAX_VOID_LOOKUPS,
                        "name": answer.name,
                        "rdtype": answer.rdtype,
                    },
                ),
                depth + 1,
                rfc("4.6.4"),
                Outcome.WARN if self.voids > MAX_VOID_LOOKUPS else Outcome.INFO,
                kind="counter",
                lookups=self.lookups,
                voids=self.voids,
            )
            if self.voids > MAX_VOID_LOOKUPS:
                raise Stop(
                    SpfResult.PERMERROR,
                    TEXT["too_many_voids"].format(count=self.voids, limit=MAX_VOID_LOOKUPS),
                    rfc("4.6.4"),
                )

    def fail_on_error(self, answer: DnsAnswer, what: str) -> None:
        """A failed lookup ends the check; ``what`` says what was looked for: ``"mx"``,
        ``"exists"`` or ``"address"``."""
        if answer.status._value_ in FAILURE_VALUES:
            raise Stop(
                SpfResult.TEMPERROR,
                TEXT[f"failed_{what}"].format(
                    name=answer.name, rdtype=answer.rdtype, answer=answer.describe()
                ),
                rfc("2.6.6"),
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
            (TEXT, "macro", {"macro": spec.source, "name": name}),
            depth + 1,
            rfc("7.3"),
            kind="macro",
            macro=spec.source,
            value=name,
        )
        return name

    # -- addresses and names ---------------------------------------------------------------------

    # -- check_host ------------------------------------------------------------------------------

    def fetch_record(self, domain: str, depth: int) -> Record | None:
        """§4.4 record lookup and §4.5 selection; None means "none"."""
        answer = self.query(domain, "TXT", depth - 1 if depth else 0, rfc("4.4"))
        if answer.status._value_ in FAILURE_VALUES:
            raise Stop(
                SpfResult.TEMPERROR,
                TEXT["txt_failed"].format(domain=domain, answer=answer.describe()),
                rfc("4.4"),
            )
        if answer.status._value_ in _VOID_VALUES:
            self.step((TEXT, "no_txt", {"domain": domain}), depth, rfc("4.4"))
            return None
        texts = [b"".join(r).decode("latin-1") for r in answer.txt_records()]
        found = [t for t in texts if is_spf_record(t)]
        if not found:
            self.step(
                (TEXT, "no_spf", {"count": len(texts), "domain": domain}),
                depth,
                rfc("4.5"),
            )
            return None
        if len(found) > 1:
            raise Stop(
                SpfResult.PERMERROR,
                TEXT["several"].format(domain=domain, count=len(found)),
                rfc("4.5"),
            )
        text = found[0]
        try:
            record = _parse_cached(text)
        except SpfSyntaxError as exc:
            self.step(
                (TEXT, "record", {"domain": domain, "record": text}),
                depth,
                rfc("4.5"),
                kind="record",
                domain=domain,
                record=text,
            )
            raise Stop(
                SpfResult.PERMERROR,
                TEXT["syntax"].format(domain=domain, position=exc.position + 1, reason=exc.reason),
                rfc("4.6"),
            ) from None
        self.step(
            (TEXT, "record", {"domain": domain, "record": text}),
            depth,
            rfc("4.5"),
            kind="record",
            domain=domain,
            record=text,
        )
        return record

    def run(self, domain: str, sender: str) -> tuple[SpfResult, str | None, str | None, str | None]:
        """The whole check of ``domain``: result, deciding mechanism, explanation, problem."""
        self.step(
            (TEXT, "start", {"ip": self.ip, "domain": domain, "sender": sender}),
            0,
            rfc("4.1"),
            kind="start",
        )
        explanation = problem = mechanism = None
        try:
            outcome = self.check_host(domain, 0)
            result, mechanism = outcome.result, outcome.mechanism
            if result is SpfResult.FAIL and outcome.exp is not None:
                explanation = self.explanation(*outcome.exp)
            if result is SpfResult.NONE:
                problem = domain_problem(domain) or TEXT["no_record"].format(domain=domain)
        except Stop as stop:
            result, problem = stop.result, stop.reason
            self.step(
                (TEXT, "stopped", {"reason": stop.reason}),
                0,
                stop.section,
                result.outcome,
                kind="stop",
            )
        self.step(
            (
                TEXT,
                "result_by" if mechanism else "result",
                {"result": result._value_, "mechanism": mechanism},
            ),
            0,
            result.section,
            result.outcome,
            kind="result",
            result=result._value_,
            lookups=self.lookups,
            voids=self.voids,
        )
        return result, mechanism, explanation, problem

    def check_host(self, domain: str, depth: int) -> CheckOutcome:
        problem = domain_problem(domain)
        if problem:
            self.step((TEXT, "cannot", {"problem": problem}), depth, rfc("4.3"), Outcome.INFO)
            return CheckOutcome(SpfResult.NONE, None)
        record = self.fetch_record(domain, depth)
        if record is None:
            return CheckOutcome(SpfResult.NONE, None)
        if depth == 0 and self.top_record is None:
            self.top_record = record.text
        for mech in record.mechanisms:
            if self.matches(mech, domain, depth):
                result = _QUALIFIER_RESULT[mech.qualifier]
                self.step(
                    (TEXT, "matches", {"term": mech.text, "result": result._value_}),
                    depth,
                    rfc("4.6.2"),
                    result.outcome,
                    kind="match",
                    term=mech.text,
                    result=result._value_,
                    lookups=self.lookups,
                    voids=self.voids,
                )
                exp = record.explanation
                return CheckOutcome(
                    result, mech.text, (exp, self.context(domain)) if exp is not None else None
                )
        redirect = record.redirect
        if redirect is not None:
            self.count_lookup(redirect.text, depth)
            target = self.target(redirect.value, domain, depth, rfc("6.1"))
            self.step(
                (
                    TEXT,
                    "redirect",
                    {
                        "term": redirect.text,
                        "target": target,
                        "count": self.lookups,
                        "limit": MAX_DNS_LOOKUPS,
                    },
                ),
                depth,
                rfc("6.1"),
                kind="term",
                term=redirect.text,
                lookups=self.lookups,
                voids=self.voids,
            )
            inner = self.check_host(target, depth + 1)
            if inner.result is SpfResult.NONE:
                raise Stop(
                    SpfResult.PERMERROR,
                    TEXT["redirect_none"].format(term=redirect.text, target=target),
                    rfc("6.1"),
                )
            return inner
        self.step(
            (TEXT, "default", {}),
            depth,
            rfc("4.7"),
            kind="default",
            lookups=self.lookups,
            voids=self.voids,
        )
        return CheckOutcome(SpfResult.NEUTRAL, None)

    # -- explanation -----------------------------------------------------------------------------

    def explanation(self, modifier: Modifier, context: MacroContext) -> str | None:
        """§6.2: fetch and expand the exp= text; any problem means "no explanation"."""
        section = rfc("6.2")
        name = to_domain_name(expand(modifier.value, context))
        if domain_problem(name, multi_label=False):
            self.step((TEXT, "exp_invalid", {"name": name}), 0, section)
            return None
        try:
            answer = self.query(name, "TXT", 0, section)
        except Stop:
            return None
        if answer.status is not DnsStatus.ANSWER or len(answer.records) != 1:
            self.step(
                (TEXT, "exp_count", {"count": len(answer.records)}),
                0,
                section,
            )
            return None
        raw = b"".join(answer.txt_records()[0])
        parsed = _parse_explanation(raw)
        if parsed is None:
            self.step((TEXT, "exp_not_ascii", {}), 0, section)
            return None
        value = expand(parsed, context, limit=MAX_EXPLANATION + 1)
        if len(value) > MAX_EXPLANATION:
            value = value[: MAX_EXPLANATION - 1] + "…"
            self.step(
                (TEXT, "exp_cut", {"limit": MAX_EXPLANATION}),
                0,
                "RFC 5321 §4.5.3.1.5",
            )
        self.step(
            (TEXT, "explanation", {"value": value}),
            0,
            section,
            kind="explanation",
            explanation=value,
        )
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
    try:
        source = as_source(resolver)
    except dns.exception.DNSException as exc:  # no /etc/resolv.conf, no name servers at all
        source = _NoDns(TEXT["no_dns"].format(error=exc))
    envelope: _Envelope = {
        "sender": sender,
        "helo": helo,
        "domain": domain,
        "identity": identity,
        "mail_from": sender if mail_from is None else mail_from,
        "receiver": receiver,
    }
    try:
        client = parse_ip(ip)
    except (ValueError, TypeError, AttributeError):
        return _not_checked(ip, envelope, SpfResult.PERMERROR, TEXT["not_ip"].format(ip=ip), "4.1")
    bad_sender = sender_problem(sender)
    if bad_sender is not None:
        return _not_checked(_ip_text(client), envelope, SpfResult.NONE, bad_sender, "4.3")
    ev = _Evaluation(
        source, client, sender, helo, receiver=receiver, clock=clock, now=now, time_limit=time_limit
    )
    result, mechanism, explanation, problem = ev.run(domain, sender)
    return SpfCheck(
        result=result,
        explanation=explanation,
        events=tuple(ev.steps),
        client_ip=_ip_text(client),
        lookups=ev.lookups,
        void_lookups=ev.voids,
        mechanism=mechanism,
        problem=problem,
        record=ev.top_record,
        **envelope,
    )


class _Envelope(TypedDict):
    """The check's inputs that :class:`SpfCheck` reports as given."""

    sender: str
    helo: str
    domain: str
    identity: str
    mail_from: str
    receiver: str


def _not_checked(
    ip: str, envelope: _Envelope, result: SpfResult, problem: str, section: str
) -> SpfCheck:
    """An input no check can start from (a client that is no address, a sender that is no
    sender): the result with the reason, before any DNS."""
    steps = (
        Step(TEXT["cannot"].format(problem=problem), result.outcome, rfc(section)),
        Step(
            TEXT["result"].format(result=result._value_),
            result.outcome,
            result.section,
            0,
            {"kind": "result", "result": result._value_, "lookups": 0, "voids": 0},
        ),
    )
    return SpfCheck(
        result=result,
        explanation=None,
        events=steps,
        client_ip=ip,
        problem=problem,
        **envelope,
    )
