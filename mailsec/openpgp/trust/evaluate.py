"""The calculation of GnuPG's classic trust model over a :class:`~mailsec.openpgp.trust.WebOfTrust`.

:func:`evaluate` runs the rounds of ``validate_keys`` (GnuPG ``g10/trustdb.c``, described in
:mod:`mailsec.openpgp.trust`) and returns a :class:`TrustResult`: one :class:`KeyValidity` per key,
with what each certification contributed and an explanation trace.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.openpgp.trust.graph import (
    CERT_SECTION,
    EXPIRY_SECTION,
    REVOKE_SECTION,
    Certification,
    OwnerTrust,
    TrustKey,
    TrustPolicy,
    Validity,
    WebOfTrust,
    gnupg_depth,
    gnupg_model,
    gnupg_options,
)
from mailsec.trace import Outcome, Step, Trace

__all__ = ["CertificationResult", "CertificationUse", "KeyValidity", "TrustResult", "evaluate"]

TEXT = texts(
    {
        "no_such_key": "There is no key named {name!r} in this result.",
        "key_revoked": "{name}'s key is revoked: it is never valid and its certifications do "
        "not count.",
        "key_expired": "{name}'s key has expired: it is not valid and its certifications do not "
        "count until its owner extends it.",
        "own_keys": "Path length 0: your own key(s) {names} are valid (ultimate trust).",
        "own_key_gone": "Your own key is revoked or expired, so there is no starting point: no "
        "key can be valid until you extend it, or make a new key and certify the others again.",
        "no_ultimate": "No key has ultimate owner trust, so there is no starting point: no key "
        "can be valid. Mark your own key as 'ultimate'.",
        "summary_item": "{name} {validity}",
        "round": "Path length {length}: keys certified by {introducers}: {summary}.",
        "stopped": "Stopped at path length {depth}: certifications by {introducers} would lead "
        "further than the maximum depth.",
        "policy": "Policy: a key is valid with {completes} complete or {marginals} marginal "
        "certification(s), at most {depth} certifications away from one of your own keys.",
        "valid_keys": "Valid keys: {names}.",
        "none": "none",
        # Between the names of a list (", " in English).
        "sep": ", ",
        "certified_by": "Certified by {signer}: {why}",
        "use_revoked": "{signer} revoked this certification.",
        "use_signee_revoked": "{name}'s key is revoked.",
        "use_signer_revoked": "{signer}'s key is revoked.",
        "use_signee_expired": "{name}'s key has expired.",
        "use_signer_expired": "{signer}'s key has expired.",
        "use_not_valid": "{signer}'s own key is not fully valid, and only fully valid keys "
        "introduce others.",
        "use_too_deep": "{signer} is valid only at path length {round}; going one more step "
        "would pass the maximum depth of {depth}.",
        "use_not_needed": "{name} was already fully valid before {signer}'s key was.",
        "use_ultimate": "{signer} is your own key: enough on its own.",
        "use_complete": "{signer}'s key is valid and you trust {signer} fully: one complete.",
        "use_marginal": "{signer}'s key is valid and you trust {signer} marginally: one marginal.",
        "use_untrusted": "{signer}'s key is valid, but your owner trust in {signer} is "
        "'{trust}', so the certification counts for nothing.",
        "head_revoked": "{name}: revoked, never valid.",
        "head_expired": "{name}: expired, not valid until its owner extends it.",
        "head_ultimate": "{name}: your own key (ultimate trust), valid.",
        "head_full": "{name}: valid at path length {length} ({counts}).",
        "head_marginal": "{name}: marginal, not valid ({counts}).",
        "head_undefined": "{name}: undefined, not valid: certified by valid keys whose owners "
        "you do not trust to check keys.",
        "head_unknown_certified": "{name}: unknown, not valid: no certification comes from a "
        "fully valid key.",
        "head_unknown_alone": "{name}: unknown, not valid: nobody has certified this key.",
        "counts": "{completes} of {completes_needed} complete, {marginals} of "
        "{marginals_needed} marginal",
    }
)
"""The calculation's explanations (see :mod:`mailsec.i18n`)."""


class CertificationUse(enum.Enum):
    """What one certification contributed to the signee's validity, and why."""

    ULTIMATE = "ultimate"
    """Made by one of your own keys: enough on its own."""
    COMPLETE = "complete"
    """Made by a fully valid key whose owner you trust fully: one complete."""
    MARGINAL = "marginal"
    """Made by a fully valid key whose owner you trust marginally: one marginal."""
    UNTRUSTED_OWNER = "untrusted-owner"
    """Made by a fully valid key, but you do not trust its owner to check keys."""
    SIGNER_NOT_VALID = "signer-not-valid"
    """The signer's own key is not fully valid, so it introduces nobody."""
    TOO_DEEP = "too-deep"
    """The signer is valid, but only at the longest allowed path length."""
    NOT_NEEDED = "not-needed"
    """The signee was already fully valid before this signer's round."""
    SIGNER_REVOKED = "signer-revoked"
    """The signer's key is revoked."""
    REVOKED = "revoked"
    """The signer revoked this certification."""
    SIGNEE_REVOKED = "signee-revoked"
    """The key it certifies is revoked; no certification can make it valid."""
    SIGNER_EXPIRED = "signer-expired"
    """The signer's key has expired."""
    SIGNEE_EXPIRED = "signee-expired"
    """The key it certifies has expired; no certification can make it valid."""

    @property
    def counted(self) -> bool:
        return self in (
            CertificationUse.ULTIMATE,
            CertificationUse.COMPLETE,
            CertificationUse.MARGINAL,
        )


@dataclass(frozen=True)
class CertificationResult:
    """One certification and what it did."""

    signer: str
    signee: str
    use: CertificationUse
    explanation: str


@dataclass(frozen=True)
class KeyValidity:
    """The calculated validity of one key, and why."""

    name: str
    owner_trust: OwnerTrust
    validity: Validity
    path_length: int | None
    """Certifications between one of your own keys and this one (0 for your own), when reached."""
    completes: int
    marginals: int
    certifications: tuple[CertificationResult, ...]
    steps: Trace = field(default=())

    @property
    def is_valid(self) -> bool:
        return self.validity.is_valid

    @property
    def introduces(self) -> bool:
        """Whether this key's certifications can count for others (valid and owner trusted)."""
        return self.validity.is_valid and self.owner_trust in (
            OwnerTrust.MARGINAL,
            OwnerTrust.FULL,
            OwnerTrust.ULTIMATE,
        )


@dataclass(frozen=True)
class TrustResult:
    """Validity of every key of a :class:`WebOfTrust` under a :class:`TrustPolicy`."""

    web: WebOfTrust
    policy: TrustPolicy
    keys: tuple[KeyValidity, ...]
    steps: Trace

    def __getitem__(self, name: str) -> KeyValidity:
        for key in self.keys:
            if key.name == name:
                return key
        raise InputError(TEXT["no_such_key"].format(name=name))

    def validity(self, name: str) -> Validity:
        return self[name].validity

    @property
    def valid_names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys if k.is_valid)


# -- the calculation --------------------------------------------------------------------------
#
# The calculation runs in the order of the module docstring's outline, one function a step:
# revoked and expired keys are set aside, your own keys start at path length 0, each round then
# counts the certifications made by the keys the round before made fully valid, and finally every
# key's result is explained certification by certification.


@dataclass
class _Rounds:
    """What the calculation knows so far; each step adds to it and says what it did."""

    web: WebOfTrust
    policy: TrustPolicy
    keys: dict[str, TrustKey] = field(default_factory=dict)
    """The graph's keys by name."""
    validity: dict[str, Validity] = field(default_factory=dict)
    path_length: dict[str, int] = field(default_factory=dict)
    completes: dict[str, int] = field(default_factory=dict)
    marginals: dict[str, int] = field(default_factory=dict)
    introducer_round: dict[str, int] = field(default_factory=dict)
    """The round in which each key became fully valid and so started introducing others."""
    done: set[str] = field(default_factory=set)
    """Keys decided for good: revoked, expired, your own, or fully valid."""
    introducers: list[str] = field(default_factory=list)
    """The keys whose certifications count in the next round."""

    def __post_init__(self) -> None:
        self.keys = {k.name: k for k in self.web.keys}
        self.completes = dict.fromkeys(self.keys, 0)
        self.marginals = dict.fromkeys(self.keys, 0)

    def set_aside_revoked_and_expired(self) -> list[Step]:
        """Revoked and expired keys are never valid and introduce nobody."""
        steps = []
        for key in self.web.keys:
            name = key.name
            if key.revoked:
                self.validity[name] = Validity.REVOKED
                self.done.add(name)
                steps.append(
                    Step(
                        TEXT["key_revoked"].format(name=name),
                        Outcome.FAIL,
                        REVOKE_SECTION,
                    )
                )
            elif key.expired:
                self.validity[name] = Validity.EXPIRED
                self.done.add(name)
                steps.append(
                    Step(
                        TEXT["key_expired"].format(name=name),
                        Outcome.FAIL,
                        EXPIRY_SECTION,
                    )
                )
        return steps

    def start_from_own_keys(self) -> Step:
        """Path length 0: your own keys (ultimate owner trust) are valid and introduce others."""
        keys = self.web.keys
        ultimate = [
            k.name for k in keys if k.owner_trust is OwnerTrust.ULTIMATE and k.name not in self.done
        ]
        for name in ultimate:
            self.validity[name] = Validity.ULTIMATE
            self.path_length[name] = 0
            self.introducer_round[name] = 0
            self.done.add(name)
        self.introducers = list(ultimate)
        if ultimate:
            return Step(
                TEXT["own_keys"].format(names=TEXT["sep"].join(ultimate)),
                Outcome.OK,
                gnupg_model(),
            )
        if any(k.owner_trust is OwnerTrust.ULTIMATE for k in keys):
            return Step(
                TEXT["own_key_gone"],
                Outcome.FAIL,
                REVOKE_SECTION,
            )
        return Step(TEXT["no_ultimate"], Outcome.FAIL, gnupg_model())

    def round(self, length: int) -> Step | None:
        """Path length ``length``: count the certifications made by this round's introducers.

        Only the keys that become fully valid in this round introduce others in the next one.
        Says what the round decided, or None when no certification of theirs reached a key.
        """
        newly_full: list[str] = []
        touched: list[str] = []
        for name in self.web.names:
            if name in self.done:
                continue
            signers = [
                c.signer
                for c in self.web.certifications_of(name)
                if not c.revoked and c.signer in self.introducers
            ]
            if not signers:
                continue
            touched.append(name)
            self._count(name, signers)
            self.path_length[name] = length
            if self._enough(name):
                self.validity[name] = Validity.FULL
                self.done.add(name)
                newly_full.append(name)
                self.introducer_round[name] = length
            elif self.completes[name] or self.marginals[name]:
                self.validity[name] = Validity.MARGINAL
            else:
                self.validity[name] = Validity.UNDEFINED
        step = None
        if touched:
            summary = TEXT["sep"].join(
                TEXT["summary_item"].format(name=n, validity=self.validity[n].word) for n in touched
            )
            step = Step(
                TEXT["round"].format(
                    length=length, introducers=TEXT["sep"].join(self.introducers), summary=summary
                ),
                Outcome.OK if newly_full else Outcome.INFO,
                gnupg_model(),
            )
        self.introducers = newly_full
        return step

    def _count(self, name: str, signers: Iterable[str]) -> None:
        """Add the certifications of ``signers`` to ``name``'s counts (they add up over rounds)."""
        for signer in signers:
            trust = self.keys[signer].owner_trust
            if trust is OwnerTrust.ULTIMATE:
                self.completes[name] = self.policy.completes_needed
            elif trust is OwnerTrust.FULL:
                self.completes[name] += 1
            elif trust is OwnerTrust.MARGINAL:
                self.marginals[name] += 1

    def _enough(self, name: str) -> bool:
        return (
            self.completes[name] >= self.policy.completes_needed
            or self.marginals[name] >= self.policy.marginals_needed
        )

    def stopped_early(self) -> Step | None:
        """Whether the maximum depth stopped keys that would still have been reached."""
        if self.introducers and any(n not in self.done for n in self.web.names):
            return Step(
                TEXT["stopped"].format(
                    depth=self.policy.max_cert_depth, introducers=TEXT["sep"].join(self.introducers)
                ),
                Outcome.WARN,
                gnupg_depth(),
            )
        return None

    def result(self, name: str) -> KeyValidity:
        """``name``'s validity, with the reason for it and for each of its certifications."""
        return _explain_key(
            self.web,
            self.policy,
            name,
            self.validity.get(name, Validity.UNKNOWN),
            self.path_length.get(name),
            self.completes[name],
            self.marginals[name],
            self.introducer_round,
        )


def evaluate(web: WebOfTrust, policy: TrustPolicy | None = None) -> TrustResult:
    """Compute every key's validity the way GnuPG's classic trust model does."""
    policy = policy or TrustPolicy()
    rounds = _Rounds(web, policy)
    steps: list[Step] = [
        Step(
            TEXT["policy"].format(
                completes=policy.completes_needed,
                marginals=policy.marginals_needed,
                depth=policy.max_cert_depth,
            ),
            section=gnupg_options(),
        )
    ]
    steps += rounds.set_aside_revoked_and_expired()
    steps.append(rounds.start_from_own_keys())
    for length in range(1, policy.max_cert_depth + 1):
        if not rounds.introducers:
            break
        step = rounds.round(length)
        if step is not None:
            steps.append(step)
    stopped = rounds.stopped_early()
    if stopped is not None:
        steps.append(stopped)
    results = tuple(rounds.result(name) for name in web.names)
    valid = [k.name for k in results if k.is_valid]
    steps.append(
        Step(
            TEXT["valid_keys"].format(names=TEXT["sep"].join(valid) if valid else TEXT["none"]),
            Outcome.OK if valid else Outcome.WARN,
        )
    )
    return TrustResult(web, policy, results, tuple(steps))


def _explain_key(
    web: WebOfTrust,
    policy: TrustPolicy,
    name: str,
    validity: Validity,
    path_length: int | None,
    completes: int,
    marginals: int,
    introducer_round: Mapping[str, int],
) -> KeyValidity:
    key = web.key(name)
    certs: list[CertificationResult] = []
    steps: list[Step] = []
    for cert in web.certifications_of(name):
        use, why = _certification_use(web, policy, cert, introducer_round)
        certs.append(CertificationResult(cert.signer, name, use, why))
        outcome = Outcome.OK if use.counted else Outcome.INFO
        steps.append(
            Step(
                TEXT["certified_by"].format(signer=cert.signer, why=why),
                outcome,
                _use_section(use),
                depth=1,
            )
        )
    head = _headline(name, validity, path_length, completes, marginals, policy, bool(certs))
    return KeyValidity(
        name,
        key.owner_trust,
        validity,
        path_length,
        completes,
        marginals,
        tuple(certs),
        (head, *steps),
    )


def _certification_use(
    web: WebOfTrust,
    policy: TrustPolicy,
    cert: Certification,
    introducer_round: Mapping[str, int],
) -> tuple[CertificationUse, str]:
    """What ``cert`` did for its signee, and why: the first rule that applies decides."""
    name = cert.signee
    key, signer = web.key(name), web.key(cert.signer)
    signer_round = introducer_round.get(cert.signer)
    full_round = introducer_round.get(name)
    words = {"signer": cert.signer, "name": name}
    if cert.revoked:
        return CertificationUse.REVOKED, TEXT["use_revoked"].format(**words)
    if key.revoked:
        return CertificationUse.SIGNEE_REVOKED, TEXT["use_signee_revoked"].format(**words)
    if signer.revoked:
        return CertificationUse.SIGNER_REVOKED, TEXT["use_signer_revoked"].format(**words)
    if key.expired:
        return CertificationUse.SIGNEE_EXPIRED, TEXT["use_signee_expired"].format(**words)
    if signer.expired:
        return CertificationUse.SIGNER_EXPIRED, TEXT["use_signer_expired"].format(**words)
    if signer_round is None:
        return CertificationUse.SIGNER_NOT_VALID, TEXT["use_not_valid"].format(**words)
    if signer_round >= policy.max_cert_depth:
        return (
            CertificationUse.TOO_DEEP,
            TEXT["use_too_deep"].format(**words, round=signer_round, depth=policy.max_cert_depth),
        )
    if full_round is not None and full_round <= signer_round:
        return CertificationUse.NOT_NEEDED, TEXT["use_not_needed"].format(**words)
    if signer.owner_trust is OwnerTrust.ULTIMATE:
        return CertificationUse.ULTIMATE, TEXT["use_ultimate"].format(**words)
    if signer.owner_trust is OwnerTrust.FULL:
        return CertificationUse.COMPLETE, TEXT["use_complete"].format(**words)
    if signer.owner_trust is OwnerTrust.MARGINAL:
        return CertificationUse.MARGINAL, TEXT["use_marginal"].format(**words)
    return (
        CertificationUse.UNTRUSTED_OWNER,
        TEXT["use_untrusted"].format(**words, trust=signer.owner_trust.word),
    )


def _use_section(use: CertificationUse) -> str:
    """Where the rule that decided ``use`` comes from."""
    if "revoked" in use.value:
        return REVOKE_SECTION
    if "expired" in use.value:
        return EXPIRY_SECTION
    return CERT_SECTION


def _headline(
    name: str,
    validity: Validity,
    path_length: int | None,
    completes: int,
    marginals: int,
    policy: TrustPolicy,
    certified: bool,
) -> Step:
    """The first line of a key's explanation: its validity, and in short why."""
    if validity is Validity.REVOKED:
        return Step(TEXT["head_revoked"].format(name=name), Outcome.FAIL, REVOKE_SECTION)
    if validity is Validity.EXPIRED:
        return Step(TEXT["head_expired"].format(name=name), Outcome.FAIL, EXPIRY_SECTION)
    if validity is Validity.ULTIMATE:
        return Step(TEXT["head_ultimate"].format(name=name), Outcome.OK, gnupg_model())
    counts = _counts(completes, marginals, policy)
    if validity is Validity.FULL:
        return Step(
            TEXT["head_full"].format(name=name, length=path_length, counts=counts),
            Outcome.OK,
            gnupg_options(),
        )
    if validity is Validity.MARGINAL:
        return Step(
            TEXT["head_marginal"].format(name=name, counts=counts), Outcome.WARN, gnupg_options()
        )
    if validity is Validity.UNDEFINED:
        return Step(TEXT["head_undefined"].format(name=name), Outcome.WARN, gnupg_model())
    head = "head_unknown_certified" if certified else "head_unknown_alone"
    return Step(TEXT[head].format(name=name), Outcome.FAIL, gnupg_model())


def _counts(completes: int, marginals: int, policy: TrustPolicy) -> str:
    return TEXT["counts"].format(
        completes=min(completes, policy.completes_needed),
        completes_needed=policy.completes_needed,
        marginals=marginals,
        marginals_needed=policy.marginals_needed,
    )
