"""Checking one ARC-Message-Signature or one ARC-Seal against its key (RFC 8617 §5.2).

Both are DKIM signatures in what matters here, and are checked with the DKIM chapter's parts:

- the key is the DKIM key record at ``<s>._domainkey.<d>`` (§4.1.2, §4.1.3), fetched and judged
  by :func:`mailsec.dkim.keys.fetch_key` and the DKIM verifier's rules for using a key (revoked,
  wrong type, too small ...);
- an ARC-Message-Signature is verified as a DKIM-Signature is (RFC 6376 §6.1.3): the body hash,
  then the header fields of ``h=`` and the signature field itself with an empty ``b=``;
- an ARC-Seal signs the ARC sets up to its own, relaxed (§5.1.1), as
  :func:`~mailsec.arc.fields.seal_input` lays them out.

Each check returns a :class:`SignatureCheck`: the DKIM result of that one signature, the reason
and its steps. The validator (:mod:`mailsec.arc.validate`) decides what they mean for the chain.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from mailsec.arc.fields import ArcSet, MessageSignature, seal_input
from mailsec.dkim import canon
from mailsec.dkim.canon import Canon, Message
from mailsec.dkim.crypto import PublicKey, check_signature, digest
from mailsec.dkim.keys import fetch_key
from mailsec.dkim.result import DkimResult
from mailsec.dkim.signature import Signature
from mailsec.dkim.verify import REASONS as DKIM_REASONS
from mailsec.dkim.verify import usable_key, without_b
from mailsec.errors import quoted
from mailsec.i18n import texts
from mailsec.spf.lookup import DnsSource
from mailsec.trace import Outcome, Step

__all__ = ["SignatureCheck", "check_message_signature", "check_seal"]

STEPS = texts(
    {
        "query": "Asked DNS for the TXT record at {name}: {answer}.",
        "body_ok": "The body, canonicalized with {method} ({length:,} bytes), hashes to bh=.",
        "body_bad": "The body, canonicalized with {method} ({length:,} bytes), hashes to {computed}, "
        "not to bh={expected}.",
        "headers": "Hashed the header fields of h= ({fields}), then the ARC-Message-Signature "
        "itself with an empty b=.",
        "sets": "Hashed {sets} in order, each as ARC-Authentication-Results, ARC-Message-Signature, "
        "ARC-Seal, relaxed; the last is this seal with an empty b=.",
        "one_set": "ARC set 1",
        "some_sets": "the ARC sets 1 to {instance}",
        "signature_ok": "b= verifies with the key: the signed data is as the signer hashed it.",
        "signature_bad": "b= does not verify with the key.",
    }
)

REASONS = texts(
    {
        "expired": "The signature expired at x={expiration}.",
        "body_changed": "The body was changed after it was signed: its hash differs from bh=.",
        "headers_changed": "A signed header field was changed, or the signature was not made with "
        "this key.",
        "sets_changed": "An ARC set up to this one was changed, removed or reordered, or the seal was "
        "not made with this key.",
        "passed": "The signature verified.",
    }
)

_CUT = 300


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of checking one ARC-Message-Signature or ARC-Seal."""

    result: DkimResult
    reason: str
    steps: tuple[Step, ...] = field(default=(), repr=False)

    @property
    def passed(self) -> bool:
        return self.result is DkimResult.PASS


def check_message_signature(
    message: Message,
    ams: MessageSignature,
    source: DnsSource,
    now: int,
    body: Callable[[Canon], bytes],
) -> SignatureCheck:
    """Verify an ARC-Message-Signature as RFC 6376 §6.1 verifies a DKIM-Signature.

    ``body`` gives the canonicalized body for a method (so that several signatures of one
    message canonicalize it once); ``now`` is compared with ``x=``.
    """
    steps: list[Step] = []
    signature = ams.signature
    if signature.expiration is not None and now > signature.expiration:
        return _done(DkimResult.FAIL, "expired", steps, expiration=signature.expiration)
    key = _public_key(signature, source, steps)
    if isinstance(key, SignatureCheck):
        return key
    canonical = body(signature.body_canon)
    hashed = canonical if signature.body_length is None else canonical[: signature.body_length]
    computed = digest(signature.algorithm.hash_name, hashed)
    method, length = signature.body_canon.value, len(canonical)
    if not hmac.compare_digest(computed, signature.body_hash):
        shown, expected = _b64(computed), _b64(signature.body_hash)
        steps.append(
            _step(
                "body_bad",
                Outcome.FAIL,
                method=method,
                length=length,
                computed=shown,
                expected=expected,
            )
        )
        return _done(DkimResult.FAIL, "body_changed", steps)
    steps.append(_step("body_ok", Outcome.OK, method=method, length=length))
    selected = canon.select_fields(message.fields, signature.signed_headers, skip=ams.field)
    blank = without_b(ams.field, signature.tags)
    data = canon.header_data(selected, blank, signature.header_canon)
    names = ", ".join(signature.signed_headers)
    steps.append(_step("headers", section="RFC 6376 §5.4.2", fields=_cut(names)))
    return _verified(signature, key, data, steps, "headers_changed")


def check_seal(earlier: Sequence[ArcSet], arc_set: ArcSet, source: DnsSource) -> SignatureCheck:
    """Verify the ARC-Seal of ``arc_set`` over ``earlier`` (the sets 1 to i-1) and its own set."""
    steps: list[Step] = []
    seal = arc_set.seal
    key = _public_key(seal.signature, source, steps)
    if isinstance(key, SignatureCheck):
        return key
    blank = without_b(seal.field, seal.signature.tags)
    data = seal_input(earlier, arc_set.results.field, arc_set.message_signature.field, blank)
    number = arc_set.instance
    sets = STEPS["one_set"] if number == 1 else STEPS["some_sets"].format(instance=number)
    steps.append(_step("sets", section="RFC 8617 §5.1.1", sets=sets))
    return _verified(seal.signature, key, data, steps, "sets_changed")


def _public_key(
    signature: Signature, source: DnsSource, steps: list[Step]
) -> PublicKey | SignatureCheck:
    """The key at ``<s>._domainkey.<d>``, if the DKIM rules let this signature use it (§6.1.2
    of RFC 6376); otherwise the check's end: temperror or permerror."""
    lookup = fetch_key(signature.selector, signature.domain, source)
    answer = _cut(lookup.answer.describe())
    data = {"query": f"TXT {lookup.name}", "answer": answer}
    steps.append(
        _step("query", section="RFC 6376 §3.6.2", name=lookup.name, answer=answer, data=data)
    )
    if lookup.record is None:
        assert lookup.result is not None
        return SignatureCheck(lookup.result, lookup.problem, tuple(steps))
    usable = usable_key(lookup.record, signature, quoted(lookup.name, 80))
    if isinstance(usable, tuple):
        reason_key, values = usable
        reason = DKIM_REASONS[reason_key].format(**values)
        return SignatureCheck(DkimResult.PERMERROR, reason, tuple(steps))
    return usable


def _verified(
    signature: Signature, key: PublicKey, data: bytes, steps: list[Step], failure: str
) -> SignatureCheck:
    header_digest = digest(signature.algorithm.hash_name, data)
    shown = {"header data": data.decode("latin-1"), "digest": header_digest.hex()}
    section = signature.algorithm.section
    if not check_signature(signature.algorithm, key, signature.signature, header_digest):
        steps.append(_step("signature_bad", Outcome.FAIL, section, data=shown))
        return _done(DkimResult.FAIL, failure, steps)
    steps.append(_step("signature_ok", Outcome.OK, section, data=shown))
    return _done(DkimResult.PASS, "passed", steps)


def _done(result: DkimResult, key: str, steps: list[Step], **values: object) -> SignatureCheck:
    return SignatureCheck(result, REASONS[key].format(**values), tuple(steps))


def _step(
    key: str,
    outcome: Outcome = Outcome.INFO,
    section: str | None = None,
    *,
    data: Mapping[str, object] | None = None,
    **values: object,
) -> Step:
    """A step one level down: part of checking one signature."""
    text = STEPS[key].format(**values)
    return Step(text, outcome, section, depth=1, data=data or {})


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _cut(text: str) -> str:
    return text if len(text) <= _CUT else text[:_CUT] + "…"
