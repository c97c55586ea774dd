"""The eavesdropper's view of a recording, offline: passwords in each protocol's login lines,
the switch to TLS, and what is not TLS.

Cases from RFC 1939 §7 (USER/PASS), RFC 3501 §6.2.2-6.2.3 and §4.3 (LOGIN, strings,
literals), RFC 4954 §4 (AUTH, initial response, cancel), RFC 4616 §2 (PLAIN), RFC 5034 §4.
"""

from __future__ import annotations

import base64

import pytest

from mailsec.trace import Outcome
from mailsec.transport.relay_recording import Chunk, Direction, MailProtocol, Recording
from mailsec.transport.relay_view import MAX_SEEN_LINES, Channel, eavesdrop

C, S = Direction.TO_SERVER, Direction.TO_CLIENT


def _recording(protocol: MailProtocol, *chunks: tuple[Direction, bytes]) -> Recording:
    return Recording(
        number=1,
        protocol=protocol,
        strip=False,
        chunks=tuple(Chunk(d, i / 1000, data) for i, (d, data) in enumerate(chunks)),
        notes=(),
        client_octets=sum(len(b) for d, b in chunks if d is C),
        server_octets=sum(len(b) for d, b in chunks if d is S),
        client_unrecorded=0,
        server_unrecorded=0,
        ended="closed",
        duration=0.05,
    )


def _b64(text: str) -> bytes:
    return base64.b64encode(text.encode())


def _found(protocol: MailProtocol, *client_lines: bytes) -> list[tuple[str, str | None, str]]:
    chunks = [(S, b"+OK ready\r\n")] + [(C, line) for line in client_lines]
    seen = eavesdrop(_recording(protocol, *chunks))
    return [(c.mechanism, c.user, c.password) for c in seen.credentials]


def test_pop3_user_and_pass_rfc1939_s7() -> None:
    found = _found(MailProtocol.POP3, b"USER hanako\r\n", b"PASS pass word\r\n")
    assert found == [("USER/PASS", "hanako", "pass word")]


def test_pop3_auth_plain_with_the_response_on_its_own_line_rfc5034_s4() -> None:
    found = _found(MailProtocol.POP3, b"AUTH PLAIN\r\n", _b64("\0hanako\0secret") + b"\r\n")
    assert found == [("AUTH PLAIN", "hanako", "secret")]


@pytest.mark.parametrize(
    ("line", "user", "password"),
    [
        (b'a1 LOGIN hanako "s3cret pass"\r\n', "hanako", "s3cret pass"),
        (b'a1 login "ha\\"nako" "back\\\\slash"\r\n', 'ha"nako', "back\\slash"),
        (b"a1 LOGIN hanako {6}\r\n", "hanako", "secret"),  # a literal, RFC 3501 §4.3
    ],
)
def test_imap_login_strings_rfc3501_s6_2_3(line: bytes, user: str, password: str) -> None:
    lines = [line] + ([b"secret\r\n"] if line.endswith(b"}\r\n") else [])
    assert _found(MailProtocol.IMAP, *lines) == [("LOGIN", user, password)]


def test_imap_authenticate_plain_with_an_initial_response_rfc4959() -> None:
    found = _found(MailProtocol.IMAP, b"a2 AUTHENTICATE PLAIN " + _b64("\0hanako\0pw") + b"\r\n")
    assert found == [("AUTHENTICATE PLAIN", "hanako", "pw")]


def test_smtp_auth_login_takes_two_lines_and_plain_one() -> None:
    login = _found(
        MailProtocol.SMTP, b"AUTH LOGIN\r\n", _b64("hanako") + b"\r\n", _b64("pw") + b"\r\n"
    )
    assert login == [("AUTH LOGIN", "hanako", "pw")]
    plain = _found(MailProtocol.SMTP, b"AUTH PLAIN " + _b64("admin\0hanako\0pw") + b"\r\n")
    assert plain == [("AUTH PLAIN", "hanako", "pw")]


def test_a_cancelled_or_undecodable_exchange_gives_nothing_rfc4954_s4() -> None:
    assert _found(MailProtocol.SMTP, b"AUTH PLAIN\r\n", b"*\r\n") == []
    assert _found(MailProtocol.SMTP, b"AUTH PLAIN\r\n", b"not base64!\r\n") == []
    assert _found(MailProtocol.SMTP, b"AUTH PLAIN " + _b64("no nul at all") + b"\r\n") == []


def test_the_line_that_gives_the_password_away_says_so() -> None:
    line = b"AUTH PLAIN " + _b64("\0hanako\0pw") + b"\r\n"
    seen = eavesdrop(_recording(MailProtocol.SMTP, (S, b"220 hi\r\n"), (C, line)))
    shown = [entry for entry in seen.lines if entry.password]
    assert len(shown) == 1
    assert shown[0].decoded == "[NUL]hanako[NUL]pw" and shown[0].password == "pw"
    assert seen.channel is Channel.PLAINTEXT and seen.captured
    assert any(s.outcome is Outcome.FAIL and s.section == "RFC 4616 §2" for s in seen.trace)


def _tls_record(kind: int, body: bytes) -> bytes:
    return bytes([kind, 3, 3]) + len(body).to_bytes(2, "big") + body


def test_the_view_switches_to_records_where_tls_starts() -> None:
    hello = _tls_record(22, b"\x01\x00\x00\x00")  # a (cut) ClientHello header
    seen = eavesdrop(
        _recording(
            MailProtocol.SMTP,
            (S, b"220 hi\r\n"),
            (C, b"EHLO me\r\n"),
            (S, b"250-hi\r\n250 STARTTLS\r\n"),
            (C, b"STARTTLS\r\n"),
            (S, b"220 go ahead\r\n"),
            (C, hello + _tls_record(23, b"x" * 40)),
            (S, _tls_record(22, b"\x02\x00\x00\x00")),
        )
    )
    assert seen.channel is Channel.STARTTLS
    assert [line.text for line in seen.lines] == [
        "220 hi",
        "EHLO me",
        "250-hi",
        "250 STARTTLS",
        "STARTTLS",
        "220 go ahead",
    ]
    assert [(r.direction, r.length) for r in seen.records] == [(C, 4), (C, 40), (S, 4)]
    assert seen.totals(C).application == (40,)
    assert any("could not be read" in s.text for s in seen.trace)  # the cut ClientHello


def test_bytes_after_the_records_that_are_not_tls_are_reported() -> None:
    seen = eavesdrop(
        _recording(
            MailProtocol.IMAP, (C, _tls_record(22, b"") + _tls_record(23, b"ab") + b"\x99junk")
        )
    )
    assert [r.length for r in seen.records] == [0, 2]
    assert any("cannot be read as TLS" in s.text for s in seen.trace)


def test_plaintext_lines_are_read_up_to_the_limit() -> None:
    seen = eavesdrop(_recording(MailProtocol.POP3, (S, b"+OK\r\n" * (MAX_SEEN_LINES + 5))))
    assert len(seen.lines) == MAX_SEEN_LINES
    assert any("the rest was not read" in s.text for s in seen.trace)
