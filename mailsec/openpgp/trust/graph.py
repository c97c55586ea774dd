"""The web of trust's inputs: keys, their owners' trust, certifications, and the policy.

:class:`WebOfTrust` is the graph a learner builds (who certified whom, whose checking they trust);
:class:`TrustPolicy` holds GnuPG's options with their limits (:data:`POLICY_LIMITS`). Every name,
value and edge is checked when it is added. The calculation is in
:mod:`~mailsec.openpgp.trust.evaluate`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from mailsec.errors import InputError
from mailsec.i18n import gettext, texts

__all__ = [
    "POLICY_LIMITS",
    "Certification",
    "OwnerTrust",
    "PolicyLimit",
    "TrustKey",
    "TrustPolicy",
    "Validity",
    "WebOfTrust",
    "check_policy_value",
]

TEXT = texts(
    {
        "gnupg_model": "GnuPG trust model (trustdb.c)",
        "gnupg_options": "GnuPG --completes-needed / --marginals-needed",
        "gnupg_depth": "GnuPG --max-cert-depth",
        "owner_trust": {
            "unknown": "not set: you have not said how careful this person is",
            "never": "never: this person certifies carelessly",
            "marginal": "marginal: this person is somewhat careful",
            "full": "full: this person checks keys as carefully as you do",
            "ultimate": "ultimate: this is your own key",
        },
        "owner_trust_word": {
            "unknown": "unknown",
            "never": "never",
            "marginal": "marginal",
            "full": "full",
            "ultimate": "ultimate",
        },
        "validity": {
            "unknown": "unknown: no trusted path reaches this key",
            "undefined": "undefined: certified only by people you do not trust to check keys",
            "marginal": "marginal: some trusted certifications, but not enough",
            "full": "full: valid, enough trusted certifications",
            "ultimate": "ultimate: your own key",
            "revoked": "revoked: its owner withdrew it",
            "expired": "expired: past its expiration time",
        },
        "validity_word": {
            "unknown": "unknown",
            "undefined": "undefined",
            "marginal": "marginal",
            "full": "full",
            "ultimate": "ultimate",
            "revoked": "revoked",
            "expired": "expired",
        },
        "limit_label": {
            "completes_needed": "completes needed",
            "marginals_needed": "marginals needed",
            "max_cert_depth": "max path length",
        },
        "limit_why": {
            "completes_needed": "with none needed, a certification by any valid key would do, "
            "even by someone you do not trust to check keys",
            "marginals_needed": "if one were enough, a marginally trusted person would count as "
            "much as a fully trusted one",
            "max_cert_depth": "with 0 no key but your own could be valid, and the trust database "
            "keeps the number in one byte",
        },
        "policy_unknown": "{name!r} is not one of GnuPG's trust-model numbers ({known}).",
        "not_whole": "{Label} ({option}) = {value!r} is not a whole number. "
        "Type one such as {default}, GnuPG's default.",
        "too_small": "{Label} ({option}) = {value!r} is too small: GnuPG refuses it "
        '("{gpg_says}"), because {why}. Use {low} or more; GnuPG\'s default is {default}.',
        "too_large": "{Label} ({option}) = {value!r} is too large: GnuPG accepts at most {high}. "
        "Use a number from {low} to {high}; GnuPG's default is {default}.",
        "gpg_letter": "gpg validity letter {letter!r} is not one of - q m f u r o.",
        "bad_name": "{name!r} is not a usable name for a key: use 1-40 letters, digits, spaces, "
        "dots, dashes or apostrophes, starting with a letter (for example 'Alice').",
        "two_keys": "There are two keys named {name!r}; give each a new name.",
        "unknown_party": "The certification {signer} → {signee} names {who!r}, which is not a "
        "key in this graph; add the key first.",
        "self_cert": "{signer} cannot certify their own key in the web of trust: "
        "self-signatures only bind a user ID to a key (RFC 4880 §5.2.1). "
        "Pick two different people.",
        "twice": "{signer} certifies {signee} twice; keep one certification.",
        "no_key": "There is no key named {name!r} (keys: {known}).",
        "none_yet": "none yet",
        "nothing_to_remove": "{signer} has not certified {signee}'s key, so there is nothing to "
        "remove.",
        "nothing_to_revoke": "{signer} has not certified {signee}'s key, so it cannot be revoked.",
        "bad_owner_trust": "Owner trust {value!r} is not one of: {choices}.",
    }
)
"""The web of trust's words (see :mod:`mailsec.i18n`)."""

#: Where the rules come from, for the traces (the GNUPG_* are English: :func:`gnupg_model`,
#: :func:`gnupg_options` and :func:`gnupg_depth` say them in the current language).
CERT_SECTION = "RFC 4880 §5.2.1"
REVOKE_SECTION = "RFC 4880 §5.2.1 (0x20, 0x30)"
EXPIRY_SECTION = "RFC 4880 §5.2.3.6"
GNUPG_MODEL = TEXT.source["gnupg_model"]
GNUPG_OPTIONS = TEXT.source["gnupg_options"]
GNUPG_DEPTH = TEXT.source["gnupg_depth"]


def gnupg_model() -> str:
    """:data:`GNUPG_MODEL` in the current language."""
    return TEXT["gnupg_model"]


def gnupg_options() -> str:
    """:data:`GNUPG_OPTIONS` in the current language."""
    return TEXT["gnupg_options"]


def gnupg_depth() -> str:
    """:data:`GNUPG_DEPTH` in the current language."""
    return TEXT["gnupg_depth"]


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
        return TEXT["owner_trust"][self.value]

    @property
    def word(self) -> str:
        """The owner trust's one word in the current language (the value is data)."""
        return TEXT["owner_trust_word"][self.value]


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
        raise InputError(TEXT["gpg_letter"].format(letter=letter))

    @property
    def is_valid(self) -> bool:
        """Only full and ultimate validity let a program use the key without a warning."""
        return self in (Validity.FULL, Validity.ULTIMATE)

    @property
    def description(self) -> str:
        return TEXT["validity"][self.value]

    @property
    def word(self) -> str:
        """The validity's one word in the current language (the value is data)."""
        return TEXT["validity_word"][self.value]


#: The largest number gpg's option parser reads for these options (a C ``int``); above it gpg
#: stops with 'invalid argument for option "--marginals-needed"'.
GPG_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class PolicyLimit:
    """GnuPG's range for one number of :class:`TrustPolicy`, and how to explain it."""

    label: str
    """The number's name in the course (and on the lab's box), in English: :attr:`title` says
    it in the current language."""
    option: str
    """gpg's option for it."""
    low: int
    high: int
    default: int
    """GnuPG's default."""
    gpg_says: str
    """gpg's own words when the number is outside the range (GnuPG ``g10/gpg.c``)."""
    why: str
    """Why the range is what it is, for learners (English; :attr:`reason` translates it)."""

    @property
    def title(self) -> str:
        """:attr:`label` in the current language."""
        return gettext(self.label)

    @property
    def reason(self) -> str:
        """:attr:`why` in the current language."""
        return gettext(self.why)


#: GnuPG's rules for the three numbers, as gpg checks them after reading its options
#: (GnuPG ``g10/gpg.c``, ``main``); outside them gpg refuses to run at all (exit status 2).
POLICY_LIMITS: Mapping[str, PolicyLimit] = {
    "completes_needed": PolicyLimit(
        TEXT.source["limit_label"]["completes_needed"],
        "--completes-needed",
        1,
        GPG_INT_MAX,
        1,
        "completes-needed must be greater than 0",
        TEXT.source["limit_why"]["completes_needed"],
    ),
    "marginals_needed": PolicyLimit(
        TEXT.source["limit_label"]["marginals_needed"],
        "--marginals-needed",
        2,
        GPG_INT_MAX,
        3,
        "marginals-needed must be greater than 1",
        TEXT.source["limit_why"]["marginals_needed"],
    ),
    "max_cert_depth": PolicyLimit(
        TEXT.source["limit_label"]["max_cert_depth"],
        "--max-cert-depth",
        1,
        255,
        5,
        "max-cert-depth must be in the range from 1 to 255",
        TEXT.source["limit_why"]["max_cert_depth"],
    ),
}

#: The sentences :func:`check_policy_value` says, in English (they are translated in TEXT).
POLICY_MESSAGES: Mapping[str, str] = {
    "unknown": TEXT.source["policy_unknown"],
    "not_whole": TEXT.source["not_whole"],
    "too_small": TEXT.source["too_small"],
    "too_large": TEXT.source["too_large"],
}


def check_policy_value(name: str, value: object) -> int:
    """Return ``value`` if GnuPG accepts it for the trust-model number ``name``, else refuse it.

    ``name`` is a field of :class:`TrustPolicy`; the rules are GnuPG's (:data:`POLICY_LIMITS`), so
    a policy the model accepts is one ``gpg --check-trustdb`` accepts too.
    """
    limit = POLICY_LIMITS.get(name)
    if limit is None:
        raise InputError(TEXT["policy_unknown"].format(name=name, known=", ".join(POLICY_LIMITS)))
    words = {
        **vars(limit),
        "Label": limit.title[:1].upper() + limit.title[1:],
        "why": limit.reason,
        "value": value,
    }
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(TEXT["not_whole"].format(**words))
    if value < limit.low:
        raise InputError(TEXT["too_small"].format(**words))
    if value > limit.high:
        raise InputError(TEXT["too_large"].format(**words))
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
        raise InputError(TEXT["bad_name"].format(name=name))
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
                raise InputError(TEXT["two_keys"].format(name=key.name))
            seen.add(key.name.casefold())
        pairs: set[tuple[str, str]] = set()
        for cert in self.certifications:
            for who in (cert.signer, cert.signee):
                if who not in self.names:
                    raise InputError(
                        TEXT["unknown_party"].format(
                            signer=cert.signer, signee=cert.signee, who=who
                        )
                    )
            if cert.signer == cert.signee:
                raise InputError(TEXT["self_cert"].format(signer=cert.signer))
            if (cert.signer, cert.signee) in pairs:
                raise InputError(TEXT["twice"].format(signer=cert.signer, signee=cert.signee))
            pairs.add((cert.signer, cert.signee))

    # -- looking things up ---------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)

    def key(self, name: str) -> TrustKey:
        for key in self.keys:
            if key.name == name:
                return key
        known = ", ".join(self.names) or TEXT["none_yet"]
        raise InputError(TEXT["no_key"].format(name=name, known=known))

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
            raise InputError(TEXT["nothing_to_remove"].format(signer=signer, signee=signee))
        certs = tuple(c for c in self.certifications if (c.signer, c.signee) != (signer, signee))
        return replace(self, certifications=certs)

    def with_certification_revoked(
        self, signer: str, signee: str, revoked: bool = True
    ) -> WebOfTrust:
        if self.certification(signer, signee) is None:
            raise InputError(TEXT["nothing_to_revoke"].format(signer=signer, signee=signee))
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
        raise InputError(TEXT["bad_owner_trust"].format(value=value, choices=choices)) from None
