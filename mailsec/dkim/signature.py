"""The DKIM-Signature header field: its tags and the rules they must follow (RFC 6376 §3.5).

:func:`parse_signature` reads a field's value into a :class:`Signature` or raises
:class:`~mailsec.dkim.tags.DkimSyntaxError` saying which rule was broken. The rules:

- ``v``, ``a``, ``b``, ``bh``, ``d``, ``h`` and ``s`` are required (§3.5, §6.1.1), ``v`` must be 1;
- ``a`` names a known algorithm, ``c`` known canonicalizations (``c=relaxed`` alone means
  relaxed header and simple body; no ``c`` means simple/simple);
- ``d`` and ``s`` are domain names, the ``i`` domain is ``d`` or a subdomain of it;
- ``h`` must include From, the field every reader sees (§5.4, §6.1.1);
- ``l``, ``t`` and ``x`` are numbers (at most 76 and 12 digits), and ``x`` is later than ``t``;
- ``q``, if present, includes ``dns/txt``, the only way keys are published.

The same domain and selector rules serve the signer (:mod:`mailsec.dkim.sign`), so a signer can
never write a signature that this reader refuses.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from mailsec.dkim.canon import Canon, is_field_name
from mailsec.dkim.crypto import Algorithm
from mailsec.dkim.tags import (
    DkimSyntaxError,
    TagList,
    decode_base64,
    parse_tag_list,
    split_colon_list,
)
from mailsec.errors import InputError, quoted
from mailsec.i18n import ngettext, texts

__all__ = [
    "REQUIRED_TAGS",
    "Signature",
    "base64_tag",
    "check_domain",
    "check_identity",
    "clock_seconds",
    "number_tag",
    "parse_canonicalization",
    "parse_signature",
    "signature_from_tags",
]

#: §6.1.1: a signature without one of these is ignored with PERMFAIL.
REQUIRED_TAGS = ("v", "a", "b", "bh", "d", "h", "s")

MESSAGES = texts(
    {
        "version": "v={value} is not a DKIM version this verifier knows; it must be 1 (§3.5).",
        "algorithm": "a={value} is not a known algorithm: use rsa-sha256 or ed25519-sha256 (§3.3, "
        "RFC 8463).",
        "canonicalization": "c={value} is not valid: write header/body, each simple or relaxed (§3.5).",
        "domain": "{tag}={value} is not a domain name: labels of letters, digits and hyphens, "
        "separated by dots (§3.5).",
        "identity_syntax": "i={value} is not an identity: it must contain '@' followed by a domain "
        "(§3.5).",
        "identity_domain": "The i= domain {identity} is not {domain} nor a subdomain of it (§3.5).",
        "no_from": "h= does not list From; RFC 6376 §5.4 requires the From field to be signed, so "
        "§6.1.1 says to ignore this signature.",
        "header_name": "h= lists {name}, which is not a header field name.",
        "number": "{tag}={value} is not a number of at most {digits} digits (§3.5).",
        "expiry_order": "x={expiration} is not later than t={timestamp}; §3.5 requires the "
        "expiration to be after the signing time.",
        "query": "q={value} does not include dns/txt, the only way DKIM keys are published (§3.5).",
        "empty_base64": "The {tag}= tag is empty; it must hold base64 data (§3.5).",
    }
)

#: A domain name as RFC 6376 §3.5 writes it (RFC 5321 sub-domains: letters, digits, hyphens).
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
_DIGITS = re.compile(r"[0-9]+\Z")


@dataclass(frozen=True)
class Signature:
    """A DKIM-Signature whose tags are all valid (RFC 6376 §3.5)."""

    tags: TagList
    algorithm: Algorithm
    domain: str
    """``d=``, the signing domain, in lower case."""
    selector: str
    signed_headers: tuple[str, ...]
    """``h=``, in lower case, in order, repeats kept."""
    signature: bytes
    """``b=``, decoded."""
    body_hash: bytes
    """``bh=``, decoded."""
    header_canon: Canon = Canon.SIMPLE
    body_canon: Canon = Canon.SIMPLE
    identity: str = ""
    """``i=``, or ``@`` and the domain when it is absent (§3.5)."""
    body_length: int | None = None
    timestamp: int | None = None
    expiration: int | None = None

    @property
    def identity_domain(self) -> str:
        return self.identity.rpartition("@")[2].lower()


def clock_seconds(now: float | Callable[[], float] | None) -> int:
    """The time ``t=`` and ``x=`` are compared with, in whole seconds since 1970: ``now`` is a
    number, a clock such as ``time.time``, or None for this machine's clock."""
    if now is None:
        return int(time.time())
    return int(now() if callable(now) else now)


def parse_signature(value: str) -> Signature:
    """Read a DKIM-Signature field's value (everything after the colon)."""
    return signature_from_tags(parse_tag_list(value))


def signature_from_tags(tags: TagList) -> Signature:
    """Check the tags of a signature (§3.5, §6.1.1) and return them as a :class:`Signature`."""
    missing = [name for name in REQUIRED_TAGS if name not in tags]
    if missing:
        text = ngettext(
            "The signature has no {names} tag; RFC 6376 §6.1.1 requires v, a, b, bh, d, h and s.",
            "The signature has no {names} tags; RFC 6376 §6.1.1 requires v, a, b, bh, d, h and s.",
            len(missing),
        )
        raise DkimSyntaxError(text.format(names=", ".join(missing)))
    value = {name: tags.get(name) or "" for name in REQUIRED_TAGS}
    if value["v"] != "1":
        raise DkimSyntaxError(MESSAGES["version"].format(value=quoted(value["v"])))
    try:
        algorithm = Algorithm(value["a"].lower())
    except ValueError:
        raise DkimSyntaxError(MESSAGES["algorithm"].format(value=quoted(value["a"]))) from None
    header_canon, body_canon = parse_canonicalization(tags.get("c", "simple/simple") or "")
    domain = check_domain("d", value["d"])
    selector = check_domain("s", value["s"])
    identity = tags.get("i")
    identity = check_identity(identity, domain) if identity is not None else "@" + domain
    timestamp = number_tag(tags, "t", 12)
    expiration = number_tag(tags, "x", 12)
    if timestamp is not None and expiration is not None and expiration <= timestamp:
        raise DkimSyntaxError(
            MESSAGES["expiry_order"].format(expiration=expiration, timestamp=timestamp)
        )
    query = tags.get("q")
    if query is not None and "dns/txt" not in (m.lower() for m in split_colon_list("q", query)):
        raise DkimSyntaxError(MESSAGES["query"].format(value=quoted(query)))
    return Signature(
        tags=tags,
        algorithm=algorithm,
        domain=domain,
        selector=selector,
        signed_headers=_signed_headers(value["h"]),
        signature=base64_tag(tags, "b"),
        body_hash=base64_tag(tags, "bh"),
        header_canon=header_canon,
        body_canon=body_canon,
        identity=identity,
        body_length=number_tag(tags, "l", 76),
        timestamp=timestamp,
        expiration=expiration,
    )


def parse_canonicalization(text: str) -> tuple[Canon, Canon]:
    """``c=``'s value as (header, body): ``relaxed`` alone is relaxed/simple (§3.5)."""
    header, slash, body = text.partition("/")
    try:
        return Canon.from_text(header), (Canon.from_text(body) if slash else Canon.SIMPLE)
    except InputError:
        raise DkimSyntaxError(MESSAGES["canonicalization"].format(value=quoted(text))) from None


def check_domain(tag: str, text: str) -> str:
    """``text`` as a domain name in lower case, or :class:`DkimSyntaxError` (§3.5: d= and s=)."""
    labels = text.split(".")
    if len(text) > 253 or not all(_LABEL.match(label) for label in labels):
        raise DkimSyntaxError(MESSAGES["domain"].format(tag=tag, value=quoted(text)))
    return text.lower()


def check_identity(identity: str, domain: str) -> str:
    """Check that ``i=`` is ``[local-part]@domain`` with its domain within ``d=`` (§3.5)."""
    local, at, identity_domain = identity.rpartition("@")
    if not at or " " in local or "\t" in local:
        raise DkimSyntaxError(MESSAGES["identity_syntax"].format(value=quoted(identity)))
    identity_domain = check_domain("i", identity_domain)
    if identity_domain != domain and not identity_domain.endswith("." + domain):
        raise DkimSyntaxError(
            MESSAGES["identity_domain"].format(
                identity=quoted(identity_domain), domain=quoted(domain)
            )
        )
    return identity


def _signed_headers(value: str) -> tuple[str, ...]:
    names = split_colon_list("h", value)
    for name in names:
        if not is_field_name(name):
            raise DkimSyntaxError(MESSAGES["header_name"].format(name=quoted(name)))
    lowered = tuple(name.lower() for name in names)
    if "from" not in lowered:
        raise DkimSyntaxError(MESSAGES["no_from"])
    return lowered


def number_tag(tags: TagList, name: str, digits: int) -> int | None:
    """Tag ``name`` as a number of at most ``digits`` digits (``t=``, ``x=``, ``l=``), or None."""
    value = tags.get(name)
    if value is None:
        return None
    if not _DIGITS.match(value) or len(value) > digits:
        raise DkimSyntaxError(
            MESSAGES["number"].format(tag=name, value=quoted(value), digits=digits)
        )
    return int(value)


def base64_tag(tags: TagList, name: str) -> bytes:
    """Tag ``name`` decoded from base64 (``b=``, ``bh=``); empty or invalid is a syntax error."""
    value = tags.get(name) or ""
    data = decode_base64(name, value)
    if not data:
        raise DkimSyntaxError(MESSAGES["empty_base64"].format(tag=name))
    return data
