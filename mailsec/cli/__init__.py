"""Subcommand groups of the ``mailsec`` command line, one module per group (see ``__main__``).

The rules every group follows live here: an argument error is one plain line (not a usage block)
with exit status 2, and every message printed on standard error stays one line, whatever the
input it quotes (:func:`~mailsec.errors.one_line`). The words are the command line's language
(:mod:`mailsec.i18n`), argparse's own phrases included: Python's argparse writes them in English,
and :func:`argparse_phrase` words the common ones in the command line's language.
"""

from __future__ import annotations

import argparse
import errno
import re
from pathlib import Path
from typing import BinaryIO, NoReturn

from mailsec.errors import InputError, one_line
from mailsec.i18n import gettext, texts
from mailsec.limits import MAX_MESSAGE

__all__ = [
    "USAGE_ERROR",
    "OneLineParser",
    "UsageError",
    "argparse_phrase",
    "one_line",
    "os_reason",
    "read_file",
    "read_stdin",
]

#: The exit status of a command line that cannot be parsed (argparse's own convention).
USAGE_ERROR = 2

MESSAGES = texts(
    {
        "usage": "{message} (see '{prog} --help')",
        "too_large": "Standard input holds more than {limit:,} bytes; the course reads messages "
        "up to that size.",
        "empty": "Nothing came on standard input; pipe {what} into the command.",
        "mail": "a mail message",
        "unreadable": "Cannot read the {what} file {path!r}: {reason}.",
        "file_too_large": "The {what} file {path!r} is larger than {limit:,} bytes.",
        # What the groups pass as read_file's ``what``: shown in the command line's language.
        "files": {
            "key": "key",
            "certificate": "certificate",
            "ca": "CA certificate",
            "report": "report",
        },
        # Why a file could not be read or written (the operating system's words, by errno).
        "reasons": {
            "ENOENT": "No such file or directory",
            "EACCES": "Permission denied",
            "EPERM": "Operation not permitted",
            "EISDIR": "Is a directory",
            "ENOTDIR": "Not a directory",
            "EEXIST": "File exists",
            "ELOOP": "Too many levels of symbolic links",
            "ENAMETOOLONG": "File name too long",
            "ENOSPC": "No space left on device",
            "EROFS": "Read-only file system",
        },
    }
)
"""The rules' sentences (see :mod:`mailsec.i18n`)."""

ARGPARSE = texts(
    {
        "argument": "argument {name}: {problem}",
        "required": "the following arguments are required: {names}",
        "unrecognized": "unrecognized arguments: {names}",
        "one_of": "one of the arguments {names} is required",
        "ambiguous": "ambiguous option: {option} could match {matches}",
        "invalid_choice": "invalid choice: {value} (choose from {choices})",
        "invalid_value": "invalid {type} value: {value}",
        "expected_one": "expected one argument",
        "expected_some": "expected at least one argument",
        "not_allowed": "not allowed with argument {other}",
    }
)
"""argparse's phrases (Python 3.10 to 3.13 word them so), each with the pattern that reads it."""

_ARGUMENT = re.compile(r"argument (?P<name>[^:]+): (?P<problem>.*)", re.DOTALL)
_PHRASES = (
    ("required", re.compile(r"the following arguments are required: (?P<names>.*)", re.DOTALL)),
    ("unrecognized", re.compile(r"unrecognized arguments: (?P<names>.*)", re.DOTALL)),
    ("one_of", re.compile(r"one of the arguments (?P<names>.*) is required", re.DOTALL)),
    (
        "ambiguous",
        re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.*)", re.DOTALL),
    ),
    (
        "invalid_choice",
        re.compile(r"invalid choice: (?P<value>.*) \(choose from (?P<choices>.*)\)", re.DOTALL),
    ),
    ("invalid_value", re.compile(r"invalid (?P<type>\w+) value: (?P<value>.*)", re.DOTALL)),
    ("expected_one", re.compile(r"expected one argument")),
    ("expected_some", re.compile(r"expected at least one argument")),
    ("not_allowed", re.compile(r"not allowed with argument (?P<other>.*)", re.DOTALL)),
)


def _phrase(message: str) -> str:
    for key, pattern in _PHRASES:
        found = pattern.fullmatch(message)
        if found:
            return str(ARGPARSE[key].format(**found.groupdict()))
    return message


def argparse_phrase(message: str) -> str:
    """An argparse error ``message`` in the command line's language: its common phrases (a
    missing or unknown argument, a bad choice or value) are worded through the catalog; any other
    stays as argparse wrote it. In English the message is returned exactly as it came."""
    if ARGPARSE["required"] == ARGPARSE.source["required"]:
        return message  # English (or a language without these phrases): argparse's own words
    argument = _ARGUMENT.fullmatch(message)
    if argument:
        return str(
            ARGPARSE["argument"].format(name=argument["name"], problem=_phrase(argument["problem"]))
        )
    return _phrase(message)


class UsageError(InputError):
    """The command line itself is wrong: an unknown option, a missing or malformed argument."""


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one plain line (through :class:`UsageError`) instead
    of a usage block; the parsers of its subcommands are of this class too."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(MESSAGES["usage"].format(message=argparse_phrase(message), prog=self.prog))


def os_reason(exc: OSError) -> str:
    """Why an operating-system call failed, in the command line's language: the words of
    :data:`MESSAGES` ``["reasons"]`` for a common errno once translated, else the system's own
    ``strerror`` (so English is always exactly what the system says)."""
    name = errno.errorcode.get(exc.errno or 0, "")
    english = MESSAGES.source["reasons"].get(name)
    if english is not None:
        shown = MESSAGES["reasons"][name]
        if shown != english:
            return str(shown)
    return exc.strerror or str(exc)


def read_stdin(stream: BinaryIO, what: str | None = None) -> bytes:
    """Standard input whole, at most :data:`~mailsec.limits.MAX_MESSAGE` bytes; empty input or
    more than that is refused with one line that says to pipe ``what`` (a mail message; an
    English phrase, shown translated when the catalog has it)."""
    data = stream.read(MAX_MESSAGE + 1)
    if len(data) > MAX_MESSAGE:
        raise InputError(MESSAGES["too_large"].format(limit=MAX_MESSAGE))
    if not data or data.isspace():
        raise InputError(MESSAGES["empty"].format(what=gettext(what) if what else MESSAGES["mail"]))
    return data


def read_file(path: str, what: str) -> bytes:
    """A file named on the command line (a key, a certificate, a report), at most
    :data:`~mailsec.limits.MAX_MESSAGE` bytes. ``what`` is an English noun, one of
    :data:`MESSAGES` ``["files"]`` (``"key"``, ``"CA certificate"`` ...): it is shown in the
    command line's language."""
    shown = gettext(what)
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_MESSAGE + 1)
    except OSError as exc:
        raise InputError(
            MESSAGES["unreadable"].format(what=shown, path=path, reason=os_reason(exc))
        ) from None
    if len(data) > MAX_MESSAGE:
        raise InputError(
            MESSAGES["file_too_large"].format(what=shown, path=path, limit=MAX_MESSAGE)
        )
    return data
