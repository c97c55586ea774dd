"""Subcommand groups of the ``mailsec`` command line, one module per group (see ``__main__``).

The rules every group follows live here: an argument error is one plain line (not a usage block)
with exit status 2, and every message printed on standard error stays one line, whatever the
input it quotes (:func:`~mailsec.errors.one_line`).
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from mailsec.errors import InputError, one_line

__all__ = ["USAGE_ERROR", "OneLineParser", "UsageError", "one_line"]

#: The exit status of a command line that cannot be parsed (argparse's own convention).
USAGE_ERROR = 2


class UsageError(InputError):
    """The command line itself is wrong: an unknown option, a missing or malformed argument."""


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one plain line (through :class:`UsageError`) instead
    of a usage block; the parsers of its subcommands are of this class too."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")
