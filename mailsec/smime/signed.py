"""Checking a CMS SignedData signature by hand (RFC 5652 §5) — cryptography has no API for it.

:func:`verify_signed_data` walks the steps a receiving program takes, each a method of
:class:`_Verification` that adds its step to the trace:

1. find the signed content: the first MIME part (detached, RFC 8551 §3.5.3) or the eContent;
2. find the signer: the first SignerInfo and the certificate its ``sid`` names (RFC 5652 §5.3);
3. check the signed attributes: content type (§11.1) and message digest (§11.2);
4. check the signature over the attributes, re-tagged as a SET OF (§5.4), with the signer's RSA
   (PKCS #1 v1.5 or PSS) or EC public key (§5.6).

The certificate itself (dates, purpose, chain) is judged by :mod:`mailsec.pki`, not here.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import NoReturn

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.smime.cms import hash_algorithm, names_certificate
from mailsec.trace import Outcome, Step, Trace

__all__ = ["WEAK_HASHES", "SignatureCheck", "verify_signed_data"]

#: Hashes whose collisions can be made, so a signature over them proves nothing: MD5 (2004) and
#: SHA-1 (SHAttered 2017, chosen-prefix 2020). S/MIME 4.0 signs with SHA-256 (RFC 8551 §2.1),
#: and OpenPGP's side of the course refuses SHA-1 signatures the same way.
WEAK_HASHES = {"md5": "MD5", "sha1": "SHA-1"}

TEXT = texts(
    {
        "no_signer_certificate": "The signer's certificate is not in the message, so the "
        "signature cannot be checked.",
        "no_signer_certificate_problem": "the signature does not carry the signer's certificate",
        "detached": "Detached signature over the first MIME part ({size:,} bytes, CRLF line ends).",
        "no_content": "The signature is detached but no signed content came with it; pass the "
        "whole multipart/signed message.",
        "opaque": "The signed content is inside the SignedData (opaque signing).",
        "no_signer": "The SignedData has no signer at all; it is not a signed message.",
        "signers": "{count} signers; only the first is checked.",
        "signer_info": "Signer info: digest {digest}, signature {signature}; {count} "
        "certificate(s) carried.",
        "weak_hash": "The signature is made over {hash}, a hash whose collisions can be computed: "
        "someone could have made another message with the same {hash} and this signature. It is "
        "not accepted as valid; ask the sender to sign with SHA-256.",
        "weak_hash_problem": "the signature uses {hash}, which is broken for signatures",
        "no_digest": "No message-digest attribute.",
        "no_digest_problem": "the signature has no message-digest attribute",
        "content_type": "The signed content-type attribute is missing or does not match the "
        "content.",
        "content_type_problem": "the signed content type does not match",
        "digest_mismatch": "The {digest} digest of the content does not match the signed "
        "message-digest attribute: the content was changed after signing.",
        "digest_mismatch_problem": "the content was changed after it was signed",
        "digest_match": "The {digest} digest of the content equals the signed message-digest "
        "attribute.",
        "key_type": "The signer's key type is not RSA or EC.",
        "key_type_problem": "the signer's key is of a kind mailsec does not check",
        "bad_signature": "The signature does not match the signed attributes and the signer's "
        "public key.",
        "bad_signature_problem": "the signature does not match: the message was changed",
        "good_signature": "The signature verifies with the public key in the signer's certificate.",
    }
)
"""Each step's sentence and, for a failure, its problem in a few words (see
:mod:`mailsec.i18n`); algorithm names stay as the standards spell them."""


@dataclass(frozen=True)
class SignatureCheck:
    """The result of checking the signature of SignedData (not the certificate chain)."""

    valid: bool
    """The digest and the signature match the content."""
    signer: x509.Certificate | None
    """The signer's certificate, found in the SignedData (None if it was missing)."""
    certificates: tuple[x509.Certificate, ...]
    digest_algorithm: str
    signature_algorithm: str
    signing_time: dt.datetime | None
    content: bytes
    """The signed content (the MIME entity as signed)."""
    steps: Trace
    problem: str | None = None
    """Why the signature did not verify, in a sentence (None when it did)."""
    weak_hash: str | None = None
    """The broken hash the signature was made with (SHA-1, MD5), which makes it not valid."""


def verify_signed_data(info: cms.ContentInfo, content: bytes | None = None) -> SignatureCheck:
    """Check the first signer of a SignedData over ``content`` (detached) or its eContent.

    S/MIME messages carry one signer; a second signer (rare) is not checked here, and the trace
    says how many there were.
    """
    return _Verification(info).run(content)


class _Failed(Exception):
    """A step found the signature not valid; ``problem`` says why in a sentence."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _Verification:
    """One check of one SignedData: the steps of RFC 5652 §5.6, each adding to the trace."""

    def __init__(self, info: cms.ContentInfo) -> None:
        self.signed = info["content"]
        self.steps: list[Step] = []
        self.signing_time: dt.datetime | None = None
        self.weak_hash: str | None = None

    def run(self, content: bytes | None) -> SignatureCheck:
        self.content = self._signed_content(content)
        self._find_signer()
        try:
            if self.signer is None:
                self._fail(
                    TEXT["no_signer_certificate"],
                    "RFC 8551 §2.4.1",
                    TEXT["no_signer_certificate_problem"],
                )
            self._refuse_weak_hash()
            to_verify = self._check_attributes()
            self._check_signature(to_verify)
        except _Failed as failed:
            return self._result(failed.problem)
        return self._result(None)

    # -- the steps ------------------------------------------------------------------------------

    def _signed_content(self, content: bytes | None) -> bytes:
        encap = self.signed["encap_content_info"]
        if content is not None:
            self.steps.append(
                Step(TEXT["detached"].format(size=len(content)), section="RFC 8551 §3.5.3")
            )
            return content
        inside = encap["content"].native if encap["content"] else None
        if inside is None:
            raise InputError(TEXT["no_content"])
        self.steps.append(Step(TEXT["opaque"], section="RFC 8551 §3.5.2"))
        return bytes(inside)

    def _find_signer(self) -> None:
        self.certificates = tuple(
            x509.load_der_x509_certificate(c.chosen.dump())
            for c in (self.signed["certificates"] or [])
            if c.name == "certificate"
        )
        signer_infos = self.signed["signer_infos"]
        if len(signer_infos) == 0:
            raise InputError(TEXT["no_signer"])
        self.signer_info = signer_infos[0]
        if len(signer_infos) > 1:
            self.steps.append(
                Step(TEXT["signers"].format(count=len(signer_infos)), Outcome.WARN, "RFC 5652 §5.1")
            )
        sid = self.signer_info["sid"].chosen
        self.signer = next((c for c in self.certificates if names_certificate(sid, c)), None)
        self.digest_name = self.signer_info["digest_algorithm"]["algorithm"].native
        self.signature_name = self.signer_info["signature_algorithm"].signature_algo
        self.steps.append(
            Step(
                TEXT["signer_info"].format(
                    digest=self.digest_name.upper(),
                    signature=self.signature_name,
                    count=len(self.certificates),
                ),
                section="RFC 5652 §5.3",
            )
        )

    def _refuse_weak_hash(self) -> None:
        """A signature over a hash with practical collisions is not valid, whatever it says."""
        names = [self.digest_name]
        if self.signature_name == "rsassa_pss":
            params = self.signer_info["signature_algorithm"]["parameters"]
            names.append(params["hash_algorithm"]["algorithm"].native)
        weak = next((WEAK_HASHES[n] for n in names if n in WEAK_HASHES), None)
        if weak is None:
            return
        self.weak_hash = weak
        self._fail(
            TEXT["weak_hash"].format(hash=weak),
            "RFC 8551 §2.1",
            TEXT["weak_hash_problem"].format(hash=weak),
        )

    def _check_attributes(self) -> bytes:
        """Check the signed attributes; return the bytes the signature covers."""
        digest = hashes.Hash(hash_algorithm(self.digest_name))
        digest.update(self.content)
        content_digest = digest.finalize()
        signed_attrs = self.signer_info["signed_attrs"]
        if not signed_attrs:
            return self.content
        attrs = {a["type"].native: a["values"] for a in signed_attrs}
        expected = attrs.get("message_digest")
        if expected is None:
            self._fail(TEXT["no_digest"], "RFC 5652 §11.2", TEXT["no_digest_problem"])
        if "signing_time" in attrs:
            self.signing_time = attrs["signing_time"][0].native
        signed_type = attrs.get("content_type")
        wanted_type = self.signed["encap_content_info"]["content_type"].native
        if signed_type is None or signed_type[0].native != wanted_type:
            # RFC 5652 §11.1: the content-type attribute must be present and equal eContentType,
            # so a signature over one kind of content cannot be passed off as another.
            self._fail(TEXT["content_type"], "RFC 5652 §11.1", TEXT["content_type_problem"])
        name = self.digest_name.upper()
        if not hmac.compare_digest(expected[0].native, content_digest):
            self._fail(
                TEXT["digest_mismatch"].format(digest=name),
                "RFC 5652 §11.2",
                TEXT["digest_mismatch_problem"],
            )
        self.steps.append(
            Step(TEXT["digest_match"].format(digest=name), Outcome.OK, "RFC 5652 §11.2")
        )
        return b"\x31" + signed_attrs.dump()[1:]  # RFC 5652 §5.4: EXPLICIT SET OF tag

    def _check_signature(self, to_verify: bytes) -> None:
        assert self.signer is not None
        public_key = self.signer.public_key()
        signature = self.signer_info["signature"].native
        digest = hash_algorithm(self.digest_name)
        try:
            if isinstance(public_key, rsa.RSAPublicKey):
                public_key.verify(signature, to_verify, *self._rsa_padding(digest))
            elif isinstance(public_key, ec.EllipticCurvePublicKey):
                public_key.verify(signature, to_verify, ec.ECDSA(digest))
            else:
                self._fail(TEXT["key_type"], None, TEXT["key_type_problem"])
        except InvalidSignature:
            self._fail(TEXT["bad_signature"], "RFC 5652 §5.6", TEXT["bad_signature_problem"])
        self.steps.append(Step(TEXT["good_signature"], Outcome.OK, "RFC 5652 §5.6"))

    def _rsa_padding(
        self, digest: hashes.HashAlgorithm
    ) -> tuple[padding.AsymmetricPadding, hashes.HashAlgorithm]:
        """PKCS #1 v1.5 with the SignerInfo's digest, or PSS with its own parameters (RFC 4056)."""
        if self.signature_name != "rsassa_pss":
            return padding.PKCS1v15(), digest
        params = self.signer_info["signature_algorithm"]["parameters"]
        mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
        pss = padding.PSS(
            mgf=padding.MGF1(hash_algorithm(mgf_hash)),
            salt_length=params["salt_length"].native,
        )
        return pss, hash_algorithm(params["hash_algorithm"]["algorithm"].native)

    # -- bookkeeping ----------------------------------------------------------------------------

    def _fail(self, text: str, section: str | None, problem: str) -> NoReturn:
        self.steps.append(Step(text, Outcome.FAIL, section))
        raise _Failed(problem)

    def _result(self, problem: str | None) -> SignatureCheck:
        return SignatureCheck(
            problem is None,
            self.signer,
            self.certificates,
            self.digest_name,
            self.signature_name,
            self.signing_time,
            self.content,
            tuple(self.steps),
            problem,
            self.weak_hash,
        )
