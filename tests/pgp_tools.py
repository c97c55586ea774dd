"""gpg and sqop for the OpenPGP interoperability tests (``tests/test_pgp_interop_*.py``).

gpg runs with a temporary GNUPGHOME of its own (:class:`Gpg`), sqop as a plain command
(:func:`sqop`); a tool that is not installed skips the tests marked :data:`needs_gpg` or
:data:`needs_sqop`, with the reason. The fixtures that make the keys and start gpg (``keys``,
``gpg``, ``sq_key``) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mailsec import openpgp

GPG = shutil.which("gpg")
SQOP = shutil.which("sqop")
needs_gpg = pytest.mark.skipif(GPG is None, reason="gpg (Debian package gnupg) is not installed")
needs_sqop = pytest.mark.skipif(SQOP is None, reason="sqop (Debian package sqop) is not installed")

TEXT = b"Dear Bob,\nthe meeting moves to Thursday.\n-- Alice\n"


class Gpg:
    """gpg with its own home directory."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {**os.environ, "GNUPGHOME": str(home), "LC_ALL": "C"}

    def __call__(
        self, *args: str, stdin: bytes = b"", check: bool = True
    ) -> subprocess.CompletedProcess:
        command = [
            GPG, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "",
            "--trust-model", "always", "--status-fd", "2", *args,
        ]  # fmt: skip
        result = subprocess.run(
            command, input=stdin, capture_output=True, env=self.env, timeout=120, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"gpg {' '.join(args)} failed:\n{result.stderr.decode()}")
        return result

    def generate(self, email: str, algorithm: str, subkey: str) -> str:
        self("--quick-gen-key", f"Tool <{email}>", algorithm, "sign,cert", "never")
        fingerprint = self.fingerprint(email)
        self("--quick-add-key", fingerprint, subkey, "encr", "never")
        return fingerprint

    def fingerprint(self, email: str) -> str:
        listing = self("--with-colons", "--list-keys", email).stdout.decode()
        return re.search(r"^fpr:+([0-9A-F]{40}):", listing, re.M).group(1)


def sqop(*args: str, stdin: bytes = b"", check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [SQOP, *args], input=stdin, capture_output=True, timeout=120, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"sqop {' '.join(args)} failed ({result.returncode}):\n{result.stderr.decode()}"
        )
    return result


def gpg_secret(gpg: Gpg, kind: str) -> openpgp.SecretKey:
    return openpgp.read_key(gpg("--export-secret-keys", "--armor", gpg.keys[kind]).stdout)


def gpg_cert(gpg: Gpg, kind: str) -> openpgp.Certificate:
    return openpgp.read_cert(gpg("--export", "--armor", gpg.keys[kind]).stdout)


def write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)
