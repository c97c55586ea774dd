"""The ``mailsec`` command line: one subcommand group per topic.

Each group lives in ``mailsec/cli/<group>.py`` and is imported only when it is used, so
``mailsec --help`` is quick. A group module provides either

- ``configure(parser)`` to add its arguments (and sub-subcommands) to an ``argparse`` parser and
  ``run(args) -> int`` to carry them out, or
- ``main(argv) -> int`` when it parses its own arguments (the Stateless OpenPGP group does).

Bad input ends with one plain line on standard error and a non-zero exit status; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mailsec import __version__
from mailsec.cli import USAGE_ERROR, OneLineParser, UsageError, one_line
from mailsec.errors import MailsecError

#: The exit status of a bug in mailsec itself (EX_SOFTWARE of sysexits.h).
INTERNAL_ERROR = 70

#: (name, module, one-line description) of every subcommand group, in chapter order.
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("serve", "mailsec.cli.serve", "run real POP3 and IMAP4 servers over a Maildir (chapter 01)"),
    ("op25b", "mailsec.cli.op25b", "simulate sending mail through ISPs with OP25B (chapter 02)"),
    ("spf", "mailsec.cli.spf", "check a sender with SPF, lint SPF records (chapter 03)"),
    ("pki", "mailsec.cli.pki", "make a course CA and S/MIME certificates (chapters 04-05)"),
    ("smime", "mailsec.cli.smime", "sign, encrypt, decrypt and verify S/MIME mail (chapter 05)"),
    ("sop", "mailsec.cli.sop", "the Stateless OpenPGP command line (chapter 06)"),
    ("dkim", "mailsec.cli.dkim", "make DKIM keys, sign and verify DKIM signatures (chapter 07)"),
    (
        "dmarc",
        "mailsec.cli.dmarc",
        "check DMARC for a message, summarize aggregate reports (chapter 07)",
    ),
    (
        "mailsystem",
        "mailsec.cli.mailsystem",
        "run a whole mail system on loopback and an attacker's campaign (chapter 09)",
    ),
)


def _top_parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<10} {text}" for name, _module, text in GROUPS)
    parser = argparse.ArgumentParser(
        prog="mailsec",
        description="mailsec: the command line of the email-security course.",
        epilog=f"subcommand groups:\n{listing}\n\nRun 'mailsec GROUP --help' for a group's commands.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mailsec {__version__}")
    parser.add_argument(
        "group", metavar="GROUP", choices=[g[0] for g in GROUPS], help="one of the groups below"
    )
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _top_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    name, module_name, text = next(g for g in GROUPS if g[0] == args.group)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(f"mailsec: the '{name}' commands are not part of this version yet.", file=sys.stderr)
        return 2
    try:
        if hasattr(module, "main"):
            return int(module.main(list(args.rest)) or 0)
        parser = OneLineParser(prog=f"mailsec {name}", description=text)
        module.configure(parser)
        return int(module.run(parser.parse_args(args.rest)) or 0)
    except UsageError as exc:
        print(f"mailsec {name}: error: {one_line(exc.message)}", file=sys.stderr)
        return USAGE_ERROR
    except MailsecError as exc:
        print(f"mailsec {name}: error: {one_line(exc.message)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mailsec {name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: say so in one line, never a traceback
        print(
            f"mailsec {name}: internal error ({type(exc).__name__}: {one_line(str(exc))}); "
            "please report it "
            "with the command that caused it.",
            file=sys.stderr,
        )
        return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
