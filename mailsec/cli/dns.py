"""Where the command line's DNS answers come from: one rule for every group that asks DNS.

``--zone FILE`` answers offline from a zone file (``example`` is the course's embedded zone) and
``--nameserver HOST[:PORT]`` asks one DNS server, as a resolver would; with neither, the system's
DNS is asked. The SPF, DKIM and DMARC commands all take these two options.
"""

from __future__ import annotations

import argparse
import ipaddress

import dns.resolver

from mailsec.errors import InputError
from mailsec.i18n import texts

__all__ = ["add_dns_options", "dns_resolver", "nameserver_resolver"]

HELP = texts(
    {
        "zone": "answer DNS from this zone file (offline); 'example' is the course's example zone",
        "nameserver": "ask this DNS server (for example 127.0.0.1:5353)",
    }
)
"""The options' help (see :mod:`mailsec.i18n`)."""

MESSAGES = texts(
    {
        "unclosed": "The name server {spec!r} opens '[' but never closes it; write [::1]:5353.",
        "bad_port": "The name server {spec!r} has a bad port; write HOST:PORT, e.g. "
        "127.0.0.1:5353.",
        "port_not_number": "The port in {spec!r} is not a number; write HOST:PORT, e.g. "
        "127.0.0.1:5353.",
        "port_range": "The port {port} in {spec!r} is outside 1-65535.",
        "not_ip": "The name server {host!r} is not an IP address; give the server's address, "
        "e.g. 127.0.0.1.",
    }
)
"""Why a name server cannot be used (see :mod:`mailsec.i18n`)."""


def add_dns_options(parser: argparse.ArgumentParser) -> None:
    """Add the mutually exclusive ``--zone FILE`` and ``--nameserver HOST[:PORT]``."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--zone", metavar="FILE", help=HELP["zone"])
    source.add_argument("--nameserver", metavar="HOST[:PORT]", help=HELP["nameserver"])


def dns_resolver(args: argparse.Namespace, *, course_keys: bool = False) -> object | None:
    """What ``--zone`` or ``--nameserver`` asked for, as the ``resolver=`` the checks take;
    None (the system's DNS) when neither was given.

    With ``course_keys``, ``--zone example`` also holds the course domains' DKIM key records
    (:func:`mailsec.dkim.course.course_resolver`). Those keys are made by each process, so they
    show key records (a revoked selector, a testing one), not signatures made by another command.
    """
    from mailsec.spf.zone import ZoneResolver, example_resolver

    if args.zone == "example" and course_keys:
        from mailsec.dkim.course import course_resolver

        return course_resolver()
    if args.zone:
        return example_resolver() if args.zone == "example" else ZoneResolver.from_file(args.zone)
    if args.nameserver:
        return nameserver_resolver(args.nameserver)
    return None


def nameserver_resolver(
    spec: str, *, timeout: float = 2.0, lifetime: float = 6.0
) -> dns.resolver.Resolver:
    """A resolver for ``HOST``, ``HOST:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address."""
    host, port = spec.strip(), 53
    if host.startswith("["):
        close = host.find("]")
        if close == -1:
            raise InputError(MESSAGES["unclosed"].format(spec=spec))
        rest = host[close + 1 :]
        host = host[1:close]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise InputError(MESSAGES["bad_port"].format(spec=spec))
            port = int(rest[1:])
    elif host.count(":") == 1:
        host, _, port_text = host.partition(":")
        if not port_text.isdigit():
            raise InputError(MESSAGES["port_not_number"].format(spec=spec))
        port = int(port_text)
    if not 0 < port < 65536:
        raise InputError(MESSAGES["port_range"].format(port=port, spec=spec))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise InputError(MESSAGES["not_ip"].format(host=host)) from None
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    resolver.timeout = timeout
    resolver.lifetime = lifetime
    return resolver
