"""The course's certificate authority (PKI): a root CA, S/MIME user certificates, and checks.

Everything here is built with :mod:`cryptography.x509`; keys are generated at run time, never
stored in the repository. The one-call entry point is :func:`course_pki`::

    from mailsec.pki import course_pki, check_certificate

    pki = course_pki()                       # root CA, Alice (RSA), Bob (EC P-256), failure cases
    pki.alice.certificate                    # an S/MIME certificate for alice@example.org
    check = check_certificate(pki.expired.certificate, trusted=[pki.ca.certificate])
    check.status                             # CertificateStatus.EXPIRED, with a trace of why

Chapter 06 (PGP) can use the same :func:`course_pki` to compare hierarchical trust (one CA vouches
for everyone) with the web of trust.

Modules:

- :mod:`mailsec.pki.ca` — making the CA and issuing certificates (RFC 5280, RFC 8550 §4.4);
- :mod:`mailsec.pki.validate` — checking a certificate for S/MIME use: chain to a trusted root with
  :mod:`cryptography.x509.verification`, the emailProtection purpose, dates and address.

One hop on: :mod:`mailsec.render.smime` shows certificates, :mod:`mailsec.labs.smime` has the
certificate viewer, ``notebooks/05-smime.ipynb`` the chapter, and ``python -m mailsec pki
init|issue|show`` (:mod:`mailsec.cli.pki`) the command line.
"""

from mailsec.pki.ca import (
    CoursePKI,
    Identity,
    KeyType,
    course_pki,
    issue_server_certificate,
    issue_smime_certificate,
    load_certificate,
    load_certificates,
    load_private_key,
    make_ca,
)
from mailsec.pki.validate import CertificateCheck, CertificateStatus, check_certificate

__all__ = [
    "CertificateCheck",
    "CertificateStatus",
    "CoursePKI",
    "Identity",
    "KeyType",
    "check_certificate",
    "course_pki",
    "issue_server_certificate",
    "issue_smime_certificate",
    "load_certificate",
    "load_certificates",
    "load_private_key",
    "make_ca",
]
