r"""Authenticated Received Chain (RFC 8617): chapter 07.

A mailing list changes what it passes on: a ``[team]`` tag in the Subject, a footer under the
body. The author's DKIM signature then fails at the next receiver, and with it DMARC. ARC lets the
list say what it saw before it changed anything: it adds an *ARC set* of three header fields,
recording the authentication results it found (``dkim=pass``), signing the message as it sends it
on, and sealing the chain. A later receiver that trusts the list can use those results::

    from cryptography.hazmat.primitives.asymmetric import ed25519
    from mailsec import arc, dkim
    from mailsec.spf import ZoneResolver

    message = b"From: alice@example.com\r\nSubject: Lunch\r\n\r\nNoon?\r\n"
    key = ed25519.Ed25519PrivateKey.generate()
    sealed = arc.seal(
        message,
        domain="lists.example.org",
        selector="arc",
        private_key=key,
        authserv_id="lists.example.org",
        results="dkim=pass header.d=example.com",
    )
    zone = ZoneResolver.from_text(
        dkim.zone_entry("arc", "lists.example.org", dkim.key_record(key))
    )
    chain = arc.validate(sealed, resolver=zone)
    chain.result                   # ArcResult.PASS, equal to "pass"
    chain.instance(1).results      # 'dkim=pass header.d=example.com'
    chain.trace                    # the validation, step by step, as data

The parts, each in its own module:

- :mod:`~mailsec.arc.fields`: the three fields of a set, ARC-Authentication-Results,
  ARC-Message-Signature and ARC-Seal, how they are read (§4.1), and what a seal signs (§5.1.1);
- :mod:`~mailsec.arc.signatures`: checking one ARC-Message-Signature or ARC-Seal with its key;
- :mod:`~mailsec.arc.validate`: the validator's algorithm (§5.2);
- :mod:`~mailsec.arc.seal`: the sealer (§5.1);
- :mod:`~mailsec.arc.result`: the results none, pass and fail, and the
  :class:`ArcValidation` with one :class:`ArcInstance` per set.

Where RFC 8617 leaves room, the course chooses: two fields of one kind with the same instance
fail the chain even when their algorithms differ (§4.2.1 would allow one set per algorithm; no
sealer writes that); an ARC-Message-Signature without ``c=`` is read as DKIM reads one
(simple/simple), while dkimpy reads relaxed/relaxed (the sealer here always writes ``c=``);
rsa-sha1 is refused (RFC 8301 §3.1). The sealer records the results it is given: a caller that
validated a chain on arrival adds ``arc=pass`` (or ``none``, ``fail``) to them itself (§5.2).

ARC is built on DKIM: the tags, canonicalization, algorithms and key records are those of
:mod:`mailsec.dkim`, and the keys are published the same way, at
``<selector>._domainkey.<domain>``. DNS is asked through the SPF chapter's sources: pass a
``dns.resolver.Resolver``, the offline :class:`~mailsec.spf.zone.ZoneResolver`, or None for the
system's DNS.
"""

from __future__ import annotations

from mailsec.arc.fields import (
    MAX_INSTANCES,
    ArcSet,
    ArcSyntaxError,
    MessageSignature,
    Part,
    ResultsField,
    Seal,
    parse_message_signature,
    parse_results,
    parse_seal,
)
from mailsec.arc.result import ArcInstance, ArcResult, ArcValidation
from mailsec.arc.seal import AMS_HEADERS, seal
from mailsec.arc.validate import validate

__all__ = [
    "AMS_HEADERS",
    "MAX_INSTANCES",
    "ArcInstance",
    "ArcResult",
    "ArcSet",
    "ArcSyntaxError",
    "ArcValidation",
    "MessageSignature",
    "Part",
    "ResultsField",
    "Seal",
    "parse_message_signature",
    "parse_results",
    "parse_seal",
    "seal",
    "validate",
]
