"""S/MIME encryption and decryption of a 10 MB message: ``mailsec smime`` beside ``openssl cms``.

Run: python benchmarks/bench_smime.py [megabytes] [--rounds N] [--recipient ec|rsa|both]

Whole processes on the same message and the same keys: a fresh ``python -m mailsec smime
encrypt|decrypt`` (start-up, imports, reading the key, Base64 and MIME included) against
``openssl cms -encrypt|-decrypt``, alternately (mailsec, openssl, mailsec ...), so that a slow
moment of the machine falls on both; the median time of each, the ratio, and each process's
peak RSS read with ``os.wait4``. Each side decrypts the other's message, which doubles as an
interop check. mailsec's peak is also given above the same command on a tiny message (its start-up
and imports), as a multiple of the message size. Keys, certificates and the message are made in a
temporary folder, and this process stays small (see :data:`KEYS`). About 10 s with the defaults.

Where the time and the memory went (10 MB message, EC P-256 recipient; cProfile of the command
in-process, ``python -X importtime``, ``/usr/bin/time -f "%e s %M KB"``; tiny message: 0.11 s,
35 MB):

- encrypt: the message was copied about nine times. ``canonical_crlf`` made three 10 MB copies
  with ``bytes.replace`` even when the lines already ended in CRLF (90 ms of 0.44 s under the
  profiler); ``build_enveloped`` had AES-GCM return ciphertext and tag in one bytes and then
  joined the DER around it (two more copies); Base64 was ``binascii`` (36 ms), the 180,000 lines
  were cut with ``struct.unpack_from`` into 180,000 bytes objects (28 ms) and joined (55 ms for
  the joins), and the header block was added with one more 14 MB concatenation. Peak 146-151 MB.
  Now: the message is returned as is when it is already canonical (three ``bytes.count``), the
  content is encrypted straight into its place in one preallocated DER buffer, 1 MB at a time,
  from two pieces, the content header fields and a view of the body in the message's own bytes
  (no entity copy, and the body copy made by ``split_message`` is let go first); the Base64 text
  is made a block of whole lines at a time (pybase64, SIMD), wrapped column by column
  (``mailsec.openpgp.armor._wrap`` with CRLF) and written out block by block by the command line
  (``encrypt_message_parts``), so the encoded message never exists whole. Peak 56-58 MB: the
  message read from standard input and the encrypted DER, 2.2-2.3x the message above the tiny
  baseline.
- decrypt: the 14 MB Base64 body was sliced out of the message, stripped of line ends
  (``translate``, another 14 MB) and decoded (``a2b_base64``, 66 ms); asn1crypto copied the
  contents of every level it parsed (ContentInfo, AuthEnvelopedData, EncryptedContentInfo, the
  octet string: 53 ms in ``asn1crypto.parser._parse`` and four copies of the ciphertext), AES-GCM
  needed ``ciphertext + tag`` (one more), CBC's unpadding two more. Peak 132-152 MB. Now: the body
  is decoded from a view of the message (the split copy is let go first), 1 MB at a time with
  pybase64 (the strict standard decoder decides whatever pybase64 refuses, so the same inputs are
  refused); the structure is parsed without its ciphertext (``cms.load_hollow``: the DER read by
  hand down to ``encryptedContent``, asn1crypto given the rest), the ciphertext is a view into the
  DER, GCM decrypts it with the tag checked by ``finalize()`` before anything is returned, and CBC
  checks the padding on the last block alone. Peak 70 MB (GCM), 80 MB (CBC).
- what is left is mostly start-up: ``python -c pass`` is 25 ms and the imports 80-90 ms
  (``cryptography.x509`` 32 ms, ``mailsec.pki`` with its validation module, asn1crypto 13 ms,
  ``email``), about 0.11 s for a tiny message, where ``openssl cms`` takes 0.07 s for the whole
  10 MB. mailsec's own work on 10 MB is now 40-70 ms. A ratio of 1.5x (0.10-0.11 s) is therefore
  out of reach for a Python process whatever the code does; the remaining ratio is about 2.4-2.9x
  (before: 3.3-4.6x, 0.23-0.33 s).
- memory, decrypt: the message read from standard input (14 MB of Base64) stays while it is
  decoded, decrypted and written; ``Decrypted`` held the entity and the whole message (two 10 MB
  plaintexts) beside the DER: 3.4-4.4x the message above the tiny baseline, 6.3x for CBC. Now
  (``decrypt_message_buffer``, which the command line uses) the Base64 is decoded into one buffer
  with room in front for the outer header fields, the content is decrypted where it lies in that
  buffer (GCM's tag is checked by ``finalize()`` before anything is written out, and a refused
  content is wiped), the header fields are written just before it, and the message goes out as
  a view: 2.5x (GCM), 2.6x (CBC). AES-CBC to RSA recipients only is done by cryptography's
  PKCS #7 functions in both directions (as before, unchanged): 94 MB to encrypt and 89 MB to
  decrypt, 5.5-6x, copies inside cryptography.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Byte-code as an installed package has it (pip compiles it): written once into a cache, not
#: recompiled by every process as PYTHONDONTWRITEBYTECODE would make it.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

CIPHERS = {"gcm": ("aes256-gcm", "-aes-256-gcm"), "cbc": ("aes256-cbc", "-aes256")}
RECIPIENTS = {"ec": ("bob", "EC P-256"), "rsa": ("alice", "RSA-2048")}


def run(args: list[str], stdin: Path, stdout: Path) -> tuple[float, int]:
    """One whole process: its wall time in seconds and its peak RSS in KB (``ru_maxrss``)."""
    with stdin.open("rb") as source, stdout.open("wb") as sink:
        start = time.perf_counter()
        child = subprocess.Popen(
            args, stdin=source, stdout=sink, stderr=subprocess.DEVNULL, env=ENV
        )
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit status {child.returncode}")
    return elapsed, usage.ru_maxrss


def pairwise(
    ours: list[str], theirs: list[str], ours_in: Path, theirs_in: Path, folder: Path, rounds: int
) -> tuple[float, float, int, int]:
    """Median time and peak RSS of each command, run alternately (mailsec, openssl, mailsec ...)
    so that a slow moment of the machine falls on both."""
    times: tuple[list[float], list[float]] = ([], [])
    peaks: tuple[list[int], list[int]] = ([], [])
    for _ in range(rounds):
        for side, (args, source) in enumerate(((ours, ours_in), (theirs, theirs_in))):
            elapsed, peak = run(args, source, folder / f"out-{side}")
            times[side].append(elapsed)
            peaks[side].append(peak)
    return (
        statistics.median(times[0]),
        statistics.median(times[1]),
        max(peaks[0]),
        max(peaks[1]),
    )


def write_message(path: Path, megabytes: float) -> None:
    """A plain-text message of about ``megabytes``, written a thousand lines at a time (so that
    this process never holds it: see :data:`KEYS`)."""
    line = b"This is line %08d of a long message about next year's salary table, in plain text.\r\n"
    count = int(megabytes * 1024 * 1024) // len(line % 0)
    with path.open("wb") as out:
        out.write(b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n")
        out.write(b"Subject: Big\r\n\r\n")
        for start in range(0, count, 1000):
            out.write(b"".join(line % i for i in range(start, min(start + 1000, count))))


#: Writes the course's certificates and keys. In a child process, so that this process stays
#: small: a child's ru_maxrss includes the memory of the process it was forked from (Linux counts
#: the high-water mark of the image it replaces at exec), so the parent must not hold the
#: cryptography modules or a 10 MB message when it starts the measured commands.
KEYS = """
import sys
from pathlib import Path
from mailsec.pki import course_pki
pki = course_pki()
for name in ("alice", "bob"):
    identity = getattr(pki, name)
    Path(sys.argv[1], name + ".pem").write_bytes(identity.certificate_pem())
    Path(sys.argv[1], name + ".key.pem").write_bytes(identity.key_pem())
"""


def same_ending(path: Path, body: Path, skip: int) -> bool:
    """Does the file ``path`` end with the body of the message file ``body`` (after ``skip``)?"""
    size = body.stat().st_size - skip
    with path.open("rb") as out, body.open("rb") as plain:
        out.seek(max(out.seek(0, 2) - size, 0))
        plain.seek(skip)
        return out.read() == plain.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("megabytes", nargs="?", type=float, default=10, help="message size")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each command (median)")
    parser.add_argument(
        "--recipient", choices=("ec", "rsa", "both"), default="ec", help="recipient key type"
    )
    options = parser.parse_args(argv)
    openssl = shutil.which("openssl")
    if openssl is None:
        print("openssl is not installed (Debian package 'openssl'); nothing to compare against.")
        return 1
    python = sys.executable
    mailsec = [python, "-m", "mailsec", "smime"]
    whom = ["ec", "rsa"] if options.recipient == "both" else [options.recipient]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ENV["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        subprocess.run([python, "-c", KEYS, tmp], check=True, env=ENV)
        plain, tiny = folder / "plain.eml", folder / "tiny.eml"
        write_message(plain, options.megabytes)
        write_message(tiny, 0)  # the header fields and an empty body
        size = plain.stat().st_size
        head = tiny.stat().st_size
        empty = folder / "empty"
        empty.write_bytes(b"")
        run([python, "-c", "pass"], empty, folder / "out")  # fills the byte-code cache
        startup = statistics.median(
            run([python, "-c", "pass"], empty, folder / "out")[0] for _ in range(3)
        )
        print(
            f"S/MIME, {size / 1e6:.1f} MB message, whole processes, median of {options.rounds} "
            f"runs each, mailsec and openssl cms alternately (python -c pass: "
            f"{startup * 1000:.0f} ms)"
        )
        print()
        print(
            f"{'operation':36} {'mailsec':>9} {'openssl':>9} {'ratio':>6}"
            f" {'RSS mailsec':>12} {'RSS openssl':>12} {'above tiny':>11}"
        )
        ratios: list[float] = []
        multiples: list[float] = []
        for who in whom:
            name, key_text = RECIPIENTS[who]
            cert, key = str(folder / f"{name}.pem"), str(folder / f"{name}.key.pem")
            for short, (cipher, openssl_cipher) in CIPHERS.items():
                ours, theirs = (
                    folder / f"ours-{short}-{who}.eml",
                    folder / f"theirs-{short}-{who}.eml",
                )
                encrypt = [*mailsec, "encrypt", "--recipient", cert, "--cipher", cipher]
                decrypt = [*mailsec, "decrypt", "--key", key, "--cert", cert]
                # The messages each side decrypts: the other side's (an interop check as well).
                run(encrypt, plain, ours)
                run([openssl, "cms", "-encrypt", openssl_cipher, cert], plain, theirs)
                tiny_sealed = folder / f"tiny-{short}-{who}.eml"
                tiny_enc = max(run(encrypt, tiny, tiny_sealed)[1] for _ in range(2))
                tiny_dec = max(run(decrypt, tiny_sealed, folder / "out")[1] for _ in range(2))
                rows = (
                    (
                        f"encrypt {cipher}, {key_text}",
                        pairwise(
                            encrypt,
                            [openssl, "cms", "-encrypt", openssl_cipher, cert],
                            plain,
                            plain,
                            folder,
                            options.rounds,
                        ),
                        tiny_enc,
                    ),
                    (
                        f"decrypt {cipher}, {key_text}",
                        pairwise(
                            decrypt,
                            [openssl, "cms", "-decrypt", "-recip", cert, "-inkey", key],
                            theirs,
                            ours,
                            folder,
                            options.rounds,
                        ),
                        tiny_dec,
                    ),
                )
                run(decrypt, theirs, folder / "dec-ours")
                run(
                    [openssl, "cms", "-decrypt", "-recip", cert, "-inkey", key],
                    ours,
                    folder / "dec-theirs",
                )
                assert same_ending(folder / "dec-ours", plain, head), (
                    "mailsec did not decrypt openssl's message"
                )
                assert same_ending(folder / "dec-theirs", plain, head), (
                    "openssl did not decrypt mailsec's message"
                )
                for label, (a, b, rss_a, rss_b), baseline in rows:
                    above = (rss_a - baseline) * 1024 / size
                    ratios.append(a / b)
                    multiples.append(above)
                    print(
                        f"{label:36} {a * 1000:6.0f} ms {b * 1000:6.0f} ms {a / b:5.2f}x"
                        f" {rss_a / 1024:9.0f} MB {rss_b / 1024:9.0f} MB {above:10.1f}x"
                    )
        print()
        print(f"time: worst ratio {max(ratios):.2f}x, best {min(ratios):.2f}x (aim: within 1.5x)")
        print(
            f"memory: mailsec's peak RSS above the same command on a tiny message, at most "
            f"{max(multiples):.1f}x the message size (aim: at most 3x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
