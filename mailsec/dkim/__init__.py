"""DomainKeys Identified Mail (RFC 6376, RFC 8301, RFC 8463): chapter 07.

A domain signs the mail it sends; receivers fetch the public key from the domain's DNS and check
that the signed header fields and body arrived unchanged::

    from cryptography.hazmat.primitives.asymmetric import ed25519
    from mailsec import dkim
    from mailsec.spf import ZoneResolver

    key = ed25519.Ed25519PrivateKey.generate()
    signed = dkim.sign(message, domain="example.com", selector="mail", private_key=key)
    zone = ZoneResolver.from_text(dkim.zone_entry("mail", "example.com", dkim.key_record(key)))
    checks = dkim.verify(signed, resolver=zone)
    checks[0].result            # DkimResult.PASS, equal to "pass"
    checks[0].trace             # the verification, step by step, as data
    dkim.overall_result(checks) # one result for the message ("none" when unsigned)

The parts, each in its own module, in the order a signature is read:

- :mod:`~mailsec.dkim.tags`: the ``name=value;`` tag lists of signatures and key records (§3.2);
- :mod:`~mailsec.dkim.signature`: the DKIM-Signature's tags and their rules (§3.5);
- :mod:`~mailsec.dkim.canon`: splitting a message, ``simple`` and ``relaxed``
  canonicalization and the choice of signed header fields (§3.4, §5.4.2);
- :mod:`~mailsec.dkim.crypto`: the algorithms rsa-sha256, ed25519-sha256 and the weak rsa-sha1;
- :mod:`~mailsec.dkim.keys`: key records at ``<selector>._domainkey.<domain>`` (§3.6);
- :mod:`~mailsec.dkim.sign` and :mod:`~mailsec.dkim.verify`: the signer (§5) and verifier (§6);
- :mod:`~mailsec.dkim.result`: the RFC 8601 results and the :class:`Verification` of one
  signature, with the hashed data for labs;
- :mod:`~mailsec.dkim.examples`: the RFCs' own example messages and key records.

DNS is asked through the SPF chapter's sources (:func:`mailsec.spf.lookup.as_source`): pass a
``dns.resolver.Resolver``, the offline :class:`~mailsec.spf.zone.ZoneResolver`, or None for the
system's DNS.
"""

from __future__ import annotations

from mailsec.dkim.canon import Canon, read_message
from mailsec.dkim.crypto import Algorithm
from mailsec.dkim.keys import KeyRecord, key_name, key_record, parse_key_record, zone_entry
from mailsec.dkim.result import DkimResult, Verification, overall_result
from mailsec.dkim.sign import DEFAULT_HEADERS, sign
from mailsec.dkim.signature import Signature, parse_signature
from mailsec.dkim.tags import DkimSyntaxError, parse_tag_list
from mailsec.dkim.verify import MAX_SIGNATURES, verify

__all__ = [
    "DEFAULT_HEADERS",
    "MAX_SIGNATURES",
    "Algorithm",
    "Canon",
    "DkimResult",
    "DkimSyntaxError",
    "KeyRecord",
    "Signature",
    "Verification",
    "key_name",
    "key_record",
    "overall_result",
    "parse_key_record",
    "parse_signature",
    "parse_tag_list",
    "read_message",
    "sign",
    "verify",
    "zone_entry",
]
