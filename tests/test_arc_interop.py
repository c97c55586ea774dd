"""Interop with dkimpy's ARC, a sealer and validator written independently: what dkimpy seals
mailsec validates, what mailsec seals dkimpy validates, over one and two hops and with sealers
of both kinds in one chain. dkimpy's ARC signs and verifies rsa-sha256 only, and checks t=
against its own clock, so these seals use RSA keys and the real time. DNS is the offline zone,
given to dkimpy through its ``dnsfunc=`` hook.

dkimpy's sealer (``dkim.arc_sign``) reads the Authentication-Results field of the ``srv_id`` it
is given, and needs the ``authres`` package (dkimpy's ``arc`` extra); its validator does not.
"""

from __future__ import annotations

import importlib.util

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from test_arc_story import MESSAGE, sealed_by

from mailsec import arc
from mailsec.arc import ArcResult, Part
from mailsec.dkim import key_record, zone_entry
from mailsec.spf import ZoneResolver

LIST_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
FORWARDER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ZONE = ZoneResolver.from_text(
    zone_entry("arc", "lists.example.org", key_record(LIST_RSA))
    + "\n"
    + zone_entry("arc", "forward.example.net", key_record(FORWARDER_RSA))
)

needs_authres = pytest.mark.skipif(
    importlib.util.find_spec("authres") is None,
    reason="dkimpy's arc_sign needs the authres package (install dkimpy[arc])",
)


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
    answer = ZONE.lookup(name.decode().rstrip("."), "TXT")
    return b"".join(answer.records[0]) if answer.records else b""  # type: ignore[arg-type]


#: The two intermediaries: the list, then a forwarder. Each has its key, its domain (selector
#: "arc"), its authentication service and what that service found on arrival.
HOPS = {
    "list": (LIST_RSA, "lists.example.org", "lists.example.org", "dkim=pass header.d=example.com"),
    "forwarder": (FORWARDER_RSA, "forward.example.net", "mx.forward.example.net", "arc=pass"),
}


def dkimpy_seal(message: bytes, hop: str) -> bytes:
    """dkimpy seals what its authentication service wrote in Authentication-Results."""
    key, domain, authserv_id, results = HOPS[hop]
    arrived = f"Authentication-Results: {authserv_id}; {results}\r\n".encode() + message
    fields = dkim.arc_sign(arrived, b"arc", domain.encode(), pem(key), authserv_id.encode())
    assert len(fields) == 3
    return b"".join(fields) + arrived


def mailsec_seal(message: bytes, hop: str) -> bytes:
    key, domain, authserv_id, results = HOPS[hop]
    return sealed_by(message, key, domain, authserv_id, results, resolver=ZONE)


def dkimpy_says(message: bytes) -> tuple[bytes | None, str]:
    status, _, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)
    return status, reason


SEALERS = {"mailsec": mailsec_seal, "dkimpy": dkimpy_seal}


@needs_authres
def test_mailsec_validates_what_dkimpy_seals() -> None:
    sealed = dkimpy_seal(MESSAGE, "list")
    chain = arc.validate(sealed, resolver=ZONE)
    assert chain.result is ArcResult.PASS, chain.reason
    (first,) = chain.instances
    assert (first.domain, first.authserv_id) == ("lists.example.org", "lists.example.org")
    assert first.results == "dkim=pass header.d=example.com"
    assert arc.validate(sealed.replace(b"noon", b"one"), resolver=ZONE).result == "fail"


def test_dkimpy_validates_what_mailsec_seals() -> None:
    sealed = mailsec_seal(MESSAGE, "list")
    assert dkimpy_says(sealed) == (b"pass", "success")
    status, _ = dkimpy_says(sealed.replace(b"noon", b"one"))
    assert status == b"fail"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("mailsec", "mailsec"),
        pytest.param("dkimpy", "dkimpy", marks=needs_authres),
        pytest.param("mailsec", "dkimpy", marks=needs_authres),
        pytest.param("dkimpy", "mailsec", marks=needs_authres),
    ],
)
def test_two_hop_chains_validate_in_both(first: str, second: str) -> None:
    message = SEALERS[second](SEALERS[first](MESSAGE, "list"), "forwarder")
    chain = arc.validate(message, resolver=ZONE)
    assert chain.result is ArcResult.PASS, chain.reason
    assert [i.domain for i in chain.instances] == ["lists.example.org", "forward.example.net"]
    assert [i.cv for i in chain.instances] == [ArcResult.NONE, ArcResult.PASS]
    assert dkimpy_says(message) == (b"pass", "success")


def _drop(part: Part, instance: int):  # type: ignore[no-untyped-def]
    """Remove the field ``part`` of set ``instance``, with its folded lines."""

    def drop(message: bytes) -> bytes:
        start = message.index(f"{part.label}: i={instance};".encode())
        end = message.index(b"\r\n", start)
        while message[end + 2 : end + 3] in (b" ", b"\t"):
            end = message.index(b"\r\n", end + 2)
        return message[:start] + message[end + 2 :]

    return drop


DAMAGE = {
    "body": lambda m: m.replace(b"noon", b"one"),
    "subject": lambda m: m.replace(b"Subject: Lunch", b"Subject: Dinner"),
    "recorded results": lambda m: m.replace(b"dkim=pass", b"dkim=fail", 1),
    "seal 1 removed": _drop(Part.SEAL, 1),
    "message signature 2 removed": _drop(Part.MESSAGE_SIGNATURE, 2),
    "set 1's seal says pass": lambda m: m.replace(b"cv=none", b"cv=pass"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_mailsec_and_dkimpy_both_fail_a_damaged_chain(damage: str) -> None:
    sealed = mailsec_seal(mailsec_seal(MESSAGE, "list"), "forwarder")
    damaged = DAMAGE[damage](sealed)
    assert damaged != sealed
    assert arc.validate(damaged, resolver=ZONE).result is ArcResult.FAIL
    status, _ = dkimpy_says(damaged)
    assert status == b"fail"
