"""The other model: S/MIME's CA hierarchy next to the web of trust, aspect by aspect."""

from __future__ import annotations

from dataclasses import dataclass

from mailsec.i18n import gettext, texts

__all__ = ["COMPARISON", "Comparison"]


@dataclass(frozen=True)
class Comparison:
    """One aspect of the two trust models side by side (in English: :meth:`translated` says it
    in the current language)."""

    aspect: str
    pgp: str
    smime: str

    def translated(self) -> Comparison:
        """The same aspect in the current language."""
        return Comparison(gettext(self.aspect), gettext(self.pgp), gettext(self.smime))


TEXT = texts(
    {
        # (aspect, PGP, S/MIME) in turn.
        "rows": (
            "Who vouches for a key",
            "Other users: anyone can certify anyone's key (RFC 4880 §5.2.1).",
            "A certification authority (CA) signs a certificate (RFC 5280 §4).",
            "Where trust starts",
            "Your own key; you choose whose checking you trust (owner trust), privately.",
            "Root CA certificates shipped with the operating system or mail client.",
            "What makes a key valid",
            "Enough certifications by keys you trust: 1 full or 3 marginal (GnuPG defaults).",
            "One unbroken chain of CA signatures from a trusted root to the certificate "
            "(RFC 5280 §6).",
            "Path length",
            "At most --max-cert-depth certifications (5 by default).",
            "pathLenConstraint in each CA's basicConstraints (RFC 5280 §4.2.1.9).",
            "Revocation",
            "The owner publishes a revocation signature; it must reach you (key server, mail).",
            "The CA publishes a CRL or answers OCSP (RFC 5280 §5, RFC 6960); clients check it.",
            "Expiry",
            "The owner sets an expiration time and can extend it (RFC 4880 §5.2.3.6).",
            "The CA sets notAfter; after it, a new certificate is needed (RFC 5280 §4.1.2.5).",
            "If the top is compromised",
            "Only paths through that key are affected; other paths still hold.",
            "Every certificate under that CA is suspect until the root is removed everywhere.",
            "Cost and setup",
            "Free; needs people to meet, check fingerprints and sign keys.",
            "A CA checks identity (often for a fee); clients work out of the box.",
        ),
    }
)
"""The comparison's words (see :mod:`mailsec.i18n`)."""

_ROWS = TEXT.source["rows"]

#: The web of trust (PGP) next to the CA hierarchy (S/MIME, RFC 8550/8551 on RFC 5280 PKIX), in
#: English; :meth:`Comparison.translated` gives each in the current language.
COMPARISON: tuple[Comparison, ...] = tuple(
    Comparison(*_ROWS[i : i + 3]) for i in range(0, len(_ROWS), 3)
)
