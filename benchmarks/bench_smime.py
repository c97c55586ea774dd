"""S/MIME encryption and decryption of a 10 MB message: ``mailsec smime`` beside ``openssl cms``.

Run: python benchmarks/bench_smime.py [megabytes]

Whole processes, in the same run, on the same message and the same keys: a fresh
``python -m mailsec smime encrypt|decrypt`` (start-up, imports, reading the key, base64 and MIME
included) against ``openssl cms -encrypt|-decrypt``. Both write real S/MIME messages; each side
decrypts the other's output as well, which doubles as an interop check. Best of 3 per cell, and the
ratio mailsec / openssl. The Python start-up alone (an empty ``python -c pass`` and the imports)
is printed too, because for a 10 MB message it is a large part of the total. Keys and certificates
are generated at run time in a temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mailsec.cli import smime as smime_cli
from mailsec.pki import course_pki

ROUNDS = 3


#: Byte-code as an installed package has it (pip compiles it): written once into a cache, not
#: recompiled by every process as PYTHONDONTWRITEBYTECODE would make it.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def best(args: list[str], stdin: Path, stdout: Path) -> float:
    times = []
    for _ in range(ROUNDS):
        with stdin.open("rb") as source, stdout.open("wb") as sink:
            start = time.perf_counter()
            subprocess.run(args, stdin=source, stdout=sink, check=True, timeout=300, env=ENV)
            times.append(time.perf_counter() - start)
    return min(times)


def in_process(argv: list[str], stdin: Path) -> float:
    """The same command inside this Python (no start-up, no imports): mailsec's own work."""
    parser = argparse.ArgumentParser()
    smime_cli.configure(parser)
    args = parser.parse_args(argv)
    data = stdin.read_bytes()
    times = []
    for _ in range(ROUNDS):
        sink = io.BytesIO()
        start = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            smime_cli.run(args, stdin=io.BytesIO(data), stdout=sink)
        times.append(time.perf_counter() - start)
    return min(times)


def message(megabytes: int) -> bytes:
    line = b"This is line %08d of a long message about next year's salary table, in plain text.\r\n"
    count = megabytes * 1024 * 1024 // len(line % 0)
    head = b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: Big\r\n\r\n"
    return head + b"".join(line % i for i in range(count))


def main(megabytes: int = 10) -> int:
    openssl = shutil.which("openssl")
    if openssl is None:
        print("openssl is not installed (Debian package 'openssl'); nothing to compare against.")
        return 1
    pki = course_pki()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ENV["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        for name in ("alice", "bob"):
            identity = getattr(pki, name)
            (folder / f"{name}.pem").write_bytes(identity.certificate_pem())
            (folder / f"{name}.key.pem").write_bytes(identity.key_pem())
        plain = folder / "plain.eml"
        plain.write_bytes(message(megabytes))
        size = plain.stat().st_size
        empty = folder / "empty"
        empty.write_bytes(b"")
        startup = best([python, "-c", "pass"], empty, folder / "out")
        imports = best(
            [python, "-c", "import mailsec.cli.smime, mailsec.smime.messages, mailsec.pki.ca"],
            empty,
            folder / "out",
        )
        print(f"S/MIME, {size / 1e6:.1f} MB message, whole processes, best of {ROUNDS}")
        print(
            f"(python start-up alone: {startup * 1000:.0f} ms; with mailsec's imports: "
            f"{imports * 1000:.0f} ms)"
        )
        print()
        print(
            f"{'operation':44} {'mailsec':>9} {'openssl':>9} {'ratio':>7}"
            f" {'in-process':>11} {'ratio':>7}"
        )
        ratios: list[float] = []
        inside_ratios: list[float] = []
        cases = [
            ("aes256-gcm", "-aes-256-gcm", "bob", "EC P-256"),
            ("aes256-gcm", "-aes-256-gcm", "alice", "RSA-2048"),
            ("aes256-cbc", "-aes256", "bob", "EC P-256"),
            ("aes256-cbc", "-aes256", "alice", "RSA-2048"),
        ]
        for cipher, openssl_cipher, who, key_text in cases:
            cert, key = folder / f"{who}.pem", folder / f"{who}.key.pem"
            ours, theirs = (
                folder / f"ours-{cipher}-{who}.eml",
                folder / f"theirs-{cipher}-{who}.eml",
            )
            enc_ours = best(
                [
                    python,
                    "-m",
                    "mailsec",
                    "smime",
                    "encrypt",
                    "--recipient",
                    str(cert),
                    "--cipher",
                    cipher,
                ],
                plain,
                ours,
            )
            enc_theirs = best(
                [openssl, "cms", "-encrypt", openssl_cipher, str(cert)], plain, theirs
            )
            out_ours, out_theirs = folder / "dec-ours", folder / "dec-theirs"
            # Each decrypts the other's message: the same bytes in, and an interop check.
            dec_ours = best(
                [
                    python,
                    "-m",
                    "mailsec",
                    "smime",
                    "decrypt",
                    "--key",
                    str(key),
                    "--cert",
                    str(cert),
                ],
                theirs,
                out_ours,
            )
            dec_theirs = best(
                [openssl, "cms", "-decrypt", "-recip", str(cert), "-inkey", str(key)],
                ours,
                out_theirs,
            )
            enc_inside = in_process(
                ["encrypt", "--recipient", str(cert), "--cipher", cipher], plain
            )
            dec_inside = in_process(["decrypt", "--key", str(key), "--cert", str(cert)], theirs)
            body = plain.read_bytes().split(b"\r\n\r\n", 1)[1]
            assert out_ours.read_bytes().endswith(body), "mailsec did not decrypt openssl's message"
            assert out_theirs.read_bytes().endswith(body), (
                "openssl did not decrypt mailsec's message"
            )
            for label, a, b, inside in (
                (f"encrypt {cipher}, {key_text} recipient", enc_ours, enc_theirs, enc_inside),
                (f"decrypt {cipher}, {key_text} recipient", dec_ours, dec_theirs, dec_inside),
            ):
                ratios.append(a / b)
                inside_ratios.append(inside / b)
                print(
                    f"{label:44} {a * 1000:7.0f} ms {b * 1000:7.0f} ms {a / b:6.2f}x"
                    f" {inside * 1000:8.0f} ms {inside / b:6.2f}x"
                )
        print()
        print(
            f"whole process: worst ratio {max(ratios):.2f}x, best {min(ratios):.2f}x "
            "(aim: within 1.5x)"
        )
        print(
            f"in-process (mailsec's work without Python start-up and imports) against openssl's "
            f"whole run: worst {max(inside_ratios):.2f}x, best {min(inside_ratios):.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
