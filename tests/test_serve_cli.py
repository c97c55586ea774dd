"""``python -m mailsec serve``: the exact command line, bad input, and a crash mid-session."""

from __future__ import annotations

import imaplib
import mailbox
import os
import poplib
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailsec.retrieval.servers import free_port

TIMEOUT = 10


# Starts a program with SIGINT ignored, as a shell without job control starts a background job
# ("mailsec serve ... &" in a script); the ignored disposition survives exec.
SIGINT_IGNORED = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


class Served:
    """``mailsec serve`` in a child process; stopped (or killed) by the test."""

    def __init__(self, maildir: Path, *extra: str, sigint_ignored: bool = False) -> None:
        self.pop3_port, self.imap_port = free_port(), free_port()
        start = [sys.executable, "-c", SIGINT_IGNORED] if sigint_ignored else [sys.executable]
        self.process = subprocess.Popen(
            [
                *start, "-m", "mailsec", "serve",
                "--maildir", str(maildir), "--user", "alice", "--password", "secret",
                "--pop3-port", str(self.pop3_port), "--imap-port", str(self.imap_port),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.banner = [self.process.stdout.readline() for _ in range(5)]

    def interrupt(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        out, _err = self.process.communicate(timeout=TIMEOUT)
        return self.process.returncode, out

    def kill(self) -> None:
        self.process.kill()
        self.process.communicate(timeout=TIMEOUT)


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    path = tmp_path / "Maildir"
    box = mailbox.Maildir(path, create=True)
    for i in range(3):
        box.add(f"From: ann@example.org\nSubject: note {i}\n\nBody {i}\n".encode())
    return path


@pytest.fixture
def served(maildir: Path) -> Iterator[Served]:
    server = Served(maildir)
    yield server
    if server.process.poll() is None:
        server.kill()


def test_prints_where_it_listens_and_serves_both(served: Served) -> None:
    assert served.banner[1] == f"POP3 listening on 127.0.0.1:{served.pop3_port}\n"
    assert served.banner[2] == f"IMAP listening on 127.0.0.1:{served.imap_port}\n"
    assert served.banner[3].startswith("In a mail app: server 127.0.0.1, POP3 port ")
    assert served.banner[4] == "Press Ctrl+C to stop.\n"
    pop = poplib.POP3("127.0.0.1", served.pop3_port, timeout=TIMEOUT)
    pop.user("alice")
    pop.pass_("secret")
    assert pop.stat()[0] == 3
    pop.quit()
    client = imaplib.IMAP4("127.0.0.1", served.imap_port, timeout=TIMEOUT)
    client.login("alice", "secret")
    assert client.select("INBOX") == ("OK", [b"3"])
    client.logout()
    status, out = served.interrupt()
    assert status == 0
    assert out.strip().endswith("Stopped; open sessions were dropped, which deletes nothing.")


def test_creates_a_missing_maildir(tmp_path: Path) -> None:
    target = tmp_path / "new" / "Maildir"
    server = Served(target, "--quota", "1000")
    try:
        assert (
            server.banner[0] == f"Serving the Maildir {target} for user alice (quota 1000 bytes).\n"
        )
        assert all((target / sub).is_dir() for sub in ("cur", "new", "tmp"))
    finally:
        server.kill()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pop3-port", "abc"], "argument --pop3-port: 'abc' is not a port number"),
        (["--pop3-port", "70000"], "argument --pop3-port: '70000' is not a port number"),
        (["--quota", "-5"], "argument --quota: '-5' is not a number of bytes"),
        (["--quota", "lots"], "argument --quota: 'lots' is not a number of bytes"),
        (["--host", "192.0.2.1"], "argument --host: '192.0.2.1' is not a loopback address"),
        (
            ["--pop3-port", "2110", "--imap-port", "2110"],
            "--pop3-port and --imap-port are both 2110",
        ),
        (["--maildir", "/dev/null"], "'/dev/null' exists and is not a folder"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(tmp_path: Path, args: list[str], message: str) -> None:
    base = {
        "--maildir": str(tmp_path / "M"), "--user": "alice", "--password": "secret",
        "--pop3-port": "0", "--imap-port": "0",
    }  # fmt: skip
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    argv = [item for pair in base.items() for item in pair]
    done = subprocess.run(
        [sys.executable, "-m", "mailsec", "serve", *argv],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mailsec serve: error: ")
    assert message in lines[0]


def test_port_in_use_is_one_line(maildir: Path, served: Served) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "mailsec", "serve", "--maildir", str(maildir), "--user", "a",
            "--password", "b", "--pop3-port", str(served.pop3_port), "--imap-port", "0",
        ],
        capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "choose free ports" in done.stderr


def test_a_crash_mid_session_loses_nothing(maildir: Path) -> None:
    """RFC 1939 §6 and RFC 3501 §6.4.3: marks not yet carried out vanish with the process;
    every message and its UID survive a hard kill of the server."""
    server = Served(maildir)
    imap = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=TIMEOUT)
    imap.login("alice", "secret")
    imap.select("INBOX")
    uids_before = imap.uid("SEARCH", "ALL")[1]
    imap.store("1:3", "+FLAGS", "(\\Seen)")
    imap.logout()
    pop = poplib.POP3("127.0.0.1", server.pop3_port, timeout=TIMEOUT)
    pop.user("alice")
    pop.pass_("secret")
    pop.dele(1)
    pop.dele(2)
    server.kill()  # SIGKILL: no QUIT, no clean shutdown
    files = [p for d in ("new", "cur", "tmp") for p in (maildir / d).iterdir()]
    assert len([p for p in files if p.parent.name != "tmp"]) == 3
    server = Served(maildir)
    try:
        pop = poplib.POP3("127.0.0.1", server.pop3_port, timeout=TIMEOUT)
        pop.user("alice")
        pop.pass_("secret")  # the lock died with the process
        assert pop.stat()[0] == 3
        pop.quit()
        imap = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=TIMEOUT)
        imap.login("alice", "secret")
        imap.select("INBOX")
        assert imap.uid("SEARCH", "ALL")[1] == uids_before
        assert imap.search(None, "SEEN")[1] == [b"1 2 3"]  # the flag renames were already done
        imap.logout()
    finally:
        server.kill()


def test_sigterm_stops_cleanly(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=TIMEOUT) == 0
    assert os.path.isdir(served.banner[0].split()[3])


def test_sigint_stops_it_when_started_in_the_background(maildir: Path) -> None:
    """A script's background job starts with SIGINT ignored; Ctrl+C (kill -INT) still stops it,
    and a session left open is dropped without deleting anything (RFC 1939 §6)."""
    server = Served(maildir, sigint_ignored=True)
    try:
        pop = poplib.POP3("127.0.0.1", server.pop3_port, timeout=TIMEOUT)
        pop.user("alice")
        pop.pass_("secret")
        pop.dele(1)
        status, out = server.interrupt()
        assert status == 0
        assert out.strip().endswith("Stopped; open sessions were dropped, which deletes nothing.")
        pop.close()
        assert len(mailbox.Maildir(maildir, create=False)) == 3
    finally:
        if server.process.poll() is None:
            server.kill()
