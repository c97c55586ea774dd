"""Every command-line entry against a hostile corpus: no traceback, one error line, bounded time
and memory (the corpus and its rules are in tests/hostile.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
#: Peak memory of one runner (the interpreter, the course and a corpus of small inputs).
MAX_RSS_MB = 400


@pytest.mark.slow
@pytest.mark.parametrize(
    "group", ["dkim", "dmarc", "mailsystem", "op25b", "serve", "smime", "spf", "sop"]
)
def test_the_command_line_survives_the_hostile_corpus(group: str, tmp_path: Path) -> None:
    runner = subprocess.Popen(
        [sys.executable, str(HERE / "hostile.py"), group, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = runner.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        runner.kill()
        runner.communicate()
        pytest.fail(f"the {group} corpus did not finish within 10 minutes")
    assert runner.returncode == 0, err.decode()[-3000:]
    report = json.loads(out.decode().strip().splitlines()[-1])
    peak_mb = report["peak_kib"] / 1024  # the runner's own peak resident memory
    assert report["cases"] >= 100
    assert not report["broken"], json.dumps(report["broken"][:5], indent=1)[:4000]
    assert peak_mb < MAX_RSS_MB, f"peak memory of a runner: {peak_mb:.0f} MB"


def test_an_unexpected_error_is_one_line_and_status_70(monkeypatch, capsys) -> None:
    """A bug of ours still ends in one line, never a traceback (EX_SOFTWARE)."""
    from mailsec import __main__ as cli
    from mailsec.cli import spf

    def broken(_args: object) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(spf, "run", broken)
    assert cli.main(["spf", "lint", "v=spf1 -all"]) == cli.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (ZeroDivisionError" in err
    assert os.linesep not in err.rstrip("\n")


@pytest.mark.parametrize(
    "argv",
    [
        [
            "serve",
            "--maildir",
            "m",
            "--user",
            "a",
            "--password",
            "b",
            "--pop3-port",
            "1\n2",
            "--imap-port",
            "0",
        ],
        ["spf", "check", "--ip", "192.0.2.1\r\nX", "--mail-from", "a@b.example", "--helo", "h"],
        ["pki", "show", "no\u2028such\x1bfile"],
    ],
)
def test_an_error_quoting_a_line_break_stays_one_line(argv: list[str], capsys) -> None:
    """The input an error quotes may hold line breaks and escape sequences: they are shown as
    escapes, so the error is one line and cannot rewrite the terminal."""
    from mailsec.__main__ import main

    assert main(argv) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "\x1b" not in err and "\u2028" not in err and "\r" not in err


def test_one_line_escapes_only_what_is_not_printable() -> None:
    from mailsec.cli import one_line

    assert one_line("café 日本") == "café 日本"
    assert one_line("a\nb\x00c\u2028") == "a\\nb\\x00c\\u2028"
