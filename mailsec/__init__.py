"""mailsec: the package behind the email-security course.

One module or package per topic holds the pure logic (:mod:`mailsec.retrieval`, :mod:`mailsec.op25b`,
:mod:`mailsec.spf`, :mod:`mailsec.hybrid`, :mod:`mailsec.pki`, :mod:`mailsec.smime`,
:mod:`mailsec.openpgp`); :mod:`mailsec.render` turns results into HTML and SVG; :mod:`mailsec.labs`
builds the widgets the notebooks show.

``mailsec.set_language("ja")`` shows the course in Japanese from then on (:mod:`mailsec.i18n`).
"""

from mailsec.errors import (
    CryptoError,
    DecryptionError,
    InputError,
    MailsecError,
    NotAvailable,
    VerificationError,
)
from mailsec.i18n import set_language

__version__ = "0.1.0"
"""The course's version, written here only (pyproject.toml, CITATION.cff and CHANGELOG.md follow
it; ``tests/test_release.py`` checks that they do)."""

__all__ = [
    "CryptoError",
    "DecryptionError",
    "InputError",
    "MailsecError",
    "NotAvailable",
    "VerificationError",
    "__version__",
    "set_language",
]
