"""The campaign's scenarios: legitimate mail and attacks, each run over the system's real sockets.

Every scenario is a short play: who sends what to whom, who reads it, and where an attacker
sits. :func:`run_scenario` plays one against a running :class:`~mailsec.mailsystem.system.
MailSystem` and returns a :class:`~mailsec.mailsystem.timeline.ScenarioRun` -- the timeline
made of what the servers did, every hop's transcript, the header fields each hop added, and one
verdict per control (:mod:`mailsec.mailsystem.verdicts`). ``SCENARIOS`` lists them in the
campaign's order; each names where its expected behaviour comes from.

A run is in the language it is played in (:mod:`mailsec.i18n`): the scenario's title, the lanes,
every label and reason. The letters themselves (subjects, bodies) are mail on the wire and stay
as they are.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from mailsec.dkim.course import sign_as
from mailsec.errors import InputError
from mailsec.i18n import language, ngettext, texts
from mailsec.mailsystem.headers import header_stages
from mailsec.mailsystem.plan import ACCOUNTS, HOST_TEXT, WORLD
from mailsec.mailsystem.play import ACCOUNT, ALICE, BOB, FORGED_ACCOUNT, FORGED_FROM, TEXT, Play
from mailsec.mailsystem.reader import Opened
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
from mailsec.mailsystem.verdicts import judge
from mailsec.trace import Outcome
from mailsec.transport.relay import Direction, MailProtocol, Relay
from mailsec.transport.relay_clients import TlsSetting, login_pop3
from mailsec.transport.relay_view import eavesdrop

__all__ = ["SCENARIOS", "Scenario", "run_scenario", "scenario"]


SCENARIO_TEXT = texts(
    {
        "normal": (
            "A normal message, end to end",
            "Alice's S/MIME message: submitted, signed, checked, stored, read over IMAPS",
        ),
        "bot-port25": (
            "The bank spoofed from a home PC on port 25",
            "a bot in ISP A's home network sends forged bank mail straight to the MX",
        ),
        "rented-server": (
            "The bank spoofed from a rented server",
            "the attacker's own server, outside any ISP's OP25B, forges the bank",
        ),
        "lookalike-domain": (
            "The attacker's own domain behind a forged From:",
            "SPF and DKIM pass for evil.example; only DMARC compares them with From:",
        ),
        "tampered": (
            "A message altered in transit",
            "an on-path attacker strips STARTTLS between MTAs and changes an account number",
        ),
        "forwarded": (
            "Forwarded through the university",
            "carol@university.example forwards to Bob: SPF fails, DKIM survives",
        ),
        "mailing-list": (
            "Through a mailing list",
            "the list tags and footers the message (DKIM breaks) and seals it with ARC",
        ),
        "pop3-eavesdrop": (
            "An eavesdropper on Bob's POP3",
            "a wiretap between Bob and his server: plaintext POP3, or POP3 over TLS",
        ),
        "starttls-strip": (
            "STARTTLS stripping",
            "an attacker removes STLS from the server's CAPA; 'TLS if available' falls back",
        ),
        "mailbox-full": (
            "A full mailbox",
            "Bob's mailbox is over its quota: 452, retries, then a bounce to Alice",
        ),
        "reader-without-key": (
            "Bob's mailbox opened on a device without his key",
            "someone with Bob's password reads the message; S/MIME keeps its content hidden",
        ),
    }
)
"""Each scenario's title and its one line for ``mailsystem list``, by name."""

_ATTACKERS = ("bot-pc", "vps")
_CHAPTER = re.compile(r"chapter (\d+)")


def _lane(lane_id: str) -> Lane:
    """A lane in the current language."""
    if lane_id == "eve":
        label, where = TEXT["eve"]
        return Lane("eve", label, where, attacker=True)
    if lane_id == "isp-edge":
        label, where = TEXT["isp-edge"]
        return Lane("isp-edge", label, where)
    host = WORLD.host(lane_id)
    label = HOST_TEXT[host.id][0]
    return Lane(host.id, label, f"{host.hostname} {host.ipv4}", attacker=host.id in _ATTACKERS)


def _source(text: str) -> str:
    """A source in the current language: "chapter 02" is words, "RFC 5321 §4.4" is not."""
    found = _CHAPTER.fullmatch(text)
    return TEXT["chapter"].format(number=found.group(1)) if found else text


@dataclass(frozen=True)
class Scenario:
    """One play of the campaign; its title and summary are in :data:`SCENARIO_TEXT`."""

    name: str
    attack: bool
    lanes: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def title(self) -> str:
        """The scenario's title, in the current language."""
        return SCENARIO_TEXT[self.name][0]

    @property
    def summary(self) -> str:
        """One line for ``mailsystem list``, in the current language."""
        return SCENARIO_TEXT[self.name][1]


# -- the plays ---------------------------------------------------------------------------------


def _normal(play: Play) -> bool:
    message = play.smime(
        play.letter("Your new card", "Dear Bob,\r\n\r\nyour new card is on its way.\r\n\r\nAlice")
    )
    play.submit(message)
    play.system.deliver()
    arrived = play.delivered_to_bob()
    play.read()
    opened = play.facts.opening
    return arrived and opened is not None and opened.result in (Opened.VALID, Opened.PLAIN)


def _forged(play: Play, source: str, helo: str) -> bool:
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


def _bot(play: Play) -> bool:
    return _forged(play, "bot-pc", "pc-200.isp-a.example")


def _rented(play: Play) -> bool:
    return _forged(play, "vps", "mail.evil.example")


def _lookalike(play: Play) -> bool:
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


def _tampered(play: Play) -> bool:
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


def _through(play: Play, rcpt: str, subject: str, body: str) -> bool:
    """Alice writes to ``rcpt``, an intermediary that passes the message on to Bob."""
    play.submit(play.letter(subject, body, to=rcpt), rcpt=rcpt)
    play.system.deliver()
    arrived = play.delivered_to_bob()
    play.read()
    return arrived


def _forwarded(play: Play) -> bool:
    body = "Hi Carol,\r\n\r\nlunch on Friday?\r\n\r\nAlice"
    return _through(play, "carol@university.example", "Lunch on Friday?", body)


def _mailing_list(play: Play) -> bool:
    body = "Hi all,\r\n\r\nthe meeting moves to 3 pm.\r\n\r\nAlice"
    return _through(play, "team@lists.example", "Team meeting", body)


def _eavesdrop(play: Play, *, strip: bool) -> bool:
    system = play.system
    assert system.internet is not None
    tls = play.defences.tls
    if strip:
        port, setting = 110, TlsSetting.REQUIRED if tls else TlsSetting.OPPORTUNISTIC
    else:
        port, setting = (995, TlsSetting.IMPLICIT) if tls else (110, TlsSetting.NONE)
    real = system.internet.listening_port("mailstore", port)
    with Relay("127.0.0.1", real, protocol=MailProtocol.POP3, strip=strip) as relay:
        words = TEXT["settings"][setting.value]
        system.journal.record(Event("bob-pc", "eve", TEXT["pop3"].format(setting=words)))
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
        count = len(seen.records)
        records = ngettext(
            "<{count} TLS record: its content cannot be read>",
            "<{count} TLS records: their content cannot be read>",
            count,
        )
        lines.append(TranscriptLine(False, records.format(count=count)))
    hop = TEXT["wiretap_hop"].format(port=port)
    index = system.journal.add_transcript(
        Transcript(hop, "POP3", tuple(lines), tls=seen.channel.encrypted)
    )
    system.journal.record(
        Event("eve", None, ngettext("The wiretap recorded {count} readable line",
              "The wiretap recorded {count} readable lines", len(seen.lines)).format(
              count=len(seen.lines)), Outcome.INFO,
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
        play.facts.final = TEXT["captured"].format(setting=TEXT["settings"][setting.value])
        system.journal.record(
            Event("eve", None, play.facts.final, Outcome.FAIL, control=Control.TLS)
        )
    else:
        why = result.reason if not result.password_sent else TEXT["inside_tls"]
        play.facts.wiretap = why
        play.facts.final = TEXT["safe"].format(why=why)
        system.journal.record(Event("eve", None, play.facts.final, Outcome.OK, control=Control.TLS))
    return False


def _full_mailbox(play: Play) -> bool:
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
    play.facts.final = ngettext(
        "After {rounds} round the bank's MTA returned the message to Alice: {reply}",
        "After {rounds} rounds the bank's MTA returned the message to Alice: {reply}",
        rounds,
    ).format(rounds=rounds, reply=system.journal.refusal)
    return play.facts.bounced and play.facts.landed is None


def _without_key(play: Play) -> bool:
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
    Scenario("normal", False, _MAIL,
             ("RFC 6409", "RFC 6376 §5", "RFC 7489 §6.6", "RFC 8314 §3", "RFC 8551")),
    Scenario("bot-port25", True, ("bot-pc", "isp-edge", "mx", "mailstore"),
             ("RFC 5068 §3", "chapter 02")),
    Scenario("rented-server", True, ("vps", "mx", "mailstore"),
             ("RFC 7208 §8.4", "RFC 7489 §6.6.4", "chapter 03")),
    Scenario("lookalike-domain", True, ("vps", "mx", "mailstore"),
             ("RFC 7489 §3.1", "chapter 07")),
    Scenario("tampered", True,
             ("alice-pc", "isp-edge", "bank-submit", "bank-out", "eve", "mx", "mailstore", "bob-pc"),
             ("RFC 6376 §3.7", "RFC 3207 §6", "RFC 8551 §2.5", "chapter 05")),
    Scenario("forwarded", False,
             ("alice-pc", "isp-edge", "bank-submit", "bank-out", "university", "mx", "mailstore", "bob-pc"),
             ("RFC 7208 §10.3", "RFC 7489 §4.2", "chapter 07")),
    Scenario("mailing-list", False,
             ("alice-pc", "isp-edge", "bank-submit", "bank-out", "lists", "mx", "mailstore", "bob-pc"),
             ("RFC 8617 §7.2", "RFC 7489 §7.2.1.2", "chapter 07")),
    Scenario("pop3-eavesdrop", True, ("bob-pc", "eve", "mailstore"),
             ("RFC 8314 §3", "RFC 1939 §7", "chapter 08")),
    Scenario("starttls-strip", True, ("bob-pc", "eve", "mailstore"),
             ("RFC 2595 §4", "RFC 3207 §6", "chapter 08")),
    Scenario("mailbox-full", False, ("alice-pc", "isp-edge", "bank-submit", "bank-out", "mx"),
             ("RFC 5321 §4.5.4.1", "RFC 3463 §3.3", "RFC 3464", "chapter 01")),
    Scenario("reader-without-key", True,
             ("alice-pc", "isp-edge", "bank-submit", "bank-out", "mx", "mailstore", "bob-pc"),
             ("RFC 8551 §3.3", "chapter 05")),
)  # fmt: skip


def scenario(name: str) -> Scenario:
    """The scenario called ``name``."""
    for found in SCENARIOS:
        if found.name == name:
            return found
    names = ", ".join(s.name for s in SCENARIOS)
    raise InputError(TEXT["unknown"].format(name=name, names=names))


_PLAYS: dict[str, Callable[[Play], bool]] = {
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
    system.lang = language()  # the servers' thread writes the timeline in the play's language
    play = Play(system)
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
        tuple(_lane(lane) for lane in chosen.lanes),
        events,
        verdicts,
        _headers(system, play),
        tuple(seen.transcripts or ()),
        play.facts.final,
        defended,
        stopper,
        tuple(_source(text) for text in chosen.sources),
    )


def _shifted(event: Event, index: int) -> Event:
    return dataclasses.replace(event, transcript=index)


def _headers(system: MailSystem, play: Play) -> tuple[HeaderStage, ...]:
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
