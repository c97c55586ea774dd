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
from mailsec.op25b import SCENARIOS, Policy, scenario, simulate
from mailsec.op25b.model import STANDARD_WORLD
from mailsec.op25b.path import PathResult, node_label
from mailsec.op25b.replay import LoopbackMailServers

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    sim = commands.add_parser(
        "simulate",
        help="send one message through the model and print the path and verdict",
        description="Send one message through the model network; print each hop and the verdict.",
    )
    sim.add_argument(
        "--from", dest="source", required=True, metavar="HOST", help="sender's machine"
    )
    sim.add_argument("--to", dest="destination", metavar="HOST", help="the first server")
    sim.add_argument("--port", metavar="N", help="TCP port of the first server (1-65535)")
    sim.add_argument(
        "--via-webmail",
        action="store_true",
        help="send through the webmail site over HTTPS (same as --to webmail --port 443)",
    )
    sim.add_argument("--user", metavar="U", help="log in as U (SMTP AUTH or webmail)")
    sim.add_argument("--password", metavar="P", help="the password for --user")
    sim.add_argument("--mail-from", metavar="ADDR", help="the sender address (MAIL FROM)")
    sim.add_argument(
        "--rcpt-to", metavar="ADDR", default="taro@example.net", help="the recipient (RCPT TO)"
    )
    _policy_options(sim)
    sim.add_argument(
        "--replay", action="store_true", help="also send it over real SMTP on 127.0.0.1"
    )
    sim.add_argument(
        "--drop-timeout",
        type=float,
        default=2.0,
        metavar="S",
        help="seconds a replayed client waits for a dropped connection (default 2)",
    )
    sim.add_argument(
        "--maildir",
        metavar="DIR",
        help="with --replay: deliver into DIR/<address>/ (a Maildir) and keep it",
    )

    sc = commands.add_parser(
        "scenarios",
        help="list the prepared scenarios, or run one",
        description="List the prepared scenarios; --run ID evaluates one (and --replay replays it).",
    )
    sc.add_argument("--run", metavar="ID", help="the scenario to run")
    sc.add_argument("--replay", action="store_true", help="also send it over real SMTP")
    sc.add_argument("--drop-timeout", type=float, default=2.0, metavar="S", help=argparse.SUPPRESS)
    sc.add_argument("--maildir", metavar="DIR", help="with --replay: keep delivered mail in DIR")

    commands.add_parser("hosts", help="list the model's hosts", description="List the hosts.")


def _policy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-op25b", action="store_true", help="switch OP25B off at ISP A's edge")
    parser.add_argument(
        "--no-submission-auth",
        action="store_true",
        help="let the submission server take mail without SMTP AUTH",
    )
    parser.add_argument(
        "--open-relay", action="store_true", help="switch relay control off (open relays)"
    )
    parser.add_argument(
        "--ip25b", action="store_true", help="port-25 servers refuse other ISPs' dynamic pools"
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    if args.command == "hosts":
        for host in STANDARD_WORLD.hosts:
            ports = ", ".join(f"{s.port} {s.kind.value}" for s in host.services) or "client"
            print(f"{host.id:<14} {host.hostname:<28} {host.ipv4!s:<16} {ports}", file=out)
        return 0
    if args.command == "scenarios":
        if not args.run:
            for s in SCENARIOS:
                print(f"{s.id:<20} {s.expected.value:<10} {s.title}", file=out)
            return 0
        chosen = scenario(args.run)
        result = chosen.evaluate()
        print(f"{chosen.title}\n{chosen.story}\n", file=out)
        _print_result(result, out)
        if args.replay:
            _replay(result, args, out)
        return 0
    return _simulate(args, out)


def _simulate(args: argparse.Namespace, out: TextIO) -> int:
    destination, port = args.destination, args.port
    if args.via_webmail:
        if destination not in (None, "webmail") or port not in (None, "443"):
            raise InputError(
                "--via-webmail already means --to webmail --port 443: leave out --to and --port."
            )
        destination, port = "webmail", "443"
    if destination is None or port is None:
        raise InputError("Give --to HOST and --port N (or --via-webmail).")
    if (args.user is None) != (args.password is None):
        raise InputError("Give both --user and --password, or neither.")
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
    print(
        f"Attempt: {a.source.id} ({a.source.ipv4}) -> {a.destination.hostname} port {a.port}, "
        f"MAIL FROM {a.mail_from}, RCPT TO {a.rcpt_to}"
        + (f", login {a.credentials.user}" if a.credentials else ""),
        file=out,
    )
    print("Path:", file=out)
    for i, hop in enumerate(result.hops, start=1):
        mark = {"ok": "+", "warn": "~", "fail": "x", "info": "-"}[hop.decision.outcome.value]
        port = f" port {hop.port}" if hop.port else ""
        print(
            f"  {mark} {i}. {node_label(hop.source)} -> {node_label(hop.target)}{port}: "
            f"{hop.decision.label}",
            file=out,
        )
        print(f"       {hop.reason}" + (f" [{hop.section}]" if hop.section else ""), file=out)
        if hop.reply:
            print(f"       reply: {hop.reply.line}", file=out)
    print(f"Verdict: {result.verdict.value.upper()} - {result.summary}", file=out)


def _replay(result: PathResult, args: argparse.Namespace, out: TextIO) -> None:
    print("\nReplay over real SMTP on 127.0.0.1:", file=out)
    with LoopbackMailServers(drop_timeout=args.drop_timeout, maildir_root=args.maildir) as servers:
        done = servers.replay(
            result.attempt,
            result.policy,
            progress=lambda text: print(f"  ... {text}", file=sys.stderr),
        )
    print(done.text, file=out)
    if done.simulated_drop:
        print("(The drop was simulated: a real client would wait longer.)", file=out)
    if args.maildir:
        for path in done.delivered:
            print(f"Delivered: {path}", file=out)
    print(
        f"Real verdict: {done.verdict.value.upper()} "
        f"({'agrees' if done.agrees_with_model else 'DISAGREES'} with the model)",
        file=out,
    )
