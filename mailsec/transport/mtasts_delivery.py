"""The sending MTA's decision under MTA-STS: which MX gets the message, and how (RFC 8461 §4, §5).

For each MX host DNS lists, in order of preference, two questions decide (§4):

1. does its name match one of the policy's ``mx`` patterns (§4.1)?
2. does it offer STARTTLS with a certificate that chains to a trusted root, has not expired and
   is valid for that name (§4.2, RFC 6125)? The handshake is not made here: its outcome is an
   input, a :class:`TlsOutcome` per host.

The policy's mode then says what a failure means (§5):

- ``enforce``: the sender skips every MX that fails either question and delivers to the first
  that passes both; if none does, the message is not delivered (it stays queued, and before giving
  up the sender looks for a new policy id);
- ``testing``: the sender delivers as though there were no policy (to the first MX, with
  opportunistic TLS) and reports what failed through TLSRPT (RFC 8460);
- ``none``, or no policy at all: the first MX gets the message, over TLS if it offers STARTTLS
  but without checking the certificate (RFC 7435), or in plaintext.

:func:`decide_delivery` makes that decision; :func:`evaluate` is the one-call recipe that also
finds the record, chooses between the cache and a fetch (:mod:`~mailsec.transport.mtasts_cache`)
and returns all three parts with one trace.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mailsec.dkim.result import make_step
from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.limits import MAX_MX_HOSTS
from mailsec.spf.lookup import DnsAnswer
from mailsec.trace import Outcome, ResultEnum, Step, Trace
from mailsec.transport.mtasts import Mode, Policy, check_host_name
from mailsec.transport.mtasts_cache import (
    REFRESH_INTERVAL,
    CachedPolicy,
    Fetch,
    PolicySelection,
    PolicySource,
    RecordDiscovery,
    choose_policy,
    discover_record,
)

__all__ = [
    "MAX_MX_HOSTS",
    "Channel",
    "Delivery",
    "Evaluation",
    "MxHost",
    "MxVerdict",
    "StsResult",
    "TlsOutcome",
    "decide_delivery",
    "evaluate",
]

SECTION_VALIDATION = "RFC 8461 §4"
SECTION_MATCH = "RFC 8461 §4.1"
SECTION_TLS = "RFC 8461 §4.2"
SECTION_APPLY = "RFC 8461 §5"
SECTION_REPORT = "RFC 8460 §4.3"


class TlsOutcome(str, enum.Enum):
    """What the TLS handshake with one MX would show (RFC 8461 §4.2, RFC 6125)."""

    VALID = "valid"
    """STARTTLS offered; the certificate chains to a trusted root, is current, names this MX."""
    EXPIRED = "expired"
    """STARTTLS offered, but the certificate has expired."""
    WRONG_NAME = "wrong-name"
    """STARTTLS offered, but the certificate is for another name."""
    UNTRUSTED = "untrusted"
    """STARTTLS offered, but the certificate is self-signed or from an issuer nobody trusts."""
    NO_STARTTLS = "no-starttls"
    """The server does not offer STARTTLS (or an attacker removed the offer)."""

    def __str__(self) -> str:
        return self.value

    @property
    def ok(self) -> bool:
        """Whether the handshake passes the checks of §4.2."""
        return self is TlsOutcome.VALID

    @property
    def label(self) -> str:
        """A few words for a menu or a table cell."""
        return TLS_LABELS[self.value]

    @property
    def tlsrpt(self) -> str | None:
        """The result type a TLSRPT report gives this failure (RFC 8460 §4.3), or None."""
        return TLSRPT_TYPES.get(self.value)


TLS_LABELS: Mapping[str, str] = texts(
    {
        "valid": "valid certificate for this name",
        "expired": "certificate expired",
        "wrong-name": "certificate for another name",
        "untrusted": "certificate from an untrusted issuer",
        "no-starttls": "no STARTTLS offered",
    }
)

TLSRPT_TYPES: Mapping[str, str] = {
    "expired": "certificate-expired",
    "wrong-name": "certificate-host-mismatch",
    "untrusted": "certificate-not-trusted",
    "no-starttls": "starttls-not-supported",
}

#: RFC 8460 §4.3's general result type, for an MX whose name no ``mx`` pattern matches.
NOT_IN_POLICY = "validation-failure"


class Channel(str, enum.Enum):
    """How the message travelled to the MX that got it."""

    VERIFIED_TLS = "verified-tls"
    """Encrypted, with a certificate the sender checked for this MX name."""
    UNVERIFIED_TLS = "unverified-tls"
    """Encrypted, but the certificate was not checked: an attacker in the path could be the
    other end (opportunistic TLS, RFC 7435)."""
    PLAINTEXT = "plaintext"
    """Not encrypted: anyone on the path can read and change the message."""

    def __str__(self) -> str:
        return self.value


class StsResult(ResultEnum):
    """How delivery of one message ended under MTA-STS. Compares equal to its value."""

    DELIVERED = "delivered"
    """Delivered to an MX the policy allows, over TLS with a valid certificate."""
    REPORTED = "delivered-reported"
    """Testing mode: the check failed, the message went as if there were no policy, and the
    failure is reported."""
    DEFERRED = "deferred"
    """Enforce mode: no MX passed, so the message was not delivered (it stays queued)."""
    NO_POLICY = "no-policy"
    """No policy known: delivered as if the domain had no MTA-STS."""
    MODE_NONE = "mode-none"
    """The policy's mode is none: delivered as if the domain had no MTA-STS."""

    @classmethod
    def _tables(cls) -> tuple[Mapping[str, str], Mapping[str, Outcome], Mapping[str, str] | str]:
        return MEANINGS, _OUTCOMES, _SECTIONS


MEANINGS: Mapping[str, str] = texts(
    {
        "delivered": "Delivered to an MX the policy names, over TLS with a certificate valid for its "
        "name.",
        "delivered-reported": "The policy check failed, but in testing mode the sender delivers "
        "anyway and reports the failure (TLSRPT).",
        "deferred": "No MX passed the policy check, so in enforce mode the message was not delivered; "
        "the sender keeps it and tries again later.",
        "no-policy": "The sender knows no MTA-STS policy for the domain, so it delivers with "
        "opportunistic TLS, which an attacker can strip or redirect.",
        "mode-none": "The policy's mode is none, so the sender delivers as if there were no policy.",
    }
)

_OUTCOMES: Mapping[str, Outcome] = {
    "delivered": Outcome.OK,
    "delivered-reported": Outcome.WARN,
    "deferred": Outcome.FAIL,
    "no-policy": Outcome.WARN,
    "mode-none": Outcome.INFO,
}

_SECTIONS: Mapping[str, str] = {
    "delivered": "RFC 8461 §5",
    "delivered-reported": "RFC 8461 §5",
    "deferred": "RFC 8461 §5",
    "no-policy": "RFC 8461 §3.3",
    "mode-none": "RFC 8461 §5",
}

STEPS = texts(
    {
        "candidates": "DNS lists {count} MX host(s) for {domain}, tried in order of preference: "
        "{hosts}.",
        "no_policy": "No MTA-STS policy applies: the sender uses the first MX, {mx}, with "
        "STARTTLS if it is offered and without checking the certificate.",
        "mode_none": "The policy's mode is none: the sender treats {domain} as having no policy and "
        "uses the first MX, {mx}, as it would without MTA-STS.",
        "channel": "{mx} gets the message over {channel} (its TLS handshake shows: {handshake}).",
        "skip_name": "{mx} matches no mx pattern of the policy: in enforce mode the sender must not "
        "deliver there, and does not connect.",
        "skip_tls": "{mx} matches the pattern {pattern}, but the TLS check fails ({handshake}): in enforce mode "
        "the sender does not deliver there and tries the next MX.",
        "use": "{mx} matches the pattern {pattern} and offers STARTTLS with a certificate valid for its name: the "
        "message is delivered there.",
        "deferred": "No MX is both named by the policy and passes the TLS check: the message is not "
        "delivered. It stays in the queue; before giving up, the sender checks DNS for a new policy "
        "id.",
        "testing_pass": "{mx}, the first MX, matches the pattern {pattern} and has a valid certificate: the "
        "policy check passes.",
        "testing_fail": "{mx}, the first MX, fails the policy check ({why}); in testing mode the "
        "sender delivers anyway, as though there were no policy.",
        "report": "A TLSRPT report (RFC 8460) to {domain}'s reporting address, if it publishes one, "
        "would list: {failures}.",
        "not_matched": "no mx pattern matches its name",
        "no_hosts": "Give at least one MX host: without one there is nowhere to deliver.",
        "too_many": "{count:,} MX hosts were given; at most {limit} are considered.",
        "not_host": "Each MX host is an MxHost with a TlsOutcome, not {host}.",
        "preference": "The preference of {name} is {preference}; an MX preference is a whole number "
        "from 0 to 65535.",
    }
)
"""The trace's sentences and the errors (named placeholders, for translation)."""

CHANNEL_WORDS: Mapping[str, str] = texts(
    {
        "verified-tls": "TLS with a certificate checked for its name",
        "unverified-tls": "TLS whose certificate nobody checked",
        "plaintext": "plaintext (no encryption)",
    }
)


@dataclass(frozen=True)
class MxHost:
    """One MX host from DNS and what a TLS handshake with it would show."""

    name: str
    tls: TlsOutcome = TlsOutcome.VALID
    preference: int = 10
    """The MX record's preference: lower is tried first (RFC 5321 §5.1)."""


@dataclass(frozen=True)
class MxVerdict:
    """What the sender decided about one MX host."""

    host: MxHost
    allowed: bool | None
    """Whether a policy ``mx`` pattern matches the name; None when no policy is checked."""
    pattern: str | None
    """The pattern that matched."""
    tried: bool
    """Whether the sender connected to it."""
    used: bool
    """Whether the message was delivered to it."""
    channel: Channel | None = None
    """How the message travelled there, when it was used."""
    failure: str | None = None
    """The TLSRPT result type of its failure (RFC 8460 §4.3), when it failed the policy check."""

    @property
    def name(self) -> str:
        return self.host.name

    @property
    def tls_ok(self) -> bool:
        return self.host.tls.ok


@dataclass(frozen=True)
class Delivery:
    """The sender's decision for one message: per MX, and overall."""

    result: StsResult
    domain: str
    mode: Mode | None
    """The policy's mode, or None without a policy."""
    verdicts: tuple[MxVerdict, ...]
    """One per MX, in the order tried (by preference)."""
    trace: Trace = ()

    @property
    def delivered(self) -> bool:
        return self.result is not StsResult.DEFERRED

    @property
    def permitted(self) -> tuple[str, ...]:
        """The MX hosts the sender may deliver to: under enforce, those the policy names whose
        TLS check passes; otherwise every MX (nothing is enforced)."""
        if self.mode is not Mode.ENFORCE:
            return tuple(v.name for v in self.verdicts)
        return tuple(v.name for v in self.verdicts if v.allowed and v.tls_ok)

    @property
    def used(self) -> MxVerdict | None:
        """The MX that got the message, if any."""
        return next((v for v in self.verdicts if v.used), None)

    @property
    def failures(self) -> tuple[tuple[str, str], ...]:
        """The failures a TLSRPT report would list: (MX name, RFC 8460 result type)."""
        return tuple((v.name, v.failure) for v in self.verdicts if v.failure)

    @property
    def report(self) -> bool:
        """Whether there is a failure to report (RFC 8461 §5 testing, RFC 8460)."""
        return bool(self.failures)


def _checked_hosts(mx_hosts: Sequence[MxHost]) -> list[MxHost]:
    """The hosts in the order a sender tries them, or an InputError for a bad one."""
    if not mx_hosts:
        raise InputError(STEPS["no_hosts"])
    if len(mx_hosts) > MAX_MX_HOSTS:
        raise InputError(STEPS["too_many"].format(count=len(mx_hosts), limit=MAX_MX_HOSTS))
    for host in mx_hosts:
        if not isinstance(host, MxHost) or not isinstance(host.tls, TlsOutcome):
            raise InputError(STEPS["not_host"].format(host=repr(host)))
        check_host_name(host.name)
        if isinstance(host.preference, bool) or not (
            isinstance(host.preference, int) and 0 <= host.preference <= 65535
        ):
            raise InputError(
                STEPS["preference"].format(name=host.name, preference=repr(host.preference))
            )
    return sorted(mx_hosts, key=lambda h: h.preference)


def _opportunistic(host: MxHost) -> Channel:
    """How an MX gets mail when nobody checks the certificate (RFC 7435)."""
    return Channel.PLAINTEXT if host.tls is TlsOutcome.NO_STARTTLS else Channel.UNVERIFIED_TLS


def _first_only(
    hosts: list[MxHost], policy: Policy | None, domain: str, steps: list[Step]
) -> Delivery:
    """No policy, or mode none: the first MX gets the message, as without MTA-STS."""
    first = hosts[0]
    if policy is None:
        result, mode = StsResult.NO_POLICY, None
        steps.append(make_step(STEPS["no_policy"], Outcome.WARN, "RFC 8461 §3.3", mx=first.name))
    else:
        result, mode = StsResult.MODE_NONE, Mode.NONE
        steps.append(
            make_step(STEPS["mode_none"], section=SECTION_APPLY, domain=domain, mx=first.name)
        )
    channel = _opportunistic(first)
    steps.append(_channel_step(first, channel))
    verdicts = [MxVerdict(first, None, None, tried=True, used=True, channel=channel)]
    verdicts += [MxVerdict(h, None, None, tried=False, used=False) for h in hosts[1:]]
    return Delivery(result, domain, mode, tuple(verdicts), tuple(steps))


def _channel_step(host: MxHost, channel: Channel) -> Step:
    outcome = {
        Channel.VERIFIED_TLS: Outcome.OK,
        Channel.UNVERIFIED_TLS: Outcome.WARN,
        Channel.PLAINTEXT: Outcome.FAIL,
    }[channel]
    return make_step(
        STEPS["channel"],
        outcome,
        SECTION_TLS,
        mx=host.name,
        channel=CHANNEL_WORDS[channel.value],
        handshake=host.tls.label,
    )


def _enforce(hosts: list[MxHost], policy: Policy, domain: str, steps: list[Step]) -> Delivery:
    """Enforce mode: skip what fails, deliver to the first MX that passes (§5, §5.1 step 2)."""
    verdicts: list[MxVerdict] = []
    used = False
    for host in hosts:
        pattern = policy.matching_pattern(host.name)
        allowed = pattern is not None
        if used:
            verdicts.append(MxVerdict(host, allowed, pattern, tried=False, used=False))
        elif not allowed:
            steps.append(make_step(STEPS["skip_name"], Outcome.FAIL, SECTION_MATCH, mx=host.name))
            verdicts.append(MxVerdict(host, False, None, False, False, failure=NOT_IN_POLICY))
        elif not host.tls.ok:
            steps.append(
                make_step(
                    STEPS["skip_tls"],
                    Outcome.FAIL,
                    SECTION_TLS,
                    mx=host.name,
                    pattern=pattern,
                    handshake=host.tls.label,
                )
            )
            verdicts.append(MxVerdict(host, True, pattern, True, False, failure=host.tls.tlsrpt))
        else:
            used = True
            steps.append(
                make_step(STEPS["use"], Outcome.OK, SECTION_APPLY, mx=host.name, pattern=pattern)
            )
            verdicts.append(MxVerdict(host, True, pattern, True, True, Channel.VERIFIED_TLS))
    if not used:
        steps.append(make_step(STEPS["deferred"], Outcome.FAIL, SECTION_APPLY))
    result = StsResult.DELIVERED if used else StsResult.DEFERRED
    return Delivery(result, domain, Mode.ENFORCE, tuple(verdicts), tuple(steps))


def _testing(hosts: list[MxHost], policy: Policy, domain: str, steps: list[Step]) -> Delivery:
    """Testing mode: check the first MX, deliver there whatever the check says, report (§5)."""
    first = hosts[0]
    pattern = policy.matching_pattern(first.name)
    failure = NOT_IN_POLICY if pattern is None else first.tls.tlsrpt
    if failure is None:
        channel = Channel.VERIFIED_TLS
        steps.append(
            make_step(
                STEPS["testing_pass"],
                Outcome.OK,
                SECTION_VALIDATION,
                mx=first.name,
                pattern=pattern,
            )
        )
    else:
        channel = Channel.VERIFIED_TLS if first.tls.ok else _opportunistic(first)
        why = STEPS["not_matched"] if pattern is None else first.tls.label
        steps.append(
            make_step(STEPS["testing_fail"], Outcome.WARN, SECTION_APPLY, mx=first.name, why=why)
        )
    steps.append(_channel_step(first, channel))
    verdicts = [
        MxVerdict(first, pattern is not None, pattern, True, True, channel, failure=failure)
    ]
    for host in hosts[1:]:
        other = policy.matching_pattern(host.name)
        verdicts.append(MxVerdict(host, other is not None, other, tried=False, used=False))
    result = StsResult.DELIVERED if failure is None else StsResult.REPORTED
    return Delivery(result, domain, Mode.TESTING, tuple(verdicts), tuple(steps))


def decide_delivery(
    policy: Policy | None, mx_hosts: Sequence[MxHost], *, domain: str = "the domain"
) -> Delivery:
    """Which MX gets the message under ``policy`` (None: no policy applies), and how (§4, §5).

    ``mx_hosts`` are the MX hosts from DNS with the outcome of a TLS handshake with each; they are
    tried in order of preference. Raises InputError for a host that is not a host name.
    """
    hosts = _checked_hosts(mx_hosts)
    steps = [
        make_step(
            STEPS["candidates"],
            section="RFC 5321 §5.1",
            count=len(hosts),
            domain=domain,
            hosts=", ".join(f"{h.name} ({h.preference})" for h in hosts),
        )
    ]
    if policy is None or policy.mode is Mode.NONE:
        delivery = _first_only(hosts, policy, domain, steps)
    elif policy.mode is Mode.ENFORCE:
        delivery = _enforce(hosts, policy, domain, steps)
    else:
        delivery = _testing(hosts, policy, domain, steps)
    if delivery.report:
        failures = ", ".join(f"{name} ({kind})" for name, kind in delivery.failures)
        report = make_step(
            STEPS["report"], Outcome.INFO, SECTION_REPORT, domain=domain, failures=failures
        )
        delivery = Delivery(
            delivery.result, domain, delivery.mode, delivery.verdicts, (*delivery.trace, report)
        )
    return delivery


# -- the recipe -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """One message to one domain under MTA-STS: the record, the policy chosen, the delivery."""

    discovery: RecordDiscovery
    selection: PolicySelection
    delivery: Delivery

    @property
    def result(self) -> StsResult:
        return self.delivery.result

    @property
    def policy(self) -> Policy | None:
        return self.selection.policy

    @property
    def source(self) -> PolicySource:
        return self.selection.source

    @property
    def trace(self) -> Trace:
        return self.discovery.trace + self.selection.trace + self.delivery.trace


def evaluate(
    domain: str,
    *,
    answer: DnsAnswer,
    fetch: Fetch,
    mx_hosts: Sequence[MxHost],
    cached: CachedPolicy | None = None,
    now: float,
    refresh_interval: float | None = REFRESH_INTERVAL,
) -> Evaluation:
    """Deliver one message to ``domain`` under MTA-STS, from the DNS answer to the chosen MX.

    ``answer`` is DNS's answer for TXT at ``_mta-sts.<domain>``; ``fetch`` is the HTTPS fetch
    (see :data:`~mailsec.transport.mtasts_cache.Fetch`); ``cached`` is what the sender's cache
    holds; ``now`` is the time in seconds on the cache's clock. The selection's ``cache`` is what
    to keep for the next message.
    """
    discovery = discover_record(domain, answer)
    selection = choose_policy(
        discovery, cached=cached, fetch=fetch, now=now, refresh_interval=refresh_interval
    )
    delivery = decide_delivery(selection.policy, mx_hosts, domain=discovery.domain)
    return Evaluation(discovery, selection, delivery)
