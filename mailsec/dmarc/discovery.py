"""Finding a domain's DMARC record in DNS (RFC 7489 §6.6.3).

The receiver looks in at most two places, in this order:

1. the TXT records at ``_dmarc.<From: domain>``; those that do not start with ``v=DMARC1`` are
   discarded (an SPF record published there by mistake, a verification token ...);
2. only if none is left, the TXT records at ``_dmarc.<organizational domain>`` (when that is a
   different name), discarded the same way. A record found there speaks for the whole
   organization, and its ``sp=`` for the subdomains.

Then, as §6.6.3 step 5 says, if the set left holds no record, or more than one, discovery ends and
DMARC does not apply to the message. Note the order: several records at the From: domain are not
"no record there", so the organizational domain is not asked. A record whose policy cannot be
used (``p`` missing or wrong and no valid ``rua``, step 6) applies no policy either; the
evaluation reports it as ``permerror``. A DNS failure (timeout, SERVFAIL) is neither a record nor
its absence: it ends discovery with ``temperror``, and a later try may succeed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailsec.dkim.result import make_step
from mailsec.dmarc.record import DmarcRecord, DmarcSyntaxError, is_dmarc_record, parse_record
from mailsec.errors import quoted
from mailsec.i18n import texts
from mailsec.spf.lookup import DnsAnswer, DnsStatus, as_source
from mailsec.trace import Outcome, Step, Trace

__all__ = ["Discovery", "DiscoveryStatus", "discover", "record_name"]

SECTION = "RFC 7489 §6.6.3"

STEPS = texts(
    {
        "query": "Asked DNS for the TXT records at {name}: {answer}.",
        "skipped": "{count} TXT record(s) at {name} do not start with v=DMARC1 and were set aside.",
        "found": "Found the DMARC record at {name}: {record}",
        "multiple": "{name} has {count} DMARC records; with more than one, no policy applies.",
        "fallback": "{domain} has no DMARC record, so its organizational domain {organization} is "
        "asked next.",
        "no_fallback": "{domain} has no DMARC record, and it is its own organizational domain.",
        "none": "No DMARC record was found: DMARC does not apply to this message.",
        "failure": "DNS did not answer for {name} ({answer}); try again later.",
        "invalid": "The DMARC record at {name} cannot be used: {problem}",
        "problem": "In the record at {name}: {problem}",
    }
)


class DiscoveryStatus(str, enum.Enum):
    """How the search for a DMARC record ended."""

    FOUND = "found"
    """One usable DMARC record."""
    NONE = "none"
    """No DMARC record at either name: DMARC does not apply."""
    MULTIPLE = "multiple"
    """More than one DMARC record at one name: DMARC does not apply (§6.6.3 step 5)."""
    INVALID = "invalid"
    """One DMARC record, but its policy cannot be used (§6.6.3 step 6)."""
    TEMPERROR = "temperror"
    """DNS failed; a later try may succeed."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Discovery:
    """What the search for a DMARC record found, with its trace."""

    status: DiscoveryStatus
    record: DmarcRecord | None = None
    domain: str | None = None
    """The domain whose ``_dmarc`` name held the record (or the several records, the bad one, or
    the name DNS failed on)."""
    queried: tuple[str, ...] = ()
    """The names asked, in order."""
    problem: str | None = None
    """For INVALID: why the record cannot be used; for TEMPERROR: what DNS said."""
    trace: Trace = ()


def record_name(domain: str) -> str:
    """Where a domain's DMARC record lives: ``_dmarc.<domain>`` (§6.1)."""
    return f"_dmarc.{domain}"


def discover(
    from_domain: str, organizational_domain: str, *, resolver: object | None = None
) -> Discovery:
    """Find the DMARC record for a message whose From: domain is ``from_domain`` (§6.6.3).

    Both domains are expected in the form :func:`~mailsec.dmarc.orgdomain.normalize_domain`
    gives. ``resolver`` is a ``dns.resolver.Resolver``, the offline
    :class:`~mailsec.spf.zone.ZoneResolver`, or None for the system's DNS.
    """
    source = as_source(resolver)
    steps: list[Step] = []
    queried: list[str] = []
    names = [from_domain]
    if organizational_domain != from_domain:
        names.append(organizational_domain)
    for domain in names:
        name = record_name(domain)
        queried.append(name)
        answer = source.lookup(name, "TXT")
        steps.append(
            make_step(
                STEPS["query"],
                Outcome.INFO,
                SECTION,
                data={"query": f"TXT {name}", "answer": answer.describe()},
                name=name,
                answer=answer,
            )
        )
        if answer.status.is_failure:
            steps.append(
                make_step(STEPS["failure"], Outcome.WARN, SECTION, name=name, answer=answer)
            )
            return Discovery(
                DiscoveryStatus.TEMPERROR,
                None,
                domain,
                tuple(queried),
                answer.describe(),
                tuple(steps),
            )
        records = _dmarc_records(answer, name, steps)
        if records:
            return _decide(records, domain, name, tuple(queried), steps)
        if domain == from_domain:
            key = "fallback" if len(names) > 1 else "no_fallback"
            steps.append(
                make_step(
                    STEPS[key],
                    Outcome.INFO,
                    SECTION,
                    domain=domain,
                    organization=organizational_domain,
                )
            )
    steps.append(make_step(STEPS["none"], Outcome.INFO, SECTION))
    return Discovery(DiscoveryStatus.NONE, None, None, tuple(queried), None, tuple(steps))


def _dmarc_records(answer: DnsAnswer, name: str, steps: list[Step]) -> list[str]:
    """The TXT records that start with v=DMARC1 (§6.6.3 steps 2 and 4), as text."""
    if answer.status is not DnsStatus.ANSWER:
        return []
    texts = [_txt(record) for record in answer.records]
    kept = [text for text in texts if is_dmarc_record(text)]
    if len(kept) < len(texts):
        steps.append(
            make_step(
                STEPS["skipped"], Outcome.INFO, SECTION, count=len(texts) - len(kept), name=name
            )
        )
    return kept


def _txt(record: object) -> str:
    # A TXT record's strings are joined without spaces; DMARC records are ASCII, and any byte
    # that is not UTF-8 shows as U+FFFD, which the record parser then refuses by name.
    strings = record if isinstance(record, tuple) else (record,)
    return b"".join(s for s in strings if isinstance(s, bytes)).decode("utf-8", "replace")


def _decide(
    records: list[str], domain: str, name: str, queried: tuple[str, ...], steps: list[Step]
) -> Discovery:
    if len(records) > 1:
        steps.append(
            make_step(STEPS["multiple"], Outcome.WARN, SECTION, name=name, count=len(records))
        )
        return Discovery(DiscoveryStatus.MULTIPLE, None, domain, queried, None, tuple(steps))
    text = records[0]
    try:
        record = parse_record(text, strict=False)
    except DmarcSyntaxError as exc:
        steps.append(
            make_step(STEPS["invalid"], Outcome.FAIL, SECTION, name=name, problem=exc.message)
        )
        return Discovery(DiscoveryStatus.INVALID, None, domain, queried, exc.message, tuple(steps))
    steps.append(
        make_step(STEPS["found"], Outcome.OK, SECTION, name=name, record=quoted(text, 200))
    )
    for problem in record.problems:
        steps.append(
            make_step(STEPS["problem"], Outcome.WARN, "RFC 7489 §6.3", name=name, problem=problem)
        )
    return Discovery(DiscoveryStatus.FOUND, record, domain, queried, None, tuple(steps))
