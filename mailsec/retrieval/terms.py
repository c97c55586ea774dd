"""The key terms of chapter 01 that the course glossary does not hold, with their Japanese terms.

Pass them to :func:`mailsec.render.html.glossary_table` beside the course's own terms::

    glossary_table("mail server", "download", "mailbox quota", *CHAPTER_TERMS)
"""

from __future__ import annotations

from mailsec.glossary import Term

__all__ = ["CHAPTER_TERMS"]

CHAPTER_TERMS: tuple[Term, ...] = (
    Term(
        "POP3 (Post Office Protocol 3)",
        "POP3（ポップスリー）",
        "Downloads mail from the server to one device, which keeps and manages it (RFC 1939).",
    ),
    Term(
        "IMAP4 (Internet Message Access Protocol 4)",
        "IMAP4（アイマップフォー）",
        "Keeps and manages mail on the server; every device shows the same mailbox (RFC 3501).",
    ),
    Term(
        "leave a copy on the server",
        "サーバーにメッセージのコピーを置く",
        "A POP3 client setting: download, but do not delete the server's copy.",
    ),
    Term(
        "read / unread (flags)",
        "既読／未読（フラグ）",
        "Marks such as \\Seen and \\Flagged that IMAP4 keeps on the server for every device.",
    ),
    Term(
        "expunge",
        "完全削除（エクスパンジ）",
        "Removing for good the messages marked \\Deleted; only then is their space freed.",
    ),
    Term(
        "synchronisation",
        "同期",
        "Making a device's copy of the mailbox match the server's, both ways.",
    ),
    Term(
        "bounce (non-delivery report)",
        "エラーメール（不達通知）",
        "The message sent back to the sender when mail cannot be delivered.",
    ),
)
