"""``mailsec serve``: run the course's real POP3 and IMAP4 servers over a Maildir.

::

    python -m mailsec serve --maildir DIR --user USER --password PASS \\
        --pop3-port N --imap-port N [--host 127.0.0.1] [--quota BYTES]

It creates the Maildir if it is missing, prints where it listens and runs until interrupted
(Ctrl+C or SIGTERM). Any mail client can then be pointed at it (no TLS: loopback only).
Bad input ends with one line on standard error and exit status 2 (arguments) or 1 (other).

Both signals are handled here rather than left to Python's defaults: a process started in the
background by a script inherits an *ignored* SIGINT, and Python then installs no handler of its
own, so Ctrl+C (or ``kill -INT``) would do nothing. The handler raises an exception in the main
thread and takes no lock, so it cannot deadlock with the code it interrupts (an ``Event.set()``
in a handler can: the event's lock may be held by the very thread the handler runs in).
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable
from typing import Any, NoReturn

from mailsec.errors import InputError
from mailsec.retrieval.servers import MailServers, check_host, check_port, check_quota

__all__ = ["configure", "run"]


def _whole_number(text: str, expected: str) -> int:
    """``text`` as a number if it is ASCII digits only (no sign, spaces or underscores)."""
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not {expected}")
    return int(text)


def _port(text: str) -> int:
    expected = "a port number: give 1-65535 (or 0 for any free port)"
    port = _whole_number(text, expected)
    try:
        check_port(port)
    except InputError:  # the servers' range; the message quotes what was typed
        raise argparse.ArgumentTypeError(f"'{text}' is not {expected}") from None
    return port


def _quota(text: str) -> int:
    quota = _whole_number(text, "a number of bytes: give a whole number such as 1048576")
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
    parser.add_argument(
        "--maildir", required=True, help="the Maildir to serve (created if missing)"
    )
    parser.add_argument("--user", required=True, help="the one user name the servers accept")
    parser.add_argument("--password", required=True, help="that user's password")
    parser.add_argument(
        "--pop3-port", required=True, type=_port, help="POP3 port (0: any free port)"
    )
    parser.add_argument(
        "--imap-port", required=True, type=_port, help="IMAP port (0: any free port)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", type=_host, help="loopback address (default 127.0.0.1)"
    )
    parser.add_argument(
        "--quota", type=_quota, default=None, help="mailbox quota in bytes (default: no quota)"
    )


class _Interrupted(Exception):
    """SIGINT or SIGTERM arrived: stop serving."""


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise _Interrupted(signum)


def run(
    args: argparse.Namespace,
    *,
    wait: Callable[[threading.Event], None] | None = None,
) -> int:
    """Start the servers, print where they listen and serve until interrupted."""
    if args.pop3_port == args.imap_port and args.pop3_port != 0:
        raise InputError(
            f"--pop3-port and --imap-port are both {args.pop3_port}: give two different ports."
        )
    servers = MailServers(
        args.maildir,
        user=args.user,
        password=args.password,
        quota=args.quota,
        host=args.host,
        pop3_port=args.pop3_port,
        imap_port=args.imap_port,
    )
    servers.start()
    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous: dict[int, Any] = {}
    try:
        if threading.current_thread() is threading.main_thread():
            for signum in signals:
                previous[signum] = signal.signal(signum, _interrupt)
        quota = "no quota" if args.quota is None else f"quota {args.quota} bytes"
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"Serving the Maildir {servers.maildir} for user {args.user} ({quota}).")
        print(f"POP3 listening on {host}:{servers.pop3_port}")
        print(f"IMAP listening on {host}:{servers.imap_port}")
        print(
            f"In a mail app: server {args.host}, POP3 port {servers.pop3_port} or IMAP port "
            f"{servers.imap_port}, no encryption (connection security: none), normal password, "
            f"user name {args.user}."
        )
        print("Press Ctrl+C to stop.", flush=True)
        if wait is not None:
            wait(stop)
        else:
            stop.wait()  # until a signal's handler raises _Interrupted here
    except (_Interrupted, KeyboardInterrupt):
        pass
    finally:
        # A second signal must not cut the shutdown short: the sessions are being dropped and
        # the POP3 locks released.
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)
        try:
            servers.stop()
        finally:
            for signum, handler in previous.items():
                # None: the handler was not set from Python; the default is the closest.
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    print("Stopped; open sessions were dropped, which deletes nothing.", flush=True)
    return 0
