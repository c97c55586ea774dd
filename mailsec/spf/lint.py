"""Lint an SPF record: syntax errors, the DNS lookup budget, and risky patterns.

:func:`lint` takes a domain (its record is fetched) or a record text. It reports:

- syntax errors with position and reason (RFC 7208 §4.6; the record would give permerror);
- how many DNS-lookup terms the record needs in the worst case, following include: and redirect=
  into the records they name, against the limit of 10 (§4.6.4);
- risky patterns: ``+all`` (anyone may send), ``ptr`` (slow, unreliable, "do not use" §5.5),
  ``?all`` and ``~all`` (weak endings), no ``all`` or ``redirect`` at the end (the default result
  is neutral), terms after ``all`` (never reached), ``redirect`` together with ``all`` (ignored,
  §6.1), ``exists``/macros that cannot be followed statically, includes that point nowhere,
  several SPF records at one name (§4.5) and records longer than one 255-octet TXT string.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from mailsec.i18n import texts
from mailsec.spf.evaluate import MAX_DNS_LOOKUPS, domain_problem
from mailsec.spf.lookup import DnsSource, DnsStatus, as_source
from mailsec.spf.macro import MacroString, to_domain_name
from mailsec.spf.record import (
    Mechanism,
    MechanismKind,
    Qualifier,
    Record,
    SpfSyntaxError,
    is_spf_record,
    parse_record,
)
from mailsec.trace import Outcome

__all__ = ["TEXT", "Finding", "LintReport", "Severity", "lint"]

TEXT = texts(
    {
        "severity": {"error": "error", "warning": "warning", "note": "note"},
        "txt_failed": "The TXT lookup of {domain} failed: {answer}",
        "missing": "{domain} does not exist",
        "missing_included": "{domain} does not exist (an include or redirect to it gives "
        "permerror)",
        "no_spf": "{domain} has no SPF record",
        "no_spf_included": "{domain} has no SPF record (an include or redirect to it gives "
        "permerror)",
        "several": "{domain} publishes {count} SPF records; exactly one is allowed (permerror)",
        "long_string": "A TXT string of {domain} is longer than 255 octets",
        "ptr": "'{term}': the ptr mechanism is slow and unreliable; RFC 7208 says it SHOULD NOT "
        "be used",
        "ptr_in": "'{term}' in the record of {domain}: the ptr mechanism is slow and unreliable; "
        "RFC 7208 says it SHOULD NOT be used",
        "plus_all": "'{term}' authorises every host on the Internet: anyone can send mail as "
        "this domain",
        "macros": "'{term}' uses macros, so its target depends on the sender and cannot be "
        "followed here",
        "invalid": "'{term}' points to an invalid domain: {problem}",
        "loop": "'{term}' loops back to {target}; evaluation would hit the lookup limit "
        "(permerror)",
        "no_end": "The record ends with neither 'all' nor 'redirect=': hosts that match nothing "
        "get neutral, which protects nothing. End with '-all' or '~all'",
        "after_all": "Mechanisms after 'all' are never reached: {terms}",
        "redirect_ignored": "'{term}' is ignored because the record has an 'all' mechanism",
        "neutral_all": "'?all' makes no statement about other hosts: forged mail gets neutral, "
        "like no policy at all",
        "softfail_all": "'~all' asks receivers only to be suspicious of other hosts; '-all' lets "
        "them reject forged mail",
        "long_record": "The record is {length} characters long; DNS answers over 512 octets may "
        "need TCP",
        "exists": "'exists' builds names from macros; check that the names it builds really "
        "exist for your senders",
        "cannot": "Cannot check {domain!r}: {problem}",
        "over": "The record needs up to {total} DNS-lookup terms (include, a, mx, ptr, exists, "
        "redirect); the limit is {limit}, so some senders get permerror",
        "close": "The record needs up to {total} of the {limit} DNS lookups allowed; one more "
        "include could break it",
    }
)
"""Lint's findings, in the current language (see :mod:`mailsec.i18n`)."""


class Severity(str, enum.Enum):
    """How serious a finding is."""

    ERROR = "error"
    """The record gives permerror (or cannot be found): it must be fixed."""
    WARNING = "warning"
    """Allowed, but risky or likely a mistake."""
    NOTE = "note"
    """Worth knowing."""

    @property
    def outcome(self) -> Outcome:
        return {"error": Outcome.FAIL, "warning": Outcome.WARN, "note": Outcome.INFO}[self.value]

    @property
    def label(self) -> str:
        """The severity as a word, in the current language."""
        return TEXT["severity"][self.value]


@dataclass(frozen=True)
class Finding:
    """One thing lint found."""

    severity: Severity
    message: str
    section: str | None = None
    position: int | None = None
    """Where in the record (0-based), for syntax errors."""
    domain: str | None = None
    """Which record it is about (the top one, or an included one)."""


@dataclass(frozen=True)
class LintReport:
    """What :func:`lint` found."""

    subject: str
    """The domain or record that was linted."""
    record: str | None
    lookups: int
    """DNS-lookup terms counted in the worst case (all includes followed)."""
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    lookup_tree: tuple[tuple[int, str, int], ...] = ()
    """(depth, domain, lookup terms in that record) for the records followed."""

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def limit(self) -> int:
        return MAX_DNS_LOOKUPS


class _Linter:
    def __init__(self, source: DnsSource | None) -> None:
        self.source = source
        self.findings: list[Finding] = []
        self.tree: list[tuple[int, str, int]] = []
        self.seen: set[str] = set()

    def add(
        self,
        severity: Severity,
        message: str,
        section: str | None = None,
        *,
        position: int | None = None,
        domain: str | None = None,
    ) -> None:
        self.findings.append(Finding(severity, message, section, position, domain))

    def fetch(self, domain: str, depth: int) -> str | None:
        assert self.source is not None
        answer = self.source.lookup(domain, "TXT", lifetime=10.0)
        if answer.status.is_failure:
            self.add(
                Severity.ERROR,
                TEXT["txt_failed"].format(domain=domain, answer=answer.describe()),
                "RFC 7208 §4.4",
                domain=domain,
            )
            return None
        texts = [b"".join(r).decode("latin-1") for r in answer.txt_records()]
        found = [t for t in texts if is_spf_record(t)]
        if not found:
            key = "missing" if answer.status is DnsStatus.NXDOMAIN else "no_spf"
            severity = Severity.ERROR if depth else Severity.WARNING
            self.add(
                severity,
                TEXT[f"{key}_included" if depth else key].format(domain=domain),
                "RFC 7208 §4.5",
                domain=domain,
            )
            return None
        if len(found) > 1:
            self.add(
                Severity.ERROR,
                TEXT["several"].format(domain=domain, count=len(found)),
                "RFC 7208 §4.5",
                domain=domain,
            )
            return None
        for raw in answer.txt_records():
            for piece in raw:
                if len(piece) > 255:
                    self.add(
                        Severity.WARNING,
                        TEXT["long_string"].format(domain=domain),
                        "RFC 7208 §3.3",
                        domain=domain,
                    )
        return found[0]

    def walk(self, domain: str | None, text: str, depth: int) -> int:
        """Lint one record; returns the lookup terms it and everything it includes need."""
        try:
            record = parse_record(text)
        except SpfSyntaxError as exc:
            self.add(
                Severity.ERROR, exc.message, "RFC 7208 §4.6", position=exc.position, domain=domain
            )
            return 0
        own = sum(1 for m in record.mechanisms if m.causes_lookup) + (1 if record.redirect else 0)
        self.tree.append((depth, domain or "(record)", own))
        total = own
        if depth == 0:
            self.check_shape(record)
        for mech in record.mechanisms:
            if mech.kind is MechanismKind.PTR:
                self.add(
                    Severity.WARNING,
                    TEXT["ptr_in"].format(term=mech.text, domain=domain)
                    if domain and depth
                    else TEXT["ptr"].format(term=mech.text),
                    "RFC 7208 §5.5",
                    domain=domain,
                )
            if mech.kind is MechanismKind.ALL and mech.qualifier is Qualifier.PASS and depth == 0:
                self.add(
                    Severity.WARNING,
                    TEXT["plus_all"].format(term=mech.text),
                    "RFC 7208 §5.1",
                    domain=domain,
                )
            if mech.kind is MechanismKind.INCLUDE:
                total += self.follow(mech.domain_spec, mech.text, domain, depth)
        if record.redirect is not None and not any(
            m.kind is MechanismKind.ALL for m in record.mechanisms
        ):
            total += self.follow(record.redirect.value, record.redirect.text, domain, depth)
        return total

    def follow(self, spec: MacroString | None, text: str, domain: str | None, depth: int) -> int:
        if spec is None:
            return 0
        if spec.has_macros or any(not isinstance(t, str) for t in spec.tokens):
            self.add(
                Severity.NOTE,
                TEXT["macros"].format(term=text),
                "RFC 7208 §7",
            )
            return 0
        target = to_domain_name(spec.source)
        if self.source is None:
            return 0
        if domain_problem(target):
            self.add(
                Severity.ERROR,
                TEXT["invalid"].format(term=text, problem=domain_problem(target)),
                "RFC 7208 §4.3",
            )
            return 0
        if target.lower() in self.seen:
            self.add(
                Severity.ERROR,
                TEXT["loop"].format(term=text, target=target),
                "RFC 7208 §4.6.4",
            )
            return 0
        if depth >= 12:
            return 0
        self.seen.add(target.lower())
        inner = self.fetch(target, depth + 1)
        if inner is None:
            return 0
        result = self.walk(target, inner, depth + 1)
        self.seen.discard(target.lower())
        return result

    def check_shape(self, record: Record) -> None:
        terms = record.terms
        mechanisms = record.mechanisms
        all_index = next(
            (
                i
                for i, t in enumerate(terms)
                if isinstance(t, Mechanism) and t.kind is MechanismKind.ALL
            ),
            None,
        )
        if all_index is None and record.redirect is None:
            self.add(
                Severity.WARNING,
                TEXT["no_end"],
                "RFC 7208 §4.7",
            )
        if all_index is not None:
            after = [t for t in terms[all_index + 1 :] if isinstance(t, Mechanism)]
            if after:
                self.add(
                    Severity.WARNING,
                    TEXT["after_all"].format(terms=", ".join(m.text for m in after)),
                    "RFC 7208 §4.6.2",
                )
            if record.redirect is not None:
                self.add(
                    Severity.WARNING,
                    TEXT["redirect_ignored"].format(term=record.redirect.text),
                    "RFC 7208 §6.1",
                )
            last = terms[all_index]
            assert isinstance(last, Mechanism)  # all_index is the position of the 'all' mechanism
            q = last.qualifier
            if q is Qualifier.NEUTRAL:
                self.add(
                    Severity.WARNING,
                    TEXT["neutral_all"],
                    "RFC 7208 §8.2",
                )
            elif q is Qualifier.SOFTFAIL:
                self.add(
                    Severity.NOTE,
                    TEXT["softfail_all"],
                    "RFC 7208 §8.5",
                )
        if len(record.text) > 450:
            self.add(
                Severity.NOTE,
                TEXT["long_record"].format(length=len(record.text)),
                "RFC 7208 §3.4",
            )
        if any(m.kind is MechanismKind.EXISTS for m in mechanisms):
            self.add(
                Severity.NOTE,
                TEXT["exists"],
                "RFC 7208 §5.7",
            )


def lint(subject: str, *, resolver: object | None = None, follow: bool = True) -> LintReport:
    """Lint a domain's SPF record, or a record text (anything starting with ``v=spf1``).

    ``resolver`` is used to fetch the domain's record and the records its includes and redirect
    name (a ``dns.resolver.Resolver``, a :class:`~mailsec.spf.zone.ZoneResolver`, or None for the
    system's DNS). With ``follow=False`` and a record text, no DNS is used at all.
    """
    text = subject.strip()
    is_record = text[:6].lower() == "v=spf1"
    linter = _Linter(as_source(resolver) if (follow or not is_record) else None)
    record_text: str | None
    if is_record:
        record_text = text
        domain = None
    else:
        domain = text.rstrip(".")
        problem = domain_problem(domain)
        if problem:
            linter.add(
                Severity.ERROR,
                TEXT["cannot"].format(domain=domain, problem=problem),
                "RFC 7208 §4.3",
            )
            return LintReport(subject, None, 0, tuple(linter.findings))
        linter.seen.add(domain.lower())
        record_text = linter.fetch(domain, 0)
        if record_text is None:
            return LintReport(subject, None, 0, tuple(linter.findings))
    total = linter.walk(domain, record_text, 0)
    if total > MAX_DNS_LOOKUPS:
        linter.add(
            Severity.ERROR,
            TEXT["over"].format(total=total, limit=MAX_DNS_LOOKUPS),
            "RFC 7208 §4.6.4",
        )
    elif total >= MAX_DNS_LOOKUPS - 2:
        linter.add(
            Severity.WARNING,
            TEXT["close"].format(total=total, limit=MAX_DNS_LOOKUPS),
            "RFC 7208 §4.6.4",
        )
    return LintReport(subject, record_text, total, tuple(linter.findings), tuple(linter.tree))
