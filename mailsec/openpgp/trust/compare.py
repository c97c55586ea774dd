"""The other model: S/MIME's CA hierarchy next to the web of trust, aspect by aspect."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMPARISON", "Comparison"]


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
