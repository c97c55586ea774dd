"""The words of SPF evaluation's trace (:mod:`mailsec.spf.evaluate`), kept apart so that module
stays readable in one sitting.
"""

from __future__ import annotations

from mailsec.i18n import texts

__all__ = ["TEXT"]

TEXT = texts(
    {
        "dns": "DNS {rdtype} {name} → {answer}",
        "dns_cached": "DNS {rdtype} {name} → {answer} (already asked)",
        "too_long": "the check took longer than its limit of {seconds} seconds",
        "too_many": "'{term}' would be DNS lookup number {number}; the limit is {limit} per check",
        "void": "Void lookup {count} of {limit} allowed ({name} {rdtype})",
        "too_many_voids": "{count} lookups found nothing; at most {limit} such void lookups are "
        "allowed",
        "failed_mx": "the DNS lookup of {name} ({rdtype}) for mail exchangers failed: {answer}",
        "failed_exists": "the DNS lookup of {name} ({rdtype}) for exists failed: {answer}",
        "failed_address": "the DNS lookup of {name} ({rdtype}) for an address failed: {answer}",
        "macro": "Macro {macro} → {name}",
        "txt_failed": "the TXT lookup of {domain} failed: {answer}",
        "no_txt": "{domain} publishes no TXT records, so no SPF record",
        "no_spf": "None of the {count} TXT record(s) of {domain} starts with 'v=spf1'",
        "several": "{domain} publishes {count} SPF records; there must be exactly one",
        "record": "SPF record of {domain}: {record}",
        "syntax": "the SPF record of {domain} has a syntax error at character {position}: {reason}",
        "start": "check_host(ip={ip}, domain={domain}, sender={sender})",
        "no_record": "{domain} publishes no SPF record",
        "stopped": "Stopped: {reason}",
        "result": "Result: {result}",
        "result_by": "Result: {result} (decided by '{mechanism}')",
        "cannot": "Cannot check: {problem}",
        "matches": "'{term}' matches → {result}",
        "redirect": "No mechanism matched: following '{term}' to {target} (lookup {count} of "
        "{limit})",
        "redirect_none": "'{term}' points to {target}, which has no SPF record",
        "default": "No mechanism matched and there is no redirect: the default result is neutral",
        "exp_invalid": "exp= target {name!r} is not a valid name: no explanation",
        "exp_count": "exp= lookup gave {count} TXT records (exactly one is needed): no explanation",
        "exp_not_ascii": "The explanation text is not valid ASCII macro text: ignored",
        "exp_cut": "The explanation is cut to {limit} characters: it must fit in one SMTP reply "
        "line",
        "explanation": "Explanation: {value}",
        "no_dns": "this machine has no usable DNS configuration ({error})",
        "not_ip": "{ip!r} is not an IPv4 or IPv6 address",
    }
)
"""The trace's steps and the reasons a check stops, in the current language (see
:mod:`mailsec.i18n`). A step keeps its key and values; :attr:`SpfCheck.trace` says it when read."""
