"""Running the real GnuPG from chapter 06: a throw-away GNUPGHOME and what gpg said in it.

Both GnuPG helpers of the chapter (:mod:`~mailsec.labs.pgp.exchange` and
:mod:`~mailsec.labs.pgp.trustcheck`) run gpg through a :class:`GpgHome`: a temporary GNUPGHOME,
removed with its gpg-agent at the end, and a record of every command run in it.

Whether gpg succeeded is read from what it says for programs — its exit status and its status
lines (``--status-fd``) — never from its messages to people, which are translated into the user's
language.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from mailsec.i18n import texts
from mailsec.trace import Outcome, Step

__all__ = ["GPG_ERROR_KEYWORDS", "GpgFailed", "GpgHome", "GpgRun", "find_gpg", "gpg_missing"]

#: The status keywords by which gpg reports an error on its status channel (GnuPG doc/DETAILS).
GPG_ERROR_KEYWORDS = frozenset({"ERROR", "FAILURE"})
_STATUS_PREFIX = "[GNUPG:] "


@dataclass(frozen=True)
class GpgRun:
    """One gpg command and what it printed."""

    command: str
    returncode: int
    output: str
    """What gpg said on standard error (its messages to people, in the user's language)."""
    status: tuple[tuple[str, ...], ...] = ()
    """Its status lines (``--status-fd``), each split into keyword and arguments: the
    machine-readable account of what it did, the same in every language (GnuPG doc/DETAILS)."""

    @property
    def failed(self) -> bool:
        """gpg exited with an error status or reported an error on its status channel."""
        return self.returncode != 0 or any(line[0] in GPG_ERROR_KEYWORDS for line in self.status)

    def said(self, keyword: str) -> tuple[tuple[str, ...], ...]:
        """The arguments of every status line with ``keyword`` (``GOODSIG``, ``VALIDSIG`` ...)."""
        return tuple(line[1:] for line in self.status if line[0] == keyword)


class GpgFailed(Exception):
    """A gpg command failed in a :class:`GpgHome` that stops at the first failure."""

    def __init__(self, run: GpgRun) -> None:
        super().__init__(run.command)
        self.run = run


TEXT = texts(
    {
        # By what was not run: the exchange, the trust check, or something else (named).
        "missing": {
            "exchange": "GnuPG (gpg) is not installed here, so this exchange was not run. "
            "Install the Debian/Ubuntu package 'gnupg' (Binder's environment has it) and run "
            "the cell again.",
            "check": "GnuPG (gpg) is not installed here, so this check was not run. Install the "
            "Debian/Ubuntu package 'gnupg' (Binder's environment has it) and run the cell again.",
            "other": "GnuPG (gpg) is not installed here, so this {what} was not run. Install the "
            "Debian/Ubuntu package 'gnupg' (Binder's environment has it) and run the cell again.",
        },
    }
)
"""What the GnuPG helpers say (see :mod:`mailsec.i18n`)."""


def find_gpg(gpg: str | None) -> str | None:
    """The gpg program to run (``gpg``: a name on PATH or a path; None means "gpg"), if any."""
    return shutil.which(gpg or "gpg")


def gpg_missing(what: str) -> Step:
    """What a GnuPG helper says when gpg is not installed, so its ``what`` was not run."""
    key = what if what in ("exchange", "check") else "other"
    return Step(TEXT["missing"][key].format(what=what), Outcome.WARN)


def _run_gpg(
    binary: str, shown: tuple[str, ...], options: tuple[str, ...], stdin: bytes, timeout: float
) -> tuple[GpgRun, bytes]:
    """Run gpg with ``options`` and ``shown``; return the run and what gpg wrote to stdout.

    The status lines go to standard error with gpg's messages (``--status-fd 2``) and are told
    apart by their ``[GNUPG:]`` prefix, so standard output stays free for data.
    """
    result = subprocess.run(
        [binary, "--status-fd", "2", *options, *shown],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    said: list[str] = []
    status: list[tuple[str, ...]] = []
    for line in result.stderr.decode("utf-8", "replace").splitlines():
        if line.startswith(_STATUS_PREFIX):
            status.append(tuple(line[len(_STATUS_PREFIX) :].split()) or ("",))
        else:
            said.append(line)
    command = " ".join(["gpg", *shown])
    return GpgRun(command, result.returncode, "\n".join(said).strip(), tuple(status)), result.stdout


class GpgHome:
    """A temporary GNUPGHOME for one helper, used as a context manager.

    Every command gets ``--homedir`` and ``options``; the runs are kept in :attr:`runs`, in
    order. With ``stop_on_failure`` a failed command raises :class:`GpgFailed` (after it is
    recorded). Leaving the ``with`` block stops the home's gpg-agent and removes the folder.
    """

    def __init__(
        self,
        binary: str,
        *,
        prefix: str,
        options: tuple[str, ...],
        timeout: float,
        stop_on_failure: bool = False,
    ) -> None:
        self.binary = binary
        self.options = options
        self.timeout = timeout
        self.stop_on_failure = stop_on_failure
        self.runs: list[GpgRun] = []
        self._root = Path(tempfile.mkdtemp(prefix=prefix))
        self.path = self._root / "home"
        self.path.mkdir(mode=0o700)

    def __enter__(self) -> GpgHome:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        subprocess.run(
            ["gpgconf", "--homedir", str(self.path), "--kill", "gpg-agent"],
            capture_output=True,
            timeout=self.timeout,
            check=False,
        )
        shutil.rmtree(self._root, ignore_errors=True)

    @property
    def commands(self) -> tuple[str, ...]:
        """The commands run so far, as a user would type them."""
        return tuple(run.command for run in self.runs)

    def run(self, *args: str, stdin: bytes = b"", when: int | None = None) -> tuple[GpgRun, bytes]:
        """Run ``gpg args``; ``when`` runs it as if the clock said that Unix time."""
        faked = ("--faked-system-time", f"{when}!") if when else ()
        options = ("--homedir", str(self.path), *self.options, *faked)
        done, stdout = _run_gpg(self.binary, args, options, stdin, self.timeout)
        self.runs.append(done)
        if self.stop_on_failure and done.failed:
            raise GpgFailed(done)
        return done, stdout

    def text(self, *args: str, stdin: bytes = b"", when: int | None = None) -> str:
        """What ``gpg args`` wrote to standard output, as text."""
        return self.run(*args, stdin=stdin, when=when)[1].decode("utf-8", "replace")

    def version(self) -> str:
        """The first line of ``gpg --version`` ("gpg (GnuPG) 2.2.40")."""
        return self.text("--version").splitlines()[0]
