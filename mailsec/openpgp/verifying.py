"""Checking signatures on messages: detached, inline (one-pass) and cleartext (RFC 4880 §5.2).

:func:`check_signature` checks one signature over some data against the certificates the reader
has, and says step by step what it checked: the signature's type, whose key made it (§5.2.3.5), its
times (§5.2.3.4, §5.2.3.10), its hash (RFC 9580 §9.5 on weak hashes), whether that key was allowed to
sign then (§5.2.3.21), and finally the cryptographic check. The recipes :func:`verify` (detached
signatures) and :func:`inline_verify` (one-pass and cleartext signed messages) use it, and so does
decryption for the signatures inside an encrypted message. They return every outcome, good ones
first, and raise :class:`~mailsec.errors.VerificationError` when none is good, so data is never
handed back as "verified" without a good signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypedDict

from mailsec.errors import InputError, VerificationError
from mailsec.i18n import texts
from mailsec.openpgp import inputs
from mailsec.openpgp.certs import Certificate
from mailsec.openpgp.cleartext import HASH_NAMES, is_cleartext, read_cleartext
from mailsec.openpgp.constants import HashAlgorithm, PacketTag, PublicKeyAlgorithm, SignatureType
from mailsec.openpgp.contents import Budget, read_contents
from mailsec.openpgp.keys import KeyMaterial, UnsupportedAlgorithmError
from mailsec.openpgp.packets import read_packets
from mailsec.openpgp.signatures import Signature, canonical_text, parse_signature
from mailsec.trace import Outcome, Step

__all__ = ["Verification", "check_signature", "inline_verify", "require_good", "verify"]

TEXT = texts(
    {
        "head": "A {kind} signature by key {key_id}, {algorithm} over {hash}.",
        "step": "{reason}.",
        "not_data": "this is a {kind}, not a signature over data",
        "no_cert": "no certificate was given for the signing key {key_id}",
        "issuer": "The issuer {issuer} is in the certificate of {name}.",
        "text_mode": "Text signature: line endings are hashed as CRLF.",
        "no_time": "the signature has no creation time",
        "future": "the signature claims to be made in the future ({when} UTC)",
        "expired": "the signature has expired",
        "weak": "the signature uses {hash}, which is too weak to trust for signatures",
        "not_allowed": "the key {fingerprint} was not allowed to sign at {when} UTC",
        "key_valid": "The key {key_id} ({algorithm}) was valid for signing on {when} UTC.",
        "good": "good signature by {name}",
        "mismatch": "the signature does not match the data: the data or the signature was changed",
        "critical": "the signature has critical subpackets mailsec does not know ({critical})",
        "none_found": "no signature found",
        "no_valid": "No valid signature was found: {reasons}.",
        "not_detached": "This is not a detached signature: it holds {packets}. A detached "
        "signature is a block of Signature Packets ('-----BEGIN PGP SIGNATURE-----').",
        "no_signature_packet": "no Signature Packet",
        "not_signed": "No valid signature was found: the message is not signed.",
        "hash_header": "the 'Hash:' header does not announce {hash}",
    }
)
"""Checking signatures, in words (see :mod:`mailsec.i18n`)."""


def _sentence(reason: str) -> str:
    """A reason (which starts in lower case) as a step's sentence."""
    return TEXT["step"].format(reason=reason[:1].upper() + reason[1:])


#: How far in the future a signature's creation time may lie before it is refused: clocks differ.
CLOCK_SKEW_SECONDS = 600
#: Hashes too weak to trust for signatures (RFC 9580 §9.5).
WEAK_HASHES = frozenset({HashAlgorithm.MD5, HashAlgorithm.SHA1, HashAlgorithm.RIPEMD160})


@dataclass(frozen=True)
class Verification:
    """The outcome of checking one signature."""

    valid: bool
    key_id: str
    """The key ID the signature names (16 hex digits)."""
    created: datetime | None
    signer_fingerprint: str | None = None
    """The fingerprint of the signer's certificate (its primary key), when a certificate matched."""
    signing_key_fingerprint: str | None = None
    """The fingerprint of the key (primary or subkey) that made the signature."""
    reason: str = ""
    """Why it is valid or not, in a sentence."""
    mode: str = "binary"
    """"binary" or "text" (RFC 4880 §5.2.1)."""
    hash_algorithm: str = ""
    public_key_algorithm: str = ""
    steps: tuple[Step, ...] = field(default=(), repr=False)
    """How the check went, step by step, with the RFC sections."""


def _name(enum_type: type, value: int) -> str:
    try:
        return enum_type(value).title
    except ValueError:
        return str(value)


class _Facts(TypedDict):
    """What every :class:`Verification` of one signature repeats."""

    key_id: str
    created: datetime | None
    mode: str
    hash_algorithm: str
    public_key_algorithm: str


class _Check:
    """One signature check under way: the facts every outcome repeats, and the steps so far."""

    def __init__(self, signature: Signature) -> None:
        self.key_id = signature.issuer_key_id or "0000000000000000"
        self.facts: _Facts = {
            "key_id": self.key_id,
            "created": signature.created,
            "mode": "text" if signature.type == SignatureType.TEXT else "binary",
            "hash_algorithm": _name(HashAlgorithm, signature.hash_algorithm),
            "public_key_algorithm": _name(PublicKeyAlgorithm, signature.algorithm),
        }
        self.steps = [
            Step(
                TEXT["head"].format(
                    kind=signature.type_name.lower(),
                    key_id=self.key_id,
                    algorithm=self.facts["public_key_algorithm"],
                    hash=self.facts["hash_algorithm"],
                ),
                section="RFC 4880 §5.2.3",
            )
        ]

    def result(
        self,
        valid: bool,
        reason: str,
        cert: Certificate | None = None,
        key: KeyMaterial | None = None,
        section: str = "RFC 4880 §5.2.4",
    ) -> Verification:
        """The outcome, with ``reason`` as the last step."""
        outcome = Outcome.OK if valid else Outcome.FAIL
        self.steps.append(Step(_sentence(reason), outcome, section))
        return Verification(
            valid=valid,
            reason=reason,
            signer_fingerprint=cert.fingerprint if cert else None,
            signing_key_fingerprint=key.fingerprint if key else None,
            steps=tuple(self.steps),
            **self.facts,
        )


def check_signature(
    signature: Signature,
    data: bytes | memoryview,
    certs: Sequence[Certificate],
    moment: datetime,
) -> Verification:
    """Check one document signature against the given certificates, step by step: its type, its
    issuer among ``certs``, its times and hash, then the issuer's keys one by one."""
    check = _Check(signature)
    if signature.type not in (SignatureType.BINARY, SignatureType.TEXT):
        return check.result(
            False,
            TEXT["not_data"].format(kind=signature.type_name),
            section="RFC 4880 §5.2.1",
        )
    matches = _issuer_keys(signature, certs, moment)
    if not matches:
        return check.result(
            False,
            TEXT["no_cert"].format(key_id=check.key_id),
            section="RFC 4880 §5.2.3.5",
        )
    check.steps.append(
        Step(
            TEXT["issuer"].format(
                issuer=signature.issuer_fingerprint or check.key_id, name=matches[0][0].display_name
            ),
            Outcome.OK,
            "RFC 4880 §5.2.3.5",
        )
    )
    refusal = _refusal(signature, moment)
    if refusal is not None:
        reason, section = refusal
        return check.result(False, reason, section=section)
    text = signature.type == SignatureType.TEXT
    if text:
        check.steps.append(Step(TEXT["text_mode"], section="RFC 4880 §5.2.1"))
    content = canonical_text(data) if text else data
    return _check_keys(check, signature, content, matches)


def _issuer_keys(
    signature: Signature, certs: Sequence[Certificate], moment: datetime
) -> list[tuple[Certificate, KeyMaterial]]:
    """The (certificate, key) pairs the signature names as its issuer (RFC 4880 §5.2.3.5); for a
    signature that names none, every key of ``certs`` that could sign then."""
    wanted = signature.issuer_fingerprint or signature.issuer_key_id or "0000000000000000"
    matches = [(c, k) for c in certs if (k := c.find(wanted)) is not None]
    if not matches and signature.issuer_key_id is None:
        matches = [(c, k) for c in certs for k in c.signing_keys(signature.created or moment)]
    return matches


def _refusal(signature: Signature, moment: datetime) -> tuple[str, str] | None:
    """Why the signature is refused before any key is tried (its times, its hash), with the RFC
    section, or None."""
    created = signature.created
    if created is None:
        return TEXT["no_time"], "RFC 4880 §5.2.3.4"
    if created > moment and (created - moment).total_seconds() > CLOCK_SKEW_SECONDS:
        return (
            TEXT["future"].format(when=f"{created:%Y-%m-%d %H:%M}"),
            "RFC 4880 §5.2.3.4",
        )
    if signature.expired_at(moment):
        return TEXT["expired"], "RFC 4880 §5.2.3.10"
    if signature.hash_algorithm in WEAK_HASHES:
        return (
            TEXT["weak"].format(hash=_name(HashAlgorithm, signature.hash_algorithm)),
            "RFC 9580 §9.5",
        )
    return None


def _check_keys(
    check: _Check,
    signature: Signature,
    content: bytes | memoryview,
    matches: list[tuple[Certificate, KeyMaterial]],
) -> Verification:
    """Try the issuer's keys: the first one that was allowed to sign decides (RFC 4880 §5.2.3.21,
    §5.2.4)."""
    created = signature.created
    assert created is not None
    last, section = "", "RFC 4880 §5.2.3.21"
    for cert, key in matches:
        unusable = cert.usable_at(created)
        if unusable:
            last, section = unusable, "RFC 4880 §5.2.3.6"
            continue
        if key not in cert.signing_keys(created):
            last = TEXT["not_allowed"].format(
                fingerprint=key.fingerprint, when=f"{created:%Y-%m-%d %H:%M}"
            )
            section = "RFC 4880 §5.2.3.21"
            continue
        check.steps.append(
            Step(
                TEXT["key_valid"].format(
                    key_id=key.key_id,
                    algorithm=key.algorithm_name,
                    when=f"{created:%Y-%m-%d %H:%M}",
                ),
                Outcome.OK,
                "RFC 4880 §5.2.3.21",
            )
        )
        try:
            good = signature.check(key, content)
        except UnsupportedAlgorithmError as exc:
            last, section = exc.message, "RFC 4880 §9.1"
            continue
        if good:
            return check.result(True, TEXT["good"].format(name=cert.display_name), cert, key)
        last = TEXT["mismatch"]
        if signature.unknown_critical:
            last = TEXT["critical"].format(critical=signature.unknown_critical)
            section = "RFC 4880 §5.2.3.1"
        else:
            section = "RFC 4880 §5.2.4"
        return check.result(False, last, cert, key, section)
    return check.result(False, last, matches[0][0], matches[0][1], section)


def require_good(results: list[Verification]) -> tuple[Verification, ...]:
    """The outcomes, good ones first; raises :class:`~mailsec.errors.VerificationError` with every
    reason when none is good."""
    ordered = tuple(sorted(results, key=lambda v: not v.valid))
    if not any(v.valid for v in ordered):
        reasons = "; ".join(dict.fromkeys(v.reason for v in ordered)) or TEXT["none_found"]
        raise VerificationError(TEXT["no_valid"].format(reasons=reasons))
    return ordered


def verify(
    data: bytes,
    signature: bytes,
    certs: Sequence[Certificate],
    *,
    now: datetime | None = None,
) -> tuple[Verification, ...]:
    """Check a detached signature: returns every signature's outcome, good ones first; raises
    :class:`~mailsec.errors.VerificationError` when none of them is a good signature."""
    moment = inputs.moment(now)
    packets = read_packets(inputs.binary(signature, "signature"), budget=Budget())
    signatures = [parse_signature(bytes(p.body)) for p in packets if p.tag == PacketTag.SIGNATURE]
    others = [p for p in packets if p.tag not in (PacketTag.SIGNATURE, PacketTag.MARKER)]
    if others or not signatures:
        held = ", ".join(sorted({p.name for p in others})) or TEXT["no_signature_packet"]
        raise InputError(TEXT["not_detached"].format(packets=held))
    content = inputs.data_bytes(data)
    certificates = inputs.certificates(certs, "certificates")
    return require_good([check_signature(s, content, certificates, moment) for s in signatures])


def inline_verify(
    message: bytes,
    certs: Sequence[Certificate],
    *,
    now: datetime | None = None,
) -> tuple[bytes, tuple[Verification, ...]]:
    """Check an inline (one-pass) signed message, or a cleartext-signed one (RFC 4880 §7): returns
    the data and the verifications, good ones first; raises
    :class:`~mailsec.errors.VerificationError` when no good signature is found, so the data is never
    returned without one."""
    moment = inputs.moment(now)
    verify_certs = inputs.certificates(certs, "certificates")
    if isinstance(message, str):
        message = message.encode("utf-8")
    if isinstance(message, (bytes, bytearray)) and is_cleartext(bytes(message)):
        return _cleartext_verify(bytes(message), verify_certs, moment)
    contents = read_contents(inputs.binary(message, "signed message"))
    assert contents.literal is not None
    if not contents.signatures:
        raise VerificationError(TEXT["not_signed"])
    data = bytes(contents.literal.data)  # read without views: already bytes, so not copied
    results = [check_signature(s, data, verify_certs, moment) for s in contents.signatures]
    return data, require_good(results)


def _cleartext_verify(
    message: bytes, certs: list[Certificate], moment: datetime
) -> tuple[bytes, tuple[Verification, ...]]:
    """Check a cleartext-signed message; a signature whose hash the 'Hash:' header does not
    announce is not valid (RFC 4880 §7)."""
    clear = read_cleartext(message)
    results = []
    for signature in clear.signatures:
        check = check_signature(signature, clear.signed, certs, moment)
        announced = HASH_NAMES.get(signature.hash_algorithm, str(signature.hash_algorithm))
        if clear.hashes and announced not in clear.hashes:
            reason = TEXT["hash_header"].format(hash=announced)
            step = Step(_sentence(reason), Outcome.FAIL, "RFC 4880 §7")
            check = replace(check, valid=False, reason=reason, steps=(*check.steps, step))
        results.append(check)
    return clear.text, require_good(results)
