"""Looking inside S/MIME messages, and changing them the way an attacker would (for the labs).

- :func:`mime_tree` — the MIME structure of a message as a tree of :class:`MimeNode`;
- :func:`cms_outline` — the CMS structure inside a message (SignedData, EnvelopedData,
  AuthEnvelopedData) as a tree of :class:`CmsNode`, with the RFC section of each part;
- :func:`flip_byte` — change one byte "in transit": in the signed text, or in the ciphertext;
- :func:`efail_rewrite` — the EFAIL (2018) idea: without the key, rewrite the first 16 bytes of an
  encrypted message whose start is known. AES-CBC lets it through; AES-GCM detects it.

Everything here is pure: bytes in, data out.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.policy
from dataclasses import dataclass, field

from asn1crypto import cms

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.mime import param_text
from mailsec.mime import parse as parse_mail
from mailsec.smime.cms import ECDH_SCHEMES, GcmParameters, damaged_input, load_content_info
from mailsec.smime.messages import MessageKind, message_kind
from mailsec.smime.mime import (
    CRLF,
    base64_lines,
    canonical_crlf,
    decode_body,
    split_message,
    split_multipart_signed,
)
from mailsec.trace import Outcome, Step

__all__ = [
    "CmsNode",
    "DataText",
    "MimeNode",
    "Tampered",
    "cms_outline",
    "decoded_header",
    "efail_rewrite",
    "flip_byte",
    "mime_tree",
    "plain_client_view",
]


@dataclass(frozen=True)
class MimeNode:
    """One MIME part: its type, size and what it means to a learner."""

    content_type: str
    size: int
    """Bytes of the part's body as sent (after transfer encoding)."""
    meaning: str
    filename: str | None = None
    children: tuple[MimeNode, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()


TEXT = texts(
    {
        "meanings": {
            "multipart/signed": "signed message: part 1 is the content, part 2 the signature "
            "(RFC 8551 §3.5.3)",
            "application/pkcs7-signature": "the detached signature (CMS SignedData) with the "
            "signer's certificate",
            "application/x-pkcs7-signature": "the detached signature (CMS SignedData), old type "
            "name",
        },
        "smime_types": {
            "enveloped-data": "encrypted content (CMS EnvelopedData, AES-CBC)",
            "authenveloped-data": "encrypted content (CMS AuthEnvelopedData, AES-GCM)",
            "signed-data": "signed content wrapped in CMS SignedData (opaque signing)",
        },
        "cms_object": "a CMS object",
        "readable_text": "readable text",
        "container": "a container of parts",
        "attachment": "an attachment",
        "empty": "The message is empty.",
        "unnamed": "unnamed",
        "attachment_row": "{name} ({type}, {size} bytes)",
        "shows_as_text": "Shows as text",
        "not_readable": "(nothing: the body is not readable)",
        "attachments": "Attachments",
        "none": "(none)",
        "a_certificate": "a certificate",
        "by_serial": "the certificate with serial {serial} issued by {issuer}",
        "by_key_id": "key id {key_id}",
        "for_rid": "for {rid}",
        "rsa_encrypted": "{size} bytes: the content key, RSA-encrypted",
        "wrapped_for": "for {rid}: {size} bytes, the wrapped content key",
        "kari": "the sender's one-time EC public key + key derivation + AES key wrap",
        "originator": "a one-time (ephemeral) EC P-256 public key",
        "scheme_with": "{scheme} with {wrap}",
        "unread_kind": "a kind mailsec does not read",
        "certificate": "certificate",
        "signed_attribute": "signed attribute",
        "signer_info": "{digest} + {algorithm}, signature {size} bytes",
        "over_content": "a signature over the content",
        "detached": "absent: detached, the content is the first MIME part",
        "encapsulated": "the signed content itself ({size} bytes)",
        "carried": "{count} carried",
        "gcm_params": "nonce {nonce} bytes, tag {tag} bytes",
        "cbc_params": "IV {size} bytes",
        "recipients": "{count} recipient(s): each gets the same content key",
        "ciphertext": "{algorithm} ({params}), {size} bytes of ciphertext",
        "mac": "{size}-byte GCM tag: detects any change",
        "authenticated": "encrypted and authenticated",
        "not_authenticated": "encrypted, not authenticated",
        "not_shown": "not shown by the course",
        "not_smime": "The message is not S/MIME (Content-Type {type}); it has no CMS inside.",
        "not_located": "The ciphertext could not be located in the message (it is split in "
        "pieces).",
        "cipher_byte": "byte {index} of {size} bytes of ciphertext",
        "flipped": "Flipped one bit of {where}.",
        "empty_signed": "The signed part has an empty body; there is no byte to change.",
        "signed_byte": "byte {index} of the {size}-byte signed text",
        "only_smime": "Only signed or encrypted S/MIME messages can be tampered with here.",
        "block": "The known text ({known} bytes) and the injected text ({injected} bytes) must "
        "both be exactly 16 bytes: one AES block.",
        "encrypt_first": "EFAIL rewrites encrypted messages; encrypt the message first.",
        "cbc_iv": "the IV of AES-CBC (first block rewritten)",
        "gcm_start": "the first 16 bytes of the AES-GCM ciphertext",
        "xored": "Without the key, XOR-ed {known} ⊕ {injected} into {where}.",
    }
)
"""What the parts of a message are, in words (see :mod:`mailsec.i18n`)."""


def _meaning(ctype: str, smime_type: str | None) -> str:
    meanings = TEXT["meanings"]
    if ctype in meanings:
        return str(meanings[ctype])
    if ctype in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
        return str(TEXT["smime_types"].get((smime_type or "").lower(), TEXT["cms_object"]))
    if ctype.startswith("text/"):
        return TEXT["readable_text"]
    if ctype.startswith("multipart/"):
        return TEXT["container"]
    return TEXT["attachment"]


def decoded_header(value: object) -> str:
    """A header field's value as a person reads it: RFC 2047 encoded words decoded.

    ``=?utf-8?b?57Wm5LiO6KGo?=`` becomes ``給与表``. A value that does not decode (a damaged
    encoded word, an unknown charset) is shown as it is.
    """
    text = str(value)
    if "=?" not in text:
        return text
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
        return text


def mime_tree(message: bytes) -> MimeNode:
    """The MIME tree of a message (parsed with the standard :mod:`email` package)."""
    if not message.strip():
        raise InputError(TEXT["empty"])
    parsed = parse_mail(canonical_crlf(message))

    def node(part: email.message.Message) -> MimeNode:
        ctype = part.get_content_type()
        payload = part.get_payload()
        children: tuple[MimeNode, ...] = ()
        if part.is_multipart() and isinstance(payload, list):
            children = tuple(node(p) for p in payload if isinstance(p, email.message.Message))
            size = sum(c.size for c in children)
        else:
            size = len(payload.encode("latin-1", "replace")) if isinstance(payload, str) else 0
        shown = tuple(
            (k, decoded_header(v))
            for k, v in part.items()
            if k.lower() in ("from", "to", "subject", "date", "content-type")
        )
        return MimeNode(
            ctype,
            size,
            _meaning(ctype, param_text(part, "smime-type")),
            part.get_filename(),
            children,
            shown,
        )

    return node(parsed)


def plain_client_view(message: bytes) -> tuple[tuple[str, str], ...]:
    """What a mail client without S/MIME shows: the header fields and a list of attachments.

    Returns (label, text) rows: From, To, Subject, Date, the text it can display, and the
    attachments it offers (``smime.p7m`` or ``smime.p7s``) that it cannot open.
    """
    tree = mime_tree(message)
    rows = [(k, v) for k, v in tree.headers if k.lower() != "content-type"]
    texts: list[str] = []
    attachments: list[str] = []

    def walk(node: MimeNode) -> None:
        if node.children:
            for child in node.children:
                walk(child)
        elif node.content_type.startswith("text/") and not node.filename:
            texts.append(node.content_type)
        else:
            attachments.append(
                TEXT["attachment_row"].format(
                    name=node.filename or TEXT["unnamed"],
                    type=node.content_type,
                    size=f"{node.size:,}",
                )
            )

    walk(tree)
    rows.append((TEXT["shows_as_text"], ", ".join(texts) if texts else TEXT["not_readable"]))
    rows.append((TEXT["attachments"], "; ".join(attachments) if attachments else TEXT["none"]))
    return tuple(rows)


class DataText(str):
    """Text that is data, not words (an algorithm's or attribute's name, a name from a
    certificate): shown as code, never translated."""


@dataclass(frozen=True)
class CmsNode:
    """One element of a CMS structure."""

    label: str
    detail: str = ""
    section: str | None = None
    children: tuple[CmsNode, ...] = field(default=())


def _name(value: object) -> DataText:
    return DataText(str(value).replace("_", "-"))


def _cert_label(cert: cms.CertificateChoices) -> str:
    try:
        return DataText(cert.chosen.subject.human_friendly)
    except Exception:
        return TEXT["a_certificate"]


def _rid(rid: cms.RecipientIdentifier | cms.KeyAgreeRecipientIdentifier) -> str:
    chosen = rid.chosen
    if isinstance(chosen, cms.IssuerAndSerialNumber):
        return TEXT["by_serial"].format(
            serial=f"{chosen['serial_number'].native:x}", issuer=chosen["issuer"].human_friendly
        )
    return TEXT["by_key_id"].format(key_id=repr(chosen.native))


def _recipient(ri: cms.RecipientInfo) -> CmsNode:
    if ri.name == "ktri":
        k = ri.chosen
        return CmsNode(
            "KeyTransRecipientInfo (RSA)",
            TEXT["for_rid"].format(rid=_rid(k["rid"])),
            "RFC 5652 §6.2.1",
            (
                CmsNode(
                    "keyEncryptionAlgorithm",
                    _name(k["key_encryption_algorithm"]["algorithm"].native),
                ),
                CmsNode(
                    "encryptedKey",
                    TEXT["rsa_encrypted"].format(size=len(k["encrypted_key"].native)),
                ),
            ),
        )
    if ri.name == "kari":
        k = ri.chosen
        scheme = k["key_encryption_algorithm"]["algorithm"].dotted
        wrap = cms.KeyEncryptionAlgorithm.load(k["key_encryption_algorithm"]["parameters"].dump())
        keys = tuple(
            CmsNode(
                "RecipientEncryptedKey",
                TEXT["wrapped_for"].format(rid=_rid(r["rid"]), size=len(r["encrypted_key"].native)),
            )
            for r in k["recipient_encrypted_keys"]
        )
        return CmsNode(
            "KeyAgreeRecipientInfo (ECDH)",
            TEXT["kari"],
            "RFC 5753 §3.1",
            (
                CmsNode("originatorKey", TEXT["originator"]),
                CmsNode(
                    "keyEncryptionAlgorithm",
                    TEXT["scheme_with"].format(
                        scheme=ECDH_SCHEMES.get(scheme, (scheme,))[0],
                        wrap=_name(wrap["algorithm"].native),
                    ),
                    "RFC 5753 §7.1.4",
                ),
                *keys,
            ),
        )
    return CmsNode(f"RecipientInfo ({ri.name})", TEXT["unread_kind"])


def _outline(info: cms.ContentInfo) -> CmsNode:
    kind = info["content_type"].native
    body = info["content"]
    if kind == "signed_data":
        certs = tuple(
            CmsNode(TEXT["certificate"], _cert_label(c)) for c in (body["certificates"] or [])
        )
        encap = body["encap_content_info"]
        signers = []
        for si in body["signer_infos"]:
            attrs = tuple(
                CmsNode(TEXT["signed_attribute"], _name(a["type"].native))
                for a in (si["signed_attrs"] or [])
            )
            signers.append(
                CmsNode(
                    "SignerInfo",
                    TEXT["signer_info"].format(
                        digest=_name(si["digest_algorithm"]["algorithm"].native),
                        algorithm=_name(si["signature_algorithm"].signature_algo),
                        size=len(si["signature"].native),
                    ),
                    "RFC 5652 §5.3",
                    (CmsNode("sid", _rid(si["sid"])), *attrs),
                )
            )
        detached = encap["content"].native is None
        return CmsNode(
            "ContentInfo: SignedData",
            TEXT["over_content"],
            "RFC 5652 §5",
            (
                CmsNode(
                    "encapContentInfo",
                    TEXT["detached"]
                    if detached
                    else TEXT["encapsulated"].format(size=f"{len(encap['content'].native):,}"),
                ),
                CmsNode(
                    "certificates",
                    TEXT["carried"].format(count=len(certs)),
                    "RFC 8551 §2.4.1",
                    certs,
                ),
                *signers,
            ),
        )
    if kind in ("enveloped_data", "authenticated_enveloped_data"):
        auth = kind == "authenticated_enveloped_data"
        eci = body["auth_encrypted_content_info" if auth else "encrypted_content_info"]
        alg = eci["content_encryption_algorithm"]
        if auth:
            params = GcmParameters.load(alg["parameters"].dump())
            param_text = TEXT["gcm_params"].format(
                nonce=len(params["nonce"].native), tag=params["icv_len"].native
            )
        else:
            param_text = TEXT["cbc_params"].format(size=len(alg["parameters"].native))
        content = eci["encrypted_content"].native or b""
        children = [
            CmsNode(
                "recipientInfos",
                TEXT["recipients"].format(count=len(body["recipient_infos"])),
                "RFC 5652 §6.2",
                tuple(_recipient(ri) for ri in body["recipient_infos"]),
            ),
            CmsNode(
                "encryptedContentInfo",
                TEXT["ciphertext"].format(
                    algorithm=_name(alg["algorithm"].native),
                    params=param_text,
                    size=f"{len(content):,}",
                ),
                "RFC 5084 §3.2" if auth else "RFC 8551 §2.7",
            ),
        ]
        if auth:
            children.append(
                CmsNode(
                    "mac",
                    TEXT["mac"].format(size=len(body["mac"].native)),
                    "RFC 5083 §2.1",
                )
            )
        return CmsNode(
            f"ContentInfo: {'AuthEnvelopedData' if auth else 'EnvelopedData'}",
            TEXT["authenticated" if auth else "not_authenticated"],
            "RFC 5083 §2.1" if auth else "RFC 5652 §6.1",
            tuple(children),
        )
    return CmsNode(f"ContentInfo: {kind}", TEXT["not_shown"])


def cms_outline(message: bytes) -> CmsNode:
    """The CMS structure carried by an S/MIME message (its smime.p7m or smime.p7s)."""
    data = canonical_crlf(message)
    split = split_message(data)
    kind = message_kind(split)
    if kind is MessageKind.PLAIN:
        raise InputError(TEXT["not_smime"].format(type=repr(split.content_type)))
    if kind is MessageKind.SIGNED:
        _, signature_part = split_multipart_signed(split, data)
        der = decode_body(split_message(signature_part))
    else:
        der = decode_body(split)
    with damaged_input():
        return _outline(load_content_info(der))


# -- changing messages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tampered:
    """A message with one byte changed, and where."""

    message: bytes
    where: str
    step: Step
    ciphertext_offset: int | None = None
    """Which byte of the ciphertext changed, for an encrypted message (None otherwise)."""


def _rewrap(split_data: bytes, der: bytes) -> bytes:
    """The same message with a new base64 body (header fields unchanged)."""
    data = canonical_crlf(split_data)
    cut = data.find(CRLF + CRLF)
    return data[: cut + 4] + base64_lines(der)


def _ciphertext_span(der: bytes) -> tuple[int, int, cms.ContentInfo]:
    info = load_content_info(der)
    key = (
        "auth_encrypted_content_info"
        if info["content_type"].native == "authenticated_enveloped_data"
        else "encrypted_content_info"
    )
    with damaged_input():
        ciphertext = info["content"][key]["encrypted_content"].native
    start = der.rfind(ciphertext)
    if start < 0:
        raise InputError(TEXT["not_located"])
    return start, len(ciphertext), info


def flip_byte(message: bytes, position: int) -> Tampered:
    """Flip the lowest bit of one byte, as a fault or an attacker on the way would.

    In an encrypted message the byte is in the ciphertext; in a signed message it is in the
    body of the signed text. ``position`` counts from 0 and wraps around the available bytes.
    """
    data = canonical_crlf(message)
    split = split_message(data)
    kind = message_kind(split)
    if kind in (MessageKind.ENVELOPED, MessageKind.AUTH_ENVELOPED):
        der = bytearray(decode_body(split))
        start, length, _ = _ciphertext_span(bytes(der))
        index = start + position % length
        der[index] ^= 0x01
        where = TEXT["cipher_byte"].format(index=position % length, size=f"{length:,}")
        return Tampered(
            _rewrap(data, bytes(der)),
            where,
            Step(TEXT["flipped"].format(where=where), Outcome.WARN),
            position % length,
        )
    if kind is MessageKind.SIGNED:
        entity, _ = split_multipart_signed(split, data)
        body_start = entity.find(CRLF + CRLF) + 4
        body_length = len(entity) - body_start
        if body_length <= 0:
            raise InputError(TEXT["empty_signed"])
        base = data.find(entity) + body_start
        index = position % body_length
        # Skip line ends, so the change is to a character and the lines stay as they are.
        while data[base + index] in (0x0A, 0x0D):
            index = (index + 1) % body_length
        changed = bytearray(data)
        flipped = changed[base + index] ^ 0x01
        changed[base + index] = flipped if flipped not in (0x0A, 0x0D) else flipped ^ 0x03
        position = index
        where = TEXT["signed_byte"].format(index=position % body_length, size=f"{body_length:,}")
        return Tampered(
            bytes(changed), where, Step(TEXT["flipped"].format(where=where), Outcome.WARN)
        )
    raise InputError(TEXT["only_smime"])


def efail_rewrite(message: bytes, *, known: bytes, injected: bytes) -> Tampered:
    """Rewrite the first 16 bytes of an encrypted message without the key (the EFAIL idea).

    The attacker guesses the first block of the plaintext (``known``: MIME header fields are
    predictable, e.g. ``Content-Type: te``) and wants ``injected`` there instead. With AES-CBC the
    first plaintext block is the decrypted first block XOR the IV, and the IV is sent in the
    clear: XOR-ing ``known ⊕ injected`` into the IV changes that block exactly, and nothing
    detects it (RFC 8551 §2.7 and the EFAIL paper). With AES-GCM the same edit (to the counter-
    mode ciphertext) is caught by the tag and decryption fails.
    """
    if len(known) != 16 or len(injected) != 16:
        raise InputError(TEXT["block"].format(known=len(known), injected=len(injected)))
    data = canonical_crlf(message)
    split = split_message(data)
    kind = message_kind(split)
    if kind not in (MessageKind.ENVELOPED, MessageKind.AUTH_ENVELOPED):
        raise InputError(TEXT["encrypt_first"])
    der = bytearray(decode_body(split))
    start, length, info = _ciphertext_span(bytes(der))
    delta = bytes(a ^ b for a, b in zip(known, injected, strict=True))
    if kind is MessageKind.ENVELOPED:
        iv = info["content"]["encrypted_content_info"]["content_encryption_algorithm"][
            "parameters"
        ].native
        iv_at = bytes(der).find(iv)
        for i in range(16):
            der[iv_at + i] ^= delta[i]
        where = TEXT["cbc_iv"]
    else:
        for i in range(min(16, length)):
            der[start + i] ^= delta[i]
        where = TEXT["gcm_start"]
    return Tampered(
        _rewrap(data, bytes(der)),
        where,
        Step(
            TEXT["xored"].format(known=repr(known), injected=repr(injected), where=where),
            Outcome.WARN,
            "RFC 8551 §2.7",
        ),
    )
