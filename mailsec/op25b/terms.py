"""Chapter 02's own key terms, beside the course glossary's (:mod:`mailsec.glossary`)."""

from __future__ import annotations

from mailsec.glossary import Term

__all__ = ["CHAPTER_TERMS"]

CHAPTER_TERMS: tuple[Term, ...] = (
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
)
