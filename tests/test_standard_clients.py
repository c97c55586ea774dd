"""A standard mail client, fetchmail (Debian package fetchmail), retrieves mail from the chapter 01
servers over POP3 and IMAP4 on 127.0.0.1, the way a desktop client pointed at localhost would."""

from __future__ import annotations

import mailbox
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mailsec.retrieval.servers import MailServers

FETCHMAIL = shutil.which("fetchmail")
pytestmark = pytest.mark.skipif(
    FETCHMAIL is None, reason="fetchmail (Debian package fetchmail) is not installed"
)


def _deliver(servers: MailServers, count: int) -> None:
    for i in range(count):
        servers.deliver(
            f"From: bob@example.org\r\nTo: alice@example.org\r\nSubject: note {i}\r\n\r\n"
            f"Hello number {i}.\r\n".encode()
        )


def _fetch(tmp: Path, protocol: str, port: int, *, keep: bool) -> str:
    """Run fetchmail once; returns what it delivered (an mbox-like concatenation)."""
    out = tmp / f"fetched-{protocol}.txt"
    rc = tmp / f"fetchmailrc-{protocol}"
    rc.write_text(
        f"poll 127.0.0.1 with proto {protocol} port {port}\n"
        f'  user "alice" there with password "secret" is "{os.environ.get("USER", "root")}" here\n'
        f"  {'keep fetchall' if keep else 'nokeep fetchall'}\n"
        # The course servers speak plain text on loopback only: no STARTTLS to try.
        '  sslproto ""\n'
        f"  mda \"/bin/sh -c 'cat >> {out}'\"\n",
        encoding="utf-8",
    )
    rc.chmod(0o600)
    result = subprocess.run(
        [FETCHMAIL, "-f", str(rc), "--nosyslog", "--norewrite"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp), "FETCHMAILHOME": str(tmp)},
    )
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:]
    return out.read_text(encoding="utf-8")


@pytest.mark.parametrize("protocol", ["POP3", "IMAP"])
def test_fetchmail_keeps_a_copy_on_the_server(tmp_path: Path, protocol: str) -> None:
    maildir = tmp_path / "Maildir"
    with MailServers(maildir=maildir, user="alice", password="secret") as servers:
        _deliver(servers, 3)
        port = servers.pop3_port if protocol == "POP3" else servers.imap_port
        fetched = _fetch(tmp_path, protocol, port, keep=True)
    assert [f"Subject: note {i}" in fetched for i in range(3)] == [True, True, True]
    assert len(mailbox.Maildir(maildir, create=False)) == 3  # "keep": still on the server


def test_fetchmail_over_pop3_download_and_delete_empties_the_server(tmp_path: Path) -> None:
    """RFC 1939 §6: the messages marked with DELE are removed in the UPDATE state, after QUIT."""
    maildir = tmp_path / "Maildir"
    with MailServers(maildir=maildir, user="alice", password="secret") as servers:
        _deliver(servers, 2)
        fetched = _fetch(tmp_path, "POP3", servers.pop3_port, keep=False)
    assert "Subject: note 0" in fetched and "Subject: note 1" in fetched
    assert len(mailbox.Maildir(maildir, create=False)) == 0
