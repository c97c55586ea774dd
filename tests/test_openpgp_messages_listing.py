"""How mailsec shows an OpenPGP message to the reader: the packet lister (``list_packets`` and its
gpg-like text) on keys, closed and opened encrypted messages, compressed data and damaged packets,
and the explanation traces of decryption and verification, which cite the RFC and end with the
reason.
"""

from __future__ import annotations

import zlib

from openpgp_builders import LATER, literal

from mailsec import openpgp
from mailsec.openpgp.packets import encode_packet

# -- the packet lister -----------------------------------------------------------------------------


def test_list_packets_of_a_key(alice):
    listing = openpgp.list_packets(alice.to_bytes())
    assert [(p.tag, p.depth) for p in listing] == [(5, 0), (13, 0), (2, 0), (7, 0), (2, 0)]
    assert listing[0].name == "Secret-Key Packet"
    assert listing[0].fields["key id"] == alice.key_id
    assert listing[0].fields["algorithm"] == "EdDSA (Ed25519)"
    assert listing[0].fields["protection"] == "none (unprotected)"
    assert listing[1].fields["user id"] == "Alice <alice@example.org>"
    assert listing[2].fields["type"] == "Positive Certification (0x13)"


def test_list_packets_of_an_encrypted_message(alice, bob):
    message = openpgp.encrypt(b"hi", [alice.public], sign_with=[bob], now=LATER)
    closed = openpgp.list_packets(message)
    assert [(p.tag, p.depth) for p in closed] == [(1, 0), (18, 0)]
    assert closed[0].name == "Public-Key Encrypted Session Key Packet"
    assert closed[0].fields == {
        "version": "3",
        "key id": alice.subkeys[0].key.key_id,
        "algorithm": "ECDH (18)",
    }
    opened = openpgp.list_packets(message, keys=[alice])
    assert [(p.tag, p.depth) for p in opened] == [(1, 0), (18, 0), (4, 1), (11, 1), (2, 1), (19, 1)]
    assert opened[3].fields["data length"] == "2"
    assert opened[4].fields["key id"] == bob.key_id
    text = openpgp.packets_to_text(opened).splitlines()
    assert text[0] == f"# off=0 tag=1 hlen=2 plen={opened[0].length}"
    assert text[1] == ":public-key encrypted session key packet:"
    assert text[2] == "\tversion: 3"
    assert "  :literal data packet:" in text


def test_list_packets_of_compressed_data():
    inner = encode_packet(8, b"\x02" + zlib.compress(literal(b"zz")))
    listing = openpgp.list_packets(inner)
    assert [(p.tag, p.depth) for p in listing] == [(8, 0), (11, 1)]
    assert listing[0].fields["algorithm"] == "ZLIB (2)"


def test_list_packets_shows_damaged_packets_without_crashing():
    listing = openpgp.list_packets(encode_packet(2, b"\x05abc") + encode_packet(8, b"\x02garbage"))
    assert "version 5 signature" in listing[0].fields["error"]
    assert "damaged" in listing[1].fields["error"]


# -- explanation traces ----------------------------------------------------------------------------


def test_decryption_trace_cites_the_rfc(alice, bob):
    message = openpgp.encrypt(b"traced", [bob.public], sign_with=[alice], now=LATER)
    result = openpgp.decrypt(message, [bob], verify_with=[alice.public], now=LATER)
    sections = [step.section for step in result.steps]
    assert "RFC 4880 §5.13, §5.14" in sections  # the MDC check
    assert result.steps[-1].outcome.value == "ok"
    assert "good signature by Alice" in result.steps[-1].text


def test_verification_trace_ends_with_the_reason(alice):
    signature = openpgp.sign(b"pay 10", alice, now=LATER)
    (good,) = openpgp.verify(b"pay 10", signature, [alice.public], now=LATER)
    assert [s.outcome.value for s in good.steps][-1] == "ok"
    assert good.steps[-1].section == "RFC 4880 §5.2.4"
    message = openpgp.encrypt(b"pay 10", [alice.public], sign_with=[alice], now=LATER)
    tampered_check = openpgp.decrypt(message, [alice], verify_with=[alice.public], now=LATER)
    assert tampered_check.verifications[0].steps[0].section == "RFC 4880 §5.2.3"
