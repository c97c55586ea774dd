"""Real clients over TLS: fetchmail (Debian package fetchmail) over POP3S, IMAPS and STARTTLS,
checking the course certificate; and ``mailsec serve`` with its TLS flags as a real process."""

from __future__ import annotations

import imaplib
import mailbox
import os
import poplib
import shutil
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tls_servers import write_pem

from mailsec.retrieval.servers import MailServers, free_port

FETCHMAIL = shutil.which("fetchmail")
TIMEOUT = 10


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServers]:
    maildir = tmp_path_factory.mktemp("fetch") / "Maildir"
    with MailServers(
        maildir=maildir, user="alice", password="secret", pop3s_port=0, imaps_port=0,
        require_tls=True,
    ) as servers:  # fmt: skip
        for i in range(2):
            servers.deliver(
                f"From: bob@example.org\r\nTo: alice@example.org\r\nSubject: note {i}\r\n\r\n"
                f"Hello number {i}.\r\n".encode()
            )
        yield servers


def fetch(tmp: Path, servers: MailServers, protocol: str, port: int, *, implicit: bool) -> str:
    """Run fetchmail once, keeping the mail on the server, with certificate checks against the
    course CA only; returns what it delivered."""
    assert FETCHMAIL is not None and servers.tls is not None
    ca = write_pem(tmp, "course-ca.pem", servers.tls.ca_pem)
    out = tmp / f"fetched-{protocol}-{port}.txt"
    rc = tmp / f"fetchmailrc-{protocol}-{port}"
    rc.write_text(
        f"poll localhost with proto {protocol} port {port}\n"
        f'  user "alice" there with password "secret" is "{os.environ.get("USER", "root")}" here\n'
        "  keep fetchall\n"
        # sslproto set without ssl: STARTTLS is required, not merely tried.
        f"  {'ssl ' if implicit else ''}sslproto 'TLS1.2+' sslcertck sslcertfile '{ca}'\n"
        f"  mda \"/bin/sh -c 'cat >> {out}'\"\n",
        encoding="utf-8",
    )
    rc.chmod(0o600)
    done = subprocess.run(
        [FETCHMAIL, "-f", str(rc), "--nosyslog", "--norewrite"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp), "FETCHMAILHOME": str(tmp)},
    )
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    return out.read_text(encoding="utf-8")


@pytest.mark.interop
@pytest.mark.skipif(
    FETCHMAIL is None, reason="fetchmail (Debian package fetchmail) is not installed"
)
@pytest.mark.parametrize(
    ("protocol", "way"),
    [("POP3", "POP3S"), ("IMAP", "IMAPS"), ("POP3", "STLS"), ("IMAP", "STARTTLS")],
)
def test_fetchmail_over_tls(tmp_path: Path, servers: MailServers, protocol: str, way: str) -> None:
    implicit = way in ("POP3S", "IMAPS")
    port = {
        "POP3S": servers.pop3s_port, "IMAPS": servers.imaps_port,
        "STLS": servers.pop3_port, "STARTTLS": servers.imap_port,
    }[way]  # fmt: skip
    assert port is not None
    fetched = fetch(tmp_path, servers, protocol, port, implicit=implicit)
    assert "Subject: note 0" in fetched and "Subject: note 1" in fetched
    assert servers.wait_until_idle(TIMEOUT)
    transcript = servers.transcripts[-1]
    assert "TLS started: TLSv1." in transcript.to_text()
    assert transcript.ended in ("QUIT", "LOGOUT")
    if not implicit:  # it asked for TLS before it said who it was
        lines = transcript.client_lines
        first_login = next(i for i, line in enumerate(lines) if "alice" in line)
        assert any(line.split()[-1] in ("STLS", "STARTTLS") for line in lines[:first_login])


# -- mailsec serve with the TLS flags, as a real process ------------------------------------------


class Served:
    """``mailsec serve`` in a child process, read until it says how to stop it."""

    def __init__(self, maildir: Path, *extra: str) -> None:
        self.ports = {name: free_port() for name in ("pop3", "imap", "pop3s", "imaps")}
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "mailsec", "serve", "--maildir", str(maildir),
                "--user", "alice", "--password", "secret",
                "--pop3-port", str(self.ports["pop3"]), "--imap-port", str(self.ports["imap"]),
                "--pop3s-port", str(self.ports["pop3s"]), "--imaps-port", str(self.ports["imaps"]),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.banner: list[str] = []
        while not self.banner or self.banner[-1] not in ("Press Ctrl+C to stop.\n", ""):
            self.banner.append(self.process.stdout.readline())

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        out, _err = self.process.communicate(timeout=TIMEOUT)
        return self.process.returncode, out


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    path = tmp_path / "Maildir"
    box = mailbox.Maildir(path, create=True)
    box.add(b"From: ann@example.org\nSubject: note\n\nBody\n")
    return path


def test_serve_with_a_course_certificate(maildir: Path) -> None:
    """Without --tls-cert the course makes a certificate and prints its CA, to a file and as PEM;
    clients that trust that CA get in over all four ways, and only after TLS."""
    served = Served(maildir, "--require-tls")
    try:
        text = "".join(served.banner)
        ports = served.ports
        assert served.banner[1:6] == [
            f"POP3 listening on 127.0.0.1:{ports['pop3']} (STLS offered)\n",
            f"IMAP listening on 127.0.0.1:{ports['imap']} (STARTTLS offered)\n",
            f"POP3S listening on 127.0.0.1:{ports['pop3s']} (TLS from the first byte)\n",
            f"IMAPS listening on 127.0.0.1:{ports['imaps']} (TLS from the first byte)\n",
            "Logins are refused until TLS is active (--require-tls), from any address.\n",
        ]
        ca_line = served.banner[6]
        assert ca_line.startswith("TLS certificate made now by a new course CA")
        ca_file = Path(ca_line.rsplit(" is in ", 1)[1].rstrip(":\n"))
        pem = ca_file.read_text("ascii")
        assert pem in text  # printed as well
        context = ssl.create_default_context(cafile=str(ca_file))
        pop = poplib.POP3_SSL("127.0.0.1", ports["pop3s"], context=context, timeout=TIMEOUT)
        pop.user("alice")
        pop.pass_("secret")
        assert pop.stat()[0] == 1
        pop.quit()
        plain = poplib.POP3("127.0.0.1", ports["pop3"], timeout=TIMEOUT)
        with pytest.raises(poplib.error_proto, match="Plaintext authentication disallowed"):
            plain.user("alice")
        plain.stls(context=context)
        plain.user("alice")
        plain.pass_("secret")
        plain.quit()
        client = imaplib.IMAP4("localhost", ports["imap"], timeout=TIMEOUT)
        assert "LOGINDISABLED" in client.capabilities
        client.starttls(ssl_context=context)
        client.login("alice", "secret")
        client.logout()
        client = imaplib.IMAP4_SSL(
            "127.0.0.1", ports["imaps"], ssl_context=context, timeout=TIMEOUT
        )
        client.login("alice", "secret")
        client.logout()
        status, out = served.stop()
        assert status == 0 and out.endswith(
            "Stopped; open sessions were dropped, which deletes nothing.\n"
        )
        assert not ca_file.exists()  # the next run makes another CA
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.communicate(timeout=TIMEOUT)


def test_serve_with_certificate_files(maildir: Path, tmp_path: Path) -> None:
    """--tls-cert and --tls-key: that certificate is served and no CA is printed."""
    from mailsec.pki.ca import issue_server_certificate, make_ca

    ca = make_ca()
    server = issue_server_certificate(ca)
    cert = write_pem(tmp_path, "server.pem", server.certificate_pem())
    key = write_pem(tmp_path, "server.key", server.key_pem())
    served = Served(maildir, "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert not any("course CA" in line for line in served.banner)
        assert served.banner[-2].startswith("In a mail app: server 127.0.0.1, POP3S port ")
        context = ssl.create_default_context(cadata=ca.certificate_pem().decode("ascii"))
        client = imaplib.IMAP4_SSL(
            "localhost", served.ports["imaps"], ssl_context=context, timeout=TIMEOUT
        )
        client.login("alice", "secret")
        client.logout()
        assert served.stop()[0] == 0
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.communicate(timeout=TIMEOUT)


@pytest.mark.parametrize(
    ("extra", "status", "message"),
    [
        (["--tls-cert", "CERT"], 2, "--tls-cert and --tls-key go together"),
        (["--tls-cert", "MISSING", "--tls-key", "KEY"], 1, "Cannot read the certificate file"),
        (["--tls-cert", "KEY", "--tls-key", "KEY"], 1, "is not a readable certificate"),
        (["--tls-cert", "CERT", "--tls-key", "CERT"], 1, "is not a readable private key"),
        (["--tls-cert", "CERT", "--tls-key", "OTHER"], 1, "does not belong to the certificate"),
        (
            ["--pop3s-port", "2995", "--imaps-port", "2995"],
            1,
            "--pop3s-port and --imaps-port are both",
        ),
        (["--imaps-port", "x"], 2, "argument --imaps-port: 'x' is not a port number"),
    ],
)
def test_bad_tls_input_is_one_line(
    tmp_path: Path, extra: list[str], status: int, message: str
) -> None:
    from mailsec.pki.ca import issue_server_certificate, make_ca

    ca = make_ca()
    server = issue_server_certificate(ca)
    paths = {
        "CERT": write_pem(tmp_path, "server.pem", server.certificate_pem()),
        "KEY": write_pem(tmp_path, "server.key", server.key_pem()),
        "OTHER": write_pem(tmp_path, "other.key", ca.key_pem()),
        "MISSING": tmp_path / "missing.pem",
    }
    argv = [str(paths.get(item, item)) for item in extra]
    done = subprocess.run(
        [
            sys.executable, "-m", "mailsec", "serve", "--maildir", str(tmp_path / "M"),
            "--user", "alice", "--password", "secret", "--pop3-port", "0", "--imap-port", "0",
            *argv,
        ],
        capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == status
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mailsec serve: error: ") and message in lines[0]
