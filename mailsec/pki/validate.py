"""Checking a certificate for S/MIME: dates, purpose, address and a chain to a trusted root.

The chain itself is built and checked by :mod:`cryptography.x509.verification` (RFC 5280 §6 path
validation) with an end-entity policy that requires the emailProtection purpose (RFC 8550 §4.4.4);
the default client policy would ask for clientAuth instead. The checks before it (dates, purpose,
address) are done here as well so that a failure can be named in words a learner understands.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID

from mailsec.i18n import texts
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "CertificateCheck",
    "CertificateStatus",
    "certificate_addresses",
    "check_certificate",
    "describe_name",
]


TEXT = texts(
    {
        "statuses": {
            "valid": "valid for S/MIME",
            "expired": "expired",
            "not yet valid": "not valid yet",
            "untrusted": "not issued by a trusted CA",
            "wrong purpose": "not issued for email",
            "wrong address": "issued for a different address",
        },
        "empty_name": "(empty name)",
        "not_email": "the certificate is not issued for emailProtection",
        "certificate": "Certificate for {subject}, issued by {issuer}, serial {serial}.",
        "no_trust": "No root CA is trusted here, so no chain can be built.",
        "no_chain": "No chain to a trusted root CA: {detail}.",
        "chain": "Chain verified: {names}.",
        "period": "{start} to {end} UTC",
        "not_yet": "Valid from {period}: not valid yet.",
        "expired": "Valid from {period}: it has expired.",
        "in_date": "Valid from {period}: in date.",
        "no_eku": "Extended key usage does not include emailProtection.",
        "eku": "Issued for email protection (EKU).",
        "no_address": "no address",
        "wrong_address": "The certificate names {addresses}, not {email}.",
        "address": "The certificate names {email}.",
    }
)
"""The checks' words (see :mod:`mailsec.i18n`); ``detail`` is cryptography's own reason, in
English."""


class CertificateStatus(enum.Enum):
    """The verdict on a certificate for S/MIME use."""

    VALID = "valid"
    """Chains to a trusted root, in date, for email protection (and the address matches)."""
    EXPIRED = "expired"
    """Its validity period ended before the time of the check (RFC 5280 §4.1.2.5)."""
    NOT_YET_VALID = "not yet valid"
    """Its validity period begins after the time of the check (RFC 5280 §4.1.2.5)."""
    UNTRUSTED = "untrusted"
    """No chain leads from it to a root CA the checker trusts (RFC 5280 §6)."""
    WRONG_PURPOSE = "wrong purpose"
    """It is not issued for email protection (RFC 8550 §4.4.4)."""
    WRONG_ADDRESS = "wrong address"
    """It is for a different mail address than the one expected (RFC 8550 §3)."""

    @property
    def description(self) -> str:
        return str(TEXT["statuses"][self.value])


@dataclass(frozen=True)
class CertificateCheck:
    """The result of :func:`check_certificate`."""

    status: CertificateStatus
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    """The verified chain, leaf first (empty when the chain did not verify)."""
    addresses: tuple[str, ...]
    """The rfc822Name addresses in the certificate's subjectAltName."""
    steps: Trace

    @property
    def valid(self) -> bool:
        return self.status is CertificateStatus.VALID


def describe_name(name: x509.Name) -> str:
    """A readable form of a distinguished name (RFC 4514 string)."""
    return name.rfc4514_string() or TEXT["empty_name"]


def certificate_addresses(cert: x509.Certificate) -> tuple[str, ...]:
    """The rfc822Name entries of subjectAltName (RFC 8550 §3: where S/MIME looks for addresses)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(san.get_values_for_type(x509.RFC822Name))


def _has_email_purpose(cert: x509.Certificate) -> bool:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return (
        ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
        or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku
    )


def _require_email_protection(
    _policy: object, _cert: object, eku: x509.ExtendedKeyUsage | None
) -> None:
    if eku is None or ExtendedKeyUsageOID.EMAIL_PROTECTION not in eku:
        raise ValueError(TEXT["not_email"])


def _verifier(trusted: Sequence[x509.Certificate], now: dt.datetime) -> verification.ClientVerifier:
    ee_policy = verification.ExtensionPolicy.permit_all().require_present(
        x509.ExtendedKeyUsage, verification.Criticality.AGNOSTIC, _require_email_protection
    )
    return (
        verification.PolicyBuilder()
        .store(verification.Store(list(trusted)))
        .time(now)
        .extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy
        )
        .build_client_verifier()
    )


def check_certificate(
    cert: x509.Certificate,
    *,
    trusted: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    email: str | None = None,
    now: dt.datetime | None = None,
) -> CertificateCheck:
    """Is ``cert`` good for S/MIME mail, as seen by someone who trusts ``trusted``?

    ``email`` is the address the certificate should carry (the From: of a signed message);
    ``now`` is the time of the check (default: the current time).
    """
    when = now or dt.datetime.now(dt.timezone.utc)
    addresses = certificate_addresses(cert)
    steps: list[Step] = [
        Step(
            TEXT["certificate"].format(
                subject=describe_name(cert.subject),
                issuer=describe_name(cert.issuer),
                serial=f"{cert.serial_number:x}",
            ),
            section="RFC 5280 §4.1",
        )
    ]

    problem = (
        _dates_problem(cert, when, steps)
        or _purpose_problem(cert, steps)
        or _address_problem(addresses, email, steps)
    )
    if problem is not None:
        return CertificateCheck(problem, cert, (), addresses, tuple(steps))
    if not trusted:
        steps.append(Step(TEXT["no_trust"], Outcome.FAIL, "RFC 5280 §6"))
        return CertificateCheck(CertificateStatus.UNTRUSTED, cert, (), addresses, tuple(steps))
    try:
        verified = _verifier(trusted, when).verify(cert, list(intermediates))
    except verification.VerificationError as exc:
        steps.append(
            Step(
                TEXT["no_chain"].format(detail=exc),
                Outcome.FAIL,
                "RFC 5280 §6",
                data={"detail": str(exc)},
            )
        )
        return CertificateCheck(CertificateStatus.UNTRUSTED, cert, (), addresses, tuple(steps))
    chain = tuple(verified.chain)
    names = " → ".join(describe_name(c.subject) for c in chain)
    steps.append(Step(TEXT["chain"].format(names=names), Outcome.OK, "RFC 5280 §6"))
    return CertificateCheck(CertificateStatus.VALID, cert, chain, addresses, tuple(steps))


def _dates_problem(
    cert: x509.Certificate, when: dt.datetime, steps: list[Step]
) -> CertificateStatus | None:
    """The validity period (RFC 5280 §4.1.2.5)."""
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    period = TEXT["period"].format(start=f"{start:%Y-%m-%d %H:%M}", end=f"{end:%Y-%m-%d %H:%M}")
    if when < start:
        steps.append(Step(TEXT["not_yet"].format(period=period), Outcome.FAIL, "RFC 5280 §4.1.2.5"))
        return CertificateStatus.NOT_YET_VALID
    if when > end:
        steps.append(Step(TEXT["expired"].format(period=period), Outcome.FAIL, "RFC 5280 §4.1.2.5"))
        return CertificateStatus.EXPIRED
    steps.append(Step(TEXT["in_date"].format(period=period), Outcome.OK, "RFC 5280 §4.1.2.5"))
    return None


def _purpose_problem(cert: x509.Certificate, steps: list[Step]) -> CertificateStatus | None:
    """The extended key usage must allow email protection (RFC 8550 §4.4.4)."""
    if not _has_email_purpose(cert):
        steps.append(Step(TEXT["no_eku"], Outcome.FAIL, "RFC 8550 §4.4.4"))
        return CertificateStatus.WRONG_PURPOSE
    steps.append(Step(TEXT["eku"], Outcome.OK, "RFC 8550 §4.4.4"))
    return None


def _address_problem(
    addresses: tuple[str, ...], email: str | None, steps: list[Step]
) -> CertificateStatus | None:
    """The certificate must name the sender's address, when one is given (RFC 8550 §3)."""
    if email is None:
        return None
    if email.strip().lower() not in (a.lower() for a in addresses):
        shown = ", ".join(addresses) or TEXT["no_address"]
        steps.append(
            Step(
                TEXT["wrong_address"].format(addresses=shown, email=email),
                Outcome.FAIL,
                "RFC 8550 §3",
            )
        )
        return CertificateStatus.WRONG_ADDRESS
    steps.append(Step(TEXT["address"].format(email=email), Outcome.OK, "RFC 8550 §3"))
    return None
