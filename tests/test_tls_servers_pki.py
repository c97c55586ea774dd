"""TLS on the chapter 01 servers, without a network: the server certificate the course CA
issues (RFC 5280, RFC 6125), what the pure POP3 and IMAP sessions offer and refuse before and
after TLS (RFC 2595 §4, RFC 3501 §6.2.1 and §7.2.1), and the checks on certificate and key files.
The servers themselves over TLS are in ``test_tls_servers.py``."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID
from test_tls_servers import write_pem

from mailsec.errors import InputError
from mailsec.pki.ca import LOOPBACK_NAMES, issue_server_certificate, make_ca
from mailsec.retrieval import imap, pop3
from mailsec.retrieval.maildir import MailStore
from mailsec.retrieval.sasl import ConnectionSecurity
from mailsec.retrieval.servers import MailServers, ServerTls

# -- the certificate: issued by the course CA for this machine's names (RFC 5280, RFC 6125) ---


def test_server_certificate_names_this_machine_for_server_auth() -> None:
    ca = make_ca()
    server = issue_server_certificate(ca)
    cert = server.certificate
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    store = verification.Store([ca.certificate])
    for name in (x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))):
        verifier = verification.PolicyBuilder().store(store).build_server_verifier(name)
        assert verifier.verify(cert, [])[-1] == ca.certificate


def test_server_certificate_for_other_names_and_bad_names() -> None:
    ca = make_ca()
    cert = issue_server_certificate(ca, ["mail.example.org", "192.0.2.7"]).certificate
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["mail.example.org"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("192.0.2.7")]
    with pytest.raises(InputError, match="needs at least one host name or address"):
        issue_server_certificate(ca, [])
    with pytest.raises(InputError) as caught:
        issue_server_certificate(ca, ["mail server"])
    assert caught.value.message == (
        "'mail server' is neither an IP address nor a host name; write it like "
        "mail.example.org or 127.0.0.1."
    )
    assert LOOPBACK_NAMES == ("localhost", "127.0.0.1", "::1")


# -- the pure sessions: what is offered and refused, before and after TLS -----------------------


def test_without_tls_nothing_changes(tmp_path: Path) -> None:
    """No TLS options: STLS and STARTTLS are unknown commands, as before chapter 08."""
    store = MailStore(tmp_path / "M")
    session = pop3.Pop3Session(store, user="alice", password="secret")
    assert session.handle(b"STLS").to_wire() == b"-ERR Unknown command.\r\n"
    assert b"STLS" not in session.handle(b"CAPA").to_wire()
    reader = imap.ImapSession(store, user="alice", password="secret")
    assert reader.greeting() == (
        f"* OK [CAPABILITY {imap.CAPABILITIES}] mailsec IMAP4rev1 server ready.\r\n".encode()
    )
    assert reader.feed(b"a STARTTLS").responses == (
        b"a BAD Error in IMAP command received by server.\r\n",
    )


@pytest.mark.parametrize(
    ("security", "capa"),
    [
        (ConnectionSecurity(offered=True), [b"STLS", b"USER", b"SASL PLAIN"]),
        (ConnectionSecurity(offered=True, required=True), [b"STLS", b"SASL"]),
        (ConnectionSecurity(offered=True, required=True, active=True), [b"USER", b"SASL PLAIN"]),
    ],
)
def test_pop3_capa_follows_tls(tmp_path: Path, security: ConnectionSecurity, capa) -> None:
    """RFC 2595 §4: STLS is listed until TLS is active; USER and SASL PLAIN only where a
    login is allowed (Dovecot lists a bare SASL then)."""
    session = pop3.Pop3Session(
        MailStore(tmp_path / "M"), user="alice", password="secret", security=security
    )
    reply = session.handle(b"CAPA")
    assert reply.lines == (
        b"CAPA",
        b"TOP",
        b"UIDL",
        b"RESP-CODES",
        b"PIPELINING",
        b"AUTH-RESP-CODE",
        *capa,
    )


@pytest.mark.parametrize(
    ("security", "ending"),
    [
        (ConnectionSecurity(offered=True), "STARTTLS AUTH=PLAIN"),
        (ConnectionSecurity(offered=True, required=True), "STARTTLS LOGINDISABLED"),
        (
            ConnectionSecurity(offered=True, required=True, active=True),
            "QUOTA=RES-STORAGE AUTH=PLAIN",
        ),
    ],
)
def test_imap_capabilities_follow_tls(tmp_path: Path, security: ConnectionSecurity, ending) -> None:
    """RFC 3501 §6.2.1 and §7.2.1: STARTTLS until TLS is active, LOGINDISABLED while a login
    is refused, in Dovecot's order."""
    session = imap.ImapSession(
        MailStore(tmp_path / "M"), user="alice", password="secret", security=security
    )
    assert session.capabilities().endswith(ending)
    assert session.greeting().startswith(f"* OK [CAPABILITY {session.capabilities()}]".encode())


# -- certificate and key files --------------------------------------------------------------------


def test_certificate_and_key_files_are_checked(tmp_path: Path) -> None:
    tls = ServerTls.course()
    assert tls.certificate is not None and tls.ca is not None
    cert = write_pem(tmp_path, "cert.pem", tls.certificate.certificate_pem())
    key = write_pem(tmp_path, "key.pem", tls.certificate.key_pem())
    other = write_pem(tmp_path, "other.pem", tls.ca.key_pem())
    assert ServerTls.from_files(cert, key).ca is None
    with pytest.raises(InputError) as caught:
        ServerTls.from_files(cert, other)
    assert caught.value.message == (
        f"The key {str(other)!r} does not belong to the certificate {str(cert)!r}: give the key "
        "the certificate was issued for."
    )
    with pytest.raises(InputError, match=r"Cannot read the key file .*: No such file"):
        ServerTls.from_files(cert, tmp_path / "missing.pem")
    with pytest.raises(InputError, match="is not a readable certificate"):
        ServerTls.from_files(key, key)
    with pytest.raises(InputError, match="Give both a certificate and its key"):
        MailServers(maildir=tmp_path / "M", user="a", password="b", tls_certificate=cert)
    with pytest.raises(InputError, match="no course CA to trust"):
        ServerTls.from_files(cert, key).client_context()
    with pytest.raises(InputError, match="The TLS context is a client's"):
        MailServers(
            maildir=tmp_path / "M",
            user="a",
            password="b",
            tls=ServerTls.course().client_context(),
        )
