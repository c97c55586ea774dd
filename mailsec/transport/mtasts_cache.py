"""Which MTA-STS policy a sender applies: discovery in DNS, the cache, and refresh (RFC 8461 §3, §5.1).

Before each delivery (or at least daily) the sending MTA asks DNS for the TXT records at
``_mta-sts.<domain>`` and compares the record's ``id`` with the one its cached policy was fetched
under:

- the same ``id`` and a cached policy younger than its ``max_age``: use the cache, fetch nothing
  (§3: "the sender need only check the TXT record's version id against the cached value");
- a new ``id``, or nothing cached: fetch the policy over HTTPS and cache it (§3.3, §5.1);
- the TXT lookup fails or finds no usable record, or the HTTPS fetch fails: a cached policy that
  has not expired still applies (§3.1's note, §3.3). Without one, the sender delivers as though
  the domain had no MTA-STS (§3.3).

That last rule is the defence against an attacker who blocks DNS or HTTPS to hide the policy
(§10.2): a sender that has seen the policy once keeps it for ``max_age``. A sender that has
never seen it has nothing to keep: MTA-STS is trust on first use.

Everything here is a pure function: the DNS answer, the fetch and the clock are passed in
(``now`` in seconds, such as POSIX time). :func:`lookup_record` is the one place that asks a
resolver, through :func:`mailsec.spf.lookup.as_source`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

from mailsec.dkim.result import make_step
from mailsec.errors import InputError, one_line
from mailsec.i18n import ngettext, texts
from mailsec.spf.lookup import DnsAnswer, DnsStatus, as_source
from mailsec.trace import Outcome, Step, Trace
from mailsec.transport.mtasts import (
    Policy,
    StsRecord,
    StsSyntaxError,
    check_host_name,
    is_sts_record,
    parse_policy,
    parse_record,
    policy_url,
)

__all__ = [
    "REFRESH_INTERVAL",
    "CachedPolicy",
    "Fetch",
    "FetchFailure",
    "PolicySelection",
    "PolicySource",
    "RecordDiscovery",
    "RecordStatus",
    "choose_policy",
    "describe_cache",
    "discover_record",
    "fetch_from_text",
    "lookup_record",
    "record_name",
]

SECTION_RECORD = "RFC 8461 §3.1"
SECTION_FETCH = "RFC 8461 §3.3"
SECTION_FLOW = "RFC 8461 §5.1"
SECTION_DOWNGRADE = "RFC 8461 §10.2"

#: RFC 8461 §3.3: senders "SHOULD proactively refresh cached policies before they expire; a
#: suggested refresh frequency is once per day" (seconds).
REFRESH_INTERVAL = 86_400.0

STEPS = texts(
    {
        "query": "Asked DNS for the TXT records at {name}: {answer}.",
        "failed": "DNS gave no answer for {name} ({answer}): the record cannot be read now.",
        "absent": "{name} has no MTA-STS record: the domain publishes no policy, or no longer does.",
        "skipped": "{count} TXT record(s) at {name} do not begin with v=STSv1; and were set aside.",
        "multiple": "{name} has {count} records beginning with v=STSv1; with more than one, none "
        "is used.",
        "invalid": "The record at {name} cannot be used: {problem}",
        "found": "Found the MTA-STS record at {name}: id={id}.",
        "expired": "The cached policy (id={id}) expired {ago} ago (max_age {max_age} s): it is "
        "dropped.",
        "same_id": "The id is the one the cached policy was fetched under ({id}), and the cache "
        "is {age} old: the cached policy is used, nothing is fetched.",
        "stale": "The id is unchanged ({id}) but the cached copy is {age} old: it is fetched again, "
        "as senders should do about once a day.",
        "new_id": "The id changed from {old} to {new}: the policy changed, so it is fetched.",
        "no_cache": "Nothing is cached for {domain}: the policy is fetched from {url}.",
        "fetched": "Fetched the policy (mode {mode}, {count} mx pattern(s), max_age {max_age} s) "
        "and cached it under id={id}.",
        "fetch_failed": "Fetching {url} failed: {reason}",
        "cache_after_fetch": "The cached policy (id={id}, mode {mode}) still applies: it has not "
        "expired, and a failed fetch does not remove it.",
        "cache_without_record": "No usable TXT record, but the cached policy (id={id}, mode {mode}) "
        "has not expired: it applies. This is what defeats an attacker who blocks the lookup.",
        "none_after_fetch": "No policy could be fetched and none is cached: the sender delivers as "
        "though {domain} had no MTA-STS.",
        "none_without_record": "No usable TXT record and no cached policy: MTA-STS does not apply to "
        "{domain}.",
        "first_use": "If {domain} does publish a policy, an attacker who blocks DNS has just hidden "
        "it: a sender that never fetched it has nothing cached (trust on first use).",
        "recipient": "The recipient domain",
        "bad_time": "The time {what} must be a finite number of seconds, not {value}.",
        "cache_fresh": "id={id}, fetched {age} ago, valid for {left} more",
        "cache_expired": "id={id}, fetched {age} ago, expired {ago} ago",
    }
)
"""The trace's sentences and the cache's description (named placeholders, for translation)."""


def record_name(domain: str) -> str:
    """Where a domain's MTA-STS record lives: ``_mta-sts.<domain>`` (§3.1)."""
    return f"_mta-sts.{domain}"


# -- the TXT record in a DNS answer (§3.1) --------------------------------------------------------


class RecordStatus(str, enum.Enum):
    """How the search for the ``_mta-sts`` record ended."""

    FOUND = "found"
    """Exactly one record beginning with ``v=STSv1``, and it is valid."""
    NONE = "none"
    """No such record (no TXT records, or none beginning with ``v=STSv1``)."""
    MULTIPLE = "multiple"
    """More than one record beginning with ``v=STSv1``: none is used (§3.1)."""
    INVALID = "invalid"
    """One record, but it does not follow §3.1."""
    FAILED = "failed"
    """DNS did not answer (a timeout, SERVFAIL, or an attacker who blocks the query)."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RecordDiscovery:
    """What the TXT lookup at ``_mta-sts.<domain>`` found, with its trace."""

    domain: str
    status: RecordStatus
    record: StsRecord | None = None
    problem: str = ""
    """For INVALID and FAILED: what was wrong, in words."""
    trace: Trace = ()

    @property
    def usable(self) -> bool:
        return self.record is not None


def _joined(record: object) -> bytes:
    """One TXT record's strings joined without spaces (§3.1)."""
    if isinstance(record, tuple):
        return b"".join(s if isinstance(s, bytes) else str(s).encode("utf-8") for s in record)
    return record if isinstance(record, bytes) else str(record).encode("utf-8")


def _is_sts(data: bytes) -> bool:
    return is_sts_record(data[:64].decode("latin-1"))


def discover_record(domain: str, answer: DnsAnswer) -> RecordDiscovery:
    """The MTA-STS record in ``answer``, the DNS answer for TXT at ``_mta-sts.<domain>`` (§3.1).

    Records that do not begin with ``v=STSv1`` are set aside; if not exactly one is left, or it
    is not valid, the domain has no available policy (a cached one may still apply).
    """
    domain = check_host_name(domain, what=STEPS["recipient"]).rstrip(".")
    name = record_name(domain)
    steps = [
        make_step(
            STEPS["query"],
            section=SECTION_RECORD,
            data={"query": f"TXT {name}", "answer": answer.describe()},
            name=name,
            answer=answer.describe(),
        )
    ]

    def done(
        status: RecordStatus, record: StsRecord | None = None, problem: str = ""
    ) -> RecordDiscovery:
        return RecordDiscovery(domain, status, record, problem, tuple(steps))

    if answer.status.is_failure:
        steps.append(
            make_step(STEPS["failed"], Outcome.WARN, SECTION_RECORD, name=name, answer=answer)
        )
        return done(RecordStatus.FAILED, problem=answer.describe())
    texts = [_joined(r) for r in answer.records] if answer.status is DnsStatus.ANSWER else []
    sts = [t for t in texts if _is_sts(t)]
    if len(sts) < len(texts):
        steps.append(
            make_step(
                STEPS["skipped"], section=SECTION_RECORD, count=len(texts) - len(sts), name=name
            )
        )
    if not sts:
        steps.append(make_step(STEPS["absent"], section=SECTION_RECORD, name=name))
        return done(RecordStatus.NONE)
    if len(sts) > 1:
        steps.append(
            make_step(STEPS["multiple"], Outcome.FAIL, SECTION_RECORD, name=name, count=len(sts))
        )
        return done(RecordStatus.MULTIPLE, problem=f"{len(sts)} records")
    try:
        record = parse_record(sts[0].decode("latin-1"))
    except StsSyntaxError as exc:
        steps.append(
            make_step(STEPS["invalid"], Outcome.FAIL, SECTION_RECORD, name=name, problem=exc)
        )
        return done(RecordStatus.INVALID, problem=exc.message)
    steps.append(make_step(STEPS["found"], Outcome.OK, SECTION_RECORD, name=name, id=record.id))
    return done(RecordStatus.FOUND, record)


def lookup_record(domain: str, *, resolver: object | None = None) -> RecordDiscovery:
    """Ask ``resolver`` (a ``dns.resolver.Resolver``, the offline ZoneResolver, or None for the
    system's DNS) for ``_mta-sts.<domain>`` and read the answer with :func:`discover_record`."""
    check_host_name(domain, what=STEPS["recipient"])
    answer = as_source(resolver).lookup(record_name(domain.rstrip(".")), "TXT")
    return discover_record(domain, answer)


# -- the cache and the choice of policy (§3.3, §5.1) ---------------------------------------------


@dataclass(frozen=True)
class CachedPolicy:
    """A policy in the sender's cache: what was fetched, under which ``id``, and when."""

    policy: Policy
    id: str
    """The TXT record's ``id`` when the policy was fetched."""
    fetched_at: float
    """When it was fetched (seconds, on the same clock as ``now``)."""

    @property
    def expires_at(self) -> float:
        return self.fetched_at + self.policy.max_age

    def is_fresh(self, now: float) -> bool:
        """Whether the time since the fetch has not exceeded ``max_age`` (§5.1)."""
        return now - self.fetched_at <= self.policy.max_age


@dataclass(frozen=True)
class FetchFailure:
    """The HTTPS fetch of the policy gave no usable policy (§3.3 "for any reason")."""

    reason: str
    """What went wrong, as a sentence: a blocked connection, a 404, a bad certificate ..."""


#: The HTTPS fetch, passed in: called only when a fetch is due, it returns the policy or says why
#: there is none. Tests and labs pass a function that returns a fixed answer.
Fetch = Callable[[], Policy | FetchFailure]


def fetch_from_text(text: str | bytes) -> Policy | FetchFailure:
    """The result of a fetch whose body is ``text``: the policy, or a failure when it is not one
    (a sender treats a body it cannot read like any failed fetch, §3.3)."""
    try:
        return parse_policy(text)
    except InputError as exc:
        return FetchFailure(exc.message)


class PolicySource(str, enum.Enum):
    """Where the policy a sender applies came from."""

    FETCHED = "fetched"
    """Fetched over HTTPS just now."""
    CACHE = "cache"
    """The cached copy: the id is unchanged, or the live lookup or fetch failed."""
    NONE = "none"
    """No policy: the sender delivers as though the domain had no MTA-STS."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PolicySelection:
    """The policy the sender applies, and what its cache holds afterwards."""

    source: PolicySource
    policy: Policy | None
    cache: CachedPolicy | None
    """The cache entry to keep for the next delivery (None: nothing to keep)."""
    fetch_tried: bool = False
    fetch_problem: str = ""
    trace: Trace = ()


def _duration(seconds: float) -> str:
    """A span of time in words: ``3 days``, ``5 hours``, ``40 seconds``."""
    seconds = abs(seconds)
    if seconds >= 86_400:
        count = int(seconds // 86_400)
        return ngettext("{count} day", "{count} days", count).format(count=count)
    if seconds >= 3600:
        count = int(seconds // 3600)
        return ngettext("{count} hour", "{count} hours", count).format(count=count)
    if seconds >= 60:
        count = int(seconds // 60)
        return ngettext("{count} minute", "{count} minutes", count).format(count=count)
    count = int(seconds)
    return ngettext("{count} second", "{count} seconds", count).format(count=count)


def choose_policy(
    discovery: RecordDiscovery,
    *,
    cached: CachedPolicy | None,
    fetch: Fetch,
    now: float,
    refresh_interval: float | None = REFRESH_INTERVAL,
) -> PolicySelection:
    """Which policy applies now (§3, §3.3, §5.1), given what DNS said, the cache and the fetch.

    ``fetch`` is called at most once, and only when the id changed, nothing usable is cached, or
    the cached copy is older than ``refresh_interval`` (None: never refresh early).
    """
    for what, value in (("now", now), ("fetched_at", cached.fetched_at if cached else 0.0)):
        if not (isinstance(value, int | float) and math.isfinite(value)):
            raise InputError(STEPS["bad_time"].format(what=what, value=repr(value)))
    steps: list[Step] = []
    domain = discovery.domain
    if cached is not None and not cached.is_fresh(now):
        steps.append(
            make_step(
                STEPS["expired"],
                Outcome.INFO,
                SECTION_FLOW,
                id=cached.id,
                ago=_duration(now - cached.expires_at),
                max_age=f"{cached.policy.max_age:,}",
            )
        )
        cached = None
    if discovery.record is None:
        return _without_record(discovery, cached, steps)
    record_id = discovery.record.id
    if cached is not None and cached.id == record_id:
        age = now - cached.fetched_at
        if refresh_interval is None or age < refresh_interval:
            steps.append(
                make_step(
                    STEPS["same_id"], Outcome.OK, SECTION_FLOW, id=record_id, age=_duration(age)
                )
            )
            return PolicySelection(PolicySource.CACHE, cached.policy, cached, trace=tuple(steps))
        steps.append(
            make_step(STEPS["stale"], section=SECTION_FETCH, id=record_id, age=_duration(age))
        )
    elif cached is not None:
        steps.append(make_step(STEPS["new_id"], section=SECTION_FLOW, old=cached.id, new=record_id))
    else:
        steps.append(
            make_step(
                STEPS["no_cache"], section=SECTION_FETCH, domain=domain, url=policy_url(domain)
            )
        )
    return _after_fetch(discovery, record_id, cached, fetch(), now, steps)


def _after_fetch(
    discovery: RecordDiscovery,
    record_id: str,
    cached: CachedPolicy | None,
    fetched: Policy | FetchFailure,
    now: float,
    steps: list[Step],
) -> PolicySelection:
    """The choice once the fetch has answered: the new policy, the cache, or none (§3.3)."""
    if isinstance(fetched, Policy):
        steps.append(
            make_step(
                STEPS["fetched"],
                Outcome.OK,
                SECTION_FETCH,
                mode=fetched.mode,
                count=len(fetched.mx),
                max_age=f"{fetched.max_age:,}",
                id=record_id,
            )
        )
        entry = CachedPolicy(fetched, record_id, now)
        return PolicySelection(
            PolicySource.FETCHED, fetched, entry, fetch_tried=True, trace=tuple(steps)
        )
    if not isinstance(fetched, FetchFailure):
        raise TypeError(f"fetch() must return a Policy or a FetchFailure, not {fetched!r}")
    reason = one_line(fetched.reason)
    url = policy_url(discovery.domain)
    steps.append(
        make_step(STEPS["fetch_failed"], Outcome.WARN, SECTION_FETCH, url=url, reason=reason)
    )
    if cached is not None:
        steps.append(
            make_step(
                STEPS["cache_after_fetch"],
                Outcome.OK,
                SECTION_FETCH,
                id=cached.id,
                mode=cached.policy.mode,
            )
        )
        source, policy = PolicySource.CACHE, cached.policy
    else:
        steps.append(
            make_step(
                STEPS["none_after_fetch"], Outcome.WARN, SECTION_FETCH, domain=discovery.domain
            )
        )
        source, policy = PolicySource.NONE, None
    return PolicySelection(
        source, policy, cached, fetch_tried=True, fetch_problem=reason, trace=tuple(steps)
    )


def _without_record(
    discovery: RecordDiscovery, cached: CachedPolicy | None, steps: list[Step]
) -> PolicySelection:
    """No usable TXT record: the cached policy if there is one (§3.1 note, §3.3), else none."""
    if cached is not None:
        steps.append(
            make_step(
                STEPS["cache_without_record"],
                Outcome.OK,
                SECTION_DOWNGRADE,
                id=cached.id,
                mode=cached.policy.mode,
            )
        )
        return PolicySelection(PolicySource.CACHE, cached.policy, cached, trace=tuple(steps))
    steps.append(
        make_step(
            STEPS["none_without_record"], Outcome.WARN, SECTION_RECORD, domain=discovery.domain
        )
    )
    if discovery.status is RecordStatus.FAILED:
        steps.append(
            make_step(STEPS["first_use"], Outcome.WARN, SECTION_DOWNGRADE, domain=discovery.domain)
        )
    return PolicySelection(PolicySource.NONE, None, None, trace=tuple(steps))


def describe_cache(entry: CachedPolicy, now: float) -> str:
    """The cache entry in words, for labs: when it was fetched and whether it is still valid."""
    age = _duration(now - entry.fetched_at)
    if entry.is_fresh(now):
        left = _duration(entry.expires_at - now)
        return STEPS["cache_fresh"].format(id=entry.id, age=age, left=left)
    return STEPS["cache_expired"].format(
        id=entry.id, age=age, ago=_duration(now - entry.expires_at)
    )
