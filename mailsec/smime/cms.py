"""CMS by hand: the parts of RFC 5652 that :mod:`cryptography` does not offer (the learning layer).

This module is the low level under :mod:`mailsec.smime`. It is written to be read: each function
follows one section of a standard, and the structures are parsed and built with :mod:`asn1crypto`
while every cryptographic operation is done by :mod:`cryptography`.

- :func:`verify_signed_data` — signature verification of CMS SignedData (RFC 5652 §5.4, §5.6):
  digests, signed attributes re-tagged as a SET OF, RSA (PKCS #1 v1.5 and PSS) and ECDSA.
- :func:`build_enveloped` / :func:`open_enveloped` — EnvelopedData (RFC 5652 §6) with AES-CBC and
  AuthEnvelopedData (RFC 5083) with AES-GCM (RFC 5084), for two kinds of recipient:

  * RSA key transport (``ktri``, RFC 5652 §6.2.1): the content key encrypted with the
    recipient's RSA public key (PKCS #1 v1.5 as OpenSSL and mail clients use; OAEP is read too);
  * ECDH key agreement (``kari``, RFC 5753 §3.1): an ephemeral EC key, the ANSI X9.63 KDF over
    the ECC-CMS-SharedInfo, and AES key wrap (RFC 3394) of the content key. ``openssl cms`` 3.0
    writes ``dhSinglePass-stdDH-sha1kdf-scheme``; we write the SHA-256 scheme (RFC 5753 §8 pairs
    it with P-256) and read SHA-1 to SHA-512, standard and cofactor (the same on P-256).

Decryption never returns plaintext that failed its integrity check: with AES-GCM the tag is checked
before anything is returned. AES-CBC has no integrity check at all; :class:`Opened` says so
(``authenticated=False``), which is the weakness EFAIL (2018) used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import hashlib
import hmac
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from asn1crypto import algos, cms, core, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.padding import PKCS7

from mailsec.errors import DecryptionError, InputError, MailsecError
from mailsec.trace import Outcome, Step, Trace

__all__ = [
    "ContentCipher",
    "Opened",
    "RecipientKind",
    "SignatureCheck",
    "build_enveloped",
    "content_kind",
    "damaged_input",
    "load_content_info",
    "open_enveloped",
    "verify_signed_data",
]

RandomBytes = Callable[[int], bytes]


class GcmParameters(core.Sequence):
    """GCMParameters (RFC 5084 §3.2): the nonce and the tag length (12 unless given)."""

    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("nonce", core.OctetString),
        ("icv_len", core.Integer, {"default": 12}),
    ]


class EccCmsSharedInfo(core.Sequence):
    """ECC-CMS-SharedInfo (RFC 5753 §7.2): the input to the KDF besides the shared secret."""

    _fields = [  # noqa: RUF012
        ("key_info", cms.KeyEncryptionAlgorithm),
        ("entity_u_info", core.OctetString, {"explicit": 0, "optional": True}),
        ("supp_pub_info", core.OctetString, {"explicit": 2}),
    ]


class ContentCipher(enum.Enum):
    """How the message content is encrypted (RFC 8551 §2.7)."""

    AES128_CBC = "aes128-cbc"
    """AES-128 in CBC mode (EnvelopedData): no integrity check; what old clients read."""
    AES256_CBC = "aes256-cbc"
    """AES-256 in CBC mode (EnvelopedData): no integrity check."""
    AES128_GCM = "aes128-gcm"
    """AES-128-GCM (AuthEnvelopedData, RFC 5083/5084): encrypted and authenticated."""
    AES256_GCM = "aes256-gcm"
    """AES-256-GCM (AuthEnvelopedData): the S/MIME 4.0 default here."""

    @property
    def key_size(self) -> int:
        return 16 if self.value.startswith("aes128") else 32

    @property
    def authenticated(self) -> bool:
        """True when the cipher detects any change to the ciphertext (AEAD)."""
        return self.value.endswith("gcm")

    @property
    def oid_name(self) -> str:
        return self.value.replace("-", "_")

    @property
    def description(self) -> str:
        mode = "GCM, authenticated" if self.authenticated else "CBC, not authenticated"
        return f"AES-{self.key_size * 8} ({mode})"

    @classmethod
    def from_oid_name(cls, name: str) -> ContentCipher:
        for member in cls:
            if member.oid_name == name:
                return member
        raise DecryptionError(
            f"The message is encrypted with {name!r}, which mailsec does not read "
            "(it reads AES-128/256 in CBC or GCM mode)."
        )


class RecipientKind(enum.Enum):
    """How a recipient's copy of the content key is protected (RFC 5652 §6.2)."""

    KEY_TRANSPORT = "ktri"
    """The content key is encrypted with the recipient's RSA public key."""
    KEY_AGREEMENT = "kari"
    """An ECDH shared secret (sender's one-time key + recipient's key) wraps the content key."""

    @property
    def description(self) -> str:
        return {
            "ktri": "RSA key transport (KeyTransRecipientInfo)",
            "kari": "ECDH key agreement (KeyAgreeRecipientInfo)",
        }[self.value]


# RFC 5753 §7.1.4 and SEC 1: dhSinglePass-{stdDH,cofactorDH}-sha*kdf-scheme.
ECDH_SCHEMES: dict[str, tuple[str, hashes.HashAlgorithm]] = {
    "1.3.133.16.840.63.0.2": ("dhSinglePass-stdDH-sha1kdf-scheme", hashes.SHA1()),
    "1.3.132.1.11.0": ("dhSinglePass-stdDH-sha224kdf-scheme", hashes.SHA224()),
    "1.3.132.1.11.1": ("dhSinglePass-stdDH-sha256kdf-scheme", hashes.SHA256()),
    "1.3.132.1.11.2": ("dhSinglePass-stdDH-sha384kdf-scheme", hashes.SHA384()),
    "1.3.132.1.11.3": ("dhSinglePass-stdDH-sha512kdf-scheme", hashes.SHA512()),
    "1.3.133.16.840.63.0.3": ("dhSinglePass-cofactorDH-sha1kdf-scheme", hashes.SHA1()),
    "1.3.132.1.14.0": ("dhSinglePass-cofactorDH-sha224kdf-scheme", hashes.SHA224()),
    "1.3.132.1.14.1": ("dhSinglePass-cofactorDH-sha256kdf-scheme", hashes.SHA256()),
    "1.3.132.1.14.2": ("dhSinglePass-cofactorDH-sha384kdf-scheme", hashes.SHA384()),
    "1.3.132.1.14.3": ("dhSinglePass-cofactorDH-sha512kdf-scheme", hashes.SHA512()),
}
#: The scheme we write: the SHA-256 KDF, which RFC 5753 §8 pairs with P-256 (ECDH ephemeral-static
#: on P-256 is what RFC 8551 §2.3 requires agents to support).
ECDH_SCHEME_OUT = "1.3.132.1.11.1"
_WRAP_SIZES = {"aes128_wrap": 16, "aes192_wrap": 24, "aes256_wrap": 32}


# -- parsing -------------------------------------------------------------------------------------


@contextlib.contextmanager
def damaged_input(what: str = "The S/MIME part") -> Iterator[None]:
    """Turn a parse failure deep inside a CMS structure into one sentence (never a traceback).

    asn1crypto parses lazily, so a damaged or truncated structure can fail at the first access to
    an inner field rather than at load time, and cryptography's lazy certificate fields raise
    several exception types (ValueError, InvalidVersion, UnsupportedAlgorithm ...). Whatever goes
    wrong while reading an untrusted structure means it is damaged; errors mailsec raises on
    purpose pass through.
    """
    try:
        yield
    except MailsecError:
        raise
    except Exception:  # asn1crypto and cryptography raise many kinds on malformed DER
        raise InputError(
            f"{what} is not a readable CMS structure: it is truncated or damaged. "
            "Ask the sender to send the message again."
        ) from None


def load_content_info(der: bytes) -> cms.ContentInfo:
    """Parse a CMS ContentInfo (DER or BER) and fail with a sentence, not a traceback."""
    try:
        info = cms.ContentInfo.load(der)
        _ = info["content_type"].native  # force the parse of the outer layer
        _ = info["content"].parsed if hasattr(info["content"], "parsed") else info["content"]
    except (ValueError, TypeError, OverflowError):
        raise InputError(
            f"The S/MIME part is not a readable CMS structure ({len(der):,} bytes): it is "
            "truncated or damaged. Ask the sender to send the message again."
        ) from None
    return info


def content_kind(info: cms.ContentInfo) -> str:
    """``signed_data``, ``enveloped_data``, ``authenticated_enveloped_data`` or another name."""
    return str(info["content_type"].native)


def _rsa_oaep_padding(params: algos.RSAESOAEPParams) -> padding.OAEP:
    hash_name = params["hash_algorithm"]["algorithm"].native
    mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
    return padding.OAEP(mgf=padding.MGF1(_hash(mgf_hash)), algorithm=_hash(hash_name), label=None)


def _hash(name: str) -> hashes.HashAlgorithm:
    table: dict[str, hashes.HashAlgorithm] = {
        "sha1": hashes.SHA1(),
        "sha224": hashes.SHA224(),
        "sha256": hashes.SHA256(),
        "sha384": hashes.SHA384(),
        "sha512": hashes.SHA512(),
    }
    if name not in table:
        raise InputError(f"The digest algorithm {name!r} is not one mailsec checks (SHA-1/2).")
    return table[name]


def _matches(rid: cms.IssuerAndSerialNumber | core.Asn1Value, cert: x509.Certificate) -> bool:
    """Does a recipient or signer identifier name this certificate? (RFC 5652 §6.2, §5.3)"""
    if isinstance(rid, cms.IssuerAndSerialNumber):
        issuer = asn1_x509.Name.load(cert.issuer.public_bytes())
        return rid["serial_number"].native == cert.serial_number and rid["issuer"] == issuer
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return False
    value = rid.native
    if isinstance(value, dict):  # RecipientKeyIdentifier
        value = value.get("subject_key_identifier")
    return bool(value == ski)


# -- signatures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """The result of checking the signature of SignedData (not the certificate chain)."""

    valid: bool
    """The digest and the signature match the content."""
    signer: x509.Certificate | None
    """The signer's certificate, found in the SignedData (None if it was missing)."""
    certificates: tuple[x509.Certificate, ...]
    digest_algorithm: str
    signature_algorithm: str
    signing_time: dt.datetime | None
    content: bytes
    """The signed content (the MIME entity as signed)."""
    steps: Trace
    problem: str | None = None
    """Why the signature did not verify, in a sentence (None when it did)."""


def verify_signed_data(info: cms.ContentInfo, content: bytes | None = None) -> SignatureCheck:
    """Check the first signer of a SignedData over ``content`` (detached) or its eContent.

    S/MIME messages carry one signer; a second signer (rare) is not checked here, and the trace
    says how many there were.

    RFC 5652 §5.4: when signed attributes are present, the message-digest attribute must equal the
    digest of the content, and the signature covers the DER of the attributes as a SET OF
    (tag 0x31), not the [0] IMPLICIT form they are sent in. The certificate is not judged here.
    """
    steps: list[Step] = []
    signed = info["content"]
    encap = signed["encap_content_info"]
    if content is None:
        content = encap["content"].native if encap["content"] else None
        if content is None:
            raise InputError(
                "The signature is detached but no signed content came with it; "
                "pass the whole multipart/signed message."
            )
        steps.append(
            Step(
                "The signed content is inside the SignedData (opaque signing).",
                section="RFC 8551 §3.5.2",
            )
        )
    else:
        steps.append(
            Step(
                f"Detached signature over the first MIME part ({len(content):,} bytes, CRLF line ends).",
                section="RFC 8551 §3.5.3",
            )
        )
    certificates = tuple(
        x509.load_der_x509_certificate(c.chosen.dump())
        for c in (signed["certificates"] or [])
        if c.name == "certificate"
    )
    signer_infos = signed["signer_infos"]
    if len(signer_infos) == 0:
        raise InputError("The SignedData has no signer at all; it is not a signed message.")
    signer_info = signer_infos[0]
    if len(signer_infos) > 1:
        steps.append(
            Step(
                f"{len(signer_infos)} signers; only the first is checked.",
                Outcome.WARN,
                "RFC 5652 §5.1",
            )
        )
    sid = signer_info["sid"].chosen
    signer = next((c for c in certificates if _matches(sid, c)), None)
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    sig_algo = signer_info["signature_algorithm"]
    sig_name = sig_algo.signature_algo
    steps.append(
        Step(
            f"Signer info: digest {digest_name.upper()}, signature {sig_name}; "
            f"{len(certificates)} certificate(s) carried.",
            section="RFC 5652 §5.3",
        )
    )

    def result(
        valid: bool, problem: str | None, signing_time: dt.datetime | None = None
    ) -> SignatureCheck:
        return SignatureCheck(
            valid,
            signer,
            certificates,
            digest_name,
            sig_name,
            signing_time,
            content,
            tuple(steps),
            problem,
        )

    if signer is None:
        steps.append(
            Step(
                "The signer's certificate is not in the message, so the signature cannot be checked.",
                Outcome.FAIL,
                "RFC 8551 §2.4.1",
            )
        )
        return result(False, "the signature does not carry the signer's certificate")

    digest_algo = _hash(digest_name)
    h = hashes.Hash(digest_algo)
    h.update(content)
    digest = h.finalize()
    signed_attrs = signer_info["signed_attrs"]
    signing_time = None
    if signed_attrs:
        attrs = {a["type"].native: a["values"] for a in signed_attrs}
        expected = attrs.get("message_digest")
        if expected is None:
            steps.append(Step("No message-digest attribute.", Outcome.FAIL, "RFC 5652 §11.2"))
            return result(False, "the signature has no message-digest attribute")
        if "signing_time" in attrs:
            signing_time = attrs["signing_time"][0].native
        signed_type = attrs.get("content_type")
        if signed_type is None or signed_type[0].native != encap["content_type"].native:
            # RFC 5652 §11.1: the content-type attribute must be present and equal eContentType,
            # so a signature over one kind of content cannot be passed off as another.
            steps.append(
                Step(
                    "The signed content-type attribute is missing or does not match the content.",
                    Outcome.FAIL,
                    "RFC 5652 §11.1",
                )
            )
            return result(False, "the signed content type does not match", signing_time)
        if not hmac.compare_digest(expected[0].native, digest):
            steps.append(
                Step(
                    f"The {digest_name.upper()} digest of the content does not match the signed "
                    "message-digest attribute: the content was changed after signing.",
                    Outcome.FAIL,
                    "RFC 5652 §11.2",
                )
            )
            return result(False, "the content was changed after it was signed", signing_time)
        steps.append(
            Step(
                f"The {digest_name.upper()} digest of the content equals the signed message-digest attribute.",
                Outcome.OK,
                "RFC 5652 §11.2",
            )
        )
        to_verify = b"\x31" + signed_attrs.dump()[1:]  # RFC 5652 §5.4: EXPLICIT SET OF tag
    else:
        to_verify = content
    public_key = signer.public_key()
    signature = signer_info["signature"].native
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if sig_name == "rsassa_pss":
                params = sig_algo["parameters"]
                pss = padding.PSS(
                    mgf=padding.MGF1(
                        _hash(params["mask_gen_algorithm"]["parameters"]["algorithm"].native)
                    ),
                    salt_length=params["salt_length"].native,
                )
                public_key.verify(
                    signature, to_verify, pss, _hash(params["hash_algorithm"]["algorithm"].native)
                )
            else:
                public_key.verify(signature, to_verify, padding.PKCS1v15(), digest_algo)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, to_verify, ec.ECDSA(digest_algo))
        else:
            steps.append(Step("The signer's key type is not RSA or EC.", Outcome.FAIL))
            return result(
                False, "the signer's key is of a kind mailsec does not check", signing_time
            )
    except InvalidSignature:
        steps.append(
            Step(
                "The signature does not match the signed attributes and the signer's public key.",
                Outcome.FAIL,
                "RFC 5652 §5.6",
            )
        )
        return result(False, "the signature does not match: the message was changed", signing_time)
    steps.append(
        Step(
            "The signature verifies with the public key in the signer's certificate.",
            Outcome.OK,
            "RFC 5652 §5.6",
        )
    )
    return result(True, None, signing_time)


# -- enveloping ----------------------------------------------------------------------------------


def _issuer_and_serial(cert: x509.Certificate) -> cms.IssuerAndSerialNumber:
    return cms.IssuerAndSerialNumber(
        {
            "issuer": asn1_x509.Name.load(cert.issuer.public_bytes()),
            "serial_number": cert.serial_number,
        }
    )


def _wrap_name(key_size: int) -> str:
    return {16: "aes128_wrap", 24: "aes192_wrap", 32: "aes256_wrap"}[key_size]


def _kdf(
    scheme_hash: hashes.HashAlgorithm,
    shared_secret: bytes,
    wrap_algorithm: cms.KeyEncryptionAlgorithm,
    wrap_size: int,
    ukm: bytes | None,
) -> bytes:
    """The KEK from the ECDH secret: ANSI X9.63 KDF over ECC-CMS-SharedInfo (RFC 5753 §7.2)."""
    info = {
        "key_info": wrap_algorithm,
        "supp_pub_info": (wrap_size * 8).to_bytes(4, "big"),
    }
    if ukm is not None:
        info["entity_u_info"] = ukm
    shared_info = EccCmsSharedInfo(info).dump()
    return X963KDF(algorithm=scheme_hash, length=wrap_size, sharedinfo=shared_info).derive(
        shared_secret
    )


def _recipient_info(
    cert: x509.Certificate, content_key: bytes
) -> tuple[cms.RecipientInfo, RecipientKind]:
    public_key = cert.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        # RFC 5652 §6.2.1 with rsaEncryption (PKCS #1 v1.5), what OpenSSL and mail clients use.
        encrypted = public_key.encrypt(content_key, padding.PKCS1v15())
        ktri = cms.KeyTransRecipientInfo(
            {
                "version": "v0",
                "rid": cms.RecipientIdentifier(
                    {"issuer_and_serial_number": _issuer_and_serial(cert)}
                ),
                "key_encryption_algorithm": cms.KeyEncryptionAlgorithm(
                    {"algorithm": "rsaes_pkcs1v15", "parameters": core.Null()}
                ),
                "encrypted_key": encrypted,
            }
        )
        return cms.RecipientInfo({"ktri": ktri}), RecipientKind.KEY_TRANSPORT
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        # RFC 5753 §3.1.1: a one-time (ephemeral) key pair on the recipient's curve.
        ephemeral = ec.generate_private_key(public_key.curve)
        shared = ephemeral.exchange(ec.ECDH(), public_key)
        wrap_size = len(content_key)
        wrap = cms.KeyEncryptionAlgorithm({"algorithm": _wrap_name(wrap_size)})
        kek = _kdf(ECDH_SCHEMES[ECDH_SCHEME_OUT][1], shared, wrap, wrap_size, None)
        point = ephemeral.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        kari = cms.KeyAgreeRecipientInfo(
            {
                "version": "v3",
                "originator": cms.OriginatorIdentifierOrKey(
                    {
                        "originator_key": keys.PublicKeyInfo(
                            {
                                "algorithm": keys.PublicKeyAlgorithm({"algorithm": "ec"}),
                                "public_key": point,
                            }
                        )
                    }
                ),
                "key_encryption_algorithm": cms.KeyEncryptionAlgorithm(
                    {"algorithm": ECDH_SCHEME_OUT, "parameters": wrap}
                ),
                "recipient_encrypted_keys": [
                    {
                        "rid": {"issuer_and_serial_number": _issuer_and_serial(cert)},
                        "encrypted_key": keywrap.aes_key_wrap(kek, content_key),
                    }
                ],
            }
        )
        return cms.RecipientInfo({"kari": kari}), RecipientKind.KEY_AGREEMENT
    raise InputError(
        "A recipient certificate holds neither an RSA nor an EC key; S/MIME here needs one of those."
    )


def build_enveloped(
    content: bytes,
    recipients: Sequence[x509.Certificate],
    cipher: ContentCipher = ContentCipher.AES256_GCM,
    *,
    random_bytes: RandomBytes = os.urandom,
) -> bytes:
    """Encrypt ``content`` for every recipient: EnvelopedData (CBC) or AuthEnvelopedData (GCM).

    One random content key encrypts the content once; each recipient gets that key protected with
    their own public key (hybrid encryption, RFC 5652 §6). Returns the DER ContentInfo.
    """
    if not recipients:
        raise InputError("Give at least one recipient certificate to encrypt for.")
    content_key = random_bytes(cipher.key_size)
    infos = [_recipient_info(cert, content_key)[0] for cert in recipients]
    if cipher.authenticated:
        nonce = random_bytes(12)  # RFC 5084 §3.2: a 12-octet nonce is recommended
        sealed = AESGCM(content_key).encrypt(nonce, content, None)
        ciphertext, tag = memoryview(sealed)[:-16], sealed[-16:]  # no 10 MB copy
        algorithm = algos.EncryptionAlgorithm(
            {
                "algorithm": cipher.oid_name,
                "parameters": GcmParameters({"nonce": nonce, "icv_len": 16}),
            }
        )
        eci = _encrypted_content_info(algorithm, ciphertext)
        body = [
            cms.CMSVersion("v0").dump(),  # RFC 5083 §2.1: always 0
            cms.RecipientInfos(infos).dump(),
            *eci,
            core.OctetString(tag).dump(),
        ]
        return _content_info("authenticated_enveloped_data", body)
    iv = random_bytes(16)
    padder = PKCS7(128).padder()
    padded = padder.update(content) + padder.finalize()
    encryptor = Cipher(algorithms.AES(content_key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    all_v0 = all(info.name == "ktri" for info in infos)
    algorithm = algos.EncryptionAlgorithm({"algorithm": cipher.oid_name, "parameters": iv})
    body = [
        cms.CMSVersion("v0" if all_v0 else "v2").dump(),  # RFC 5652 §6.1
        cms.RecipientInfos(infos).dump(),
        *_encrypted_content_info(algorithm, ciphertext),
    ]
    return _content_info("enveloped_data", body)


# The structures around a large ciphertext are written out here rather than by asn1crypto, so
# that the ciphertext is copied once (a 10 MB message would otherwise be copied at every level).
# The bytes are the same DER that asn1crypto writes; the tests parse them back with asn1crypto.


def _der_length(n: int) -> bytes:
    """A DER length (X.690 §8.1.3): short form below 128, else long form."""
    if n < 0x80:
        return bytes([n])
    size = (n.bit_length() + 7) // 8
    return bytes([0x80 | size]) + n.to_bytes(size, "big")


def _der_parts(tag: int, parts: list[bytes | memoryview]) -> list[bytes | memoryview]:
    """The parts of one DER value (tag, length, contents) without joining the contents."""
    return [bytes([tag]), _der_length(sum(len(p) for p in parts)), *parts]


def _encrypted_content_info(
    algorithm: algos.EncryptionAlgorithm, ciphertext: bytes | memoryview
) -> list[bytes]:
    """EncryptedContentInfo (RFC 5652 §6.1) with [0] IMPLICIT OCTET STRING encryptedContent."""
    return _der_parts(
        0x30,
        [
            cms.ContentType("data").dump(),
            algorithm.dump(),
            *_der_parts(0x80, [ciphertext]),
        ],
    )


def _content_info(content_type: str, body: list[bytes]) -> bytes:
    """ContentInfo (RFC 5652 §3) around a SEQUENCE body, joined once."""
    inner = _der_parts(0x30, body)
    return b"".join(
        _der_parts(0x30, [cms.ContentType(content_type).dump(), *_der_parts(0xA0, inner)])
    )


@dataclass(frozen=True)
class Opened:
    """A decrypted CMS message."""

    content: bytes
    cipher: ContentCipher
    recipient_kind: RecipientKind
    recipients: int
    """How many recipients the message was encrypted for."""
    steps: Trace = field(default=())

    @property
    def authenticated(self) -> bool:
        """True if the content was checked for changes (AES-GCM); False for AES-CBC."""
        return self.cipher.authenticated


_OPAQUE = (
    "The message could not be decrypted: the key does not open it, or the message was changed "
    "or damaged on the way. Nothing of its content is shown."
)


def _unwrap_for(
    info: cms.RecipientInfo,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
) -> tuple[bytes, RecipientKind, list[Step]] | None:
    """The content key from one RecipientInfo if it names ``cert``; None if it does not."""
    steps: list[Step] = []
    if info.name == "ktri":
        ktri = info.chosen
        if not _matches(ktri["rid"].chosen, cert):
            return None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise DecryptionError(
                "The message is encrypted for an RSA key, but the key given is an EC key."
            )
        alg = ktri["key_encryption_algorithm"]
        name = alg["algorithm"].native
        encrypted = ktri["encrypted_key"].native
        try:
            if name == "rsaes_oaep":
                content_key = key.decrypt(encrypted, _rsa_oaep_padding(alg["parameters"]))
            elif name == "rsaes_pkcs1v15":
                content_key = key.decrypt(encrypted, padding.PKCS1v15())
            else:
                raise DecryptionError(
                    f"The key transport algorithm {name!r} is not one mailsec reads."
                )
        except ValueError:
            raise DecryptionError(_OPAQUE) from None
        steps.append(
            Step(
                f"RSA key transport ({name}): the private key decrypts the {len(encrypted)}-byte "
                "encrypted content key.",
                Outcome.OK,
                "RFC 5652 §6.2.1",
            )
        )
        return content_key, RecipientKind.KEY_TRANSPORT, steps
    if info.name == "kari":
        kari = info.chosen
        rek = next(
            (r for r in kari["recipient_encrypted_keys"] if _matches(r["rid"].chosen, cert)), None
        )
        if rek is None:
            return None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise DecryptionError(
                "The message is encrypted for an EC key, but the key given is an RSA key."
            )
        originator = kari["originator"]
        if originator.name != "originator_key":
            raise DecryptionError(
                "The sender's key agreement key is not in the message (only static-static ECDH names it)."
            )
        point = originator.chosen["public_key"].native
        if isinstance(point, tuple | list):
            point = bytes(point)
        try:
            ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, bytes(point))
        except ValueError:
            raise DecryptionError(_OPAQUE) from None
        scheme_oid = kari["key_encryption_algorithm"]["algorithm"].dotted
        if scheme_oid not in ECDH_SCHEMES:
            raise DecryptionError(
                f"The key agreement scheme {scheme_oid} is not one mailsec reads."
            )
        scheme_name, scheme_hash = ECDH_SCHEMES[scheme_oid]
        wrap = cms.KeyEncryptionAlgorithm.load(
            kari["key_encryption_algorithm"]["parameters"].dump()
        )
        wrap_name = wrap["algorithm"].native
        if wrap_name not in _WRAP_SIZES:
            raise DecryptionError(f"The key wrap algorithm {wrap_name!r} is not one mailsec reads.")
        ukm = kari["ukm"].native if kari["ukm"] else None
        shared = key.exchange(ec.ECDH(), ephemeral)
        kek = _kdf(scheme_hash, shared, wrap, _WRAP_SIZES[wrap_name], ukm)
        try:
            content_key = keywrap.aes_key_unwrap(kek, rek["encrypted_key"].native)
        except keywrap.InvalidUnwrap:
            raise DecryptionError(_OPAQUE) from None
        steps.append(
            Step(
                f"ECDH with the sender's one-time key, KDF {scheme_name} (X9.63 over "
                f"ECC-CMS-SharedInfo), then {wrap_name.replace('_', '-')} unwraps the content key.",
                Outcome.OK,
                "RFC 5753 §3.1.2",
            )
        )
        return content_key, RecipientKind.KEY_AGREEMENT, steps
    return None


def open_enveloped(
    info: cms.ContentInfo,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
) -> Opened:
    """Decrypt EnvelopedData or AuthEnvelopedData addressed to ``certificate``.

    Raises :class:`~mailsec.errors.DecryptionError` when the message is not for this certificate,
    when the key does not fit, or when the content fails its integrity check; in that last case
    no plaintext leaves this function.
    """
    kind = content_kind(info)
    if kind not in ("enveloped_data", "authenticated_enveloped_data"):
        raise InputError(f"The CMS content is {kind}, not an encrypted message.")
    if key.public_key().public_numbers() != certificate.public_key().public_numbers():  # type: ignore[union-attr]
        raise DecryptionError(
            "The private key does not belong to the certificate given; give the key and "
            "certificate of the same person."
        )
    body = info["content"]
    authenticated = kind == "authenticated_enveloped_data"
    recipient_infos = body["recipient_infos"]
    steps = [
        Step(
            f"{'AuthEnvelopedData' if authenticated else 'EnvelopedData'} with "
            f"{len(recipient_infos)} recipient(s).",
            section="RFC 5083 §2.1" if authenticated else "RFC 5652 §6.1",
        )
    ]
    found = None
    for recipient_info in recipient_infos:
        found = _unwrap_for(recipient_info, key, certificate)
        if found is not None:
            break
    if found is None:
        raise DecryptionError(
            "The message is not encrypted for this certificate: none of its "
            f"{len(recipient_infos)} recipient(s) names it. Use the key and certificate of a recipient."
        )
    content_key, recipient_kind, unwrap_steps = found
    steps.extend(unwrap_steps)
    eci = body["auth_encrypted_content_info" if authenticated else "encrypted_content_info"]
    algorithm = eci["content_encryption_algorithm"]
    cipher = ContentCipher.from_oid_name(algorithm["algorithm"].native)
    if cipher.authenticated != authenticated:
        raise DecryptionError(
            f"The message uses {cipher.description} in a structure that does not fit it."
        )
    if len(content_key) != cipher.key_size:
        raise DecryptionError(_OPAQUE)
    ciphertext = eci["encrypted_content"].native
    if ciphertext is None:
        raise InputError(
            "The encrypted content is not inside the message (detached); mailsec cannot read that."
        )
    if authenticated:
        params = GcmParameters.load(algorithm["parameters"].dump())
        nonce = params["nonce"].native
        tag = body["mac"].native
        if len(tag) != params["icv_len"].native or not 12 <= len(tag) <= 16:
            raise DecryptionError(_OPAQUE)
        auth_attrs = body["auth_attrs"]
        # RFC 5083 §2.2: authenticated attributes are MACed as a SET OF (DER, tag 0x31).
        aad = b"\x31" + auth_attrs.dump()[1:] if auth_attrs else b""
        try:
            if len(tag) == 16:
                content = AESGCM(content_key).decrypt(nonce, ciphertext + tag, aad or None)
            else:
                decryptor = Cipher(
                    algorithms.AES(content_key), modes.GCM(nonce, tag, min_tag_length=len(tag))
                ).decryptor()
                decryptor.authenticate_additional_data(aad)
                content = decryptor.update(ciphertext) + decryptor.finalize()
        except (InvalidTag, ValueError):
            steps.append(
                Step(
                    "The GCM tag does not match: the message was changed (or the key is wrong). "
                    "No plaintext is released.",
                    Outcome.FAIL,
                    "RFC 5084 §3.1",
                )
            )
            raise DecryptionError(
                "The message failed its integrity check (AES-GCM tag mismatch): it was changed or "
                "damaged on the way. Nothing of its content is shown."
            ) from None
        steps.append(
            Step(
                f"{cipher.description}: the tag checks out, so the content is exactly what was sent.",
                Outcome.OK,
                "RFC 5084 §3.1",
            )
        )
    else:
        iv = algorithm["parameters"].native
        if not isinstance(iv, bytes) or len(iv) != 16 or len(ciphertext) % 16:
            raise DecryptionError(_OPAQUE)
        decryptor = Cipher(algorithms.AES(content_key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = PKCS7(128).unpadder()
        try:
            content = unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise DecryptionError(_OPAQUE) from None
        steps.append(
            Step(
                f"{cipher.description}: decrypted, but CBC cannot tell whether the ciphertext was "
                "changed on the way (the EFAIL weakness). Sign the message, or use AES-GCM.",
                Outcome.WARN,
                "RFC 8551 §2.7",
            )
        )
    return Opened(content, cipher, recipient_kind, len(recipient_infos), tuple(steps))


def digest_hex(data: bytes) -> str:
    """SHA-256 of ``data`` in hex (for showing what a signature covers)."""
    return hashlib.sha256(data).hexdigest()
