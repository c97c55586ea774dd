"""TLS for the course's POP3 and IMAP4 servers (chapter 08): the certificate and the handshake.

::

    from mailsec.retrieval.servers import MailServers

    with MailServers(maildir=path, user="alice", password="secret",
                     pop3s_port=0, imaps_port=0, require_tls=True) as servers:
        context = servers.tls.client_context()     # trusts the course CA, verifies the name
        poplib.POP3_SSL(servers.host, servers.pop3s_port, context=context)

A client reaches TLS in one of two ways. RFC 8314 prefers the first:

- **implicit TLS** on a port of its own (POP3S, IMAPS; RFC 8314 §3.3): the handshake comes first,
  the greeting after it;
- **STLS** (POP3, RFC 2595 §4) or **STARTTLS** (IMAP, RFC 3501 §6.2.1): a plaintext connection
  is upgraded when the client asks, and only if the server offers it -- which is what an
  attacker in the path can strip (chapter 08's lab).

One certificate story: the server's certificate is issued by the course CA
(:func:`~mailsec.pki.ca.issue_server_certificate`) for ``localhost``, ``127.0.0.1`` and ``::1``,
and clients verify it against that CA (:meth:`ServerTls.client_context`), never by switching
verification off. :meth:`ServerTls.course` makes both at start-up; :meth:`ServerTls.from_files`
loads a certificate and key made elsewhere; :meth:`ServerTls.from_context` takes a ready
:class:`ssl.SSLContext`.

:func:`start_tls` runs the handshake on a connection and returns new streams. It is where the
STARTTLS command-injection bugs of 2011 lived (CVE-2011-0411 in Postfix, and the same in other
servers): commands pipelined after STARTTLS in the same packet, by a client or by an attacker in
the path, were left in the plaintext buffer and run after the handshake as though they had come
inside TLS. Nothing but the handshake may follow the command (RFC 2595 §3.1 and §4, RFC 3501
§6.2.1), and what came before TLS is worth nothing after it (RFC 3207 §4.2). Here they are
taken out of the plaintext reader before the handshake and counted in the transcript, and the
TLS connection gets a reader of its own, so nothing sent before the handshake can be read after
it. (Dovecot gets the same safety another way: it hands such octets to OpenSSL as the start of
the handshake, which then fails.) The handshake is bounded in time (:data:`~mailsec.limits.TLS_HANDSHAKE_TIMEOUT`); when it
fails -- garbage, a client that stops half-way, plaintext on a TLS port -- that one connection
ends and the server goes on serving the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import ssl
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.limits import MAX_TLS_FILE
from mailsec.pki.ca import (
    LOOPBACK_NAMES,
    Identity,
    PrivateKey,
    issue_server_certificate,
    load_certificates,
    load_private_key,
    make_ca,
)
from mailsec.retrieval.imap import ImapSession
from mailsec.retrieval.pop3 import Pop3Session

__all__ = ["MINIMUM_VERSION", "HandshakeFailed", "ServerTls", "start_tls"]

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2
"""The oldest TLS the servers speak: RFC 8314 §4.1 asks for TLS 1.2 or later, and RFC 8996
forbids 1.0 and 1.1."""

NOTES = {
    "started": "TLS started: {version}, {cipher}",
    "discarded": (
        "{octets} octets the client sent in plaintext after asking for TLS were discarded, "
        "not run (RFC 3501 §6.2.1)"
    ),
    "early": (
        "the client sent {octets} octets before the TLS handshake could start: connection closed"
    ),
    "failed": "TLS handshake failed ({reason}): connection closed",
    "timeout": "TLS handshake not finished within {seconds:g} s: connection closed",
    "lost": "the connection was lost",
}
"""What the handshake writes into a transcript, on the servers' thread: recorded in English
like the rest of the transcript's notes, and shown in the reader's language by
:func:`mailsec.render.transcript.note_text`."""

MESSAGES = texts(
    {
        "mismatch": (
            "The key {key!r} does not belong to the certificate {certificate!r}: give the key "
            "the certificate was issued for."
        ),
        "unreadable": "Cannot read the {what} file {path!r}: {reason}.",
        "too_large": "The {what} file {path!r} is larger than {limit:,} bytes: it is no {what}.",
        "half": "Give both a certificate and its key (tls_certificate and tls_key), not only one.",
        "both": "Give a TLS context or certificate and key files, not both.",
        "client_context": (
            "The TLS context is a client's (PROTOCOL_TLS_CLIENT): give the servers a server "
            "context, ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER) with its certificate loaded."
        ),
        "no_ca": (
            "This certificate was not made by the course, so there is no course CA to trust: "
            "give the client the CA that issued it."
        ),
        "certificate": "certificate",
        "key": "key",
    }
)
"""Every sentence this module says (named placeholders, for translation)."""


class HandshakeFailed(ConnectionError):
    """The TLS handshake did not complete; the connection is closed. The message says why."""


@dataclass(frozen=True)
class ServerTls:
    """The servers' TLS: a server context and, when the course made the certificate, its CA."""

    context: ssl.SSLContext = field(repr=False)
    """The server side's context (certificate and key loaded, TLS 1.2 or later)."""
    ca: Identity | None = None
    """The course CA that issued the certificate, when :meth:`course` made it."""
    certificate: Identity | None = None
    """The server certificate and key, when :meth:`course` made them."""

    @classmethod
    def course(
        cls, hostnames: Iterable[str] = LOOPBACK_NAMES, *, now: dt.datetime | None = None
    ) -> ServerTls:
        """A fresh course CA and a server certificate from it for ``hostnames`` (this machine's
        names by default); fresh keys every time, made in a fraction of a second."""
        ca = make_ca(now=now)
        server = issue_server_certificate(ca, hostnames, now=now)
        return cls(_context_of(server.certificate_pem(), server.key_pem()), ca, server)

    @classmethod
    def from_files(
        cls, certificate: str | os.PathLike[str], key: str | os.PathLike[str]
    ) -> ServerTls:
        """A certificate (PEM or DER; a PEM file may hold its chain after it) and its
        unencrypted private key (PEM or DER). A file that cannot be read or is no certificate
        or key, or a key that does not belong to the certificate, is refused with a sentence."""
        chain = load_certificates(
            _read(certificate, MESSAGES["certificate"]), source=repr(str(certificate))
        )
        private = load_private_key(_read(key, MESSAGES["key"]), source=repr(str(key)))
        if _public(chain[0].public_key()) != _public(private.public_key()):
            raise InputError(
                MESSAGES["mismatch"].format(certificate=str(certificate), key=str(key))
            )
        pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
        return cls(_context_of(pem, _pkcs8(private)))

    @classmethod
    def from_context(cls, context: ssl.SSLContext) -> ServerTls:
        """A server context made by the caller (its certificate loaded already); a client's
        context is refused with a sentence."""
        if context.protocol is ssl.PROTOCOL_TLS_CLIENT:
            raise InputError(MESSAGES["client_context"])
        return cls(context)

    @classmethod
    def choose(
        cls,
        *,
        context: ssl.SSLContext | None,
        certificate: str | os.PathLike[str] | None,
        key: str | os.PathLike[str] | None,
        wanted: bool,
    ) -> ServerTls | None:
        """The TLS the servers' options ask for: a context, files, or -- when TLS is ``wanted``
        (a TLS port, or TLS required) without either -- a course certificate made now."""
        if (certificate is None) != (key is None):
            raise InputError(MESSAGES["half"])
        if context is not None and certificate is not None:
            raise InputError(MESSAGES["both"])
        if context is not None:
            return cls.from_context(context)
        if certificate is not None and key is not None:
            return cls.from_files(certificate, key)
        return cls.course() if wanted else None

    @property
    def ca_pem(self) -> bytes:
        """The course CA's certificate in PEM, for clients to trust."""
        if self.ca is None:
            raise InputError(MESSAGES["no_ca"])
        return self.ca.certificate_pem()

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts the course CA only and checks the server's name, as a
        mail client configured for the course would (:func:`ssl.create_default_context`)."""
        return ssl.create_default_context(cadata=self.ca_pem.decode("ascii"))


def _read(path: str | os.PathLike[str], what: str) -> bytes:
    """A certificate or key file, at most :data:`~mailsec.limits.MAX_TLS_FILE` bytes."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_TLS_FILE + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            MESSAGES["unreadable"].format(what=what, path=str(path), reason=reason)
        ) from None
    if len(data) > MAX_TLS_FILE:
        raise InputError(
            MESSAGES["too_large"].format(what=what, path=str(path), limit=MAX_TLS_FILE)
        )
    return data


def _public(key: CertificatePublicKeyTypes) -> bytes:
    """A public key as DER, to see whether a private key belongs to a certificate."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _pkcs8(key: PrivateKey) -> bytes:
    """A private key as unencrypted PKCS#8 PEM, the form :mod:`ssl` loads."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _new_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = MINIMUM_VERSION
    return context


def _context_of(chain_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    """A server context holding a certificate chain and its key, both checked already.
    :mod:`ssl` loads them only from files: they are written to a private temporary folder
    and removed at once."""
    context = _new_context()
    with tempfile.TemporaryDirectory(prefix="mailsec-tls-") as folder:
        cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert.write_bytes(chain_pem)
        descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(key_pem)
        context.load_cert_chain(cert, key)
    return context


async def start_tls(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    context: ssl.SSLContext,
    *,
    session: Pop3Session | ImapSession,
    timeout: float,
    limit: int,
    implicit: bool,
    note: Callable[[str], None],
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Run the server's TLS handshake on the connection of ``reader`` and ``writer``, tell the
    ``session`` and return the streams that read and write inside TLS (lines of at most
    ``limit`` octets).

    Whatever the plaintext reader holds is discarded first. On an ``implicit`` TLS port, where
    the shell reads nothing before the handshake, anything there means the client spoke too
    early, and the connection ends at once. What happens is said in a ``note`` each.
    :class:`HandshakeFailed` says why a handshake did not complete (in ``timeout`` seconds at
    the most); the connection is closed then.
    """
    try:
        streams = await _handshake(reader, writer, context, timeout, limit, implicit, note)
    except HandshakeFailed as exc:
        note(str(exc))
        raise
    session.tls_started()
    return streams


async def _handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    context: ssl.SSLContext,
    timeout: float,
    limit: int,
    implicit: bool,
    note: Callable[[str], None],
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The handshake itself. From emptying the plaintext reader until ``loop.start_tls`` has
    handed the connection to TLS nothing may wait (a wait would let more plaintext into the
    emptied reader): so no ``wait_for``, whose new task would start a turn of the loop later,
    but ``asyncio.timeout`` around the call (before Python 3.11, asyncio's own handshake
    time-out alone)."""
    loop = asyncio.get_running_loop()
    tls_reader = asyncio.StreamReader(limit=limit, loop=loop)
    protocol = asyncio.StreamReaderProtocol(tls_reader, loop=loop)
    discarded = await _discard(reader)
    if discarded and implicit:
        writer.transport.abort()
        raise HandshakeFailed(NOTES["early"].format(octets=discarded))
    if discarded:
        note(NOTES["discarded"].format(octets=discarded))
    handshake = loop.start_tls(
        writer.transport,
        protocol,
        context,
        server_side=True,
        # asyncio's own guard; from Python 3.11 a later one, so that ours ends the handshake.
        ssl_handshake_timeout=timeout if sys.version_info < (3, 11) else 2 * timeout,
    )
    started = loop.time()
    try:
        if sys.version_info < (3, 11):
            transport = await handshake
        else:
            async with asyncio.timeout(timeout):
                transport = await handshake
    except (OSError, EOFError, asyncio.TimeoutError) as exc:  # SSLError, a reset, a cut, time
        writer.transport.abort()
        # Before Python 3.11 asyncio's guard ends a slow handshake, with ConnectionAbortedError.
        late = loop.time() - started >= timeout - 0.01
        if isinstance(exc, asyncio.TimeoutError | ConnectionAbortedError) and late:
            raise HandshakeFailed(NOTES["timeout"].format(seconds=timeout)) from None
        raise HandshakeFailed(NOTES["failed"].format(reason=_reason(exc))) from None
    if transport is None:  # the connection was lost during the handshake (older asyncio)
        writer.transport.abort()
        raise HandshakeFailed(NOTES["failed"].format(reason=NOTES["lost"]))
    # start_tls does not introduce the new transport to the protocol: without this the reader
    # could not pause a client that floods it, and EOF inside TLS would be mishandled.
    protocol.connection_made(transport)
    tls = transport.get_extra_info("ssl_object")
    cipher = tls.cipher() if tls is not None else None
    note(
        NOTES["started"].format(
            version=tls.version() if tls is not None else "?",
            cipher=cipher[0] if cipher else "?",
        )
    )
    return tls_reader, asyncio.StreamWriter(transport, protocol, tls_reader, loop)


async def _discard(reader: asyncio.StreamReader) -> int:
    """Empty the plaintext reader before the handshake and count what it held.

    Nothing here waits: after ``feed_eof`` a read returns what is buffered at once, and the
    caller hands the connection to TLS (or closes it) before another byte can reach this reader.
    """
    reader.feed_eof()
    taken = 0
    with contextlib.suppress(Exception):  # a reader that failed already holds nothing to run
        while chunk := await reader.read(65536):
            taken += len(chunk)
    return taken


def _reason(exc: BaseException) -> str:
    """A short reason for a failed handshake: OpenSSL's reason code, or the error's text."""
    reason = getattr(exc, "reason", None)
    if reason:
        return str(reason).lower().replace("_", " ")
    return str(exc) or type(exc).__name__
