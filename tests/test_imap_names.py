"""IMAP mailbox names cannot reach outside the Maildir (issue: SELECT "./victim" read a Maildir
beside the served one, DELETE "/" removed the whole served Maildir)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.errors import InputError
from mailsec.retrieval.imap.names import ListPattern
from mailsec.retrieval.maildir import MailStore, UnsafeFolderName, folder_name_problem
from mailsec.retrieval.servers import MailServers

MESSAGE = b"From: ann@example.org\r\nSubject: hello\r\n\r\nbody\r\n"
HOSTILE = ["./victim", "../victim", "/", "", "~root", "a..b", ".hidden", "a/b", "x.", "a\x01b"]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[MailServers, Path, Path]]:
    """A served Maildir at home/Maildir, and a victim Maildir beside it with one new message."""
    victim = MailStore(tmp_path / "home" / "victim")
    victim.inbox.add(MESSAGE)
    for name in ("victim2", "Maildir.victim"):
        MailStore(tmp_path / "home" / name).inbox.add(MESSAGE)
    servers = MailServers(maildir=tmp_path / "home" / "Maildir", user="alice", password="secret")
    with servers:
        servers.deliver(MESSAGE)
        yield servers, tmp_path / "home", tmp_path / "home" / "Maildir"


def _talk(port: int, lines: list[bytes]) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        stream = sock.makefile("rwb")
        stream.readline()
        out = b""
        for line in lines:
            stream.write(line + b"\r\n")
            stream.flush()
            tag = line.split(b" ", 1)[0]
            while True:
                reply = stream.readline()
                out += reply
                if reply.startswith(tag + b" ") or not reply:
                    break
        return out


def test_no_command_reaches_outside_the_maildir(world: tuple[MailServers, Path, Path]) -> None:
    servers, home, served = world
    before = {name: _snapshot(home / name) for name in ("victim", "victim2", "Maildir.victim")}
    script = [b"a LOGIN alice secret"]
    for i, name in enumerate(HOSTILE):
        quoted = b'"' + name.encode() + b'"'
        script += [
            b"s%d SELECT %s" % (i, quoted),
            b"e%d EXAMINE %s" % (i, quoted),
            b"t%d STATUS %s (MESSAGES)" % (i, quoted),
            b"p%d APPEND %s {5}" % (i, quoted),
            b"q%d GETQUOTAROOT %s" % (i, quoted),
            b"n%d RENAME %s renamed" % (i, quoted),
            b"o%d RENAME INBOX.x %s" % (i, quoted),
            b"u%d UNSUBSCRIBE %s" % (i, quoted),
            b"c%d CREATE %s" % (i, quoted),
            b"z%d SELECT INBOX" % i,
            b"m%d COPY 1 %s" % (i, quoted),
            b"v%d MOVE 1 %s" % (i, quoted),
            b"w%d UID COPY 1 %s" % (i, quoted),
            b"d%d DELETE %s" % (i, quoted),
            b'l%d LIST %s "*"' % (i, quoted),
        ]
    replies = _talk(servers.imap_port, script).decode("latin-1")
    assert "Select completed" in replies  # INBOX itself still opens
    for i, name in enumerate(HOSTILE):
        # CREATE "x." makes "x": a trailing separator only says names go below (RFC 3501 §6.3.3).
        for verb in "setqnumvwd" if name == "x." else "setqnucmvwd":
            line = next(r for r in replies.splitlines() if r.startswith(f"{verb}{i} "))
            assert f"{verb}{i} NO " in line, line
    after = {name: _snapshot(home / name) for name in ("victim", "victim2", "Maildir.victim")}
    assert after == before  # not read into, not written to, not moved from new/ to cur/
    assert (served / "cur").is_dir() and len(servers.store.inbox.messages) == 1


@pytest.mark.parametrize("name", HOSTILE)
def test_the_store_refuses_a_path_outside_its_root(tmp_path: Path, name: str) -> None:
    """Defence in depth: whatever the protocol layer lets through, the store opens nothing."""
    store = MailStore(tmp_path / "Maildir")
    assert folder_name_problem(name) is not None
    with pytest.raises(InputError):
        store.folder(name)


def test_a_folder_that_is_a_link_out_of_the_maildir_is_refused(tmp_path: Path) -> None:
    elsewhere = MailStore(tmp_path / "elsewhere")
    elsewhere.inbox.add(MESSAGE)
    store = MailStore(tmp_path / "Maildir")
    os.symlink(tmp_path / "elsewhere", tmp_path / "Maildir" / ".evil")
    with pytest.raises(UnsafeFolderName, match="outside the Maildir"):
        store.folder("evil")


# -- LIST patterns match in linear time (issue: "%*%*%*X" took seconds and stalled the loop) ----


def _regex_reference(full: str, name: str) -> bool:
    """RFC 3501 §6.3.8 as the old regular expression said it: right, but it backtracks."""
    import re

    flags = re.IGNORECASE if full.upper().startswith("INBOX") else 0
    regex = "".join(".*" if c == "*" else "[^.]*" if c == "%" else re.escape(c) for c in full)
    return re.fullmatch(regex, name, flags) is not None


@settings(max_examples=400, deadline=None)
@given(st.text("ab.*%", max_size=9), st.text("ab.", max_size=9))
def test_list_patterns_match_as_the_rfc_says(pattern: str, name: str) -> None:
    assert ListPattern(pattern).match(name) == _regex_reference(pattern, name)


@pytest.mark.parametrize(("pattern", "name"), [("INBOX*", "inbox.x"), ("inbox", "INBOX")])
def test_inbox_patterns_ignore_case(pattern: str, name: str) -> None:
    assert ListPattern(pattern).match(name)


def test_a_backtracking_pattern_answers_at_once(tmp_path: Path) -> None:
    with MailServers(maildir=tmp_path / "Maildir", user="alice", password="secret") as servers:
        long_name = "a" * 100
        servers.store.create_folder(long_name)
        started = time.perf_counter()
        replies = _talk(
            servers.imap_port,
            [b"a LOGIN alice secret", b'b LIST "" "%*%*%*%*%*%*%*%*X"', b'c LIST "" "%*%*a"'],
        )
        assert time.perf_counter() - started < 5  # a last guard: it takes milliseconds
    assert b"b OK List completed" in replies
    assert long_name.encode() in replies.split(b"b OK")[1]  # the second pattern matches it
