"""PGP/MIME (RFC 3156): OpenPGP inside mail, built and read with the standard ``email`` package.

Two MIME types carry OpenPGP in mail (RFC 1847 security multiparts):

``multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha512``
    Part 1 is the signed MIME entity, exactly as sent; part 2 (``application/pgp-signature``) is
    a detached signature over part 1's bytes, headers included, with every line ending in CRLF
    (RFC 3156 §5). Anyone can read part 1 without PGP; a PGP-aware client checks the signature.

``multipart/encrypted; protocol="application/pgp-encrypted"``
    Part 1 (``application/pgp-encrypted``) says ``Version: 1``; part 2
    (``application/octet-stream``) is an ASCII-armored OpenPGP message whose plaintext is a whole
    MIME entity, headers and body (RFC 3156 §4). Signing and encrypting together puts the
    signature inside the encrypted message (RFC 3156 §6.2), as GnuPG does.

What stays visible: the outer headers (From, To, Subject, Date) are not encrypted or signed.
RFC 3156 protects the body only.

Signed text is sent quoted-printable (RFC 3156 §3: signed data must survive 7-bit transport and
trailing-space stripping), or base64 when a line starts with "From " (which mailboxes mangle).

Where things live:

- :mod:`~mailsec.openpgp.pgpmime.mime` — the canonical form, ``micalg``, MIME entities and parts;
- :mod:`~mailsec.openpgp.pgpmime.build` — :func:`sign_message`, :func:`encrypt_message`;
- :mod:`~mailsec.openpgp.pgpmime.read` — :func:`read_message`, :func:`split_signed`;
- :mod:`~mailsec.openpgp.pgpmime.transit` — the lab's demonstration: :func:`protect`, a change in
  transit (:class:`Tamper`), :func:`deliver`;
- :mod:`~mailsec.openpgp.pgpmime.compare` — the same text as PGP/MIME and as S/MIME, side by side.

Every name is importable from :mod:`mailsec.openpgp.pgpmime` itself, as chapter 06's notebook and
:mod:`mailsec.labs.pgp` do; :mod:`mailsec.render.openpgp` draws the results.
"""

from mailsec.openpgp.pgpmime.build import encrypt_message, sign_message
from mailsec.openpgp.pgpmime.compare import (
    MailPair,
    SealedSideBySide,
    SideBySide,
    check_pair,
    encrypt_both,
    encrypt_pair,
    open_pair,
    sign_both,
    sign_pair,
)
from mailsec.openpgp.pgpmime.mime import MICALG, POLICY, canonicalize, micalg_for
from mailsec.openpgp.pgpmime.read import PgpMimeKind, PgpMimeResult, read_message, split_signed
from mailsec.openpgp.pgpmime.transit import Delivery, Protection, Tamper, deliver, protect

__all__ = [
    "MICALG",
    "POLICY",
    "Delivery",
    "MailPair",
    "PgpMimeKind",
    "PgpMimeResult",
    "Protection",
    "SealedSideBySide",
    "SideBySide",
    "Tamper",
    "canonicalize",
    "check_pair",
    "deliver",
    "encrypt_both",
    "encrypt_message",
    "encrypt_pair",
    "micalg_for",
    "open_pair",
    "protect",
    "read_message",
    "sign_both",
    "sign_message",
    "sign_pair",
    "split_signed",
]
