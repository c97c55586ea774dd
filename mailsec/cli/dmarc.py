"""``mailsec dmarc``: check a message as a receiving server does, summarize reports (chapter 07).

::

    mailsec dmarc check --ip IP --mail-from ADDR --helo NAME [--zone FILE | --nameserver HOST[:PORT]]
        [--receiver NAME] [--sample X]                                  < message
    mailsec dmarc report FILE...

``check`` runs SPF, DKIM, ARC and DMARC over the message on standard input
(:func:`mailsec.dmarc.receiver.check_inbound`) and prints the outcome as JSON: ``result``,
``policy``, ``disposition``, ``from_domain``, ``spf``, ``dkim``, ``arc``, ``reason`` and the
``authentication_results`` field the receiver adds. It exits 0 whenever the evaluation
completed, whatever its result. ``--zone example`` is the course's example zone with the course's
DKIM keys (:func:`mailsec.dkim.course.course_resolver`); those keys are made per process, so only
messages signed in the same process verify against it. ``--sample`` makes ``pct`` sampling
repeatable (a number in [0, 1); by default a random one).

``report`` reads aggregate reports (XML, ``.xml.gz`` or ``.zip``, within the bounds of
:func:`mailsec.dmarc.read_report`) and prints one line per report, then one row per source IP
address over all of them.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, BinaryIO, TextIO

from mailsec.cli import read_file, read_stdin
from mailsec.cli.dns import add_dns_options, dns_resolver
from mailsec.errors import InputError, one_line
from mailsec.i18n import texts
from mailsec.spf.limits import ip_problem

if TYPE_CHECKING:
    from mailsec.dmarc.reports import SourceSummary

__all__ = ["configure", "run"]

HELP = texts(
    {
        "check": "check the message on standard input as a receiving server does (SPF, DKIM, ARC, "
        "DMARC) and print the outcome as JSON",
        "report": "summarize DMARC aggregate reports (XML, .xml.gz, .zip) per source IP address",
        "ip": "the connecting client's IPv4 or IPv6 address",
        "mail_from": "the envelope sender (MAIL FROM); use '' for a null sender",
        "helo": "the HELO/EHLO name",
        "receiver": "this host's name (the authserv-id of Authentication-Results)",
        "sample": "a number in [0, 1) that decides pct sampling (default: random)",
        "files": "the report files",
    }
)

MESSAGES = texts(
    {
        "sample": "{value!r} is not a number from 0 up to (not including) 1.",
        "report": "The report file {path!r} cannot be read: {problem}",
        "header": "report from {org}, id {report_id}, for {domain}, {begin} to {end} UTC, "
        "{messages} messages, p={policy}",
        "total": "total",
        "columns": (
            "source IP",
            "messages",
            "DMARC pass",
            "DMARC fail",
            "SPF aligned",
            "DKIM aligned",
            "delivered",
            "quarantined",
            "rejected",
        ),
    }
)

#: The table's columns: the fields of a source's summary (the first is its address).
COLUMNS = (
    "",
    "messages",
    "dmarc_pass",
    "dmarc_fail",
    "spf_aligned",
    "dkim_aligned",
    "delivered",
    "quarantined",
    "rejected",
)


def _ip(text: str) -> str:
    """The client address as the check reads it (:func:`~mailsec.spf.limits.ip_problem`)."""
    problem = ip_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def _sample(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(MESSAGES["sample"].format(value=text))
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    check = sub.add_parser("check", help=HELP["check"], description=HELP["check"])
    check.add_argument("--ip", required=True, type=_ip, help=HELP["ip"])
    check.add_argument("--mail-from", required=True, metavar="ADDR", help=HELP["mail_from"])
    check.add_argument("--helo", required=True, metavar="NAME", help=HELP["helo"])
    add_dns_options(check)
    check.add_argument("--receiver", default="mailsec.invalid", help=HELP["receiver"])
    check.add_argument("--sample", type=_sample, metavar="X", help=HELP["sample"])

    report = sub.add_parser("report", help=HELP["report"], description=HELP["report"])
    report.add_argument("files", nargs="+", metavar="FILE", help=HELP["files"])


def run(
    args: argparse.Namespace, *, stdin: BinaryIO | None = None, stdout: TextIO | None = None
) -> int:
    """Carry out one subcommand; returns the exit status."""
    sink = stdout or sys.stdout
    if args.command == "check":
        message = read_stdin(stdin or sys.stdin.buffer)
        sink.write(json.dumps(_check(args, message), indent=2, ensure_ascii=False) + "\n")
    else:
        sink.write(_report(args.files))
    sink.flush()
    return 0


def _check(args: argparse.Namespace, message: bytes) -> dict[str, object]:
    from mailsec.dmarc.receiver import check_inbound

    checked = check_inbound(
        message,
        client_ip=args.ip,
        helo=args.helo,
        mail_from=args.mail_from,
        authserv_id=args.receiver,
        resolver=dns_resolver(args, course_keys=True),
        sample=args.sample,
    )
    outcome = checked.dmarc
    spf = outcome.spf
    return {
        "result": outcome.result.value,
        "policy": outcome.policy.value if outcome.policy else None,
        "disposition": outcome.disposition.value,
        "override": outcome.override.value if outcome.override else None,
        "from_domain": outcome.from_domain,
        "record_domain": outcome.record_domain,
        "spf": {
            "result": checked.spf.result.value,
            "domain": spf.domain if spf else checked.spf.domain,
            "aligned": bool(spf and spf.aligned),
        },
        "dkim": [
            {
                "result": dmarc_view.result.value,
                "domain": dmarc_view.domain,
                "selector": dmarc_view.selector,
                "aligned": dmarc_view.aligned,
                "reason": verified.reason,
            }
            for dmarc_view, verified in zip(outcome.dkim, checked.dkim, strict=True)
        ],
        "arc": {"result": checked.arc.result.value, "reason": checked.arc.reason},
        "reason": outcome.reason,
        "authentication_results": checked.header,
    }


def _report(paths: Sequence[str]) -> str:
    from mailsec.dmarc import read_report, summarize

    reports = []
    for path in paths:
        data = read_file(path, "report")
        try:
            reports.append(read_report(data))
        except InputError as exc:
            raise InputError(MESSAGES["report"].format(path=path, problem=exc.message)) from None
    lines = [
        MESSAGES["header"].format(
            org=one_line(report.org_name),
            report_id=one_line(report.report_id),
            domain=one_line(report.policy_published.domain),
            begin=f"{report.begin:%Y-%m-%d %H:%M:%S}",
            end=f"{report.end:%Y-%m-%d %H:%M:%S}",
            messages=report.messages,
            policy=report.policy_published.policy.value,
        )
        for report in reports
    ]
    return "\n".join([*lines, "", *_table(summarize(reports))]) + "\n"


def _table(summaries: Sequence[SourceSummary]) -> list[str]:
    """One row per source, a total row, columns aligned (numbers to the right)."""
    keys = list(COLUMNS[1:])
    rows = [[s.source_ip, *(str(getattr(s, key)) for key in keys)] for s in summaries]
    totals = [str(sum(getattr(s, key) for s in summaries)) for key in keys]
    table = [list(MESSAGES["columns"]), *rows, [MESSAGES["total"], *totals]]
    widths = [max(_width(row[i]) for row in table) for i in range(len(COLUMNS))]
    return [
        "  ".join(
            [
                row[0] + " " * (widths[0] - _width(row[0])),
                *(" " * (w - _width(c)) + c for c, w in zip(row[1:], widths[1:], strict=True)),
            ]
        ).rstrip()
        for row in table
    ]


def _width(text: str) -> int:
    """How many columns ``text`` takes in a terminal: a wide (East Asian) character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


if __name__ == "__main__":  # pragma: no cover
    from mailsec.__main__ import main

    sys.exit(main(["dmarc", *sys.argv[1:]]))
