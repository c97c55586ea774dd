"""The receiving server's checks, in one call: SPF, DKIM, ARC and DMARC, and the header it adds.

A receiving MTA (the course's MX on loopback, chapter 09's mail system, the labs) checks every
message it accepts the same way: SPF for the client and the envelope sender (RFC 7208), every
DKIM signature (RFC 6376), the ARC chain of intermediaries (RFC 8617), then DMARC over those
(RFC 7489); it writes the results into an ``Authentication-Results:`` field (RFC 8601) and
decides what to do with the message.

One local rule goes beyond the published policy, as RFC 7489 §6.7 lets receivers have: when DMARC
fails but the message came through an intermediary the receiver trusts (a mailing list it knows),
whose ARC chain validates and whose first set recorded an aligned DKIM pass, the receiver
delivers it and says so (``trusted_forwarder``, §7.2.1.2 and RFC 8617 §7.2).
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

from mailsec import arc, dkim, spf
from mailsec.authres import value
from mailsec.dmarc.alignment import SpfInput, is_aligned
from mailsec.dmarc.authresults import authentication_results
from mailsec.dmarc.evaluate import evaluate
from mailsec.dmarc.record import AlignmentMode
from mailsec.dmarc.result import Disposition, DmarcEvaluation, DmarcResult, PolicyOverride
from mailsec.i18n import texts
from mailsec.trace import Outcome, Step, Trace

__all__ = ["InboundCheck", "check_inbound"]

TEXT = texts(
    {
        "override": "DMARC failed, but {sealer} sealed the message (ARC pass) after it saw "
        "dkim=pass for {domain}, which is aligned with the From: domain; {sealer} is a forwarder "
        "this receiver trusts, so the message is delivered (local policy).",
        "untrusted": "The ARC chain validates, but its sealer {sealer} is not one this receiver "
        "trusts; the DMARC policy stands.",
    }
)

_DKIM_PASS = re.compile(r"(?:^|;)\s*dkim=pass\b[^;]*?\bheader\.d=([A-Za-z0-9.-]+)", re.I)


@dataclass(frozen=True)
class InboundCheck:
    """Everything a receiving server learned about one message, and what it does with it."""

    spf: spf.SpfCheck
    dkim: tuple[dkim.Verification, ...]
    arc: arc.ArcValidation
    dmarc: DmarcEvaluation
    header: str
    """The ``Authentication-Results:`` field to put on top of the message (one line)."""
    trace: Trace = ()
    """The receiver's own steps after DMARC (the local ARC rule)."""

    @property
    def disposition(self) -> Disposition:
        """What happens to the message: none (deliver), quarantine (junk folder), reject."""
        return self.dmarc.disposition

    @property
    def delivered(self) -> bytes:
        """The Authentication-Results field as the first line, ready to prepend (CRLF)."""
        return self.header.encode("utf-8") + b"\r\n"


def check_inbound(
    message: bytes,
    *,
    client_ip: str,
    helo: str,
    mail_from: str,
    authserv_id: str,
    resolver: object | None = None,
    trusted_sealers: Iterable[str] = (),
    sample: float | random.Random | None = None,
    now: float | None = None,
) -> InboundCheck:
    """Check ``message`` as a receiving server does (see the module docstring).

    ``trusted_sealers`` are the domains (ARC sealers) whose ARC results this receiver accepts
    when DMARC fails; ``sample`` and ``now`` make ``pct`` and DKIM's clock repeatable.
    """
    spf_check = spf.check(client_ip, mail_from, helo, resolver=resolver, receiver=authserv_id)
    signatures = dkim.verify(message, resolver=resolver, now=now)
    chain = arc.validate(message, resolver=resolver, now=now)
    outcome = evaluate(
        message,
        spf=SpfInput.from_check(spf_check),
        dkim=signatures,
        resolver=resolver,
        sample=sample,
    )
    outcome, steps = _arc_override(outcome, chain, {d.lower() for d in trusted_sealers})
    header = authentication_results(outcome, authserv_id=authserv_id)
    if chain.result is not arc.ArcResult.NONE:
        header += f"; arc={chain.result.value}"
        if chain.instances and chain.instances[-1].domain:
            header += f" header.oldest-pass={chain.oldest_pass or 0}"
            header += f" smtp.remote-ip={value(client_ip)}"
    return InboundCheck(
        spf_check, signatures, chain, outcome, f"Authentication-Results: {header}", tuple(steps)
    )


def _arc_override(
    outcome: DmarcEvaluation, chain: arc.ArcValidation, trusted: set[str]
) -> tuple[DmarcEvaluation, list[Step]]:
    """DMARC's result, overridden for a trusted sealer's aligned DKIM pass (module docstring)."""
    if outcome.result is not DmarcResult.FAIL or chain.result is not arc.ArcResult.PASS:
        return outcome, []
    first = chain.instance(1)
    sealer = (chain.instances[-1].domain or "").lower()
    if sealer not in trusted:
        return outcome, [
            Step(TEXT["untrusted"].format(sealer=sealer), Outcome.INFO, "RFC 8617 §7.2")
        ]
    recorded = _DKIM_PASS.findall(first.results or "") if first else []
    mode = outcome.record.dkim_alignment if outcome.record else AlignmentMode.RELAXED
    aligned = [
        d for d in recorded if outcome.from_domain and is_aligned(d, outcome.from_domain, mode)
    ]
    if not aligned:
        return outcome, []
    step = Step(
        TEXT["override"].format(sealer=sealer, domain=aligned[0]), Outcome.OK, "RFC 7489 §7.2.1.2"
    )
    changed = dataclasses.replace(
        outcome,
        disposition=Disposition.NONE,
        override=PolicyOverride.TRUSTED_FORWARDER,
        trace=(*outcome.trace, step),
    )
    return changed, [step]
