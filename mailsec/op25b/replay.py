"""Replay an attempt over real SMTP on 127.0.0.1: the model's mail servers as aiosmtpd servers.

:class:`LoopbackMailServers` is the model's SMTP servers (:mod:`mailsec.op25b.smtpd`) with a
replay on top: each leg of the model's path becomes a real SMTP session.

:meth:`LoopbackMailServers.replay` sends the message with :mod:`smtplib` along the model's path and
records every command and reply. What is *not* real:

- All connections come from 127.0.0.1. The replay tells the servers which model host is speaking
  (one session at a time), so rules about client addresses (relay for customers, IP25B) still apply.
- The edge router is the model. A connection the model drops (OP25B) is sent to a loopback port that
  never answers: the kernel silently drops the SYN, and smtplib gives up after ``drop_timeout``
  seconds (a few, instead of the minute or more a real client waits). This is a simulated drop.
- The webmail hop is HTTPS in reality; the replay does not run a web server. It shows the request in
  words, then replays the webmail's own SMTP delivery to the MX for real.

Use it as a context manager; the servers stop when the block ends::

    with LoopbackMailServers(maildir_root=tmp) as servers:
        replay = servers.replay(attempt, policy)
"""

from __future__ import annotations

import base64
import email.utils
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from mailsec.i18n import texts
from mailsec.op25b.model import Attempt, Credentials, Host, Policy, ServiceKind
from mailsec.op25b.path import Hop, PathResult, Verdict, evaluate
from mailsec.op25b.rules import Decision
from mailsec.op25b.smtpd import LOOPBACK, ModelSmtpServers, mailbox_path

__all__ = ["LoopbackMailServers", "Replay", "Session", "TranscriptLine", "mailbox_path"]

Progress = Callable[[str], None]

# The replay's progress and its notes about each connection (the "*" lines of a transcript);
# what the client and the servers send stays as it was on the wire.
TEXT = texts(
    {
        "leg_head": "--- leg {leg}: {client} -> {server} port {port}",
        "leg_head_real": "--- leg {leg}: {client} -> {server} port {port} (real server on "
        "{loopback}:{real})",
        "message": "(the message: {headers} header lines, {size} bytes, ending with a line "
        "holding only '.')",
        "closed": "the server closed the connection",
        "progress_leg": "Leg {leg}: {client} → {server} port {port} …",
        "progress_drop": "Connecting to {server}:{port} — the packets are being dropped; giving "
        "up after {seconds} s (simulated drop) …",
        "done": "Done.",
        "connect_drop": "connect to {server} ({address}) port {port} [simulated by "
        "{loopback}:{real}: {mode}]",
        "drop_answered": "unexpected: the simulated drop answered",
        "drop_failed": "the simulated drop did not work on this system: {error}",
        "timed_out": "no answer at all; the client gave up after {seconds} s (timed out). No "
        "SMTP reply code: the server never heard of this attempt.",
        "drop_simulated": "This drop is simulated: a real client keeps resending its SYN for a "
        "minute or more before it reports the timeout.",
        "connect_closed": "connect to {server} ({address}) port {port} [simulated by "
        "{loopback}:{real}, where nothing listens]",
        "answered": "unexpected: something answered",
        "reset": "connection refused at once (the host answered with a TCP reset)",
        "not_logged_in": "(not logged in)",
        "https": "HTTPS to {server} port {port}: log in as {who}, press Send (described, not "
        "replayed: this chapter replays SMTP only)",
        "webmail": "webmail: {decision}. {reason}",
        "connect": "connect to {server} ({address}) port {port} from {client} ({client_address}) "
        "[real server on {loopback}:{real}]",
        "failed": "the connection failed: {error}",
        "implicit_tls": "TLS handshake first (implicit TLS, port 465)",
        "starttls": "TLS handshake done ({version}); EHLO again",
        "no_auth": "the server offers no AUTH here: sending without login",
    }
)


@dataclass(frozen=True)
class TranscriptLine:
    """One line of a conversation: ``C`` client, ``S`` server, ``*`` a note about the connection."""

    who: str
    text: str

    def __str__(self) -> str:
        return f"{self.who}: {self.text}"


@dataclass(frozen=True)
class Session:
    """One connection of the replay: who talked to whom, what was said, how it ended."""

    leg: int
    client: str
    server: str
    port: int
    """The model's port (25, 587, 465, 443)."""
    loopback_port: int | None
    """The real port on 127.0.0.1 that stood in for it (None when nothing was sent)."""
    lines: tuple[TranscriptLine, ...]
    outcome: Decision
    replayed: bool = True
    """False for the webmail's HTTPS request, which is described, not sent."""
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(str(line) for line in self.lines)

    @property
    def reply_codes(self) -> tuple[int, ...]:
        return tuple(
            int(line.text[:3])
            for line in self.lines
            if line.who == "S" and line.text[:3].isdigit() and line.text[3:4] in (" ", "")
        )


@dataclass(frozen=True)
class Replay:
    """The real conversation along a path, with the model's result beside it."""

    path: PathResult
    sessions: tuple[Session, ...]
    verdict: Verdict
    delivered: tuple[Path, ...] = ()
    """Files written into the recipient's Maildir."""
    simulated_drop: bool = False
    seconds: float = 0.0

    @property
    def agrees_with_model(self) -> bool:
        return self.verdict is self.path.verdict

    @property
    def text(self) -> str:
        parts = []
        for s in self.sessions:
            words = {"leg": s.leg, "client": s.client, "server": s.server, "port": s.port}
            head = TEXT["leg_head"].format(**words)
            if s.loopback_port and s.outcome not in (Decision.DROPPED, Decision.NO_SERVICE):
                head = TEXT["leg_head_real"].format(
                    **words, loopback=LOOPBACK, real=s.loopback_port
                )
            parts.append(head + "\n" + s.text)
        return "\n".join(parts)


# -- a client that writes down the conversation ----------------------------------------------------


class _Recorder(smtplib.SMTP):
    transcript: list[TranscriptLine]

    def send(self, s: Any) -> None:
        text = s.decode("utf-8", "replace") if isinstance(s, bytes) else str(s)
        if text.count("\r\n") > 1:  # the message itself, sent after DATA's 354
            lines = text.split("\r\n")
            headers = lines[: lines.index("")] if "" in lines else lines
            self.transcript.append(
                TranscriptLine(
                    "C",
                    TEXT["message"].format(headers=len(headers), size=len(text.encode())),
                )
            )
        else:
            self.transcript.append(TranscriptLine("C", text.rstrip("\r\n")))
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        code, message = super().getreply()
        if code == -1:
            self.transcript.append(TranscriptLine("*", TEXT["closed"]))
            return code, message
        rows = message.decode("utf-8", "replace").split("\n") or [""]
        for i, row in enumerate(rows):
            sep = "-" if i < len(rows) - 1 else " "
            self.transcript.append(TranscriptLine("S", f"{code}{sep}{row}".rstrip()))
        return code, message


class _RecordingSMTP(_Recorder, smtplib.SMTP):
    def __init__(self, transcript: list[TranscriptLine], **kwargs: Any) -> None:
        self.transcript = transcript
        super().__init__(**kwargs)


class _RecordingSMTPSSL(_Recorder, smtplib.SMTP_SSL):
    def __init__(self, transcript: list[TranscriptLine], **kwargs: Any) -> None:
        self.transcript = transcript
        super().__init__(**kwargs)


# -- the replay ----------------------------------------------------------------------------------


class LoopbackMailServers(ModelSmtpServers):
    """The model's SMTP servers on 127.0.0.1, and the replay of an attempt through them."""

    def replay(
        self,
        attempt: Attempt,
        policy: Policy | None = None,
        *,
        progress: Progress | None = None,
        subject: str = "Hello from the OP25B lab",
    ) -> Replay:
        """Send ``attempt``'s message along the model's path over real SMTP; record everything."""
        self.start()
        say = progress or (lambda _text: None)
        policy = policy if policy is not None else Policy()
        path = evaluate(attempt, policy, self.world)
        started = time.perf_counter()
        with self._lock, self._keeping_client():
            self.policy = policy
            self._queue.clear()
            self._stored.clear()
            sessions: list[Session] = []
            content = self._message(attempt, subject)
            client, server, port = attempt.source, attempt.destination, attempt.port
            credentials = attempt.credentials
            mail_from = attempt.mail_from
            simulated_drop = False
            for leg in sorted({h.leg for h in path.hops}):
                hops = [h for h in path.hops if h.leg == leg]
                decisions = {h.decision for h in hops}
                say(
                    TEXT["progress_leg"].format(
                        leg=leg, client=client.hostname, server=server.hostname, port=port
                    )
                )
                if Decision.DROPPED in decisions:
                    say(
                        TEXT["progress_drop"].format(
                            server=server.hostname, port=port, seconds=f"{self.drop_timeout:g}"
                        )
                    )
                    sessions.append(self._dropped(leg, client, server, port))
                    simulated_drop = True
                    break
                if Decision.NO_SERVICE in decisions:
                    sessions.append(self._refused(leg, client, server, port))
                    break
                service = server.service(port)
                assert service is not None
                if service.kind is ServiceKind.WEBMAIL:
                    session = self._webmail(leg, client, server, port, hops[-1], credentials)
                    sessions.append(session)
                    if hops[-1].decision is not Decision.ACCEPTED:
                        break
                    mail_from = credentials.user if credentials else mail_from
                else:
                    session = self._smtp(
                        leg, client, server, port, credentials, mail_from, attempt.rcpt_to, content
                    )
                    sessions.append(session)
                    if session.outcome is not Decision.ACCEPTED:
                        break
                    queued = next((q for q in self._queue if q.server == server.id), None)
                    if queued is not None:
                        content = queued.content
                # The next leg starts at this server, towards the recipient domain's MX, on port 25.
                nxt = [h for h in path.hops if h.leg == leg + 1]
                if not nxt:
                    break
                target = self.world.mx_for(attempt.rcpt_to.rpartition("@")[2])
                if target is None:
                    break
                client, server = server, target
                port, credentials = 25, None
            delivered = tuple(self._stored)
        verdict = self._verdict(path, sessions, delivered)
        say(TEXT["done"])
        return Replay(
            path,
            tuple(sessions),
            verdict,
            delivered,
            simulated_drop,
            time.perf_counter() - started,
        )

    @staticmethod
    def _verdict(path: PathResult, sessions: list[Session], delivered: tuple[Path, ...]) -> Verdict:
        last = sessions[-1]
        if last.outcome is Decision.DROPPED:
            return Verdict.DROPPED
        if last.outcome is Decision.NO_SERVICE:
            return Verdict.UNREACHABLE
        if delivered:
            return Verdict.DELIVERED
        if last.outcome is Decision.ACCEPTED and path.verdict is Verdict.HANDED_ON:
            return Verdict.HANDED_ON
        if last.outcome is Decision.HANDED_ON:
            return Verdict.HANDED_ON
        return Verdict.REFUSED

    def _message(self, attempt: Attempt, subject: str) -> bytes:
        msg = EmailMessage()
        msg["From"] = attempt.mail_from
        msg["To"] = attempt.rcpt_to
        msg["Subject"] = subject
        msg["Date"] = email.utils.format_datetime(self.clock())
        msg["Message-ID"] = email.utils.make_msgid(domain=attempt.source.hostname)
        msg.set_content(
            f"This message was sent from {attempt.source.label} ({attempt.source.ipv4}) "
            f"through {attempt.destination.hostname} port {attempt.port}.\n"
        )
        return msg.as_bytes()

    def _dropped(self, leg: int, client: Host, server: Host, port: int) -> Session:
        assert self._blackhole is not None
        real = self._blackhole.getsockname()[1]
        lines = [
            TranscriptLine(
                "*",
                TEXT["connect_drop"].format(
                    server=server.hostname,
                    address=server.ipv4,
                    port=port,
                    loopback=LOOPBACK,
                    real=real,
                    mode=self.drop_mode,
                ),
            )
        ]
        self._client = client
        started = time.perf_counter()
        transcript: list[TranscriptLine] = []
        try:
            conn = _RecordingSMTP(transcript, host=LOOPBACK, port=real, timeout=self.drop_timeout)
            conn.close()
            lines += transcript
            lines.append(TranscriptLine("*", TEXT["drop_answered"]))
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            waited = time.perf_counter() - started
            lines += transcript
            if not isinstance(exc, (TimeoutError, smtplib.SMTPServerDisconnected)):
                lines.append(TranscriptLine("*", TEXT["drop_failed"].format(error=exc)))
            lines.append(
                TranscriptLine(
                    "*",
                    TEXT["timed_out"].format(seconds=f"{waited:.1f}"),
                )
            )
            lines.append(
                TranscriptLine(
                    "*",
                    TEXT["drop_simulated"],
                )
            )
        return Session(
            leg,
            client.id,
            server.id,
            port,
            real,
            tuple(lines),
            Decision.DROPPED,
            seconds=time.perf_counter() - started,
        )

    def _refused(self, leg: int, client: Host, server: Host, port: int) -> Session:
        assert self._closed_port is not None
        real = self._closed_port.getsockname()[1]
        lines = [
            TranscriptLine(
                "*",
                TEXT["connect_closed"].format(
                    server=server.hostname,
                    address=server.ipv4,
                    port=port,
                    loopback=LOOPBACK,
                    real=real,
                ),
            )
        ]
        started = time.perf_counter()
        try:
            smtplib.SMTP(LOOPBACK, real, timeout=self.timeout).close()
            lines.append(TranscriptLine("*", TEXT["answered"]))
        except ConnectionRefusedError:
            lines.append(TranscriptLine("*", TEXT["reset"]))
        return Session(
            leg,
            client.id,
            server.id,
            port,
            real,
            tuple(lines),
            Decision.NO_SERVICE,
            seconds=time.perf_counter() - started,
        )

    def _webmail(
        self,
        leg: int,
        client: Host,
        server: Host,
        port: int,
        hop: Hop,
        credentials: Credentials | None,
    ) -> Session:
        who = credentials.user if credentials else TEXT["not_logged_in"]
        lines = [
            TranscriptLine("*", TEXT["https"].format(server=server.hostname, port=port, who=who)),
            TranscriptLine(
                "*", TEXT["webmail"].format(decision=hop.decision.label, reason=hop.reason)
            ),
        ]
        return Session(
            leg, client.id, server.id, port, None, tuple(lines), hop.decision, replayed=False
        )

    def _smtp(
        self,
        leg: int,
        client: Host,
        server: Host,
        port: int,
        credentials: Credentials | None,
        mail_from: str,
        rcpt_to: str,
        content: bytes,
    ) -> Session:
        """One real SMTP session: connect (TLS as the port asks), log in, send the envelope."""
        real = self.ports[(server.id, port)]
        transcript: list[TranscriptLine] = [
            TranscriptLine(
                "*",
                TEXT["connect"].format(
                    server=server.hostname,
                    address=server.ipv4,
                    port=port,
                    client=client.hostname,
                    client_address=client.ipv4,
                    loopback=LOOPBACK,
                    real=real,
                ),
            )
        ]
        self._client = client
        started = time.perf_counter()
        conn: smtplib.SMTP | None = None
        try:
            conn = self._connect(server, port, real, client, transcript)
            outcome = self._login(conn, credentials, transcript)
            if outcome is Decision.ACCEPTED:
                outcome = self._send(conn, mail_from, rcpt_to, content)
            return self._finish(conn, leg, client, server, port, real, transcript, outcome, started)
        except (OSError, smtplib.SMTPException) as exc:
            transcript.append(TranscriptLine("*", TEXT["failed"].format(error=exc)))
            if conn is not None:
                conn.close()
            return Session(
                leg,
                client.id,
                server.id,
                port,
                real,
                tuple(transcript),
                Decision.NO_SERVICE,
                seconds=time.perf_counter() - started,
            )

    def _connect(
        self, server: Host, port: int, real: int, client: Host, transcript: list[TranscriptLine]
    ) -> smtplib.SMTP:
        """Connect and EHLO: implicit TLS on 465 (RFC 8314), STARTTLS where offered (RFC 3207)."""
        service = server.service(port)
        assert service is not None  # the replay listens only on the ports of a server's services
        kind = service.kind
        if kind is ServiceKind.SUBMISSIONS:
            transcript.append(TranscriptLine("*", TEXT["implicit_tls"]))
            conn: smtplib.SMTP = _RecordingSMTPSSL(
                transcript, host=LOOPBACK, port=real, timeout=self.timeout, context=self._client_tls
            )
        else:
            conn = _RecordingSMTP(transcript, host=LOOPBACK, port=real, timeout=self.timeout)
        conn.ehlo(client.hostname)
        if conn.has_extn("starttls"):
            conn.starttls(context=self._client_tls)
            sock = conn.sock
            version = sock.version() if isinstance(sock, ssl.SSLSocket) else "TLS"
            transcript.append(TranscriptLine("*", TEXT["starttls"].format(version=version)))
            conn.ehlo(client.hostname)
        return conn

    @staticmethod
    def _login(
        conn: smtplib.SMTP, credentials: Credentials | None, transcript: list[TranscriptLine]
    ) -> Decision:
        """SMTP AUTH PLAIN when there are credentials and the server offers it (RFC 4954)."""
        if credentials is None:
            return Decision.ACCEPTED
        if not conn.has_extn("auth"):
            transcript.append(TranscriptLine("*", TEXT["no_auth"]))
            return Decision.ACCEPTED
        # SASL PLAIN is UTF-8 (RFC 4616 §2); smtplib's own auth_plain sends ASCII only.
        plain = f"\0{credentials.user}\0{credentials.password}".encode()
        code, _ = conn.docmd("AUTH", "PLAIN " + base64.b64encode(plain).decode("ascii"))
        return Decision.ACCEPTED if code == 235 else Decision.AUTH_FAILED

    @staticmethod
    def _send(conn: smtplib.SMTP, mail_from: str, rcpt_to: str, content: bytes) -> Decision:
        """MAIL, RCPT and DATA; the first refusal decides (RFC 5321 §3.3)."""
        code, _ = conn.mail(mail_from)
        if code != 250:
            return Decision.AUTH_REQUIRED if code == 530 else Decision.RELAY_DENIED
        code, text = conn.rcpt(rcpt_to)
        if code not in (250, 251):
            if b"dynamic" in text:
                return Decision.DYNAMIC_REFUSED
            return {550: Decision.USER_UNKNOWN, 530: Decision.AUTH_REQUIRED}.get(
                code, Decision.RELAY_DENIED
            )
        # smtplib sends bytes as they are: give it CRLF line ends (RFC 5321 §2.3.8).
        code, _ = conn.data(content.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        return Decision.ACCEPTED if code == 250 else Decision.RELAY_DENIED

    @staticmethod
    def _finish(
        conn: smtplib.SMTP,
        leg: int,
        client: Host,
        server: Host,
        port: int,
        real: int,
        transcript: list[TranscriptLine],
        outcome: Decision,
        started: float,
    ) -> Session:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
        return Session(
            leg,
            client.id,
            server.id,
            port,
            real,
            tuple(transcript),
            outcome,
            seconds=time.perf_counter() - started,
        )
