"""The DKIM results (RFC 8601 §2.7.1) and the outcome of verifying one signature.

A message may carry several DKIM-Signature fields (an author's domain and a mailing list's, or an
RSA and an Ed25519 signature side by side); each is verified on its own and gives one
:class:`Verification`. A message with none has the result ``none``; :func:`overall_result` sums
several up for a badge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mailsec.i18n import texts
from mailsec.trace import Outcome, ResultEnum, Step, Trace

__all__ = ["DkimResult", "Verification", "make_step", "overall_result"]

SECTION = "RFC 8601 §2.7.1"


class DkimResult(ResultEnum):
    """A DKIM result. Compares equal to its RFC 8601 name: ``DkimResult.PASS == "pass"``.

    The verifier here gives pass, fail, temperror and permerror, and ``none`` comes from a message
    without signatures. ``neutral`` and ``policy`` are there because receivers report them (a
    receiver's local policy may refuse a signature that verified, such as one with ``l=``).
    """

    NONE = "none"
    """The message was not signed."""
    PASS = "pass"
    """The signature verified: the signing domain vouches for these header fields and body."""
    FAIL = "fail"
    """The signature was checked and did not verify (or has expired)."""
    POLICY = "policy"
    """The signature verified, but the receiver's policy did not accept it."""
    NEUTRAL = "neutral"
    """The signature could not be processed for a reason not covered by the others."""
    TEMPERROR = "temperror"
    """A temporary failure, usually of DNS; a later try may succeed."""
    PERMERROR = "permerror"
    """A permanent error: a malformed signature, or no usable key; retrying will not help."""

    @classmethod
    def _tables(cls) -> tuple[Mapping[str, str], Mapping[str, Outcome], Mapping[str, str] | str]:
        return MEANINGS, _OUTCOMES, SECTION


MEANINGS = texts(
    {
        "none": "The message carries no DKIM signature, so DKIM says nothing about it.",
        "pass": "The signing domain's key verified the signature: the signed header fields and body "
        "are as the domain sent them.",
        "fail": "The signature did not verify: the message was changed after signing, the signature "
        "was forged, or it has expired.",
        "policy": "The signature verified, but the receiver's policy does not accept it.",
        "neutral": "The signature could not be processed.",
        "temperror": "A temporary problem (usually DNS) stopped the check; try again later.",
        "permerror": "The signature is malformed or its key cannot be used; only the signer can fix "
        "it.",
    }
)

_OUTCOMES = {
    "none": Outcome.INFO,
    "pass": Outcome.OK,
    "fail": Outcome.FAIL,
    "policy": Outcome.WARN,
    "neutral": Outcome.INFO,
    "temperror": Outcome.WARN,
    "permerror": Outcome.FAIL,
}

#: Which result stands for a message with several signatures: one that passed wins, then one
#: that a later try might turn into a pass, then the failures from the most to the least telling.
_PRECEDENCE = ("pass", "temperror", "fail", "policy", "neutral", "permerror")


@dataclass(frozen=True)
class Verification:
    """The outcome of verifying one DKIM-Signature header field, with the data behind it."""

    result: DkimResult
    reason: str
    """Why, in one sentence a learner can read."""
    index: int = 1
    """Which DKIM-Signature field of the message this is, counted from the top (1 is the first)."""
    domain: str | None = None
    """The signing domain (``d=``), when the signature names one."""
    selector: str | None = None
    """The selector (``s=``): the key was looked up at ``<selector>._domainkey.<domain>``."""
    algorithm: str | None = None
    """The algorithm as written in ``a=``."""
    identity: str | None = None
    """The agent or user identifier (``i=``); ``@`` and the domain when the signature has none."""
    testing: bool = False
    """The key record says ``t=y``: the domain is testing DKIM (RFC 6376 §3.6.1)."""
    weak: bool = False
    """The algorithm is rsa-sha1, which must not be trusted any more (RFC 8301 §3.1)."""
    trace: Trace = ()
    header_data: bytes = b""
    """The canonicalized header fields that were hashed, ending with the signature field."""
    canonical_body: bytes = b""
    """The start of the canonicalized body (at most :data:`SHOWN_BODY` bytes, for labs)."""
    body_length: int = 0
    """How many bytes of the canonicalized body were hashed (all of it, or ``l=``)."""
    unsigned_body: int = 0
    """Bytes of the canonicalized body after ``l=``: content nobody signed."""
    body_hash: bytes = b""
    """The hash this verifier computed over the canonicalized body."""
    signed_body_hash: bytes = b""
    """The hash the signer wrote in ``bh=``."""
    header_hash: bytes = b""
    """The hash of :attr:`header_data`: what the signature signs."""
    field_value: str = field(default="", repr=False)
    """The DKIM-Signature field's value as it appears in the message."""

    @property
    def passed(self) -> bool:
        return self.result is DkimResult.PASS

    @property
    def body_hash_matches(self) -> bool:
        return bool(self.body_hash) and self.body_hash == self.signed_body_hash


#: Bytes of the canonicalized body kept in a :class:`Verification` for a lab to show; the hash is
#: always over the whole body.
SHOWN_BODY = 64 * 1024


def overall_result(verifications: Iterable[Verification]) -> DkimResult:
    """One result for a whole message: ``none`` without signatures, ``pass`` if any signature
    passed, else the most telling of the others (temperror, fail, policy, neutral, permerror)."""
    results = {v.result.value for v in verifications}
    for name in _PRECEDENCE:
        if name in results:
            return DkimResult(name)
    return DkimResult.NONE


def make_step(
    template: str,
    outcome: Outcome = Outcome.INFO,
    section: str | None = None,
    *,
    data: Mapping[str, object] | None = None,
    **values: object,
) -> Step:
    """A trace step whose text is ``template`` with its named placeholders filled in."""
    return format_step(template, outcome, section, values, data)


def format_step(
    template: str,
    outcome: Outcome,
    section: str | None,
    values: Mapping[str, object],
    data: Mapping[str, object] | None = None,
) -> Step:
    """:func:`make_step` with the placeholders' values in one mapping (one the caller built up)."""
    return Step(template.format(**values), outcome, section, data=dict(data or {}))
