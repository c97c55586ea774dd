"""List the packets of OpenPGP data, the way ``gpg --list-packets`` does.

Each packet becomes a :class:`PacketInfo`: tag, name, body length, nesting depth and the fields a
learner looks at (version, algorithm, key ID ...). Compressed data is opened and its packets listed
one level deeper; encrypted data is opened too when a secret key that can decrypt it is given (its
MDC is checked first, so nothing is shown of a message that was changed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from mailsec.errors import DecryptionError, InputError
from mailsec.i18n import gettext
from mailsec.openpgp import session
from mailsec.openpgp.armor import dearmor, is_armored
from mailsec.openpgp.certs import SecretKey
from mailsec.openpgp.constants import (
    CompressionAlgorithm,
    HashAlgorithm,
    PacketTag,
    PublicKeyAlgorithm,
    SymmetricAlgorithm,
)
from mailsec.openpgp.contents import MAX_DEPTH, Budget, decompress, parse_literal
from mailsec.openpgp.encryption import open_seipd
from mailsec.openpgp.keys import parse_key_packet
from mailsec.openpgp.packets import Packet, read_packets
from mailsec.openpgp.passwords import decode_count, parse_skesk
from mailsec.openpgp.signatures import parse_signature

__all__ = ["PacketInfo", "list_packets", "packets_to_text"]


@dataclass(frozen=True)
class PacketInfo:
    """One packet as a listing shows it."""

    tag: int
    name: str
    length: int
    """The body length in octets."""
    depth: int = 0
    """0 at the top; 1 inside a compressed or decrypted packet, and so on."""
    fields: dict[str, str] = field(default_factory=dict)
    offset: int = 0
    """Where the packet starts, counted from the start of the data it was read from (for packets
    inside compressed or decrypted data: from the start of that data)."""
    header_length: int = 0
    partial: bool = False
    """Whether the body came in partial-length chunks (RFC 4880 §4.2.2.4)."""


def _name(enum_type: type, value: int) -> str:
    try:
        return f"{enum_type(value).title} ({value})"
    except ValueError:
        return f"unknown ({value})"


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _version(body: bytes) -> str:
    return str(body[0]) if body else "?"


# -- the fields of each kind of packet ---------------------------------------------------------


def _pkesk_fields(body: bytes) -> dict[str, str]:
    out = {"version": _version(body)}
    pkesk = session.parse_pkesk(body)
    if pkesk is not None:
        out["key id"] = pkesk.key_id
        out["algorithm"] = _name(PublicKeyAlgorithm, pkesk.algorithm)
    return out


def _skesk_fields(body: bytes) -> dict[str, str]:
    skesk = parse_skesk(body)
    s2k = skesk.s2k
    out = {
        "version": "4",
        "cipher": _name(SymmetricAlgorithm, skesk.cipher),
        "s2k": {0: "simple", 1: "salted", 3: "iterated and salted"}[s2k.type],
        "hash": _name(HashAlgorithm, s2k.hash_algorithm),
    }
    if s2k.type == 3:
        out["count"] = f"{decode_count(s2k.coded_count)} octets hashed (coded {s2k.coded_count})"
    out["encrypted session key"] = "yes" if skesk.encrypted_key else "no (the S2K key is it)"
    return out


def _signature_fields(body: bytes) -> dict[str, str]:
    signature = parse_signature(body)
    out = {
        "version": str(signature.version),
        "type": f"{signature.type_name} (0x{signature.type:02x})",
        "algorithm": _name(PublicKeyAlgorithm, signature.algorithm),
        "hash": _name(HashAlgorithm, signature.hash_algorithm),
    }
    if signature.created:
        out["created"] = _time(signature.created)
    if signature.issuer_key_id:
        out["key id"] = signature.issuer_key_id
    if signature.issuer_fingerprint:
        out["issuer fingerprint"] = signature.issuer_fingerprint
    if signature.key_flags is not None:
        out["key flags"] = f"0x{int(signature.key_flags):02x}"
    if signature.key_expiration_seconds:
        out["key expires after"] = f"{signature.key_expiration_seconds} s"
    out["hash prefix"] = signature.hash_prefix.hex()
    return out


def _one_pass_fields(body: bytes) -> dict[str, str]:
    out = {"version": _version(body)}
    if len(body) == 13:
        out["type"] = f"0x{body[1]:02x}"
        out["hash"] = _name(HashAlgorithm, body[2])
        out["algorithm"] = _name(PublicKeyAlgorithm, body[3])
        out["key id"] = body[4:12].hex().upper()
        out["last"] = str(body[12])
    return out


def _key_fields(body: bytes, *, secret: bool) -> dict[str, str]:
    # The public part only: a listing never decodes secret numbers.
    key = parse_key_packet(body, secret=secret, public_only=True)
    out = {
        "version": _version(body),
        "created": _time(key.created),
        "algorithm": key.algorithm_name,
        "key id": key.key_id,
        "fingerprint": key.fingerprint,
    }
    if key.kdf_hash:
        out["kdf"] = (
            f"{_name(HashAlgorithm, key.kdf_hash)}, {_name(SymmetricAlgorithm, key.kdf_cipher)}"
        )
    if secret:
        out["protection"] = _protection(body, len(key.body))
    return out


def _protection(body: bytes, public_length: int) -> str:
    """How a secret-key packet protects its secret numbers: its S2K usage octet (RFC 4880 §5.5.3)
    and GnuPG's marker for a key whose secret is elsewhere (S2K type 101, "GNU")."""
    usage = body[public_length] if len(body) > public_length else None
    tail = body[public_length + 1 :]
    if usage == 0:
        return "none (unprotected)"
    if usage in (254, 255) and tail[2:3] == b"\x65" and tail[4:7] == b"GNU":
        return "no secret here (GnuPG stub)"
    return f"passphrase (S2K usage {usage})"


def _literal_fields(body: bytes) -> dict[str, str]:
    try:
        literal = parse_literal(body)
    except InputError:
        return {}  # too short to show; reading the message says why
    return {
        "format": repr(literal.format),
        "filename": repr(literal.filename),
        "date": _time(literal.date),
        "data length": str(len(literal.data)),
    }


def _seipd_fields(body: bytes) -> dict[str, str]:
    out = {"version": _version(body)}
    if body[:1] == b"\x01":
        out["integrity"] = "MDC (SHA-1)"
    return out


#: What the listing shows of each kind of packet; other packets show only their header.
_FIELDS: dict[int, Callable[[bytes], dict[str, str]]] = {
    PacketTag.PKESK: _pkesk_fields,
    PacketTag.SKESK: _skesk_fields,
    PacketTag.SIGNATURE: _signature_fields,
    PacketTag.ONE_PASS_SIGNATURE: _one_pass_fields,
    PacketTag.PUBLIC_KEY: partial(_key_fields, secret=False),
    PacketTag.PUBLIC_SUBKEY: partial(_key_fields, secret=False),
    PacketTag.SECRET_KEY: partial(_key_fields, secret=True),
    PacketTag.SECRET_SUBKEY: partial(_key_fields, secret=True),
    PacketTag.USER_ID: lambda body: {"user id": body.decode("utf-8", "replace")},
    PacketTag.COMPRESSED_DATA: lambda body: {
        "algorithm": _name(CompressionAlgorithm, body[0]) if body else "?"
    },
    PacketTag.LITERAL_DATA: _literal_fields,
    PacketTag.SEIPD: _seipd_fields,
    PacketTag.SED: lambda body: {"integrity": "none: no MDC (refused when decrypting)"},
    PacketTag.MDC: lambda body: {"hash": body.hex()},
}


def _fields(packet: Packet) -> dict[str, str]:
    describe = _FIELDS.get(packet.tag)
    return describe(bytes(packet.body)) if describe else {}


# -- listing -----------------------------------------------------------------------------------


def list_packets(
    data: bytes | str,
    *,
    keys: Sequence[SecretKey] = (),
) -> tuple[PacketInfo, ...]:
    """List the packets in ``data`` (armored or binary), opening compressed data and, when one of
    ``keys`` can decrypt it, encrypted data."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = bytes(data)
    if not data.strip():
        raise InputError(gettext("There is nothing to list: the data is empty."))
    binary = dearmor(data)[1] if is_armored(data) else data
    out: list[PacketInfo] = []
    budget = Budget()  # the same bounds as reading the message (contents.py)
    packets = read_packets(binary, budget=budget)
    _walk(packets, 0, out, _session_keys(packets, list(keys)), budget)
    return tuple(out)


def _session_keys(packets: list[Packet], keys: list[SecretKey]) -> tuple[int, bytes] | None:
    """Find the session key with the given keys (the same rules as decryption)."""
    candidates = [material for key in keys for material in key.decryption_keys()]
    for packet in packets:
        pkesk = session.parse_pkesk(bytes(packet.body)) if packet.tag == PacketTag.PKESK else None
        if pkesk is None:
            continue
        for _material, cipher, session_key in session.open_pkesk(pkesk, candidates):
            return cipher, session_key
    return None


def _walk(
    packets: list[Packet],
    depth: int,
    out: list[PacketInfo],
    session_key: tuple[int, bytes] | None,
    budget: Budget,
) -> None:
    for packet in packets:
        try:
            fields = _fields(packet)
        except InputError as exc:
            fields = {"error": exc.message}
        out.append(
            PacketInfo(
                tag=packet.tag,
                name=packet.name,
                length=len(packet.body),
                depth=depth,
                fields=fields,
                offset=packet.offset,
                header_length=packet.header_length,
                partial=packet.partial,
            )
        )
        if depth >= MAX_DEPTH:
            continue
        try:
            if packet.tag == PacketTag.COMPRESSED_DATA:
                inner = decompress(packet.body, budget)[1]
                _walk(read_packets(inner, budget=budget), depth + 1, out, session_key, budget)
            elif packet.tag == PacketTag.SEIPD and session_key is not None:
                inner = open_seipd(packet.body, session_key[1], session_key[0])
                fields["decrypted"] = "yes, MDC checked"
                _walk(read_packets(inner, budget=budget), depth + 1, out, None, budget)
                out.append(
                    PacketInfo(
                        tag=PacketTag.MDC,
                        name=PacketTag.MDC.title,
                        length=20,
                        depth=depth + 1,
                        fields={"hash": "SHA-1, checked"},
                        offset=len(inner),
                        header_length=2,
                    )
                )
        except DecryptionError:
            fields["decrypted"] = "no: the MDC does not match (the message was changed)"
        except InputError as exc:
            fields["error"] = exc.message


def packets_to_text(packets: Sequence[PacketInfo]) -> str:
    """The listing as indented text, in the spirit of ``gpg --list-packets``: a ``#`` line with the
    offset, tag, header length and body length, then the packet's name and fields."""
    lines = []
    for info in packets:
        pad = "  " * info.depth
        partial = " partial" if info.partial else ""
        lines.append(
            f"{pad}# off={info.offset} tag={info.tag} hlen={info.header_length} "
            f"plen={info.length}{partial}"
        )
        lines.append(f"{pad}:{info.name.lower()}:")
        lines += [f"{pad}\t{key}: {value}" for key, value in info.fields.items()]
    return "\n".join(lines)
