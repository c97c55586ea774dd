"""The web of trust: which keys can I believe belong to the people they name?

In OpenPGP nobody is in charge. People *certify* each other's keys (a certification signature,
RFC 4880 §5.2.1, types 0x10-0x13: "I checked that this key belongs to this name"), and each user
decides, privately, how far they trust each key's owner to check other people's keys carefully
(the *owner trust*). From those two ingredients a program computes each key's *validity*.

This module is a model of GnuPG's classic PGP trust model, the calculation ``gpg --check-trustdb``
runs (GnuPG ``g10/trustdb.c``, ``validate_keys``)::

    your own keys (owner trust "ultimate")      are valid: path length 0
    repeat for path length 1, 2, ... max_cert_depth:
        the introducers are the keys that became FULLY valid one step earlier
        for every key that is not yet fully valid:
            count its certifications made by those introducers:
                by an ultimately trusted key  -> enough on its own (complete)
                by a key whose owner you trust fully    -> one complete
                by a key whose owner you trust marginally -> one marginal
                by a key whose owner you do not trust   -> counts nothing
            (counts add up over the rounds)
            completes >= completes_needed or marginals >= marginals_needed -> FULL validity
            otherwise some count                                           -> MARGINAL
            otherwise (only untrusted introducers)                         -> UNDEFINED

Three rules surprise people, and the traces say them out loud:

- only **fully valid** keys introduce others: a marginally valid key's certifications count for
  nothing, however much you trust its owner;
- owner trust is **your** private setting; it is not inside the key and is not published;
- a certification made by a key you do not trust still counts for nothing, even if its owner is
  a careful person: the model only knows what *you* told it.

Revocation (RFC 4880 §5.2.1 types 0x20 and 0x30): a revoked key is never valid and its
certifications stop counting, so keys that were valid only through it lose their validity; a
revoked certification stops counting too. There is no central list to consult: the revocation is
a signature that must reach you (from the owner, or a key server).

Expiry (RFC 4880 §5.2.3.6): a key past its expiration time is not valid either and introduces
nobody, like a revoked one; unlike a revocation, its owner can extend it and everything comes back.
A revoked or expired key of your own introduces nobody, as in GnuPG 2.2.

Results are frozen data: a :class:`TrustResult` holds one :class:`KeyValidity` per key, each with
an explanation trace. Nothing here touches real keys; :mod:`mailsec.labs.pgp.trustcheck` and the
tests feed the same graph to GnuPG to check that both agree.

Where this model differs from GnuPG, on purpose: keys carry one user ID each (GnuPG computes a
validity per user ID and shows the best); certification levels, trust signatures (the "pgp" trust
model's extension), the expiry of certifications and TOFU are left out.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from mailsec.errors import InputError
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "COMPARISON",
    "POLICY_LIMITS",
    "Certification",
    "CertificationResult",
    "CertificationUse",
    "Comparison",
    "KeyValidity",
    "OwnerTrust",
    "PolicyLimit",
    "TrustKey",
    "TrustPolicy",
    "TrustResult",
    "Validity",
    "WebOfTrust",
    "check_policy_value",
    "evaluate",
]

#: Where the rules come from, for the traces.
CERT_SECTION = "RFC 4880 §5.2.1"
REVOKE_SECTION = "RFC 4880 §5.2.1 (0x20, 0x30)"
EXPIRY_SECTION = "RFC 4880 §5.2.3.6"
GNUPG_MODEL = "GnuPG trust model (trustdb.c)"
GNUPG_OPTIONS = "GnuPG --completes-needed / --marginals-needed"
GNUPG_DEPTH = "GnuPG --max-cert-depth"

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 ._'-]{0,39}$")


class OwnerTrust(enum.Enum):
    """How far *you* trust a key's owner to check other people's keys before certifying them."""

    UNKNOWN = "unknown"
    """Not set yet (gpg ``-``): certifications by this key count for nothing."""
    NEVER = "never"
    """"I do NOT trust" (gpg ``n``): certifications by this key count for nothing."""
    MARGINAL = "marginal"
    """"I trust marginally" (gpg ``m``): one certification is a marginal."""
    FULL = "full"
    """"I trust fully" (gpg ``f``): one certification is a complete."""
    ULTIMATE = "ultimate"
    """"This is my own key" (gpg ``u``): valid by itself, its certification is enough."""

    @property
    def gpg_level(self) -> int:
        """The number ``gpg --import-ownertrust`` uses (``FPR:level:``)."""
        return {"unknown": 2, "never": 3, "marginal": 4, "full": 5, "ultimate": 6}[self.value]

    @property
    def description(self) -> str:
        return {
            "unknown": "not set: you have not said how careful this person is",
            "never": "never: this person certifies carelessly",
            "marginal": "marginal: this person is somewhat careful",
            "full": "full: this person checks keys as carefully as you do",
            "ultimate": "ultimate: this is your own key",
        }[self.value]


class Validity(enum.Enum):
    """How sure the calculation is that a key belongs to the person it names."""

    UNKNOWN = "unknown"
    """No certification from a fully valid key reaches it (gpg ``-``)."""
    UNDEFINED = "undefined"
    """Certified by valid keys, but only by owners you do not trust (gpg ``q``)."""
    MARGINAL = "marginal"
    """Some trusted certifications, not enough (gpg ``m``): not valid."""
    FULL = "full"
    """Enough trusted certifications (gpg ``f``): valid."""
    ULTIMATE = "ultimate"
    """Your own key (gpg ``u``): valid."""
    REVOKED = "revoked"
    """Its owner revoked it (gpg ``r``): never valid."""
    EXPIRED = "expired"
    """Past its expiration time (gpg ``e``): not valid until its owner extends it."""

    @property
    def gpg_letter(self) -> str:
        """The letter in field 2 of ``gpg --list-keys --with-colons``."""
        return {
            "unknown": "-",
            "undefined": "q",
            "marginal": "m",
            "full": "f",
            "ultimate": "u",
            "revoked": "r",
            "expired": "e",
        }[self.value]

    @classmethod
    def from_gpg_letter(cls, letter: str) -> Validity:
        """Read gpg's validity letter (``o`` and empty, "new to the system", read as unknown)."""
        for member in cls:
            if member.gpg_letter == letter:
                return member
        if letter in ("o", ""):
            return cls.UNKNOWN
        raise InputError(f"gpg validity letter {letter!r} is not one of - q m f u r o.")

    @property
    def is_valid(self) -> bool:
        """Only full and ultimate validity let a program use the key without a warning."""
        return self in (Validity.FULL, Validity.ULTIMATE)

    @property
    def description(self) -> str:
        return {
            "unknown": "unknown: no trusted path reaches this key",
            "undefined": "undefined: certified only by people you do not trust to check keys",
            "marginal": "marginal: some trusted certifications, but not enough",
            "full": "full: valid, enough trusted certifications",
            "ultimate": "ultimate: your own key",
            "revoked": "revoked: its owner withdrew it",
            "expired": "expired: past its expiration time",
        }[self.value]


#: The largest number gpg's option parser reads for these options (a C ``int``); above it gpg
#: stops with 'invalid argument for option "--marginals-needed"'.
GPG_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class PolicyLimit:
    """GnuPG's range for one number of :class:`TrustPolicy`, and how to explain it."""

    label: str
    """The number's name in the course (and on the lab's box)."""
    option: str
    """gpg's option for it."""
    low: int
    high: int
    default: int
    """GnuPG's default."""
    gpg_says: str
    """gpg's own words when the number is outside the range (GnuPG ``g10/gpg.c``)."""
    why: str
    """Why the range is what it is, for learners."""


#: GnuPG's rules for the three numbers, as gpg checks them after reading its options
#: (GnuPG ``g10/gpg.c``, ``main``); outside them gpg refuses to run at all (exit status 2).
POLICY_LIMITS: Mapping[str, PolicyLimit] = {
    "completes_needed": PolicyLimit(
        "completes needed",
        "--completes-needed",
        1,
        GPG_INT_MAX,
        1,
        "completes-needed must be greater than 0",
        "with none needed, a certification by any valid key would do, even by someone you "
        "do not trust to check keys",
    ),
    "marginals_needed": PolicyLimit(
        "marginals needed",
        "--marginals-needed",
        2,
        GPG_INT_MAX,
        3,
        "marginals-needed must be greater than 1",
        "if one were enough, a marginally trusted person would count as much as a fully "
        "trusted one",
    ),
    "max_cert_depth": PolicyLimit(
        "max path length",
        "--max-cert-depth",
        1,
        255,
        5,
        "max-cert-depth must be in the range from 1 to 255",
        "with 0 no key but your own could be valid, and the trust database keeps the number "
        "in one byte",
    ),
}

#: The sentences :func:`check_policy_value` says, in one place.
POLICY_MESSAGES: Mapping[str, str] = {
    "unknown": "{name!r} is not one of GnuPG's trust-model numbers ({known}).",
    "not_whole": "{Label} ({option}) = {value!r} is not a whole number. "
    "Type one such as {default}, GnuPG's default.",
    "too_small": "{Label} ({option}) = {value!r} is too small: GnuPG refuses it "
    '("{gpg_says}"), because {why}. Use {low} or more; GnuPG\'s default is {default}.',
    "too_large": "{Label} ({option}) = {value!r} is too large: GnuPG accepts at most {high}. "
    "Use a number from {low} to {high}; GnuPG's default is {default}.",
}


def check_policy_value(name: str, value: object) -> int:
    """Return ``value`` if GnuPG accepts it for the trust-model number ``name``, else refuse it.

    ``name`` is a field of :class:`TrustPolicy`; the rules are GnuPG's (:data:`POLICY_LIMITS`), so
    a policy the model accepts is one ``gpg --check-trustdb`` accepts too.
    """
    limit = POLICY_LIMITS.get(name)
    if limit is None:
        raise InputError(
            POLICY_MESSAGES["unknown"].format(name=name, known=", ".join(POLICY_LIMITS))
        )
    words = {**vars(limit), "Label": limit.label.capitalize(), "value": value}
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(POLICY_MESSAGES["not_whole"].format(**words))
    if value < limit.low:
        raise InputError(POLICY_MESSAGES["too_small"].format(**words))
    if value > limit.high:
        raise InputError(POLICY_MESSAGES["too_large"].format(**words))
    return value


@dataclass(frozen=True)
class TrustPolicy:
    """The three numbers of GnuPG's classic model, with GnuPG's defaults and GnuPG's limits."""

    completes_needed: int = 1
    """Certifications from fully trusted owners that make a key valid (``--completes-needed``)."""
    marginals_needed: int = 3
    """Certifications from marginally trusted owners that make a key valid."""
    max_cert_depth: int = 5
    """Longest chain of certifications from one of your own keys (``--max-cert-depth``)."""

    def __post_init__(self) -> None:
        for name in POLICY_LIMITS:
            check_policy_value(name, getattr(self, name))


@dataclass(frozen=True)
class TrustKey:
    """One person's key in the graph, with the owner trust *you* gave it."""

    name: str
    owner_trust: OwnerTrust = OwnerTrust.UNKNOWN
    revoked: bool = False
    """The owner published a key revocation (RFC 4880 §5.2.1, type 0x20)."""
    expired: bool = False
    """The key is past its expiration time (RFC 4880 §5.2.3.6)."""


@dataclass(frozen=True)
class Certification:
    """``signer`` certified that ``signee``'s key belongs to ``signee`` (type 0x10-0x13)."""

    signer: str
    signee: str
    revoked: bool = False
    """The signer withdrew this certification (RFC 4880 §5.2.1, type 0x30)."""


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(
            f"{name!r} is not a usable name for a key: use 1-40 letters, digits, spaces, "
            "dots, dashes or apostrophes, starting with a letter (for example 'Alice')."
        )
    return name


@dataclass(frozen=True)
class WebOfTrust:
    """A graph of keys and certifications. Changing it returns a new graph."""

    keys: tuple[TrustKey, ...] = ()
    certifications: tuple[Certification, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for key in self.keys:
            _check_name(key.name)
            if key.name.casefold() in seen:
                raise InputError(f"There are two keys named {key.name!r}; give each a new name.")
            seen.add(key.name.casefold())
        pairs: set[tuple[str, str]] = set()
        for cert in self.certifications:
            for who in (cert.signer, cert.signee):
                if who not in self.names:
                    raise InputError(
                        f"The certification {cert.signer} → {cert.signee} names {who!r}, "
                        "which is not a key in this graph; add the key first."
                    )
            if cert.signer == cert.signee:
                raise InputError(
                    f"{cert.signer} cannot certify their own key in the web of trust: "
                    "self-signatures only bind a user ID to a key (RFC 4880 §5.2.1). "
                    "Pick two different people."
                )
            if (cert.signer, cert.signee) in pairs:
                raise InputError(
                    f"{cert.signer} certifies {cert.signee} twice; keep one certification."
                )
            pairs.add((cert.signer, cert.signee))

    # -- looking things up ---------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)

    def key(self, name: str) -> TrustKey:
        for key in self.keys:
            if key.name == name:
                return key
        known = ", ".join(self.names) or "none yet"
        raise InputError(f"There is no key named {name!r} (keys: {known}).")

    def certification(self, signer: str, signee: str) -> Certification | None:
        for cert in self.certifications:
            if cert.signer == signer and cert.signee == signee:
                return cert
        return None

    def certifications_of(self, signee: str) -> tuple[Certification, ...]:
        """The certifications on ``signee``'s key, in the order they were made."""
        return tuple(c for c in self.certifications if c.signee == signee)

    # -- building new graphs -------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        trust: Mapping[str, OwnerTrust | str],
        certifications: Iterable[tuple[str, str]] = (),
    ) -> WebOfTrust:
        """A graph from ``{name: owner trust}`` and ``(signer, signee)`` pairs."""
        keys = tuple(TrustKey(_check_name(n), _owner_trust(t)) for n, t in trust.items())
        certs = tuple(Certification(s, e) for s, e in certifications)
        return cls(keys, certs)

    def with_key(self, name: str, owner_trust: OwnerTrust | str = OwnerTrust.UNKNOWN) -> WebOfTrust:
        return replace(
            self, keys=(*self.keys, TrustKey(_check_name(name), _owner_trust(owner_trust)))
        )

    def with_owner_trust(self, name: str, owner_trust: OwnerTrust | str) -> WebOfTrust:
        self.key(name)
        level = _owner_trust(owner_trust)
        keys = tuple(replace(k, owner_trust=level) if k.name == name else k for k in self.keys)
        return replace(self, keys=keys)

    def with_certification(self, signer: str, signee: str) -> WebOfTrust:
        """``signer`` certifies ``signee`` (a revoked certification is made valid again)."""
        self.key(signer)
        self.key(signee)
        if self.certification(signer, signee) is not None:
            certs = tuple(
                replace(c, revoked=False) if (c.signer, c.signee) == (signer, signee) else c
                for c in self.certifications
            )
            return replace(self, certifications=certs)
        return replace(self, certifications=(*self.certifications, Certification(signer, signee)))

    def without_certification(self, signer: str, signee: str) -> WebOfTrust:
        """Forget a certification as if it had never been made (it was never imported)."""
        if self.certification(signer, signee) is None:
            raise InputError(
                f"{signer} has not certified {signee}'s key, so there is nothing to remove."
            )
        certs = tuple(c for c in self.certifications if (c.signer, c.signee) != (signer, signee))
        return replace(self, certifications=certs)

    def with_certification_revoked(
        self, signer: str, signee: str, revoked: bool = True
    ) -> WebOfTrust:
        if self.certification(signer, signee) is None:
            raise InputError(f"{signer} has not certified {signee}'s key, so it cannot be revoked.")
        certs = tuple(
            replace(c, revoked=revoked) if (c.signer, c.signee) == (signer, signee) else c
            for c in self.certifications
        )
        return replace(self, certifications=certs)

    def with_key_expired(self, name: str, expired: bool = True) -> WebOfTrust:
        self.key(name)
        keys = tuple(replace(k, expired=expired) if k.name == name else k for k in self.keys)
        return replace(self, keys=keys)

    def with_key_revoked(self, name: str, revoked: bool = True) -> WebOfTrust:
        self.key(name)
        keys = tuple(replace(k, revoked=revoked) if k.name == name else k for k in self.keys)
        return replace(self, keys=keys)


def _owner_trust(value: OwnerTrust | str) -> OwnerTrust:
    if isinstance(value, OwnerTrust):
        return value
    try:
        return OwnerTrust(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(t.value for t in OwnerTrust)
        raise InputError(f"Owner trust {value!r} is not one of: {choices}.") from None


# -- results ----------------------------------------------------------------------------------


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
        raise InputError(f"There is no key named {name!r} in this result.")

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
                        f"{name}'s key is revoked: it is never valid and its certifications do not count.",
                        Outcome.FAIL,
                        REVOKE_SECTION,
                    )
                )
            elif key.expired:
                self.validity[name] = Validity.EXPIRED
                self.done.add(name)
                steps.append(
                    Step(
                        f"{name}'s key has expired: it is not valid and its certifications do not "
                        "count until its owner extends it.",
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
                f"Path length 0: your own key(s) {', '.join(ultimate)} are valid (ultimate trust).",
                Outcome.OK,
                GNUPG_MODEL,
            )
        if any(k.owner_trust is OwnerTrust.ULTIMATE for k in keys):
            return Step(
                "Your own key is revoked or expired, so there is no starting point: no key can "
                "be valid until you extend it, or make a new key and certify the others again.",
                Outcome.FAIL,
                REVOKE_SECTION,
            )
        return Step(
            "No key has ultimate owner trust, so there is no starting point: no key can be "
            "valid. Mark your own key as 'ultimate'.",
            Outcome.FAIL,
            GNUPG_MODEL,
        )

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
            summary = ", ".join(f"{n} {self.validity[n].value}" for n in touched)
            step = Step(
                f"Path length {length}: keys certified by {', '.join(self.introducers)}: {summary}.",
                Outcome.OK if newly_full else Outcome.INFO,
                GNUPG_MODEL,
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
                f"Stopped at path length {self.policy.max_cert_depth}: certifications by "
                f"{', '.join(self.introducers)} would lead further than the maximum depth.",
                Outcome.WARN,
                GNUPG_DEPTH,
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
            f"Policy: a key is valid with {policy.completes_needed} complete or "
            f"{policy.marginals_needed} marginal certification(s), at most "
            f"{policy.max_cert_depth} certifications away from one of your own keys.",
            section=GNUPG_OPTIONS,
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
            f"Valid keys: {', '.join(valid) if valid else 'none'}.",
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
            Step(f"Certified by {cert.signer}: {why}", outcome, _use_section(use), depth=1)
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
    if cert.revoked:
        return CertificationUse.REVOKED, f"{cert.signer} revoked this certification."
    if key.revoked:
        return CertificationUse.SIGNEE_REVOKED, f"{name}'s key is revoked."
    if signer.revoked:
        return CertificationUse.SIGNER_REVOKED, f"{cert.signer}'s key is revoked."
    if key.expired:
        return CertificationUse.SIGNEE_EXPIRED, f"{name}'s key has expired."
    if signer.expired:
        return CertificationUse.SIGNER_EXPIRED, f"{cert.signer}'s key has expired."
    if signer_round is None:
        return (
            CertificationUse.SIGNER_NOT_VALID,
            f"{cert.signer}'s own key is not fully valid, and only fully valid keys "
            "introduce others.",
        )
    if signer_round >= policy.max_cert_depth:
        return (
            CertificationUse.TOO_DEEP,
            f"{cert.signer} is valid only at path length {signer_round}; going one more "
            f"step would pass the maximum depth of {policy.max_cert_depth}.",
        )
    if full_round is not None and full_round <= signer_round:
        return (
            CertificationUse.NOT_NEEDED,
            f"{name} was already fully valid before {cert.signer}'s key was.",
        )
    if signer.owner_trust is OwnerTrust.ULTIMATE:
        return CertificationUse.ULTIMATE, f"{cert.signer} is your own key: enough on its own."
    if signer.owner_trust is OwnerTrust.FULL:
        return (
            CertificationUse.COMPLETE,
            f"{cert.signer}'s key is valid and you trust {cert.signer} fully: one complete.",
        )
    if signer.owner_trust is OwnerTrust.MARGINAL:
        return (
            CertificationUse.MARGINAL,
            f"{cert.signer}'s key is valid and you trust {cert.signer} marginally: one marginal.",
        )
    return (
        CertificationUse.UNTRUSTED_OWNER,
        f"{cert.signer}'s key is valid, but your owner trust in {cert.signer} is "
        f"'{signer.owner_trust.value}', so the certification counts for nothing.",
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
        return Step(f"{name}: revoked, never valid.", Outcome.FAIL, REVOKE_SECTION)
    if validity is Validity.EXPIRED:
        return Step(
            f"{name}: expired, not valid until its owner extends it.", Outcome.FAIL, EXPIRY_SECTION
        )
    if validity is Validity.ULTIMATE:
        return Step(f"{name}: your own key (ultimate trust), valid.", Outcome.OK, GNUPG_MODEL)
    if validity is Validity.FULL:
        return Step(
            f"{name}: valid at path length {path_length} "
            f"({_counts(completes, marginals, policy)}).",
            Outcome.OK,
            GNUPG_OPTIONS,
        )
    if validity is Validity.MARGINAL:
        return Step(
            f"{name}: marginal, not valid ({_counts(completes, marginals, policy)}).",
            Outcome.WARN,
            GNUPG_OPTIONS,
        )
    if validity is Validity.UNDEFINED:
        return Step(
            f"{name}: undefined, not valid: certified by valid keys whose owners you do not "
            "trust to check keys.",
            Outcome.WARN,
            GNUPG_MODEL,
        )
    reason = (
        "no certification comes from a fully valid key"
        if certified
        else "nobody has certified this key"
    )
    return Step(f"{name}: unknown, not valid: {reason}.", Outcome.FAIL, GNUPG_MODEL)


def _counts(completes: int, marginals: int, policy: TrustPolicy) -> str:
    return (
        f"{min(completes, policy.completes_needed)} of {policy.completes_needed} complete, "
        f"{marginals} of {policy.marginals_needed} marginal"
    )


# -- the other model: S/MIME's CA hierarchy ----------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One aspect of the two trust models side by side."""

    aspect: str
    pgp: str
    smime: str


#: The web of trust (PGP) next to the CA hierarchy (S/MIME, RFC 8550/8551 on RFC 5280 PKIX).
COMPARISON: tuple[Comparison, ...] = (
    Comparison(
        "Who vouches for a key",
        "Other users: anyone can certify anyone's key (RFC 4880 §5.2.1).",
        "A certification authority (CA) signs a certificate (RFC 5280 §4).",
    ),
    Comparison(
        "Where trust starts",
        "Your own key; you choose whose checking you trust (owner trust), privately.",
        "Root CA certificates shipped with the operating system or mail client.",
    ),
    Comparison(
        "What makes a key valid",
        "Enough certifications by keys you trust: 1 full or 3 marginal (GnuPG defaults).",
        "One unbroken chain of CA signatures from a trusted root to the certificate (RFC 5280 §6).",
    ),
    Comparison(
        "Path length",
        "At most --max-cert-depth certifications (5 by default).",
        "pathLenConstraint in each CA's basicConstraints (RFC 5280 §4.2.1.9).",
    ),
    Comparison(
        "Revocation",
        "The owner publishes a revocation signature; it must reach you (key server, mail).",
        "The CA publishes a CRL or answers OCSP (RFC 5280 §5, RFC 6960); clients check it.",
    ),
    Comparison(
        "Expiry",
        "The owner sets an expiration time and can extend it (RFC 4880 §5.2.3.6).",
        "The CA sets notAfter; after it, a new certificate is needed (RFC 5280 §4.1.2.5).",
    ),
    Comparison(
        "If the top is compromised",
        "Only paths through that key are affected; other paths still hold.",
        "Every certificate under that CA is suspect until the root is removed everywhere.",
    ),
    Comparison(
        "Cost and setup",
        "Free; needs people to meet, check fingerprints and sign keys.",
        "A CA checks identity (often for a fee); clients work out of the box.",
    ),
)
