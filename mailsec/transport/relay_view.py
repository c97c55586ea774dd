"""What an eavesdropper learns from a recording: the plaintext lines and passwords, or with TLS
the server's name, the record sizes and the timing.

:func:`eavesdrop` reads a :class:`~mailsec.transport.relay_recording.Recording` as a wiretap
would, and returns an :class:`Eavesdropped` with a trace of :class:`~mailsec.trace.Step`:

- **before TLS** every line is readable. A password is in clear in POP3's ``PASS`` (RFC 1939 §7)
  and IMAP's ``LOGIN`` (RFC 3501 §6.2.3), and one base64 decoding away in ``AUTH PLAIN`` /
  ``AUTH LOGIN`` (SMTP, RFC 4954 §4; POP3, RFC 5034 §4) and IMAP's ``AUTHENTICATE`` (§6.2.2):
  base64 is an encoding, not encryption. PLAIN's message is authorization identity, NUL, user,
  NUL, password (RFC 4616 §2);
- **once TLS starts** (after STARTTLS or STLS, or from the first byte on an implicit-TLS port)
  only the record layer is readable (:mod:`~mailsec.transport.relay_tls`): each record's type,
  version and length and when it went, and the two hellos -- the server's name (SNI) and the
  protocols offered (ALPN) in the ClientHello, the version and cipher suite in the ServerHello.

TLS starts where a line would start and the bytes begin like a handshake record instead (octet
22, then 3): no mail protocol line begins with that control character. Pure: no I/O, any
recording in, a result out.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from mailsec.errors import InputError, one_line
from mailsec.i18n import texts
from mailsec.limits import MAX_WIRETAP_LINES as MAX_SEEN_LINES
from mailsec.trace import Outcome, Step, Trace
from mailsec.transport.relay_credentials import PasswordReader, client_commands
from mailsec.transport.relay_recording import (
    Direction,
    MailProtocol,
    Recording,
    RelayNote,
)
from mailsec.transport.relay_tls import (
    ClientHello,
    ContentType,
    ServerHello,
    TlsRecord,
    cipher_suite_name,
    first_handshake_message,
    looks_like_tls,
    parse_client_hello,
    parse_records,
    parse_server_hello,
    version_name,
)

__all__ = [
    "MAX_SEEN_LINES",
    "Channel",
    "Credential",
    "Eavesdropped",
    "SeenLine",
    "SeenRecord",
    "Totals",
    "eavesdrop",
]


#: Characters of one line kept for showing; the line is cut there (a line is at most 1,000
#: octets in SMTP, RFC 5321 §4.5.3.1.6, but a hostile peer may send 64 KiB).
MAX_LINE_SHOWN = 500

MESSAGES = texts(
    {
        "seen": (
            "The wiretap saw {client:,} octets from the client and {server:,} from the server "
            "in {ms:,.0f} ms."
        ),
        "plaintext": "No TLS: every command and reply travelled in clear.",
        "upgraded": (
            "The connection began in plaintext ({lines} lines); after {command} it switched to TLS "
            "and the wiretap saw only TLS records."
        ),
        "implicit": "TLS from the first octet: the wiretap saw no plaintext at all.",
        "password": "Password captured from {mechanism} for user {user}.",
        "decoded": "{mechanism} only base64-encodes the password: decoding it gives it in clear.",
        "no_password": "No password in the plaintext part.",
        "attack": "The attacker {text}.",
        "sni": "The ClientHello names the server in clear (SNI): {name}.",
        "no_sni": "The ClientHello names no server (no SNI): the client connected by IP address.",
        "alpn": "Application protocols offered in clear (ALPN): {names}.",
        "no_alpn": "No application protocol offered (no ALPN extension).",
        "chosen": "The ServerHello shows the choice in clear: {version}, {cipher}.",
        "records": (
            "{client} records from the client ({client_octets:,} octets) and {server} from the "
            "server ({server_octets:,} octets): only each record's type, version and length are "
            "readable, not what it carries."
        ),
        "sizes": (
            "The sizes still tell how much was said: the client's encrypted records carried "
            "{sizes} octets (without padding, a record is as long as its content plus a fixed "
            "overhead)."
        ),
        "timing": (
            "Timing is visible too: the server answered the ClientHello after {rtt:,.1f} ms; the "
            "last record went at {last:,.0f} ms."
        ),
        "not_tls": "From octet {offset} the {side}'s bytes cannot be read as TLS: {reason}",
        "no_hello": "The {side}'s {hello} could not be read: {reason}",
        "unrecorded": "The recording was full: {octets:,} more octets from the {side} were counted, not kept.",
        "more_lines": "More than {limit:,} plaintext lines from the {side}: the rest was not read.",
        "sides": {"client": "client", "server": "server"},
    }
)
"""Every sentence of the trace (named placeholders, for translation)."""

H = TypeVar("H", ClientHello, ServerHello)

_SIDE = {Direction.TO_SERVER: "client", Direction.TO_CLIENT: "server"}


class Channel(enum.Enum):
    """How the connection was protected, as the wiretap saw it."""

    PLAINTEXT = "plaintext"
    """No TLS at all."""
    STARTTLS = "starttls"
    """Plaintext first, then TLS after STARTTLS or STLS."""
    IMPLICIT = "implicit"
    """TLS from the first octet (RFC 8314 §3)."""

    @property
    def encrypted(self) -> bool:
        return self is not Channel.PLAINTEXT


@dataclass(frozen=True)
class SeenLine:
    """A plaintext line as the wiretap read it."""

    direction: Direction
    at: float
    text: str
    """The line without its line end; control characters shown as escapes."""
    decoded: str | None = None
    """What a base64 SASL line says, decoded (NUL shown as [NUL])."""
    password: str | None = None
    """The password this line gives away (in ``text``, or in ``decoded``)."""


@dataclass(frozen=True)
class Credential:
    """A user name and password read off the wire."""

    mechanism: str
    """``USER/PASS``, ``LOGIN``, ``AUTH PLAIN`` ..."""
    user: str | None
    password: str
    at: float
    section: str


@dataclass(frozen=True)
class SeenRecord:
    """A TLS record as the wiretap saw it: its header and its time, nothing of its content."""

    direction: Direction
    at: float
    content_type: ContentType
    version: int
    length: int


@dataclass(frozen=True)
class Totals:
    """The records of one direction, counted."""

    records: int
    octets: int
    """Octets of all records, headers included."""
    application: tuple[int, ...]
    """The lengths of the application-data records, in order."""


@dataclass(frozen=True)
class Eavesdropped:
    """What a wiretap learned from one connection."""

    protocol: MailProtocol
    channel: Channel
    lines: tuple[SeenLine, ...]
    credentials: tuple[Credential, ...]
    records: tuple[SeenRecord, ...]
    client_hello: ClientHello | None
    server_hello: ServerHello | None
    hello_at: float | None
    """When the ClientHello went (seconds since the connection opened)."""
    answer_at: float | None
    """When the ServerHello came."""
    client_octets: int
    server_octets: int
    duration: float
    attack: tuple[RelayNote, ...]
    """What the attacker did, when the relay was one."""
    trace: Trace

    @property
    def captured(self) -> bool:
        """Whether a password was read off the wire."""
        return bool(self.credentials)

    @property
    def server_name(self) -> str | None:
        return self.client_hello.server_name if self.client_hello else None

    def totals(self, direction: Direction) -> Totals:
        mine = [r for r in self.records if r.direction is direction]
        return Totals(
            records=len(mine),
            octets=sum(r.length + 5 for r in mine),
            application=tuple(
                r.length for r in mine if r.content_type is ContentType.APPLICATION_DATA
            ),
        )


# -- one direction's bytes ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stream:
    """One direction's recorded bytes, and where each chunk began (to time any offset)."""

    direction: Direction
    data: bytes
    starts: tuple[int, ...]
    places: tuple[tuple[int, float], ...]
    """For each chunk: its index in the whole recording, and its time."""

    def when(self, offset: int) -> tuple[int, float]:
        """(order, time) of the chunk holding the octet at ``offset``."""
        index = max(0, bisect.bisect_right(self.starts, offset) - 1)
        return self.places[index] if self.places else (0, 0.0)


def _stream(recording: Recording, direction: Direction) -> _Stream:
    starts, places, parts, offset = [], [], [], 0
    for index, chunk in enumerate(recording.chunks):
        if chunk.direction is direction:
            starts.append(offset)
            places.append((index, chunk.at))
            parts.append(chunk.data)
            offset += len(chunk.data)
    return _Stream(direction, b"".join(parts), tuple(starts), tuple(places))


def _lines(stream: _Stream) -> tuple[list[tuple[int, bytes]], int | None, bool]:
    """The plaintext lines (offset, bytes), the offset where TLS begins, and whether the lines
    were cut at :data:`MAX_SEEN_LINES`."""
    data, pos = stream.data, 0
    lines: list[tuple[int, bytes]] = []
    while pos < len(data):
        if looks_like_tls(data[pos : pos + 3]):
            return lines, pos, False
        if len(lines) >= MAX_SEEN_LINES:
            return lines, None, True
        end = data.find(b"\n", pos)
        stop = len(data) if end < 0 else end + 1
        lines.append((pos, data[pos:stop]))
        pos = stop
    return lines, None, False


def _shown(line: bytes) -> str:
    text = one_line(line.rstrip(b"\r\n").decode("utf-8", "replace"))
    return text if len(text) <= MAX_LINE_SHOWN else text[:MAX_LINE_SHOWN] + " …"


# -- the whole view --------------------------------------------------------------------------------


def eavesdrop(recording: Recording) -> Eavesdropped:
    """What a wiretap on the client's side of the wire learned from ``recording``."""
    protocol = recording.protocol
    streams = {d: _stream(recording, d) for d in Direction}
    steps: list[Step] = [
        Step(
            MESSAGES["seen"].format(
                client=recording.client_octets,
                server=recording.server_octets,
                ms=recording.duration * 1000,
            )
        )
    ]
    seen: list[tuple[tuple[int, int], SeenLine]] = []
    credentials: list[Credential] = []
    tls_start: dict[Direction, int | None] = {}
    for direction, stream in streams.items():
        lines, tls_start[direction], cut = _lines(stream)
        if cut:
            steps.append(
                Step(
                    MESSAGES["more_lines"].format(
                        limit=MAX_SEEN_LINES, side=MESSAGES["sides"][_SIDE[direction]]
                    )
                )
            )
        reader = PasswordReader(protocol) if direction is Direction.TO_SERVER else None
        for offset, line in client_commands(protocol, lines) if reader else lines:
            order, at = stream.when(offset)
            found = reader.feed(line) if reader else None
            password = found.credential[2] if found and found.credential else None
            seen.append(
                (
                    (order, offset),
                    SeenLine(
                        direction, at, _shown(line), found.decoded if found else None, password
                    ),
                )
            )
            if found and found.credential:
                mechanism, user, secret, section = found.credential
                credentials.append(Credential(mechanism, user, secret, at, section))
    channel = _channel(tls_start)
    steps.extend(_channel_steps(protocol, channel, len(seen), credentials))
    attack = tuple(n for n in recording.notes if n.attack)
    for note in attack:
        steps.append(Step(MESSAGES["attack"].format(text=note.text), Outcome.WARN, note.section))
    tls = _tls(streams, tls_start, steps)
    for direction in Direction:
        if recording.unrecorded(direction):
            steps.append(
                Step(
                    MESSAGES["unrecorded"].format(
                        octets=recording.unrecorded(direction),
                        side=MESSAGES["sides"][_SIDE[direction]],
                    )
                )
            )
    return Eavesdropped(
        protocol=protocol,
        channel=channel,
        lines=tuple(line for _key, line in sorted(seen, key=lambda item: item[0])),
        credentials=tuple(credentials),
        records=tls.records,
        client_hello=tls.client_hello,
        server_hello=tls.server_hello,
        hello_at=tls.hello_at,
        answer_at=tls.answer_at,
        client_octets=recording.client_octets,
        server_octets=recording.server_octets,
        duration=recording.duration,
        attack=attack,
        trace=tuple(steps),
    )


def _channel(tls_start: dict[Direction, int | None]) -> Channel:
    client = tls_start.get(Direction.TO_SERVER)
    if client is None:
        return Channel.PLAINTEXT
    return Channel.IMPLICIT if client == 0 else Channel.STARTTLS


def _channel_steps(
    protocol: MailProtocol, channel: Channel, lines: int, credentials: list[Credential]
) -> list[Step]:
    steps = []
    if channel is Channel.PLAINTEXT:
        outcome = Outcome.FAIL if credentials else Outcome.WARN
        steps.append(Step(MESSAGES["plaintext"], outcome, "RFC 8314 §4.1"))
    elif channel is Channel.STARTTLS:
        steps.append(
            Step(
                MESSAGES["upgraded"].format(lines=lines, command=protocol.upgrade_command),
                Outcome.OK,
                protocol.upgrade_section,
            )
        )
    else:
        steps.append(Step(MESSAGES["implicit"], Outcome.OK, protocol.implicit_section))
    for credential in credentials:
        steps.append(
            Step(
                MESSAGES["password"].format(
                    mechanism=credential.mechanism, user=credential.user or "?"
                ),
                Outcome.FAIL,
                credential.section,
            )
        )
        if credential.mechanism.startswith("AUTH"):  # SASL: base64, an encoding only
            plain = credential.mechanism.endswith("PLAIN")
            steps.append(
                Step(
                    MESSAGES["decoded"].format(mechanism=credential.mechanism),
                    Outcome.FAIL,
                    "RFC 4616 §2" if plain else "RFC 4648 §4",
                    depth=1,
                )
            )
    if not credentials and lines:
        steps.append(Step(MESSAGES["no_password"], Outcome.OK))
    return steps


@dataclass(frozen=True)
class _Tls:
    records: tuple[SeenRecord, ...] = ()
    client_hello: ClientHello | None = None
    server_hello: ServerHello | None = None
    hello_at: float | None = None
    answer_at: float | None = None


def _tls(
    streams: dict[Direction, _Stream], tls_start: dict[Direction, int | None], steps: list[Step]
) -> _Tls:
    """The TLS part of both directions: records, hellos, and their steps."""
    layers: dict[Direction, tuple[TlsRecord, ...]] = {}
    seen: list[tuple[tuple[int, int], SeenRecord]] = []
    for direction, stream in streams.items():
        start = tls_start.get(direction)
        if start is None:
            continue
        try:
            layer = parse_records(stream.data[start:])
        except InputError as exc:
            steps.append(_unreadable(exc, start, direction))
            layer = parse_records(stream.data[start : start + _readable(stream.data, start)])
        layers[direction] = tuple(
            TlsRecord(r.offset + start, r.content_type, r.version, r.length, r.fragment)
            for r in layer.records
        )
        for record in layers[direction]:
            order, at = stream.when(record.offset)
            seen.append(
                (
                    (order, record.offset),
                    SeenRecord(direction, at, record.content_type, record.version, record.length),
                )
            )
    if not layers:
        return _Tls()
    client_hello = _hello(layers.get(Direction.TO_SERVER, ()), parse_client_hello, "client", steps)
    server_hello = _hello(layers.get(Direction.TO_CLIENT, ()), parse_server_hello, "server", steps)
    records = tuple(record for _key, record in sorted(seen, key=lambda item: item[0]))
    hello_at = _first_at(records, Direction.TO_SERVER)
    answer_at = _first_at(records, Direction.TO_CLIENT)
    result = _Tls(records, client_hello, server_hello, hello_at, answer_at)
    steps.extend(_tls_steps(result))
    return result


def _readable(data: bytes, start: int) -> int:
    """How many octets from ``start`` parse as records (up to the first bad header)."""
    pos = start
    while len(data) - pos >= 5:
        try:
            parse_records(data[pos : pos + 5 + int.from_bytes(data[pos + 3 : pos + 5], "big")])
        except InputError:
            break
        pos += 5 + int.from_bytes(data[pos + 3 : pos + 5], "big")
    return pos - start


def _unreadable(exc: InputError, start: int, direction: Direction) -> Step:
    return Step(
        MESSAGES["not_tls"].format(
            offset=start, side=MESSAGES["sides"][_SIDE[direction]], reason=exc.message
        ),
        Outcome.WARN,
        "RFC 8446 §5.1",
    )


def _hello(
    records: tuple[TlsRecord, ...],
    parse: Callable[[bytes], H],
    side: str,
    steps: list[Step],
) -> H | None:
    """The first handshake message of one side, parsed; ``None`` (and a step saying why) when
    it is missing or cannot be read."""
    hello = "ClientHello" if side == "client" else "ServerHello"
    try:
        message = first_handshake_message(records)
        return parse(message) if message is not None else None
    except InputError as exc:
        steps.append(
            Step(
                MESSAGES["no_hello"].format(
                    side=MESSAGES["sides"][side], hello=hello, reason=exc.message
                ),
                Outcome.WARN,
                "RFC 8446 §4.1.2" if side == "client" else "RFC 8446 §4.1.3",
            )
        )
        return None


def _first_at(records: tuple[SeenRecord, ...], direction: Direction) -> float | None:
    return next((r.at for r in records if r.direction is direction), None)


def _tls_steps(tls: _Tls) -> list[Step]:
    steps = []
    hello = tls.client_hello
    if hello is not None:
        if hello.server_name:
            steps.append(
                Step(MESSAGES["sni"].format(name=hello.server_name), Outcome.WARN, "RFC 6066 §3")
            )
        else:
            steps.append(Step(MESSAGES["no_sni"], Outcome.INFO, "RFC 6066 §3"))
        if hello.alpn:
            steps.append(
                Step(MESSAGES["alpn"].format(names=", ".join(hello.alpn)), section="RFC 7301 §3.1")
            )
        else:
            steps.append(Step(MESSAGES["no_alpn"], section="RFC 7301 §3.1"))
    if tls.server_hello is not None:
        steps.append(
            Step(
                MESSAGES["chosen"].format(
                    version=version_name(tls.server_hello.version),
                    cipher=cipher_suite_name(tls.server_hello.cipher_suite),
                ),
                section="RFC 8446 §4.1.3",
            )
        )
    counts = {d: [r for r in tls.records if r.direction is d] for d in Direction}
    client, server = counts[Direction.TO_SERVER], counts[Direction.TO_CLIENT]
    steps.append(
        Step(
            MESSAGES["records"].format(
                client=len(client),
                client_octets=sum(r.length + 5 for r in client),
                server=len(server),
                server_octets=sum(r.length + 5 for r in server),
            ),
            section="RFC 8446 §5.1",
        )
    )
    sizes = [r.length for r in client if r.content_type is ContentType.APPLICATION_DATA]
    if sizes:
        shown = ", ".join(str(s) for s in sizes[:12]) + (" …" if len(sizes) > 12 else "")
        steps.append(Step(MESSAGES["sizes"].format(sizes=shown), section="RFC 8446 §5.4"))
    if tls.hello_at is not None and tls.answer_at is not None and tls.records:
        steps.append(
            Step(
                MESSAGES["timing"].format(
                    rtt=max(0.0, tls.answer_at - tls.hello_at) * 1000,
                    last=tls.records[-1].at * 1000,
                )
            )
        )
    return steps
