"""The cleartext signature framework: signed text that stays readable (RFC 4880 §7).

``gpg --clearsign`` and mailing lists use it: the text itself, then an armored signature::

    -----BEGIN PGP SIGNED MESSAGE-----
    Hash: SHA512

    The text, with lines that start with a dash "dash-escaped" as "- -".
    -----BEGIN PGP SIGNATURE-----
    ...
    -----END PGP SIGNATURE-----

The signature is a text signature (type 0x01) over the lines with their trailing spaces and tabs
removed, joined with CRLF; the line break just before ``-----BEGIN PGP SIGNATURE-----`` is not signed
(RFC 4880 §7.1). So a final line break of the original text cannot be protected; readers give the
text back with one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.openpgp.armor import ArmorLabel, armor, dearmor
from mailsec.openpgp.certs import SecretKey
from mailsec.openpgp.constants import HashAlgorithm, PacketTag, SignatureType
from mailsec.openpgp.packets import encode_packet, read_packets
from mailsec.openpgp.signatures import Signature, make_signature, parse_signature
from mailsec.openpgp.signing import SIGNING_HASH, signing_key

__all__ = ["Cleartext", "clearsign", "is_cleartext", "read_cleartext"]

TEXT = texts(
    {
        "utf8_in": "A cleartext signature needs UTF-8 text, and the input is not.",
        "utf8": "The cleartext-signed message is not UTF-8 text.",
        "no_begin": "No '{begin}' line was found.",
        "header": "The header line {line!r} of the cleartext-signed message is not a 'Hash:' "
        "header (RFC 4880 §7).",
        "no_signature": "The cleartext-signed message has no '-----BEGIN PGP SIGNATURE-----' "
        "block; it was cut off.",
        "dash": "The line {line!r} starts with a dash that is not dash-escaped ('- '), so the "
        "message is malformed (RFC 4880 §7.1).",
        "other_packets": "The signature block of the cleartext-signed message holds other packets.",
    }
)
"""Cleartext signatures' errors, in words (see :mod:`mailsec.i18n`)."""

#: What is removed from the end of every line before it is signed: spaces and tabs (RFC 4880
#: §7.1), and a carriage return left over from a line end, as GnuPG also removes it.
TRAILING_BLANKS = " \t\r"

BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----"
#: The names the "Hash:" header uses (RFC 4880 §7; §9.4 "Text Name").
HASH_NAMES: dict[int, str] = {
    HashAlgorithm.SHA1: "SHA1",
    HashAlgorithm.SHA224: "SHA224",
    HashAlgorithm.SHA256: "SHA256",
    HashAlgorithm.SHA384: "SHA384",
    HashAlgorithm.SHA512: "SHA512",
    HashAlgorithm.MD5: "MD5",
    HashAlgorithm.RIPEMD160: "RIPEMD160",
}


class Cleartext:
    """A parsed cleartext-signed message."""

    def __init__(
        self, text: bytes, signed: bytes, signatures: Sequence[Signature], hashes: Sequence[str]
    ) -> None:
        self.text = text
        """The text as a reader shows it: lines joined with LF, ending with a line break."""
        self.signed = signed
        """What the signatures cover: lines without trailing blanks, joined with CRLF."""
        self.signatures = tuple(signatures)
        self.hashes = tuple(hashes)
        """The hash names the "Hash:" headers announce (empty when there is none)."""


def is_cleartext(data: bytes) -> bool:
    """Whether ``data`` starts with ``-----BEGIN PGP SIGNED MESSAGE-----``."""
    return data.lstrip()[: len(BEGIN)] == BEGIN.encode()


def _lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line break cannot be signed (RFC 4880 §7.1)
    return lines


def clearsign(text: bytes, signer: SecretKey, *, now: datetime | None = None) -> bytes:
    """Sign UTF-8 ``text`` in the cleartext signature framework (RFC 4880 §7)."""
    try:
        decoded = bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(TEXT["utf8_in"]) from None
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    lines = [line.rstrip(TRAILING_BLANKS) for line in _lines(decoded)]
    signed = "\r\n".join(lines).encode("utf-8")
    key = signing_key(signer, moment)
    signature = make_signature(
        key, SignatureType.TEXT, signed, created=moment, hash_algorithm=SIGNING_HASH
    )
    # Dash-escape lines that start with "-" (MUST) and "From " (SHOULD, for mbox) (RFC 4880 §7.1).
    escaped = [f"- {line}" if line.startswith(("-", "From ")) else line for line in lines]
    head = f"{BEGIN}\nHash: {HASH_NAMES[SIGNING_HASH]}\n\n"
    body = "".join(f"{line}\n" for line in escaped)
    block = armor(encode_packet(PacketTag.SIGNATURE, signature.to_body()), ArmorLabel.SIGNATURE)
    return (head + body).encode("utf-8") + block


_HASH_HEADER = re.compile(r"^Hash: ?(.*)$")


def read_cleartext(data: bytes) -> Cleartext:
    """Split a cleartext-signed message into its text and its signatures."""
    try:
        message = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(TEXT["utf8"]) from None
    lines = message.replace("\r\n", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.rstrip() == BEGIN), None)
    if start is None:
        raise InputError(TEXT["no_begin"].format(begin=BEGIN))
    hashes: list[str] = []
    position = start + 1
    while position < len(lines) and lines[position].strip():
        match = _HASH_HEADER.match(lines[position].strip())
        if match is None:
            raise InputError(TEXT["header"].format(line=lines[position]))
        hashes += [name.strip().upper() for name in match.group(1).split(",") if name.strip()]
        position += 1
    end = next(
        (
            i
            for i in range(position + 1, len(lines))
            if lines[i].rstrip() == "-----BEGIN PGP SIGNATURE-----"
        ),
        None,
    )
    if end is None:
        raise InputError(TEXT["no_signature"])
    text_lines = []
    for line in lines[position + 1 : end]:
        if line.startswith("- "):
            line = line[2:]
        elif line.startswith("-"):
            raise InputError(TEXT["dash"].format(line=line))
        text_lines.append(line)
    _label, binary = dearmor("\n".join(lines[end:]).encode("utf-8"))
    packets = read_packets(binary)
    if not packets or any(p.tag != PacketTag.SIGNATURE for p in packets):
        raise InputError(TEXT["other_packets"])
    signatures = [parse_signature(bytes(p.body)) for p in packets]
    signed = "\r\n".join(line.rstrip(TRAILING_BLANKS) for line in text_lines).encode("utf-8")
    text = "".join(f"{line}\n" for line in text_lines).encode("utf-8")
    return Cleartext(text, signed, signatures, hashes)
