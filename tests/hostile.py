"""A hostile-input corpus for the command line, and a runner that feeds it in one process.

``python tests/hostile.py GROUP WORKDIR`` builds the inputs of one group of entry points (seeded,
so every run sees the same corpus), runs each through :func:`mailsec.__main__.main` in this
process, and prints one JSON line: how many cases ran, and every case that broke a rule:

- an exception that escaped ``main`` (a traceback a user would see), or exit status 70;
- an error that did not end with exactly one line on standard error (a verdict on standard output,
  such as a lint finding or a failed check, may come with a non-zero status and no error line);
- a case slower than :data:`CASE_SECONDS`.

``tests/test_hostile_inputs.py`` starts one runner per group and also bounds its peak memory.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import random
import resource
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

CASE_SECONDS = 15.0
"""A guard against a hang or a blow-up (a backtracking pattern, a quadratic loop), not a speed
test: a case takes milliseconds, and the bound must hold on a loaded two-core machine too."""
SEED = 20261206


# -- mutations ------------------------------------------------------------------------------------


def mutations(sample: bytes, rng: random.Random, count: int) -> Iterator[bytes]:
    """``count`` damaged copies of ``sample``: cut, flipped, inserted, deleted, doubled, noise."""
    for _ in range(count):
        data = bytearray(sample)
        kind = rng.randrange(8)
        at = rng.randrange(len(data) + 1)
        if kind == 0:
            data = data[:at]
        elif kind == 1 and data:
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 2:
            data[at:at] = rng.randbytes(rng.randint(1, 64))
        elif kind == 3:
            del data[at : at + rng.randint(1, 200)]
        elif kind == 4:
            data[at:at] = data[at : at + rng.randint(1, 400)] * rng.randint(2, 20)
        elif kind == 5:
            data[at:at] = b"\x00" * rng.randint(1, 16)
        elif kind == 6:
            data += rng.randbytes(rng.randint(1, 300))
        else:
            data[at:at] = b"\r\n" + b"=" * rng.randint(1, 80) + b"\r\n"
        yield bytes(data)


def nasties() -> list[bytes]:
    """Inputs written to hurt: empty, binary, a megabyte with no line end, deep nesting, a huge
    header, a header line folded thousands of times, broken base64 and armor."""
    deep = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(3000)
    )
    return [
        b"",
        b"\x00" * 1000,
        bytes(range(256)) * 64,
        b"A" * (1024 * 1024),
        b"From: a@example.org\r\nSubject: deep\r\n" + deep + b"\r\n\r\nx",
        b"From: a@example.org\r\nSubject: " + b"S" * (2 * 1024 * 1024) + b"\r\n\r\nx\r\n",
        b"From: a@example.org\r\nSubject: x" + b"\r\n y" * 200_000 + b"\r\n\r\nbody\r\n",
        b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + b"!!!!not base64!!!!\r\n" * 100,
        b"-----BEGIN PGP MESSAGE-----\n\n" + base64.b64encode(b"\xff" * 3000) + b"\n=AAAA\n"
        b"-----END PGP MESSAGE-----\n",
        b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + b"- " * 50_000,
    ]


# -- the groups -----------------------------------------------------------------------------------


class Case:
    def __init__(self, name: str, argv: list[str], stdin: bytes = b"") -> None:
        self.name, self.argv, self.stdin = name, argv, stdin


def _smime_cases(work: Path, rng: random.Random) -> list[Case]:
    from mailsec.pki import course_pki
    from mailsec.smime import encrypt_message, sign_message

    pki = course_pki()
    for name, identity in (("alice", pki.alice), ("bob", pki.bob), ("ca", pki.ca)):
        (work / f"{name}.pem").write_bytes(identity.certificate_pem())
        (work / f"{name}.key.pem").write_bytes(identity.key_pem())
    mail = (
        b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: Lunch\r\n"
        b"\r\nSee you at noon.\r\n"
    )
    signed = sign_message(mail, key=pki.alice.key, certificate=pki.alice.certificate)
    sealed = encrypt_message(signed, [pki.bob.certificate])
    cbc = encrypt_message(mail, [pki.bob.certificate], cipher=_cbc())
    verify = ["smime", "verify", "--ca", str(work / "ca.pem")]
    decrypt = [
        "smime",
        "decrypt",
        "--key",
        str(work / "bob.key.pem"),
        "--cert",
        str(work / "bob.pem"),
    ]
    sign = [
        "smime",
        "sign",
        "--key",
        str(work / "alice.key.pem"),
        "--cert",
        str(work / "alice.pem"),
    ]
    encrypt = ["smime", "encrypt", "--recipient", str(work / "bob.pem")]
    cases = []
    for argv, sample in (
        (verify, signed),
        (decrypt, sealed),
        (decrypt, cbc),
        (sign, mail),
        (encrypt, mail),
    ):
        for i, data in enumerate([*mutations(sample, rng, 40), *nasties()]):
            cases.append(Case(f"{argv[1]} #{i}", argv, data))
    cert = pki.alice.certificate_pem()
    for i, data in enumerate([*mutations(cert, rng, 30), *nasties()[:4]]):
        path = work / f"hostile-{i}.pem"
        path.write_bytes(data)
        cases.append(
            Case(f"pki show #{i}", ["pki", "show", str(path), "--ca", str(work / "ca.pem")])
        )
    return cases


def _cbc():  # type: ignore[no-untyped-def]
    from mailsec.smime import ContentCipher

    return ContentCipher.AES256_CBC


def _spf_cases(work: Path, rng: random.Random) -> list[Case]:
    from mailsec.spf.zone import example_zone_text

    record = "v=spf1 ip4:192.0.2.0/24 a:mail.%{d} mx include:_spf.example.com exists:%{i}.x.%{d} -all exp=why.%{d}"
    cases = []
    for i, data in enumerate(mutations(record.encode(), rng, 60)):
        text = data.decode("utf-8", "replace").replace("\x00", "")
        cases.append(Case(f"spf lint #{i}", ["spf", "lint", text, "--zone", "example"]))
    zone = example_zone_text().encode()
    for i, data in enumerate([*mutations(zone, rng, 40), *nasties()[:4]]):
        path = work / f"zone-{i}.txt"
        path.write_bytes(data)
        argv = ["spf", "check", "--ip", "192.0.2.10", "--mail-from", "alice@example.com",
                "--helo", "mail.example.com", "--zone", str(path)]  # fmt: skip
        cases.append(Case(f"spf check zone #{i}", argv))
    for i, data in enumerate(mutations(b"alice@example.com", rng, 30)):
        sender = data.decode("utf-8", "replace").replace("\x00", "")
        argv = ["spf", "check", "--ip", "192.0.2.10", "--mail-from", sender, "--helo", "x.example",
                "--zone", "example"]  # fmt: skip
        cases.append(Case(f"spf check sender #{i}", argv))
    return cases


def _sop_cases(work: Path, rng: random.Random) -> list[Case]:
    from mailsec import openpgp

    alice = openpgp.generate_key("Alice <alice@example.org>")
    (work / "alice.key").write_bytes(alice.to_bytes(armor=True))
    (work / "alice.cert").write_bytes(alice.public.to_bytes(armor=True))
    message = openpgp.encrypt(
        b"The documents are in the blue folder.", [alice.public], sign_with=[alice]
    )
    signed = openpgp.clearsign(b"Pay invoice 17.\n", alice)
    detached = openpgp.sign(b"data", alice)
    (work / "data").write_bytes(b"data")
    samples = {
        "decrypt": (["sop", "decrypt", str(work / "alice.key")], message),
        "inline-verify": (["sop", "inline-verify", str(work / "alice.cert")], signed),
        "dearmor": (["sop", "dearmor"], message),
        "list-packets": (["sop", "list-packets", str(work / "alice.key")], message),
        "extract-cert": (["sop", "extract-cert"], alice.to_bytes(armor=True)),
    }
    from test_openpgp_bombs import marker_flood, nested_bomb

    bombs = [nested_bomb(), marker_flood()]
    cases = []
    for name, (argv, sample) in samples.items():
        for i, data in enumerate([*mutations(sample, rng, 40), *nasties(), *bombs]):
            cases.append(Case(f"{name} #{i}", argv, data))
    for i, data in enumerate([*mutations(detached, rng, 30), *nasties()[:4]]):
        path = work / f"sig-{i}"
        path.write_bytes(data)
        argv = ["sop", "verify", str(path), str(work / "alice.cert")]
        cases.append(Case(f"verify #{i}", argv, b"data"))
    return cases


def _text(data: bytes) -> str:
    """A command-line argument made of ``data`` (an argument cannot hold NUL)."""
    return data.decode("utf-8", "replace").replace("\x00", "")


def _op25b_cases(work: Path, rng: random.Random) -> list[Case]:
    valid = {
        "--from": "home-pc",
        "--to": "provider-smtp",
        "--port": "587",
        "--user": "hanako",
        "--password": "secret",
        "--mail-from": "hanako@mailprovider.example",
        "--rcpt-to": "taro@isp-b.example",
    }
    cases = []
    for option, value in valid.items():
        for i, data in enumerate(mutations(value.encode(), rng, 12)):
            argv = ["op25b", "simulate"]
            for name, default in valid.items():
                argv += [name, _text(data) if name == option else default]
            if i < 2:  # a few go over real SMTP on 127.0.0.1 as well
                argv += ["--replay", "--drop-timeout", "0.5", "--maildir", str(work / "mail")]
            cases.append(Case(f"op25b simulate {option} #{i}", argv))
    for i, data in enumerate(mutations(b"user-submission-587", rng, 20)):
        cases.append(Case(f"op25b scenarios #{i}", ["op25b", "scenarios", "--run", _text(data)]))
    for i, data in enumerate(mutations(b"2", rng, 10)):
        argv = ["op25b", "simulate", "--from", "home-pc", "--replay", "--drop-timeout", _text(data)]
        cases.append(Case(f"op25b drop-timeout #{i}", argv))
    return cases


def _serve_cases(work: Path, rng: random.Random) -> list[Case]:
    """Every case names a file as its Maildir, so even arguments that happen to be valid end in
    an error instead of servers that run until interrupted."""
    not_a_folder = work / "not-a-maildir"
    not_a_folder.write_text("a file")
    valid = {"--user": "alice", "--password": "secret", "--pop3-port": "0", "--imap-port": "0",
             "--host": "127.0.0.1", "--quota": "1000000"}  # fmt: skip
    cases = []
    for option, value in valid.items():
        for i, data in enumerate([*mutations(value.encode(), rng, 15), b"-1", b"1e9", b"::"]):
            argv = ["serve", "--maildir", str(not_a_folder)]
            for name, default in valid.items():
                argv += [name, _text(data) if name == option else default]
            cases.append(Case(f"serve {option} #{i}", argv))
    return cases


def _dkim_cases(work: Path, rng: random.Random) -> list[Case]:
    from mailsec import dkim
    from mailsec.dkim.course import course_signers, course_zone_text, sign_as

    message = (
        b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: Lunch\r\n"
        b"Date: Fri, 04 Dec 2026 09:00:00 +0900\r\n\r\nNoon?\r\n"
    )
    signed = sign_as("example.com", message)
    zone = work / "course.zone"
    zone.write_text(course_zone_text())
    key_pem = work / "dkim.pem"
    done = _run_quiet(["dkim", "keygen", "--algorithm", "ed25519-sha256", "--selector", "s",
                       "--domain", "example.com", "--out", str(key_pem)])  # fmt: skip
    assert done == 0, "dkim keygen failed while the corpus was built"
    cases = []
    for i, data in enumerate([*mutations(signed, rng, 50), *nasties()]):
        cases.append(Case(f"dkim verify #{i}", ["dkim", "verify", "--zone", str(zone)], data))
    for i, data in enumerate([*mutations(message, rng, 30), *nasties()[:4]]):
        argv = ["dkim", "sign", "--domain", "example.com", "--selector", "s", "--key", str(key_pem)]
        cases.append(Case(f"dkim sign #{i}", argv, data))
    record = dkim.key_record(course_signers()["example.com"].key)
    for i, data in enumerate(mutations(record.encode(), rng, 30)):
        path = work / f"key-zone-{i}.txt"
        path.write_text(dkim.zone_entry("mail", "example.com", _text(data).replace('"', "")) + "\n")
        cases.append(Case(f"dkim key record #{i}", ["dkim", "verify", "--zone", str(path)], signed))
    return cases


def _dmarc_cases(work: Path, rng: random.Random) -> list[Case]:
    import gzip

    from mailsec.dmarc.traffic import simulated_week

    message = (
        b"From: Bank <security@bank.example>\r\nTo: alice@example.com\r\nSubject: Locked\r\n"
        b"Date: Fri, 04 Dec 2026 09:00:00 +0900\r\n\r\nConfirm your password.\r\n"
    )
    check = ["dmarc", "check", "--ip", "203.0.113.66", "--mail-from", "x@evil.example",
             "--helo", "evil.example", "--zone", "example", "--sample", "0"]  # fmt: skip
    cases = []
    for i, data in enumerate([*mutations(message, rng, 50), *nasties()]):
        cases.append(Case(f"dmarc check #{i}", check, data))
    report = simulated_week().files[0].data
    for i, data in enumerate([*mutations(report, rng, 50), *nasties()[:4]]):
        path = work / (f"report-{i}.xml.gz" if i % 3 == 0 else f"report-{i}.xml")
        path.write_bytes(gzip.compress(data) if i % 3 == 0 else data)
        cases.append(Case(f"dmarc report #{i}", ["dmarc", "report", str(path)]))
    return cases


def _mailsystem_cases(work: Path, rng: random.Random) -> list[Case]:
    """Scenario names, presets and ports. Every ``start`` case also names an unknown service,
    so even a port that happens to be valid ends in an error instead of a system that runs
    until interrupted."""
    cases = []
    for i, data in enumerate(mutations(b"bot-port25", rng, 40)):
        cases.append(Case(f"mailsystem run #{i}", ["mailsystem", "run", _text(data)]))
    for i, data in enumerate(mutations(b"recommended", rng, 30)):
        argv = ["mailsystem", "run", "bot-port25", "--preset", _text(data)]
        cases.append(Case(f"mailsystem preset #{i}", argv))
    for i, data in enumerate([*mutations(b"mx=2525", rng, 40), b"mx=-1", b"mx=99999", b"="]):
        argv = ["mailsystem", "start", "--port", _text(data), "--port", "no-such-service=1"]
        cases.append(Case(f"mailsystem start --port #{i}", argv))
    return cases


def _run_quiet(argv: list[str]) -> int:
    """Run the command line with no input and its output discarded; its exit status."""
    with _standard_streams(b""):
        from mailsec.__main__ import main

        return main(argv)


GROUPS: dict[str, Callable[[Path, random.Random], list[Case]]] = {
    "dkim": _dkim_cases,
    "dmarc": _dmarc_cases,
    "mailsystem": _mailsystem_cases,
    "op25b": _op25b_cases,
    "serve": _serve_cases,
    "smime": _smime_cases,
    "spf": _spf_cases,
    "sop": _sop_cases,
}


# -- running --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _standard_streams(stdin: bytes) -> Iterator[tuple[io.BytesIO, io.StringIO]]:
    saved = sys.stdin, sys.stdout, sys.stderr
    out, err = io.BytesIO(), io.StringIO()
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", errors="replace")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = err
    try:
        yield out, err
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


def run_case(case: Case) -> dict | None:
    """Run one case; a dict describing the broken rule, or None when it behaved."""
    from mailsec.__main__ import main

    started = time.perf_counter()
    with _standard_streams(case.stdin) as (out, err):
        try:
            status = main(case.argv)
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 2
        except BaseException as exc:
            return {"case": case.name, "rule": "traceback", "detail": traceback.format_exc()[-1500:],
                    "type": type(exc).__name__}  # fmt: skip
        printed = bool(out.getvalue())
    seconds = time.perf_counter() - started
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    if status == 70 or any("Traceback" in line for line in lines):
        return {"case": case.name, "rule": "internal error", "detail": err.getvalue()[-1500:]}
    # A non-zero status is either a verdict printed on standard output (a lint finding, a failed
    # SPF check, no good signature) or an error: one line on standard error.
    if status != 0 and (len(lines) > 1 or (not lines and not printed)):
        return {"case": case.name, "rule": "not one line", "status": status, "detail": lines[:5]}
    if seconds > CASE_SECONDS:
        return {"case": case.name, "rule": "slow", "seconds": round(seconds, 2)}
    return None


def _own_peak_kib() -> int:
    """This process's own peak resident memory in KiB: ``VmHWM``, not ``ru_maxrss``, which for a
    process started by another (pytest) reports at least that parent's peak (Linux keeps the larger
    across fork and exec)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0])
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def main(group: str, work: Path) -> int:
    rng = random.Random(f"{SEED}-{group}")
    cases = GROUPS[group](work, rng)
    if cases:
        run_case(cases[0])  # untimed: the group's modules and catalogs are imported once
    broken = [b for b in (run_case(c) for c in cases) if b is not None]
    peak_kib = _own_peak_kib()
    print(json.dumps({"group": group, "cases": len(cases), "broken": broken, "peak_kib": peak_kib}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
