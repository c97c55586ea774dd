"""Signing a message with DKIM (RFC 6376 §5).

:func:`sign` does what a domain's outgoing mail server does::

    signed = sign(message, domain="example.com", selector="mail", private_key=key)

1. canonicalize the body and hash it into ``bh=`` (§5.3, §3.7);
2. choose the header fields to sign: those of ``headers`` that the message has, each as many
   times as it appears (§5.4.2); with ``oversign=True`` each once more, so that an instance added
   later breaks the signature;
3. write the DKIM-Signature field with every tag and an empty ``b=``, hash the chosen fields
   and that field (§3.7), sign the digest with the private key;
4. put the signature into ``b=`` and the field on top of the message (§5.6).

The algorithm follows from the key: RSA keys sign ``rsa-sha256``, Ed25519 keys ``ed25519-sha256``
(RFC 8463); ``rsa-sha1`` is never used for signing (RFC 8301 §3.1). The defaults are those RFC 6376
and its deployment advice recommend: ``relaxed/relaxed``, which survives the refolding and
whitespace changes of ordinary relays, and no ``l=``, whose partial body signatures let anybody
append content (§8.2).

:func:`key_record` (re-exported from :mod:`mailsec.dkim.keys`) writes the DNS record that lets
receivers verify.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Sequence

from mailsec.dkim import canon
from mailsec.dkim.canon import Canon, HeaderField, read_message
from mailsec.dkim.crypto import (
    algorithm_for,
    digest,
    load_private_key,
    make_signature,
)
from mailsec.dkim.signature import check_domain, check_identity, clock_seconds
from mailsec.dkim.tags import DkimSyntaxError
from mailsec.errors import InputError, quoted
from mailsec.i18n import texts

__all__ = ["DEFAULT_HEADERS", "FOLD_WIDTH", "sign", "signed_names"]

#: The header fields signed by default: those a reader sees or that change how the body is shown
#: (RFC 6376 §5.4.1 recommends From, Reply-To, Subject, Date, To, Cc, the Resent-* fields,
#: In-Reply-To, References, and the MIME fields).
DEFAULT_HEADERS = (
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
)

#: Lines of the DKIM-Signature field are folded to fit in 78 characters (RFC 5322 §2.1.1).
FOLD_WIDTH = 78

MESSAGES = texts(
    {
        "no_from": "headers must include 'from': RFC 6376 §5.4 requires the From field to be signed.",
        "message_without_from": "The message has no From field; RFC 5322 §3.6 requires one, and "
        "DKIM signs it.",
        "bad_header_name": "{name} is not a header field name.",
        "bad_canonicalization": "canonicalization must be a pair such as ('relaxed', 'relaxed'), "
        "not {value}.",
        "bad_length": "body_length={length} is outside the canonicalized body (0 to {size:,} bytes).",
        "bad_time": "{name} must be a whole number of seconds since 1970, not {value}.",
        "expiry_order": "expiration ({expiration}) must be later than the signing time ({timestamp}).",
        "bad_name": "{problem}",
    }
)


def sign(
    message: bytes,
    *,
    domain: str,
    selector: str,
    private_key: object,
    headers: Sequence[str] = DEFAULT_HEADERS,
    canonicalization: tuple[str, str] = ("relaxed", "relaxed"),
    identity: str | None = None,
    body_length: int | None = None,
    timestamp: int | None = None,
    expiration: int | None = None,
    oversign: bool = False,
    now: float | Callable[[], float] | None = None,
) -> bytes:
    """Return ``message`` with a DKIM-Signature field on top (lines end in CRLF).

    ``private_key`` is an RSA (2048 bits recommended, 1024 at least) or Ed25519 private key from
    :mod:`cryptography`, or its unencrypted PEM text. ``headers`` names the fields to sign (From is
    required). ``canonicalization`` is (header, body), each ``"simple"`` or ``"relaxed"``.
    ``identity`` is ``i=`` (an address at ``domain`` or a subdomain); ``body_length`` writes
    ``l=`` and signs only that many bytes of the canonicalized body. ``timestamp`` is ``t=``
    (default: ``now``, a number or a clock, else this machine's clock), ``expiration`` is ``x=`` (seconds since 1970, later than ``t=``).

    Raises :class:`~mailsec.errors.InputError` with a sentence for anything it cannot sign.
    """
    key = load_private_key(private_key)
    algorithm = algorithm_for(key)
    parsed = read_message(message)
    header_canon, body_canon = _canonicalization(canonicalization)
    domain, selector = _checked_name("d", domain), _checked_name("s", selector)
    if identity is not None:
        identity = _checked_identity(identity, domain)
    names = signed_names(parsed.fields, headers, oversign=oversign)
    signed_at = _seconds("timestamp", clock_seconds(now) if timestamp is None else timestamp)
    if expiration is not None and _seconds("expiration", expiration) <= signed_at:
        raise InputError(
            MESSAGES["expiry_order"].format(expiration=expiration, timestamp=signed_at)
        )

    body = canon.canonicalize_body(parsed.body, body_canon)
    if body_length is not None and not (0 <= body_length <= len(body)):
        raise InputError(MESSAGES["bad_length"].format(length=body_length, size=len(body)))
    body_hash = digest(algorithm.hash_name, body if body_length is None else body[:body_length])

    tags = [
        ("v", "1"),
        ("a", algorithm.value),
        ("c", f"{header_canon.value}/{body_canon.value}"),
        ("d", domain),
        ("s", selector),
        ("t", str(signed_at)),
        ("x", None if expiration is None else str(expiration)),
        ("i", identity),
        ("l", None if body_length is None else str(body_length)),
        ("h", ":".join(names)),
        ("bh", base64.b64encode(body_hash).decode("ascii")),
    ]
    unsigned = fold_field("DKIM-Signature", [(n, v) for n, v in tags if v is not None])
    field = HeaderField("DKIM-Signature", unsigned.encode("ascii"))
    selected = canon.select_fields(parsed.fields, names)
    data = canon.header_data(selected, field, header_canon)
    signature = make_signature(algorithm, key, digest(algorithm.hash_name, data))
    signed = unsigned + fold_base64(base64.b64encode(signature).decode("ascii"))
    return signed.encode("ascii") + canon.CRLF + parsed.to_bytes()


def _canonicalization(value: object) -> tuple[Canon, Canon]:
    if isinstance(value, str) or not isinstance(value, tuple | list) or len(value) != 2:
        raise InputError(MESSAGES["bad_canonicalization"].format(value=quoted(str(value))))
    header, body = value
    return Canon.from_text(str(header)), Canon.from_text(str(body))


def _checked_name(tag: str, name: str) -> str:
    try:
        return check_domain(tag, name)
    except DkimSyntaxError as exc:
        raise InputError(MESSAGES["bad_name"].format(problem=exc.message)) from None


def _checked_identity(identity: str, domain: str) -> str:
    try:
        return check_identity(identity, domain)
    except DkimSyntaxError as exc:
        raise InputError(MESSAGES["bad_name"].format(problem=exc.message)) from None


def _seconds(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**12:
        raise InputError(MESSAGES["bad_time"].format(name=name, value=quoted(str(value))))
    return value


def signed_names(
    fields: Sequence[HeaderField], headers: Sequence[str], *, oversign: bool
) -> list[str]:
    """``h=``: each wanted name as many times as the message has it (§5.4.2), once more with
    ``oversign``; names the message lacks are left out unless oversigning."""
    wanted: list[str] = []
    for name in headers:
        lowered = str(name).lower()
        if not canon.is_field_name(lowered):
            raise InputError(MESSAGES["bad_header_name"].format(name=quoted(str(name))))
        if lowered not in wanted:
            wanted.append(lowered)
    if "from" not in wanted:
        raise InputError(MESSAGES["no_from"])
    present = Counter(field.key for field in fields)
    if not present["from"]:
        raise InputError(MESSAGES["message_without_from"])
    names: list[str] = []
    for name in wanted:
        names.extend([name] * (present[name] + (1 if oversign else 0)))
    return names


def fold_field(name: str, tags: Sequence[tuple[str, str]], width: int = FOLD_WIDTH) -> str:
    """``Name: tag=value; tag=value; ... b=`` folded into lines of at most ``width`` characters.

    The field ends with ``b=`` on a line of its own, ready for the signature: the text hashed
    (with ``b=`` empty) is then exactly the text sent, up to the signature (§3.7). Long values
    (a long ``h=``) are broken after a colon, where §3.5 allows folding whitespace.
    """
    lines: list[str] = []
    line = f"{name}:"
    for tag, value in tags:
        for number, piece in enumerate(_pieces(f"{tag}={value};")):
            space = " " if number == 0 else ""
            if len(line) + len(space) + len(piece) > width and line.strip():
                lines.append(line)
                line, space = " ", ""  # the next line starts with folding whitespace
            line += space + piece
    lines += [line, " b="]
    return "\r\n".join(lines)


def _pieces(text: str) -> list[str]:
    """``text`` cut after each colon (``h=from:to:subject;`` → ``h=from:``, ``to:``, ...)."""
    parts = text.split(":")
    return [part + ":" for part in parts[:-1]] + [parts[-1]]


def fold_base64(value: str, width: int = FOLD_WIDTH) -> str:
    """The signature's base64, after `` b=``, in lines of at most ``width`` characters."""
    first = width - len(" b=")
    lines = [value[:first]]
    lines += [" " + value[i : i + width - 1] for i in range(first, len(value), width - 1)]
    return "\r\n".join(lines)
