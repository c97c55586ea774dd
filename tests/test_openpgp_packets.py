"""Armor and packet framing, checked against the examples and rules of RFC 4880 §3.2, §4.2, §6."""

from __future__ import annotations

import base64
import itertools
import os
import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailsec.errors import InputError
from mailsec.openpgp import ArmorLabel, armor, crc24, dearmor, is_armored
from mailsec.openpgp.armor import _decode_base64, crc24_bytewise
from mailsec.openpgp.packets import Reader, encode_length, encode_mpi, encode_packet, read_packets

# -- CRC-24 and armor (RFC 4880 §6) ---------------------------------------------------------------


def test_crc24_of_nothing_is_the_initial_value():
    # RFC 4880 §6.1: the CRC starts at 0xB704CE.
    assert crc24(b"") == 0xB704CE


def test_crc24_check_value():
    # The catalogue check value of CRC-24/OPENPGP (poly 0x864CFB, init 0xB704CE) over "123456789".
    assert crc24(b"123456789") == 0x21CF02


@settings(deadline=None)
@given(st.binary(max_size=7000))
def test_fast_crc24_equals_the_bytewise_reference(data):
    assert crc24(data) == crc24_bytewise(data)


def test_fast_crc24_on_a_large_input():
    data = bytes((i * 131) % 256 for i in range(30001))
    assert crc24(data) == crc24_bytewise(data)


def test_armor_layout_rfc4880_section6_2():
    data = bytes(range(200))
    text = armor(data, ArmorLabel.MESSAGE).decode("ascii")
    lines = text.splitlines()
    assert lines[0] == "-----BEGIN PGP MESSAGE-----"
    assert lines[1] == ""  # blank line ends the (empty) header block
    assert lines[-1] == "-----END PGP MESSAGE-----"
    assert all(len(line) <= 76 for line in lines)  # §6.3
    checksum = lines[-2]
    assert checksum.startswith("=") and len(checksum) == 5
    assert int.from_bytes(base64.b64decode(checksum[1:]), "big") == crc24(data)
    assert base64.b64decode("".join(lines[2:-2])) == data


def _armor_line_by_line(data: bytes, label: ArmorLabel) -> bytes:
    """Armor as RFC 4880 §6.2 describes it, one line of 64 characters at a time."""
    encoded = base64.b64encode(data).decode("ascii")
    lines = [f"-----BEGIN {label.value}-----", ""]
    lines += [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    lines.append("=" + base64.b64encode(crc24_bytewise(data).to_bytes(3, "big")).decode("ascii"))
    lines.append(f"-----END {label.value}-----")
    return ("\n".join(lines) + "\n").encode("ascii")


@settings(deadline=None)
@given(st.binary(max_size=400), st.sampled_from(list(ArmorLabel)))
def test_armor_in_blocks_equals_armor_line_by_line(data, label):
    assert armor(data, label) == _armor_line_by_line(data, label)


def test_armor_and_dearmor_of_a_large_message():
    data = bytes((i * 131 + i // 7) % 256 for i in range(300_001))
    armored = armor(data, ArmorLabel.MESSAGE)
    assert armored == _armor_line_by_line(data, ArmorLabel.MESSAGE)
    assert dearmor(armored) == (ArmorLabel.MESSAGE, data)
    assert dearmor(armored.replace(b"\n", b"\r\n")) == (ArmorLabel.MESSAGE, data)


def test_dearmor_reads_a_checksum_glued_to_the_last_line():
    lines = armor(b"\xc0glued", ArmorLabel.MESSAGE).decode().splitlines()
    checksum = lines.pop(-2)
    lines[-2] += checksum
    assert dearmor("\n".join(lines).encode()) == (ArmorLabel.MESSAGE, b"\xc0glued")
    lines[-2] = lines[-2][:-1] + ("A" if lines[-2][-1] != "A" else "B")
    with pytest.raises(InputError, match="checksum does not match"):
        dearmor("\n".join(lines).encode())


@settings(deadline=None)
@given(st.text(alphabet="ABCDabcd0189+/=\n\r \t*-", max_size=40))
@example(text="00000000=")  # surplus padding: pybase64 refuses it, the standard library does not
def test_base64_is_read_as_the_strict_standard_decoder_reads_it(text):
    body = text.encode("ascii")
    try:
        expected = base64.b64decode(body.translate(None, b" \t\r\n"), validate=True)
    except ValueError:
        with pytest.raises(InputError, match="not valid Base64"):
            _decode_base64(body)
    else:
        assert _decode_base64(body) == expected


def test_header_lines_are_skipped_only_before_the_blank_line():
    lines = armor(b"\x99data", ArmorLabel.PUBLIC_KEY).decode().splitlines()
    lines.insert(1, "Comment: one")
    assert dearmor("\n".join(lines).encode())[1] == b"\x99data"
    del lines[2]  # no blank line after the header: the header is read as Base64
    with pytest.raises(InputError, match="not valid Base64"):
        dearmor("\n".join(lines).encode())


@settings(deadline=None)
@given(st.binary(min_size=1, max_size=600), st.sampled_from(list(ArmorLabel)))
def test_armor_round_trip(data, label):
    armored = armor(data, label)
    assert is_armored(armored)
    assert dearmor(armored) == (label, data)


def test_dearmor_accepts_headers_and_crlf():
    body = armor(b"\x99hello", ArmorLabel.PUBLIC_KEY).decode().splitlines()
    body.insert(1, "Comment: made by hand")
    body.insert(1, "Version: Test 1.0")
    assert dearmor("\r\n".join(body).encode()) == (ArmorLabel.PUBLIC_KEY, b"\x99hello")


def test_dearmor_without_checksum_is_accepted():
    # RFC 4880 §6.2 makes the checksum optional (RFC 9580 §6.1 deprecates it).
    lines = armor(b"\xc0data", ArmorLabel.SIGNATURE).decode().splitlines()
    del lines[-2]
    assert dearmor("\n".join(lines).encode())[1] == b"\xc0data"


def test_bad_crc_is_refused_with_both_values():
    data = b"some packet data"
    lines = armor(data, ArmorLabel.MESSAGE).decode().splitlines()
    lines[-2] = "=" + base64.b64encode((crc24(data) ^ 1).to_bytes(3, "big")).decode()
    with pytest.raises(InputError, match=r"checksum does not match .* the text was changed"):
        dearmor("\n".join(lines).encode())


def test_changed_base64_is_caught_by_the_crc():
    text = armor(b"A" * 60, ArmorLabel.MESSAGE).decode()
    tampered = text.replace("QUFB", "QUFC", 1)
    with pytest.raises(InputError, match="checksum does not match"):
        dearmor(tampered.encode())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "No '-----BEGIN PGP"),
        ("-----BEGIN PGP MESSAGE-----\n\nAAAA\n", "no matching '-----END PGP"),
        (
            "-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n",
            "must name the same kind",
        ),
        ("-----BEGIN PGP MESSAGE-----\n\nA*AA\n-----END PGP MESSAGE-----\n", "not valid Base64"),
        ("-----BEGIN PGP MESSAGE-----\n\n-----END PGP MESSAGE-----\n", "empty"),
        ("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhi\n", "cleartext-signed message"),
        ("-----BEGIN PGP MESSAGE-----\n\n\xe9\n-----END PGP MESSAGE-----\n", "not ASCII"),
    ],
)
def test_malformed_armor_is_refused(text, message):
    with pytest.raises(InputError, match=message):
        dearmor(text.encode("latin-1"))


# -- lengths and packets (RFC 4880 §4.2) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "encoded"),
    [
        (100, b"\x64"),  # RFC 4880 §4.2.3, first example
        (1723, b"\xc5\xfb"),  # second example
        (100000, b"\xff\x00\x01\x86\xa0"),  # third example
        (191, b"\xbf"),
        (192, b"\xc0\x00"),
        (8383, b"\xdf\xff"),
        (8384, b"\xff\x00\x00\x20\xc0"),
    ],
)
def test_new_format_lengths(length, encoded):
    assert encode_length(length) == encoded
    packet = bytes([0xC0 | 11]) + encoded + bytes(length)
    (read,) = read_packets(packet)
    assert (read.tag, len(read.body), read.partial) == (11, length, False)


def test_partial_body_lengths_rfc4880_section4_2_3_example():
    # The RFC's example: 100000 octets as 32768 + 2 + 1 + 65536 + 1693 in partial chunks.
    data = bytes(i % 251 for i in range(100000))
    chunks = [(b"\xef", 32768), (b"\xe1", 2), (b"\xe0", 1), (b"\xf0", 65536), (b"\xc5\xdd", 1693)]
    wire, pos = bytearray(b"\xcb"), 0  # new format, tag 11
    for header, size in chunks:
        wire += header + data[pos : pos + size]
        pos += size
    assert pos == len(data)
    (packet,) = read_packets(bytes(wire))
    assert packet.tag == 11 and packet.partial and packet.body == data


def test_old_format_headers():
    # RFC 4880 §4.2.1: tag in bits 5-2, length type in bits 1-0.
    one = bytes([0x80 | (2 << 2) | 0, 3]) + b"abc"
    two = bytes([0x80 | (6 << 2) | 1, 0, 2]) + b"xy"
    four = bytes([0x80 | (13 << 2) | 2, 0, 0, 0, 1]) + b"z"
    indeterminate = bytes([0x80 | (11 << 2) | 3]) + b"to the end"
    packets = read_packets(one + two + four + indeterminate)
    assert [(p.tag, p.body, p.old_format) for p in packets] == [
        (2, b"abc", True),
        (6, b"xy", True),
        (13, b"z", True),
        (11, b"to the end", True),
    ]


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(1, 63), st.binary(max_size=9000)), max_size=4))
def test_packet_round_trip(items):
    wire = b"".join(encode_packet(tag, body) for tag, body in items)
    assert [(p.tag, p.body) for p in read_packets(wire)] == items


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_reading_random_bytes_never_crashes(data):
    # Any input either frames into packets or raises InputError: never another exception.
    try:
        packets = read_packets(data)
    except InputError:
        return
    assert sum(p.header_length for p in packets) <= len(data)


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"\x41abc", "not the start of an OpenPGP packet"),
        (b"\xcb\x05ab", "ends in the middle of a Literal Data Packet"),
        (b"\xcb", "ends in the middle of a packet header"),
        (b"\xcb\xff\x00\x00", "ends in the middle of a packet header"),
        (b"\xcb\xef" + bytes(10), "ends in the middle"),
        (b"\xc0\x00", "tag 0, which is reserved"),
    ],
)
def test_broken_framing_is_refused(wire, message):
    with pytest.raises(InputError, match=message):
        read_packets(wire)


# -- multiprecision integers (RFC 4880 §3.2) --------------------------------------------------------


def test_mpi_examples_rfc4880_section3_2():
    assert encode_mpi(1) == bytes.fromhex("000101")
    assert encode_mpi(511) == bytes.fromhex("000901ff")
    assert Reader(bytes.fromhex("000901ff"), "test").mpi_int() == 511


def test_mpi_strips_leading_zeros():
    assert encode_mpi(b"\x00\x00\x40\x01") == bytes.fromhex("000f4001")


def test_reader_reports_truncation():
    with pytest.raises(InputError, match="shorter than its fields need"):
        Reader(bytes.fromhex("0010ff"), "Test Packet").mpi()


def test_dearmor_all_reads_every_block():
    from mailsec.openpgp.armor import dearmor_all

    blocks = (
        armor(b"\x99one", ArmorLabel.PUBLIC_KEY) + b"\n" + armor(b"\x99two", ArmorLabel.PUBLIC_KEY)
    )
    assert dearmor_all(blocks) == [
        (ArmorLabel.PUBLIC_KEY, b"\x99one"),
        (ArmorLabel.PUBLIC_KEY, b"\x99two"),
    ]


def test_session_key_payloads_are_checked_in_one_place() -> None:
    """RFC 4880 §5.1: cipher, key of that cipher's length, two-octet checksum — all checked."""
    from mailsec.openpgp import session

    key = bytes(range(32))
    assert session.unpack(session.pack(9, key)) == (9, key)
    assert session.checksum(b"\xff" * 258) == (0xFF * 258 % 65536).to_bytes(2, "big")
    assert session.unpack(session.pack(9, key[:16])) is None  # AES-256 needs 32 octets
    assert session.unpack(session.pack(2, key[:24])) is None  # 3DES is not read
    assert session.unpack(session.pack(9, key)[:-1] + b"\x00") is None  # wrong checksum
    assert session.unpack(b"\x09") is None


def test_every_public_name_of_the_package_resolves_and_loads_lazily():
    from mailsec import openpgp

    assert set(openpgp.__all__) == {
        *openpgp._LAZY,
        "ArmorLabel",
        "armor",
        "crc24",
        "dearmor",
        "is_armored",
    }
    for name in openpgp.__all__:
        assert getattr(openpgp, name) is not None
    assert callable(openpgp.armor)  # the function, not the module of the same name
    # A fresh interpreter that imports the package loads none of the algorithms.
    code = "import sys, mailsec.openpgp; print(sorted(m for m in sys.modules if 'openpgp.' in m))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert loaded.strip() == "['mailsec.openpgp.armor']"


def test_armor_in_pieces_equals_armor_across_block_boundaries():
    """Pieces of any size, across the block boundary and the line boundary, give the same text
    (and the same CRC-24) as armoring the whole at once."""
    from mailsec.openpgp.armor import ARMOR_BLOCK, armor_pieces

    data = os.urandom(2 * ARMOR_BLOCK + 101)
    whole = _armor_line_by_line(data, ArmorLabel.MESSAGE)
    for cuts in ([1], [47, 48, 49], [ARMOR_BLOCK - 1, ARMOR_BLOCK + 1], [ARMOR_BLOCK * 2 + 100]):
        bounds = [0, *cuts, len(data)]
        pieces = [memoryview(data)[a:b] for a, b in itertools.pairwise(bounds)]
        assert armor_pieces(pieces, len(data), ArmorLabel.MESSAGE) == whole, cuts
    with pytest.raises(ValueError, match="promised"):
        armor_pieces([data[:10]], 11, ArmorLabel.MESSAGE)


def test_dearmor_buffer_is_a_writable_copy_of_the_data():
    from mailsec.openpgp.armor import dearmor_buffer

    data = os.urandom(5000)
    label, binary = dearmor_buffer(armor(data, ArmorLabel.SIGNATURE))
    assert (label, binary) == (ArmorLabel.SIGNATURE, data)
    assert isinstance(binary, bytearray)
