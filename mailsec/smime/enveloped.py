"""Encrypted CMS: EnvelopedData (RFC 5652 §6) and AuthEnvelopedData (RFC 5083), by hand.

cryptography writes and reads only AES-CBC EnvelopedData with RSA PKCS #1 v1.5 recipients; S/MIME
4.0 needs more. This module writes and reads both structures:

- :func:`build_enveloped` — one random content key encrypts the content once (AES-CBC, or AES-GCM
  with its tag, RFC 5084); each recipient gets the key protected with their own public key:
  RSA key transport (``ktri``, RFC 5652 §6.2.1, PKCS #1 v1.5 as OpenSSL and mail clients use) or
  ECDH key agreement (``kari``, RFC 5753 §3.1: an ephemeral EC key, the ANSI X9.63 KDF over the
  ECC-CMS-SharedInfo, and AES key wrap, RFC 3394). ``openssl cms`` 3.0 writes
  ``dhSinglePass-stdDH-sha1kdf-scheme``; we write the SHA-256 scheme (RFC 5753 §8 pairs it with
  P-256) and read SHA-1 to SHA-512, standard and cofactor (the same on P-256).
- :func:`open_enveloped` — finds the recipient's copy of the content key, unwraps it, decrypts.

Decryption never returns plaintext that failed its integrity check: with AES-GCM the tag is checked
before anything is returned. AES-CBC has no integrity check at all; :class:`Opened` says so
(``authenticated=False``), which is the weakness EFAIL (2018) used.

About 600 lines, kept together: writing and reading share the recipient-info rules (which key
transport or agreement, which KDF and key wrap) and the content ciphers, and each half reads best
beside the other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from asn1crypto import algos, cms, core, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.padding import PKCS7

from mailsec.buffers import crypt_in_place, wipe
from mailsec.errors import DecryptionError, InputError
from mailsec.i18n import texts
from mailsec.smime.cms import (
    ECDH_SCHEME_OUT,
    ECDH_SCHEMES,
    WRAP_SIZES,
    ContentCipher,
    EccCmsSharedInfo,
    GcmParameters,
    KeyTransport,
    RecipientKind,
    content_kind,
    names_certificate,
    rsa_oaep_padding,
)
from mailsec.trace import Outcome, Step, Trace

__all__ = ["OPAQUE", "Opened", "build_enveloped", "build_enveloped_buffer", "open_enveloped"]

RandomBytes = Callable[[int], bytes]

TEXT = texts(
    {
        "opaque": "The message could not be decrypted: the key does not open it, or it failed "
        "its integrity check because it was changed or damaged on the way. Nothing of its "
        "content is shown.",
        "no_key_type": "A recipient certificate holds neither an RSA nor an EC key; S/MIME here "
        "needs one of those.",
        "no_recipients": "Give at least one recipient certificate to encrypt for.",
        "rsa_for_ec": "The message is encrypted for an RSA key, but the key given is an EC key.",
        "ec_for_rsa": "The message is encrypted for an EC key, but the key given is an RSA key.",
        "key_transport": "The key transport algorithm {name!r} is not one mailsec reads.",
        "ktri": "RSA key transport ({name}): the private key decrypts the {size}-byte encrypted "
        "content key.",
        "static_static": "The sender's key agreement key is not in the message (only "
        "static-static ECDH names it).",
        "not_on_curve": "The sender's one-time EC key in the message is not a point on the curve.",
        "scheme": "The key agreement scheme {oid} is not one mailsec reads.",
        "wrap": "The key wrap algorithm {name!r} is not one mailsec reads.",
        "kari": "ECDH with the sender's one-time key, KDF {scheme} (X9.63 over "
        "ECC-CMS-SharedInfo), then {wrap} unwraps the content key.",
        "not_encrypted": "The CMS content is {kind}, not an encrypted message.",
        "key_mismatch": "The private key does not belong to the certificate given; give the key "
        "and certificate of the same person.",
        "structure": "{structure} with {count} recipient(s).",
        "not_for_you": "The message is not encrypted for this certificate: none of its {count} "
        "recipient(s) names it. Use the key and certificate of a recipient.",
        "misfit": "The message uses {cipher} in a structure that does not fit it.",
        "detached": "The encrypted content is not inside the message (detached); mailsec cannot "
        "read that.",
        "tag_ok": "{cipher}: the tag checks out, so the content is exactly what was sent.",
        "cbc": "{cipher}: decrypted, but CBC cannot tell whether the ciphertext was changed on "
        "the way (the EFAIL weakness). Sign the message, or use AES-GCM.",
        "tag_bad": "The GCM tag does not match: the message was changed (or the key is wrong). "
        "No plaintext is released.",
    }
)
"""What writing and reading encrypted CMS says (see :mod:`mailsec.i18n`); the names of
structures and algorithms stay as the standards spell them."""


# -- writing -------------------------------------------------------------------------------------


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


def _key_encryption(
    transport: KeyTransport,
) -> tuple[cms.KeyEncryptionAlgorithm, padding.AsymmetricPadding]:
    """The algorithm identifier and the padding of an RSA recipient's encrypted key."""
    if transport is KeyTransport.RSA_OAEP:
        # RFC 3560 §3: RSAES-OAEP-params naming SHA-256 for the hash and for MGF1.
        sha256 = {"algorithm": "sha256"}
        params = algos.RSAESOAEPParams(
            {
                "hash_algorithm": sha256,
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": sha256},
            }
        )
        identifier = cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_oaep", "parameters": params})
        return identifier, rsa_oaep_padding(params)
    # rsaEncryption (PKCS #1 v1.5), what OpenSSL and mail clients use by default.
    identifier = cms.KeyEncryptionAlgorithm(
        {"algorithm": "rsaes_pkcs1v15", "parameters": core.Null()}
    )
    return identifier, padding.PKCS1v15()


def _recipient_info(
    cert: x509.Certificate, content_key: bytes, transport: KeyTransport
) -> tuple[cms.RecipientInfo, RecipientKind]:
    public_key = cert.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        # RFC 5652 §6.2.1: the content key encrypted with the recipient's RSA public key.
        identifier, pad = _key_encryption(transport)
        encrypted = public_key.encrypt(content_key, pad)
        ktri = cms.KeyTransRecipientInfo(
            {
                "version": "v0",
                "rid": cms.RecipientIdentifier(
                    {"issuer_and_serial_number": _issuer_and_serial(cert)}
                ),
                "key_encryption_algorithm": identifier,
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
    raise InputError(TEXT["no_key_type"])


def build_enveloped(
    content: bytes,
    recipients: Sequence[x509.Certificate],
    cipher: ContentCipher = ContentCipher.AES256_GCM,
    *,
    key_transport: KeyTransport = KeyTransport.RSA_PKCS1V15,
    random_bytes: RandomBytes = os.urandom,
) -> bytes:
    """Encrypt ``content`` for every recipient: EnvelopedData (CBC) or AuthEnvelopedData (GCM).

    One random content key encrypts the content once; each recipient gets that key protected with
    their own public key (hybrid encryption, RFC 5652 §6): RSA keys as ``key_transport`` says, EC
    keys by ECDH. Returns the DER ContentInfo.
    """
    return bytes(
        build_enveloped_buffer(
            content, recipients, cipher, key_transport=key_transport, random_bytes=random_bytes
        )
    )


def build_enveloped_buffer(
    content: bytes | memoryview | Sequence[bytes | memoryview],
    recipients: Sequence[x509.Certificate],
    cipher: ContentCipher = ContentCipher.AES256_GCM,
    *,
    key_transport: KeyTransport = KeyTransport.RSA_PKCS1V15,
    random_bytes: RandomBytes = os.urandom,
) -> bytearray:
    """:func:`build_enveloped` as the buffer it is written into: the content is encrypted
    straight into its place in the structure, so a large message is not copied again.

    ``content`` may be a sequence of pieces (such as header fields and a view of the body),
    encrypted as if joined."""
    if not recipients:
        raise InputError(TEXT["no_recipients"])
    content_key = random_bytes(cipher.key_size)
    infos = [_recipient_info(cert, content_key, key_transport)[0] for cert in recipients]
    pieces = [content] if isinstance(content, bytes | memoryview) else list(content)
    size = sum(len(piece) for piece in pieces)
    if cipher.authenticated:
        nonce = random_bytes(12)  # RFC 5084 §3.2: a 12-octet nonce is recommended
        encryptor = Cipher(algorithms.AES(content_key), modes.GCM(nonce)).encryptor()
        ciphertext, tag = _Hole(size), _Hole(16)
        algorithm = algos.EncryptionAlgorithm(
            {
                "algorithm": cipher.oid_name,
                "parameters": GcmParameters({"nonce": nonce, "icv_len": 16}),
            }
        )
        body = [
            cms.CMSVersion("v0").dump(),  # RFC 5083 §2.1: always 0
            cms.RecipientInfos(infos).dump(),
            *_encrypted_content_info(algorithm, ciphertext),
            *_der_parts(0x04, [tag]),  # mac: OCTET STRING, 16 bytes
        ]
        der = _content_info("authenticated_enveloped_data", body)
        _encrypt_into(der, ciphertext.at, encryptor, pieces)
        encryptor.finalize()  # GCM: no more output, only the tag
        der[tag.at : tag.at + 16] = encryptor.tag
        return der
    iv = random_bytes(16)
    cbc = Cipher(algorithms.AES(content_key), modes.CBC(iv)).encryptor()
    pad = 16 - size % 16  # PKCS #7 (RFC 5652 §6.3) always pads: 1 to 16 bytes of value pad
    ciphertext = _Hole(size + pad)
    all_v0 = all(info.name == "ktri" for info in infos)
    algorithm = algos.EncryptionAlgorithm({"algorithm": cipher.oid_name, "parameters": iv})
    body = [
        cms.CMSVersion("v0" if all_v0 else "v2").dump(),  # RFC 5652 §6.1
        cms.RecipientInfos(infos).dump(),
        *_encrypted_content_info(algorithm, ciphertext),
    ]
    der = _content_info("enveloped_data", body)
    _encrypt_into(der, ciphertext.at, cbc, [*pieces, bytes([pad]) * pad])
    cbc.finalize()  # whole blocks: nothing is left over
    return der


#: Plaintext encrypted at a time into the output: 1 MB.
_CHUNK = 1 << 20


def _encrypt_into(
    out: bytearray, at: int, encryptor: CipherContext, pieces: list[bytes | memoryview]
) -> int:
    """Encrypt ``pieces`` into ``out`` from ``at`` in 1 MB steps; returns where the output ends
    (CBC holds back a partial block until the next piece completes it)."""
    update = encryptor.update
    for data in pieces:
        view = memoryview(data)
        for start in range(0, len(view), _CHUNK):
            piece = update(view[start : start + _CHUNK])
            out[at : at + len(piece)] = piece
            at += len(piece)
    return at


# The structures around a large ciphertext are written out here rather than by asn1crypto, so
# that the ciphertext is copied once (a 10 MB message would otherwise be copied at every level).
# The bytes are the same DER that asn1crypto writes; the tests parse them back with asn1crypto.


def _der_length(n: int) -> bytes:
    """A DER length (X.690 §8.1.3): short form below 128, else long form."""
    if n < 0x80:
        return bytes([n])
    size = (n.bit_length() + 7) // 8
    return bytes([0x80 | size]) + n.to_bytes(size, "big")


class _Hole:
    """Room for bytes not known yet (the ciphertext, the tag) in a structure being laid out;
    ``at`` is where they go in the output once :func:`_content_info` has placed them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.at = -1

    def __len__(self) -> int:
        return self.size


Part = bytes | memoryview | _Hole


def _der_parts(tag: int, parts: list[Part]) -> list[Part]:
    """The parts of one DER value (tag, length, contents) without joining the contents."""
    return [bytes([tag]), _der_length(sum(len(p) for p in parts)), *parts]


def _encrypted_content_info(algorithm: algos.EncryptionAlgorithm, ciphertext: Part) -> list[Part]:
    """EncryptedContentInfo (RFC 5652 §6.1) with [0] IMPLICIT OCTET STRING encryptedContent."""
    return _der_parts(
        0x30,
        [
            cms.ContentType("data").dump(),
            algorithm.dump(),
            *_der_parts(0x80, [ciphertext]),
        ],
    )


def _content_info(content_type: str, body: list[Part]) -> bytearray:
    """ContentInfo (RFC 5652 §3) around a SEQUENCE body, written once into one buffer.

    Each :class:`_Hole` is left as zeros and told its position, to be filled in place.
    """
    inner = _der_parts(0x30, body)
    parts = _der_parts(0x30, [cms.ContentType(content_type).dump(), *_der_parts(0xA0, inner)])
    out = bytearray(sum(len(p) for p in parts))
    at = 0
    for part in parts:
        if isinstance(part, _Hole):
            part.at = at
        else:
            out[at : at + len(part)] = part
        at += len(part)
    return out


@dataclass(frozen=True)
class Opened:
    """A decrypted CMS message."""

    content: bytes | memoryview
    """The decrypted content: a view into the buffer it was decrypted in."""
    cipher: ContentCipher
    recipient_kind: RecipientKind
    recipients: int
    """How many recipients the message was encrypted for."""
    steps: Trace = field(default=())

    @property
    def authenticated(self) -> bool:
        """True if the content was checked for changes (AES-GCM); False for AES-CBC."""
        return self.cipher.authenticated


OPAQUE: str = TEXT.source["opaque"]
"""The one message for every failure to unwrap the content key or to decrypt the content, so
that nobody can learn from the answer which step failed (no padding or decryption oracle); in
English, and raised in the current language (``TEXT["opaque"]``)."""


def _unwrap_for(
    info: cms.RecipientInfo,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
) -> tuple[bytes, RecipientKind, Step] | None:
    """The content key from one RecipientInfo if it names ``cert``; None if it does not."""
    if info.name == "ktri" and names_certificate(info.chosen["rid"].chosen, cert):
        if not isinstance(key, rsa.RSAPrivateKey):
            raise DecryptionError(TEXT["rsa_for_ec"])
        content_key, step = _unwrap_ktri(info.chosen, key)
        return content_key, RecipientKind.KEY_TRANSPORT, step
    if info.name == "kari":
        kari = info.chosen
        rek = next(
            (
                r
                for r in kari["recipient_encrypted_keys"]
                if names_certificate(r["rid"].chosen, cert)
            ),
            None,
        )
        if rek is None:
            return None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise DecryptionError(TEXT["ec_for_rsa"])
        content_key, step = _unwrap_kari(kari, rek, key)
        return content_key, RecipientKind.KEY_AGREEMENT, step
    return None


def _unwrap_ktri(ktri: cms.KeyTransRecipientInfo, key: rsa.RSAPrivateKey) -> tuple[bytes, Step]:
    """RSA key transport (RFC 5652 §6.2.1): the private key decrypts the content key."""
    alg = ktri["key_encryption_algorithm"]
    name = alg["algorithm"].native
    encrypted = ktri["encrypted_key"].native
    if name == "rsaes_oaep":
        pad: padding.AsymmetricPadding = rsa_oaep_padding(alg["parameters"])
    elif name == "rsaes_pkcs1v15":
        pad = padding.PKCS1v15()
    else:
        raise DecryptionError(TEXT["key_transport"].format(name=name))
    try:
        content_key = key.decrypt(encrypted, pad)
    except ValueError:
        content_key = b""  # rejected later like every wrong key: see open_enveloped
    step = Step(TEXT["ktri"].format(name=name, size=len(encrypted)), Outcome.OK, "RFC 5652 §6.2.1")
    return content_key, step


def _unwrap_kari(
    kari: cms.KeyAgreeRecipientInfo,
    rek: cms.RecipientEncryptedKey,
    key: ec.EllipticCurvePrivateKey,
) -> tuple[bytes, Step]:
    """ECDH key agreement (RFC 5753 §3.1.2): shared secret, X9.63 KDF, AES key unwrap."""
    originator = kari["originator"]
    if originator.name != "originator_key":
        raise DecryptionError(TEXT["static_static"])
    point = originator.chosen["public_key"].native
    if isinstance(point, tuple | list):
        point = bytes(point)
    try:
        ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, bytes(point))
    except ValueError:
        raise DecryptionError(TEXT["not_on_curve"]) from None
    scheme_oid = kari["key_encryption_algorithm"]["algorithm"].dotted
    if scheme_oid not in ECDH_SCHEMES:
        raise DecryptionError(TEXT["scheme"].format(oid=scheme_oid))
    scheme_name, scheme_hash = ECDH_SCHEMES[scheme_oid]
    wrap = cms.KeyEncryptionAlgorithm.load(kari["key_encryption_algorithm"]["parameters"].dump())
    wrap_name = wrap["algorithm"].native
    if wrap_name not in WRAP_SIZES:
        raise DecryptionError(TEXT["wrap"].format(name=wrap_name))
    ukm = kari["ukm"].native if kari["ukm"] else None
    shared = key.exchange(ec.ECDH(), ephemeral)
    kek = _kdf(scheme_hash, shared, wrap, WRAP_SIZES[wrap_name], ukm)
    try:
        content_key = keywrap.aes_key_unwrap(kek, rek["encrypted_key"].native)
    except keywrap.InvalidUnwrap:
        content_key = b""  # rejected later like every wrong key: see open_enveloped
    step = Step(
        TEXT["kari"].format(scheme=scheme_name, wrap=wrap_name.replace("_", "-")),
        Outcome.OK,
        "RFC 5753 §3.1.2",
    )
    return content_key, step


def open_enveloped(
    info: cms.ContentInfo,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    *,
    ciphertext: memoryview | None = None,
) -> Opened:
    """Decrypt EnvelopedData or AuthEnvelopedData addressed to ``certificate``.

    ``ciphertext`` is the encrypted content when ``info`` was parsed without it
    (:func:`~mailsec.smime.cms.load_hollow`).

    Raises :class:`~mailsec.errors.DecryptionError` when the message is not for this certificate,
    when the key does not fit, or when the content fails its integrity check; in that last case
    no plaintext leaves this function.
    """
    kind = content_kind(info)
    if kind not in ("enveloped_data", "authenticated_enveloped_data"):
        raise InputError(TEXT["not_encrypted"].format(kind=kind))
    public = certificate.public_key()
    if (
        not isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
        or key.public_key().public_numbers() != public.public_numbers()
    ):
        raise DecryptionError(TEXT["key_mismatch"])
    body = info["content"]
    authenticated = kind == "authenticated_enveloped_data"
    recipient_infos = body["recipient_infos"]
    steps = [
        Step(
            TEXT["structure"].format(
                structure="AuthEnvelopedData" if authenticated else "EnvelopedData",
                count=len(recipient_infos),
            ),
            section="RFC 5083 §2.1" if authenticated else "RFC 5652 §6.1",
        )
    ]
    found = next(
        (f for f in (_unwrap_for(r, key, certificate) for r in recipient_infos) if f is not None),
        None,
    )
    if found is None:
        raise DecryptionError(TEXT["not_for_you"].format(count=len(recipient_infos)))
    content_key, recipient_kind, unwrap_step = found
    steps.append(unwrap_step)
    eci = body["auth_encrypted_content_info" if authenticated else "encrypted_content_info"]
    algorithm = eci["content_encryption_algorithm"]
    cipher = ContentCipher.from_oid_name(algorithm["algorithm"].native)
    if cipher.authenticated != authenticated:
        raise DecryptionError(TEXT["misfit"].format(cipher=cipher.description))
    if len(content_key) != cipher.key_size:
        # RFC 3218 §2.3.2 (implicit rejection): a key that does not unwrap, or unwraps to the
        # wrong length, is replaced by a random one and decryption goes on. It then fails where a
        # wrong key always fails, with the same message and in about the same time, so the answer
        # never says whether the key block's padding was right (Bleichenbacher, Marvin).
        content_key = os.urandom(cipher.key_size)
    if ciphertext is None:
        ciphertext = eci["encrypted_content"].native
    if ciphertext is None:
        raise InputError(TEXT["detached"])
    if authenticated:
        content = _decrypt_gcm(body, algorithm, content_key, ciphertext, steps)
    else:
        content = _decrypt_cbc(algorithm, content_key, ciphertext)
    steps.append(_decrypted_step(cipher))
    return Opened(content, cipher, recipient_kind, len(recipient_infos), tuple(steps))


def _decrypted_step(cipher: ContentCipher) -> Step:
    """What decrypting with ``cipher`` proved: with GCM, the whole content; with CBC, nothing."""
    if cipher.authenticated:
        return Step(TEXT["tag_ok"].format(cipher=cipher.description), Outcome.OK, "RFC 5084 §3.1")
    return Step(TEXT["cbc"].format(cipher=cipher.description), Outcome.WARN, "RFC 8551 §2.7")


def _decrypt_gcm(
    body: cms.AuthEnvelopedData,
    algorithm: algos.EncryptionAlgorithm,
    content_key: bytes,
    ciphertext: bytes | memoryview,
    steps: list[Step],
) -> memoryview:
    """AES-GCM (RFC 5084 §3.1): the tag is checked before any plaintext is returned."""
    params = GcmParameters.load(algorithm["parameters"].dump())
    nonce = params["nonce"].native
    tag = body["mac"].native
    if len(tag) != params["icv_len"].native or not 12 <= len(tag) <= 16:
        raise DecryptionError(TEXT["opaque"])
    auth_attrs = body["auth_attrs"]
    # RFC 5083 §2.2: authenticated attributes are MACed as a SET OF (DER, tag 0x31).
    aad = b"\x31" + auth_attrs.dump()[1:] if auth_attrs else b""
    buffer = _writable(ciphertext)
    try:
        # The tag is checked by finalize() before the plaintext leaves this function; the
        # ciphertext is not copied to append the tag to it, as AESGCM.decrypt would need.
        decryptor = Cipher(
            algorithms.AES(content_key), modes.GCM(nonce, tag, min_tag_length=len(tag))
        ).decryptor()
        if aad:
            decryptor.authenticate_additional_data(aad)
        crypt_in_place(decryptor, buffer)
        decryptor.finalize()  # GCM: no more output, only the tag check
        return buffer
    except (InvalidTag, ValueError):
        wipe(buffer)
        steps.append(Step(TEXT["tag_bad"], Outcome.FAIL, "RFC 5084 §3.1"))
        raise DecryptionError(TEXT["opaque"]) from None


def _writable(ciphertext: bytes | memoryview) -> memoryview:
    """Where the content is decrypted: in the caller's buffer when the ciphertext is a writable
    view into it (:mod:`mailsec.buffers`), else in a copy."""
    if isinstance(ciphertext, memoryview) and not ciphertext.readonly:
        return ciphertext
    return memoryview(bytearray(ciphertext))


def _decrypt_cbc(
    algorithm: algos.EncryptionAlgorithm, content_key: bytes, ciphertext: bytes | memoryview
) -> memoryview:
    """AES-CBC with PKCS #7 padding (RFC 5652 §6.3): no integrity check at all."""
    iv = algorithm["parameters"].native
    if not isinstance(iv, bytes) or len(iv) != 16 or len(ciphertext) % 16:
        raise DecryptionError(TEXT["opaque"])
    decryptor = Cipher(algorithms.AES(content_key), modes.CBC(iv)).decryptor()
    padded = _writable(ciphertext)
    crypt_in_place(decryptor, padded)
    decryptor.finalize()  # whole blocks: nothing is left over
    # The padding is in the last block: the unpadder checks that block alone (no 10 MB copies).
    unpadder = PKCS7(128).unpadder()
    try:
        last = unpadder.update(padded[-16:]) + unpadder.finalize()
    except ValueError:
        raise DecryptionError(TEXT["opaque"]) from None
    return padded[: len(padded) - 16 + len(last)]
