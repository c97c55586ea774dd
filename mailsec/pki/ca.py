"""Making the course CA, its S/MIME certificates (RFC 5280, RFC 8550 §4.4) and server certificates.

A real CA checks who you are before it signs your certificate; the course CA signs whatever the
course asks for, which is exactly why learners must never trust it outside the course. Keys are
generated at run time (tests, notebooks and ``mailsec pki init`` all do so); nothing secret is
stored in the repository.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mailsec.errors import InputError
from mailsec.i18n import texts

__all__ = [
    "LOOPBACK_NAMES",
    "CoursePKI",
    "Identity",
    "KeyType",
    "PrivateKey",
    "course_pki",
    "issue_server_certificate",
    "issue_smime_certificate",
    "load_certificate",
    "load_certificates",
    "load_private_key",
    "make_ca",
]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

#: RSA modulus size: RFC 8551 §2.3 says receivers must handle 2048 to 4096 bits.
RSA_BITS = 2048

#: The names of the course's servers on this machine: clients reach them as ``localhost`` or by
#: address, and a certificate must name what the client asked for (RFC 6125 §6.4, §6.2.1).
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

#: A DNS name as certificates carry it (RFC 5280 §4.2.1.6, preferred syntax of RFC 1034 §3.5),
#: in ASCII, with a wildcard allowed only as the whole first label (RFC 6125 §6.4.3).
_DNS_NAME = re.compile(
    r"(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?"
)

MESSAGES = texts(
    {
        "no_names": "A server certificate needs at least one host name or address, like "
        "'localhost'.",
        "bad_name": "{name!r} is neither an IP address nor a host name; write it like "
        "mail.example.org or 127.0.0.1.",
        "bad_email": "{email!r} is not a mail address; write it like alice@example.org.",
        "reversed": "The certificate would end ({end}) before it begins ({begin}).",
        "naive_time": "The time {time!r} has no time zone; pass an aware datetime.",
        "the_input": "the input",
        "not_certificate": "{source} is not a readable certificate (corrupt PEM or DER); give a "
        "file that starts with -----BEGIN CERTIFICATE-----.",
        "password": "{source} is protected by a password; give an unencrypted key for the course.",
        "not_key": "{source} is not a readable private key (corrupt PEM or DER); give a file "
        "that starts with -----BEGIN PRIVATE KEY-----.",
        "odd_key": "{source} holds a kind of key the course does not use.",
        "not_rsa_or_ec": "{source} is not an RSA or EC key; S/MIME here needs one of those.",
        "key_types": {"rsa": "RSA 2048-bit", "ec-p256": "EC P-256 (ECDSA / ECDH)"},
    }
)
"""The sentences this module says (see :mod:`mailsec.i18n`); ``source`` names a file in the
caller's words (``The key file 'alice.key.pem'``), ``the_input`` when it names none."""


class KeyType(enum.Enum):
    """The kinds of key the course CA issues certificates for."""

    RSA = "rsa"
    """RSA-2048: key transport (the recipient's key encrypts the content key) and RSA signatures."""
    EC_P256 = "ec-p256"
    """ECDSA/ECDH on NIST P-256: key agreement (RFC 5753) and ECDSA signatures."""

    @property
    def description(self) -> str:
        return str(MESSAGES["key_types"][self.value])

    def generate(self) -> PrivateKey:
        """A fresh private key of this type (from the operating system's randomness)."""
        if self is KeyType.RSA:
            return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        return ec.generate_private_key(ec.SECP256R1())


@dataclass(frozen=True)
class Identity:
    """A name with its private key and certificate (a CA, or a mail user)."""

    name: str
    """A short name for people: ``"Alice"``, ``"Course Root CA"``."""
    key: PrivateKey = field(repr=False)
    certificate: x509.Certificate
    email: str | None = None
    """The address in the certificate (None for a CA)."""

    @property
    def key_type(self) -> KeyType:
        return KeyType.RSA if isinstance(self.key, rsa.RSAPrivateKey) else KeyType.EC_P256

    def key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (for the course only: keep it private)."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class CoursePKI:
    """The course's certificates: a trusted root, two users, and three that must fail."""

    ca: Identity
    """The course root CA: the one certificate learners are told to trust."""
    alice: Identity
    """alice@example.org, RSA key."""
    bob: Identity
    """bob@example.net, EC P-256 key."""
    expired: Identity
    """A certificate for alice@example.org whose validity ended before ``now``."""
    wrong_address: Identity
    """A valid certificate for carol@example.com, for mail that claims to be from Alice."""
    unknown_ca: Identity
    """A certificate for alice@example.org signed by a CA nobody trusts."""
    unknown_root: Identity
    """The CA that signed ``unknown_ca`` (not in the trust store)."""

    @property
    def users(self) -> Mapping[str, Identity]:
        """The certificates by role, good ones first."""
        return {
            "alice": self.alice,
            "bob": self.bob,
            "expired": self.expired,
            "wrong_address": self.wrong_address,
            "unknown_ca": self.unknown_ca,
        }


def _name(common_name: str) -> x509.Name:
    # RFC 8550 §3: the address goes in subjectAltName, not in the subject's emailAddress.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailsec course"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _now(now: dt.datetime | None) -> dt.datetime:
    value = now or dt.datetime.now(dt.timezone.utc)
    if value.tzinfo is None:
        raise InputError(MESSAGES["naive_time"].format(time=value.isoformat()))
    return value.replace(microsecond=0)


def make_ca(
    common_name: str = "mailsec Course Root CA",
    *,
    key_type: KeyType = KeyType.EC_P256,
    now: dt.datetime | None = None,
    valid_days: int = 3650,
) -> Identity:
    """A self-signed root CA certificate (RFC 5280 §4.2.1.9 basicConstraints cA=TRUE)."""
    start = _now(now)
    key = key_type.generate()
    name = _name(common_name)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - dt.timedelta(days=1))
        .not_valid_after(start + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return Identity(common_name, key, cert)


def issue_smime_certificate(
    ca: Identity,
    *,
    email: str,
    common_name: str,
    key_type: KeyType = KeyType.RSA,
    now: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key: PrivateKey | None = None,
) -> Identity:
    """A new key and an S/MIME certificate for ``email``, signed by ``ca``.

    The certificate follows RFC 8550 §4.4: the address is an rfc822Name in subjectAltName
    (§4.4.3), the extended key usage is emailProtection (§4.4.4), and the key usage fits the key:
    digitalSignature plus keyEncipherment for RSA (key transport) or keyAgreement for EC (ECDH,
    RFC 5753). By default it is valid from a day before ``now`` for a year.
    """
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        raise InputError(MESSAGES["bad_email"].format(email=email))
    begin, end = _validity(now, not_before, not_after)
    key = key or key_type.generate()
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    cert = _sign_end_entity(
        ca,
        key,
        common_name,
        (begin, end),
        _key_usage(is_rsa=is_rsa, key_agreement=not is_rsa),
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
        [x509.RFC822Name(email)],
    )
    return Identity(common_name, key, cert, email)


def _validity(
    now: dt.datetime | None, not_before: dt.datetime | None, not_after: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """The validity period of an end-entity certificate: by default from a day before ``now``
    for a year."""
    start = _now(now)
    begin = not_before or start - dt.timedelta(days=1)
    end = not_after or start + dt.timedelta(days=365)
    if end <= begin:
        raise InputError(MESSAGES["reversed"].format(end=end.isoformat(), begin=begin.isoformat()))
    return begin, end


def _subject_names(hostnames: Iterable[str]) -> list[x509.GeneralName]:
    """Each name as a subjectAltName entry: an address as an iPAddress, a host name as a
    dNSName (RFC 5280 §4.2.1.6); anything else is refused with a sentence."""
    names: list[x509.GeneralName] = []
    for name in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
            continue
        except ValueError:
            pass
        if len(name) > 253 or not _DNS_NAME.fullmatch(name):
            raise InputError(MESSAGES["bad_name"].format(name=name))
        names.append(x509.DNSName(name.rstrip(".").lower()))
    if not names:
        raise InputError(MESSAGES["no_names"])
    return list(dict.fromkeys(names))  # each name once, in the order given


def issue_server_certificate(
    ca: Identity,
    hostnames: Iterable[str] = LOOPBACK_NAMES,
    *,
    key_type: KeyType = KeyType.EC_P256,
    now: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key: PrivateKey | None = None,
) -> Identity:
    """A new key and a TLS server certificate for ``hostnames``, signed by ``ca``.

    For the course's POP3S, IMAPS and STARTTLS servers (RFC 8314, RFC 2595): the names are in
    subjectAltName, host names as dNSName and addresses as iPAddress (RFC 5280 §4.2.1.6; clients
    match only these, RFC 6125 §6.4.4 and RFC 9525 §6.3), the extended key usage is serverAuth
    (RFC 5280 §4.2.1.12) and the key usage fits the key: digitalSignature, plus keyEncipherment
    for RSA. By default the names are those of this machine (:data:`LOOPBACK_NAMES`) and the
    certificate is valid from a day before ``now`` for a year.
    """
    names = _subject_names(hostnames)
    begin, end = _validity(now, not_before, not_after)
    key = key or key_type.generate()
    common_name = str(names[0].value)  # for people: clients read only subjectAltName
    usage = _key_usage(is_rsa=isinstance(key, rsa.RSAPrivateKey), key_agreement=False)
    cert = _sign_end_entity(
        ca, key, common_name, (begin, end), usage, ExtendedKeyUsageOID.SERVER_AUTH, names
    )
    return Identity(common_name, key, cert)


def _sign_end_entity(
    ca: Identity,
    key: PrivateKey,
    common_name: str,
    validity: tuple[dt.datetime, dt.datetime],
    usage: x509.KeyUsage,
    purpose: x509.ObjectIdentifier,
    names: list[x509.GeneralName],
) -> x509.Certificate:
    """An end-entity certificate for ``key`` signed by ``ca`` (RFC 5280 §4.2): not a CA, the
    key usage (critical) and one extended key usage, the names in subjectAltName, and key
    identifiers that link it to its issuer."""
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )


def _key_usage(*, is_rsa: bool, key_agreement: bool) -> x509.KeyUsage:
    """The key usage of an end entity: digitalSignature always (S/MIME signatures, ECDHE
    handshakes), keyEncipherment for an RSA key (key transport: S/MIME's content key, RFC 5246's
    RSA key exchange), keyAgreement when asked (S/MIME's ECDH, RFC 5753)."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=is_rsa,
        data_encipherment=False,
        key_agreement=key_agreement,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def course_pki(*, now: dt.datetime | None = None) -> CoursePKI:
    """Make the whole course PKI in one call (fresh keys every time; takes a fraction of a second).

    - ``ca``: "mailsec Course Root CA" (EC P-256), the trust anchor;
    - ``alice``: alice@example.org, RSA-2048; ``bob``: bob@example.net, EC P-256;
    - ``expired``: alice@example.org, valid for 30 days ending 10 days before ``now``;
    - ``wrong_address``: a good certificate, but for carol@example.com;
    - ``unknown_ca``: alice@example.org, issued by "Unknown Root CA" (``unknown_root``).
    """
    start = _now(now)
    ca = make_ca(now=start)
    alice = issue_smime_certificate(
        ca, email="alice@example.org", common_name="Alice", key_type=KeyType.RSA, now=start
    )
    bob = issue_smime_certificate(
        ca, email="bob@example.net", common_name="Bob", key_type=KeyType.EC_P256, now=start
    )
    expired = issue_smime_certificate(
        ca,
        email="alice@example.org",
        common_name="Alice (expired)",
        key_type=KeyType.EC_P256,
        not_before=start - dt.timedelta(days=40),
        not_after=start - dt.timedelta(days=10),
    )
    wrong = issue_smime_certificate(
        ca, email="carol@example.com", common_name="Carol", key_type=KeyType.EC_P256, now=start
    )
    unknown_root = make_ca("Unknown Root CA", now=start)
    unknown = issue_smime_certificate(
        unknown_root,
        email="alice@example.org",
        common_name="Alice (unknown CA)",
        key_type=KeyType.EC_P256,
        now=start,
    )
    return CoursePKI(ca, alice, bob, expired, wrong, unknown, unknown_root)


# -- loading PEM ---------------------------------------------------------------------------------


def load_certificates(data: bytes, *, source: str | None = None) -> tuple[x509.Certificate, ...]:
    """All certificates in PEM (or one in DER) ``data``; a clear InputError if there are none.
    ``source`` names the data in the error (default: the input), capitalized as a sentence's
    subject and in the current language."""
    try:
        if b"-----BEGIN" in data:
            certs = tuple(x509.load_pem_x509_certificates(data))
        else:
            certs = (x509.load_der_x509_certificate(data),)
        for cert in certs:
            _read_every_field(cert)
    except Exception:  # ValueError, UnsupportedAlgorithm ... on corrupt or odd certificates
        raise InputError(
            MESSAGES["not_certificate"].format(source=source or MESSAGES["the_input"])
        ) from None
    return certs


def _read_every_field(cert: x509.Certificate) -> None:
    """cryptography parses a certificate's fields lazily, on first use: parse them all now, so a
    damaged field is found here, where it is reported, and not later in a caller."""
    _ = (cert.subject, cert.issuer, cert.serial_number, cert.public_key())
    _ = (cert.not_valid_before_utc, cert.not_valid_after_utc, list(cert.extensions))


def load_certificate(data: bytes, *, source: str | None = None) -> x509.Certificate:
    """The first certificate in PEM or DER ``data``."""
    return load_certificates(data, source=source)[0]


def load_private_key(data: bytes, *, source: str | None = None) -> PrivateKey:
    """An unencrypted RSA or EC private key from PEM or DER ``data`` (``source``: see
    :func:`load_certificates`)."""
    source = source or MESSAGES["the_input"]
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(data, password=None)
    except TypeError:
        raise InputError(MESSAGES["password"].format(source=source)) from None
    except ValueError:
        raise InputError(MESSAGES["not_key"].format(source=source)) from None
    except Exception:  # cryptography raises UnsupportedAlgorithm for odd key types
        raise InputError(MESSAGES["odd_key"].format(source=source)) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InputError(MESSAGES["not_rsa_or_ec"].format(source=source))
    return key
