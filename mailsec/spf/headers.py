"""The header fields a receiving server adds after an SPF check.

- ``Received-SPF`` (RFC 7208 §9.1): the result, a comment in words, and key=value pairs
  (client-ip, envelope-from, helo, identity, receiver, mechanism, problem).
- ``Authentication-Results`` (RFC 8601 §2.7.2): ``spf=<result>`` with ``smtp.mailfrom`` (or
  ``smtp.helo`` when the HELO identity was checked), after the receiver's authserv-id.

Both are returned as one unfolded line ``"Name: value"``.
"""

from __future__ import annotations

import re

from mailsec.authres import comment, pvalue, value
from mailsec.errors import one_line
from mailsec.spf.result import SpfCheck, SpfResult

__all__ = ["authentication_results", "received_spf", "received_spf_comment"]

_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


def _value(text: str) -> str:
    """A Received-SPF value (RFC 7208 §9.1): a dot-atom when possible, otherwise a quoted-string
    (RFC 5322 §3.2.4); Authentication-Results quotes by its own rule (:mod:`mailsec.authres`). A quoted-string
    cannot hold a line break or a control character, so those are written as escapes: a
    sender's text never adds a header field line."""
    if _DOT_ATOM.match(text):
        return text
    return '"' + one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def received_spf_comment(check: SpfCheck) -> str:
    """The comment of Received-SPF in words (the wording follows RFC 7208 §9.1's example)."""
    who = check.receiver
    sender = check.sender
    ip = check.client_ip
    result = check.result
    if result is SpfResult.PASS:
        text = f"domain of {sender} designates {ip} as permitted sender"
    elif result is SpfResult.FAIL:
        text = f"domain of {sender} does not designate {ip} as permitted sender"
    elif result is SpfResult.SOFTFAIL:
        text = f"domain of transitioning {sender} does not designate {ip} as permitted sender"
    elif result is SpfResult.NEUTRAL:
        text = f"{ip} is neither permitted nor denied by domain of {sender}"
    elif result is SpfResult.NONE:
        text = f"{check.domain or sender} does not designate permitted sender hosts"
    elif result is SpfResult.TEMPERROR:
        text = f"temporary error in processing during lookup of {sender}"
    else:
        text = f"permanent error in processing domain of {check.domain}"
    return f"{who}: {text}"


def received_spf(check: SpfCheck) -> str:
    """The Received-SPF header field (RFC 7208 §9.1) for a check."""
    pairs = [
        ("client-ip", check.client_ip),
        ("envelope-from", check.mail_from),
        ("helo", check.helo),
        ("identity", check.identity),
        ("receiver", check.receiver),
    ]
    if check.mechanism:
        pairs.append(("mechanism", check.mechanism))
    if check.problem and check.result in (SpfResult.PERMERROR, SpfResult.TEMPERROR):
        pairs.append(("problem", check.problem))
    kv = " ".join(f"{k}={_value(v)};" for k, v in pairs)
    return f"Received-SPF: {check.result.value} {comment(received_spf_comment(check))} {kv}"


def authentication_results(check: SpfCheck, authserv_id: str | None = None) -> str:
    """The Authentication-Results header field (RFC 8601) for a check.

    ``authserv_id`` names the receiving server (default: the check's receiver).
    """
    server = authserv_id or check.receiver
    if check.identity == "helo":
        prop = f"smtp.helo={pvalue(check.helo.strip())}"
    else:
        prop = f"smtp.mailfrom={pvalue(check.sender)}"
    reason = ""
    if check.problem and check.result in (SpfResult.PERMERROR, SpfResult.TEMPERROR):
        reason = f" reason={value(check.problem)}"
    note = comment(received_spf_comment(check))
    return f"Authentication-Results: {server}; spf={check.result.value} {note}{reason} {prop}"
