"""The three header fields of an ARC set and how they are read (RFC 8617 §4.1, §4.2).

Every intermediary that takes part in ARC adds one *ARC set*: three header fields that carry the
same instance number ``i=``, 1 for the first intermediary and one more for each after it:

``ARC-Authentication-Results`` (AAR, §4.1.1)
    ``i=1; lists.example.org; dkim=pass header.d=example.com``: the authentication results the
    intermediary found when the message arrived, before it changed anything, after the name of
    its authentication service (the authserv-id, RFC 8601 §2.5).
``ARC-Message-Signature`` (AMS, §4.1.2)
    A DKIM-Signature under another name, with the same tags and rules except that ``i=`` is the
    instance (not an identity) and there is no ``v=`` (one written anyway is ignored). It signs the
    header fields and body as the intermediary sends the message on. It must not sign ARC fields
    or Authentication-Results fields: later hops add and remove those.
``ARC-Seal`` (AS, §4.1.3)
    Signs the ARC sets 1 to i, header fields only, with relaxed canonicalization (§5.1.1), and
    records in ``cv=`` what its sealer found when it validated the chain before adding this set:
    ``none`` (there was none; set 1), ``pass`` or ``fail``. It has no ``h=`` and no ``bh=``; an
    ``h=`` makes it invalid.

The AMS and the AS are read with the DKIM chapter's tag-list reader and rules
(:mod:`mailsec.dkim.tags`, :mod:`mailsec.dkim.signature`) into DKIM's
:class:`~mailsec.dkim.signature.Signature`, so their keys are looked up and their hashes made by
the DKIM code. :func:`read_arc_field` reads any of the three and never raises: a field that breaks
a rule comes back with the sentence that says which.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailsec.arc.result import ArcResult
from mailsec.dkim import canon
from mailsec.dkim.canon import Canon, HeaderField
from mailsec.dkim.crypto import Algorithm
from mailsec.dkim.signature import (
    Signature,
    base64_tag,
    check_domain,
    number_tag,
    signature_from_tags,
)
from mailsec.dkim.tags import DkimSyntaxError, Tag, TagList, parse_tag_list
from mailsec.errors import quoted
from mailsec.i18n import ngettext, texts

__all__ = [
    "MAX_INSTANCES",
    "PART_NAMES",
    "ArcField",
    "ArcSet",
    "ArcSyntaxError",
    "MessageSignature",
    "Part",
    "ResultsField",
    "Seal",
    "parse_message_signature",
    "parse_results",
    "parse_seal",
    "read_arc_field",
    "read_instance",
    "seal_input",
]

#: RFC 8617 §4.2.1: instance numbers run from 1 to 50, so a chain has at most 50 sets; a message
#: with more fails (§5.2) and a sealer adds no 51st. It also bounds the work one message can cause:
#: each set costs two DNS queries and two signature checks, and each seal hashes all sets before it.
MAX_INSTANCES = 50

#: Header fields an ARC-Message-Signature must not sign (§4.1.2): the ARC fields, which the AS
#: covers, and Authentication-Results, which receivers delete and rewrite (RFC 8601 §5).
UNSIGNABLE = (
    "arc-authentication-results",
    "arc-message-signature",
    "arc-seal",
    "authentication-results",
)

MESSAGES = texts(
    {
        "aar_syntax": "The value must start with i=, the instance, and a semicolon (RFC 8617 "
        "§4.1.1): i=1; lists.example.org; dkim=pass ...",
        "no_authserv_id": "There is no authserv-id after i={instance}; (RFC 8617 §4.1.1, RFC 8601 "
        "§2.2).",
        "no_instance": "There is no i= tag, the instance number (RFC 8617 §4.2.1).",
        "instance": "i={value} is not an instance number: a whole number from 1 to 50 without "
        "leading zeros (RFC 8617 §4.2.1).",
        "seal_h": "The ARC-Seal has an h= tag; a seal signs the ARC sets, not a list of header "
        "fields, so RFC 8617 §4.1.3 makes an h= tag fail the chain.",
        "cv": "cv={value} is not a chain validation status: none, pass or fail (RFC 8617 §4.1.3).",
        "algorithm": "a={value} is not an algorithm ARC uses: rsa-sha256 or ed25519-sha256 "
        "(rsa-sha1 must not be used, RFC 8301 §3.1).",
        "unsignable": "h= lists {name}; RFC 8617 §4.1.2 forbids an ARC-Message-Signature to sign "
        "ARC fields and Authentication-Results, which later hops add and remove.",
    }
)

_INSTANCE = re.compile(r"[1-9][0-9]{0,5}\Z")
_FWS = "[ \t\r\n]*"
_AAR = re.compile(f"{_FWS}i{_FWS}={_FWS}([^; \t\r\n]*){_FWS};(.*)\\Z", re.DOTALL)
_WHITESPACE = re.compile(r"[ \t\r\n]+")
#: The tags §6.1.1 of RFC 6376 requires of a DKIM-Signature include v=; an AMS has none (§4.1.2),
#: so one stands in for it while DKIM's rules read the rest.
_VERSION = Tag("v", "1", 0, 0)
_SEAL_TAGS = ("i", "a", "b", "cv", "d", "s")


class ArcSyntaxError(DkimSyntaxError):
    """An ARC header field does not follow the syntax or rules of RFC 8617 §4.1."""


class Part(str, enum.Enum):
    """The three header fields of an ARC set, in the order the seal hashes them (§5.1.1)."""

    RESULTS = "arc-authentication-results"
    """ARC-Authentication-Results (AAR, §4.1.1): what the intermediary found on arrival."""
    MESSAGE_SIGNATURE = "arc-message-signature"
    """ARC-Message-Signature (AMS, §4.1.2): a DKIM-like signature of the message as sent on."""
    SEAL = "arc-seal"
    """ARC-Seal (AS, §4.1.3): a signature over the ARC sets, and the ``cv=`` status."""

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name as it is written in a message: ``ARC-Seal``."""
        return _LABELS[self.value]

    @property
    def section(self) -> str:
        """Where RFC 8617 defines the field."""
        return _SECTIONS[self.value]


#: The names of the three ARC fields, in lower case, as :attr:`HeaderField.key` gives them.
PART_NAMES = frozenset(part.value for part in Part)

_LABELS = {
    "arc-authentication-results": "ARC-Authentication-Results",
    "arc-message-signature": "ARC-Message-Signature",
    "arc-seal": "ARC-Seal",
}
_SECTIONS = {
    "arc-authentication-results": "RFC 8617 §4.1.1",
    "arc-message-signature": "RFC 8617 §4.1.2",
    "arc-seal": "RFC 8617 §4.1.3",
}


@dataclass(frozen=True)
class ResultsField:
    """An ARC-Authentication-Results field (§4.1.1)."""

    field: HeaderField
    instance: int
    authserv_id: str
    results: str
    """What follows the authserv-id, with folding and runs of whitespace made single spaces."""


@dataclass(frozen=True)
class MessageSignature:
    """An ARC-Message-Signature (§4.1.2): an instance and a DKIM signature."""

    field: HeaderField
    instance: int
    signature: Signature
    """The tags as DKIM reads them; the identity is ``@`` and ``d=``, as ARC has no AUID."""


@dataclass(frozen=True)
class Seal:
    """An ARC-Seal (§4.1.3): an instance, the chain validation status and a signature.

    The signature is kept as DKIM's :class:`~mailsec.dkim.signature.Signature` with no signed
    header names and no body hash, relaxed canonicalization: what it signs is given by §5.1.1.
    """

    field: HeaderField
    instance: int
    cv: ArcResult
    signature: Signature


@dataclass(frozen=True)
class ArcSet:
    """The three fields of one instance (§4.2)."""

    instance: int
    results: ResultsField
    message_signature: MessageSignature
    seal: Seal

    def fields(self) -> tuple[HeaderField, HeaderField, HeaderField]:
        """The fields in the order a seal hashes them: AAR, AMS, AS (§5.1.1)."""
        return (self.results.field, self.message_signature.field, self.seal.field)


@dataclass(frozen=True)
class ArcField:
    """One ARC header field of a message as read: its value, or why it could not be read."""

    part: Part
    field: HeaderField
    position: int
    """Which header field of the message this is, counted from the top (1 is the first)."""
    instance: int | None = None
    """``i=`` when it could be read, even if the rest of the field could not."""
    value: ResultsField | MessageSignature | Seal | None = None
    problem: str = ""
    """Why the field could not be read ("" when it was)."""


def read_arc_field(field: HeaderField, position: int) -> ArcField:
    """Read one ARC header field; a broken one comes back with ``problem`` set, never raised."""
    part = Part(field.key)
    text = field.value.decode("latin-1")
    try:
        value: ResultsField | MessageSignature | Seal
        if part is Part.RESULTS:
            value = parse_results(text, field)
        elif part is Part.MESSAGE_SIGNATURE:
            value = parse_message_signature(text, field)
        else:
            value = parse_seal(text, field)
    except DkimSyntaxError as exc:
        instance = _find_instance(part, text)
        return ArcField(part, field, position, instance, problem=exc.message)
    return ArcField(part, field, position, value.instance, value)


def _find_instance(part: Part, text: str) -> int | None:
    """``i=`` alone, so that a field broken elsewhere can still be placed in its set."""
    try:
        if part is Part.RESULTS:
            match = _AAR.match(text)
            return read_instance(match.group(1)) if match else None
        value = parse_tag_list(text).get("i")
        return None if value is None else read_instance(value)
    except DkimSyntaxError:
        return None


def read_instance(value: str) -> int:
    """An ``i=`` value (§4.2.1). Numbers above 50 are read: the validator refuses them with
    the limit as its reason."""
    if not _INSTANCE.match(value):
        raise ArcSyntaxError(MESSAGES["instance"].format(value=quoted(value, 20)))
    return int(value)


def parse_results(text: str, field: HeaderField | None = None) -> ResultsField:
    """Read an ARC-Authentication-Results value: ``i=N; authserv-id; results`` (§4.1.1)."""
    match = _AAR.match(text)
    if match is None:
        raise ArcSyntaxError(MESSAGES["aar_syntax"])
    instance = read_instance(match.group(1))
    payload = _WHITESPACE.sub(" ", match.group(2)).strip()
    authserv, _, results = payload.partition(";")
    words = authserv.split()
    if not words:
        raise ArcSyntaxError(MESSAGES["no_authserv_id"].format(instance=instance))
    field = field or HeaderField(Part.RESULTS.label, _raw(Part.RESULTS, text))
    return ResultsField(field, instance, words[0], results.strip())


def parse_message_signature(text: str, field: HeaderField | None = None) -> MessageSignature:
    """Read an ARC-Message-Signature value with DKIM's rules, as §4.1.2 changes them."""
    tags = parse_tag_list(text)
    instance = _instance_tag(tags)
    others = tuple(tag for tag in tags if tag.name not in ("v", "i"))
    signature = signature_from_tags(TagList(tags.text, (_VERSION, *others)))
    if signature.algorithm.weak:
        raise ArcSyntaxError(MESSAGES["algorithm"].format(value=quoted(signature.algorithm.value)))
    for name in signature.signed_headers:
        if name in UNSIGNABLE:
            raise ArcSyntaxError(MESSAGES["unsignable"].format(name=quoted(name)))
    field = field or HeaderField(Part.MESSAGE_SIGNATURE.label, _raw(Part.MESSAGE_SIGNATURE, text))
    return MessageSignature(field, instance, signature)


def parse_seal(text: str, field: HeaderField | None = None) -> Seal:
    """Read an ARC-Seal value (§4.1.3)."""
    tags = parse_tag_list(text)
    missing = [name for name in _SEAL_TAGS if name not in tags]
    if missing:
        text = ngettext(
            "The ARC-Seal has no {names} tag; RFC 8617 §4.1.3 requires i, a, b, cv, d and s.",
            "The ARC-Seal has no {names} tags; RFC 8617 §4.1.3 requires i, a, b, cv, d and s.",
            len(missing),
        )
        raise ArcSyntaxError(text.format(names=", ".join(missing)))
    if "h" in tags:
        raise ArcSyntaxError(MESSAGES["seal_h"])
    instance = _instance_tag(tags)
    cv_text = tags.get("cv") or ""
    try:
        cv = ArcResult(cv_text.lower())  # ABNF strings are case-insensitive (RFC 5234 §2.3)
    except ValueError:
        raise ArcSyntaxError(MESSAGES["cv"].format(value=quoted(cv_text, 20))) from None
    domain = check_domain("d", tags.get("d") or "")
    signature = Signature(
        tags=tags,
        algorithm=_algorithm(tags.get("a") or ""),
        domain=domain,
        selector=check_domain("s", tags.get("s") or ""),
        signed_headers=(),
        signature=base64_tag(tags, "b"),
        body_hash=b"",
        header_canon=Canon.RELAXED,
        body_canon=Canon.RELAXED,
        identity="@" + domain,
        timestamp=number_tag(tags, "t", 12),
    )
    field = field or HeaderField(Part.SEAL.label, _raw(Part.SEAL, text))
    return Seal(field, instance, cv, signature)


def _raw(part: Part, text: str) -> bytes:
    return f"{part.label}:{text}".encode("latin-1")


def _instance_tag(tags: TagList) -> int:
    value = tags.get("i")
    if value is None:
        raise ArcSyntaxError(MESSAGES["no_instance"])
    return read_instance(value)


def _algorithm(text: str) -> Algorithm:
    try:
        algorithm = Algorithm(text.lower())
    except ValueError:
        algorithm = None
    if algorithm is None or algorithm.weak:
        raise ArcSyntaxError(MESSAGES["algorithm"].format(value=quoted(text, 30)))
    return algorithm


def seal_input(
    earlier: Sequence[ArcSet], results: HeaderField, signature: HeaderField, seal: HeaderField
) -> bytes:
    """What an ARC-Seal signs (§5.1.1): the sets before it in increasing order, each as AAR, AMS,
    AS, then its own AAR and AMS, then the seal itself with an empty ``b=`` and no final CRLF;
    all with relaxed header canonicalization. A seal with ``cv=fail`` is given no earlier sets
    (§5.1.2). The sealer and the validator both call this, so they cannot disagree."""
    selected = [one for arc_set in earlier for one in arc_set.fields()]
    return canon.header_data([*selected, results, signature], seal, Canon.RELAXED)
