"""``mailsec mailsystem``: chapter 09's whole mail system on loopback, and its scenarios.

::

    python -m mailsec mailsystem start [--preset NAME] [--port SERVICE=PORT ...]
    python -m mailsec mailsystem list
    python -m mailsec mailsystem run NAME [--preset NAME] [--transcripts]

``start`` starts every server, prints each endpoint (the course host and port it plays, the
loopback port it listens on), the accounts and the CA certificate to trust, and runs until
Ctrl+C or SIGTERM, moving queued mail every :data:`DELIVERY_INTERVAL` seconds; stopping closes
every server. A desktop mail program can log in as Alice (submission) or Bob (POP3/IMAP). ``list`` prints one scenario a line, its name
first. ``run`` plays one scenario against a fresh system and prints its timeline, its verdicts
and (with ``--transcripts``) every hop's dialogue. Bad input ends with one line on standard
error and a non-zero exit status. Everything it prints is in the command line's language
(``python -m mailsec --lang ja mailsystem ...``, or ``LANG``; see :mod:`mailsec.i18n`); the
transcripts are the dialogues as they were on the wire.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable

from mailsec.cli import UsageError
from mailsec.cli.interrupt import until_interrupted
from mailsec.i18n import texts
from mailsec.mailsystem.plan import ACCOUNTS, LOGINS, PRESETS, Defences
from mailsec.mailsystem.scenarios import SCENARIOS, run_scenario, scenario
from mailsec.mailsystem.system import SERVICES, MailSystem
from mailsec.mailsystem.timeline import ScenarioRun

__all__ = ["configure", "run"]

DELIVERY_INTERVAL = 2.0
"""Seconds between the running system's delivery rounds (a message a client submits reaches
its MX within this; a deferred one is returned after three rounds)."""

HELP = texts(
    {
        "start": "start the whole mail system and run until Ctrl+C",
        "list": "list the scenarios, one a line, name first",
        "run": "run one scenario against a fresh system and print what happened",
        "name": "the scenario's name (see 'mailsec mailsystem list')",
        "preset": "the defences: one of {presets} (default: recommended)",
        "port": "a fixed port for one service, e.g. mx=2525 (services: {services})",
        "transcripts": "also print every hop's SMTP, POP3 or IMAP dialogue",
    }
)

MESSAGES = texts(
    {
        "port": "--port wants SERVICE=PORT (for example mx=2525), not {text!r}",
        "unknown_service": "unknown service {name!r} in --port: use {services}",
        "running": "The mail system is running (defences: {preset}). Endpoints:",
        "endpoint": "  {name:<10} {hostname}:{course_port:<4} ({address})  ->  {host}:{port}   "
        "{what}",
        "account": "  {address}: log in as {login!r} with password {password!r} ({where})",
        "accounts": "Accounts (course values, not secrets):",
        "ca": "Trust this CA in a mail client (file {path}):",
        "press": "Press Ctrl+C to stop.",
        "stopped": "The mail system stopped; every port is free again.",
        "listing": "{name:<{width}}  {title}: {summary}",
        "title": "{name}: {title} ({kind})",
        "kind_attack": "attack",
        "kind_mail": "legitimate mail",
        "event": "{number:>3}. {source} -> {target}: {label}",
        "note": "{number:>3}. {source}: {label}",
        "mark": "[{outcome}] {label}",
        "outcomes": {"info": "info", "ok": "passed", "warn": "warning", "fail": "failed"},
        "verdicts": "Verdicts:",
        "verdict": "  {control:<7} {mark:<16} {reason}",
        "result": "Result: {outcome} ({how})",
        "defended_attack": "stopped by {control}",
        "missed_attack": "not stopped",
        "arrived": "arrived",
        "lost": "lost",
        "transcript": "--- transcript #{number}: {hop}{tls}",
        "inside_tls": " (inside TLS)",
        "line": "  {side}: {text}",
    }
)


def _port(text: str) -> tuple[str, int]:
    name, sep, number = text.partition("=")
    if not sep or not number.isdigit():
        raise argparse.ArgumentTypeError(MESSAGES["port"].format(text=text))
    return name.strip(), int(number)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``start``, ``list`` and ``run`` to ``parser``."""
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    preset_help = HELP["preset"].format(presets=", ".join(PRESETS))
    start = commands.add_parser("start", help=HELP["start"], description=HELP["start"])
    start.add_argument("--preset", choices=list(PRESETS), default="recommended", help=preset_help)
    start.add_argument("--port", action="append", type=_port, default=[], metavar="SERVICE=PORT",
                       help=HELP["port"].format(services=", ".join(SERVICES)))  # fmt: skip
    commands.add_parser("list", help=HELP["list"], description=HELP["list"])
    play = commands.add_parser("run", help=HELP["run"], description=HELP["run"])
    play.add_argument("name", help=HELP["name"])
    play.add_argument("--preset", choices=list(PRESETS), default="recommended", help=preset_help)
    play.add_argument("--transcripts", action="store_true", help=HELP["transcripts"])


def run(args: argparse.Namespace, *, wait: Callable[[threading.Event], None] | None = None) -> int:
    """Carry out the command."""
    if args.command == "list":
        width = max(len(s.name) for s in SCENARIOS)
        for found in SCENARIOS:
            print(
                MESSAGES["listing"].format(
                    name=found.name, width=width, title=found.title, summary=found.summary
                )
            )
        return 0
    if args.command == "run":
        chosen = scenario(args.name)  # an unknown name is one line, before anything starts
        with MailSystem(Defences.preset(args.preset)) as system:
            result = run_scenario(system, chosen.name)
        print(timeline_text(result, transcripts=args.transcripts))
        return 0
    ports = dict(args.port)
    unknown = [name for name in ports if name not in SERVICES]
    if unknown:
        raise UsageError(
            MESSAGES["unknown_service"].format(name=unknown[0], services=", ".join(SERVICES))
        )
    system = MailSystem(Defences.preset(args.preset), ports=ports).start()

    def deliver_meanwhile(event: threading.Event) -> None:
        # The MTAs' queues run every few seconds, as a real MTA's queue runner does.
        while not event.wait(DELIVERY_INTERVAL):
            system.deliver(rounds=1)

    with until_interrupted(system.stop, wait or deliver_meanwhile) as wait_here:
        _announce(system, args.preset)
        wait_here()
    print(MESSAGES["stopped"], flush=True)
    return 0


def _announce(system: MailSystem, preset: str) -> None:
    print(MESSAGES["running"].format(preset=preset))
    for endpoint in system.endpoints():
        print(MESSAGES["endpoint"].format(**vars(endpoint)))
    print(MESSAGES["accounts"])
    for address, password in ACCOUNTS.items():
        login, where = LOGINS[address]
        print(MESSAGES["account"].format(address=address, login=login, password=password,
                                         where=where))  # fmt: skip
    print(MESSAGES["ca"].format(path=system.ca_file))
    print(system.ca_file.read_text("ascii"), end="")
    print(MESSAGES["press"], flush=True)


def timeline_text(result: ScenarioRun, *, transcripts: bool = False) -> str:
    """The run as plain text: title, numbered timeline, verdicts, result, transcripts."""
    kind = MESSAGES["kind_attack" if result.attack else "kind_mail"]
    lines = [MESSAGES["title"].format(name=result.name, title=result.title, kind=kind)]
    lanes = {lane.id: lane.label for lane in result.lanes}
    for number, event in enumerate(result.events, 1):
        source = lanes.get(event.source, event.source)
        mark = MESSAGES["mark"].format(
            outcome=MESSAGES["outcomes"][event.outcome.value], label=event.label
        )
        if event.target is None:
            lines.append(MESSAGES["note"].format(number=number, source=source, label=mark))
        else:
            target = lanes.get(event.target, event.target)
            lines.append(
                MESSAGES["event"].format(number=number, source=source, target=target, label=mark)
            )
    lines.append(MESSAGES["verdicts"])
    for verdict in result.verdicts:
        lines.append(MESSAGES["verdict"].format(
            control=verdict.control.label, mark=verdict.mark.label, reason=verdict.reason))  # fmt: skip
    if result.attack:
        how = MESSAGES["missed_attack"] if result.stopped_by is None else MESSAGES[
            "defended_attack"].format(control=result.stopped_by.label)  # fmt: skip
    else:
        how = MESSAGES["arrived" if result.defended else "lost"]
    lines.append(MESSAGES["result"].format(outcome=result.outcome, how=how))
    if transcripts:
        for number, transcript in enumerate(result.transcripts, 1):
            tls = MESSAGES["inside_tls"] if transcript.tls else ""
            lines.append(MESSAGES["transcript"].format(number=number, hop=transcript.hop, tls=tls))
            for line in transcript.lines:
                side = "C" if line.client else "S"
                lines.append(MESSAGES["line"].format(side=side, text=line.text))
    return "\n".join(lines)
