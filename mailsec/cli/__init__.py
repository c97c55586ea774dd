"""Subcommand groups of the ``mailsec`` command line, one module per group (see ``__main__``).

The rules every group follows live here: an argument error is one plain line (not a usage block)
with exit status 2, and every message printed on standard error stays one line, whatever the
input it quotes (:func:`~mailsec.errors.one_line`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import BinaryIO, NoReturn

from mailsec.errors import InputError, one_line
from mailsec.limits import MAX_MESSAGE

__all__ = ["USAGE_ERROR", "OneLineParser", "UsageError", "one_line", "read_file", "read_stdin"]

#: The exit status of a command line that cannot be parsed (argparse's own convention).
USAGE_ERROR = 2


class UsageError(InputError):
    """The command line itself is wrong: an unknown option, a missing or malformed argument."""


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one plain line (through :class:`UsageError`) instead
    of a usage block; the parsers of its subcommands are of this class too."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def read_stdin(stream: BinaryIO, what: str = "a mail message") -> bytes:
    """Standard input whole, at most :data:`~mailsec.limits.MAX_MESSAGE` bytes; empty input or
    more than that is refused with one line."""
    data = stream.read(MAX_MESSAGE + 1)
    if len(data) > MAX_MESSAGE:
        raise InputError(
            f"Standard input holds more than {MAX_MESSAGE:,} bytes; the course reads messages "
            "up to that size."
        )
    if not data or data.isspace():
        raise InputError(f"Nothing came on standard input; pipe {what} into the command.")
    return data


def read_file(path: str, what: str) -> bytes:
    """A file named on the command line (a key, a certificate, a report), at most
    :data:`~mailsec.limits.MAX_MESSAGE` bytes."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_MESSAGE + 1)
    except OSError as exc:
        raise InputError(f"Cannot read the {what} file {path!r}: {exc.strerror}.") from None
    if len(data) > MAX_MESSAGE:
        raise InputError(f"The {what} file {path!r} is larger than {MAX_MESSAGE:,} bytes.")
    return data
