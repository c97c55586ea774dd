"""Sealing a message: adding an ARC set (RFC 8617 §5.1).

:func:`seal` does what an intermediary such as a mailing list does when it passes a message on::

    sealed = seal(message, domain="lists.example.org", selector="arc", private_key=key,
                  authserv_id="lists.example.org", results="dkim=pass header.d=example.com")

1. validate the chain the message already carries (:func:`~mailsec.arc.validate.validate`):
   none gives instance 1 and ``cv=none``; pass gives instance N+1 and ``cv=pass``; a chain that
   fails is sealed once with ``cv=fail``, and a chain whose newest seal already says ``cv=fail``
   is not sealed at all (§5.1, §5.1.2); neither is one that already has 50 sets (§4.2.1). An
   intermediary that changes the message validates it on arrival, before its changes, and
   passes that validation as ``chain=``;
2. write the ARC-Authentication-Results: ``i=N; authserv-id; results``, the results the
   intermediary found on arrival (§4.1.1);
3. sign the message as it is sent on with an ARC-Message-Signature: DKIM's signature with
   ``i=N``, relaxed/relaxed, over ``headers`` (never ARC fields or Authentication-Results) and the
   body (§4.1.2);
4. seal: sign the sets 1 to N-1, then the new AAR and AMS, then the ARC-Seal itself (§5.1.1);
   a ``cv=fail`` seal signs only its own set (§5.1.2).

The three fields go on top of the message, ARC-Seal first. Every change to the message (a
Subject tag, a footer, a DKIM-Signature of its own) must be made before sealing (§5.1): a change
after it breaks the ARC-Message-Signature, and so the chain.

The algorithm follows from the key, as for DKIM: rsa-sha256 for RSA, ed25519-sha256 for Ed25519
(RFC 8463; not every ARC verifier reads it yet).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence

from mailsec.arc.fields import MAX_INSTANCES, PART_NAMES, UNSIGNABLE, ArcSet, Part, seal_input
from mailsec.arc.result import ArcResult, ArcValidation
from mailsec.arc.validate import validate
from mailsec.dkim import canon
from mailsec.dkim.canon import Canon, HeaderField, Message, read_message
from mailsec.dkim.crypto import (
    Algorithm,
    PrivateKey,
    algorithm_for,
    digest,
    load_private_key,
    make_signature,
)
from mailsec.dkim.sign import DEFAULT_HEADERS, FOLD_WIDTH, fold_base64, fold_field, signed_names
from mailsec.dkim.signature import check_domain, clock_seconds
from mailsec.dkim.tags import DkimSyntaxError
from mailsec.errors import InputError, quoted
from mailsec.i18n import texts

__all__ = ["AMS_HEADERS", "seal"]

#: The header fields the ARC-Message-Signature signs by default: DKIM's defaults, the
#: DKIM-Signature fields already there (RFC 8617 §4.1.2 says it should sign them) and the List-*
#: fields a mailing list adds (§4.1.2: what the intermediary changed should be signed).
AMS_HEADERS = (*DEFAULT_HEADERS, "dkim-signature", "list-id", "list-post", "list-unsubscribe")

MESSAGES = texts(
    {
        "unsignable": "headers must not include {name}: RFC 8617 §4.1.2 keeps ARC fields and "
        "Authentication-Results out of the ARC-Message-Signature, because later hops add and remove "
        "them.",
        "authserv_id": "authserv_id must be one word naming the authentication service, such as "
        "'lists.example.org', not {value} (RFC 8601 §2.5).",
        "results": "results must be one line of printable ASCII such as 'dkim=pass "
        "header.d=example.com' (or 'none'), not {value}.",
        "closed": "The newest ARC-Seal already says cv=fail: an intermediary found the chain broken "
        "and closed it, and RFC 8617 §5.1 adds nothing after that.",
        "full": "The message already has ARC sets up to i={highest}; RFC 8617 §4.2.1 allows at most "
        "{limit}, so it cannot be sealed again.",
        "bad_name": "{problem}",
        "not_a_chain": "chain must be the ArcValidation of the message on arrival, not {kind}.",
        "other_chain": "The message's ARC fields are not the ones chain= validated: pass the "
        "validation of this message as it arrived, and do not change its ARC fields.",
        "headers_text": "headers must be a list of field names such as ('from', 'subject'), not the "
        "single string {value}.",
    }
)

#: RFC 2045's token: what an authserv-id is when it is not a quoted string (RFC 8601 §2.2).
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+\Z")
_RESULTS = re.compile(r"[\x20-\x7e\t]+\Z")


def seal(
    message: bytes,
    *,
    domain: str,
    selector: str,
    private_key: object,
    authserv_id: str,
    results: str,
    headers: Sequence[str] = AMS_HEADERS,
    now: float | Callable[[], float] | None = None,
    resolver: object | None = None,
    chain: ArcValidation | None = None,
) -> bytes:
    """Return ``message`` with one more ARC set on top (lines end in CRLF).

    ``domain`` and ``selector`` name the sealer and its key (published as a DKIM key record at
    ``<selector>._domainkey.<domain>``); ``private_key`` is an RSA (2048 bits recommended) or
    Ed25519 private key, or its unencrypted PEM. ``authserv_id`` names the authentication service
    that checked the message on arrival, and ``results`` is what it found, as the
    Authentication-Results field writes it after the authserv-id (``dkim=pass header.d=...;
    spf=pass smtp.mailfrom=...``). ``headers`` are the fields the ARC-Message-Signature signs
    (From is required). ``now`` (a number or a clock) gives ``t=`` and is the time the existing
    chain is validated at; ``resolver`` answers that validation's DNS questions.

    The chain is validated as the message is given, which is right for an intermediary that
    changes nothing. One that changes the message validates it on arrival and passes that
    validation as ``chain``: its changes would otherwise break the previous sealer's
    ARC-Message-Signature, and the chain would be sealed as failed. The message must still carry
    exactly the ARC fields that were validated.

    Raises :class:`~mailsec.errors.InputError` with a sentence for anything it cannot seal,
    including a chain that is closed or full.
    """
    key = load_private_key(private_key)
    algorithm = algorithm_for(key)
    parsed = read_message(message)
    domain, selector = _checked_name("d", domain), _checked_name("s", selector)
    authserv_id, results = _checked_authserv_id(authserv_id), _checked_results(results)
    names = _ams_names(parsed, headers)
    if chain is None:
        chain = validate(message, resolver=resolver, now=now)
    else:
        _check_same_chain(parsed, chain)
    instance, cv = _next_instance(chain)
    signer = _Signer(algorithm, key, domain, selector, clock_seconds(now))
    results_field = _results_field(instance, authserv_id, results)
    signature = signer.message_signature(parsed, instance, names)
    earlier = chain.sets if cv is ArcResult.PASS else ()  # §5.1.2: a cv=fail seal is alone
    arc_seal = signer.seal(instance, cv, earlier, results_field, signature)
    new_set = b"".join(one.raw + canon.CRLF for one in (arc_seal, signature, results_field))
    return new_set + parsed.to_bytes()


def _check_same_chain(parsed: Message, chain: object) -> None:
    """``chain`` must be the validation of this message's ARC fields, as they are now."""
    if not isinstance(chain, ArcValidation):
        raise InputError(MESSAGES["not_a_chain"].format(kind=type(chain).__name__))
    arc_fields = tuple(f.raw for f in parsed.fields if f.key in PART_NAMES)
    if arc_fields != tuple(f.raw for f in chain.fields):
        raise InputError(MESSAGES["other_chain"])


def _next_instance(chain: ArcValidation) -> tuple[int, ArcResult]:
    """The new set's instance and ``cv=`` (§5.1, §5.1.2), or why there is none."""
    if chain.closed:
        raise InputError(MESSAGES["closed"])
    if chain.highest_instance >= MAX_INSTANCES:
        raise InputError(
            MESSAGES["full"].format(highest=chain.highest_instance, limit=MAX_INSTANCES)
        )
    return chain.highest_instance + 1, chain.result


class _Signer:
    """One sealer's key, names and time, writing the AMS and the AS of one set."""

    def __init__(
        self, algorithm: Algorithm, key: PrivateKey, domain: str, selector: str, timestamp: int
    ) -> None:
        self.algorithm, self.key = algorithm, key
        self.domain, self.selector, self.timestamp = domain, selector, timestamp

    def message_signature(self, parsed: Message, instance: int, names: list[str]) -> HeaderField:
        """§4.1.2: a DKIM signature with ``i=`` the instance and no ``v=``, relaxed/relaxed."""
        body = canon.canonicalize_body(parsed.body, Canon.RELAXED)
        body_hash = digest(self.algorithm.hash_name, body)
        tags = [
            ("i", str(instance)),
            ("a", self.algorithm.value),
            ("c", "relaxed/relaxed"),
            ("d", self.domain),
            ("s", self.selector),
            ("t", str(self.timestamp)),
            ("h", ":".join(names)),
            ("bh", base64.b64encode(body_hash).decode("ascii")),
        ]
        unsigned = fold_field(Part.MESSAGE_SIGNATURE.label, tags)
        blank = HeaderField(Part.MESSAGE_SIGNATURE.label, unsigned.encode("ascii"))
        selected = canon.select_fields(parsed.fields, names)
        return self._signed(unsigned, canon.header_data(selected, blank, Canon.RELAXED))

    def seal(
        self,
        instance: int,
        cv: ArcResult,
        earlier: Sequence[ArcSet],
        results: HeaderField,
        signature: HeaderField,
    ) -> HeaderField:
        """§4.1.3, §5.1.1: the ARC-Seal over the earlier sets and this one."""
        tags = [
            ("i", str(instance)),
            ("a", self.algorithm.value),
            ("t", str(self.timestamp)),
            ("cv", cv.value),
            ("d", self.domain),
            ("s", self.selector),
        ]
        unsigned = fold_field(Part.SEAL.label, tags)
        blank = HeaderField(Part.SEAL.label, unsigned.encode("ascii"))
        return self._signed(unsigned, seal_input(earlier, results, signature, blank))

    def _signed(self, unsigned: str, data: bytes) -> HeaderField:
        """The field ``unsigned`` (which ends in ``b=``) with the signature of ``data``."""
        value = make_signature(self.algorithm, self.key, digest(self.algorithm.hash_name, data))
        text = unsigned + fold_base64(base64.b64encode(value).decode("ascii"))
        return HeaderField(unsigned.partition(":")[0], text.encode("ascii"))


def _results_field(instance: int, authserv_id: str, results: str) -> HeaderField:
    """§4.1.1: ``ARC-Authentication-Results: i=N; authserv-id; results``, folded at spaces."""
    name = Part.RESULTS.label
    words = f"{name}: i={instance}; {authserv_id}; {results}".split(" ")
    lines, line = [], words[0]
    for word in words[1:]:
        if len(line) + 1 + len(word) > FOLD_WIDTH and line.strip():
            lines.append(line)
            line = " " + word  # the space stays, on the next line: unfolding gives it back
        else:
            line += " " + word
    lines.append(line)
    return HeaderField(name, "\r\n".join(lines).encode("ascii"))


def _ams_names(parsed: Message, headers: Sequence[str]) -> list[str]:
    """``h=`` of the AMS: DKIM's rule (§5.4.2 of RFC 6376) without the fields §4.1.2 forbids."""
    if isinstance(headers, str):
        raise InputError(MESSAGES["headers_text"].format(value=quoted(headers)))
    for name in headers:
        if str(name).lower() in UNSIGNABLE:
            raise InputError(MESSAGES["unsignable"].format(name=quoted(str(name))))
    return signed_names(parsed.fields, headers, oversign=False)


def _checked_name(tag: str, name: str) -> str:
    try:
        return check_domain(tag, name)
    except DkimSyntaxError as exc:
        raise InputError(MESSAGES["bad_name"].format(problem=exc.message)) from None


def _checked_authserv_id(value: object) -> str:
    if not isinstance(value, str) or not _TOKEN.match(value):
        raise InputError(MESSAGES["authserv_id"].format(value=quoted(str(value))))
    return value


def _checked_results(value: object) -> str:
    if not isinstance(value, str) or not _RESULTS.match(value) or not value.strip():
        raise InputError(MESSAGES["results"].format(value=quoted(str(value))))
    return value
