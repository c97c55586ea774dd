"""Decompression bombs and packet floods: one budget per message at every entry point (issue:
nested ZLIB reached 3.1 GiB, 161 bytes of Marker packets took 52 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from mailsec import openpgp
from mailsec.errors import InputError
from mailsec.openpgp.contents import MAX_DECOMPRESSED, MAX_PACKETS
from mailsec.openpgp.encryption import _seipd
from mailsec.openpgp.packets import encode_packet
from mailsec.openpgp.passwords import make_skesk

LITERAL, COMPRESSED, MARKER = 11, 8, 10


def literal(data: bytes) -> bytes:
    return encode_packet(LITERAL, b"b\x00\x00\x00\x00\x00" + data)


def compressed(inner: bytes, *, cut: int = 0) -> bytes:
    stream = zlib.compress(inner, 9)
    return encode_packet(COMPRESSED, b"\x02" + stream[: len(stream) - cut])  # 2 = ZLIB


def nested_bomb() -> bytes:
    """One literal of 80 MiB of zeros, compressed, and the compressed packet compressed again:
    a few kilobytes on disk, more than the 64 MiB budget expanded."""
    level = compressed(literal(bytes(80 * 1024 * 1024)))
    for _ in range(2):
        level = compressed(level)
    return level


def marker_flood() -> bytes:
    """Millions of empty Marker packets (RFC 4880 §5.8), compressed to a few kilobytes."""
    return compressed(encode_packet(MARKER, b"PGP") * (16 * 1024 * 1024 // 5))


def encrypted(inner: bytes, password: bytes = b"tulip") -> bytes:
    session_key = os.urandom(32)
    skesk = make_skesk(password, 9, session_key, random=os.urandom)
    _size, pieces = _seipd(session_key, [inner], os.urandom)
    return skesk + b"".join(pieces)


def test_the_bombs_are_small_on_disk() -> None:
    assert len(nested_bomb()) < 200_000 and len(marker_flood()) < 100_000


@pytest.mark.parametrize(
    ("bomb", "message"),
    [
        (nested_bomb, f"more than {MAX_DECOMPRESSED:,} octets"),
        (marker_flood, f"more than {MAX_PACKETS:,} packets"),
        (lambda: compressed(literal(b"hello" * 1000), cut=6), "ends before its end marker"),
    ],
    ids=["nested zlib", "marker flood", "cut-off stream"],
)
def test_every_entry_point_refuses_the_bomb_quickly(bomb, message: str) -> None:
    data = bomb()
    entries = {
        "inline_verify": lambda: openpgp.inline_verify(data, []),
        "decrypt": lambda: openpgp.decrypt(encrypted(data), [], passwords=[b"tulip"]),
    }
    for name, call in entries.items():
        started = time.perf_counter()
        with pytest.raises(InputError, match=message):
            call()
        assert time.perf_counter() - started < 10, name  # a last guard; it takes a second at most
    listing = openpgp.list_packets(data)  # the lister shows the packet and says why it stopped
    assert any(message in str(info.fields.get("error", "")) for info in listing)


def test_memory_stays_bounded_while_a_bomb_is_refused(tmp_path: Path) -> None:
    """Measured in a fresh process: peak resident memory, not a guess.

    The peak is the process's own high-water mark (``VmHWM`` in /proc/self/status). Its
    ``ru_maxrss`` would not do: a child started by this process reports at least this process's
    own peak (Linux keeps the larger of the two across fork and exec), which grows with every
    test run before this one."""
    bomb = tmp_path / "bomb.pgp"
    bomb.write_bytes(nested_bomb() + marker_flood())
    script = (
        "import json, sys\n"
        "from mailsec import openpgp\n"
        "from mailsec.errors import InputError\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "try:\n    openpgp.inline_verify(data, [])\nexcept InputError as e:\n    refused = e.message\n"
        "status = open('/proc/self/status').read()\n"
        "hwm = int(status.split('VmHWM:')[1].split()[0])\n"
        "print(json.dumps({'refused': refused, 'peak_mb': hwm / 1024}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(bomb)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert "refused" in report["refused"] or "more than" in report["refused"]
    assert report["peak_mb"] < 3.5 * MAX_DECOMPRESSED / 2**20 + 100, report


def test_a_real_compressed_message_still_reads() -> None:
    alice = openpgp.generate_key("Alice <alice@example.org>")
    signed = openpgp.inline_sign(b"payload " * 1000, alice, armor=False)
    wrapped = compressed(signed)
    data, (check,) = openpgp.inline_verify(wrapped, [alice.public])
    assert data == b"payload " * 1000 and check.valid
