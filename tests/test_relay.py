"""The recording relay: exact in both directions, bounded, prompt to stop.

Real sockets on 127.0.0.1: a small upstream server in a thread, the relay in its own, the test
as the client. Nothing waits by sleeping: every wait is a blocking read with a time-out as a
guard, or the relay's wait_until_idle.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from mailsec.errors import InputError
from mailsec.transport.relay import MailProtocol, Relay
from mailsec.transport.relay_recording import Direction

LOOPBACK = "127.0.0.1"
GUARD = 10.0  # seconds: only reached when something is broken


class Upstream:
    """A server on loopback that sends ``reply`` to each connection and keeps what it gets."""

    def __init__(self, reply: bytes = b"", *, close_after_reply: bool = False) -> None:
        self.reply = reply
        self.close_after_reply = close_after_reply
        self.received: list[bytes] = []
        self.finished = threading.Semaphore(0)
        self.sock = socket.create_server((LOOPBACK, 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        data = bytearray()
        with conn:
            conn.settimeout(GUARD)
            try:
                if self.reply:
                    conn.sendall(self.reply)
                if self.close_after_reply:
                    return
                while chunk := conn.recv(65536):
                    data += chunk
            except OSError:
                pass
            finally:
                self.received.append(bytes(data))
                self.finished.release()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream(random.Random(8446).randbytes(200_000))
    yield server
    server.close()


@pytest.fixture
def silent() -> Iterator[Upstream]:
    """A server that says nothing and listens until the other side closes."""
    server = Upstream()
    yield server
    server.close()


def _client(port: int) -> socket.socket:
    sock = socket.create_connection((LOOPBACK, port), timeout=GUARD)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = bytearray()
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def test_bytes_pass_unchanged_both_ways_and_are_recorded_exactly(upstream: Upstream) -> None:
    sent = random.Random(3207).randbytes(150_000)
    with Relay(LOOPBACK, upstream.port, protocol=MailProtocol.SMTP) as relay:
        sock = _client(relay.port)

        def send() -> None:
            sock.sendall(sent)
            sock.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        received = _read_all(sock)
        sender.join(GUARD)
        sock.close()
        assert upstream.finished.acquire(timeout=GUARD)
        assert relay.wait_until_idle(GUARD)
        recording = relay.recordings[-1]
    assert received == upstream.reply  # bytes out = bytes in, server to client
    assert upstream.received == [sent]  # and client to server
    assert recording.data(Direction.TO_SERVER) == sent
    assert recording.data(Direction.TO_CLIENT) == upstream.reply
    assert (recording.client_octets, recording.server_octets) == (len(sent), len(upstream.reply))
    assert (recording.client_unrecorded, recording.server_unrecorded) == (0, 0)
    assert recording.ended == "closed"
    times = [chunk.at for chunk in recording.chunks]
    assert times == sorted(times) and times[0] >= 0
    assert recording.duration >= times[-1]
    assert not recording.strip and recording.protocol is MailProtocol.SMTP


def test_the_recording_is_bounded_and_the_rest_is_counted(upstream: Upstream) -> None:
    with Relay(LOOPBACK, upstream.port, protocol=MailProtocol.POP3, max_recorded=1000) as relay:
        with _client(relay.port) as sock:
            sock.sendall(b"x" * 5000)
            sock.shutdown(socket.SHUT_WR)
            received = _read_all(sock)
        assert relay.wait_until_idle(GUARD)
        recording = relay.recordings[-1]
    assert received == upstream.reply  # everything still passes
    assert len(recording.data(Direction.TO_CLIENT)) == 1000
    assert recording.data(Direction.TO_CLIENT) == upstream.reply[:1000]
    assert recording.server_octets == len(upstream.reply)
    assert recording.server_unrecorded == len(upstream.reply) - 1000
    assert (recording.client_octets, recording.client_unrecorded) == (5000, 4000)


def test_connections_over_the_limit_are_closed_at_once(silent: Upstream) -> None:
    with Relay(LOOPBACK, silent.port, protocol=MailProtocol.IMAP, max_connections=2) as relay:
        first, second = _client(relay.port), _client(relay.port)
        with _client(relay.port) as third:
            assert _read_all(third) == b""  # closed by the relay, at once
        assert relay.refused == 1
        first.close()
        second.close()
        assert relay.wait_until_idle(GUARD)
        assert len(relay.recordings) == 2


def test_a_silent_connection_is_closed_after_the_idle_time_out(silent: Upstream) -> None:
    with Relay(LOOPBACK, silent.port, protocol=MailProtocol.POP3, idle_timeout=0.2) as relay:
        with _client(relay.port) as sock:
            assert _read_all(sock) == b""
        assert relay.wait_until_idle(GUARD)
        assert "silent for 0.2 s" in (relay.recordings[-1].ended or "")


@pytest.mark.parametrize("strip", [False, True], ids=["listening", "attacker"])
def test_stop_is_prompt_with_connections_open(strip: bool) -> None:
    server = Upstream(b"+OK hello\r\n")
    relay = Relay(LOOPBACK, server.port, protocol=MailProtocol.POP3, strip=strip, upgrade=False)
    relay.start()
    clients = [_client(relay.port) for _ in range(3)]
    try:
        for sock in clients:
            assert sock.recv(100) == b"+OK hello\r\n"  # each connection is through
        start = time.monotonic()
        relay.stop()
        assert time.monotonic() - start < 2.0
        assert not relay.running
        for sock in clients:
            assert _read_all(sock) == b""
        assert [r.ended for r in relay.recordings] == ["the relay was stopped"] * 3
        relay.stop()  # a second stop does nothing
    finally:
        for sock in clients:
            sock.close()
        server.close()


def test_a_server_that_cannot_be_reached_closes_the_client() -> None:
    closed = socket.socket()
    closed.bind((LOOPBACK, 0))  # bound, not listening: connecting is refused
    try:
        with Relay(LOOPBACK, closed.getsockname()[1], protocol=MailProtocol.SMTP) as relay:
            with _client(relay.port) as sock:
                assert _read_all(sock) == b""
            assert relay.wait_until_idle(GUARD)
            assert "could not reach the server" in (relay.recordings[-1].ended or "")
    finally:
        closed.close()


def test_the_relay_restarts_and_clear_forgets_ended_recordings(upstream: Upstream) -> None:
    relay = Relay(LOOPBACK, upstream.port, protocol=MailProtocol.SMTP)
    try:
        for _ in range(2):
            relay.start()
            with _client(relay.port) as sock:
                sock.shutdown(socket.SHUT_WR)
                _read_all(sock)
            assert relay.wait_until_idle(GUARD)
            relay.stop()
        assert [r.number for r in relay.recordings] == [1, 2]
        relay.clear()
        assert relay.recordings == ()
    finally:
        relay.stop()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"upstream_host": "192.0.2.1"},
            "The server's address '192.0.2.1' is not a loopback address",
        ),
        ({"host": "example.org"}, "The relay's address 'example.org' is not a loopback address"),
        ({"upstream_port": 0}, "The server's port 0 is not a TCP port (1 to 65535)"),
        ({"upstream_port": 70000}, "The server's port 70000 is not a TCP port"),
        ({"max_connections": 0}, "max_connections must be a positive number, not 0."),
        ({"idle_timeout": -1}, "idle_timeout must be a positive number, not -1."),
        ({"max_recorded": True}, "max_recorded must be a positive number, not True."),
    ],
)
def test_bad_settings_are_refused_with_a_sentence(kwargs: dict, message: str) -> None:
    arguments: dict = {"upstream_host": LOOPBACK, "upstream_port": 25}
    arguments.update(kwargs)
    with pytest.raises(InputError) as caught:
        Relay(
            arguments.pop("upstream_host"),
            arguments.pop("upstream_port"),
            protocol=MailProtocol.SMTP,
            **arguments,
        )
    assert message in caught.value.message
