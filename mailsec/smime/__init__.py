"""S/MIME 4.0 (RFC 8551): signed and encrypted mail with certificates.

The recipes (one call each) work on whole messages as bytes::

    from mailsec.pki import course_pki
    from mailsec.smime import encrypt_message, decrypt_message, sign_message, verify_message

    pki = course_pki()
    signed = sign_message(mail, key=pki.alice.key, certificate=pki.alice.certificate)
    result = verify_message(signed, trusted=[pki.ca.certificate])      # result.status, result.steps
    sealed = encrypt_message(signed, [pki.bob.certificate])              # AES-256-GCM by default
    opened = decrypt_message(sealed, key=pki.bob.key, certificate=pki.bob.certificate)

Modules:

- :mod:`mailsec.smime.messages` — the recipes above;
- :mod:`mailsec.smime.mime` — MIME wrapping and canonical form (RFC 8551 §3);
- the learning layer, CMS by hand: :mod:`~mailsec.smime.cms` (the structures and enums both halves
  share), :mod:`~mailsec.smime.signed` (SignedData verification, RFC 5652 §5) and
  :mod:`~mailsec.smime.enveloped` (EnvelopedData and AuthEnvelopedData with RSA and ECDH
  recipients, RFC 5652 §6, RFC 5083; one opaque error for every decryption failure);
- :mod:`mailsec.smime.inspect` — the MIME tree and the CMS structure of a message, as data for the
  labs, plus the byte-flipping and EFAIL demonstrations; :mod:`~mailsec.smime.damage` says where
  a changed byte lands under AES-CBC;
- :mod:`mailsec.smime.demo` — a message from Alice to Bob end to end (compose, sign, encrypt,
  change on the way, read), the model behind chapter 05's message lab.

One hop on: :mod:`mailsec.render.smime` draws these results, :mod:`mailsec.labs.smime` is the
labs, ``notebooks/05-smime.ipynb`` the chapter; the command line is ``python -m mailsec smime
sign|encrypt|decrypt|verify`` (:mod:`mailsec.cli.smime`). The certificates come from
:mod:`mailsec.pki`.
"""

from mailsec.smime.cms import ContentCipher, KeyTransport, RecipientKind
from mailsec.smime.messages import (
    Decrypted,
    MessageKind,
    SignatureStatus,
    Verification,
    decrypt_message,
    decrypt_message_buffer,
    encrypt_message,
    message_kind,
    sign_and_encrypt,
    sign_message,
    verify_message,
)

__all__ = [
    "ContentCipher",
    "Decrypted",
    "KeyTransport",
    "MessageKind",
    "RecipientKind",
    "SignatureStatus",
    "Verification",
    "decrypt_message",
    "decrypt_message_buffer",
    "encrypt_message",
    "message_kind",
    "sign_and_encrypt",
    "sign_message",
    "verify_message",
]
