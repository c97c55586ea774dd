"""The ARC results and the outcome of validating a chain (RFC 8617 §4.4, §5.2).

ARC has three results, which are at once the outcome of validation and the value a sealer writes
in its seal's ``cv=`` ("chain validation status", §4.4):

``none``
    The message carries no ARC sets.
``pass``
    Every set is present and numbered without gaps, the newest ARC-Message-Signature verifies,
    and every ARC-Seal verifies: the authentication results recorded on the way can be read as
    the sealers wrote them.
``fail``
    Anything else. There is no ``temperror``: a DNS failure also fails the chain, because by the
    time a chain is validated the intermediaries that built it are gone (§5.2.1).

An :class:`ArcValidation` gives the result, the reason in one sentence, one :class:`ArcInstance`
per set found (who sealed it, what it recorded, how its signatures fared) and the trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailsec.dkim.canon import HeaderField
from mailsec.dkim.result import DkimResult
from mailsec.i18n import texts
from mailsec.trace import Outcome, ResultEnum, Trace

if TYPE_CHECKING:
    from mailsec.arc.fields import ArcSet

__all__ = ["ArcInstance", "ArcResult", "ArcValidation"]

SECTION = "RFC 8617 §4.4"


class ArcResult(ResultEnum):
    """An ARC result, also written as a seal's ``cv=``. Compares equal to its name:
    ``ArcResult.PASS == "pass"``."""

    NONE = "none"
    """No ARC sets: nobody on the way sealed the message (and ``cv=none`` in the first seal)."""
    PASS = "pass"
    """The chain is whole and every seal verified."""
    FAIL = "fail"
    """The chain is broken, malformed, or a signature in it did not verify."""

    @classmethod
    def _tables(cls) -> tuple[Mapping[str, str], Mapping[str, Outcome], Mapping[str, str] | str]:
        return MEANINGS, _OUTCOMES, SECTION


MEANINGS = texts(
    {
        "none": "No intermediary sealed this message, so ARC says nothing about it.",
        "pass": "Every intermediary's seal verified: the authentication results they recorded are "
        "theirs, and a receiver that trusts them may use those results.",
        "fail": "The chain of seals is broken or malformed; the message must be treated as if it "
        "carried no ARC sets at all (RFC 8617 §5.2).",
    }
)

_OUTCOMES = {"none": Outcome.INFO, "pass": Outcome.OK, "fail": Outcome.FAIL}


@dataclass(frozen=True)
class ArcInstance:
    """What one ARC set says and how its signatures fared. A field that could not be read leaves
    its facts as None; a signature that was not checked has the result None."""

    instance: int
    """``i=``: 1 for the first intermediary, counting up along the way."""
    domain: str | None = None
    """The sealer: the ARC-Seal's ``d=``."""
    selector: str | None = None
    """The ARC-Seal's ``s=``; its key is at ``<selector>._domainkey.<domain>``."""
    cv: ArcResult | None = None
    """What the sealer found when it validated the chain before adding this set."""
    authserv_id: str | None = None
    """Who wrote the ARC-Authentication-Results: the sealer's authentication service."""
    results: str | None = None
    """The authentication results the sealer recorded, such as ``dkim=pass header.d=...``."""
    ams_domain: str | None = None
    """The ARC-Message-Signature's ``d=`` (usually the sealer's domain too)."""
    ams_selector: str | None = None
    ams_result: DkimResult | None = None
    """How the ARC-Message-Signature verified: pass, fail, permerror, temperror; None if not
    checked."""
    ams_reason: str = ""
    seal_result: DkimResult | None = None
    """How the ARC-Seal verified; None if not checked."""
    seal_reason: str = ""


@dataclass(frozen=True)
class ArcValidation:
    """The outcome of validating a message's ARC chain (RFC 8617 §5.2)."""

    result: ArcResult
    reason: str
    """Why, in one sentence a learner can read."""
    instances: tuple[ArcInstance, ...] = ()
    """One entry per instance number found, in increasing order."""
    highest_instance: int = 0
    """The highest instance number found (N); 0 when the message has no ARC fields."""
    oldest_pass: int | None = None
    """The lowest instance from which every ARC-Message-Signature up to N still verifies, or 0
    when all of them do: how far back the message is unchanged (§5.2). None when not computed."""
    closed: bool = False
    """The newest ARC-Seal says ``cv=fail``: a sealer closed the chain, and nobody seals after
    that (§5.1)."""
    trace: Trace = ()
    sets: tuple[ArcSet, ...] = field(default=(), repr=False)
    """The sets as read, 1 to N, when the chain's structure is valid (the sealer seals them)."""
    fields: tuple[HeaderField, ...] = field(default=(), repr=False)
    """Every ARC header field of the message, from the top: what was validated."""

    @property
    def passed(self) -> bool:
        return self.result is ArcResult.PASS

    def instance(self, number: int) -> ArcInstance | None:
        """The set with ``i=number``, or None."""
        for found in self.instances:
            if found.instance == number:
                return found
        return None
