"""The limits and rules every step of an SPF check follows (RFC 7208 §4).

One place for them: the lookup limits of §4.6.4, what makes a domain checkable (§4.3), how the
client address is read (§5), and :class:`Stop`, which ends a check with permerror or temperror.
"""

from __future__ import annotations

import functools
import ipaddress

from mailsec.errors import quoted
from mailsec.i18n import texts
from mailsec.limits import MAX_EXPLANATION, MAX_LOCAL_PART
from mailsec.spf.result import SpfResult

__all__ = [
    "MAX_DNS_LOOKUPS",
    "MAX_EXPLANATION",
    "MAX_LOCAL_PART",
    "MAX_MX_NAMES",
    "MAX_PTR_NAMES",
    "MAX_VOID_LOOKUPS",
    "TEXT",
    "TIME_LIMIT",
    "Stop",
    "domain_problem",
    "ip_problem",
    "parse_ip",
    "rfc",
    "sender_problem",
]

#: RFC 7208 §4.6.4: terms that cause DNS queries are limited to 10 per check.
MAX_DNS_LOOKUPS = 10
#: RFC 7208 §4.6.4: at most 2 lookups that return no records (NODATA or NXDOMAIN).
MAX_VOID_LOOKUPS = 2
#: RFC 7208 §4.6.4: an "mx" mechanism with more than 10 MX names is a permerror.
MAX_MX_NAMES = 10
#: RFC 7208 §4.6.4: the "ptr" mechanism and %{p} look at the first 10 PTR names only.
MAX_PTR_NAMES = 10
#: RFC 7208 §4.6.4: a time limit for the whole check of "at least 20 seconds", then temperror.
TIME_LIMIT = 20.0


TEXT = texts(
    {
        "not_ip": "{text} is not an IPv4 or IPv6 address: give one such as 192.0.2.10 or "
        "2001:db8::1",
        "local_part": "the sender's local-part is {size} octets long; RFC 5321 §4.5.3.1.1 allows "
        "at most {limit}, so a receiving server refuses it before any SPF check",
        "empty": "the domain is empty",
        "literal": "{domain} is an address literal, not a domain name",
        "empty_label": "{domain} has an empty label (two dots in a row, or a leading dot)",
        "long_label": "{domain} has a label longer than 63 characters",
        "long_name": "{domain} is longer than 253 characters",
        "one_label": "{domain} is not a fully qualified domain name (it has only one label)",
    }
)
"""Why an input cannot be checked, in the current language (see :mod:`mailsec.i18n`)."""


def rfc(section: str) -> str:
    """The citation of a section of RFC 7208."""
    return f"RFC 7208 §{section}"


@functools.lru_cache(maxsize=4096)
def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The client address as SPF uses it: an IPv4-mapped IPv6 address is IPv4 (RFC 7208 §5)."""
    text = text.strip()
    if "%" in text:  # a scoped (link-local zone) address names no host on the Internet
        raise ValueError(f"{text!r} has a zone index")
    ip = ipaddress.ip_address(text)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def ip_problem(text: str) -> str | None:
    """Why ``text`` is not a client address :func:`parse_ip` reads, or None when it is one."""
    try:
        parse_ip(text)
    except ValueError:
        return TEXT["not_ip"].format(text=quoted(text.strip()))
    return None


def sender_problem(sender: str) -> str | None:
    """Why ``sender`` (local-part@domain) cannot be checked, or None when it can."""
    local = sender.rpartition("@")[0]
    size = len(local.encode("utf-8", "surrogatepass"))
    if size > MAX_LOCAL_PART:
        return TEXT["local_part"].format(size=size, limit=MAX_LOCAL_PART)
    return None


def domain_problem(domain: str, *, multi_label: bool = True) -> str | None:
    """Why ``domain`` cannot be checked (RFC 7208 §4.3), or None when it is fine (in the
    current language)."""
    key = _domain_problem(domain, multi_label)
    return None if key is None else TEXT[key].format(domain=quoted(domain))


@functools.lru_cache(maxsize=4096)
def _domain_problem(domain: str, multi_label: bool) -> str | None:
    """The key of :data:`TEXT` that says why ``domain`` cannot be checked (cached: no words)."""
    if not domain:
        return "empty"
    if domain.startswith("["):
        return "literal"
    name = domain[:-1] if domain.endswith(".") else domain
    labels = name.split(".")
    if "" in labels:
        return "empty_label"
    if max(map(len, labels)) > 63:
        return "long_label"
    if len(name) > 253:
        return "long_name"
    if multi_label and len(labels) < 2:
        return "one_label"
    return None


class Stop(Exception):
    """Evaluation ends with permerror or temperror."""

    def __init__(self, result: SpfResult, reason: str, section: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason
        self.section = section
