"""The DMARC results (RFC 7489 §11.2), dispositions (§6.6.4) and the outcome of one evaluation."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from mailsec.dmarc.alignment import DkimAlignment, SpfAlignment
from mailsec.dmarc.record import DmarcRecord, Policy
from mailsec.i18n import texts
from mailsec.trace import Outcome, ResultEnum, Trace

__all__ = ["Disposition", "DmarcEvaluation", "DmarcResult", "PolicyOverride"]

#: Where DMARC's result values for Authentication-Results are registered.
SECTION = "RFC 7489 §11.2"


class DmarcResult(ResultEnum):
    """A DMARC result. Compares equal to its RFC name: ``DmarcResult.PASS == "pass"``."""

    PASS = "pass"
    """An SPF or DKIM pass for a domain aligned with the From: domain."""
    FAIL = "fail"
    """The domain publishes DMARC, and neither SPF nor DKIM passed for an aligned domain."""
    NONE = "none"
    """The From: domain (and its organization) publishes no usable DMARC record."""
    TEMPERROR = "temperror"
    """DNS failed while looking for the record; a later try may succeed."""
    PERMERROR = "permerror"
    """The record is broken, or the message has no single From: domain to check."""

    @classmethod
    def _tables(cls) -> tuple[Mapping[str, str], Mapping[str, Outcome], Mapping[str, str] | str]:
        return MEANINGS, _OUTCOMES, SECTION


MEANINGS = texts(
    {
        "pass": "SPF or DKIM vouched for a domain that matches the From: address people read.",
        "fail": "Neither SPF nor DKIM vouched for the From: domain; the domain's policy says what to "
        "do with such mail.",
        "none": "The From: domain publishes no DMARC policy, so DMARC says nothing.",
        "temperror": "A temporary DNS problem stopped the check; try again later.",
        "permerror": "The DMARC record is broken, or the message has no single From: domain; only "
        "the sender can fix that.",
    }
)

_OUTCOMES = {
    "pass": Outcome.OK,
    "fail": Outcome.FAIL,
    "none": Outcome.INFO,
    "temperror": Outcome.WARN,
    "permerror": Outcome.FAIL,
}


class Disposition(str, enum.Enum):
    """What the receiver does with the message (RFC 7489 Appendix C ``DispositionType``)."""

    NONE = "none"
    """Delivered as usual."""
    QUARANTINE = "quarantine"
    """Delivered, but as suspicious: the spam folder, or held for a closer look."""
    REJECT = "reject"
    """Refused during the SMTP transaction."""

    def __str__(self) -> str:
        return self.value


class PolicyOverride(str, enum.Enum):
    """Why a receiver did not apply the policy as published (Appendix C ``PolicyOverrideType``)."""

    FORWARDED = "forwarded"
    """The message came through a known forwarder."""
    SAMPLED_OUT = "sampled_out"
    """``pct`` left the message out of the policy (§6.6.4)."""
    TRUSTED_FORWARDER = "trusted_forwarder"
    """The receiver trusts the forwarder that sent it."""
    MAILING_LIST = "mailing_list"
    """The message came through a mailing list."""
    LOCAL_POLICY = "local_policy"
    """The receiver's own rules decided."""
    OTHER = "other"
    """Some other reason, given in a comment."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class DmarcEvaluation:
    """The outcome of evaluating DMARC for one message, with everything needed to explain it."""

    result: DmarcResult
    policy: Policy | None
    """The policy the record asks for this message (``p``, or ``sp`` for a subdomain); None when
    no record applies."""
    disposition: Disposition
    """What the receiver does: the policy for a fail, lowered for messages ``pct`` leaves out."""
    from_domain: str | None
    """The author domain (RFC5322.From); None when the message has no single one."""
    organizational_domain: str | None
    record: DmarcRecord | None
    """The DMARC record that applied, read; None when there was none."""
    record_domain: str | None
    """The domain whose ``_dmarc`` name held the record: the From: domain or its organization."""
    spf: SpfAlignment | None
    """The SPF identifier and whether it aligned; None when SPF was not checked."""
    dkim: tuple[DkimAlignment, ...]
    """Each DKIM signature and whether it aligned."""
    reason: str
    """Why, in plain language."""
    trace: Trace = ()
    subdomain_policy: bool = False
    """The policy came from ``sp=``: the From: domain is a subdomain of where the record is."""
    override: PolicyOverride | None = None
    """Why the disposition is weaker than the policy (``sampled_out``), or None."""

    @property
    def passed(self) -> bool:
        return self.result is DmarcResult.PASS

    @property
    def spf_aligned(self) -> bool:
        """SPF passed for an aligned domain (the report's ``policy_evaluated/spf``)."""
        return self.spf is not None and self.spf.aligned

    @property
    def dkim_aligned(self) -> bool:
        """A DKIM signature passed for an aligned domain (``policy_evaluated/dkim``)."""
        return any(signature.aligned for signature in self.dkim)
