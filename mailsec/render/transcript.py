"""Session transcripts and Maildir changes as HTML: the wire lab's conversation view.

A transcript is drawn as a conversation: the mail client's lines on the left, the server's on the
right, each with its speaker's name in words (not only a colour) and the ``C:``/``S:`` marks RFC
examples use, so a screen reader and a black-and-white print tell them apart. Notes about the
connection (opened, dropped) sit in the middle in italics.
"""

from __future__ import annotations

from collections.abc import Iterable

from mailsec.render.html import FONT, MONO, Fragment, escape, table
from mailsec.retrieval.servers import Change, FolderView, MessageChange
from mailsec.retrieval.transcript import Speaker, Transcript

__all__ = ["changes_table", "conversation", "conversations", "maildir_table"]

_CLIENT = ("#eef2f7", "#1f2d3d")
_SERVER = ("#e3f4e8", "#14532d")


def _bubble(speaker: Speaker, text: str, client_name: str) -> str:
    if speaker is Speaker.NOTE:
        return (
            f'<div style="text-align:center;color:#444;font-style:italic;margin:3px 0">'
            f"— {escape(text)} —</div>"
        )
    client = speaker is Speaker.CLIENT
    bg, fg = _CLIENT if client else _SERVER
    who = f"C: {client_name}" if client else "S: server"
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
    ended = transcript.ended or "still open"
    label = (
        f"{transcript.protocol.value} session {transcript.number}: conversation between the mail "
        f"client and the server, {len(transcript.entries)} entries, {ended}"
    )
    body = "".join(_bubble(u.speaker, u.text, name) for u in transcript.entries)
    if transcript.left_out:
        body += _bubble(Speaker.NOTE, f"{transcript.left_out} more entries not recorded", name)
    masked = any(u.masked for u in transcript.entries)
    note = (
        '<div style="font-size:12px;color:#444">The password is hidden here; on a real '
        "connection without TLS it travels in clear text.</div>"
        if masked
        else ""
    )
    return Fragment(
        f'<section role="log" aria-label="{escape(label)}" style="{FONT}border:1px solid #c8d1dc;'
        f'border-radius:6px;padding:6px 8px;margin:6px 0;max-width:760px">'
        f'<div style="font-weight:600">{escape(transcript.protocol.value)} session '
        f"{transcript.number} — {escape(ended)}</div>{body}{note}</section>"
    )


def conversations(transcripts: Iterable[Transcript]) -> Fragment:
    """Several sessions, one after another (two devices show as two conversations)."""
    parts = [conversation(t) for t in transcripts]
    if not parts:
        return Fragment(f'<p style="{FONT}">No client connected for this step.</p>')
    return Fragment("".join(parts))


def _flags(flags: Iterable[str]) -> str:
    return " ".join(sorted(flags)) or "(none)"


def maildir_table(
    folders: Iterable[FolderView], *, caption: str = "On the server (the Maildir)"
) -> Fragment:
    """Every folder and message on the server now."""
    rows = []
    for folder in folders:
        if not folder.messages:
            rows.append((folder.name, "—", "(empty)", "", ""))
        for msg in folder.messages:
            rows.append(
                (folder.name, msg.uid, msg.subject or "(no subject)", _flags(msg.flags), msg.size)
            )
    return Fragment(table(("Folder", "UID", "Subject", "Flags", "Bytes"), rows, caption=caption))


_CHANGE_WORDS = {
    Change.ADDED: "＋ arrived",
    Change.REMOVED: "✗ deleted from the server",
    Change.FLAGS: "~ flags changed",
}


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
            (_CHANGE_WORDS[change.change], change.folder, change.uid, change.subject, detail)
        )
    if not rows:
        return Fragment(
            f'<p style="{FONT}"><strong>Nothing changed on the server</strong> during this step.</p>'
        )
    return Fragment(
        table(
            ("Change", "Folder", "UID", "Subject", "Flags"),
            rows,
            caption="What changed on the server",
        )
    )
