"""DMARC for one message, step by step, as a receiver does it (RFC 7489 §6.6).

The receiver has already checked SPF (during the SMTP session) and DKIM (on the message); DMARC
puts the two together with the From: field people read:

1. **Author domain** (§6.6.1): the domain of the single From: address. No such domain is a
   ``permerror`` with the disposition ``reject`` (see :mod:`~mailsec.dmarc.author`).
2. **Organizational domain** (§3.2), from the Public Suffix List.
3. **Policy discovery** (§6.6.3): the record at ``_dmarc.<From: domain>``, else at
   ``_dmarc.<organizational domain>``. None (or several at one name) → ``none``; a DNS failure →
   ``temperror``; a record whose policy cannot be used → ``permerror``. No policy applies then.
4. **Alignment** (§3.1): SPF's domain and every DKIM ``d=`` that passed are compared with the
   From: domain, relaxed or strict as ``aspf``/``adkim`` say.
5. **Result** (§6.6.2): one aligned pass is enough for ``pass``; otherwise ``fail``.
6. **Disposition** (§6.6.4): for a fail, the policy: ``p``, or ``sp`` when the From: domain is a
   subdomain of the domain whose record applied. ``pct`` applies it to that share of failing
   messages only; a message left out gets the next weaker policy (reject → quarantine,
   quarantine → none). Which messages are left out is decided by comparing a number in [0, 1)
   with ``pct/100``: pass ``sample=`` (that number, or a seeded ``random.Random``) to make it
   repeatable.

Not done here: the §6.7 advice to reject mail whose From: domain does not exist in DNS, and local
policy overrides (forwarders, mailing lists), which are a receiver's own choice.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from mailsec.dkim.result import make_step
from mailsec.dmarc import orgdomain
from mailsec.dmarc.alignment import (
    DkimAlignment,
    DkimLike,
    SpfAlignment,
    SpfInput,
    align_dkim,
    align_spf,
    unaligned,
)
from mailsec.dmarc.author import author_domain
from mailsec.dmarc.discovery import Discovery, DiscoveryStatus, discover, record_name
from mailsec.dmarc.record import DmarcRecord, Policy
from mailsec.dmarc.result import Disposition, DmarcEvaluation, DmarcResult, PolicyOverride
from mailsec.errors import InputError, quoted
from mailsec.i18n import texts
from mailsec.trace import Outcome, Step

__all__ = ["check_sample", "evaluate", "evaluate_domain"]

MESSAGES = texts(
    {
        "sample": "sample must be a number from 0 up to (not including) 1, or a random.Random, "
        "not {value}.",
        "spf": "spf must be an SpfInput (or None when SPF was not checked), not {kind}; build one "
        "with SpfInput(result, domain) or SpfInput.from_check(check).",
    }
)

STEPS = texts(
    {
        "from": "The From: address is {address}; the author domain is {domain}.",
        "organization": "The organizational domain of {domain} is {organization}: the public suffix "
        "{suffix} and one label more.",
        "suffix": "{domain} is itself a public suffix, so it is taken as its own organizational "
        "domain.",
        "policy_p": "The record at {name} asks for p={policy} for mail from {domain}.",
        "policy_sp": "{domain} is a subdomain of {record_domain}, where the record is, so the "
        "subdomain policy applies: {policy}{implicit}.",
        "implicit": " (the record has no sp=, so p= covers subdomains too)",
        "pass": "At least one aligned identifier passed: DMARC passes.",
        "fail": "No SPF or DKIM pass for a domain aligned with {domain}: DMARC fails.",
        "deliver_pass": "The message passed, so no policy applies: it is delivered as usual.",
        "deliver_none": "p=none asks only for reports: the message is delivered as usual.",
        "full": "pct={pct}: the policy applies to every failing message; disposition {disposition}.",
        "sampled_in": "pct={pct}: this message is among those the policy applies to (sample "
        "{sample:.3f} < {share:.2f}); disposition {disposition}.",
        "sampled_out": "pct={pct}: this message is left out of the policy (sample {sample:.3f} "
        "≥ {share:.2f}), so the next weaker policy applies; disposition {disposition}.",
        "not_applied": "No DMARC policy applies; the message is delivered as usual.",
    }
)

REASONS = texts(
    {
        "pass": "DMARC passed: {via} for a domain aligned with the From: domain {domain}.",
        "via_spf": "SPF passed",
        "via_dkim": "a DKIM signature passed",
        "via_both": "SPF and a DKIM signature passed",
        "fail": "DMARC failed: neither SPF nor DKIM passed for a domain aligned with the From: "
        "domain {domain}. Its policy is {policy}; {action}.",
        "action_none": "that asks only for reports, so the message is delivered",
        "action_quarantine": "the message is quarantined",
        "action_reject": "the message is rejected",
        "action_out": "pct={pct} left this message out of the policy, so it gets the weaker "
        "disposition {disposition}",
        "none": "{domain} publishes no DMARC record{organization}, so DMARC does not apply.",
        "organization": ", nor does its organizational domain {organization}",
        "multiple": "{name} has several DMARC records; with more than one, DMARC does not apply "
        "(RFC 7489 §6.6.3).",
        "temperror": "DNS did not answer for {name} ({detail}); DMARC could not be checked. Try "
        "again later.",
        "permerror": "The DMARC record at {name} cannot be used: {problem}",
    }
)

SECTIONS = {
    "author": "RFC 7489 §6.6.1",
    "organization": "RFC 7489 §3.2",
    "policy": "RFC 7489 §6.3",
    "result": "RFC 7489 §6.6.2",
    "sampling": "RFC 7489 §6.6.4",
}


def evaluate(
    message: bytes,
    *,
    spf: SpfInput | None,
    dkim: Sequence[DkimLike],
    resolver: object | None = None,
    sample: float | random.Random | None = None,
) -> DmarcEvaluation:
    """Evaluate DMARC for ``message`` given the SPF and DKIM outcomes.

    ``spf`` is an :class:`~mailsec.dmarc.alignment.SpfInput` (None when SPF was not checked);
    ``dkim`` the verifications of the message's DKIM signatures, anything with ``.result``,
    ``.domain`` and ``.selector`` (such as what :func:`mailsec.dkim.verify` returns).
    ``resolver`` is a ``dns.resolver.Resolver``, the offline
    :class:`~mailsec.spf.zone.ZoneResolver`, or None for the system's DNS. ``sample`` decides
    ``pct`` sampling: a number in [0, 1), a ``random.Random``, or None for ``random.random()``.

    Raises :class:`~mailsec.errors.InputError` only for a message that cannot be read at all or
    for wrong arguments; every outcome of DMARC is a result.
    """
    _check_arguments(spf, sample)
    author = author_domain(message)
    if author.domain is None:
        problem = author.problem or ""
        step = Step(problem, Outcome.FAIL, SECTIONS["author"])
        return _without_policy(
            DmarcResult.PERMERROR, Disposition.REJECT, problem, [step], spf, dkim
        )
    address = author.addresses[0] if author.addresses else author.domain
    first = make_step(
        STEPS["from"], Outcome.INFO, SECTIONS["author"], address=address, domain=author.domain
    )
    return _evaluate(author.domain, spf, dkim, resolver, sample, [first])


def evaluate_domain(
    from_domain: str,
    *,
    spf: SpfInput | None,
    dkim: Sequence[DkimLike],
    resolver: object | None = None,
    sample: float | random.Random | None = None,
) -> DmarcEvaluation:
    """Evaluate DMARC for a message whose From: domain is ``from_domain`` (for labs that start
    from a domain rather than a message). The arguments are those of :func:`evaluate`."""
    _check_arguments(spf, sample)
    return _evaluate(orgdomain.normalize_domain(from_domain), spf, dkim, resolver, sample, [])


def _check_arguments(spf: object, sample: object) -> None:
    if spf is not None and not isinstance(spf, SpfInput):
        raise InputError(MESSAGES["spf"].format(kind=type(spf).__name__))
    check_sample(sample)


def check_sample(sample: object) -> None:
    """Refuse a ``sample`` that :func:`evaluate` cannot use: it must be None, a
    ``random.Random``, or a number at least 0 and below 1."""
    if sample is None or isinstance(sample, random.Random):
        return
    if isinstance(sample, bool) or not isinstance(sample, int | float) or not 0 <= sample < 1:
        raise InputError(MESSAGES["sample"].format(value=quoted(repr(sample))))


def _evaluate(
    domain: str,
    spf: SpfInput | None,
    dkim: Sequence[DkimLike],
    resolver: object | None,
    sample: float | random.Random | None,
    steps: list[Step],
) -> DmarcEvaluation:
    organization = orgdomain.organizational_domain(domain)
    suffix = orgdomain.public_suffix(domain)
    key = "suffix" if suffix == domain else "organization"
    steps.append(
        make_step(
            STEPS[key],
            Outcome.INFO,
            SECTIONS["organization"],
            domain=domain,
            organization=organization,
            suffix=suffix,
        )
    )
    found = discover(domain, organization, resolver=resolver)
    steps.extend(found.trace)
    common = {"from_domain": domain, "organizational_domain": organization}
    if found.status is not DiscoveryStatus.FOUND or found.record is None:
        steps.append(make_step(STEPS["not_applied"], Outcome.INFO, SECTIONS["result"]))
        result, reason = _unusable(found, domain, organization)
        return _without_policy(
            result, Disposition.NONE, reason, steps, spf, dkim, record_domain=found.domain, **common
        )
    record, record_domain = found.record, found.domain or domain
    subdomain = record_domain != domain
    policy = record.effective_subdomain_policy if subdomain else record.policy
    steps.append(_policy_step(record, record_domain, domain, subdomain, policy))
    spf_alignment, spf_step = align_spf(spf, domain, record.spf_alignment)
    dkim_alignments, dkim_steps = align_dkim(dkim, domain, record.dkim_alignment)
    steps.append(spf_step)
    steps.extend(dkim_steps)
    passed = (spf_alignment is not None and spf_alignment.aligned) or any(
        signature.aligned for signature in dkim_alignments
    )
    if passed:
        steps.append(make_step(STEPS["pass"], Outcome.OK, SECTIONS["result"]))
        steps.append(make_step(STEPS["deliver_pass"], Outcome.INFO, SECTIONS["sampling"]))
        disposition, override = Disposition.NONE, None
        reason = REASONS["pass"].format(via=_via(spf_alignment, dkim_alignments), domain=domain)
    else:
        steps.append(make_step(STEPS["fail"], Outcome.FAIL, SECTIONS["result"], domain=domain))
        disposition, override, step = _dispose(policy, record.percent, sample)
        steps.append(step)
        reason = _fail_reason(domain, policy, disposition, override, record.percent)
    return DmarcEvaluation(
        result=DmarcResult.PASS if passed else DmarcResult.FAIL,
        policy=policy,
        disposition=disposition,
        record=record,
        record_domain=record_domain,
        spf=spf_alignment,
        dkim=dkim_alignments,
        reason=reason,
        trace=tuple(steps),
        subdomain_policy=subdomain,
        override=override,
        **common,
    )


def _without_policy(
    result: DmarcResult,
    disposition: Disposition,
    reason: str,
    steps: list[Step],
    spf: SpfInput | None,
    dkim: Sequence[DkimLike],
    *,
    from_domain: str | None = None,
    organizational_domain: str | None = None,
    record_domain: str | None = None,
) -> DmarcEvaluation:
    """An evaluation in which no policy applied: the SPF and DKIM outcomes are carried along,
    none of them checked for alignment."""
    spf_outcome, dkim_outcomes = unaligned(spf, dkim)
    return DmarcEvaluation(
        result=result,
        policy=None,
        disposition=disposition,
        from_domain=from_domain,
        organizational_domain=organizational_domain,
        record=None,
        record_domain=record_domain,
        spf=spf_outcome,
        dkim=dkim_outcomes,
        reason=reason,
        trace=tuple(steps),
    )


def _policy_step(
    record: DmarcRecord, record_domain: str, domain: str, subdomain: bool, policy: Policy
) -> Step:
    if not subdomain:
        return make_step(
            STEPS["policy_p"],
            Outcome.INFO,
            SECTIONS["policy"],
            name=record_name(record_domain),
            policy=policy,
            domain=domain,
        )
    implicit = STEPS["implicit"] if record.subdomain_policy is None else ""
    return make_step(
        STEPS["policy_sp"],
        Outcome.INFO,
        SECTIONS["policy"],
        domain=domain,
        record_domain=record_domain,
        policy=policy,
        implicit=implicit,
    )


def _dispose(
    policy: Policy, percent: int, sample: float | random.Random | None
) -> tuple[Disposition, PolicyOverride | None, Step]:
    """The disposition of a failing message under ``policy`` and ``pct`` (§6.6.4)."""
    section = SECTIONS["sampling"]
    if policy is Policy.NONE:
        return Disposition.NONE, None, make_step(STEPS["deliver_none"], Outcome.INFO, section)
    if percent >= 100:
        disposition = Disposition(policy.value)
        step = make_step(STEPS["full"], Outcome.FAIL, section, pct=percent, disposition=disposition)
        return disposition, None, step
    share = percent / 100
    drawn = _draw(sample)
    if drawn < share:
        disposition = Disposition(policy.value)
        step = make_step(
            STEPS["sampled_in"],
            Outcome.FAIL,
            section,
            pct=percent,
            sample=drawn,
            share=share,
            disposition=disposition,
        )
        return disposition, None, step
    disposition = Disposition(policy.weaker.value)
    step = make_step(
        STEPS["sampled_out"],
        Outcome.WARN,
        section,
        pct=percent,
        sample=drawn,
        share=share,
        disposition=disposition,
    )
    return disposition, PolicyOverride.SAMPLED_OUT, step


def _draw(sample: float | random.Random | None) -> float:
    if sample is None:
        return random.random()
    if isinstance(sample, random.Random):
        return sample.random()
    return float(sample)


def _via(spf: SpfAlignment | None, dkim: tuple[DkimAlignment, ...]) -> str:
    by_spf = spf is not None and spf.aligned
    by_dkim = any(signature.aligned for signature in dkim)
    return REASONS["via_both" if by_spf and by_dkim else "via_spf" if by_spf else "via_dkim"]


def _fail_reason(
    domain: str,
    policy: Policy,
    disposition: Disposition,
    override: PolicyOverride | None,
    percent: int,
) -> str:
    if override is PolicyOverride.SAMPLED_OUT:
        action = REASONS["action_out"].format(pct=percent, disposition=disposition)
    else:
        action = REASONS[f"action_{disposition.value}"]
    return REASONS["fail"].format(domain=domain, policy=policy, action=action)


def _unusable(found: Discovery, domain: str, organization: str) -> tuple[DmarcResult, str]:
    """The result and reason when discovery gave no usable record."""
    name = record_name(found.domain or domain)
    if found.status is DiscoveryStatus.TEMPERROR:
        return DmarcResult.TEMPERROR, REASONS["temperror"].format(
            name=name, detail=found.problem or ""
        )
    if found.status is DiscoveryStatus.INVALID:
        return DmarcResult.PERMERROR, REASONS["permerror"].format(
            name=name, problem=found.problem or ""
        )
    if found.status is DiscoveryStatus.MULTIPLE:
        return DmarcResult.NONE, REASONS["multiple"].format(name=name)
    org = (
        REASONS["organization"].format(organization=organization) if organization != domain else ""
    )
    return DmarcResult.NONE, REASONS["none"].format(domain=domain, organization=org)
