"""The TLS record layer as a wiretap reads it: a real handshake through the relay, and hostile
bytes (which end in an InputError and nothing else).

RFC 8446 §5.1 (record header), §4.1.2-4.1.3 (the hellos), §4.2.1 (supported_versions),
RFC 6066 §3 (SNI), RFC 7301 §3.1 (ALPN).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.errors import InputError
from mailsec.op25b.smtpd import _make_tls
from mailsec.transport.relay import MailProtocol, Relay
from mailsec.transport.relay_recording import Chunk, Direction, Recording
from mailsec.transport.relay_tls import (
    MAX_RECORD_LENGTH,
    ContentType,
    cipher_suite_name,
    first_handshake_message,
    looks_like_tls,
    parse_client_hello,
    parse_records,
    parse_server_hello,
    version_name,
)
from mailsec.transport.relay_view import Channel, eavesdrop

LOOPBACK = "127.0.0.1"
NAME = "mail.example.test"
GUARD = 10.0


def _contexts(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate for NAME, as chapter 02's servers make theirs: (server context offering
    ALPN "imap", client context trusting its CA)."""
    server, client = _make_tls(NAME)
    server.set_alpn_protocols(["imap"])
    return server, client


def _handshake_through_relay(tmp_path: Path, *, tls12: bool = False) -> Recording:
    """An implicit-TLS conversation (IMAPS-like) through a listening relay; its recording."""
    server_context, client_context = _contexts(tmp_path)
    client_context.set_alpn_protocols(["imap", "pop3"])
    if tls12:
        client_context.maximum_version = ssl.TLSVersion.TLSv1_2
    listener = socket.create_server((LOOPBACK, 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with server_context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"* OK ready\r\n")
            tls.recv(100)
            tls.sendall(b"* BYE\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with Relay(LOOPBACK, listener.getsockname()[1], protocol=MailProtocol.IMAP) as relay:
            raw = socket.create_connection((LOOPBACK, relay.port), timeout=GUARD)
            with client_context.wrap_socket(raw, server_hostname=NAME) as tls:
                assert tls.recv(100) == b"* OK ready\r\n"
                tls.sendall(b"a1 LOGOUT\r\n")
                assert tls.recv(100) == b"* BYE\r\n"
            thread.join(GUARD)
            assert relay.wait_until_idle(GUARD)
            return relay.recordings[-1]
    finally:
        listener.close()


def test_a_real_handshake_shows_sni_alpn_versions_and_sizes(tmp_path: Path) -> None:
    recording = _handshake_through_relay(tmp_path)
    client_bytes = recording.data(Direction.TO_SERVER)
    layer = parse_records(client_bytes)
    # Every octet is a record: 5 octets of header and `length` octets (RFC 8446 §5.1).
    assert sum(5 + r.length for r in layer.records) + layer.leftover == len(client_bytes)
    assert layer.leftover == 0 and not layer.stopped
    assert layer.records[0].content_type is ContentType.HANDSHAKE
    hello = parse_client_hello(first_handshake_message(layer.records) or b"")
    assert hello.server_name == NAME  # RFC 6066 §3: in clear
    assert hello.alpn == ("imap", "pop3")  # RFC 7301 §3.1
    assert 0x0304 in hello.versions  # RFC 8446 §4.2.1
    assert hello.cipher_suites and 0x1301 in hello.cipher_suites

    server = parse_records(recording.data(Direction.TO_CLIENT))
    answer = parse_server_hello(first_handshake_message(server.records) or b"")
    assert answer.version == 0x0304 and answer.legacy_version == 0x0303
    assert answer.alpn is None  # TLS 1.3 sends the choice encrypted (EncryptedExtensions)
    assert cipher_suite_name(answer.cipher_suite).startswith("TLS_")

    seen = eavesdrop(recording)
    assert seen.channel is Channel.IMPLICIT and not seen.lines and not seen.captured
    assert seen.server_name == NAME
    assert seen.hello_at is not None and seen.answer_at is not None
    assert seen.hello_at <= seen.answer_at
    kinds = {r.content_type for r in seen.records}
    assert {ContentType.HANDSHAKE, ContentType.APPLICATION_DATA} <= kinds
    client = seen.totals(Direction.TO_SERVER)
    assert client.octets == len(client_bytes)
    # "a1 LOGOUT\r\n" is 11 octets: TLS 1.3 adds a 16-octet tag and a 1-octet type (§5.2).
    assert 11 + 17 in client.application
    texts = " ".join(step.text for step in seen.trace)
    assert f"(SNI): {NAME}" in texts and "imap, pop3" in texts and "TLS 1.3" in texts


def test_tls_12_shows_the_chosen_protocol_in_the_server_hello(tmp_path: Path) -> None:
    recording = _handshake_through_relay(tmp_path, tls12=True)
    seen = eavesdrop(recording)
    assert seen.server_hello is not None
    assert version_name(seen.server_hello.version) == "TLS 1.2"
    assert seen.server_hello.alpn == "imap"


def _record(kind: int, body: bytes, version: bytes = b"\x03\x03") -> bytes:
    return bytes([kind]) + version + len(body).to_bytes(2, "big") + body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_record(99, b"x"), "Octet 0: content type 99 is not a TLS record type"),
        (_record(22, b"x", b"\x02\x00"), "Octet 0: record version 2.0 is not TLS"),
        (
            b"\x17\x03\x03" + (MAX_RECORD_LENGTH + 1).to_bytes(2, "big"),
            "a record of 18,433 octets is longer than TLS allows",
        ),
        (_record(23, b"ok") + _record(7, b""), "Octet 7: content type 7"),
    ],
)
def test_what_is_not_a_record_is_refused_with_where_and_why(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_records(data)
    assert message in caught.value.message


def test_a_record_cut_off_at_the_end_is_left_over_not_an_error() -> None:
    layer = parse_records(_record(23, b"abcdef") + _record(23, b"xyz")[:6])
    assert [r.length for r in layer.records] == [6]
    assert layer.leftover == 6


def test_reading_stops_at_the_record_limit() -> None:
    layer = parse_records(_record(23, b"") * 10, limit=4)
    assert len(layer.records) == 4 and layer.stopped


def test_looks_like_tls_only_for_handshake_headers() -> None:
    assert looks_like_tls(b"\x16\x03\x01\x02\x00")
    assert not looks_like_tls(b"EHLO x\r\n")
    assert not looks_like_tls(b"\x16\x03")
    assert not looks_like_tls(b"\x17\x03\x03")


def test_hello_errors_quote_what_is_wrong() -> None:
    with pytest.raises(InputError, match="not a ClientHello"):
        parse_client_hello(b"\x02\x00\x00\x00")
    with pytest.raises(InputError, match="ends inside its random"):
        parse_client_hello(b"\x01\x00\x00\x04\x03\x03\x00\x00")
    name = b"bad\x00name"
    sni = len(name).to_bytes(2, "big")
    extension = (len(name) + 3).to_bytes(2, "big") + b"\x00" + sni + name
    body = (
        b"\x03\x03"
        + bytes(32)
        + b"\x00"
        + b"\x00\x02\x13\x01"
        + b"\x01\x00"
        + (len(extension) + 4).to_bytes(2, "big")
        + b"\x00\x00"
        + len(extension).to_bytes(2, "big")
        + extension
    )
    with pytest.raises(InputError, match="not printable ASCII"):
        parse_client_hello(b"\x01" + len(body).to_bytes(3, "big") + body)


_HOSTILE = settings(max_examples=300, deadline=None)


@_HOSTILE
@given(st.binary(max_size=3000))
def test_random_bytes_give_records_or_an_input_error(data: bytes) -> None:
    try:
        layer = parse_records(data)
    except InputError:
        return
    assert sum(5 + r.length for r in layer.records) + layer.leftover == len(data)
    try:
        message = first_handshake_message(layer.records)
        if message is not None:
            parse_client_hello(message)
    except InputError:
        pass


@_HOSTILE
@given(st.binary(max_size=600))
def test_random_hellos_are_read_or_refused(body: bytes) -> None:
    for kind, parse in ((1, parse_client_hello), (2, parse_server_hello)):
        message = bytes([kind]) + len(body).to_bytes(3, "big") + body
        with contextlib.suppress(InputError):
            parse(message)


@pytest.fixture(scope="module")
def real_hello(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    recording = _handshake_through_relay(tmp_path_factory.mktemp("hello"))
    layer = parse_records(recording.data(Direction.TO_SERVER))
    message = first_handshake_message(layer.records)
    assert message is not None
    return message


@_HOSTILE
@given(st.data())
def test_a_damaged_real_client_hello_is_read_or_refused(real_hello: bytes, data) -> None:  # type: ignore[no-untyped-def]
    message = bytearray(real_hello)
    for _ in range(data.draw(st.integers(1, 4))):
        message[data.draw(st.integers(0, len(message) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(message)))
    with contextlib.suppress(InputError):
        parse_client_hello(bytes(message[:cut]))


@_HOSTILE
@given(
    st.lists(
        st.tuples(st.sampled_from(list(Direction)), st.binary(min_size=1, max_size=200)),
        max_size=12,
    ),
    st.sampled_from(list(MailProtocol)),
)
def test_eavesdropping_on_any_recording_never_raises(chunks, protocol) -> None:  # type: ignore[no-untyped-def]
    recording = Recording(
        number=1,
        protocol=protocol,
        strip=False,
        chunks=tuple(Chunk(d, i * 0.001, b) for i, (d, b) in enumerate(chunks)),
        notes=(),
        client_octets=sum(len(b) for d, b in chunks if d is Direction.TO_SERVER),
        server_octets=sum(len(b) for d, b in chunks if d is Direction.TO_CLIENT),
        client_unrecorded=0,
        server_unrecorded=0,
        ended="closed",
        duration=1.0,
    )
    seen = eavesdrop(recording)
    assert seen.trace
