"""Verifying DKIM signatures, step by step (RFC 6376 §6.1).

For each DKIM-Signature field, from the top of the header down, the verifier:

1. reads the tag list and checks the signature's tags (§6.1.1), then whether it has expired;
2. fetches the key record at ``<s>._domainkey.<d>`` and checks that the key may be used for this
   signature: not revoked, the right type and hash, for email, ``t=s`` respected (§6.1.2);
3. canonicalizes the body, hashes it (the first ``l=`` bytes, when the signature has ``l=``) and
   compares the hash with ``bh=`` (§6.1.3);
4. hashes the header fields listed in ``h=`` and the signature field itself with its ``b=`` value
   emptied, and checks ``b=`` against that hash with the public key (§6.1.3).

The first step that fails decides the result, and every step is recorded in the trace. A message
too large to be mail is refused with :class:`~mailsec.errors.InputError`; anything wrong inside a
signature is a result (``permerror``), never an exception.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TypedDict

from mailsec.dkim import canon
from mailsec.dkim.canon import Canon, HeaderField, Message, read_message
from mailsec.dkim.crypto import (
    MIN_RSA_BITS,
    PublicKey,
    check_signature,
    digest,
    key_bits,
    load_public_key,
)
from mailsec.dkim.keys import KeyRecord, fetch_key
from mailsec.dkim.result import SHOWN_BODY, DkimResult, Verification, format_step
from mailsec.dkim.signature import Signature, clock_seconds, signature_from_tags
from mailsec.dkim.tags import DkimSyntaxError, TagList, parse_tag_list
from mailsec.errors import quoted
from mailsec.i18n import texts
from mailsec.limits import MAX_SIGNATURES
from mailsec.spf.lookup import DnsSource, as_source
from mailsec.trace import Outcome, Step

__all__ = ["CLOCK_SKEW", "MAX_SIGNATURES", "usable_key", "verify", "without_b"]


#: Seconds a signing time (``t=``) may lie in the future before the trace remarks on it: clocks
#: of sending and receiving servers disagree by a little.
CLOCK_SKEW = 300

STEPS = texts(
    {
        "found": "DKIM-Signature {index} of {count}: {value}",
        "limit": "The message has {count} DKIM-Signature fields; only the first {limit} are checked.",
        "bare_lf": "Lines of the message end in a bare LF; they were read as ending in CRLF, as "
        "mail on the wire does.",
        "tags": "The tag list was read: {names}.",
        "signature_ok": "The signature's tags are valid: {algorithm} by {domain}, selector "
        "{selector}, canonicalization {header}/{body}.",
        "signed_at": "Signed at {when} (t={timestamp}).",
        "future": "t={timestamp} is {seconds:,} seconds in the future: the signer's clock is wrong.",
        "expires": "Valid until {when} (x={expiration}).",
        "query": "Asked DNS for the TXT record at {name}: {answer}.",
        "remark": "{remark}",
        "key_ok": "Key record: k={key_type}, a {bits}-bit key.",
        "testing": "The key record says t=y: the domain is testing DKIM, and receivers should not "
        "treat this message differently from unsigned mail.",
        "body": "The body was canonicalized with {method}: {length:,} bytes.",
        "body_limit": "l={limit} signs only the first {limit:,} bytes; the {rest:,} bytes after them "
        "were not signed, and anybody may have added them.",
        "body_short": "l={limit} is longer than the canonicalized body ({length:,} bytes): the body "
        "was shortened on the way.",
        "body_hash_ok": "Body hash {computed} equals bh=.",
        "body_hash_bad": "Body hash {computed} differs from bh={expected}.",
        "headers": "Hashed the header fields of h= from the bottom up: {fields}; then the "
        "DKIM-Signature itself with an empty b=.",
        "oversigned": "{name} (no instance left, so it adds nothing)",
        "weak": "{algorithm} uses SHA-1, which must not be trusted for signatures any more.",
        "signature_checked": "The signature b= matches the header hash {digest}.",
        "signature_bad": "The signature b= does not match the header hash {digest}.",
        "result": "DKIM result: {result}.",
        "far_future": "{seconds:,} seconds after 1970",
        "cut": "{start}… ({more:,} more characters)",
    }
)

REASONS = texts(
    {
        "syntax": "The signature is malformed: {problem}",
        "expired": "The signature expired at {when} (x={expiration}).",
        "revoked": "The key at {name} has an empty p=: the domain revoked it.",
        "key_type": "The key at {name} is an {key_type} key, but the signature uses {algorithm}.",
        "key_hash": "The key at {name} may be used only with {hashes}, not {hash}.",
        "key_service": "The key at {name} is for {services}, not email.",
        "strict": "The key at {name} has t=s, so the i= domain {identity} must be exactly {domain}.",
        "bad_key": "The key at {name} cannot be used: {problem}",
        "small_key": "The key at {name} has only {bits} bits; RFC 8301 requires at least {minimum}.",
        "body_changed": "The body hash does not match bh=: the body was changed after signing.",
        "headers_changed": "The signature does not verify: a signed header field was changed, or "
        "the signature was not made with this key.",
        "passed": "The signature by {domain} verified.",
        "passed_weak": "The signature by {domain} verified, but with rsa-sha1, which RFC 8301 says "
        "must no longer be trusted.",
        "passed_testing": "The signature by {domain} verified, but the domain is only testing DKIM.",
    }
)

_SECTIONS = {
    "syntax": "RFC 6376 §6.1.1",
    "expired": "RFC 6376 §6.1.1",
    "revoked": "RFC 6376 §6.1.2",
    "key_type": "RFC 6376 §6.1.2",
    "key_hash": "RFC 6376 §6.1.2",
    "key_service": "RFC 6376 §3.6.1",
    "strict": "RFC 6376 §3.6.1",
    "bad_key": "RFC 6376 §6.1.2",
    "small_key": "RFC 8301 §3.2",
    "body_changed": "RFC 6376 §6.1.3",
    "headers_changed": "RFC 6376 §6.1.3",
}


def verify(
    message: bytes,
    *,
    resolver: object | None = None,
    now: float | Callable[[], float] | None = None,
) -> tuple[Verification, ...]:
    """Verify every DKIM-Signature of ``message`` (at most :data:`MAX_SIGNATURES`, from the top).

    ``resolver`` is a ``dns.resolver.Resolver``, the offline
    :class:`~mailsec.spf.zone.ZoneResolver`, or None for the system's DNS. ``now`` is the time
    (seconds since the epoch, or a clock such as ``time.time``) against which ``x=`` is checked.

    Returns one :class:`~mailsec.dkim.result.Verification` per signature checked; an empty tuple
    means the message is unsigned (``none``, see :func:`~mailsec.dkim.result.overall_result`).
    Raises :class:`~mailsec.errors.InputError` only for a message that cannot be read at all.
    """
    parsed = read_message(message)
    source = as_source(resolver)
    moment = clock_seconds(now)
    fields = [f for f in parsed.fields if f.key == "dkim-signature"]
    run = _Run(parsed, source, moment, len(fields))
    return tuple(
        _verify_one(run, sig_field, index)
        for index, sig_field in enumerate(fields[:MAX_SIGNATURES], start=1)
    )


@dataclass
class _Run:
    """What every signature of one message shares: the message, DNS, the time, the bodies."""

    message: Message
    source: DnsSource
    now: int
    count: int
    bodies: dict[Canon, bytes] = field(default_factory=dict)

    def body(self, method: Canon) -> bytes:
        """The canonicalized body, computed once per algorithm for all signatures."""
        if method not in self.bodies:
            self.bodies[method] = canon.canonicalize_body(self.message.body, method)
        return self.bodies[method]


class _Facts(TypedDict, total=False):
    """What a :class:`~mailsec.dkim.result.Verification` reports besides its result and trace."""

    domain: str | None
    selector: str | None
    algorithm: str | None
    identity: str | None
    testing: bool
    weak: bool
    header_data: bytes
    header_hash: bytes
    canonical_body: bytes
    body_length: int
    unsigned_body: int
    body_hash: bytes
    signed_body_hash: bytes


@dataclass
class _Check:
    """One signature's verification while it runs: its steps and what is known so far."""

    index: int
    sig_field: HeaderField
    steps: list[Step] = field(default_factory=list)
    facts: _Facts = field(default_factory=_Facts)

    def step(
        self,
        key: str,
        outcome: Outcome = Outcome.INFO,
        section: str | None = None,
        *,
        data: Mapping[str, object] | None = None,
        **values: object,
    ) -> None:
        self.steps.append(format_step(STEPS[key], outcome, section, values, data))

    def done(self, result: DkimResult, reason: str, section: str | None = None) -> Verification:
        """End with ``result``: the rule that decided (when ``section`` names it), then the result."""
        if section is not None:
            self.steps.append(Step(reason, result.outcome, section))
        self.step("result", result.outcome, result.section, result=result.value)
        value = self.sig_field.value.decode("latin-1")
        return Verification(
            result, reason, self.index, trace=tuple(self.steps), field_value=value, **self.facts
        )

    def stop(self, result: DkimResult, key: str, **values: object) -> Verification:
        """End with ``result`` for the reason ``REASONS[key]``, citing the rule's section."""
        return self.done(result, REASONS[key].format(**values), _SECTIONS.get(key))


def _verify_one(run: _Run, sig_field: HeaderField, index: int) -> Verification:
    check = _Check(index, sig_field)
    shown = quoted(" ".join(sig_field.value.decode("latin-1").split()), 100)
    check.step("found", section="RFC 6376 §3.5", index=index, count=run.count, value=shown)
    if run.message.bare_line_ends:
        check.step("bare_lf", Outcome.WARN, "RFC 6376 §5.3")
    if run.count > MAX_SIGNATURES:
        check.step("limit", Outcome.WARN, "RFC 6376 §6.1", count=run.count, limit=MAX_SIGNATURES)
    signature = _read_signature(check, sig_field)
    if isinstance(signature, Verification):
        return signature
    stopped = _check_times(check, signature, run.now)
    if stopped is None:
        key = _get_key(check, signature, run.source)
        stopped = key if isinstance(key, Verification) else _compute(check, signature, run, key)
    return stopped


def _read_signature(check: _Check, sig_field: HeaderField) -> Signature | Verification:
    """§6.1.1: the tag list and the rules of its tags; a break is a permerror."""
    try:
        tags = parse_tag_list(sig_field.value.decode("latin-1"))
        check.facts.update(_facts(tags))
        check.step("tags", Outcome.OK, "RFC 6376 §3.2", names=", ".join(tags.names))
        signature = signature_from_tags(tags)
    except DkimSyntaxError as exc:
        return check.stop(DkimResult.PERMERROR, "syntax", problem=exc.message)
    check.facts.update(_Facts(identity=signature.identity, domain=signature.domain))
    check.step(
        "signature_ok",
        Outcome.OK,
        "RFC 6376 §3.5",
        algorithm=signature.algorithm.value,
        domain=quoted(signature.domain),
        selector=quoted(signature.selector),
        header=signature.header_canon.value,
        body=signature.body_canon.value,
    )
    if signature.algorithm.weak:
        check.facts["weak"] = True
        algorithm = signature.algorithm
        check.step("weak", Outcome.WARN, algorithm.section, algorithm=algorithm.value)
    return signature


def _facts(tags: TagList) -> _Facts:
    """What a learner wants to see even of a broken signature: who claims to have signed."""
    return {
        "domain": tags.get("d"),
        "selector": tags.get("s"),
        "algorithm": tags.get("a"),
        "identity": tags.get("i"),
    }


def _check_times(check: _Check, signature: Signature, now: int) -> Verification | None:
    """§3.5 and §6.1.1: a signature past its ``x=`` has expired."""
    if signature.timestamp is not None:
        check.step("signed_at", when=_when(signature.timestamp), timestamp=signature.timestamp)
        if signature.timestamp > now + CLOCK_SKEW:
            ahead = signature.timestamp - now
            check.step(
                "future",
                Outcome.WARN,
                "RFC 6376 §3.5",
                timestamp=signature.timestamp,
                seconds=ahead,
            )
    if signature.expiration is None:
        return None
    when = _when(signature.expiration)
    if now > signature.expiration:
        return check.stop(DkimResult.FAIL, "expired", when=when, expiration=signature.expiration)
    check.step("expires", Outcome.OK, "RFC 6376 §3.5", when=when, expiration=signature.expiration)
    return None


def _cut(text: str, limit: int = 400) -> str:
    """``text`` cut to ``limit`` characters: a TXT record is the other domain's text, of any size."""
    if len(text) <= limit:
        return text
    return STEPS["cut"].format(start=text[:limit], more=len(text) - limit)


def _when(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return STEPS["far_future"].format(seconds=seconds)


def _get_key(check: _Check, signature: Signature, source: DnsSource) -> PublicKey | Verification:
    """§6.1.2: fetch the key record and check that this signature may use it."""
    lookup = fetch_key(signature.selector, signature.domain, source)
    answer = _cut(lookup.answer.describe())
    check.step(
        "query",
        section="RFC 6376 §3.6.2",
        name=lookup.name,
        answer=answer,
        data={"query": f"TXT {lookup.name}", "answer": answer},
    )
    if lookup.record is not None and lookup.problem:
        check.step("remark", Outcome.WARN, "RFC 6376 §3.6.2.2", remark=lookup.problem)
    if lookup.record is None:
        assert lookup.result is not None
        return check.done(lookup.result, lookup.problem, "RFC 6376 §6.1.2")
    record, name = lookup.record, quoted(lookup.name, 80)
    check.facts["testing"] = record.testing
    usable = usable_key(record, signature, name)
    if isinstance(usable, tuple):
        reason_key, values = usable
        return check.stop(DkimResult.PERMERROR, reason_key, **values)
    bits = key_bits(usable)
    check.step("key_ok", Outcome.OK, "RFC 6376 §3.6.1", key_type=record.key_type, bits=bits)
    if record.testing:
        check.step("testing", Outcome.WARN, "RFC 6376 §3.6.1")
    return usable


def usable_key(
    record: KeyRecord, signature: Signature, name: str
) -> PublicKey | tuple[str, dict[str, object]]:
    """The public key, or why this signature may not use it: the reason's key and values."""
    refusal = _refuse_key(record, signature, name)
    if refusal is not None:
        return refusal
    try:
        key = load_public_key(record.key_type, record.public_key)
    except ValueError as exc:
        return "bad_key", {"name": name, "problem": str(exc)}
    if record.key_type == "rsa" and key_bits(key) < MIN_RSA_BITS:
        return "small_key", {"name": name, "bits": key_bits(key), "minimum": MIN_RSA_BITS}
    return key


def _refuse_key(
    record: KeyRecord, signature: Signature, name: str
) -> tuple[str, dict[str, object]] | None:
    """Why the key record may not verify this signature (§3.6.1, §6.1.2), or None."""
    algorithm = signature.algorithm
    if record.revoked:
        return "revoked", {"name": name}
    if record.key_type != algorithm.key_type:
        return "key_type", {
            "name": name,
            "key_type": quoted(record.key_type),
            "algorithm": algorithm.value,
        }
    if not record.allows_hash(algorithm.hash_name):
        hashes = ", ".join(record.hashes or ())
        return "key_hash", {"name": name, "hashes": quoted(hashes), "hash": algorithm.hash_name}
    if not record.for_email:
        return "key_service", {"name": name, "services": quoted(":".join(record.services))}
    if record.strict and signature.identity_domain != signature.domain:
        identity = quoted(signature.identity_domain)
        return "strict", {"name": name, "identity": identity, "domain": quoted(signature.domain)}
    return None


def _compute(check: _Check, signature: Signature, run: _Run, key: PublicKey) -> Verification:
    """§6.1.3: hash the body and the header fields, and check the signature."""
    body_ok = _check_body(check, signature, run)
    hash_name = signature.algorithm.hash_name
    selected = canon.select_fields(
        run.message.fields, signature.signed_headers, skip=check.sig_field
    )
    blank = without_b(check.sig_field, signature.tags)
    data = canon.header_data(selected, blank, signature.header_canon)
    header_digest = digest(hash_name, data)
    check.facts.update(_Facts(header_data=data, header_hash=header_digest))
    check.step(
        "headers",
        section="RFC 6376 §5.4.2",
        fields=_describe(signature.signed_headers, selected),
        data={"header data": data.decode("latin-1")},
    )
    if not body_ok:
        return check.stop(DkimResult.FAIL, "body_changed")
    shown = header_digest.hex()
    if not check_signature(signature.algorithm, key, signature.signature, header_digest):
        check.step("signature_bad", Outcome.FAIL, signature.algorithm.section, digest=shown)
        return check.stop(DkimResult.FAIL, "headers_changed")
    check.step("signature_checked", Outcome.OK, signature.algorithm.section, digest=shown)
    passed = "passed_weak" if signature.algorithm.weak else "passed"
    passed = "passed_testing" if check.facts.get("testing") else passed
    return check.stop(DkimResult.PASS, passed, domain=quoted(signature.domain))


def _check_body(check: _Check, signature: Signature, run: _Run) -> bool:
    """Hash the canonicalized body (up to ``l=``) and compare it with ``bh=`` in constant time."""
    body = run.body(signature.body_canon)
    check.step("body", section="RFC 6376 §3.4", method=signature.body_canon.value, length=len(body))
    limit = signature.body_length
    hashed = body if limit is None else body[:limit]
    if limit is not None and limit < len(body):
        check.step("body_limit", Outcome.WARN, "RFC 6376 §8.2", limit=limit, rest=len(body) - limit)
    elif limit is not None and limit > len(body):
        check.step("body_short", Outcome.WARN, "RFC 6376 §3.5", limit=limit, length=len(body))
    computed = digest(signature.algorithm.hash_name, hashed)
    check.facts.update(
        _Facts(
            canonical_body=hashed[:SHOWN_BODY],
            body_length=len(hashed),
            unsigned_body=len(body) - len(hashed),
            body_hash=computed,
            signed_body_hash=signature.body_hash,
        )
    )
    if hmac.compare_digest(computed, signature.body_hash):
        check.step("body_hash_ok", Outcome.OK, "RFC 6376 §3.7", computed=_base64(computed))
        return True
    check.step(
        "body_hash_bad",
        Outcome.FAIL,
        "RFC 6376 §3.7",
        computed=_base64(computed),
        expected=_base64(signature.body_hash),
    )
    return False


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def without_b(sig_field: HeaderField, tags: TagList) -> HeaderField:
    """The signature field as it was hashed: its ``b=`` value and the whitespace around it
    removed, everything else (folds included) as it is (§3.7)."""
    name_part = sig_field.raw[: len(sig_field.raw) - len(sig_field.value)]
    return HeaderField(sig_field.name, name_part + tags.without_value("b").encode("latin-1"))


def _describe(names: tuple[str, ...], selected: tuple[HeaderField | None, ...]) -> str:
    parts = [
        name if chosen is not None else STEPS["oversigned"].format(name=name)
        for name, chosen in zip(names, selected, strict=True)
    ]
    return _cut(", ".join(parts), 1000)
