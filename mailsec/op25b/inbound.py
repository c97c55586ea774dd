"""The chapter 02 servers' sender authentication: what the MX does with a message it checked,
and which mail the submission server signs (see :mod:`mailsec.op25b.smtpd`, options ``checks``
and ``signing``).

The checks themselves are :func:`mailsec.dmarc.receiver.check_inbound`; this module holds the
rules around them that belong to a server: the replies to a rejected message, removing
Authentication-Results fields forged in the server's name (RFC 8601 §5), and the domains a
submission server signs for (RFC 6376 §5).
"""

from __future__ import annotations

import dataclasses
import re

from mailsec.dkim.canon import HeaderField, read_message
from mailsec.dmarc.authresults import parse_authentication_results
from mailsec.dmarc.result import DmarcEvaluation
from mailsec.errors import InputError
from mailsec.op25b.model import Host, ServiceKind, is_address

__all__ = [
    "JUNK",
    "KEPT_CHECKS",
    "MESSAGES",
    "NULL_SENDER",
    "REPLIES",
    "SUBMISSION_KINDS",
    "own_domains",
    "rejection",
    "sender_refusal",
    "without_claimed_results",
]

NULL_SENDER = "<>"
"""The null reverse-path of bounces (RFC 5321 §4.5.5), as aiosmtpd gives it."""

JUNK = "Junk"
"""The folder for mail a DMARC policy quarantines (RFC 7489 §6.6.4: "treat as suspicious"); the
name most servers give the junk folder (RFC 6154 §2, ``\\Junk``)."""

#: The services where logged-in users submit their mail (RFC 6409, RFC 8314): where mail is signed.
SUBMISSION_KINDS = frozenset({ServiceKind.SUBMISSION, ServiceKind.SUBMISSIONS})

#: How many of the MX's checks :attr:`ModelSmtpServers.checked` keeps (the oldest go first).
KEPT_CHECKS = 100

#: DATA replies of the MX's checks. Reply text is ASCII (RFC 5321 §4.2). 5.7.1: delivery not
#: authorized, message refused (RFC 3463 §3.8), the code RFC 7489 §6.7's rejections use.
REPLIES = {
    "reject": "550 5.7.1 Message rejected: the DMARC policy of {domain} says reject",
    "no_author": "550 5.7.1 Message rejected: it has no single From: domain for DMARC to check "
    "(RFC 7489 section 6.6.1)",
    "bad_sender": "553 5.1.7 Bad sender address syntax",
    "unreadable": "550 5.6.0 Message rejected: its header section cannot be read for the "
    "sender checks",
}

MESSAGES = {
    "check_options": "{options} {verb} only to the MX's sender checks: pass checks=True as "
    "well, or leave {them} out.",
    "no_key": "signing=True, but {host} has no course DKIM key for its domain ({domains}): add "
    "the domain to mailsec.dkim.course.COURSE_SELECTORS, or leave signing off.",
}


def sender_refusal(address: str) -> str | None:
    """The reply refusing ``MAIL FROM:<address>``, or None to accept it. The null reverse-path
    ``<>`` of bounces is allowed (RFC 5321 §4.5.5); anything else must be an address. aiosmtpd
    hands ``<>`` over as ``"<>"`` and needs it so in the envelope (RCPT wants a sender)."""
    if address != NULL_SENDER and not is_address(address):
        return REPLIES["bad_sender"]
    return None


def rejection(evaluation: DmarcEvaluation) -> str:
    """The DATA reply for a message the DMARC policy rejects."""
    if evaluation.from_domain is None:
        return REPLIES["no_author"]
    domain = evaluation.record_domain or evaluation.from_domain
    return REPLIES["reject"].format(domain=domain)


def _claims(field: HeaderField, authserv_id: str) -> bool:
    """Whether ``field`` is an Authentication-Results field written in the name of
    ``authserv_id``; one that cannot be read is judged by its first word, as a lenient reader
    would take it."""
    if field.key != "authentication-results":
        return False
    text = field.value.decode("utf-8", "replace")
    try:
        claimed = parse_authentication_results(text).authserv_id
    except InputError:
        words = re.sub(r"\([^()]*\)", " ", text).split(";", 1)[0].split()
        claimed = words[0].strip('"') if words else ""
    return claimed.lower() == authserv_id.lower()


def without_claimed_results(message: bytes, authserv_id: str) -> bytes:
    """``message`` without the Authentication-Results fields that arrived claiming to come from
    ``authserv_id``: the receiver deletes them (RFC 8601 §5), or readers would take a sender's
    forgery for the receiver's own verdict."""
    parsed = read_message(message)
    kept = tuple(f for f in parsed.fields if not _claims(f, authserv_id))
    if len(kept) == len(parsed.fields):
        return message
    return dataclasses.replace(parsed, fields=kept).to_bytes()


def own_domains(host: Host) -> list[str]:
    """The domains of a submission server's accounts: the mail it signs for."""
    return sorted({user.rpartition("@")[2].lower() for user, _ in host.accounts if "@" in user})
