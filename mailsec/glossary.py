"""The course glossary: English terms with their Japanese equivalents and a one-line meaning.

The course-wide terms come from the course's source material; each chapter adds its own
(:data:`CHAPTER_TERMS`). Chapters show them with :func:`mailsec.render.html.glossary_table`, so every
notebook spells a term the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailsec.errors import InputError

__all__ = ["CHAPTER_TERMS", "GLOSSARY", "Term", "chapter_terms", "terms"]


@dataclass(frozen=True)
class Term:
    """A glossary entry."""

    english: str
    japanese: str
    meaning: str


_COURSE_TERMS: tuple[Term, ...] = (
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
        "tamper detection", "改ざん検知", "Noticing that a message was changed after it was sent."
    ),
    Term(
        "mail client",
        "メーラー（メールクライアント）",
        "The program a person reads and writes mail with.",
    ),
)


#: Each chapter's own terms, beside the course-wide ones.
CHAPTER_TERMS: dict[str, tuple[Term, ...]] = {
    # Chapter 01: receiving mail: POP3 vs IMAP4
    "01": (
        Term(
            "POP3 (Post Office Protocol 3)",
            "POP3（ポップスリー）",
            "Downloads mail from the server to one device, which keeps and manages it (RFC 1939).",
        ),
        Term(
            "IMAP4 (Internet Message Access Protocol 4)",
            "IMAP4（アイマップフォー）",
            "Keeps and manages mail on the server; every device shows the same mailbox (RFC 3501; RFC 9051).",
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
    ),
    # Chapter 02: OP25B
    "02": (
        Term(
            "dynamic IP address",
            "動的IPアドレス",
            "An address an ISP lends a customer's line for a while, from its pool (its dynamic pool).",
        ),
        Term(
            "submission port (587)",
            "サブミッションポート",
            "The port where mail programs hand in new mail after logging in (SMTP AUTH); RFC 6409.",
        ),
        Term(
            "SMTP authentication (SMTP AUTH)",
            "SMTP認証",
            "Logging in to the sending server with a user name and password before sending.",
        ),
        Term(
            "open relay",
            "オープンリレー（第三者中継）",
            "A mail server that passes on anyone's mail to anywhere; spammers abuse it.",
        ),
        Term(
            "webmail",
            "Webメール",
            "Mail read and sent in a web browser over HTTPS (port 443), e.g. Gmail or Yahoo Mail.",
        ),
        Term(
            "inbound port 25 blocking (IP25B)",
            "IP25B",
            "A mail server refusing port-25 mail from other ISPs' dynamic addresses.",
        ),
    ),
    # Chapter 03: SPF
    "03": (
        Term(
            "SPF (Sender Policy Framework)",
            "SPF（送信ドメイン認証の一方式）",
            "A domain lists in DNS which servers may send its mail; receivers check the client against it (RFC 7208).",
        ),
        Term(
            "SPF record",
            "SPFレコード",
            "The TXT record starting 'v=spf1' that lists a domain's authorised sending servers.",
        ),
        Term(
            "DNS TXT record",
            "TXTレコード",
            "A DNS record that holds free text; SPF publishes its policy in one.",
        ),
        Term(
            "envelope sender (MAIL FROM)",
            "エンベロープFrom（MAIL FROM）",
            "The sender address given in the SMTP conversation; SPF checks its domain. Bounces go here.",
        ),
        Term(
            "header From",
            "ヘッダFrom",
            "The From: line inside the message that a person reads; SPF does not check it.",
        ),
        Term(
            "mechanism",
            "メカニズム",
            "A term of an SPF record that may match the client: ip4, ip6, a, mx, include, exists, ptr, all.",
        ),
        Term(
            "qualifier",
            "修飾子（クオリファイア）",
            "The sign before a mechanism, giving the result on a match: + pass, - fail, ~ softfail, ? neutral.",
        ),
        Term(
            "softfail",
            "ソフトフェイル",
            "'Probably not authorised': receivers accept the mail but treat it as suspicious.",
        ),
        Term(
            "DNS lookup limit",
            "DNS参照回数の上限",
            "At most 10 terms that need DNS per check; the 11th makes the result permerror (RFC 7208 §4.6.4).",
        ),
        Term(
            "mail forwarding",
            "メール転送",
            "A server passing received mail on to another address; it breaks SPF unless the envelope is rewritten (SRS).",
        ),
        Term(
            "DMARC",
            "DMARC",
            "A policy that ties SPF and DKIM results to the From: header domain (alignment) and tells receivers what to do.",
        ),
    ),
    # Chapter 06: PGP
    "06": (
        Term(
            "key fingerprint",
            "フィンガープリント（鍵指紋）",
            "A short hash of a public key; compare it in person to be sure a key is the right one.",
        ),
        Term(
            "key signing (certification)",
            "鍵への署名",
            "Signing someone's public key to say: I checked that this key belongs to this name.",
        ),
        Term(
            "owner trust",
            "所有者信用（GnuPG の表記）",
            "How far you trust a person to check keys before signing them; your private setting.",
        ),
        Term(
            "web of trust",
            "信頼の輪（Web of Trust）",
            "Users sign each other's keys; a key is valid when enough trusted signatures reach it.",
        ),
        Term(
            "certification authority (CA)",
            "認証局",
            "An organisation that signs certificates; S/MIME's trust starts from its root.",
        ),
        Term(
            "revocation",
            "失効",
            "Declaring a key or certificate no longer valid (a revocation signature, a CRL or OCSP).",
        ),
    ),
    # Chapter 07: DKIM and DMARC
    "07": (
        Term(
            "DKIM (DomainKeys Identified Mail)",
            "DKIM（電子署名方式の送信ドメイン認証）",
            "The sending domain signs header fields and body; receivers check with the public key in its DNS (RFC 6376).",
        ),
        Term(
            "DKIM signature",
            "DKIM署名",
            "The DKIM-Signature: header field a domain adds: what was signed (h=), the hashes and the signature.",
        ),
        Term(
            "selector",
            "セレクタ",
            "The name (s=) under which a domain publishes one of its keys: <selector>._domainkey.<domain>.",
        ),
        Term(
            "canonicalization",
            "正規化",
            "Rewriting header and body the same way on both sides before hashing (simple or relaxed), so harmless changes do not break the signature.",
        ),
        Term(
            "body hash",
            "本文のハッシュ値",
            "The hash of the canonicalized body (bh=); a changed body gives a different one.",
        ),
        Term(
            "alignment",
            "アライメント（整合）",
            "DMARC's test that the domain SPF or DKIM checked is the From: domain a person reads (relaxed: the same organization; strict: identical).",
        ),
        Term(
            "organizational domain",
            "組織ドメイン",
            "The registered domain (example.co.jp for news.example.co.jp), found with the Public Suffix List.",
        ),
        Term(
            "DMARC policy",
            "DMARCポリシー",
            "What the From: domain asks receivers to do with mail that fails: none (監視のみ), quarantine (隔離), reject (受信拒否).",
        ),
        Term(
            "aggregate report",
            "集約レポート",
            "The daily XML summary receivers send to the rua= address: which servers sent mail in the domain's name and how it fared.",
        ),
        Term(
            "ARC (Authenticated Received Chain)",
            "ARC",
            "Signed header fields a forwarder adds to carry the authentication results it saw (RFC 8617).",
        ),
        Term(
            "mailing list",
            "メーリングリスト",
            "A server that resends each message to its members, often changing the Subject or body, which breaks DKIM.",
        ),
    ),
    # Chapter 08: protecting the path
    "08": (
        Term(
            "encrypting the path",
            "通信経路の暗号化",
            "Encrypting each connection a message travels over (TLS), so nobody on the way can read it there; unlike S/MIME or PGP it does not protect the message end to end.",
        ),
        Term(
            "POP3S / IMAPS / SMTPS",
            "POP3S／IMAPS／SMTPS",
            "POP3, IMAP4 and SMTP inside TLS from the first byte, on their own ports (995, 993, 465): implicit TLS, which RFC 8314 recommends.",
        ),
        Term(
            "STARTTLS",
            "STARTTLS",
            "A command that turns a plaintext connection into TLS (STLS in POP3); an attacker on the path can remove the offer unless the client requires TLS.",
        ),
        Term(
            "eavesdropping",
            "盗聴",
            "Reading traffic on the way; with TLS the eavesdropper still sees the server name, sizes and timing.",
        ),
        Term(
            "APOP",
            "APOP",
            "A POP3 login that sends an MD5 digest of a challenge and the password instead of the password; a captured digest falls to a dictionary search.",
        ),
        Term(
            "challenge-response",
            "チャレンジレスポンス",
            "Proving you know a secret by answering a fresh challenge with a value computed from it, so the secret itself is not sent.",
        ),
        Term(
            "POP before SMTP",
            "POP before SMTP",
            "A server lets an address relay mail for a few minutes after a POP3 login from it; everyone behind the same address gets the same right.",
        ),
        Term(
            "MTA-STS",
            "MTA-STS",
            "A domain publishes in DNS and over HTTPS that mail to it must use TLS with a valid certificate, so STARTTLS between servers cannot be stripped (RFC 8461).",
        ),
    ),
    # Chapter 09: the capstone (it also uses earlier chapters' terms by name: mail forwarding,
    # mailing list, bounce (non-delivery report), spoofing, tamper detection, eavesdropping)
    "09": (
        Term(
            "defence in depth",
            "多層防御",
            "Several independent controls along the way, so an attack one of them misses (or one switched off) is stopped by another: OP25B and DMARC both stop the home bot.",
        ),
        Term(
            "mail transfer agent (MTA)",
            "メール転送エージェント（MTA）",
            "A server that passes mail on to the next server over SMTP: the bank's outbound MTA, the university's forwarder, the recipient's MX.",
        ),
        Term(
            "MX record",
            "MXレコード",
            "The DNS record naming the server that receives a domain's mail; a sending MTA looks it up to find where to deliver (RFC 5321 §5.1).",
        ),
        Term(
            "quarantine",
            "隔離",
            "What DMARC p=quarantine asks: accept failing mail but treat it as suspicious, usually the Junk folder. Unlike reject, the mail still arrives.",
        ),
        Term(
            "delivery status notification (DSN)",
            "配送状態通知（DSN）",
            "The standard form of a bounce (RFC 3464): which recipient failed and why, e.g. 4.2.2 mailbox full, returned to the envelope sender.",
        ),
        Term(
            "man-in-the-middle attack",
            "中間者攻撃",
            "An attacker on the path passes traffic between two parties and reads or changes it on the way; stripping STARTTLS is one.",
        ),
    ),
}

GLOSSARY: dict[str, Term] = {
    t.english: t for t in (*_COURSE_TERMS, *(t for ts in CHAPTER_TERMS.values() for t in ts))
}


def chapter_terms(chapter: str) -> tuple[Term, ...]:
    """The terms chapter ``chapter`` (for example ``"01"``) adds to the course-wide ones."""
    if chapter not in CHAPTER_TERMS:
        raise InputError(
            f"No chapter {chapter!r} in the glossary; chapters: {', '.join(CHAPTER_TERMS)}."
        )
    return CHAPTER_TERMS[chapter]


def terms(*english: str) -> tuple[Term, ...]:
    """The glossary entries for the given English terms, in that order."""
    missing = [e for e in english if e not in GLOSSARY]
    if missing:
        raise InputError(f"Not in the glossary: {', '.join(missing)}.")
    return tuple(GLOSSARY[e] for e in english)
