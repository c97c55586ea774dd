"""The ``mailsec`` command line: one subcommand group per topic.

Each group lives in ``mailsec/cli/<group>.py`` and is imported only when it is used, so
``mailsec --help`` is quick. A group module provides either

- ``configure(parser)`` to add its arguments (and sub-subcommands) to an ``argparse`` parser and
  ``run(args) -> int`` to carry them out, or
- ``main(argv) -> int`` when it parses its own arguments (the Stateless OpenPGP group does).

Bad input ends with one plain line on standard error and a non-zero exit status; no traceback.

The language: ``--lang en|ja`` before the group (``python -m mailsec --lang ja smime verify``),
else the POSIX variables ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` (:func:`mailsec.i18n.
language_from_environment`); English by default. Everything the command prints runs inside
:func:`mailsec.i18n.using` that language; argparse's own phrases stay English.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mailsec import __version__
from mailsec.cli import USAGE_ERROR, OneLineParser, UsageError, one_line
from mailsec.errors import MailsecError
from mailsec.i18n import LANGUAGES, language_from_environment, texts, using

#: The exit status of a bug in mailsec itself (EX_SOFTWARE of sysexits.h).
INTERNAL_ERROR = 70

DESCRIPTIONS = texts(
    {
        "serve": "run real POP3 and IMAP4 servers over a Maildir (chapter 01)",
        "op25b": "simulate sending mail through ISPs with OP25B (chapter 02)",
        "spf": "check a sender with SPF, lint SPF records (chapter 03)",
        "pki": "make a course CA and S/MIME certificates (chapters 04-05)",
        "smime": "sign, encrypt, decrypt and verify S/MIME mail (chapter 05)",
        "sop": "the Stateless OpenPGP command line (chapter 06)",
        "dkim": "make DKIM keys, sign and verify DKIM signatures (chapter 07)",
        "dmarc": "check DMARC for a message, summarize aggregate reports (chapter 07)",
        "mailsystem": "run a whole mail system on loopback and an attacker's campaign (chapter 09)",
    }
)
"""One line per group for ``mailsec --help``, in chapter order (see :mod:`mailsec.i18n`)."""

#: (name, module, one-line description in English) of every subcommand group, in chapter order;
#: what is shown is the description in the command line's language (:data:`DESCRIPTIONS`).
GROUPS: tuple[tuple[str, str, str], ...] = tuple(
    (name, f"mailsec.cli.{name}", text) for name, text in DESCRIPTIONS.source.items()
)

MESSAGES = texts(
    {
        "description": "mailsec: the command line of the email-security course.",
        "epilog": "subcommand groups:\n{listing}\n\nRun 'mailsec GROUP --help' for a group's "
        "commands.",
        "group": "one of the groups below",
        "lang": "the language of everything the command prints: {choices} (default: from "
        "LC_ALL, LC_MESSAGES or LANG, else en)",
        "version": "show the version and exit",
        "help": "show this help and exit",
        "missing": "mailsec: the '{name}' commands are not part of this version yet.",
        "error": "mailsec{group}: error: {message}",
        "interrupted": "mailsec {name}: interrupted",
        "internal": "mailsec {name}: internal error ({kind}: {error}); please report it with "
        "the command that caused it.",
    }
)
"""The command line's own sentences (see :mod:`mailsec.i18n`)."""


def _top_parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<10} {DESCRIPTIONS[name]}" for name, _module, _text in GROUPS)
    parser = OneLineParser(
        prog="mailsec",
        description=MESSAGES["description"],
        epilog=MESSAGES["epilog"].format(listing=listing),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    parser.add_argument("-h", "--help", action="help", help=MESSAGES["help"])
    parser.add_argument(
        "--version", action="version", version=f"mailsec {__version__}", help=MESSAGES["version"]
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help=MESSAGES["lang"].format(choices=", ".join(LANGUAGES)),
    )
    parser.add_argument(
        "group", metavar="GROUP", choices=[g[0] for g in GROUPS], help=MESSAGES["group"]
    )
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def _requested(argv: Sequence[str]) -> str:
    """The language asked for: a valid ``--lang`` before the group, else the environment's
    (an invalid ``--lang`` is reported by the parser, in the environment's language)."""
    for i, word in enumerate(argv):
        if word == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif word.startswith("--lang="):
            value = word.partition("=")[2]
        elif word.startswith("-"):
            continue
        else:
            break  # the group: what follows is the group's own arguments
        if value in LANGUAGES:
            return value
        break
    return language_from_environment()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    with using(_requested(words)):
        return _main(words)


def _main(words: list[str]) -> int:
    try:
        args = _top_parser().parse_args(words)
    except UsageError as exc:
        print(MESSAGES["error"].format(group="", message=one_line(exc.message)), file=sys.stderr)
        return USAGE_ERROR
    name, module_name, _text = next(g for g in GROUPS if g[0] == args.group)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(MESSAGES["missing"].format(name=name), file=sys.stderr)
        return 2
    try:
        if hasattr(module, "main"):
            return int(module.main(list(args.rest)) or 0)
        parser = OneLineParser(prog=f"mailsec {name}", description=DESCRIPTIONS[name])
        module.configure(parser)
        return int(module.run(parser.parse_args(args.rest)) or 0)
    except UsageError as exc:
        message = one_line(exc.message)
        print(MESSAGES["error"].format(group=f" {name}", message=message), file=sys.stderr)
        return USAGE_ERROR
    except MailsecError as exc:
        message = one_line(exc.message)
        print(MESSAGES["error"].format(group=f" {name}", message=message), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(MESSAGES["interrupted"].format(name=name), file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: say so in one line, never a traceback
        error = MESSAGES["internal"].format(
            name=name, kind=type(exc).__name__, error=one_line(str(exc))
        )
        print(error, file=sys.stderr)
        return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
