"""Domain names as DMARC compares them, and the organizational domain (RFC 7489 §3.2).

DMARC's relaxed alignment asks whether two domains belong to the same organization:
``mail.example.com`` and ``news.example.com`` do, ``example.com`` and ``example.net`` do not. No
DNS record says where an organization's names begin, so §3.2 uses the Public Suffix List, the
list of names under which anyone may register (``com``, ``co.jp``, ``github.io``):

1. find the longest public suffix the domain ends with (``co.jp`` for ``www.example.co.jp``);
2. the organizational domain is that suffix with one more label: ``example.co.jp``.

The list comes from the ``publicsuffixlist`` package, which ships it inside the wheel, so nothing
is downloaded; its default rule ``*`` makes a name under a top-level domain missing from the list
(``bank.example``) its own organizational domain. Both the ICANN and the private sections are used,
as receivers do: ``alice.github.io`` and ``bob.github.io`` are different organizations.

Where §3.2 is silent: a domain that is itself a public suffix (``co.jp``, ``com``) has no label to
add, and is taken here as its own organizational domain, so it aligns only with itself.

:func:`normalize_domain` brings a name into the one form every comparison uses: lower case, no
final dot, internationalized labels as IDNA A-labels (``例え.jp`` is ``xn--r8jz45g.jp``).
"""

from __future__ import annotations

import functools
import re

from publicsuffixlist import PublicSuffixList

from mailsec.errors import InputError, quoted
from mailsec.i18n import texts

__all__ = ["is_public_suffix", "normalize_domain", "organizational_domain", "public_suffix"]

SECTION = "RFC 7489 §3.2"

#: RFC 1035 §2.3.4: a label is at most 63 octets and a name at most 255 octets on the wire,
#: which is 253 characters written with dots and no final dot.
MAX_LABEL = 63
MAX_NAME = 253

MESSAGES = texts(
    {
        "empty": "The domain name is empty.",
        "empty_label": "{domain} is not a domain name: it has an empty label (two dots in a row, or "
        "a dot at the start).",
        "long_label": "{domain} is not a domain name: the label {label} is longer than 63 characters "
        "(RFC 1035 §2.3.4).",
        "long_name": "{domain} is not a domain name: it is longer than 253 characters "
        "(RFC 1035 §2.3.4).",
        "idna": "{domain} is not a domain name: the label {label} cannot be written in IDNA form "
        "({detail}).",
        "characters": "{domain} is not a domain name: {char} may not appear in one; use letters, "
        "digits and hyphens.",
    }
)

_LABEL = re.compile(r"[a-z0-9_-]+\Z")


@functools.lru_cache(maxsize=1)
def _list() -> PublicSuffixList:
    return PublicSuffixList()


def normalize_domain(domain: str) -> str:
    """``domain`` in lower case, without a final dot, with IDNA A-labels; raise
    :class:`~mailsec.errors.InputError` for what is not a domain name."""
    text = domain.strip()
    if text.endswith("."):
        text = text[:-1]
    if not text:
        raise InputError(MESSAGES["empty"])
    labels = []
    for label in text.split("."):
        labels.append(_label(label, domain))
    name = ".".join(labels)
    if len(name) > MAX_NAME:
        raise InputError(MESSAGES["long_name"].format(domain=quoted(domain)))
    return name


def _label(label: str, domain: str) -> str:
    if not label:
        raise InputError(MESSAGES["empty_label"].format(domain=quoted(domain)))
    if label.isascii():
        ascii_label = label.lower()
    else:
        try:
            ascii_label = label.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            detail = str(exc).rpartition(": ")[2].rstrip(")") or "not valid"
            raise InputError(
                MESSAGES["idna"].format(domain=quoted(domain), label=quoted(label), detail=detail)
            ) from None
    if len(ascii_label) > MAX_LABEL:
        raise InputError(
            MESSAGES["long_label"].format(domain=quoted(domain), label=quoted(label, 20))
        )
    if not _LABEL.match(ascii_label):
        bad = next(c for c in ascii_label if not _LABEL.match(c))
        raise InputError(MESSAGES["characters"].format(domain=quoted(domain), char=quoted(bad)))
    return ascii_label


def public_suffix(domain: str) -> str:
    """The longest public suffix ``domain`` ends with (``co.jp`` for ``www.example.co.jp``)."""
    name = normalize_domain(domain)
    return _list().publicsuffix(name) or name


def is_public_suffix(domain: str) -> bool:
    """Whether ``domain`` is itself a public suffix, where anyone may register names."""
    return public_suffix(domain) == normalize_domain(domain)


def organizational_domain(domain: str) -> str:
    """The organizational domain of ``domain`` (§3.2): its public suffix and one more label.

    A public suffix itself is its own organizational domain (see the module docstring).
    """
    name = normalize_domain(domain)
    return _list().privatesuffix(name) or name
