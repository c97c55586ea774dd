"""Session transcripts and Maildir changes as HTML: the wire lab's conversation view.

A transcript is drawn as a conversation: the mail client's lines on the left, the server's on the
right, each with its speaker's name in words (not only a colour) and the ``C:``/``S:`` marks RFC
examples use, so a screen reader and a black-and-white print tell them apart. Notes about the
connection (opened, dropped) sit in the middle in italics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mailsec.i18n import ngettext, texts
from mailsec.render.html import FONT, MONO, Fragment, escape, table
from mailsec.retrieval.model import shown
from mailsec.retrieval.servers import Change, FolderView, MessageChange
from mailsec.retrieval.transcript import Speaker, Transcript

__all__ = ["changes_table", "conversation", "conversations", "maildir_table"]

TEXT = texts(
    {
        "client": "C: {client}",
        "server": "S: server",
        "still_open": "still open",
        "ended": {
            "dropped": "dropped",
            "closed by server": "closed by server",
            "closed after a failed TLS handshake": "closed after a failed TLS handshake",
        },
        "label": "{protocol} session {number}: conversation between the mail client and the "
        "server, {count} entries, {ended}",
        "heading": "{protocol} session {number} — {ended}",
        "masked": "The password is hidden here; on a real connection without TLS it travels in "
        "clear text.",
        "none": "No client connected for this step.",
        "no_flags": "(none)",
        "maildir": "On the server (the Maildir)",
        "empty": "(empty)",
        "no_subject": "(no subject)",
        "maildir_headers": ("Folder", "UID", "Subject", "Flags", "Bytes"),
        "changes": {
            "added": "＋ arrived",
            "removed": "✗ deleted from the server",
            "flags": "~ flags changed",
        },
        "nothing": "<strong>Nothing changed on the server</strong> during this step.",
        "changes_headers": ("Change", "Folder", "UID", "Subject", "Flags"),
        "changes_caption": "What changed on the server",
        # The notes the servers record in a transcript, in English (they are made on the
        # servers' thread): shown in the reader's language.
        "opened": "{protocol} connection opened from {peer}",
        "connection_dropped": "connection dropped",
        "connection_closed": "connection closed by server",
        "connection_tls": "connection closed after a failed TLS handshake",
        "session_ended": "session ended by {command}",
        "overlong": "an overlong line (over {limit} octets) was discarded",
        "tls_started": "TLS started: {version}, {cipher}",
        "tls_discarded": "{octets} octets the client sent in plaintext after asking for TLS were "
        "discarded, not run (RFC 3501 §6.2.1)",
        "tls_early": "the client sent {octets} octets before the TLS handshake could start: "
        "connection closed",
        "tls_lost": "TLS handshake failed (the connection was lost): connection closed",
        "tls_failed": "TLS handshake failed ({reason}): connection closed",
        "tls_timeout": "TLS handshake not finished within {seconds} s: connection closed",
    }
)
"""The conversation view's words (see :mod:`mailsec.i18n`). What was on the wire stays as it
was sent; the servers' notes (connection opened, dropped ...) are recorded in English and
shown through :func:`note_text`."""

_NOTES = (
    (re.compile(r"(?P<protocol>\S+) connection opened from (?P<peer>\S+)"), "opened"),
    (re.compile(r"connection dropped"), "connection_dropped"),
    (re.compile(r"connection closed by server"), "connection_closed"),
    (re.compile(r"connection closed after a failed TLS handshake"), "connection_tls"),
    (re.compile(r"session ended by (?P<command>QUIT|LOGOUT)"), "session_ended"),
    (re.compile(r"an overlong line \(over (?P<limit>\d+) octets\) was discarded"), "overlong"),
    (re.compile(r"TLS started: (?P<version>[^,]+), (?P<cipher>\S+)"), "tls_started"),
    (
        re.compile(
            r"(?P<octets>\d+) octets the client sent in plaintext after asking for TLS were "
            r"discarded, not run \(RFC 3501 §6\.2\.1\)"
        ),
        "tls_discarded",
    ),
    (
        re.compile(
            r"the client sent (?P<octets>\d+) octets before the TLS handshake could start: "
            r"connection closed"
        ),
        "tls_early",
    ),
    (
        re.compile(r"TLS handshake failed \(the connection was lost\): connection closed"),
        "tls_lost",
    ),
    (re.compile(r"TLS handshake failed \((?P<reason>.+)\): connection closed"), "tls_failed"),
    (
        re.compile(r"TLS handshake not finished within (?P<seconds>\S+) s: connection closed"),
        "tls_timeout",
    ),
)


def note_text(text: str) -> str:
    """A note of a transcript in the current language: the servers' own notes (recorded in
    English, :data:`_NOTES`) are translated; any other note is shown as it was recorded."""
    for pattern, key in _NOTES:
        found = pattern.fullmatch(text)
        if found:
            return TEXT[key].format(**found.groupdict())
    return text


def _ended(how: str | None) -> str:
    if how is None:
        return TEXT["still_open"]
    return TEXT["ended"].get(how, how)


_CLIENT = ("#eef2f7", "#1f2d3d")
_SERVER = ("#e3f4e8", "#14532d")


def _bubble(speaker: Speaker, text: str, client_name: str) -> str:
    if speaker is Speaker.NOTE:
        return (
            f'<div style="text-align:center;color:#444;font-style:italic;margin:3px 0">'
            f"— {escape(note_text(text))} —</div>"
        )
    client = speaker is Speaker.CLIENT
    bg, fg = _CLIENT if client else _SERVER
    who = TEXT["client"].format(client=client_name) if client else TEXT["server"]
    # Client lines on the left, server lines indented to the right: a conversation.
    side = "margin:2px 22% 2px 0" if client else "margin:2px 0 2px 22%"
    return (
        f'<div style="{side};display:flex;gap:6px;align-items:flex-start">'
        f'<span style="flex:0 0 auto;width:82px;font-size:12px;color:#333;font-weight:600;'
        f'padding-top:2px">{escape(who)}</span>'
        f'<pre style="{MONO}flex:1 1 auto;background:{bg};color:{fg};border:1px solid {fg}55;'
        f'border-radius:6px;padding:2px 8px;margin:0;white-space:pre-wrap;word-break:break-all">'
        f"{escape(text)}</pre></div>"
    )


def conversation(transcript: Transcript, *, client_name: str | None = None) -> Fragment:
    """One session as a conversation between the client and the server."""
    name = client_name or ("poplib" if transcript.protocol.name == "POP3" else "imaplib")
    ended = _ended(transcript.ended)
    label = TEXT["label"].format(
        protocol=transcript.protocol.value,
        number=transcript.number,
        count=len(transcript.entries),
        ended=ended,
    )
    body = "".join(_bubble(u.speaker, u.text, name) for u in transcript.entries)
    if transcript.left_out:
        more = ngettext(
            "{count} more entry not recorded",
            "{count} more entries not recorded",
            transcript.left_out,
        ).format(count=transcript.left_out)
        body += _bubble(Speaker.NOTE, more, name)
    masked = any(u.masked for u in transcript.entries)
    note = (
        f'<div style="font-size:12px;color:#444">{escape(TEXT["masked"])}</div>' if masked else ""
    )
    heading = TEXT["heading"].format(
        protocol=transcript.protocol.value, number=transcript.number, ended=ended
    )
    return Fragment(
        f'<section role="log" aria-label="{escape(label)}" style="{FONT}border:1px solid #c8d1dc;'
        f'border-radius:6px;padding:6px 8px;margin:6px 0;max-width:760px">'
        f'<div style="font-weight:600">{escape(heading)}</div>{body}{note}</section>'
    )


def conversations(transcripts: Iterable[Transcript]) -> Fragment:
    """Several sessions, one after another (two devices show as two conversations)."""
    parts = [conversation(t) for t in transcripts]
    if not parts:
        return Fragment(f'<p style="{FONT}">{escape(TEXT["none"])}</p>')
    return Fragment("".join(parts))


def _flags(flags: Iterable[str]) -> str:
    return " ".join(sorted(flags)) or TEXT["no_flags"]


def maildir_table(folders: Iterable[FolderView], *, caption: str | None = None) -> Fragment:
    """Every folder and message on the server now (the caption: "On the server (the
    Maildir)" unless given)."""
    rows: list[tuple[object, ...]] = []
    for folder in folders:
        if not folder.messages:
            rows.append((folder.name, "—", TEXT["empty"], "", ""))
        for msg in folder.messages:
            rows.append(
                (
                    folder.name,
                    msg.uid,
                    shown(msg.subject) if msg.subject else TEXT["no_subject"],
                    _flags(msg.flags),
                    msg.size,
                )
            )
    return Fragment(
        table(
            TEXT["maildir_headers"], rows, caption=TEXT["maildir"] if caption is None else caption
        )
    )


_CHANGE_WORDS = {Change.ADDED: "added", Change.REMOVED: "removed", Change.FLAGS: "flags"}


def changes_table(changes: Iterable[MessageChange]) -> Fragment:
    """What changed on the server during the step, in words (not only colour)."""
    rows = []
    for change in changes:
        detail = (
            f"{_flags(change.before)} → {_flags(change.after)}"
            if change.change is Change.FLAGS
            else _flags(change.after if change.change is Change.ADDED else change.before)
        )
        rows.append(
            (
                TEXT["changes"][_CHANGE_WORDS[change.change]],
                change.folder,
                change.uid,
                shown(change.subject) if change.subject else change.subject,
                detail,
            )
        )
    if not rows:
        return Fragment(f'<p style="{FONT}">{TEXT["nothing"]}</p>')
    return Fragment(
        table(
            TEXT["changes_headers"],
            rows,
            caption=TEXT["changes_caption"],
        )
    )
