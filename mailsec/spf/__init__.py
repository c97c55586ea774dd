"""Sender Policy Framework (RFC 7208): chapter 03.

One call for the check a receiving mail server makes::

    from mailsec import spf
    outcome = spf.check("192.0.2.10", "alice@example.com", "mail.example.com",
                        resolver=spf.example_resolver())
    outcome.result          # SpfResult.PASS, equal to "pass"
    outcome.explanation     # the domain's exp= text when the result is fail, else None
    outcome.trace           # the evaluation, step by step, as data

The parts, each in its own module:

- :mod:`~mailsec.spf.record`: read a record into terms, with precise syntax errors;
- :mod:`~mailsec.spf.macro`: the macro language of §7;
- :mod:`~mailsec.spf.evaluate`: ``check_host()`` of §4-§6; :mod:`~mailsec.spf.mechanisms` tries
  one mechanism (§5), :mod:`~mailsec.spf.limits` holds the rules every step follows (§4.6.4);
- :mod:`~mailsec.spf.mta`: the MTA's check of MAIL FROM and HELO (§2.3-§2.4);
- :mod:`~mailsec.spf.headers`: Received-SPF (§9.1) and Authentication-Results (RFC 8601);
- :mod:`~mailsec.spf.lookup` and :mod:`~mailsec.spf.zone`: DNS, live or from zone-file text;
- :mod:`~mailsec.spf.probe`: whether live DNS can be trusted before a live check;
- :mod:`~mailsec.spf.lint`: find mistakes and risky patterns in a published record.

One hop on: :mod:`mailsec.render.spf` draws the results, :mod:`mailsec.labs.spf` is the labs,
``notebooks/03-spf.ipynb`` the chapter, and ``python -m mailsec spf check|lint``
(:mod:`mailsec.cli.spf`) the command line.
"""

from __future__ import annotations

from mailsec.spf.evaluate import (
    MAX_DNS_LOOKUPS,
    MAX_MX_NAMES,
    MAX_PTR_NAMES,
    MAX_VOID_LOOKUPS,
    check_host,
)
from mailsec.spf.headers import authentication_results, received_spf
from mailsec.spf.lint import LintReport, lint
from mailsec.spf.lookup import DnsAnswer, DnspythonSource, DnsStatus, OverlaySource
from mailsec.spf.mta import check, check_helo
from mailsec.spf.record import Record, SpfSyntaxError, parse_record
from mailsec.spf.result import SpfCheck, SpfResult
from mailsec.spf.zone import ZoneResolver, example_resolver, example_zone_text

__all__ = [
    "MAX_DNS_LOOKUPS",
    "MAX_MX_NAMES",
    "MAX_PTR_NAMES",
    "MAX_VOID_LOOKUPS",
    "DnsAnswer",
    "DnsStatus",
    "DnspythonSource",
    "LintReport",
    "OverlaySource",
    "Record",
    "SpfCheck",
    "SpfResult",
    "SpfSyntaxError",
    "ZoneResolver",
    "authentication_results",
    "check",
    "check_helo",
    "check_host",
    "example_resolver",
    "example_zone_text",
    "lint",
    "parse_record",
    "received_spf",
]
