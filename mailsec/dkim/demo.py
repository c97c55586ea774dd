"""What happens to a DKIM signature on the way: the pure logic behind chapter 07's DKIM labs.

A message is signed by a course domain (:mod:`mailsec.dkim.course`), something happens to it
between the sending and the receiving server (a :class:`Change`), and the receiver verifies it.
:func:`try_all_canonicalizations` does that for the four ``c=`` choices at once, so a lab can show
which of ``simple`` and ``relaxed`` survive which change (RFC 6376 §3.4). :func:`check_key` signs
with example.com's key and verifies against a key record the learner may have edited, to show
what a key record decides (§3.6).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from mailsec.dkim.course import course_resolver, course_signers, sign_as
from mailsec.dkim.keys import key_name
from mailsec.dkim.result import Verification
from mailsec.dkim.sign import sign
from mailsec.dkim.verify import verify
from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.limits import MAX_LAB_TEXT
from mailsec.spf.lookup import OverlaySource

__all__ = [
    "CANONICALIZATIONS",
    "Change",
    "KeyCase",
    "Trial",
    "apply_change",
    "check_key",
    "lab_message",
    "try_all_canonicalizations",
]

#: The four ``c=`` choices, header/body (RFC 6376 §3.5).
CANONICALIZATIONS = (
    ("simple", "simple"),
    ("simple", "relaxed"),
    ("relaxed", "simple"),
    ("relaxed", "relaxed"),
)

CRLF = b"\r\n"
FOOTER = b"--\r\nYou are subscribed to staff@lists.example. To leave, reply 'unsubscribe'.\r\n"


class Change(enum.Enum):
    """Something that happens to a signed message between the two servers."""

    NOTHING = "nothing"
    SPACES = "spaces"
    REFOLD = "refold"
    NAME_CASE = "name_case"
    BLANK_LINES = "blank_lines"
    NEW_HEADER = "new_header"
    SECOND_SUBJECT = "second_subject"
    SUBJECT = "subject"
    BODY_WORD = "body_word"
    FOOTER = "footer"

    @property
    def label(self) -> str:
        return LABELS[self.value][0]

    @property
    def description(self) -> str:
        return LABELS[self.value][1]


#: What each change is called in a lab, and what it does (one place, for translation).
LABELS = texts(
    {
        "nothing": ("nothing happens", "The message arrives exactly as it was signed."),
        "spaces": (
            "a server changes spaces in the body",
            "A gateway doubles a space and leaves a tab at the end of a line of the body.",
        ),
        "refold": (
            "a server refolds the Subject",
            "The Subject field is folded onto two lines (a CRLF and a space inside its value).",
        ),
        "name_case": (
            "a server writes a field name in capitals",
            "'Subject:' becomes 'SUBJECT:' (field names are not case-sensitive in mail).",
        ),
        "blank_lines": (
            "empty lines are added at the end of the body",
            "Three empty lines are added after the last line of the body.",
        ),
        "new_header": (
            "a server adds a header field of its own",
            "A Received field is put on top, as every server on the way does.",
        ),
        "second_subject": (
            "an attacker adds a second Subject on top",
            "A new 'Subject: URGENT: verify your account' is put above the signed one.",
        ),
        "subject": (
            "a mailing list tags the Subject",
            "The Subject gets '[staff] ' in front, as many mailing lists do.",
        ),
        "body_word": (
            "an attacker changes one word of the body",
            "The first 'Friday' in the body becomes 'Monday'.",
        ),
        "footer": (
            "a mailing list appends a footer",
            "Two lines about unsubscribing are added at the end of the body.",
        ),
    }
)

MESSAGES = texts(
    {
        "no_body": "The message needs a body: write some text below the header fields.",
        "too_long": "The message is {length:,} characters long; the lab takes at most {limit:,}.",
        "no_word": "The body has no 'Friday' for the change to replace; write one in.",
    }
)


def lab_message(sender: str, subject: str, body: str) -> bytes:
    """A message as a mail program writes it (CRLF line ends), from a lab's text boxes."""
    text = f"{subject}\n{body}"
    if len(text) > MAX_LAB_TEXT:
        raise InputError(MESSAGES["too_long"].format(length=len(text), limit=MAX_LAB_TEXT))
    if not body.strip():
        raise InputError(MESSAGES["no_body"])
    subject = " ".join(subject.split())  # one header line, whatever was typed
    head = (
        f"From: {sender}\r\nTo: Staff <staff@example.net>\r\nSubject: {subject}\r\n"
        "Date: Fri, 04 Dec 2026 09:00:00 +0900\r\nMessage-ID: <lab-07@example.com>\r\n\r\n"
    )
    lines = body.replace("\r\n", "\n").split("\n")
    return head.encode("utf-8") + CRLF.join(line.encode("utf-8") for line in lines)


def apply_change(message: bytes, change: Change) -> bytes:
    """``message`` after ``change`` happened to it on the way."""
    head, _, body = message.partition(CRLF + CRLF)
    if change is Change.SPACES:
        body = body.replace(b" ", b"  ", 1).replace(CRLF, b"\t" + CRLF, 1)
    elif change is Change.REFOLD:
        head = re.sub(
            rb"(?mi)^(Subject:[^\r\n]*?) ([^ \r\n]+)(?=\r\n|\Z)", rb"\1\r\n \2", head, count=1
        )
    elif change is Change.NAME_CASE:
        head = re.sub(rb"(?mi)^subject:", b"SUBJECT:", head, count=1)
    elif change is Change.BLANK_LINES:
        body = body + CRLF * 3 if body.endswith(CRLF) else body + CRLF * 4
    elif change is Change.NEW_HEADER:
        head = b"Received: from mail.example.com by mx.example.net; Fri, 4 Dec 2026\r\n" + head
    elif change is Change.SECOND_SUBJECT:
        head = b"Subject: URGENT: verify your account\r\n" + head
    elif change is Change.SUBJECT:
        head = re.sub(rb"(?mi)^Subject: ?", b"Subject: [staff] ", head, count=1)
    elif change is Change.BODY_WORD:
        if b"Friday" not in body:
            raise InputError(MESSAGES["no_word"])
        body = body.replace(b"Friday", b"Monday", 1)
    elif change is Change.FOOTER:
        body = (body if body.endswith(CRLF) or not body else body + CRLF) + FOOTER
    return head + CRLF + CRLF + body


@dataclass(frozen=True)
class Trial:
    """One canonicalization tried: the message as signed, as received, and the verification."""

    canonicalization: tuple[str, str]
    signed: bytes
    received: bytes
    verification: Verification

    @property
    def name(self) -> str:
        return "/".join(self.canonicalization)


def try_all_canonicalizations(
    message: bytes,
    change: Change,
    *,
    domain: str = "example.com",
    body_length: bool = False,
    oversign: bool = False,
) -> tuple[Trial, ...]:
    """Sign ``message`` four times (one per ``c=``), apply ``change``, verify each."""
    trials = []
    for canonicalization in CANONICALIZATIONS:
        signed = sign_as(
            domain,
            message,
            canonicalization=canonicalization,
            body_length=_signed_length(message, canonicalization) if body_length else None,
            oversign=oversign,
        )
        received = apply_change(signed, change)
        (check,) = verify(received, resolver=course_resolver())
        trials.append(Trial(canonicalization, signed, received, check))
    return tuple(trials)


def _signed_length(message: bytes, canonicalization: tuple[str, str]) -> int:
    """The length of the whole canonicalized body, for ``l=``."""
    from mailsec.dkim.canon import Canon, canonicalize_body, read_message

    return len(canonicalize_body(read_message(message).body, Canon(canonicalization[1])))


class KeyCase(enum.Enum):
    """What the receiver finds in DNS for the signature's selector."""

    PUBLISHED = "published"
    WRONG_SELECTOR = "wrong_selector"
    REVOKED = "revoked"
    TESTING = "testing"
    EDITED = "edited"

    @property
    def label(self) -> str:
        return KEY_LABELS[self.value]


KEY_LABELS = texts(
    {
        "published": "the key example.com publishes (selector mail)",
        "wrong_selector": "a typo in the selector: s=mial",
        "revoked": "a key the domain has revoked (bank.example, selector 2024)",
        "testing": "a key marked as testing, t=y (selector test)",
        "edited": "the key record as written in the box below",
    }
)


def check_key(message: bytes, case: KeyCase, record: str = "") -> Verification:
    """Sign ``message`` as the case needs and verify it against what DNS holds for it.

    For :attr:`KeyCase.EDITED`, ``record`` replaces example.com's published key record (selector
    ``mail``), so the learner can break or restrict it and watch what the verifier says.
    """
    signers = course_signers()
    resolver: object = course_resolver()
    if case is KeyCase.WRONG_SELECTOR:
        signer = signers["example.com"]
        signed = sign(message, domain="example.com", selector="mial", private_key=signer.key)
    elif case is KeyCase.REVOKED:
        signer = signers["bank.example"]
        signed = sign(message, domain="bank.example", selector="2024", private_key=signer.key)
    elif case is KeyCase.TESTING:
        signed = sign_as("example.com", message, testing=True)
    else:
        signed = sign_as("example.com", message)
        if case is KeyCase.EDITED:
            name = key_name("mail", "example.com")
            text = record.strip().encode("utf-8")
            resolver = OverlaySource(course_resolver(), {(name, "TXT"): ((text,),)})
    (check,) = verify(signed, resolver=resolver)
    return check
