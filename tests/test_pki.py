"""The course CA and S/MIME certificate checks (RFC 5280, RFC 8550)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mailsec.errors import InputError
from mailsec.pki import (
    CertificateStatus,
    KeyType,
    check_certificate,
    course_pki,
    issue_smime_certificate,
    load_certificate,
    load_certificates,
    load_private_key,
    make_ca,
)
from mailsec.pki.validate import _verifier, certificate_addresses

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def pki():
    return course_pki(now=NOW)


def test_user_certificates_follow_rfc8550(pki):
    """RFC 8550 §4.4.3/§4.4.4, RFC 5280 §4.2.1.3: SAN rfc822Name, EKU emailProtection, key usage."""
    for user, address in ((pki.alice, "alice@example.org"), (pki.bob, "bob@example.net")):
        cert = user.certificate
        assert certificate_addresses(cert) == (address,)
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(eku) == [ExtendedKeyUsageOID.EMAIL_PROTECTION]
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical
        assert usage.value.digital_signature
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        assert basic.ca is False
        assert cert.issuer == pki.ca.certificate.subject
    # RSA keys transport the content key; EC keys agree on one (RFC 8550 §4.4.2).
    alice_usage = pki.alice.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    bob_usage = pki.bob.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert alice_usage.key_encipherment and not alice_usage.key_agreement
    assert bob_usage.key_agreement and not bob_usage.key_encipherment
    assert isinstance(pki.alice.key, rsa.RSAPrivateKey) and pki.alice.key.key_size == 2048
    assert isinstance(pki.bob.key, ec.EllipticCurvePrivateKey)
    assert pki.bob.key.curve.name == "secp256r1"
    assert pki.alice.key_type is KeyType.RSA and pki.bob.key_type is KeyType.EC_P256


def test_root_ca_is_a_ca(pki):
    """RFC 5280 §4.2.1.9 and §4.2.1.3: cA=TRUE and keyCertSign on the root."""
    cert = pki.ca.certificate
    assert cert.issuer == cert.subject
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign


@pytest.mark.parametrize(
    ("role", "email", "status"),
    [
        ("alice", "alice@example.org", CertificateStatus.VALID),
        ("bob", "bob@example.net", CertificateStatus.VALID),
        ("alice", None, CertificateStatus.VALID),
        ("expired", "alice@example.org", CertificateStatus.EXPIRED),
        ("wrong_address", "alice@example.org", CertificateStatus.WRONG_ADDRESS),
        ("unknown_ca", "alice@example.org", CertificateStatus.UNTRUSTED),
    ],
)
def test_check_certificate_statuses(pki, role, email, status):
    """RFC 5280 §4.1.2.5 (dates), §6 (chain); RFC 8550 §3 (address)."""
    check = check_certificate(
        pki.users[role].certificate, trusted=[pki.ca.certificate], email=email, now=NOW
    )
    assert check.status is status
    assert check.valid is (status is CertificateStatus.VALID)
    outcomes = [s.outcome.value for s in check.steps]
    assert ("fail" in outcomes) is (status is not CertificateStatus.VALID)
    if check.valid:
        assert check.chain == (pki.users[role].certificate, pki.ca.certificate)
    else:
        assert check.chain == ()


def test_address_comparison_ignores_case(pki):
    """RFC 8550 §3: addresses are compared case-insensitively in practice (domain part)."""
    check = check_certificate(
        pki.alice.certificate, trusted=[pki.ca.certificate], email="Alice@Example.ORG", now=NOW
    )
    assert check.valid


def test_not_yet_valid_and_expired_by_clock(pki):
    """RFC 5280 §4.1.2.5: the clock is passed in."""
    before = check_certificate(
        pki.alice.certificate, trusted=[pki.ca.certificate], now=NOW - dt.timedelta(days=3)
    )
    after = check_certificate(
        pki.alice.certificate, trusted=[pki.ca.certificate], now=NOW + dt.timedelta(days=400)
    )
    assert before.status is CertificateStatus.NOT_YET_VALID
    assert after.status is CertificateStatus.EXPIRED


def _client_auth_certificate(ca):
    key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Client")]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name("client@example.org")]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )


def test_wrong_purpose_is_refused(pki):
    """RFC 8550 §4.4.4: a certificate without emailProtection is not for S/MIME."""
    cert = _client_auth_certificate(pki.ca)
    check = check_certificate(cert, trusted=[pki.ca.certificate], now=NOW)
    assert check.status is CertificateStatus.WRONG_PURPOSE
    # The chain policy enforces it as well, not only the readable pre-check.
    with pytest.raises(verification.VerificationError):
        _verifier([pki.ca.certificate], NOW).verify(cert, [])
    assert _verifier([pki.ca.certificate], NOW).verify(pki.alice.certificate, []).chain


def test_issue_extra_certificate(pki):
    dave = issue_smime_certificate(
        pki.ca, email="dave@example.org", common_name="Dave", key_type=KeyType.EC_P256, now=NOW
    )
    assert dave.email == "dave@example.org"
    assert check_certificate(
        dave.certificate, trusted=[pki.ca.certificate], email="dave@example.org", now=NOW
    ).valid


@pytest.mark.parametrize("address", ["dave", "@example.org", "dave@", "da ve@example.org"])
def test_issue_rejects_bad_addresses(pki, address):
    with pytest.raises(InputError, match="is not a mail address"):
        issue_smime_certificate(pki.ca, email=address, common_name="Dave", now=NOW)


def test_issue_rejects_backwards_validity(pki):
    with pytest.raises(InputError, match="would end"):
        issue_smime_certificate(
            pki.ca,
            email="dave@example.org",
            common_name="Dave",
            not_before=NOW,
            not_after=NOW - dt.timedelta(days=1),
        )


def test_naive_time_is_rejected():
    with pytest.raises(InputError, match="has no time zone"):
        make_ca(now=dt.datetime(2026, 1, 1))


def test_pem_round_trip(pki):
    assert load_certificate(pki.bob.certificate_pem()) == pki.bob.certificate
    assert load_certificate(pki.bob.certificate.public_bytes(serialization.Encoding.DER)) == (
        pki.bob.certificate
    )
    both = pki.alice.certificate_pem() + pki.ca.certificate_pem()
    assert load_certificates(both) == (pki.alice.certificate, pki.ca.certificate)
    key = load_private_key(pki.alice.key_pem())
    assert key.private_numbers() == pki.alice.key.private_numbers()


def test_corrupt_pem_is_named():
    broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(InputError) as caught:
        load_certificate(broken, source="The file 'x.pem'")
    assert caught.value.message == (
        "The file 'x.pem' is not a readable certificate (corrupt PEM or DER); "
        "give a file that starts with -----BEGIN CERTIFICATE-----."
    )
    with pytest.raises(InputError, match="is not a readable private key"):
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_password_protected_key_is_named(pki):
    pem = pki.bob.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(InputError, match="protected by a password"):
        load_private_key(pem)


def test_course_pki_is_fresh_each_time(pki):
    """Keys are generated at run time, never fixed."""
    other = course_pki(now=NOW)
    assert other.alice.certificate.public_key() != pki.alice.certificate.public_key()


def test_no_trusted_root_means_untrusted_not_an_error() -> None:
    """RFC 5280 §6: with no trust anchor there is no valid path."""
    from mailsec.pki import course_pki
    from mailsec.pki.validate import CertificateStatus, check_certificate

    pki = course_pki()
    check = check_certificate(pki.alice.certificate, trusted=[])
    assert check.status is CertificateStatus.UNTRUSTED
    assert "No root CA is trusted" in check.steps[-1].text


def test_a_certificate_damaged_inside_is_refused_when_read_not_when_used() -> None:
    """cryptography parses fields lazily: a damaged issuer must fail in load_certificate."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    from mailsec.errors import InputError
    from mailsec.pki.ca import load_certificate

    der = course_pki().alice.certificate.public_bytes(serialization.Encoding.DER)
    issuer = asn1_x509.Certificate.load(der)["tbs_certificate"]["issuer"].dump()
    at = der.index(issuer)
    damaged = der[:at] + b"\x8c" + der[at + 1 :]  # the issuer's SEQUENCE tag becomes [12]
    with pytest.raises(InputError, match="not a readable certificate"):
        load_certificate(damaged)
