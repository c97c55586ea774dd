"""Chapter 03's own key terms, beside the course glossary's (:mod:`mailsec.glossary`)."""

from __future__ import annotations

from mailsec.glossary import Term

__all__ = ["CHAPTER_TERMS"]

CHAPTER_TERMS: tuple[Term, ...] = (
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
)
