"""Hybrid encryption from the inside — the LEARNING LAYER of chapter 04.

This package shows what S/MIME and OpenPGP do inside, one step at a time, with data a lab can show.
Its message format is mailsec's own: use it to learn, not to protect real mail (for that, see
:mod:`mailsec.smime`, which writes standard CMS messages).

- :mod:`~mailsec.hybrid.keys`: key pairs for Bob, Carol and the others (RSA, X25519, Ed25519).
- :mod:`~mailsec.hybrid.envelope`: a random content key, the message sealed with AES-256-GCM, the
  content key wrapped for each recipient (RSA-OAEP; X25519 + HKDF + AES key wrap), and decryption
  that raises one opaque :class:`~mailsec.errors.DecryptionError` and never returns plaintext whose
  tag failed.
- :mod:`~mailsec.hybrid.signatures`: RSA-PSS and Ed25519 signatures for sender authentication and
  tamper detection.
- :mod:`~mailsec.hybrid.measure`: public-key-only (RSA-OAEP in chunks) against hybrid, timed with a
  clock passed in; :mod:`~mailsec.hybrid.reference` holds a full 1 KB-10 MB run and says where it
  was measured.
- :mod:`~mailsec.hybrid.demo`: the labs' scenarios as pure functions.

Every function takes its randomness (``random``) and clock as parameters with real defaults.

One hop on: :mod:`mailsec.render.hybrid` draws the pipeline and the size-and-speed plot,
:mod:`mailsec.labs.hybrid` is the labs, ``notebooks/04-hybrid-encryption.ipynb`` the chapter.
"""

from mailsec.hybrid.demo import (
    Cast,
    PipelineRun,
    SignatureRun,
    Transit,
    make_cast,
    run_pipeline,
    run_signature,
)
from mailsec.hybrid.envelope import (
    ContentKey,
    Decryption,
    Encryption,
    HybridMessage,
    Part,
    Protection,
    SealedContent,
    WrapMethod,
    WrappedKey,
    decrypt,
    encrypt,
    new_content_key,
    seal,
    tamper,
    unseal,
    unwrap,
    wrap,
)
from mailsec.hybrid.keys import KeyKind, KeyPair, PublicKey, generate_keypair
from mailsec.hybrid.measure import Cost, Measurement, SizePoint, measure
from mailsec.hybrid.signatures import (
    Signature,
    SignatureAlgorithm,
    SignatureCheck,
    sign,
    verify_signature,
)

__all__ = [
    "Cast",
    "ContentKey",
    "Cost",
    "Decryption",
    "Encryption",
    "HybridMessage",
    "KeyKind",
    "KeyPair",
    "Measurement",
    "Part",
    "PipelineRun",
    "Protection",
    "PublicKey",
    "SealedContent",
    "Signature",
    "SignatureAlgorithm",
    "SignatureCheck",
    "SignatureRun",
    "SizePoint",
    "Transit",
    "WrapMethod",
    "WrappedKey",
    "decrypt",
    "encrypt",
    "generate_keypair",
    "make_cast",
    "measure",
    "new_content_key",
    "run_pipeline",
    "run_signature",
    "seal",
    "sign",
    "tamper",
    "unseal",
    "unwrap",
    "verify_signature",
    "wrap",
]
