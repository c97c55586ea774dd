"""The mail the S/MIME message tests (``tests/test_smime_{signing,enveloping,parsing,oracle}.py``)
sign and encrypt, and the sentence of it that must never show in an encrypted message. Their
``pki`` fixture (the course's CA and users) is in ``tests/conftest.py``.
"""

from __future__ import annotations

MAIL = (
    b"From: Alice <alice@example.org>\n"
    b"To: Bob <bob@example.net>\n"
    b"Subject: Lunch on Friday\n"
    b"Date: Sat, 28 Nov 2026 10:00:00 +0000\n"
    b"\n"
    b"Hello Bob,\n"
    b"see you at noon by the fountain.\n"
    b"Alice\n"
)
SECRET = b"see you at noon by the fountain."
