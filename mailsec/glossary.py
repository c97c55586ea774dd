"""The course glossary: English terms with their Japanese equivalents and a one-line meaning.

Chapters show the terms they use with :func:`mailsec.render.html.glossary_table` (via
:func:`terms`), so every notebook spells a term the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailsec.errors import InputError

__all__ = ["GLOSSARY", "Term", "terms"]


@dataclass(frozen=True)
class Term:
    """A glossary entry."""

    english: str
    japanese: str
    meaning: str


GLOSSARY: dict[str, Term] = {
    t.english: t
    for t in (
        Term("mail server", "メールサーバ", "A computer that accepts, stores or forwards mail."),
        Term(
            "mailbox quota",
            "メールボックス容量",
            "The most a user's mailbox on the server may hold.",
        ),
        Term("download", "ダウンロード", "Copying mail from the server to the device."),
        Term(
            "spoofing (forged sender)",
            "なりすまし",
            "Sending mail that claims to come from someone else.",
        ),
        Term(
            "sender domain authentication",
            "送信ドメイン認証",
            "Checking that mail really comes from the domain it names (SPF, DKIM, DMARC).",
        ),
        Term(
            "outbound port 25 blocking",
            "OP25B",
            "An ISP drops its customers' direct port-25 connections to outside mail servers.",
        ),
        Term(
            "ISP",
            "インターネットサービスプロバイダ",
            "The company that connects a home or office to the Internet.",
        ),
        Term(
            "packet blocking",
            "パケット遮断",
            "A network device dropping packets so they never arrive.",
        ),
        Term(
            "public-key cryptography",
            "公開鍵暗号方式",
            "Encryption with a key pair: what the public key locks, only the private key opens.",
        ),
        Term(
            "symmetric-key cryptography",
            "共通鍵暗号方式",
            "Encryption where the same secret key locks and unlocks.",
        ),
        Term(
            "hybrid encryption",
            "ハイブリッド暗号方式",
            "The message is encrypted with a symmetric key; that key with the recipient's public key.",
        ),
        Term(
            "encryption",
            "暗号化",
            "Turning a message into data only the intended reader can turn back.",
        ),
        Term(
            "digital signature",
            "電子署名",
            "A value only the private-key holder can make; anyone can check it.",
        ),
        Term(
            "digital certificate",
            "電子証明書",
            "A CA's signed statement that a public key belongs to a name or address.",
        ),
        Term("authentication", "認証", "Checking who someone (or something) really is."),
        Term(
            "tamper detection", "改竄検知", "Noticing that a message was changed after it was sent."
        ),
        Term(
            "mail client",
            "メーラー（メールクライアント）",
            "The program a person reads and writes mail with.",
        ),
    )
}


def terms(*english: str) -> tuple[Term, ...]:
    """The glossary entries for the given English terms, in that order."""
    missing = [e for e in english if e not in GLOSSARY]
    if missing:
        raise InputError(f"Not in the glossary: {', '.join(missing)}.")
    return tuple(GLOSSARY[e] for e in english)
