"""Writing Authentication-Results (RFC 8601): one place for how its values and comments are quoted.

SPF, DKIM, DMARC and ARC all report in this header field, so their writers share these rules:
a value is an RFC 2045 token when it can be and a quoted-string otherwise (RFC 8601 §2.2), a
property value may also be a bare address or domain name, and a comment escapes its parentheses.
Line breaks and control characters are written as escapes (:func:`mailsec.errors.one_line`):
text that came from a sender can never start a header line of its own.
"""

from __future__ import annotations

import re

from mailsec.errors import one_line

__all__ = ["comment", "pvalue", "value"]

#: RFC 2045 §5.1: a token is any ASCII printable character except space and tspecials.
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+\Z")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
#: RFC 8601 §2.2: pvalue = value / [[local-part] "@"] domain-name.
_ADDRESS = re.compile(rf"(?:(?:{_ATOM})?@)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\Z")


def value(text: str) -> str:
    """``text`` as a token, or as a quoted-string with ``\\`` and ``"`` escaped."""
    if _TOKEN.match(text):
        return text
    return '"' + one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def pvalue(text: str) -> str:
    """A property value: an address or domain name as it is, anything else as :func:`value`."""
    return text if _ADDRESS.match(text) else value(text)


def comment(text: str) -> str:
    """A comment (RFC 5322 §3.2.2), its parentheses and backslashes escaped."""
    return "(" + re.sub(r"([()\\])", r"\\\1", one_line(text)) + ")"
