"""``mailsec spf``: check a sender with SPF, lint SPF records (chapter 03).

::

    mailsec spf check --ip IP --mail-from ADDR --helo NAME [--zone FILE | --nameserver HOST[:PORT]] [--trace]
    mailsec spf lint DOMAIN|RECORD [--zone FILE]

Without ``--zone`` or ``--nameserver`` the system's DNS is used. ``--zone example`` uses the
course's embedded example zone.
"""

from __future__ import annotations

import argparse
import sys

from mailsec.cli.dns import add_dns_options, dns_resolver, nameserver_resolver
from mailsec.spf.headers import authentication_results, received_spf
from mailsec.spf.limits import ip_problem
from mailsec.spf.lint import lint
from mailsec.spf.mta import check
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
    add_dns_options(p)
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
    add_dns_options(q)


def run(args: argparse.Namespace) -> int:
    resolver = dns_resolver(args)
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
