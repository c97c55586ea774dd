"""Building PGP/MIME messages: multipart/signed (RFC 3156 §5) and multipart/encrypted (§4).

:func:`sign_message` and :func:`encrypt_message` return an :class:`~email.message.EmailMessage`;
:func:`signed_bytes` and :func:`encrypted_bytes` return the same message as the bytes on the wire,
without parsing it back (the labs' fast path). Signing and encrypting together puts the signature
inside the encrypted message (RFC 3156 §6.2), as GnuPG does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage

from mailsec.errors import InputError
from mailsec.i18n import gettext
from mailsec.openpgp.certs import Certificate, SecretKey
from mailsec.openpgp.encryption import encrypt
from mailsec.openpgp.pgpmime.mime import (
    POLICY,
    application_part,
    as_entity,
    boundary_for,
    entity_bytes,
    micalg_for,
    outer_message,
    parse,
)
from mailsec.openpgp.pgpmime.read import split_signed
from mailsec.openpgp.signing import sign

__all__ = ["encrypt_message", "encrypted_bytes", "sign_message", "signed_bytes"]


def sign_message(
    body: str | EmailMessage,
    signer: SecretKey,
    *,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """A multipart/signed message: ``body`` and a detached signature over it (RFC 3156 §5)."""
    return parse(signed_bytes(body, signer, headers=headers, now=now))


def signed_bytes(
    body: str | EmailMessage,
    signer: SecretKey,
    *,
    headers: Mapping[str, str] | None,
    now: datetime | None,
) -> bytes:
    """:func:`sign_message` as the bytes on the wire (no parsing back: the labs' fast path)."""
    entity = as_entity(body)
    signed = entity_bytes(entity)
    signature = sign(signed, signer, text=True, armor=True, now=now)
    boundary = boundary_for(signed + signature)
    outer = outer_message(
        "multipart/signed",
        {"protocol": "application/pgp-signature", "micalg": micalg_for(signature)},
        headers or {},
        now,
    )
    outer.set_boundary(boundary)
    sig_part = application_part(
        signature, "pgp-signature", disposition="attachment", filename="signature.asc"
    )
    outer.attach(parse(signed))
    outer.attach(sig_part)
    data = outer.as_bytes(policy=POLICY)
    # The generator must keep part 1 byte for byte, or the signature would not verify.
    if split_signed(data)[0] != signed:
        raise AssertionError("the email generator changed the signed part")  # pragma: no cover
    return data


def encrypt_message(
    body: str | EmailMessage,
    recipients: Sequence[Certificate],
    *,
    sign_with: Sequence[SecretKey] = (),
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """A multipart/encrypted message for ``recipients`` (RFC 3156 §4), signed inside when
    ``sign_with`` is given (RFC 3156 §6.2)."""
    return parse(encrypted_bytes(body, recipients, sign_with=sign_with, headers=headers, now=now))


def encrypted_bytes(
    body: str | EmailMessage,
    recipients: Sequence[Certificate],
    *,
    sign_with: Sequence[SecretKey] = (),
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> bytes:
    """:func:`encrypt_message` as the bytes on the wire (the labs' fast path)."""
    if not recipients:
        raise InputError(
            gettext("Encrypting needs at least one recipient's certificate (public key).")
        )
    entity = as_entity(body)
    ciphertext = encrypt(entity_bytes(entity), recipients, sign_with=sign_with, armor=True, now=now)
    outer = outer_message(
        "multipart/encrypted", {"protocol": "application/pgp-encrypted"}, headers or {}, now
    )
    control = application_part(
        b"Version: 1\r\n",
        "pgp-encrypted",
        description="PGP/MIME version identification",
    )
    data = application_part(
        ciphertext,
        "octet-stream",
        disposition="inline",
        filename="encrypted.asc",
        description="OpenPGP encrypted message",
    )
    outer.attach(control)
    outer.attach(data)
    return outer.as_bytes(policy=POLICY)
