"""Encrypt and decrypt a 10 MB message as whole processes: ``mailsec sop`` beside ``gpg``.

Run: python benchmarks/bench_openpgp.py [rounds] [megabytes]

Both tools encrypt the same random (incompressible) message to the same Ed25519/Curve25519 key and
decrypt it again, binary output, in a temporary GNUPGHOME; each step runs ``rounds`` times and the
median is reported. Two figures per step:

- wall-clock time of the whole process (start-up, reading, work, writing);
- CPU time of the process (user + system, from ``resource``), which is steadier on a busy machine.
  gpg's private-key operation happens in gpg-agent, whose CPU time is not counted (it is tiny next
  to 10 MB of AES and SHA-1).

gpg runs twice: with its defaults (it compresses with ZLIB first) and with ``-z 0`` (no compression,
the same work mailsec does). The ratios are mailsec / gpg; the aim is 1.5x or less.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mailsec import openpgp


def timed(
    command: list[str], stdin: Path, stdout: Path, env: dict[str, str]
) -> tuple[float, float]:
    """Run ``command`` with files on stdin/stdout; return (wall seconds, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with stdin.open("rb") as source, stdout.open("wb") as sink:
        subprocess.run(
            command,
            stdin=source,
            stdout=sink,
            stderr=subprocess.DEVNULL,
            env=env,
            check=True,
            timeout=600,
        )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(rounds: int, *args: object) -> tuple[float, float]:
    runs = [timed(*args) for _ in range(rounds)]  # type: ignore[arg-type]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main(rounds: int = 5, megabytes: int = 10) -> int:
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
        message = work / "message"
        message.write_bytes(os.urandom(megabytes * 1_000_000))
        mailsec = [sys.executable, "-m", "mailsec", "sop"]
        gpg_base = [gpg, "--batch", "--quiet", "--trust-model", "always"]
        steps = {
            "mailsec": (
                [*mailsec, "encrypt", "--no-armor", str(work / "cert")],
                [*mailsec, "decrypt", str(work / "key")],
            ),
            "gpg (defaults: ZLIB)": (
                [*gpg_base, "--encrypt", "-r", key.fingerprint],
                [*gpg_base, "--decrypt"],
            ),
            "gpg -z 0": (
                [*gpg_base, "-z", "0", "--encrypt", "-r", key.fingerprint],
                [*gpg_base, "--decrypt"],
            ),
        }
        results: dict[str, dict[str, tuple[float, float]]] = {}
        try:
            for name, (encrypt, decrypt) in steps.items():
                encrypted, decrypted = work / f"{name}.pgp", work / f"{name}.out"
                encrypted, decrypted = (
                    work / re.sub(r"\W", "_", encrypted.name),
                    work / re.sub(r"\W", "_", decrypted.name),
                )
                timed(encrypt, message, encrypted, env)  # warm the page cache and the agent
                results[name] = {
                    "encrypt": median_of(rounds, encrypt, message, encrypted, env),
                    "decrypt": median_of(rounds, decrypt, encrypted, decrypted, env),
                }
                if decrypted.read_bytes() != message.read_bytes():
                    print(f"{name}: the round trip did not give the message back!")
                    return 1
            # The fixed cost of starting the process: Python, imports, the SOP parser.
            startup = median_of(
                rounds, [*mailsec, "version"], Path(os.devnull), work / "version", env
            )
        finally:
            subprocess.run(
                ["gpgconf", "--kill", "gpg-agent"],
                env=env,
                capture_output=True,
                check=False,
                timeout=30,
            )
    # Where mailsec's time goes: the same work in-process, without starting a process.
    data = os.urandom(megabytes * 1_000_000)
    inside = {"encrypt": [], "decrypt": []}
    for _ in range(rounds):
        start = time.perf_counter()
        sealed = openpgp.encrypt(data, [key.public], armor=False)
        middle = time.perf_counter()
        opened = openpgp.decrypt(sealed, [key])
        inside["encrypt"].append(middle - start)
        inside["decrypt"].append(time.perf_counter() - middle)
        assert opened.plaintext == data
    print(f"{megabytes} MB random message, Ed25519/Curve25519 key, median of {rounds} runs")
    for name, figures in results.items():
        for step, (wall, cpu) in figures.items():
            print(f"  {name:<22} {step:<8} wall {wall * 1000:7.0f} ms   cpu {cpu * 1000:7.0f} ms")
    for step, seconds in inside.items():
        print(
            f"  mailsec in-process     {step:<8} {statistics.median(seconds) * 1000:7.0f} ms (no start-up)"
        )
    print(
        f"  mailsec start-up only  version  wall {startup[0] * 1000:7.0f} ms   cpu {startup[1] * 1000:7.0f} ms"
    )
    ours = results["mailsec"]
    for peer in ("gpg (defaults: ZLIB)", "gpg -z 0"):
        for step in ("encrypt", "decrypt"):
            wall = ours[step][0] / results[peer][step][0]
            cpu = ours[step][1] / max(results[peer][step][1], 1e-6)
            print(f"ratio mailsec / {peer} {step}: wall {wall:.2f}x, cpu {cpu:.2f}x (aim <= 1.5x)")
    return 0


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    sys.exit(main(*arguments))
