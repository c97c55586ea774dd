"""``mailsec op25b``: simulate sending mail through ISPs with OP25B (chapter 02).

::

    mailsec op25b simulate --from home-pc --to recipient-mx --port 25
    mailsec op25b simulate --from infected-pc --via-webmail --user U --password P
    mailsec op25b simulate --from home-pc --to provider-smtp --port 587 \\
        --user hanako@mailprovider.example --password sakura-2026 --replay
    mailsec op25b scenarios [--run ID] [--replay]
    mailsec op25b hosts

``simulate`` prints the path hop by hop and the verdict; ``--replay`` also sends the message over
real SMTP servers on 127.0.0.1 and prints the conversation. Bad input ends with one line on
standard error and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.op25b import SCENARIOS, Policy, scenario, simulate
from mailsec.op25b.model import STANDARD_WORLD
from mailsec.op25b.path import PathResult, node_label
from mailsec.op25b.replay import LoopbackMailServers

__all__ = ["HELP", "MESSAGES", "configure", "run"]

HELP = texts(
    {
        "simulate": "send one message through the model and print the path and verdict",
        "simulate_description": "Send one message through the model network; print each hop "
        "and the verdict.",
        "from": "sender's machine",
        "to": "the first server",
        "port": "TCP port of the first server (1-65535)",
        "via_webmail": "send through the webmail site over HTTPS (same as --to webmail --port 443)",
        "user": "log in as U (SMTP AUTH or webmail)",
        "password": "the password for --user",
        "mail_from": "the sender address (MAIL FROM)",
        "rcpt_to": "the recipient (RCPT TO)",
        "replay": "also send it over real SMTP on 127.0.0.1",
        "drop_timeout": "seconds a replayed client waits for a dropped connection (default 2)",
        "maildir": "with --replay: deliver into DIR/<address>/ (a Maildir) and keep it",
        "scenarios": "list the prepared scenarios, or run one",
        "scenarios_description": "List the prepared scenarios; --run ID evaluates one (and "
        "--replay replays it).",
        "run": "the scenario to run",
        "replay_scenario": "also send it over real SMTP",
        "maildir_scenario": "with --replay: keep delivered mail in DIR",
        "hosts": "list the model's hosts",
        "hosts_description": "List the hosts.",
        "no_op25b": "switch OP25B off at ISP A's edge",
        "no_submission_auth": "let the submission server take mail without SMTP AUTH",
        "open_relay": "switch relay control off (open relays)",
        "ip25b": "port-25 servers refuse other ISPs' dynamic pools",
    }
)
"""The subcommands' help (see :mod:`mailsec.i18n`)."""

MESSAGES = texts(
    {
        "client": "client",
        "webmail_twice": "--via-webmail already means --to webmail --port 443: leave out --to "
        "and --port.",
        "where": "Give --to HOST and --port N (or --via-webmail).",
        "login": "Give both --user and --password, or neither.",
        "attempt": "Attempt: {source} ({address}) -> {server} port {port}, MAIL FROM {sender}, "
        "RCPT TO {rcpt}",
        "attempt_login": "Attempt: {source} ({address}) -> {server} port {port}, MAIL FROM "
        "{sender}, RCPT TO {rcpt}, login {user}",
        "path": "Path:",
        "hop": "{source} -> {target}: {decision}",
        "hop_port": "{source} -> {target} port {port}: {decision}",
        "reply": "reply: {reply}",
        "verdict": "Verdict: {verdict} - {summary}",
        "replay": "Replay over real SMTP on 127.0.0.1:",
        "simulated": "(The drop was simulated: a real client would wait longer.)",
        "delivered": "Delivered: {path}",
        "agrees": "Real verdict: {verdict} (agrees with the model)",
        "disagrees": "Real verdict: {verdict} (DISAGREES with the model)",
    }
)
"""What the command prints (see :mod:`mailsec.i18n`)."""


def configure(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    sim = commands.add_parser(
        "simulate",
        help=HELP["simulate"],
        description=HELP["simulate_description"],
    )
    sim.add_argument("--from", dest="source", required=True, metavar="HOST", help=HELP["from"])
    sim.add_argument("--to", dest="destination", metavar="HOST", help=HELP["to"])
    sim.add_argument("--port", metavar="N", help=HELP["port"])
    sim.add_argument("--via-webmail", action="store_true", help=HELP["via_webmail"])
    sim.add_argument("--user", metavar="U", help=HELP["user"])
    sim.add_argument("--password", metavar="P", help=HELP["password"])
    sim.add_argument("--mail-from", metavar="ADDR", help=HELP["mail_from"])
    sim.add_argument("--rcpt-to", metavar="ADDR", default="taro@example.net", help=HELP["rcpt_to"])
    _policy_options(sim)
    sim.add_argument("--replay", action="store_true", help=HELP["replay"])
    sim.add_argument(
        "--drop-timeout", type=float, default=2.0, metavar="S", help=HELP["drop_timeout"]
    )
    sim.add_argument("--maildir", metavar="DIR", help=HELP["maildir"])

    sc = commands.add_parser(
        "scenarios", help=HELP["scenarios"], description=HELP["scenarios_description"]
    )
    sc.add_argument("--run", metavar="ID", help=HELP["run"])
    sc.add_argument("--replay", action="store_true", help=HELP["replay_scenario"])
    sc.add_argument("--drop-timeout", type=float, default=2.0, metavar="S", help=argparse.SUPPRESS)
    sc.add_argument("--maildir", metavar="DIR", help=HELP["maildir_scenario"])

    commands.add_parser("hosts", help=HELP["hosts"], description=HELP["hosts_description"])


def _policy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-op25b", action="store_true", help=HELP["no_op25b"])
    parser.add_argument(
        "--no-submission-auth", action="store_true", help=HELP["no_submission_auth"]
    )
    parser.add_argument("--open-relay", action="store_true", help=HELP["open_relay"])
    parser.add_argument("--ip25b", action="store_true", help=HELP["ip25b"])


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    if args.command == "hosts":
        for host in STANDARD_WORLD.hosts:
            ports = ", ".join(f"{s.port} {s.kind.value}" for s in host.services)
            ports = ports or MESSAGES["client"]
            print(f"{host.id:<14} {host.hostname:<28} {host.ipv4!s:<16} {ports}", file=out)
        return 0
    if args.command == "scenarios":
        if not args.run:
            for s in SCENARIOS:
                print(f"{s.id:<20} {s.expected.value:<10} {s.shown_title}", file=out)
            return 0
        chosen = scenario(args.run)
        result = chosen.evaluate()
        print(f"{chosen.shown_title}\n{chosen.shown_story}\n", file=out)
        _print_result(result, out)
        if args.replay:
            _replay(result, args, out)
        return 0
    return _simulate(args, out)


def _simulate(args: argparse.Namespace, out: TextIO) -> int:
    destination, port = args.destination, args.port
    if args.via_webmail:
        if destination not in (None, "webmail") or port not in (None, "443"):
            raise InputError(MESSAGES["webmail_twice"])
        destination, port = "webmail", "443"
    if destination is None or port is None:
        raise InputError(MESSAGES["where"])
    if (args.user is None) != (args.password is None):
        raise InputError(MESSAGES["login"])
    policy = Policy(
        op25b=not args.no_op25b,
        submission_auth=not args.no_submission_auth,
        relay_control=not args.open_relay,
        ip25b=args.ip25b,
    )
    result = simulate(
        args.source,
        destination,
        port,
        mail_from=args.mail_from,
        rcpt_to=args.rcpt_to,
        user=args.user,
        password=args.password,
        policy=policy,
    )
    _print_result(result, out)
    if args.replay:
        _replay(result, args, out)
    return 0


def _print_result(result: PathResult, out: TextIO) -> None:
    a = result.attempt
    attempt = MESSAGES["attempt_login" if a.credentials else "attempt"].format(
        source=a.source.id,
        address=a.source.ipv4,
        server=a.destination.hostname,
        port=a.port,
        sender=a.mail_from,
        rcpt=a.rcpt_to,
        user=a.credentials.user if a.credentials else "",
    )
    print(attempt, file=out)
    print(MESSAGES["path"], file=out)
    for i, hop in enumerate(result.hops, start=1):
        mark = {"ok": "+", "warn": "~", "fail": "x", "info": "-"}[hop.decision.outcome.value]
        line = MESSAGES["hop_port" if hop.port else "hop"].format(
            source=node_label(hop.source),
            target=node_label(hop.target),
            port=hop.port,
            decision=hop.decision.label,
        )
        print(f"  {mark} {i}. {line}", file=out)
        print(f"       {hop.reason}" + (f" [{hop.section}]" if hop.section else ""), file=out)
        if hop.reply:
            print("       " + MESSAGES["reply"].format(reply=hop.reply.line), file=out)
    verdict = MESSAGES["verdict"].format(
        verdict=result.verdict.label.upper(), summary=result.summary
    )
    print(verdict, file=out)


def _replay(result: PathResult, args: argparse.Namespace, out: TextIO) -> None:
    print("\n" + MESSAGES["replay"], file=out)
    with LoopbackMailServers(drop_timeout=args.drop_timeout, maildir_root=args.maildir) as servers:
        done = servers.replay(
            result.attempt,
            result.policy,
            progress=lambda text: print(f"  ... {text}", file=sys.stderr),
        )
    print(done.text, file=out)
    if done.simulated_drop:
        print(MESSAGES["simulated"], file=out)
    if args.maildir:
        for path in done.delivered:
            print(MESSAGES["delivered"].format(path=path), file=out)
    agreement = MESSAGES["agrees" if done.agrees_with_model else "disagrees"]
    print(agreement.format(verdict=done.verdict.label.upper()), file=out)
