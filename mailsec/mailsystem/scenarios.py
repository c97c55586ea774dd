"""The campaign's scenarios: legitimate mail and attacks, each run over the system's real sockets.

Every scenario is a short play: who sends what to whom, who reads it, and where an attacker
sits. :func:`run_scenario` plays one against a running :class:`~mailsec.mailsystem.system.
MailSystem` and returns a :class:`~mailsec.mailsystem.timeline.ScenarioRun` -- the timeline
made of what the servers did, every hop's transcript, the header fields each hop added, and one
verdict per control (:mod:`mailsec.mailsystem.verdicts`). ``SCENARIOS`` lists them in the
campaign's order; each names where its expected behaviour comes from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from mailsec.dkim.course import sign_as
from mailsec.errors import InputError
from mailsec.mailsystem.delivery import Session, send
from mailsec.mailsystem.headers import header_stages
from mailsec.mailsystem.plan import ACCOUNTS, WORLD, Defences
from mailsec.mailsystem.reader import Opened, open_smime, read_message
from mailsec.mailsystem.system import MailSystem
from mailsec.mailsystem.timeline import (
    Control,
    Event,
    HeaderStage,
    Lane,
    ScenarioRun,
    Transcript,
    TranscriptLine,
)
from mailsec.mailsystem.verdicts import Facts, judge
from mailsec.smime.messages import sign_and_encrypt, sign_message
from mailsec.trace import Outcome
from mailsec.transport.relay import Direction, MailProtocol, Relay
from mailsec.transport.relay_clients import TlsSetting, login_pop3
from mailsec.transport.relay_view import eavesdrop

__all__ = ["SCENARIOS", "Scenario", "run_scenario", "scenario"]

ALICE = "alice@bank.example"
BOB = "bob@example.com"
FORGED_FROM = "bank.example Security <security@bank.example>"
ACCOUNT, FORGED_ACCOUNT = b"1234-5678", b"6666-0000"

TEXT = {
    "read": "IMAPS 993: Bob's client fetched the message from {folder}",
    "read_failed": "IMAPS 993: Bob's client found nothing ({problem})",
    "opened": "S/MIME: {result} ({reason})",
    "landed": "The message is in Bob's {folder}.",
    "rejected": "example.com's MX refused the message: {reply}",
    "dropped": "ISP A's edge dropped the connection: the message never left the home network.",
    "lost": "The message did not arrive: {reply}",
    "captured": "The eavesdropper read Bob's password off the wire ({setting}).",
    "safe": "The eavesdropper read no password: {why}",
    "bounced": "After {rounds} rounds the bank's MTA returned the message to Alice: {reply}",
    "tap": "{note}",
    "filled": "Bob's mailbox is filled to its quota with old newsletters",
    "emptied": "The old newsletters are removed again",
    "inside_tls": "the password went inside TLS: the wiretap saw only encrypted records",
    "records": "<{count} TLS records: their content cannot be read>",
    "wiretap_hop": "Bob's client ↔ mail.example.com:{port} (POP3), as the eavesdropper saw it",
    "wiretap": "The wiretap recorded {count} readable lines",
    "pop3": "POP3: Bob's client logs in ({setting})",
    "plain_reader": "Read as plain text: anyone with the mailbox password reads it",
}

LANES = {
    "eve": Lane("eve", "Attacker on the path", "Wi-Fi or a router between", attacker=True),
    "isp-edge": Lane("isp-edge", "ISP A's edge router", "OP25B"),
    **{
        h.id: Lane(h.id, h.label, f"{h.hostname} {h.ipv4}", attacker=h.id in ("bot-pc", "vps"))
        for h in WORLD.hosts
    },
}


@dataclass(frozen=True)
class Scenario:
    """One play of the campaign."""

    name: str
    title: str
    attack: bool
    summary: str
    """One line for ``mailsystem list``."""
    lanes: tuple[str, ...]
    sources: tuple[str, ...]


def _letter(subject: str, body: str, *, sender: str = f"Alice <{ALICE}>", to: str = BOB,
            when: float) -> tuple[bytes, str]:  # fmt: skip
    """A plain-text message and its Message-ID."""
    message_id = f"<{secrets.token_hex(8)}@bank.example>"
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {email.utils.formatdate(when)}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode("ascii"), message_id


class _Play:
    """What a scenario's play can do; collects the facts as it goes."""

    def __init__(self, system: MailSystem) -> None:
        self.system = system
        self.facts = Facts()
        self.message_id = ""

    @property
    def defences(self) -> Defences:
        return self.system.defences

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.system.clock(), dt.timezone.utc)

    def letter(self, subject: str, body: str, **options: str) -> bytes:
        message, self.message_id = _letter(subject, body, when=self.system.clock(), **options)
        return message

    def smime(self, message: bytes, *, encrypt: bool = True) -> bytes:
        """Alice's S/MIME, when the defence is on: signed, and encrypted to Bob."""
        if not self.defences.smime:
            return message
        alice, bob = self.system.users[ALICE], self.system.users[BOB]
        if encrypt:
            return sign_and_encrypt(
                message, key=alice.key, certificate=alice.certificate, recipients=[bob.certificate]
            )
        return sign_message(message, key=alice.key, certificate=alice.certificate)

    def send(self, source: str, target: str, port: int, **options: object) -> Session:
        """One SMTP session from ``source`` to ``target``'s course address (recorded)."""
        client, server = WORLD.host(source), WORLD.host(target)
        assert self.system.internet is not None
        session = send(
            self.system.internet, client, str(server.ipv4), port,
            on_route=lambda route: self.system.journal.hop_started(client, route), **options,  # type: ignore[arg-type]
        )  # fmt: skip
        if session.route is not None and session.route.ruling is not None:
            self.facts.edge.append(session.route.ruling)
        self.system.journal.hop_ended(client, session)
        return session

    def submit(self, message: bytes, rcpt: str = BOB) -> Session:
        """Alice submits from home: 587, STARTTLS required, AUTH (RFC 6409, RFC 8314)."""
        return self.send(
            "alice-pc", "bank-submit", 587,
            mail_from=ALICE, rcpts=[rcpt], message=message, starttls="required",
            context=self.system.client_context(), login=(ALICE, ACCOUNTS[ALICE]),
        )  # fmt: skip

    def landed(self) -> str | None:
        """Where the message with :attr:`message_id` is in Bob's mailbox (None: nowhere)."""
        for folder in (None, "Junk"):
            for message in self.system.mailboxes.messages(BOB, folder):
                if self.message_id.encode() in message.split(b"\n\n", 1)[0]:
                    return folder or "INBOX"
        return None

    def read(self, *, key: bool = True) -> bytes | None:
        """Bob's client (or, without ``key``, another client) reads the message over IMAPS."""
        folder = self.facts.landed = self.landed()
        if folder is None:
            return None
        assert self.system.internet is not None
        reading = read_message(
            self.system.internet.listening_port("mailstore", 993),
            user="bob", password=ACCOUNTS[BOB], context=self.system.client_context(),
            folder=folder, message_id=self.message_id,
            hop="mail.example.com:993 → Bob's client (IMAPS)",
        )  # fmt: skip
        kept = self.system.journal.add_transcript(reading.transcript)
        index = kept if kept >= 0 else None
        if reading.message is None:
            label = TEXT["read_failed"].format(problem=reading.problem)
            self.system.journal.record(
                Event("mailstore", "bob-pc", label, Outcome.FAIL, transcript=index)
            )
            return None
        self.facts.read_over_tls = True
        label = TEXT["read"].format(folder=folder)
        self.system.journal.record(
            Event("mailstore", "bob-pc", label, Outcome.OK, transcript=index)
        )
        assert self.system.ca is not None  # the system is running
        opening = open_smime(
            reading.message,
            reader=self.system.users[BOB] if key else None,
            trusted=self.system.ca.certificate,
            now=self.now(),
        )
        self.facts.opening = opening
        look = {Opened.VALID: Outcome.OK, Opened.PLAIN: Outcome.INFO,
                Opened.ENCRYPTED_UNSIGNED: Outcome.INFO}.get(opening.result, Outcome.FAIL)  # fmt: skip
        if opening.result is Opened.NO_KEY:
            look = Outcome.OK if not key else Outcome.FAIL
        self.system.journal.record(
            Event("bob-pc", None, TEXT["opened"].format(result=opening.result.value,
                  reason=opening.reason), look, section="RFC 8551 §3", control=Control.SMIME)
        )  # fmt: skip
        return reading.message

    def outcome_of(self, session: Session) -> None:
        """The final sentence for a message sent straight to the MX."""
        if session.route is not None and session.route.dropped:
            self.facts.final = TEXT["dropped"]
            return
        folder = self.facts.landed = self.landed()
        if folder is not None:
            self.facts.final = TEXT["landed"].format(folder=folder)
        else:
            self.facts.final = TEXT["rejected"].format(reply=f"{session.code} {session.reply}")

    def delivered_to_bob(self) -> bool:
        """After delivery: where the message landed, and the final sentence."""
        folder = self.facts.landed = self.landed()
        if folder is None:
            last = self.system.journal.refusal
            self.facts.final = TEXT["lost"].format(reply=last)
            return False
        self.facts.final = TEXT["landed"].format(folder=folder)
        return folder == "INBOX"


# -- the plays ---------------------------------------------------------------------------------


def _normal(play: _Play) -> bool:
    message = play.smime(
        play.letter("Your new card", "Dear Bob,\r\n\r\nyour new card is on its way.\r\n\r\nAlice")
    )
    play.submit(message)
    play.system.deliver()
    arrived = play.delivered_to_bob()
    play.read()
    opened = play.facts.opening
    return arrived and opened is not None and opened.result in (Opened.VALID, Opened.PLAIN)


def _forged(play: _Play, source: str, helo: str) -> bool:
    message = play.letter(
        "Urgent: confirm your account",
        "Dear customer,\r\n\r\nconfirm your account at https://bank-example.invalid/login\r\n",
        sender=FORGED_FROM,
    )
    session = play.send(
        source, "mx", 25, mail_from="security@bank.example", rcpts=[BOB], message=message,
        helo=helo,
    )  # fmt: skip
    play.outcome_of(session)
    return False


def _bot(play: _Play) -> bool:
    return _forged(play, "bot-pc", "pc-200.isp-a.example")


def _rented(play: _Play) -> bool:
    return _forged(play, "vps", "mail.evil.example")


def _lookalike(play: _Play) -> bool:
    message = play.letter(
        "Urgent: confirm your account",
        "Dear customer,\r\n\r\nconfirm your account at https://bank-example.invalid/login\r\n",
        sender=FORGED_FROM,
    )
    message = sign_as("evil.example", message, now=play.system.clock())
    session = play.send(
        "vps", "mx", 25, mail_from="bounce@evil.example", rcpts=[BOB], message=message,
        helo="mail.evil.example",
    )  # fmt: skip
    play.outcome_of(session)
    return False


def _tampered(play: _Play) -> bool:
    body = "Dear Bob,\r\n\r\nplease pay the fee to account " + ACCOUNT.decode() + ".\r\n\r\nAlice"
    play.submit(play.smime(play.letter("Fee payment", body), encrypt=False))
    system = play.system
    assert system.internet is not None
    mx = str(WORLD.host("mx").ipv4)
    with Relay(
        "127.0.0.1", system.internet.listening_port("mx", 25), protocol=MailProtocol.SMTP,
        strip=True, upgrade=False, transparent=True, alter=(ACCOUNT, FORGED_ACCOUNT),
    ) as relay:  # fmt: skip
        system.internet.tap(mx, 25, relay.port)
        try:
            system.deliver()
        finally:
            system.internet.tap(mx, 25, None)
        relay.wait_until_idle()
        for recording, at in zip(relay.recordings, system.journal.tap_marks, strict=False):
            notes = [n for n in recording.notes if n.attack]
            for offset, note in enumerate(notes):
                event = Event("eve", None, note.text, Outcome.FAIL, section=note.section)
                system.journal.record(event, at=at + offset)
        system.journal.tap_marks.clear()
    play.delivered_to_bob()
    play.read()
    return False


def _through(play: _Play, rcpt: str, subject: str, body: str) -> bool:
    """Alice writes to ``rcpt``, an intermediary that passes the message on to Bob."""
    play.submit(play.letter(subject, body, to=rcpt), rcpt=rcpt)
    play.system.deliver()
    arrived = play.delivered_to_bob()
    play.read()
    return arrived


def _forwarded(play: _Play) -> bool:
    body = "Hi Carol,\r\n\r\nlunch on Friday?\r\n\r\nAlice"
    return _through(play, "carol@university.example", "Lunch on Friday?", body)


def _mailing_list(play: _Play) -> bool:
    body = "Hi all,\r\n\r\nthe meeting moves to 3 pm.\r\n\r\nAlice"
    return _through(play, "team@lists.example", "Team meeting", body)


def _eavesdrop(play: _Play, *, strip: bool) -> bool:
    system = play.system
    assert system.internet is not None
    tls = play.defences.tls
    if strip:
        port, setting = 110, TlsSetting.REQUIRED if tls else TlsSetting.OPPORTUNISTIC
    else:
        port, setting = (995, TlsSetting.IMPLICIT) if tls else (110, TlsSetting.NONE)
    real = system.internet.listening_port("mailstore", port)
    with Relay("127.0.0.1", real, protocol=MailProtocol.POP3, strip=strip) as relay:
        system.journal.record(Event("bob-pc", "eve", TEXT["pop3"].format(setting=setting.label)))
        result = login_pop3(
            "mail.example.com", relay.port, "bob", ACCOUNTS[BOB], tls=setting,
            context=system.client_context(), address="127.0.0.1",
        )  # fmt: skip
        relay.wait_until_idle()
        recording = relay.recordings[-1]
    seen = eavesdrop(recording)
    lines = [
        TranscriptLine(line.direction is Direction.TO_SERVER, line.text) for line in seen.lines
    ]
    if seen.channel.encrypted:
        lines.append(TranscriptLine(False, TEXT["records"].format(count=len(seen.records))))
    hop = TEXT["wiretap_hop"].format(port=port)
    index = system.journal.add_transcript(
        Transcript(hop, "POP3", tuple(lines), tls=seen.channel.encrypted)
    )
    system.journal.record(
        Event("eve", None, TEXT["wiretap"].format(count=len(seen.lines)), Outcome.INFO,
              transcript=index if index >= 0 else None)
    )  # fmt: skip
    for note in seen.attack:
        system.journal.record(Event("eve", None, note.text, Outcome.FAIL, section=note.section))
    look = Outcome.OK if result.logged_in else Outcome.WARN
    system.journal.record(
        Event("eve", "mailstore", result.reason[:160], look, section=setting.section)
    )
    play.facts.captured = seen.captured
    if seen.captured:
        play.facts.final = TEXT["captured"].format(setting=setting.label)
        system.journal.record(
            Event("eve", None, play.facts.final, Outcome.FAIL, control=Control.TLS)
        )
    else:
        why = result.reason if not result.password_sent else TEXT["inside_tls"]
        play.facts.wiretap = why
        play.facts.final = TEXT["safe"].format(why=why)
        system.journal.record(Event("eve", None, play.facts.final, Outcome.OK, control=Control.TLS))
    return False


def _full_mailbox(play: _Play) -> bool:
    system = play.system
    filler = system.mailboxes.fill(BOB)
    system.journal.record(Event("mx", None, TEXT["filled"], Outcome.INFO))
    try:
        play.submit(play.letter("Statement", "Dear Bob,\r\n\r\nyour statement is ready.\r\n"))
        rounds = system.deliver()
    finally:
        system.mailboxes.remove(BOB, filler)
        system.journal.record(Event("mx", None, TEXT["emptied"], Outcome.INFO))
    bounces = [m for m in system.mailboxes.messages(ALICE) if play.message_id.encode() in m]
    play.facts.bounced = bool(bounces)
    play.facts.landed = play.landed()
    play.facts.final = TEXT["bounced"].format(rounds=rounds, reply=system.journal.refusal)
    return play.facts.bounced and play.facts.landed is None


def _without_key(play: _Play) -> bool:
    message = play.smime(
        play.letter("Your PIN", "Dear Bob,\r\n\r\nthe PIN of your new card is 4711.\r\n\r\nAlice")
    )
    play.submit(message)
    play.system.deliver()
    play.delivered_to_bob()
    play.read(key=False)
    opened = play.facts.opening
    if opened is not None and opened.result is Opened.PLAIN:
        play.facts.final = TEXT["plain_reader"]
    elif opened is not None:
        play.facts.final = opened.reason
    return False


_MAIL = ("alice-pc", "isp-edge", "bank-submit", "bank-out", "mx", "mailstore", "bob-pc")

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("normal", "A normal message, end to end", False,
             "Alice's S/MIME message: submitted, signed, checked, stored, read over IMAPS",
             _MAIL, ("RFC 6409", "RFC 6376 §5", "RFC 7489 §6.6", "RFC 8314 §3", "RFC 8551")),
    Scenario("bot-port25", "The bank spoofed from a home PC on port 25", True,
             "a bot in ISP A's home network sends forged bank mail straight to the MX",
             ("bot-pc", "isp-edge", "mx", "mailstore"), ("RFC 5068 §3", "chapter 02")),
    Scenario("rented-server", "The bank spoofed from a rented server", True,
             "the attacker's own server, outside any ISP's OP25B, forges the bank",
             ("vps", "mx", "mailstore"), ("RFC 7208 §8.4", "RFC 7489 §6.6.4", "chapter 03")),
    Scenario("lookalike-domain", "The attacker's own domain behind a forged From:", True,
             "SPF and DKIM pass for evil.example; only DMARC compares them with From:",
             ("vps", "mx", "mailstore"), ("RFC 7489 §3.1", "chapter 07")),
    Scenario("tampered", "A message altered in transit", True,
             "an on-path attacker strips STARTTLS between MTAs and changes an account number",
             ("alice-pc", "isp-edge", "bank-submit", "bank-out", "eve", "mx", "mailstore", "bob-pc"),
             ("RFC 6376 §3.7", "RFC 3207 §6", "RFC 8551 §2.5", "chapter 05")),
    Scenario("forwarded", "Forwarded through the university", False,
             "carol@university.example forwards to Bob: SPF fails, DKIM survives",
             ("alice-pc", "isp-edge", "bank-submit", "bank-out", "university", "mx", "mailstore", "bob-pc"),
             ("RFC 7208 §10.3", "RFC 7489 §4.2", "chapter 07")),
    Scenario("mailing-list", "Through a mailing list", False,
             "the list tags and footers the message (DKIM breaks) and seals it with ARC",
             ("alice-pc", "isp-edge", "bank-submit", "bank-out", "lists", "mx", "mailstore", "bob-pc"),
             ("RFC 8617 §7.2", "RFC 7489 §7.2.1.2", "chapter 07")),
    Scenario("pop3-eavesdrop", "An eavesdropper on Bob's POP3", True,
             "a wiretap between Bob and his server: plaintext POP3, or POP3 over TLS",
             ("bob-pc", "eve", "mailstore"), ("RFC 8314 §3", "RFC 1939 §7", "chapter 08")),
    Scenario("starttls-strip", "STARTTLS stripping", True,
             "an attacker removes STLS from the server's CAPA; 'TLS if available' falls back",
             ("bob-pc", "eve", "mailstore"), ("RFC 2595 §4", "RFC 3207 §6", "chapter 08")),
    Scenario("mailbox-full", "A full mailbox", False,
             "Bob's mailbox is over its quota: 452, retries, then a bounce to Alice",
             ("alice-pc", "isp-edge", "bank-submit", "bank-out", "mx"),
             ("RFC 5321 §4.5.4.1", "RFC 3463 §3.3", "RFC 3464", "chapter 01")),
    Scenario("reader-without-key", "Bob's mailbox opened on a device without his key", True,
             "someone with Bob's password reads the message; S/MIME keeps its content hidden",
             ("alice-pc", "isp-edge", "bank-submit", "bank-out", "mx", "mailstore", "bob-pc"),
             ("RFC 8551 §3.3", "chapter 05")),
)  # fmt: skip


def scenario(name: str) -> Scenario:
    """The scenario called ``name``."""
    for found in SCENARIOS:
        if found.name == name:
            return found
    names = ", ".join(s.name for s in SCENARIOS)
    raise InputError(f"Unknown scenario {name!r}: the scenarios are {names}.")


_PLAYS: dict[str, Callable[[_Play], bool]] = {
    "normal": _normal,
    "bot-port25": _bot,
    "rented-server": _rented,
    "lookalike-domain": _lookalike,
    "tampered": _tampered,
    "forwarded": _forwarded,
    "mailing-list": _mailing_list,
    "pop3-eavesdrop": lambda play: _eavesdrop(play, strip=False),
    "starttls-strip": lambda play: _eavesdrop(play, strip=True),
    "mailbox-full": _full_mailbox,
    "reader-without-key": _without_key,
}


"""Each scenario's play: it runs the scenario and returns whether legitimate mail arrived (for
an attack the value is not used)."""


def run_scenario(system: MailSystem, name: str) -> ScenarioRun:
    """Play the scenario ``name`` on ``system`` (started if it is not running)."""
    chosen = scenario(name)
    system.start()
    play = _Play(system)
    with system.journal.recording() as seen:
        arrived = _PLAYS[chosen.name](play)
    play.facts.checks = list(seen.checks or ())
    verdicts, defended, stopper = judge(
        system.defences, play.facts, attack=chosen.attack, arrived=arrived
    )
    first = seen.first_transcript
    events = tuple(
        e if e.transcript is None else _shifted(e, e.transcript - first) for e in seen.events or ()
    )
    return ScenarioRun(
        chosen.name,
        chosen.title,
        chosen.attack,
        tuple(LANES[lane] for lane in chosen.lanes),
        events,
        verdicts,
        _headers(system, play),
        tuple(seen.transcripts or ()),
        play.facts.final,
        defended,
        stopper,
        chosen.sources,
    )


def _shifted(event: Event, index: int) -> Event:
    return dataclasses.replace(event, transcript=index)


def _headers(system: MailSystem, play: _Play) -> tuple[HeaderStage, ...]:
    """The header fields each hop added, from the message as it was stored (oldest first)."""
    if play.facts.landed is None:
        return ()
    folder = None if play.facts.landed == "INBOX" else play.facts.landed
    stored = next(
        (m for m in system.mailboxes.messages(BOB, folder) if play.message_id.encode() in m), None
    )
    if stored is None:
        return ()
    return header_stages(stored)
