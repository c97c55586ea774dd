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
from mailsec.i18n import texts
from mailsec.spf.headers import authentication_results, received_spf
from mailsec.spf.limits import ip_problem
from mailsec.spf.lint import lint
from mailsec.spf.mta import check
from mailsec.trace import steps_to_text

__all__ = ["HELP", "MESSAGES", "configure", "nameserver_resolver", "run"]

HELP = texts(
    {
        "check": "check a client IP, MAIL FROM and HELO against the sender's SPF policy",
        "check_description": "Check an SMTP client the way a receiving mail server does (RFC "
        "7208).",
        "ip": "the connecting client's IPv4 or IPv6 address",
        "mail_from": "the envelope sender (MAIL FROM); use '' for a null sender (postmaster@HELO "
        "is checked)",
        "helo": "the HELO/EHLO name",
        "receiver": "this host's name, for the header fields",
        "trace": "print every step of the evaluation",
        "lint": "report syntax errors, the DNS lookup count and risky patterns of an SPF record",
        "lint_description": "Lint a domain's SPF record, or a record given as text ('v=spf1 ...').",
        "subject": "a domain name, or a record text in quotes",
    }
)
"""The subcommands' help (see :mod:`mailsec.i18n`)."""

MESSAGES = texts(
    {
        "result": "result: {result}",
        "meaning": "meaning: {meaning}",
        "identity": "identity: {identity} ({sender})",
        "record": "record: {record}",
        "decided_by": "decided by: {mechanism}",
        "problem": "problem: {problem}",
        "explanation": "explanation: {explanation}",
        "no_explanation": "explanation: (none)",
        "lookups": "DNS lookups: {lookups} of 10, void lookups: {voids} of 2",
        "needed": "DNS lookups needed: {lookups} of {limit}",
        "no_problems": "no problems found",
        "finding": "{severity}: {message}{cite}",
    }
)
"""What the commands print (see :mod:`mailsec.i18n`); the header fields stay as on the wire."""


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
        help=HELP["check"],
        description=HELP["check_description"],
    )
    p.add_argument("--ip", required=True, type=_ip, help=HELP["ip"])
    p.add_argument(
        "--mail-from",
        required=True,
        metavar="ADDR",
        help=HELP["mail_from"],
    )
    p.add_argument("--helo", required=True, metavar="NAME", help=HELP["helo"])
    add_dns_options(p)
    p.add_argument("--receiver", default="mailsec.invalid", help=HELP["receiver"])
    p.add_argument("--trace", action="store_true", help=HELP["trace"])

    q = sub.add_parser(
        "lint",
        help=HELP["lint"],
        description=HELP["lint_description"],
    )
    q.add_argument("subject", metavar="DOMAIN|RECORD", help=HELP["subject"])
    add_dns_options(q)


def run(args: argparse.Namespace) -> int:
    resolver = dns_resolver(args)
    if args.command == "check":
        outcome = check(
            args.ip, args.mail_from, args.helo, resolver=resolver, receiver=args.receiver
        )
        print(MESSAGES["result"].format(result=outcome.result.value))
        print(MESSAGES["meaning"].format(meaning=outcome.result.meaning))
        print(MESSAGES["identity"].format(identity=outcome.identity, sender=outcome.sender))
        if outcome.record:
            print(MESSAGES["record"].format(record=outcome.record))
        if outcome.mechanism:
            print(MESSAGES["decided_by"].format(mechanism=outcome.mechanism))
        if outcome.problem:
            print(MESSAGES["problem"].format(problem=outcome.problem))
        if outcome.explanation is not None:
            print(MESSAGES["explanation"].format(explanation=outcome.explanation))
        else:
            print(MESSAGES["no_explanation"])
        print(MESSAGES["lookups"].format(lookups=outcome.lookups, voids=outcome.void_lookups))
        print(received_spf(outcome))
        print(authentication_results(outcome))
        if args.trace:
            print()
            print(steps_to_text(outcome.trace))
        return 0
    report = lint(args.subject, resolver=resolver)
    if report.record:
        print(MESSAGES["record"].format(record=report.record))
    print(MESSAGES["needed"].format(lookups=report.lookups, limit=report.limit))
    for depth, domain, own in report.lookup_tree:
        print(f"  {'  ' * depth}{domain}: {own}")
    if not report.findings:
        print(MESSAGES["no_problems"])
    for finding in report.findings:
        cite = f" [{finding.section}]" if finding.section else ""
        print(
            MESSAGES["finding"].format(
                severity=finding.severity.label, message=finding.message, cite=cite
            )
        )
        if finding.position is not None and report.record:
            print(f"    {report.record}\n    {' ' * finding.position}^")
        elif finding.position is not None:
            print(f"    {args.subject}\n    {' ' * finding.position}^")
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    from mailsec.__main__ import main

    sys.exit(main(["spf", *sys.argv[1:]]))
