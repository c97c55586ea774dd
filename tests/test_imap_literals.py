"""Literals before and after login (issue: APPEND literals of 32 MiB were read before login, and
APPEND's literals escaped the per-command total)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailsec.retrieval.imap import ImapSession
from mailsec.retrieval.imap.session import MAX_LITERAL, MAX_LITERALS_BEFORE_LOGIN
from mailsec.retrieval.maildir import MailStore


@pytest.fixture
def store(tmp_path: Path) -> MailStore:
    return MailStore(tmp_path / "Maildir")


def session(store: MailStore) -> ImapSession:
    return ImapSession(store, user="alice", password="secret")


def _files(store: MailStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file())


def test_append_before_login_is_refused_before_its_literal(store: MailStore) -> None:
    s = session(store)
    result = s.feed(b"a APPEND INBOX {100}")
    assert result.literal is None and not result.continuation  # no "+": the client sends nothing
    assert result.responses == (b"a BAD Error in IMAP command received by server.\r\n",)
    assert not _files(store)


def test_a_literal_plus_append_before_login_is_read_and_dropped(store: MailStore) -> None:
    s = session(store)
    result = s.feed(b"a APPEND INBOX {100+}")
    assert result.literal == 100 and not result.continuation and not result.responses
    assert s.feed_literal(b"x" * 100).responses == ()
    assert s.feed(b"").responses == (b"a BAD Error in IMAP command received by server.\r\n",)
    assert s.feed(b"b NOOP").responses[-1] == b"b OK NOOP completed.\r\n"
    assert not _files(store)


@pytest.mark.parametrize("sizes", [[MAX_LITERALS_BEFORE_LOGIN + 1], [5000, 5000], [32 << 20] * 4])
def test_literals_before_login_are_small_in_sum(store: MailStore, sizes: list[int]) -> None:
    """As Dovecot's login process: one command's literals add up to 8 KiB at most, then BYE."""
    s = session(store)
    result = s.feed(b"a LOGIN {%d}" % sizes[0])
    for size in sizes[1:]:
        if result.close:
            break
        assert result.continuation
        s.feed_literal(b"u" * result.literal)
        result = s.feed(b" {%d}" % size)
    assert result.close and result.literal is None  # refused before reading the large one
    assert result.responses == (b"* BYE Literal size too large\r\n",)


def test_login_with_small_literals_still_works(store: MailStore) -> None:
    s = session(store)
    assert s.feed(b"a LOGIN {5}").continuation
    s.feed_literal(b"alice")
    assert s.feed(b" {6}").continuation
    s.feed_literal(b"secret")
    assert s.feed(b"").responses[-1].startswith(b"a OK")


def test_appends_literals_count_in_one_total_per_command(store: MailStore) -> None:
    s = session(store)
    assert s.feed(b"a LOGIN alice secret").responses[-1].startswith(b"a OK")
    first = s.feed(b"b APPEND INBOX {%d+}" % (MAX_LITERAL - 10))
    assert first.literal == MAX_LITERAL - 10
    s.feed_literal(b"")  # the test does not need the octets themselves
    second = s.feed(b" {20+}")  # a second literal in the same command passes the total
    assert second.close and b"[TOOBIG]" in second.responses[0]
