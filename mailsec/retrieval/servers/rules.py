"""The rules for the servers' settings: ports, quota and the address they listen on.

One place for each rule, shared by :class:`~mailsec.retrieval.servers.MailServers` and the
``mailsec serve`` command line (which turns their :class:`~mailsec.errors.InputError` into its
one-line message).
"""

from __future__ import annotations

import ipaddress
import socket

from mailsec.errors import InputError
from mailsec.i18n import texts

__all__ = ["MAX_PORT", "TEXT", "check_host", "check_port", "check_quota", "free_port"]

TEXT = texts(
    {
        "port": "The {protocol} port {port} is not between 0 and {most}: choose another.",
        "quota": "The quota {quota} is negative: give a number of bytes, 0 or more.",
        "not_ip": "'{host}' is not an IP address: give a loopback address such as 127.0.0.1",
        "not_loopback": "'{host}' is not a loopback address: these course servers have no TLS, "
        "so they only listen on 127.0.0.1 or ::1",
    }
)
"""The rules' sentences (see :mod:`mailsec.i18n`)."""

MAX_PORT = 65535
"""The largest TCP port number (RFC 793 §3.1: a port is 16 bits); port 0 asks for any free one."""


def check_port(port: int, *, protocol: str = "TCP") -> int:
    """Return ``port`` if it is a TCP port number (0 for any free port); else raise InputError."""
    if not 0 <= port <= MAX_PORT:
        raise InputError(TEXT["port"].format(protocol=protocol, port=port, most=MAX_PORT))
    return port


def check_quota(quota: int | None) -> int | None:
    """Return ``quota`` if it is ``None`` (no quota) or bytes, 0 or more; else raise InputError."""
    if quota is not None and quota < 0:
        raise InputError(TEXT["quota"].format(quota=quota))
    return quota


def check_host(host: str, *, allow_remote: bool = False) -> str:
    """The address the servers listen on: a loopback one (``localhost`` is 127.0.0.1), unless
    ``allow_remote`` says otherwise explicitly. These course servers speak without TLS and take
    passwords in clear text (RFC 1939 §7, RFC 3501 §6.2.3), so by default nothing outside the
    machine may reach them."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise InputError(TEXT["not_ip"].format(host=host)) from None
    if not address.is_loopback and not allow_remote:
        raise InputError(TEXT["not_loopback"].format(host=host))
    return host


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port of ``host`` that is free now, chosen by the system as for port 0.

    For a server that another program starts and that must be told its port beforehand (Dovecot,
    ``mailsec serve`` in a test, JupyterLab): another program could take the port before it is
    used. :class:`MailServers` itself listens on port 0 and reads the port back, with no such gap.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
