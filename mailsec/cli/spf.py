"""``mailsec spf``: check a sender with SPF, lint SPF records (chapter 03).

::

    mailsec spf check --ip IP --mail-from ADDR --helo NAME [--zone FILE | --nameserver HOST[:PORT]] [--trace]
    mailsec spf lint DOMAIN|RECORD [--zone FILE]

Without ``--zone`` or ``--nameserver`` the system's DNS is used. ``--zone example`` uses the
course's embedded example zone.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys

import dns.resolver

from mailsec.errors import InputError
from mailsec.spf.headers import authentication_results, received_spf
from mailsec.spf.limits import ip_problem
from mailsec.spf.lint import lint
from mailsec.spf.mta import check
from mailsec.spf.zone import ZoneResolver, example_resolver
from mailsec.trace import steps_to_text

__all__ = ["configure", "nameserver_resolver", "run"]


def _ip(text: str) -> str:
    """The client address as the check reads it (:func:`~mailsec.spf.limits.ip_problem`)."""
    problem = ip_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    p = sub.add_parser(
        "check",
        help="check a client IP, MAIL FROM and HELO against the sender's SPF policy",
        description="Check an SMTP client the way a receiving mail server does (RFC 7208).",
    )
    p.add_argument(
        "--ip", required=True, type=_ip, help="the connecting client's IPv4 or IPv6 address"
    )
    p.add_argument(
        "--mail-from",
        required=True,
        metavar="ADDR",
        help="the envelope sender (MAIL FROM); use '' for a null sender (postmaster@HELO is checked)",
    )
    p.add_argument("--helo", required=True, metavar="NAME", help="the HELO/EHLO name")
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--zone",
        metavar="FILE",
        help="answer DNS from this zone file (offline); 'example' is the course's example zone",
    )
    source.add_argument(
        "--nameserver",
        metavar="HOST[:PORT]",
        help="ask this DNS server (for example 127.0.0.1:5353)",
    )
    p.add_argument(
        "--receiver", default="mailsec.invalid", help="this host's name, for the header fields"
    )
    p.add_argument("--trace", action="store_true", help="print every step of the evaluation")

    q = sub.add_parser(
        "lint",
        help="report syntax errors, the DNS lookup count and risky patterns of an SPF record",
        description="Lint a domain's SPF record, or a record given as text ('v=spf1 ...').",
    )
    q.add_argument(
        "subject", metavar="DOMAIN|RECORD", help="a domain name, or a record text in quotes"
    )
    lint_source = q.add_mutually_exclusive_group()
    lint_source.add_argument(
        "--zone",
        metavar="FILE",
        help="answer DNS from this zone file; 'example' is the course's zone",
    )
    lint_source.add_argument("--nameserver", metavar="HOST[:PORT]", help="ask this DNS server")


def nameserver_resolver(
    spec: str, *, timeout: float = 2.0, lifetime: float = 6.0
) -> dns.resolver.Resolver:
    """A resolver for ``HOST``, ``HOST:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address."""
    host, port = spec.strip(), 53
    if host.startswith("["):
        close = host.find("]")
        if close == -1:
            raise InputError(
                f"The name server {spec!r} opens '[' but never closes it; write [::1]:5353."
            )
        rest = host[close + 1 :]
        host = host[1:close]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise InputError(
                    f"The name server {spec!r} has a bad port; write HOST:PORT, e.g. 127.0.0.1:5353."
                )
            port = int(rest[1:])
    elif host.count(":") == 1:
        host, _, port_text = host.partition(":")
        if not port_text.isdigit():
            raise InputError(
                f"The port in {spec!r} is not a number; write HOST:PORT, e.g. 127.0.0.1:5353."
            )
        port = int(port_text)
    if not 0 < port < 65536:
        raise InputError(f"The port {port} in {spec!r} is outside 1-65535.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise InputError(
            f"The name server {host!r} is not an IP address; give the server's address, e.g. 127.0.0.1."
        ) from None
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    resolver.timeout = timeout
    resolver.lifetime = lifetime
    return resolver


def _resolver(args: argparse.Namespace) -> object | None:
    if args.zone:
        if args.zone == "example":
            return example_resolver()
        return ZoneResolver.from_file(args.zone)
    if args.nameserver:
        return nameserver_resolver(args.nameserver)
    return None


def run(args: argparse.Namespace) -> int:
    resolver = _resolver(args)
    if args.command == "check":
        outcome = check(
            args.ip, args.mail_from, args.helo, resolver=resolver, receiver=args.receiver
        )
        print(f"result: {outcome.result.value}")
        print(f"meaning: {outcome.result.meaning}")
        print(f"identity: {outcome.identity} ({outcome.sender})")
        if outcome.record:
            print(f"record: {outcome.record}")
        if outcome.mechanism:
            print(f"decided by: {outcome.mechanism}")
        if outcome.problem:
            print(f"problem: {outcome.problem}")
        print(
            f"explanation: {outcome.explanation if outcome.explanation is not None else '(none)'}"
        )
        print(f"DNS lookups: {outcome.lookups} of 10, void lookups: {outcome.void_lookups} of 2")
        print(received_spf(outcome))
        print(authentication_results(outcome))
        if args.trace:
            print()
            print(steps_to_text(outcome.trace))
        return 0
    report = lint(args.subject, resolver=resolver)
    if report.record:
        print(f"record: {report.record}")
    print(f"DNS lookups needed: {report.lookups} of {report.limit}")
    for depth, domain, own in report.lookup_tree:
        print(f"  {'  ' * depth}{domain}: {own}")
    if not report.findings:
        print("no problems found")
    for finding in report.findings:
        cite = f" [{finding.section}]" if finding.section else ""
        print(f"{finding.severity.value}: {finding.message}{cite}")
        if finding.position is not None and report.record:
            print(f"    {report.record}\n    {' ' * finding.position}^")
        elif finding.position is not None:
            print(f"    {args.subject}\n    {' ' * finding.position}^")
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    from mailsec.__main__ import main

    sys.exit(main(["spf", *sys.argv[1:]]))
