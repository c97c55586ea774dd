"""``python -m mailsec mailsystem start|list|run``: the exact command lines and bad input."""

from __future__ import annotations

import imaplib
import signal
import ssl
import subprocess
import sys

import pytest

from mailsec.__main__ import main
from mailsec.mailsystem.scenarios import SCENARIOS

TIMEOUT = 30


def test_list_prints_one_scenario_a_line_name_first(capsys) -> None:
    assert main(["mailsystem", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [s.name for s in SCENARIOS]


def test_run_prints_the_timeline_the_verdicts_and_the_result(capsys) -> None:
    assert main(["mailsystem", "run", "bot-port25"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "bot-port25: The bank spoofed from a home PC on port 25 (attack)"
    assert (
        "1. Infected PC -> ISP A's edge router: [failed] ISP A's edge, port 25: dropped by OP25B"
        in out
    )
    assert "  OP25B   stopped it" in out
    assert out.rstrip().endswith("(stopped by OP25B)")


def test_run_with_a_preset_and_transcripts(capsys) -> None:
    assert main(["mailsystem", "run", "pop3-eavesdrop", "--preset", "nothing"]) == 0
    assert "The eavesdropper read Bob's password off the wire (No TLS). (not stopped)" in (
        capsys.readouterr().out
    )
    assert main(["mailsystem", "run", "normal", "--transcripts"]) == 0
    out = capsys.readouterr().out
    assert (
        "--- transcript #1: pc-140.isp-a.example → smtp.bank.example:587 (SMTP) (inside TLS)" in out
    )
    assert "  C: STARTTLS" in out


@pytest.mark.parametrize(
    ("argv", "status", "words"),
    [
        (["mailsystem", "run", "nope"], 1, "Unknown scenario 'nope': the scenarios are normal,"),
        (["mailsystem", "run", "normal", "--preset", "x"], 2, "invalid choice: 'x'"),
        (["mailsystem", "start", "--port", "mx"], 2, "--port wants SERVICE=PORT"),
        (["mailsystem", "start", "--port", "smtp=25"], 2, "unknown service 'smtp' in --port"),
        (["mailsystem", "start", "--port", "mx=70000"], 1, "from 1 to 65535"),
        (["mailsystem"], 2, "the following arguments are required: COMMAND"),
    ],
)
def test_bad_input_is_one_line_on_stderr(capsys, argv, status: int, words: str) -> None:
    assert main(argv) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


def test_start_prints_endpoints_accounts_and_the_ca_then_stops_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mailsec", "mailsystem", "start"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        while not lines or lines[-1] != "Press Ctrl+C to stop.\n":
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
            lines.append(line)
        text = "".join(lines)
        assert lines[0].startswith("The mail system is running (defences: recommended)")
        imaps = next(line for line in lines if line.lstrip().startswith("imaps"))
        port = int(imaps.split("->")[1].split()[0].rsplit(":", 1)[1])
        assert "bob@example.com: log in as 'bob' with password 'bob-course-password'" in text
        start, end = (
            text.index("-----BEGIN CERTIFICATE-----"),
            text.index("-----END CERTIFICATE-----"),
        )
        context = ssl.create_default_context(cadata=text[start : end + 25])
        client = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=context, timeout=TIMEOUT)
        client.login("bob", "bob-course-password")
        client.logout()
        process.send_signal(signal.SIGINT)
        out, _err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0
        assert out.strip().endswith("The mail system stopped; every port is free again.")
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=TIMEOUT)
