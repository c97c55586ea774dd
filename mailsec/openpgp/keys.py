"""One OpenPGP key packet: its public numbers, its fingerprint, and what it can do.

A version 4 public-key packet is: version (4), creation time (4 octets), algorithm (1 octet) and the
algorithm's public numbers (RFC 4880 §5.5.2). A secret-key packet is the same followed by the
secret numbers (RFC 4880 §5.5.3). The v4 fingerprint is the SHA-1 of ``0x99``, the two-octet body
length and the public body; the key ID is its last 8 octets (RFC 4880 §12.2).

The elliptic-curve keys follow RFC 6637 and GnuPG's conventions, which RFC 9580 §5.5.5 records as the
"legacy" v4 formats:

- EdDSA (algorithm 22) with the Ed25519 OID; the public point is ``0x40`` followed by the 32 native
  octets, the secret is the 32-octet seed as an MPI;
- ECDH (algorithm 18) with the Curve25519 OID; the public point is ``0x40`` + 32 native octets, the
  secret scalar is stored as an MPI in *reversed* (big-endian) byte order (RFC 9580 §5.5.5.6.1.1);
- ECDH/ECDSA with NIST P-256 (and P-384/P-521): uncompressed points ``0x04 || x || y``.

This module knows how each algorithm signs a digest and wraps or unwraps a session key, so the rest
of the package can stay algorithm-neutral.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from mailsec.errors import DecryptionError, InputError
from mailsec.openpgp import session
from mailsec.openpgp.constants import (
    CURVE_OIDS,
    Curve,
    HashAlgorithm,
    PublicKeyAlgorithm,
    SymmetricAlgorithm,
)
from mailsec.openpgp.keys_text import TEXT
from mailsec.openpgp.packets import Reader, encode_mpi

__all__ = [
    "ANONYMOUS_SENDER",
    "KeyMaterial",
    "ProtectedKeyError",
    "UnsupportedAlgorithmError",
    "hash_object",
    "parse_key_packet",
]

#: The fixed 20 octets in the ECDH key-derivation parameters (RFC 6637 §8).
ANONYMOUS_SENDER = b"Anonymous Sender    "

_HASHES: dict[int, type[hashes.HashAlgorithm]] = {
    HashAlgorithm.SHA1: hashes.SHA1,
    HashAlgorithm.SHA224: hashes.SHA224,
    HashAlgorithm.SHA256: hashes.SHA256,
    HashAlgorithm.SHA384: hashes.SHA384,
    HashAlgorithm.SHA512: hashes.SHA512,
}
_HASHLIB_NAMES = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}
_EC_CURVES: dict[Curve, ec.EllipticCurve] = {
    Curve.NIST_P256: ec.SECP256R1(),
    Curve.NIST_P384: ec.SECP384R1(),
    Curve.NIST_P521: ec.SECP521R1(),
}


class UnsupportedAlgorithmError(InputError):
    """The data uses an algorithm mailsec does not implement."""


class ProtectedKeyError(InputError):
    """The secret key is protected with a passphrase, which mailsec does not unlock."""


def hash_object(algorithm: int) -> hashes.HashAlgorithm:
    """The cryptography hash for an OpenPGP hash number (RFC 4880 §9.4)."""
    try:
        return _HASHES[algorithm]()
    except KeyError:
        raise UnsupportedAlgorithmError(
            TEXT["hash"].format(algorithm=_algorithm_name(HashAlgorithm, algorithm))
        ) from None


def hashlib_hash(algorithm: int) -> Any:
    """A fast hashlib object for an OpenPGP hash number, for hashing large data."""
    hash_object(algorithm)  # raises for the unsupported ones
    return hashlib.new(_HASHLIB_NAMES[algorithm])


def _algorithm_name(enum_type: Any, value: int) -> str:
    try:
        return f"{enum_type(value).title} ({value})"
    except ValueError:
        return TEXT["number"].format(value=value)


def _named_curve(material: KeyMaterial) -> Curve:
    """The curve of an ECDH, ECDSA or EdDSA key: its packet names one (parse_key_packet)."""
    if material.curve is None:
        raise _unsupported(material.algorithm)
    return material.curve


def _unsupported(algorithm: int) -> UnsupportedAlgorithmError:
    if algorithm in (25, 26, 27, 28):
        return UnsupportedAlgorithmError(
            TEXT["rfc9580"].format(algorithm=_algorithm_name(PublicKeyAlgorithm, algorithm))
        )
    return UnsupportedAlgorithmError(
        TEXT["unsupported"].format(algorithm=_algorithm_name(PublicKeyAlgorithm, algorithm))
    )


@dataclass(frozen=True)
class KeyMaterial:
    """One key (primary or subkey): the public packet body, parsed, and optionally its secret."""

    body: bytes
    """The public-key packet body as it is on the wire (what the fingerprint hashes)."""
    created: datetime
    algorithm: int
    curve: Curve | None = None
    public: Any = field(default=None, compare=False)
    """The cryptography public-key object, or None for algorithms mailsec cannot use."""
    bits: int = 0
    kdf_hash: int = 0
    """ECDH only: the hash of the key-derivation function (RFC 6637 §9)."""
    kdf_cipher: int = 0
    """ECDH only: the AES key-wrap algorithm (RFC 6637 §9)."""
    secret: Any = field(default=None, compare=False)
    """The cryptography private-key object when this is a secret key."""
    secret_part: bytes = b""
    """The secret-key packet's octets after the public body, as read or written."""

    # -- identity --------------------------------------------------------------------------------

    @functools.cached_property
    def fingerprint_bytes(self) -> bytes:
        """SHA-1 over 0x99, two-octet length and the public body (RFC 4880 §12.2)."""
        return hashlib.sha1(self.hash_prefix()).digest()

    @property
    def fingerprint(self) -> str:
        return self.fingerprint_bytes.hex().upper()

    @property
    def key_id(self) -> str:
        """The low 64 bits of the fingerprint (RFC 4880 §12.2)."""
        return self.fingerprint[-16:]

    def hash_prefix(self) -> bytes:
        """How a key is fed into a fingerprint or a key signature: 0x99, length, body."""
        return b"\x99" + len(self.body).to_bytes(2, "big") + self.body

    @property
    def algorithm_name(self) -> str:
        try:
            name = PublicKeyAlgorithm(self.algorithm).title
        except ValueError:
            name = f"algorithm {self.algorithm}"
        if self.curve is not None:
            return f"{name} ({self.curve.value})"
        if self.bits:
            return f"{name} {self.bits}"
        return name

    @property
    def is_secret(self) -> bool:
        return self.secret is not None

    @property
    def is_stub(self) -> bool:
        """A secret-key packet without the secret: GnuPG's gnu-dummy stub."""
        return self.secret is None and bool(self.secret_part)

    def without_secret(self) -> KeyMaterial:
        return replace(self, secret=None, secret_part=b"")

    @property
    def can_sign_algorithm(self) -> bool:
        return self.algorithm in (1, 3, 19, 22) and self.public is not None

    @property
    def can_encrypt_algorithm(self) -> bool:
        return self.algorithm in (1, 2, 18) and self.public is not None

    # -- signatures --------------------------------------------------------------------------------

    def sign_digest(self, digest: bytes, hash_algorithm: int) -> tuple[bytes, ...]:
        """The signature's numbers over a digest (RFC 4880 §5.2.2; RFC 6637 §5; RFC 9580 §5.2.3)."""
        key = self.secret
        if key is None:
            raise InputError(TEXT["no_secret"].format(key_id=self.key_id))
        if self.algorithm == PublicKeyAlgorithm.EDDSA_LEGACY:
            # Ed25519 signs the digest itself; r and s are the two halves (RFC 9580 §5.2.3.3).
            raw = key.sign(digest)
            return raw[:32], raw[32:]
        prehashed = Prehashed(hash_object(hash_algorithm))
        if self.algorithm in (PublicKeyAlgorithm.RSA, PublicKeyAlgorithm.RSA_SIGN_ONLY):
            return (key.sign(digest, padding.PKCS1v15(), prehashed),)
        if self.algorithm == PublicKeyAlgorithm.ECDSA:
            r, s = decode_dss_signature(key.sign(digest, ec.ECDSA(prehashed)))
            return _int_bytes(r), _int_bytes(s)
        raise _unsupported(self.algorithm)

    def verify_digest(self, digest: bytes, hash_algorithm: int, values: tuple[bytes, ...]) -> bool:
        """Whether ``values`` is a valid signature by this key over ``digest``."""
        key = self.public
        if key is None:
            raise _unsupported(self.algorithm)
        try:
            if self.algorithm == PublicKeyAlgorithm.EDDSA_LEGACY:
                if len(values) != 2 or max(len(v) for v in values) > 32:
                    return False
                key.verify(values[0].rjust(32, b"\0") + values[1].rjust(32, b"\0"), digest)
                return True
            prehashed = Prehashed(hash_object(hash_algorithm))
            if self.algorithm in (PublicKeyAlgorithm.RSA, PublicKeyAlgorithm.RSA_SIGN_ONLY):
                if len(values) != 1:
                    return False
                size = (key.key_size + 7) // 8
                key.verify(values[0].rjust(size, b"\0"), digest, padding.PKCS1v15(), prehashed)
                return True
            if self.algorithm == PublicKeyAlgorithm.ECDSA:
                if len(values) != 2:
                    return False
                der = encode_dss_signature(*(int.from_bytes(v, "big") for v in values))
                key.verify(der, digest, ec.ECDSA(prehashed))
                return True
        except (InvalidSignature, ValueError):
            return False
        raise _unsupported(self.algorithm)

    # -- session keys ------------------------------------------------------------------------------

    def _kdf_param(self) -> bytes:
        """The "Param" of the ECDH key derivation (RFC 6637 §8)."""
        oid = CURVE_OIDS[_named_curve(self)]
        return (
            bytes([len(oid)])
            + oid
            + bytes([PublicKeyAlgorithm.ECDH, 3, 1, self.kdf_hash, self.kdf_cipher])
            + ANONYMOUS_SENDER
            + self.fingerprint_bytes
        )

    def _kek(self, shared: bytes) -> bytes:
        size = SymmetricAlgorithm(self.kdf_cipher).key_size
        kdf = ConcatKDFHash(hash_object(self.kdf_hash), size, otherinfo=self._kdf_param())
        return kdf.derive(shared)

    def encrypt_session_key(self, payload: bytes) -> bytes:
        """The algorithm-specific part of a PKESK v3 for ``payload`` (algorithm octet, key,
        checksum) (RFC 4880 §5.1; RFC 6637 §8)."""
        if self.algorithm in (PublicKeyAlgorithm.RSA, PublicKeyAlgorithm.RSA_ENCRYPT_ONLY):
            return encode_mpi(self.public.encrypt(payload, padding.PKCS1v15()))
        if self.algorithm == PublicKeyAlgorithm.ECDH:
            if self.curve == Curve.CURVE25519:
                ephemeral = x25519.X25519PrivateKey.generate()
                shared = ephemeral.exchange(self.public)
                point = b"\x40" + ephemeral.public_key().public_bytes_raw()
            else:
                ephemeral_ec = ec.generate_private_key(_EC_CURVES[_named_curve(self)])
                shared = ephemeral_ec.exchange(ec.ECDH(), self.public)
                point = _ec_point(ephemeral_ec.public_key())
            # PKCS#5 padding to a multiple of 8 octets, then AES key wrap (RFC 6637 §8).
            pad = 8 - len(payload) % 8
            wrapped = aes_key_wrap(self._kek(shared), payload + bytes([pad]) * pad)
            return encode_mpi(point) + bytes([len(wrapped)]) + wrapped
        raise _unsupported(self.algorithm)

    def decrypt_session_key(self, fields: bytes) -> bytes:
        """Recover the (algorithm, key, checksum) payload; raises DecryptionError on any failure."""
        key = self.secret
        reader = Reader(fields, "Public-Key Encrypted Session Key Packet")
        try:
            if self.algorithm in (PublicKeyAlgorithm.RSA, PublicKeyAlgorithm.RSA_ENCRYPT_ONLY):
                size = (key.key_size + 7) // 8
                return key.decrypt(reader.mpi().rjust(size, b"\0"), padding.PKCS1v15())
            if self.algorithm == PublicKeyAlgorithm.ECDH:
                point = reader.mpi()
                wrapped = reader.take(reader.byte())
                if self.curve == Curve.CURVE25519:
                    if len(point) != 33 or point[0] != 0x40:
                        raise opaque()
                    peer = x25519.X25519PublicKey.from_public_bytes(point[1:])
                    shared = key.exchange(peer)
                else:
                    peer_ec = ec.EllipticCurvePublicKey.from_encoded_point(
                        _EC_CURVES[_named_curve(self)], point
                    )
                    shared = key.exchange(ec.ECDH(), peer_ec)
                padded = aes_key_unwrap(self._kek(shared), wrapped)
                pad = padded[-1]
                if not 1 <= pad <= 8 or padded[-pad:] != bytes([pad]) * pad:
                    raise opaque()
                return padded[:-pad]
        except (ValueError, InvalidUnwrap, InputError):
            raise opaque() from None
        raise _unsupported(self.algorithm)


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")


def _ec_point(public: ec.EllipticCurvePublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def opaque() -> DecryptionError:
    """The one error for any failure to decrypt, in the current language (see
    :mod:`mailsec.openpgp.keys_text`)."""
    return DecryptionError(TEXT["opaque"])


def _curve_for(oid: bytes) -> Curve:
    for curve, known in CURVE_OIDS.items():
        if known == oid:
            return curve
    raise UnsupportedAlgorithmError(TEXT["curve"].format(oid=oid.hex()))


def parse_key_packet(
    body: bytes,
    *,
    secret: bool,
    public_only: bool = False,
    passphrases: Sequence[bytes] = (),
) -> KeyMaterial:
    """Read a public-key or secret-key packet body (RFC 4880 §5.5.2, §5.5.3).

    With ``public_only`` only the public fields are read, and whatever follows is ignored (for
    listing a secret-key packet, or reading a certificate out of a protected key). Protected
    secret numbers are unlocked with one of ``passphrases``.
    """
    what = "Secret-Key Packet" if secret else "Public-Key Packet"
    reader = Reader(body, what)
    version = reader.byte()
    if version != 4:
        raise InputError(TEXT["version"].format(version=version))
    created = datetime.fromtimestamp(reader.uint(4), tz=timezone.utc)
    algorithm = reader.byte()
    fields: dict[str, Any] = {}
    if algorithm in (1, 2, 3):
        n, e = reader.mpi_int(), reader.mpi_int()
        try:
            fields["public"] = rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError:
            raise InputError(TEXT["rsa"]) from None
        fields["bits"] = n.bit_length()
    elif algorithm in (18, 19, 22):
        oid = reader.take(reader.byte())
        point = reader.mpi()
        curve = _curve_for(oid)
        fields["curve"] = curve
        try:
            if algorithm == 22:
                if curve != Curve.ED25519 or len(point) != 33 or point[0] != 0x40:
                    raise _unsupported(algorithm)
                fields["public"] = ed25519.Ed25519PublicKey.from_public_bytes(point[1:])
            elif algorithm == 18 and curve == Curve.CURVE25519:
                if len(point) != 33 or point[0] != 0x40:
                    raise InputError(TEXT["x25519"])
                fields["public"] = x25519.X25519PublicKey.from_public_bytes(point[1:])
            elif curve in _EC_CURVES:
                fields["public"] = ec.EllipticCurvePublicKey.from_encoded_point(
                    _EC_CURVES[curve], point
                )
            else:
                raise _unsupported(algorithm)
        except ValueError:
            raise InputError(TEXT["point"].format(curve=curve.value)) from None
        if algorithm == 18:
            params = reader.take(reader.byte())
            if len(params) != 3 or params[0] != 1:
                raise InputError(TEXT["kdf"])
            fields["kdf_hash"], fields["kdf_cipher"] = params[1], params[2]
            if params[1] not in _HASHES or params[2] not in (7, 8, 9):
                raise UnsupportedAlgorithmError(
                    TEXT["kdf_unsupported"].format(hash=params[1], wrap=params[2])
                )
    elif algorithm in (16, 17):
        # DSA (p, q, g, y) and Elgamal (p, g, y): read for fingerprints, not usable here.
        for _ in range(4 if algorithm == 17 else 3):
            reader.mpi()
    else:
        raise _unsupported(algorithm)
    public_end = reader.pos
    material = KeyMaterial(body=body[:public_end], created=created, algorithm=algorithm, **fields)
    if public_only:
        return material
    if not secret:
        if reader.remaining():
            raise InputError(TEXT["trailing"].format(what=what, count=reader.remaining()))
        return material
    return _read_secret(material, reader, passphrases)


def _read_secret(
    material: KeyMaterial, reader: Reader, passphrases: Sequence[bytes] = ()
) -> KeyMaterial:
    """The secret numbers after the public ones (RFC 4880 §5.5.3), unlocked with one of
    ``passphrases`` when they are protected (S2K usage 254 or 255)."""
    start = reader.pos
    usage = reader.byte()
    rest = reader.data[reader.pos :]
    if usage in (254, 255) and len(rest) >= 7 and rest[1] == 101 and rest[3:6] == b"GNU":
        # GnuPG's "gnu-dummy" S2K (type 101): the secret is not in this export (it stayed with an
        # offline primary key or on a smartcard). Keep the packet, mark the secret as absent.
        return replace(material, secret=None, secret_part=reader.data[start:])
    if material.public is None:
        raise _unsupported(material.algorithm)
    if usage == 0:
        area = reader.rest()
        mpis, checksum = area[:-2], area[-2:]
        if len(area) < 2 or session.checksum(mpis) != checksum:
            raise InputError(TEXT["checksum"].format(key_id=material.key_id))
    elif usage in (254, 255):
        mpis = _unlock(material, usage, reader, passphrases)
    else:
        raise ProtectedKeyError(TEXT["old_protection"].format(key_id=material.key_id, usage=usage))
    secret = _secret_numbers(material, mpis)
    # The packet is kept as it came (protected or not), so exporting never removes a passphrase.
    return replace(material, secret=secret, secret_part=reader.data[start:])


def _unlock(
    material: KeyMaterial, usage: int, reader: Reader, passphrases: Sequence[bytes]
) -> bytes:
    """Decrypt protected secret numbers: S2K, then CFB with the IV that follows (RFC 4880 §5.5.3);
    usage 254 ends with a SHA-1 of the numbers, 255 with a two-octet sum."""
    from mailsec.openpgp.passwords import parse_s2k

    if not passphrases:
        raise ProtectedKeyError(TEXT["passphrase"].format(key_id=material.key_id))
    cipher = reader.byte()
    s2k = parse_s2k(reader)
    if cipher not in (7, 8, 9):
        raise UnsupportedAlgorithmError(
            TEXT["cipher"].format(key_id=material.key_id, cipher=cipher)
        )
    iv = reader.take(16)
    encrypted = reader.rest()
    for passphrase in passphrases:
        key = s2k.derive(passphrase, SymmetricAlgorithm(cipher).key_size)
        decryptor = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
        clear = decryptor.update(encrypted) + decryptor.finalize()
        if usage == 254 and len(clear) > 20 and hashlib.sha1(clear[:-20]).digest() == clear[-20:]:
            return clear[:-20]
        if usage == 255 and len(clear) > 2 and session.checksum(clear[:-2]) == clear[-2:]:
            return clear[:-2]
    raise ProtectedKeyError(TEXT["wrong_passphrase"].format(key_id=material.key_id))


def _secret_numbers(material: KeyMaterial, mpis: bytes) -> Any:
    """The cryptography private key from the secret MPIs, checked against the public key."""
    reader = Reader(mpis, "secret key material")
    algorithm = material.algorithm
    values = [reader.mpi() for _ in range(4 if algorithm in (1, 2, 3) else 1)]
    if reader.remaining():
        raise InputError(TEXT["secret_trailing"].format(key_id=material.key_id))
    secret: (
        rsa.RSAPrivateKey
        | ed25519.Ed25519PrivateKey
        | x25519.X25519PrivateKey
        | ec.EllipticCurvePrivateKey
    )
    try:
        if algorithm in (1, 2, 3):
            d, p, q = (int.from_bytes(v, "big") for v in values[:3])
            n = material.public.public_numbers().n
            e = material.public.public_numbers().e
            if p * q != n:
                raise ValueError("p*q != n")
            secret = rsa.RSAPrivateNumbers(
                p=p,
                q=q,
                d=d,
                dmp1=rsa.rsa_crt_dmp1(d, p),
                dmq1=rsa.rsa_crt_dmq1(d, q),
                iqmp=rsa.rsa_crt_iqmp(p, q),
                public_numbers=rsa.RSAPublicNumbers(e, n),
            ).private_key()
        elif algorithm == 22:
            secret = ed25519.Ed25519PrivateKey.from_private_bytes(values[0].rjust(32, b"\0"))
            ok = secret.public_key().public_bytes_raw() == material.public.public_bytes_raw()
            if not ok:
                raise ValueError("mismatch")
        elif algorithm == 18 and material.curve == Curve.CURVE25519:
            # GnuPG stores the Curve25519 scalar big-endian: reverse it to X25519's native order.
            native = values[0].rjust(32, b"\0")[::-1]
            secret = x25519.X25519PrivateKey.from_private_bytes(native)
            ok = secret.public_key().public_bytes_raw() == material.public.public_bytes_raw()
            if not ok:
                raise ValueError("mismatch")
        else:
            secret = ec.derive_private_key(
                int.from_bytes(values[0], "big"),
                _EC_CURVES[_named_curve(material)],
            )
            if secret.public_key().public_numbers() != material.public.public_numbers():
                raise ValueError("mismatch")
    except ValueError:
        raise InputError(TEXT["mismatch"].format(key_id=material.key_id)) from None
    return secret


def secret_part_for(
    material: KeyMaterial,
    *,
    passphrase: bytes | None = None,
    random: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """Encode the secret numbers of a key (RFC 4880 §5.5.3): unprotected (S2K usage 0), or with a
    ``passphrase`` as GnuPG protects keys: usage 254, AES-256 in CFB mode with a random IV, the key
    from an iterated and salted S2K, and a SHA-1 of the numbers inside the encryption."""
    mpis = _secret_mpis(material)
    if passphrase is None:
        return b"\x00" + mpis + session.checksum(mpis)
    from mailsec.openpgp.passwords import DEFAULT_COUNT, S2K

    s2k = S2K(3, HashAlgorithm.SHA256, random(8), DEFAULT_COUNT)
    iv = random(16)
    key = s2k.derive(passphrase, SymmetricAlgorithm.AES256.key_size)
    encryptor = Cipher(algorithms.AES(key), CFB(iv)).encryptor()
    hidden = encryptor.update(mpis + hashlib.sha1(mpis).digest()) + encryptor.finalize()
    return bytes([254, SymmetricAlgorithm.AES256]) + s2k.encode() + iv + hidden


def _secret_mpis(material: KeyMaterial) -> bytes:
    key = material.secret
    if material.algorithm in (1, 2, 3):
        numbers = key.private_numbers()
        # OpenPGP writes p < q and u = p^-1 mod q (RFC 4880 §5.5.3), as GnuPG expects.
        p, q = sorted((numbers.p, numbers.q))
        mpis = encode_mpi(numbers.d) + encode_mpi(p) + encode_mpi(q) + encode_mpi(pow(p, -1, q))
    elif material.algorithm == 22:
        mpis = encode_mpi(key.private_bytes_raw())
    elif material.algorithm == 18 and material.curve == Curve.CURVE25519:
        mpis = encode_mpi(key.private_bytes_raw()[::-1])
    else:
        size = (key.curve.key_size + 7) // 8
        mpis = encode_mpi(key.private_numbers().private_value.to_bytes(size, "big"))
    return mpis


def public_body_for(
    created: datetime,
    secret: Any,
    *,
    kdf_hash: int = HashAlgorithm.SHA256,
    kdf_cipher: int = SymmetricAlgorithm.AES128,
) -> tuple[int, Curve | None, bytes]:
    """The public-key packet body for a fresh cryptography key (RFC 4880 §5.5.2; RFC 6637 §9)."""
    head = b"\x04" + int(created.timestamp()).to_bytes(4, "big")
    public = secret.public_key()
    if isinstance(secret, rsa.RSAPrivateKey):
        numbers = public.public_numbers()
        return 1, None, head + b"\x01" + encode_mpi(numbers.n) + encode_mpi(numbers.e)
    if isinstance(secret, ed25519.Ed25519PrivateKey):
        oid = CURVE_OIDS[Curve.ED25519]
        point = b"\x40" + public.public_bytes_raw()
        return 22, Curve.ED25519, head + b"\x16" + bytes([len(oid)]) + oid + encode_mpi(point)
    if isinstance(secret, x25519.X25519PrivateKey):
        oid = CURVE_OIDS[Curve.CURVE25519]
        point = b"\x40" + public.public_bytes_raw()
        kdf = bytes([3, 1, kdf_hash, kdf_cipher])
        return (
            18,
            Curve.CURVE25519,
            head + b"\x12" + bytes([len(oid)]) + oid + encode_mpi(point) + kdf,
        )
    raise InputError(TEXT["generates"])
