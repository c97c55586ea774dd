"""DMARC aggregate reports: what receivers tell domain owners (RFC 7489 §7.2, Appendix C).

A domain that publishes ``rua=mailto:...`` gets, once a day from each large receiver, a report of
every message that claimed to be from it: which IP address sent how many, whether SPF and DKIM
passed and aligned, and what the receiver did. The owner reads them to find the servers that send
on its behalf (a newsletter service, a CRM) before moving from ``p=none`` to ``p=reject``, and to
see who is forging its name.

This module holds the report as data and :func:`summarize`, which totals reports per sending IP
address. Reading and writing the XML is in :mod:`~mailsec.dmarc.reportxml`.

In a record, ``policy_evaluated`` says what DMARC concluded: ``dkim``/``spf`` are ``pass`` only
for a pass *aligned* with the From: domain. ``auth_results`` gives the raw SPF and DKIM results,
aligned or not, which is how an owner sees "SPF passed, but for the mailing service's domain".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from mailsec.dkim.result import DkimResult
from mailsec.dmarc.alignment import SpfScope
from mailsec.dmarc.record import AlignmentMode, DmarcRecord, Policy
from mailsec.dmarc.result import Disposition, PolicyOverride
from mailsec.spf.result import SpfResult

__all__ = [
    "AggregateReport",
    "AuthResults",
    "DkimAuth",
    "OverrideReason",
    "PolicyPublished",
    "ReportRecord",
    "SourceSummary",
    "SpfAuth",
    "summarize",
]


@dataclass(frozen=True)
class PolicyPublished:
    """The DMARC record the receiver found for the domain (Appendix C ``PolicyPublishedType``)."""

    domain: str
    policy: Policy
    """``p``."""
    subdomain_policy: Policy | None = None
    """``sp``; None when the report leaves it out."""
    dkim_alignment: AlignmentMode = AlignmentMode.RELAXED
    spf_alignment: AlignmentMode = AlignmentMode.RELAXED
    percent: int = 100
    failure_options: str | None = None
    """``fo`` as written (``"0"``, ``"1:d"``), or None."""

    @classmethod
    def from_record(cls, domain: str, record: DmarcRecord) -> PolicyPublished:
        """The published policy as a receiver reports it, from a record it read."""
        return cls(
            domain=domain,
            policy=record.policy,
            subdomain_policy=record.effective_subdomain_policy,
            dkim_alignment=record.dkim_alignment,
            spf_alignment=record.spf_alignment,
            percent=record.percent,
            failure_options=":".join(record.failure_options),
        )


@dataclass(frozen=True)
class OverrideReason:
    """Why the receiver did not apply the policy as published (``PolicyOverrideReason``)."""

    type: PolicyOverride
    comment: str | None = None


@dataclass(frozen=True)
class DkimAuth:
    """One DKIM signature's raw result (``DKIMAuthResultType``)."""

    domain: str
    result: DkimResult
    selector: str | None = None
    human_result: str | None = None


@dataclass(frozen=True)
class SpfAuth:
    """The raw SPF result (``SPFAuthResultType``); scope ``mfrom`` in XML is ``mailfrom`` here."""

    domain: str
    result: SpfResult
    scope: SpfScope | None = None
    human_result: str | None = None


@dataclass(frozen=True)
class AuthResults:
    """The raw SPF and DKIM results of a row's messages, aligned or not (``AuthResultType``)."""

    dkim: tuple[DkimAuth, ...] = ()
    spf: tuple[SpfAuth, ...] = ()


@dataclass(frozen=True)
class ReportRecord:
    """One row: ``count`` messages from one IP address that were evaluated alike."""

    source_ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    count: int
    disposition: Disposition
    dkim_aligned: bool
    """``policy_evaluated/dkim`` is pass: a DKIM pass for an aligned domain."""
    spf_aligned: bool
    """``policy_evaluated/spf`` is pass: an SPF pass for an aligned domain."""
    header_from: str
    auth_results: AuthResults = AuthResults()
    reasons: tuple[OverrideReason, ...] = ()
    envelope_from: str | None = None
    envelope_to: str | None = None

    @property
    def dmarc_passed(self) -> bool:
        """DMARC passed: either identifier passed and aligned."""
        return self.dkim_aligned or self.spf_aligned


@dataclass(frozen=True)
class AggregateReport:
    """One aggregate report (Appendix C ``feedback``)."""

    org_name: str
    """The reporting organization (the receiver)."""
    email: str
    report_id: str
    begin: datetime
    """The start of the period the report covers (UTC)."""
    end: datetime
    policy_published: PolicyPublished
    records: tuple[ReportRecord, ...]
    extra_contact_info: str | None = None
    errors: tuple[str, ...] = ()
    version: str | None = None

    @property
    def messages(self) -> int:
        return sum(record.count for record in self.records)


@dataclass(frozen=True)
class SourceSummary:
    """What reports say about one sending IP address, totalled."""

    source_ip: str
    messages: int
    dmarc_pass: int
    dmarc_fail: int
    spf_aligned: int
    """Messages whose SPF passed for an aligned domain; the rest of ``messages`` did not."""
    dkim_aligned: int
    """Messages with a DKIM pass for an aligned domain."""
    delivered: int
    """Disposition ``none``."""
    quarantined: int
    rejected: int
    header_from: tuple[str, ...]
    """The From: domains these messages claimed, sorted."""

    @property
    def spf_unaligned(self) -> int:
        return self.messages - self.spf_aligned

    @property
    def dkim_unaligned(self) -> int:
        return self.messages - self.dkim_aligned


def summarize(reports: Iterable[AggregateReport]) -> tuple[SourceSummary, ...]:
    """Total the records of ``reports`` per source IP address, most messages first."""
    totals: dict[str, dict[str, int]] = {}
    domains: dict[str, set[str]] = {}
    for report in reports:
        for record in report.records:
            ip = str(record.source_ip)
            row = totals.setdefault(ip, dict.fromkeys(_COUNTED, 0))
            count = record.count
            row["messages"] += count
            row["dmarc_pass" if record.dmarc_passed else "dmarc_fail"] += count
            row["spf_aligned"] += count if record.spf_aligned else 0
            row["dkim_aligned"] += count if record.dkim_aligned else 0
            row[_DISPOSITIONS[record.disposition]] += count
            domains.setdefault(ip, set()).add(record.header_from)
    rows = [
        SourceSummary(source_ip=ip, header_from=tuple(sorted(domains[ip])), **counts)
        for ip, counts in totals.items()
    ]
    rows.sort(key=lambda row: (-row.messages, _ip_key(row.source_ip)))
    return tuple(rows)


_COUNTED = (
    "messages",
    "dmarc_pass",
    "dmarc_fail",
    "spf_aligned",
    "dkim_aligned",
    "delivered",
    "quarantined",
    "rejected",
)
_DISPOSITIONS = {
    Disposition.NONE: "delivered",
    Disposition.QUARANTINE: "quarantined",
    Disposition.REJECT: "rejected",
}


def _ip_key(text: str) -> tuple[int, int]:
    address = ipaddress.ip_address(text)
    return address.version, int(address)
