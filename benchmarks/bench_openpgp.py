"""Chapter 06 at the command line: ``mailsec sop`` beside ``gpg``, whole processes, 10 MiB.

Run: python benchmarks/bench_openpgp.py [rounds] [mebibytes]

Rows (the performance table of the course's issue tracker): ``sop encrypt`` and ``sop decrypt``
of a random (incompressible) message, ASCII-armored, to and with an Ed25519/Curve25519 key,
beside ``gpg --armor --encrypt`` / ``gpg --decrypt`` with the same key in a temporary GNUPGHOME;
and ``mailsec sop version`` beside ``python -c pass`` (the fixed cost of starting). The two
commands of a row run alternately, ``rounds`` times each, and the medians are compared as a
ratio (aims: 1.5x for the work, 2x for start-up). Each process's peak memory (``ru_maxrss`` from
``os.wait4``) is printed too, and mailsec's peak above the same command on a one-byte message,
as a multiple of the message size (aim: 3x or less). gpg's private-key operation runs in
gpg-agent, whose memory is not counted; it is tiny.

Profile (cProfile, ``python -X importtime``, peak RSS), 10 MiB, before -> after the changes:

- ``sop decrypt`` 1.04 s -> 0.16 s: the armor CRC-24 computed in Python three bytes a step took
  0.52 s (now anycrc, 1 ms); armor read line by line with a regular expression per line took
  0.15 s, then a regular expression that scanned the Base64 for the END line 63 ms (now
  ``bytes.find``, 3 ms); the standard library's Base64 decoder 27 ms (now pybase64, 1 ms);
  three extra copies of the body (slices, ``update() + finalize()``, joined chunks) removed.
- ``sop encrypt`` 0.65 s -> 0.23 s: the same CRC-24, and armor lines built one at a time.
- ``sop version`` 110 ms -> 50 ms: ``mailsec.openpgp`` imported every submodule (57 ms); it now
  loads each on first use.
- Peak memory above a one-byte message, ``sop encrypt`` 6.1x -> 2.5x the message size: the
  plaintext (held by the SOP framework, which reads stdin whole), the SEIPD pieces, the joined
  packets, the Base64 and its lines were all whole at once. Now the message is encrypted 256 KB
  at a time and each block is armored straight into one buffer of the final size
  (``armor_pieces``), which the command writes out as it is: plaintext + armored text.
- ``sop decrypt`` 3.6x -> 2.4x: the armored text (held by the framework), the decoded blocks and
  their join, the plaintext buffer and a copy of the literal data. Now the Base64 is decoded
  into one buffer, the SEIPD packet is decrypted where it lies in it (the ciphertext is put back
  if the MDC does not match, so another key can try), and the literal data is written out as a
  view of it: armored text + one binary buffer. A message with partial body lengths (as gpg
  writes a large one) still has its chunks joined into a copy first.
- What remains of ``sop decrypt`` (about 145-160 ms beside gpg's 85-120 ms): start-up and
  imports, about 75 ms (Python 22, argparse and the SOP framework with logging 15, the key and
  cipher modules with cryptography's bindings 30); first-touch page faults of the buffers,
  about 25 ms; AES-CFB and SHA-1 (the MDC) 12 ms. gpg streams the message through one small
  buffer.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mailsec import openpgp

#: GNU time (Debian's package time), which reports a command's peak memory (%M, in KiB) exactly.
GNU_TIME = "/usr/bin/time"


def run(command: list[str], stdin: Path, stdout: Path, env: dict[str, str]) -> tuple[float, int]:
    """Run ``command`` with files on stdin/stdout; (wall seconds, peak resident memory in KiB).

    The peak comes from GNU time when it is installed: a child of this process starts as a copy of
    it, so its own ``ru_maxrss`` would count this benchmark's memory (40 MB) as well. Without GNU
    time the peak is that upper bound.
    """
    report = stdout.with_suffix(".rss")
    measured = [GNU_TIME, "-f", "%M", "-o", str(report), *command]
    use_time = os.access(GNU_TIME, os.X_OK)
    with stdin.open("rb") as source, stdout.open("wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(
            measured if use_time else command,
            stdin=source,
            stdout=sink,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {status}")
    peak = int(report.read_text().split()[-1]) if use_time else usage.ru_maxrss
    return wall, peak


def pairwise(rounds: int, ours: tuple, peer: tuple) -> tuple[tuple[float, int], tuple[float, int]]:
    """Run the two commands alternately; the median wall time and the largest peak of each."""
    mine: list[tuple[float, int]] = []
    theirs: list[tuple[float, int]] = []
    for _ in range(rounds):
        mine.append(run(*ours))
        theirs.append(run(*peer))

    def summary(results: list[tuple[float, int]]) -> tuple[float, int]:
        return statistics.median(r[0] for r in results), max(r[1] for r in results)

    return summary(mine), summary(theirs)


def main(rounds: int = 7, mebibytes: int = 10) -> int:
    gpg = shutil.which("gpg")
    if gpg is None:
        print("gpg is not installed (Debian package gnupg); nothing to compare with.")
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-pgp-") as folder:
        work = Path(folder)
        home = work / "gnupg"
        home.mkdir(mode=0o700)
        env = {**os.environ, "GNUPGHOME": str(home)}
        # Byte-code as an installed package has it (pip compiles it): written once into a cache in
        # the temporary folder, not recompiled by every process as PYTHONDONTWRITEBYTECODE would.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        key = openpgp.generate_key("Bench <bench@example.org>")
        (work / "key").write_bytes(key.to_bytes())
        (work / "cert").write_bytes(key.public.to_bytes())
        subprocess.run(
            [gpg, "--batch", "--import", str(work / "key")],
            env=env,
            capture_output=True,
            check=True,
            timeout=60,
        )
        size = mebibytes << 20
        message, tiny = work / "message", work / "tiny"
        message.write_bytes(os.urandom(size))
        tiny.write_bytes(b"x")
        mailsec = [sys.executable, "-m", "mailsec", "sop"]
        encrypt = [*mailsec, "encrypt", str(work / "cert")]
        decrypt = [*mailsec, "decrypt", str(work / "key")]
        gpg_base = [gpg, "--batch", "--quiet", "--trust-model", "always"]
        gpg_encrypt = [*gpg_base, "--armor", "--encrypt", "-r", key.fingerprint]
        gpg_decrypt = [*gpg_base, "--decrypt"]
        paths = {name: work / name for name in ("ours.asc", "gpg.asc", "tiny.asc", "out", "null")}
        try:
            # Warm the page cache, the byte-code cache and gpg-agent; make the tiny baseline.
            run(encrypt, message, paths["ours.asc"], env)
            run(gpg_encrypt, message, paths["gpg.asc"], env)
            run(encrypt, tiny, paths["tiny.asc"], env)
            rows = {
                "sop encrypt, armored": pairwise(
                    rounds,
                    (encrypt, message, paths["ours.asc"], env),
                    (gpg_encrypt, message, paths["gpg.asc"], env),
                ),
                "sop decrypt, armored": pairwise(
                    rounds,
                    (decrypt, paths["ours.asc"], paths["out"], env),
                    (gpg_decrypt, paths["gpg.asc"], paths["null"], env),
                ),
                "sop version (start-up)": pairwise(
                    rounds,
                    ([*mailsec, "version"], Path(os.devnull), paths["null"], env),
                    ([sys.executable, "-c", "pass"], Path(os.devnull), paths["null"], env),
                ),
            }
            if paths["out"].read_bytes() != message.read_bytes():
                print("mailsec's decryption did not give the message back!")
                return 1
            baselines = {
                "sop encrypt, armored": run(encrypt, tiny, paths["null"], env)[1],
                "sop decrypt, armored": run(decrypt, paths["tiny.asc"], paths["null"], env)[1],
            }
        finally:
            subprocess.run(
                ["gpgconf", "--kill", "gpg-agent"],
                env=env,
                capture_output=True,
                check=False,
                timeout=30,
            )
    report(rows, baselines, rounds, mebibytes)
    return 0


def report(
    rows: dict[str, tuple[tuple[float, int], tuple[float, int]]],
    baselines: dict[str, int],
    rounds: int,
    mebibytes: int,
) -> None:
    peers = {"sop version (start-up)": "python -c pass"}
    print(
        f"{mebibytes} MiB random message, Ed25519/Curve25519 key, medians of {rounds} alternating runs"
    )
    print(
        f"{'operation':<24} {'mailsec':>9} {'peer':>18} {'ratio':>7} {'mailsec peak':>13} {'peer peak':>10}"
    )
    for name, ((ours, our_peak), (theirs, their_peak)) in rows.items():
        peer = peers.get(name, "gpg")
        print(
            f"{name:<24} {ours * 1000:7.0f} ms {peer:>10} {theirs * 1000:4.0f} ms "
            f"{ours / theirs:6.2f}x {our_peak / 1024:10.0f} MB {their_peak / 1024:7.0f} MB"
        )
    for name, base in baselines.items():
        above = (rows[name][0][1] - base) * 1024 / (mebibytes << 20)
        print(
            f"{name}: peak memory {above:.1f}x the message size above a one-byte message (aim <= 3x)"
        )


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    sys.exit(main(*arguments))
