"""The course's own DKIM keys: one signing key per domain of the example zone, made at run time.

The example zone (``mailsec/data/spf/example.zone``) holds the SPF and DMARC records of the
course's domains; their DKIM key records need keys, and no private key is stored in the
repository. So the keys are made the first time the course needs them (once per kernel or
process) and their records are added to the zone text: :func:`course_resolver` answers SPF,
DKIM and DMARC questions offline, and :func:`sign_as` signs as any course domain.

Two selectors show what a key record can say besides the key: ``example.com``'s ``test``
selector carries ``t=y`` (the domain is testing DKIM), and ``bank.example``'s ``2024`` selector
is revoked (an empty ``p=``, RFC 6376 §3.6.1), as a domain does when it retires a key.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from mailsec.dkim.keys import key_record, zone_entry
from mailsec.dkim.sign import sign
from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.spf.zone import ZoneResolver, example_zone_text

__all__ = [
    "COURSE_SELECTORS",
    "CourseSigner",
    "course_resolver",
    "course_signers",
    "course_zone_text",
    "seal_as",
    "sign_as",
]

#: Each course domain's selector and algorithm. The bank signs with RSA, as most banks do;
#: the others with Ed25519 (RFC 8463), whose keys are made in a moment.
COURSE_SELECTORS: Mapping[str, tuple[str, str]] = {
    "example.com": ("mail", "ed25519-sha256"),
    "bank.example": ("2026", "rsa-sha256"),
    "evil.example": ("s1", "ed25519-sha256"),
    "university.example": ("uni", "ed25519-sha256"),
    "lists.example": ("list", "ed25519-sha256"),
    "mailhost.example": ("mh", "ed25519-sha256"),
    "example.co.jp": ("jp", "ed25519-sha256"),
    "mailprovider.example": ("mp2026", "ed25519-sha256"),
}

MESSAGES = texts(
    {
        "unknown": "{domain!r} has no DKIM key in the course zone; the course domains that sign are: "
        "{known}.",
    }
)


@dataclass(frozen=True)
class CourseSigner:
    """A course domain's DKIM selector and private key (made at run time, never stored)."""

    domain: str
    selector: str
    algorithm: str
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

    @property
    def record(self) -> str:
        """The key record published at ``<selector>._domainkey.<domain>``."""
        return key_record(self.key)


@functools.cache
def course_signers() -> dict[str, CourseSigner]:
    """Every course domain's signer; the keys are made on the first call and then kept."""
    signers = {}
    for domain, (selector, algorithm) in COURSE_SELECTORS.items():
        if algorithm == "rsa-sha256":
            key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey = rsa.generate_private_key(
                public_exponent=65537, key_size=2048
            )
        else:
            key = ed25519.Ed25519PrivateKey.generate()
        signers[domain] = CourseSigner(domain, selector, algorithm, key)
    return signers


@functools.cache
def _testing_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def course_zone_text() -> str:
    """The example zone with the course's DKIM key records added (and the two special ones)."""
    lines = [
        zone_entry(s.selector, s.domain, s.record) for s in course_signers().values()
    ]  # fmt: skip
    lines.append(zone_entry("test", "example.com", key_record(_testing_key(), testing=True)))
    lines.append(zone_entry("2024", "bank.example", "v=DKIM1; k=rsa; p="))
    return example_zone_text() + "\n; DKIM keys made at run time\n" + "\n".join(lines) + "\n"


@functools.cache
def course_resolver() -> ZoneResolver:
    """The offline resolver over :func:`course_zone_text` (built once, then shared)."""
    return ZoneResolver.from_text(course_zone_text())


def sign_as(domain: str, message: bytes, *, testing: bool = False, **options: Any) -> bytes:
    """``message`` signed by ``domain``'s course key (``options`` as :func:`mailsec.dkim.sign`
    takes them: canonicalization, headers, body_length ...). With ``testing``, example.com signs
    with its ``test`` selector, whose record says ``t=y``."""
    signers = course_signers()
    if domain not in signers:
        raise InputError(MESSAGES["unknown"].format(domain=domain, known=", ".join(signers)))
    selector, key = signers[domain].selector, signers[domain].key
    if testing and domain == "example.com":
        selector, key = "test", _testing_key()
    return sign(message, domain=domain, selector=selector, private_key=key, **options)


def seal_as(domain: str, message: bytes, **options: Any) -> bytes:
    """``message`` with one more ARC set sealed by ``domain``'s course key (``options`` as
    :func:`mailsec.arc.seal` takes them: authserv_id, results, now, chain, resolver ...)."""
    from mailsec import arc  # ARC builds on DKIM: imported when used, not with this module

    signers = course_signers()
    if domain not in signers:
        raise InputError(MESSAGES["unknown"].format(domain=domain, known=", ".join(signers)))
    signer = signers[domain]
    return arc.seal(
        message,
        domain=domain,
        selector=signer.selector,
        private_key=signer.key,
        **options,
    )
