"""Which control stopped, noticed, passed or never saw a scenario: one rule per control.

A scenario collects :class:`Facts` while it runs -- ISP A's edge decisions, example.com's MX
checks, where the message landed, what Bob's S/MIME client made of it, what an eavesdropper
read -- and :func:`judge` turns them into one :class:`~mailsec.mailsystem.timeline.Verdict` per
control. The rules are here and nowhere else, so the sequence diagram, the defence matrix and
the tests cannot disagree.

A control that is switched off is ``off`` whatever happened. Otherwise:

========  ===========================================================================
OP25B     stopped: ISP A's edge dropped a port-25 connection; passed: the edge let a
          connection through (587 is not blocked); blind: no connection from ISP A
SPF       passed: spf=pass; noticed: fail or softfail (recorded; DMARC decides)
DKIM      passed: a signature verified; noticed: a signature failed; blind: none
DMARC     stopped: reject; noticed: quarantine, p=none fail, or an ARC override;
          passed: dmarc=pass
ARC       passed: a trusted sealer's chain validated (and vouched); noticed: chain
          failed; blind: no ARC sets
TLS       stopped: the eavesdropper or the stripper got no password; passed: a read
          over TLS; blind: no retrieval
S/MIME    stopped: no key, no content; noticed: the signature failed; passed: valid
========  ===========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mailsec import arc, dkim
from mailsec.dmarc.receiver import InboundCheck
from mailsec.dmarc.result import Disposition, DmarcResult, PolicyOverride
from mailsec.i18n import texts
from mailsec.mailsystem.plan import Defences
from mailsec.mailsystem.reader import Opened, Opening
from mailsec.mailsystem.timeline import Control, Mark, Verdict
from mailsec.op25b.rules import Decision, Ruling
from mailsec.spf.result import SpfResult
from mailsec.trace import Outcome

__all__ = ["ORDER", "Facts", "judge"]

ORDER = (Control.OP25B, Control.DMARC, Control.TLS, Control.SMIME, Control.SPF, Control.DKIM,
         Control.ARC)  # fmt: skip
"""The order controls act in along the way: the first that stopped an attack is credited."""

TEXT = texts(
    {
        "off": "switched off in this system",
        "edge_dropped": "ISP A's edge dropped the port-25 connection from its dynamic pool",
        "edge_passed": "ISP A's edge let the connection through: {reason}",
        "edge_blind": "no connection left ISP A's network on port 25",
        "no_check": "the message never reached example.com's MX",
        "spf": "spf={result} for {domain} from {ip}",
        "dkim_pass": "dkim=pass for d={domain}",
        "dkim_fail": "dkim={result} for d={domain}: {why}",
        "dkim_none": "the message carried no DKIM signature",
        "dmarc": "dmarc={result} for From: {domain}; what the MX does: {disposition}",
        "dmarc_override": "dmarc=fail, but a trusted ARC sealer vouched: delivered (local policy)",
        "arc_none": "no ARC sets on the message",
        "arc": "arc={result}",
        "arc_vouched": "arc=pass: lists.example's seal vouches that DKIM passed before the list "
        "changed the message",
        "tls_stopped": "the wiretap read no password: {why}",
        "tls_captured": "the password was read off the wire",
        "tls_read": "Bob read his mail over TLS",
        "tls_blind": "no mail was read in this scenario",
        "smime_blind": "no S/MIME message was opened",
    }
)
"""Each verdict's reason (see :mod:`mailsec.i18n`); the result words (``spf=fail``) are
RFC 8601's tokens and stay as they are in every language."""


@dataclass
class Facts:
    """What a scenario saw, filled in as it runs."""

    edge: list[Ruling] = field(default_factory=list)
    checks: list[InboundCheck] = field(default_factory=list)
    landed: str | None = None
    """``INBOX`` or ``Junk`` when the message reached Bob's mailbox."""
    opening: Opening | None = None
    read_over_tls: bool = False
    captured: bool | None = None
    """Whether an eavesdropper got a password (None: no eavesdropper)."""
    wiretap: str = ""
    """What the eavesdropper saw, in one sentence."""
    bounced: bool = False
    final: str = ""
    """What happened in the end, in one sentence."""


def _op25b(defences: Defences, facts: Facts) -> Verdict:
    dropped = [r for r in facts.edge if r.decision is Decision.DROPPED]
    if dropped:
        return Verdict(Control.OP25B, Mark.STOPPED, TEXT["edge_dropped"], dropped[0].section)
    if facts.edge:
        reason = TEXT["edge_passed"].format(reason=facts.edge[0].reason)
        return Verdict(Control.OP25B, Mark.PASSED, reason, facts.edge[0].section)
    return Verdict(Control.OP25B, Mark.BLIND, TEXT["edge_blind"])


def _spf(check: InboundCheck) -> Verdict:
    result = check.spf.result
    text = TEXT["spf"].format(result=result.value, domain=check.spf.domain, ip=check.spf.client_ip)
    if result is SpfResult.PASS:
        return Verdict(Control.SPF, Mark.PASSED, text, "RFC 7208 §2.6.3")
    if result in (SpfResult.FAIL, SpfResult.SOFTFAIL):
        return Verdict(Control.SPF, Mark.NOTICED, text, "RFC 7208 §8.4")
    return Verdict(Control.SPF, Mark.BLIND, text, "RFC 7208 §2.6")


def _dkim(check: InboundCheck) -> Verdict:
    if not check.dkim:
        return Verdict(Control.DKIM, Mark.BLIND, TEXT["dkim_none"])
    failed = [v for v in check.dkim if v.result is not dkim.DkimResult.PASS]
    passed = [v for v in check.dkim if v.result is dkim.DkimResult.PASS]
    if failed:
        v = failed[0]
        why = next((s.text for s in v.trace if s.outcome is Outcome.FAIL), v.result.meaning)
        text = TEXT["dkim_fail"].format(result=v.result.value, domain=v.domain, why=why)
        return Verdict(Control.DKIM, Mark.NOTICED, text, "RFC 6376 §6.1")
    text = TEXT["dkim_pass"].format(domain=passed[0].domain)
    return Verdict(Control.DKIM, Mark.PASSED, text, "RFC 6376 §6.3")


def _dmarc(check: InboundCheck) -> Verdict:
    d = check.dmarc
    if d.override is PolicyOverride.TRUSTED_FORWARDER:
        return Verdict(Control.DMARC, Mark.NOTICED, TEXT["dmarc_override"], "RFC 7489 §7.2.1.2")
    text = TEXT["dmarc"].format(
        result=d.result.value, domain=d.from_domain, disposition=d.disposition.value
    )
    if d.disposition is Disposition.REJECT:
        return Verdict(Control.DMARC, Mark.STOPPED, text, "RFC 7489 §6.6.4")
    if d.result is DmarcResult.FAIL:
        return Verdict(Control.DMARC, Mark.NOTICED, text, "RFC 7489 §6.6.4")
    if d.result is DmarcResult.PASS:
        return Verdict(Control.DMARC, Mark.PASSED, text, "RFC 7489 §4.2")
    return Verdict(Control.DMARC, Mark.BLIND, text, "RFC 7489 §6.6.3")


def _arc(check: InboundCheck) -> Verdict:
    chain = check.arc
    if chain.result is arc.ArcResult.NONE:
        return Verdict(Control.ARC, Mark.BLIND, TEXT["arc_none"], "RFC 8617 §5.2")
    if check.dmarc.override is PolicyOverride.TRUSTED_FORWARDER:
        return Verdict(Control.ARC, Mark.PASSED, TEXT["arc_vouched"], "RFC 8617 §7.2")
    text = TEXT["arc"].format(result=chain.result.value)
    mark = Mark.PASSED if chain.result is arc.ArcResult.PASS else Mark.NOTICED
    return Verdict(Control.ARC, mark, text, "RFC 8617 §5.2")


def _tls(facts: Facts) -> Verdict:
    if facts.captured is True:
        return Verdict(Control.TLS, Mark.PASSED, TEXT["tls_captured"], "RFC 8314 §4.1")
    if facts.captured is False:
        text = TEXT["tls_stopped"].format(why=facts.wiretap)
        return Verdict(Control.TLS, Mark.STOPPED, text, "RFC 8314 §3")
    if facts.read_over_tls:
        return Verdict(Control.TLS, Mark.PASSED, TEXT["tls_read"], "RFC 8314 §3")
    return Verdict(Control.TLS, Mark.BLIND, TEXT["tls_blind"])


def _smime(facts: Facts) -> Verdict:
    opening = facts.opening
    if opening is None or opening.result is Opened.PLAIN:
        return Verdict(Control.SMIME, Mark.BLIND, TEXT["smime_blind"])
    mark = {
        Opened.VALID: Mark.PASSED,
        Opened.BAD_SIGNATURE: Mark.NOTICED,
        Opened.NO_KEY: Mark.STOPPED,
        Opened.ENCRYPTED_UNSIGNED: Mark.PASSED,
    }[opening.result]
    return Verdict(Control.SMIME, mark, opening.reason, "RFC 8551 §3")


_SWITCHES = {
    Control.OP25B: "op25b",
    Control.SPF: "spf",
    Control.DKIM: "dkim",
    Control.DMARC: "dmarc",
    Control.ARC: "arc",
    Control.TLS: "tls",
    Control.SMIME: "smime",
}


def _is_on(defences: Defences, control: Control) -> bool:
    value = getattr(defences, _SWITCHES[control])
    return value != "off" if isinstance(value, str) else bool(value)


def verdicts(defences: Defences, facts: Facts) -> tuple[Verdict, ...]:
    """One verdict per control, in :class:`Control`'s order."""
    check = facts.checks[-1] if facts.checks else None
    found: list[Verdict] = []
    for control in Control:
        if not _is_on(defences, control):
            found.append(Verdict(control, Mark.OFF, TEXT["off"]))
        elif control is Control.OP25B:
            found.append(_op25b(defences, facts))
        elif control is Control.TLS:
            found.append(_tls(facts))
        elif control is Control.SMIME:
            found.append(_smime(facts))
        elif check is None:
            found.append(Verdict(control, Mark.BLIND, TEXT["no_check"]))
        else:
            rule = {Control.SPF: _spf, Control.DKIM: _dkim, Control.DMARC: _dmarc,
                    Control.ARC: _arc}[control]  # fmt: skip
            found.append(rule(check))
    return tuple(found)


def judge(
    defences: Defences, facts: Facts, *, attack: bool, arrived: bool
) -> tuple[tuple[Verdict, ...], bool, Control | None]:
    """The verdicts, whether the scenario was defended, and the control that stopped it.

    An attack is defended when a control stopped it. Legitimate mail is defended when it
    ``arrived`` (the scenario says what arriving means); the control that stopped it, if any,
    stopped it wrongly.
    """
    found = verdicts(defences, facts)
    by_control = {v.control: v for v in found}
    stopper = next((c for c in ORDER if by_control[c].mark is Mark.STOPPED), None)
    defended = stopper is not None if attack else arrived
    return found, defended, stopper
