"""Identifier alignment: does an authenticated domain match the From: domain? (RFC 7489 §3.1)

SPF and DKIM each authenticate *a* domain, but not necessarily the one a reader sees. SPF checks
the envelope sender (MAIL FROM, which bounces go to); DKIM checks the signing domain ``d=``. A
forger can pass both with their own domain while putting ``bank.example`` in From:. DMARC closes
that gap: a result counts only if it is a **pass** for a domain **aligned** with the From: domain.

Two modes, chosen by the domain owner with ``aspf=`` and ``adkim=``:

- relaxed (``r``, the default): both domains have the same organizational domain (§3.2), so
  ``bounces.example.com`` aligns with ``example.com`` and with ``news.example.com``;
- strict (``s``): the domains are the same (compared without case).

The identifiers (§3.1.1, §3.1.2, §4.1):

- DKIM: the ``d=`` of each signature that verified; every signature is tried, one aligned pass
  is enough.
- SPF: the domain of MAIL FROM that SPF checked. For a null sender (``MAIL FROM:<>``, bounces) SPF
  checks the HELO name instead (RFC 7208 §2.4), and that result is used: give
  ``scope="helo"`` only then.

The inputs are duck-typed so that simple objects serve as well as the course's own results:
:class:`SpfInput` (built from :func:`mailsec.spf.check`'s outcome by :meth:`SpfInput.from_check`)
and, for DKIM, anything with ``.result``, ``.domain`` and ``.selector``, such as the
:class:`~mailsec.dkim.result.Verification` objects :func:`mailsec.dkim.verify` returns.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from mailsec.dkim.result import DkimResult, format_step, make_step
from mailsec.dmarc.orgdomain import normalize_domain, organizational_domain
from mailsec.dmarc.record import AlignmentMode
from mailsec.errors import InputError, quoted
from mailsec.i18n import texts
from mailsec.spf.result import SpfCheck, SpfResult
from mailsec.trace import Outcome, Step

__all__ = [
    "DkimAlignment",
    "DkimLike",
    "SpfAlignment",
    "SpfInput",
    "SpfScope",
    "align_dkim",
    "align_spf",
    "is_aligned",
    "unaligned",
]

SPF_SECTION = "RFC 7489 §3.1.2"
DKIM_SECTION = "RFC 7489 §3.1.1"

MESSAGES = texts(
    {
        "spf_result": "{value} is not an SPF result: use one of {names} (RFC 7208 §2.6).",
        "dkim_result": "{value} is not a DKIM result: use one of {names} (RFC 8601 §2.7.1).",
        "scope": "{value} is not an SPF scope: use 'mailfrom' or 'helo'.",
        "domain": "The SPF domain must be text, not {kind}.",
    }
)

STEPS = texts(
    {
        "spf_missing": "SPF was not checked, so SPF cannot make DMARC pass.",
        "spf_not_pass": "SPF gave {result} for {domain}{helo}: only a pass can make DMARC pass.",
        "spf_aligned": "SPF passed for {domain}{helo}, which aligns with the From: domain "
        "{from_domain}: {why}.",
        "spf_unaligned": "SPF passed for {domain}{helo}, but that does not align with the From: "
        "domain {from_domain}: {why}.",
        "helo": " (the HELO name, as MAIL FROM was empty)",
        "dkim_missing": "The message has no DKIM signatures, so DKIM cannot make DMARC pass.",
        "dkim_no_domain": "DKIM signature {number} names no signing domain (result {result}): it "
        "cannot align.",
        "dkim_not_pass": "DKIM signature {number} by {domain} (selector {selector}) gave {result}: "
        "only a pass can make DMARC pass.",
        "dkim_aligned": "DKIM signature {number} by {domain} (selector {selector}) passed and aligns "
        "with the From: domain {from_domain}: {why}.",
        "dkim_unaligned": "DKIM signature {number} by {domain} (selector {selector}) passed, but "
        "{domain} does not align with the From: domain {from_domain}: {why}.",
        "strict_same": "strict alignment, and the domains are the same",
        "strict_differ": "strict alignment needs the very same domain",
        "relaxed_same": "relaxed alignment, and both belong to the organizational domain "
        "{organization}",
        "relaxed_differ": "relaxed alignment needs the same organizational domain, and "
        "{organization} is not {from_organization}",
        "not_domain": "{domain} is not a valid domain name",
    }
)


class SpfScope(str, enum.Enum):
    """Which identity SPF checked (RFC 7208 §2.3, §2.4)."""

    MAILFROM = "mailfrom"
    """The domain of the envelope sender (MAIL FROM): the one DMARC uses."""
    HELO = "helo"
    """The HELO/EHLO name: used by DMARC only when MAIL FROM was empty (a bounce)."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class SpfInput:
    """The SPF outcome DMARC needs: the result and the domain it is about.

    ``result`` and ``scope`` may be given as text (``"pass"``, ``"helo"``); they are read into
    :class:`~mailsec.spf.result.SpfResult` and :class:`SpfScope`, and anything else is refused.
    """

    result: SpfResult
    domain: str
    scope: SpfScope = SpfScope.MAILFROM

    def __post_init__(self) -> None:
        object.__setattr__(self, "result", _enum(SpfResult, self.result, "spf_result"))
        object.__setattr__(self, "scope", _enum(SpfScope, self.scope, "scope"))
        if not isinstance(self.domain, str):
            raise InputError(MESSAGES["domain"].format(kind=type(self.domain).__name__))

    @classmethod
    def from_check(cls, check: SpfCheck) -> SpfInput:
        """The input for the outcome of :func:`mailsec.spf.check` (or ``check_host``)."""
        return cls(check.result, check.domain, SpfScope(check.identity))


class DkimLike(Protocol):
    """What DMARC reads from one DKIM verification."""

    @property
    def result(self) -> object: ...
    @property
    def domain(self) -> str | None: ...
    @property
    def selector(self) -> str | None: ...


@dataclass(frozen=True)
class SpfAlignment:
    """The SPF identifier as DMARC saw it."""

    result: SpfResult
    domain: str
    scope: SpfScope
    aligned: bool
    """SPF passed and the domain aligns with the From: domain: SPF makes DMARC pass."""


@dataclass(frozen=True)
class DkimAlignment:
    """One DKIM signature as DMARC saw it."""

    result: DkimResult
    domain: str | None
    selector: str | None
    aligned: bool
    """The signature passed and its ``d=`` aligns with the From: domain: DKIM makes DMARC pass."""


E = TypeVar("E", bound=enum.Enum)


def _enum(kind: type[E], value: object, key: str) -> E:
    if isinstance(value, kind):
        return value
    try:
        return kind(str(value).lower())
    except ValueError:
        names = ", ".join(member.value for member in kind)
        raise InputError(MESSAGES[key].format(value=quoted(str(value)), names=names)) from None


def is_aligned(domain: str, from_domain: str, mode: AlignmentMode) -> bool:
    """Whether ``domain`` aligns with ``from_domain`` in ``mode`` (§3.1.1, §3.1.2).

    A name that is not a valid domain aligns with nothing.
    """
    return _why(domain, from_domain, mode)[0]


def _why(domain: str, from_domain: str, mode: AlignmentMode) -> tuple[bool, str]:
    """Whether the domains align, and why, in words for the trace."""
    try:
        name, author = normalize_domain(domain), normalize_domain(from_domain)
    except InputError:
        return False, STEPS["not_domain"].format(domain=quoted(domain))
    if mode is AlignmentMode.STRICT:
        same = name == author
        return same, STEPS["strict_same" if same else "strict_differ"]
    organization, from_organization = organizational_domain(name), organizational_domain(author)
    if organization == from_organization:
        return True, STEPS["relaxed_same"].format(organization=organization)
    why = STEPS["relaxed_differ"].format(
        organization=organization, from_organization=from_organization
    )
    return False, why


def align_spf(
    spf: SpfInput | None, from_domain: str, mode: AlignmentMode
) -> tuple[SpfAlignment | None, Step]:
    """The SPF identifier checked against the From: domain, with the step that says so."""
    if spf is None:
        return None, make_step(STEPS["spf_missing"], Outcome.INFO, SPF_SECTION)
    helo = STEPS["helo"] if spf.scope is SpfScope.HELO else ""
    values = {"domain": spf.domain or "(empty)", "helo": helo, "from_domain": from_domain}
    if spf.result is not SpfResult.PASS:
        step = format_step(
            STEPS["spf_not_pass"], Outcome.INFO, SPF_SECTION, {"result": spf.result, **values}
        )
        return SpfAlignment(spf.result, spf.domain, spf.scope, False), step
    aligned, why = _why(spf.domain, from_domain, mode)
    key, outcome = ("spf_aligned", Outcome.OK) if aligned else ("spf_unaligned", Outcome.WARN)
    step = format_step(STEPS[key], outcome, SPF_SECTION, {"why": why, **values})
    return SpfAlignment(spf.result, spf.domain, spf.scope, aligned), step


def align_dkim(
    signatures: Iterable[DkimLike], from_domain: str, mode: AlignmentMode
) -> tuple[tuple[DkimAlignment, ...], tuple[Step, ...]]:
    """Each DKIM signature checked against the From: domain, with a step for each."""
    found: list[DkimAlignment] = []
    steps: list[Step] = []
    for number, signature in enumerate(signatures, start=1):
        result = _enum(DkimResult, signature.result, "dkim_result")
        domain, selector = signature.domain, signature.selector
        values: dict[str, object] = {"number": number, "result": result, "from_domain": from_domain}
        if not domain:
            steps.append(format_step(STEPS["dkim_no_domain"], Outcome.INFO, DKIM_SECTION, values))
            found.append(DkimAlignment(result, None, selector, False))
            continue
        values.update(domain=domain, selector=selector or "(none)")
        if result is not DkimResult.PASS:
            steps.append(format_step(STEPS["dkim_not_pass"], Outcome.INFO, DKIM_SECTION, values))
            found.append(DkimAlignment(result, domain, selector, False))
            continue
        aligned, why = _why(domain, from_domain, mode)
        key, outcome = ("dkim_aligned", Outcome.OK) if aligned else ("dkim_unaligned", Outcome.WARN)
        steps.append(format_step(STEPS[key], outcome, DKIM_SECTION, {"why": why, **values}))
        found.append(DkimAlignment(result, domain, selector, aligned))
    if not found:
        steps.append(make_step(STEPS["dkim_missing"], Outcome.INFO, DKIM_SECTION))
    return tuple(found), tuple(steps)


def unaligned(
    spf: SpfInput | None, signatures: Iterable[DkimLike]
) -> tuple[SpfAlignment | None, tuple[DkimAlignment, ...]]:
    """The SPF and DKIM outcomes carried along, none aligned, when no alignment was checked
    (no author domain, or no DMARC record)."""
    spf_outcome = None if spf is None else SpfAlignment(spf.result, spf.domain, spf.scope, False)
    dkim_outcomes = tuple(
        DkimAlignment(
            _enum(DkimResult, s.result, "dkim_result"), s.domain or None, s.selector, False
        )
        for s in signatures
    )
    return spf_outcome, dkim_outcomes
