"""DMARC (RFC 7489): chapter 07, with DKIM.

SPF vouches for the envelope sender, DKIM for a signing domain; neither looks at the From: field
people read. DMARC ties them to it: a message passes if SPF or DKIM passed for a domain *aligned*
with the From: domain, and the From: domain's owner publishes in DNS what receivers should do
with mail that fails, and where to send reports::

    from mailsec import dkim, dmarc, spf

    checked = spf.check("192.0.2.10", "bounces@example.com", "mail.example.com", resolver=zone)
    outcome = dmarc.evaluate(
        message,
        spf=dmarc.SpfInput.from_check(checked),
        dkim=dkim.verify(message, resolver=zone),
        resolver=zone,
        sample=0.5,                 # pct sampling made repeatable
    )
    outcome.result                  # DmarcResult.PASS, equal to "pass"
    outcome.disposition             # Disposition.NONE: what the receiver does
    outcome.reason                  # why, in a sentence
    outcome.trace                   # the evaluation, step by step, with RFC sections
    dmarc.authentication_results(outcome, authserv_id="mx.example.net")

The parts, each in its own module, in the order a receiver uses them:

- :mod:`~mailsec.dmarc.record`: the ``v=DMARC1; p=...`` record and its tags (§6.3, §6.4);
- :mod:`~mailsec.dmarc.author`: the From: domain, and the messages that have none (§6.6.1);
- :mod:`~mailsec.dmarc.orgdomain`: organizational domains from the Public Suffix List (§3.2);
- :mod:`~mailsec.dmarc.discovery`: finding the record at ``_dmarc.<domain>`` (§6.6.3);
- :mod:`~mailsec.dmarc.alignment`: relaxed and strict alignment of SPF and DKIM (§3.1);
- :mod:`~mailsec.dmarc.evaluate` and :mod:`~mailsec.dmarc.result`: the evaluation, its result,
  the policy, ``pct`` sampling and the disposition (§6.6);
- :mod:`~mailsec.dmarc.authresults`: the Authentication-Results header field (RFC 8601);
- :mod:`~mailsec.dmarc.reports`, :mod:`~mailsec.dmarc.reportxml` and
  :mod:`~mailsec.dmarc.unpack`: aggregate reports (§7.2, Appendix C), read from XML, gzip or
  zip within bounds, written from evaluations, and summed up per sending IP address.

DNS is asked through the SPF chapter's sources (:func:`mailsec.spf.lookup.as_source`): pass a
``dns.resolver.Resolver``, the offline :class:`~mailsec.spf.zone.ZoneResolver`, or None for the
system's DNS.
"""

from __future__ import annotations

from mailsec.dmarc.alignment import (
    DkimAlignment,
    SpfAlignment,
    SpfInput,
    SpfScope,
    is_aligned,
)
from mailsec.dmarc.author import AuthorDomain, author_domain
from mailsec.dmarc.authresults import (
    AuthenticationResults,
    ResultInfo,
    authentication_results,
    parse_authentication_results,
)
from mailsec.dmarc.discovery import Discovery, DiscoveryStatus, discover
from mailsec.dmarc.evaluate import evaluate, evaluate_domain
from mailsec.dmarc.orgdomain import (
    is_public_suffix,
    normalize_domain,
    organizational_domain,
    public_suffix,
)
from mailsec.dmarc.record import (
    AlignmentMode,
    DmarcRecord,
    DmarcSyntaxError,
    Policy,
    ReportUri,
    is_dmarc_record,
    parse_record,
)
from mailsec.dmarc.reports import (
    AggregateReport,
    PolicyPublished,
    ReportRecord,
    SourceSummary,
    summarize,
)
from mailsec.dmarc.reportxml import read_report, report_xml, write_report
from mailsec.dmarc.result import Disposition, DmarcEvaluation, DmarcResult, PolicyOverride

__all__ = [
    "AggregateReport",
    "AlignmentMode",
    "AuthenticationResults",
    "AuthorDomain",
    "Discovery",
    "DiscoveryStatus",
    "Disposition",
    "DkimAlignment",
    "DmarcEvaluation",
    "DmarcRecord",
    "DmarcResult",
    "DmarcSyntaxError",
    "Policy",
    "PolicyOverride",
    "PolicyPublished",
    "ReportRecord",
    "ReportUri",
    "ResultInfo",
    "SourceSummary",
    "SpfAlignment",
    "SpfInput",
    "SpfScope",
    "authentication_results",
    "author_domain",
    "discover",
    "evaluate",
    "evaluate_domain",
    "is_aligned",
    "is_dmarc_record",
    "is_public_suffix",
    "normalize_domain",
    "organizational_domain",
    "parse_authentication_results",
    "parse_record",
    "public_suffix",
    "read_report",
    "report_xml",
    "summarize",
    "write_report",
]
