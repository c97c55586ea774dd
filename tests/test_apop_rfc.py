"""APOP without sockets (RFC 1939 §7): the digest, the banner, the offline dictionary search and
the POP3 session's APOP command, with the replies Dovecot gives."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailsec.errors import InputError
from mailsec.limits import AUTH_PENALTY, AUTH_PENALTY_MAX, MAX_AUTH_FAILURES
from mailsec.retrieval.maildir import MailStore
from mailsec.retrieval.pop3 import APOP_TEXTS, TLS_TEXTS, Pop3Reply, Pop3Session, Pop3State
from mailsec.retrieval.sasl import ConnectionSecurity
from mailsec.transport.apop import (
    MAX_BANNER,
    MAX_WORD_LENGTH,
    MAX_WORDS,
    ApopCapture,
    SearchOutcome,
    apop_digest,
    common_passwords,
    dictionary_search,
    make_banner,
    new_banner,
    online_guessing_seconds,
    parse_apop,
    parse_banner,
)

# RFC 1939 §7's example: the banner, the shared secret and the digest.
RFC_BANNER = "<1896.697170952@dbc.mtview.ca.us>"
RFC_SECRET = "tanstaaf"
RFC_DIGEST = "c4c9334bac560ecc979e58001b3e22fb"


def test_7_the_rfc_example_digest() -> None:
    """RFC 1939 §7: MD5 of '<1896.697170952@dbc.mtview.ca.us>tanstaaf'."""
    assert apop_digest(RFC_BANNER, RFC_SECRET) == RFC_DIGEST


def test_7_the_rfc_example_greeting_and_command_are_read() -> None:
    greeting = f"+OK POP3 server ready {RFC_BANNER}"
    assert parse_banner(greeting) == RFC_BANNER
    assert parse_banner(greeting.encode()) == RFC_BANNER
    assert parse_apop(f"APOP mrose {RFC_DIGEST}") == ("mrose", RFC_DIGEST)
    assert parse_apop(f"apop mrose {RFC_DIGEST.upper()}") == ("mrose", RFC_DIGEST)
    capture = ApopCapture.from_lines(greeting, ["CAPA", f"APOP mrose {RFC_DIGEST}", "STAT"])
    assert capture == ApopCapture(RFC_BANNER, "mrose", RFC_DIGEST)


@pytest.mark.parametrize(
    "greeting",
    [
        "+OK mailsec POP3 server ready.",  # no APOP offered
        "+OK ready <no-at-sign>",
        "+OK ready <a b@host>",  # a space: not a msg-id
        "+OK ready <1.2@hôst>",  # not ASCII (refused by clients since CVE-2007-1558)
        "+OK ready <1.2@host",
        f"+OK ready <{'1' * MAX_BANNER}@host>",
    ],
)
def test_7_greetings_without_a_usable_banner(greeting: str) -> None:
    assert parse_banner(greeting) is None


@pytest.mark.parametrize(
    "line", ["APOP", "APOP mrose", "APOP mrose 123", f"APOP mrose {'z' * 32}", f"USER {RFC_DIGEST}"]
)
def test_lines_that_are_not_apop_logins(line: str) -> None:
    assert parse_apop(line) is None


def test_a_capture_needs_a_banner_and_an_apop_line() -> None:
    with pytest.raises(InputError, match="carries no timestamp banner"):
        ApopCapture.from_lines("+OK ready.", [f"APOP mrose {RFC_DIGEST}"])
    with pytest.raises(InputError, match="The client sent no APOP line"):
        ApopCapture.from_lines(f"+OK {RFC_BANNER}", ["USER mrose", "PASS ••••••"])


def test_banners_have_dovecots_form_and_differ_every_time() -> None:
    """RFC 1939 §7: the timestamp MUST be different each time; Dovecot's form
    <pid.serial.clock.random@host>, with the randomness and clock passed in."""
    counter = itertools.count()
    banners = [
        new_banner(random_bytes=lambda n: bytes([next(counter)]) * n, clock=lambda: 1.0e9)
        for _ in range(3)
    ]
    assert len(set(banners)) == 3
    for banner in banners:
        assert parse_banner(f"+OK ready. {banner}") == banner
    assert make_banner(pid=1896, serial=3, clock=697170952, nonce=b"\0" * 16, hostname="vm") == (
        "<768.3.298dfc08.AAAAAAAAAAAAAAAAAAAAAA==@vm>"
    )
    # With the real randomness even the same serial and clock would not repeat a banner.
    assert new_banner() != new_banner()


def test_a_banner_refuses_a_bad_host_name_or_a_short_nonce() -> None:
    with pytest.raises(InputError, match="cannot go into a banner"):
        make_banner(pid=1, serial=1, clock=0, nonce=b"x" * 16, hostname="bad>host")
    with pytest.raises(InputError, match="at least 8 octets, not 2"):
        make_banner(pid=1, serial=1, clock=0, nonce=b"xy", hostname="host")


@given(st.text(max_size=40))
def test_any_secret_gives_32_lower_case_hex_digits(secret: str) -> None:
    digest = apop_digest(RFC_BANNER, secret)
    assert len(digest) == 32 and digest == digest.lower() and int(digest, 16) >= 0


# -- the offline dictionary search -------------------------------------------------------------


def test_the_search_finds_a_listed_password_and_counts_its_guesses() -> None:
    clock = iter([10.0, 10.25])
    result = dictionary_search(
        RFC_BANNER,
        RFC_DIGEST,
        ["123456", "password", RFC_SECRET, "qwerty"],
        clock=lambda: next(clock),
    )
    assert result.outcome is SearchOutcome.FOUND and result.found
    assert (result.password, result.guesses, result.words) == (RFC_SECRET, 3, 4)
    assert result.seconds == 0.25 and result.rate == 12.0
    assert result.trace[-1].text == "Guess 3 gives the captured digest: it is the password."


def test_the_search_tries_every_word_when_the_password_is_not_listed() -> None:
    result = dictionary_search(RFC_BANNER, RFC_DIGEST)  # the course's list
    assert result.outcome is SearchOutcome.NOT_FOUND and result.password is None
    assert result.guesses == result.words == len(common_passwords())


def test_the_built_in_list_finds_a_common_password() -> None:
    words = common_passwords()
    assert 250 <= len(words) <= 1000 and len(set(words)) == len(words)
    assert all(word and not word.startswith("#") for word in words)
    digest = apop_digest(RFC_BANNER, "letmein")
    result = dictionary_search(RFC_BANNER, digest.upper())  # either case is read
    assert result.password == "letmein" and result.guesses == words.index("letmein") + 1


def test_the_search_is_bounded() -> None:
    """MAX_WORDS and MAX_WORD_LENGTH: refused before the first guess, never cut short silently.
    An endless list is read only as far as the limit."""
    with pytest.raises(InputError, match=f"more than {MAX_WORDS:,} words"):
        dictionary_search(RFC_BANNER, RFC_DIGEST, itertools.repeat("guess"))
    long_word = "x" * (MAX_WORD_LENGTH + 1)
    with pytest.raises(InputError, match=f"words of at most {MAX_WORD_LENGTH} are tried"):
        dictionary_search(RFC_BANNER, RFC_DIGEST, ["a", long_word])
    with pytest.raises(InputError, match="is not text"):
        dictionary_search(RFC_BANNER, RFC_DIGEST, [b"bytes"])  # type: ignore[list-item]
    result = dictionary_search(RFC_BANNER, RFC_DIGEST, ["x"] * MAX_WORDS)
    assert result.guesses == MAX_WORDS


@pytest.mark.parametrize(
    ("banner", "digest", "message"),
    [
        ("1896.697170952@dbc", RFC_DIGEST, "is not a timestamp banner"),
        (RFC_BANNER, "c4c9334b", "is not an APOP digest"),
        (RFC_BANNER, "g" * 32, "is not an APOP digest"),
    ],
)
def test_the_search_refuses_what_was_not_captured(banner: str, digest: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        dictionary_search(banner, digest, ["tanstaaf"])


def test_online_the_same_guesses_wait_for_the_penalty() -> None:
    """The server's penalty (2 s doubling, capped at 15 s) that offline guessing escapes."""
    assert online_guessing_seconds(0) == 0
    assert online_guessing_seconds(1) == AUTH_PENALTY
    assert online_guessing_seconds(3) == AUTH_PENALTY * 7
    assert online_guessing_seconds(100) == 2 + 4 + 8 + 97 * AUTH_PENALTY_MAX
    assert online_guessing_seconds(100, penalty=0) == 0


# -- the POP3 session ---------------------------------------------------------------------------


def session(tmp_path: Path, **options: object) -> Pop3Session:
    return Pop3Session(
        MailStore(tmp_path / "Maildir"),
        user="mrose",
        password=RFC_SECRET,
        banner=RFC_BANNER,
        **options,  # type: ignore[arg-type]
    )


def test_7_the_rfc_example_session(tmp_path: Path) -> None:
    """RFC 1939 §7's example: greeting with the banner, APOP, the TRANSACTION state."""
    s = session(tmp_path)
    assert s.greeting().to_wire() == f"+OK mailsec POP3 server ready. {RFC_BANNER}\r\n".encode()
    assert s.handle(f"APOP mrose {RFC_DIGEST}".encode()) == Pop3Reply(True, "Logged in.")
    assert s.state is Pop3State.TRANSACTION
    assert s.handle(f"APOP mrose {RFC_DIGEST}".encode()).text == "Unknown command: APOP"


def test_a_wrong_digest_or_user_is_a_failed_login_counted_like_a_password(tmp_path: Path) -> None:
    s = session(tmp_path)
    wrong = apop_digest(RFC_BANNER, "guess")
    assert s.handle(f"APOP mrose {wrong}".encode()).text == "[AUTH] Authentication failed."
    assert s.handle(f"APOP alice {RFC_DIGEST}".encode()).text == "[AUTH] Authentication failed."
    assert s.auth_failures == 2 and s.state is Pop3State.AUTHORIZATION
    last = s.handle(f"APOP mrose {wrong}".encode())
    assert s.auth_failures == MAX_AUTH_FAILURES
    assert last.close and last.text.endswith("Too many failures: disconnecting.")


def test_upper_case_hex_is_accepted_as_dovecot_accepts_it(tmp_path: Path) -> None:
    s = session(tmp_path)
    assert s.handle(f"APOP mrose {RFC_DIGEST.upper()}".encode()).ok


@pytest.mark.parametrize(
    ("line", "text"),
    [
        (b"APOP", APOP_TEXTS["malformed"]),
        (b"APOP mrose", APOP_TEXTS["malformed"]),
        (b"APOP mrose 0123", APOP_TEXTS["malformed"]),
        (b"APOP mrose  " + RFC_DIGEST.encode(), APOP_TEXTS["malformed"]),  # two spaces
        (b"APOP mrose " + b"z" * 32, APOP_TEXTS["not_hex"]),
    ],
)
def test_malformed_apop_lines_get_dovecots_texts_and_count_no_failure(
    tmp_path: Path, line: bytes, text: str
) -> None:
    s = session(tmp_path)
    assert s.handle(line) == Pop3Reply(False, text)
    assert s.auth_failures == 0 and s.bad_commands == 0


def test_without_apop_there_is_no_banner_and_apop_is_refused(tmp_path: Path) -> None:
    s = Pop3Session(MailStore(tmp_path / "M"), user="mrose", password=RFC_SECRET, apop=False)
    assert s.banner is None
    assert s.greeting() == Pop3Reply(True, "mailsec POP3 server ready.")
    assert s.handle(f"APOP mrose {RFC_DIGEST}".encode()) == Pop3Reply(False, "APOP not enabled.")


def test_contradictory_or_malformed_banners_are_refused(tmp_path: Path) -> None:
    store = MailStore(tmp_path / "M")
    with pytest.raises(InputError, match="a banner is only for APOP"):
        Pop3Session(store, user="u", password="p", apop=False, banner=RFC_BANNER)
    with pytest.raises(InputError, match="is not a timestamp"):
        Pop3Session(store, user="u", password="p", banner="1896.697170952@host")


def test_apop_is_refused_before_a_required_tls_and_allowed_after(tmp_path: Path) -> None:
    """Like AUTH (RFC 8314 §3, Dovecot's ssl = required): the form is checked first, then the
    refusal, which is no failed login."""
    s = session(tmp_path, security=ConnectionSecurity(offered=True, required=True))
    assert s.handle(b"APOP mrose 0123").text == APOP_TEXTS["malformed"]
    refused = s.handle(f"APOP mrose {RFC_DIGEST}".encode())
    assert refused == Pop3Reply(False, TLS_TEXTS["auth_refused"])
    assert s.auth_failures == 0
    assert s.handle(b"STLS").starttls
    s.tls_started()
    assert s.handle(f"APOP mrose {RFC_DIGEST}".encode()) == Pop3Reply(True, "Logged in.")


def test_a_user_name_given_before_a_failed_apop_still_serves_pass(tmp_path: Path) -> None:
    """As Dovecot: USER, a wrong APOP, then PASS logs in."""
    s = session(tmp_path)
    assert s.handle(b"USER mrose").ok
    assert not s.handle(f"APOP mrose {'0' * 32}".encode()).ok
    assert s.handle(b"PASS " + RFC_SECRET.encode()).ok
