"""The mail system's mailboxes: one Maildir per address, under its domain.

example.com's MX delivers into Bob's Maildir (the inbox, or the Maildir++ folder ``Junk``),
and his POP3 and IMAP servers serve the same files; the bank's MTA returns undeliverable mail
into Alice's. The quota is what the MX checks before it accepts (RFC 5321 §4.5.3.1.10).
"""

from __future__ import annotations

import contextlib
import mailbox
import re
from pathlib import Path

__all__ = ["FILLER", "Mailboxes"]

FILLER = "From: news@shop.example\nSubject: Old newsletter\n\n"
"""The header of the old newsletters that fill a mailbox for the full-mailbox scenario."""


_KEY = re.compile(r"(\d+)\.M(\d+)P\d+Q(\d+)\.")


def _delivered(key: str) -> tuple[int, ...]:
    """When a message was delivered, from its Maildir name (``time.MusecPpidQcount.host``, as
    Python's :mod:`mailbox` writes it): seconds, microseconds, and a counter."""
    found = _KEY.match(key)
    return tuple(int(n) for n in found.groups()) if found else (0, 0, 0)


class Mailboxes:
    """The Maildirs under ``root``, with ``quota`` bytes each."""

    def __init__(self, root: Path, quota: int) -> None:
        self.root, self.quota = Path(root), quota

    def path(self, address: str) -> Path:
        """The Maildir of ``address`` (one per address, under its domain)."""
        domain = address.rpartition("@")[2].lower()
        return self.root / domain / address.lower()

    def store(self, rcpt: str, content: bytes, *, folder: str | None = None) -> None:
        """Deliver into ``rcpt``'s Maildir: the inbox, or the Maildir++ ``folder``."""
        path = self.path(rcpt)
        path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(path, create=True)
        if folder is not None:
            box = box.add_folder(folder)
        box.add(mailbox.MaildirMessage(content.replace(b"\r\n", b"\n")))

    def usage(self, rcpt: str) -> int:
        """Bytes in ``rcpt``'s Maildir, every folder counted (what the quota limits)."""
        path = self.path(rcpt)
        return sum(
            f.stat().st_size
            for f in path.rglob("*")
            if f.is_file() and f.parent.name in ("new", "cur")
        )

    def messages(self, rcpt: str, folder: str | None = None) -> list[bytes]:
        """The messages in ``rcpt``'s inbox (or ``folder``), oldest first."""
        path = self.path(rcpt)
        if not path.is_dir():
            return []
        box = mailbox.Maildir(path, create=False)
        if folder is not None:
            if folder not in box.list_folders():
                return []
            box = box.get_folder(folder)
        return [box.get_bytes(k) for k in sorted(box.iterkeys(), key=_delivered)]

    def fill(self, rcpt: str) -> list[str]:
        """Fill ``rcpt``'s inbox to its quota with old newsletters; their keys (to remove)."""
        box = mailbox.Maildir(self.path(rcpt), create=True)
        keys = []
        chunk = b"x" * 76 + b"\n"
        while self.usage(rcpt) < self.quota - 256:
            room = self.quota - 256 - self.usage(rcpt)
            body = chunk * max(1, min(room, 64 * 1024) // len(chunk))
            keys.append(box.add(FILLER.encode() + body))
        return keys

    def remove(self, rcpt: str, keys: list[str]) -> None:
        """Remove what :meth:`fill_mailbox` added (and nothing else)."""
        box = mailbox.Maildir(self.path(rcpt), create=True)
        for key in keys:
            with contextlib.suppress(KeyError):
                box.remove(key)
