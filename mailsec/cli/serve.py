"""``mailsec serve``: run the course's real POP3 and IMAP4 servers over a Maildir.

::

    python -m mailsec serve --maildir DIR --user USER --password PASS \\
        --pop3-port N --imap-port N [--host 127.0.0.1] [--quota BYTES] \\
        [--pop3s-port N] [--imaps-port N] [--tls-cert FILE --tls-key FILE] [--require-tls]

It creates the Maildir if it is missing, prints where it listens and runs until interrupted
(Ctrl+C or SIGTERM). Any mail client can then be pointed at it (loopback only).
Bad input ends with one line on standard error and exit status 2 (arguments) or 1 (other).

TLS (chapter 08) is off unless asked for. ``--tls-cert`` and ``--tls-key`` give a certificate
and its key (PEM): STLS and STARTTLS are then offered on the plaintext ports.
``--pop3s-port`` and ``--imaps-port`` add implicit-TLS ports (RFC 8314; 0 for any free port),
and ``--require-tls`` refuses every login before TLS. Asked for without a certificate, TLS uses
one made at start-up by a new course CA: that CA's certificate is written to a file whose path
is printed, and printed too, for the mail client to trust.

Ctrl+C and SIGTERM are handled by :func:`mailsec.cli.interrupt.until_interrupted`.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from mailsec.cli import UsageError
from mailsec.cli.interrupt import until_interrupted
from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.retrieval.servers import MailServers, check_host, check_port, check_quota

__all__ = ["configure", "run"]

MESSAGES = texts(
    {
        "not_port": "'{text}' is not a port number: give 1-65535 (or 0 for any free port)",
        "not_bytes": "'{text}' is not a number of bytes: give a whole number such as 1048576",
        "same_port": "{first} and {second} are both {port}: give two different ports.",
        "half_tls": "--tls-cert and --tls-key go together: give both, or neither.",
        "serving": "Serving the Maildir {maildir} for user {user} ({quota}).",
        "no_quota": "no quota",
        "quota": "quota {quota} bytes",
        "listening": "{protocol} listening on {host}:{port}",
        "offers": "{protocol} listening on {host}:{port} ({command} offered)",
        "implicit": "{protocol} listening on {host}:{port} (TLS from the first byte)",
        "required": "Logins are refused until TLS is active (--require-tls), from any address.",
        "course_ca": (
            "TLS certificate made now by a new course CA for localhost, 127.0.0.1 and ::1; "
            "its CA certificate, for your mail client to trust, is in {path}:"
        ),
        "app": (
            "In a mail app: server {host}, POP3 port {pop3} or IMAP port {imap}, no encryption "
            "(connection security: none), normal password, user name {user}."
        ),
        "app_tls": (
            "In a mail app: server {host}, {ports}, connection security {security}, normal "
            "password, user name {user}."
        ),
        "press": "Press Ctrl+C to stop.",
        "stopped": "Stopped; open sessions were dropped, which deletes nothing.",
        "port": "{protocol} port {port}",
        "or": "{first} or {second}",
    }
)
"""Everything this command says (named placeholders, for translation)."""

HELP = texts(
    {
        "maildir": "the Maildir to serve (created if missing)",
        "user": "the one user name the servers accept",
        "password": "that user's password",
        "pop3_port": "POP3 port (0: any free port)",
        "imap_port": "IMAP port (0: any free port)",
        "host": "loopback address (default 127.0.0.1)",
        "quota": "mailbox quota in bytes (default: no quota)",
        "pop3s_port": "also POP3 over implicit TLS, RFC 8314 (0: any free port)",
        "imaps_port": "also IMAP over implicit TLS, RFC 8314 (0: any free port)",
        "tls_cert": "the server's certificate (PEM; default: one made now by a course CA)",
        "tls_key": "the certificate's private key (PEM, unencrypted)",
        "require_tls": "refuse every login before TLS (STLS, STARTTLS or a TLS port)",
    }
)
"""The arguments' help (see :mod:`mailsec.i18n`)."""


def _whole_number(text: str, expected: str) -> int:
    """``text`` as a number if it is ASCII digits only (no sign, spaces or underscores)."""
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(expected)
    return int(text)


def _port(text: str) -> int:
    expected = MESSAGES["not_port"].format(text=text)
    port = _whole_number(text, expected)
    try:
        check_port(port)
    except InputError:  # the servers' range; the message quotes what was typed
        raise argparse.ArgumentTypeError(expected) from None
    return port


def _quota(text: str) -> int:
    quota = _whole_number(text, MESSAGES["not_bytes"].format(text=text))
    check_quota(quota)  # the servers' rule, which digits alone already keep
    return quota


def _host(text: str) -> str:
    """The servers' own rule (:func:`~mailsec.retrieval.servers.check_host`): loopback only."""
    try:
        return check_host(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` arguments to ``parser``."""
    parser.add_argument("--maildir", required=True, help=HELP["maildir"])
    parser.add_argument("--user", required=True, help=HELP["user"])
    parser.add_argument("--password", required=True, help=HELP["password"])
    parser.add_argument("--pop3-port", required=True, type=_port, help=HELP["pop3_port"])
    parser.add_argument("--imap-port", required=True, type=_port, help=HELP["imap_port"])
    parser.add_argument("--host", default="127.0.0.1", type=_host, help=HELP["host"])
    parser.add_argument("--quota", type=_quota, default=None, help=HELP["quota"])
    parser.add_argument("--pop3s-port", type=_port, default=None, help=HELP["pop3s_port"])
    parser.add_argument("--imaps-port", type=_port, default=None, help=HELP["imaps_port"])
    parser.add_argument("--tls-cert", metavar="FILE", default=None, help=HELP["tls_cert"])
    parser.add_argument("--tls-key", metavar="FILE", default=None, help=HELP["tls_key"])
    parser.add_argument("--require-tls", action="store_true", help=HELP["require_tls"])


def _check_ports(args: argparse.Namespace) -> None:
    """Every port given (other than 0) is different from the others."""
    named = [
        ("--pop3-port", args.pop3_port),
        ("--imap-port", args.imap_port),
        ("--pop3s-port", args.pop3s_port),
        ("--imaps-port", args.imaps_port),
    ]
    given = [(flag, port) for flag, port in named if port]
    for index, (flag, port) in enumerate(given):
        for other, other_port in given[index + 1 :]:
            if port == other_port:
                raise InputError(MESSAGES["same_port"].format(first=flag, second=other, port=port))


def _servers(args: argparse.Namespace) -> MailServers:
    """The servers the arguments ask for (not started yet)."""
    _check_ports(args)
    if (args.tls_cert is None) != (args.tls_key is None):
        raise UsageError(MESSAGES["half_tls"])
    return MailServers(
        args.maildir,
        user=args.user,
        password=args.password,
        quota=args.quota,
        host=args.host,
        pop3_port=args.pop3_port,
        imap_port=args.imap_port,
        tls_certificate=args.tls_cert,
        tls_key=args.tls_key,
        pop3s_port=args.pop3s_port,
        imaps_port=args.imaps_port,
        require_tls=args.require_tls,
    )


def _write_course_ca(servers: MailServers) -> Path | None:
    """The course CA's certificate in a new private folder, when the course made the server's
    certificate (removed when the servers stop: the next run makes another)."""
    if servers.tls is None or servers.tls.ca is None:
        return None
    path = Path(tempfile.mkdtemp(prefix="mailsec-serve-")) / "course-ca.pem"
    path.write_bytes(servers.tls.ca_pem)
    return path


def _announce(servers: MailServers, args: argparse.Namespace, ca_file: Path | None) -> None:
    """Print where the servers listen and, for a course certificate, the CA to trust."""
    quota = (
        MESSAGES["no_quota"] if args.quota is None else MESSAGES["quota"].format(quota=args.quota)
    )
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(MESSAGES["serving"].format(maildir=servers.maildir, user=args.user, quota=quota))
    plain = "listening" if servers.tls is None else "offers"
    for protocol, port, command in (
        ("POP3", servers.pop3_port, "STLS"),
        ("IMAP", servers.imap_port, "STARTTLS"),
    ):
        print(MESSAGES[plain].format(protocol=protocol, host=host, port=port, command=command))
    for protocol, implicit in (("POP3S", servers.pop3s_port), ("IMAPS", servers.imaps_port)):
        if implicit is not None:
            print(MESSAGES["implicit"].format(protocol=protocol, host=host, port=implicit))
    if servers.require_tls:
        print(MESSAGES["required"])
    if ca_file is not None:
        print(MESSAGES["course_ca"].format(path=ca_file))
        print(ca_file.read_text("ascii"), end="")
    print(_in_a_mail_app(servers, args))
    print(MESSAGES["press"], flush=True)


def _in_a_mail_app(servers: MailServers, args: argparse.Namespace) -> str:
    """The settings a learner types into a mail app."""
    if servers.tls is None:
        return MESSAGES["app"].format(
            host=args.host, pop3=servers.pop3_port, imap=servers.imap_port, user=args.user
        )
    implicit = [
        MESSAGES["port"].format(protocol=name, port=port)
        for name, port in (("POP3S", servers.pop3s_port), ("IMAPS", servers.imaps_port))
        if port is not None
    ]
    if implicit:
        ports = implicit[0]
        for other in implicit[1:]:
            ports = MESSAGES["or"].format(first=ports, second=other)
        security = "SSL/TLS"
    else:
        ports = MESSAGES["or"].format(
            first=MESSAGES["port"].format(protocol="POP3", port=servers.pop3_port),
            second=MESSAGES["port"].format(protocol="IMAP", port=servers.imap_port),
        )
        security = "STARTTLS"
    return MESSAGES["app_tls"].format(
        host=args.host, ports=ports, security=security, user=args.user
    )


def run(
    args: argparse.Namespace,
    *,
    wait: Callable[[threading.Event], None] | None = None,
) -> int:
    """Start the servers, print where they listen and serve until interrupted."""
    servers = _servers(args)
    servers.start()
    ca_file: Path | None = None

    def stop() -> None:
        servers.stop()
        if ca_file is not None:
            shutil.rmtree(ca_file.parent, ignore_errors=True)

    with until_interrupted(stop, wait) as wait_here:
        ca_file = _write_course_ca(servers)
        _announce(servers, args, ca_file)
        wait_here()
    print(MESSAGES["stopped"], flush=True)
    return 0
