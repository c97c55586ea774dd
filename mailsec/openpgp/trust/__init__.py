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

Where things live: :mod:`~mailsec.openpgp.trust.graph` (the inputs and the policy),
:mod:`~mailsec.openpgp.trust.evaluate` (the calculation and its results),
:mod:`~mailsec.openpgp.trust.compare` (the web of trust next to S/MIME's CA hierarchy).
Everything public is importable from this package.
"""

from __future__ import annotations

from mailsec.openpgp.trust.compare import COMPARISON, Comparison
from mailsec.openpgp.trust.evaluate import (
    CertificationResult,
    CertificationUse,
    KeyValidity,
    TrustResult,
    evaluate,
)
from mailsec.openpgp.trust.graph import (
    GNUPG_MODEL,
    POLICY_LIMITS,
    Certification,
    OwnerTrust,
    PolicyLimit,
    TrustKey,
    TrustPolicy,
    Validity,
    WebOfTrust,
    check_policy_value,
)

__all__ = [
    "COMPARISON",
    "GNUPG_MODEL",
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
