"""Latency of chapter 06's lab callbacks (p50, p95), beside the work they wrap done bare.

Run: python benchmarks/bench_pgp_lab.py [rounds]

Every control of the three widget labs is changed through its values, ``rounds`` times; the lab
frame times each callback into ``lab.timings``. The course's aim is p95 under 50 ms.

Peers, printed as ratios:

- trust lab: GnuPG computing validity for the same graph (``gpg --check-trustdb`` followed by
  ``gpg --list-keys --with-colons``, two whole processes, as a user would run them), when gpg is
  installed;
- message lab: the bare OpenPGP work without MIME, tampering or HTML (mailsec.openpgp encrypt and
  sign for Bob, Bob decrypts and verifies);
- comparison lab: the bare signatures (OpenPGP detached sign + verify, S/MIME sign + verify);
  the lab also encrypts both ways when "encrypt for Bob" is picked.

Keys are generated once, before timing, as the labs do. The message and comparison labs keep the
mails they sent for the current text (changing a checkbox or the reader reuses them); every round
here types new texts, so the expensive callbacks are measured every round.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mailsec import openpgp, smime
from mailsec.labs.frame import percentile
from mailsec.labs.pgp import compare_lab, make_people, message_lab, trust_lab
from mailsec.openpgp.pgpmime import Protection, Tamper
from mailsec.openpgp.trust import OwnerTrust
from mailsec.pki import course_pki

TEXTS = ("Short.", "Hi Bob, the meeting moves to room 4B. " * 20, "日本語のメールです。" * 30)


def report(
    name: str, seconds: list[float], peer: list[float] | None = None, peer_name: str = ""
) -> float:
    ms = [t * 1000 for t in seconds]
    p95 = percentile(ms, 95)
    line = f"{name}: {len(ms)} callbacks, p50 {percentile(ms, 50):.2f} ms, p95 {p95:.2f} ms (aim < 50 ms)"
    if peer:
        peer_p95 = percentile([t * 1000 for t in peer], 95)
        line += f"; {peer_name} p95 {peer_p95:.2f} ms, ratio {p95 / peer_p95:.2f}x"
    print(line)
    return p95


def gpg_trust_peer(rounds: int) -> list[float]:
    """gpg computing the friends scenario's validity: keys made once, trustdb checked each round."""
    gpg = shutil.which("gpg")
    if gpg is None:
        print("  (gpg is not installed: the trust lab has no peer in this run)")
        return []
    root = Path(tempfile.mkdtemp(prefix="bwot", dir="/tmp"))
    home = root / "h"
    home.mkdir(mode=0o700)

    def run(*args: str, stdin: bytes = b"") -> bytes:
        return subprocess.run(
            [
                gpg,
                "--homedir",
                str(home),
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                *args,
            ],
            input=stdin,
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout

    try:
        lab = trust_lab()
        fpr: dict[str, str] = {}
        for key in lab.web.keys:
            run(
                "--faked-system-time",
                f"{int(time.time()) - 3600}!",
                "--quick-gen-key",
                f"{key.name} <{key.name.lower()}@example.org>",
                "ed25519",
                "cert",
                "0",
            )
        current = None
        for line in run("--list-keys", "--with-colons").decode().splitlines():
            fields = line.split(":")
            if fields[0] == "pub":
                current = None
            elif fields[0] == "fpr" and current is None:
                current = fields[9]
            elif fields[0] == "uid" and current:
                fpr[fields[9].split()[0]] = current
        for cert in lab.web.certifications:
            run("-u", fpr[cert.signer], "--quick-sign-key", fpr[cert.signee])
        trust = "".join(f"{fpr[k.name]}:{k.owner_trust.gpg_level}:\n" for k in lab.web.keys)
        run("--import-ownertrust", stdin=trust.encode())
        times = []
        for _ in range(rounds * 4):
            start = time.perf_counter()
            run("--trust-model", "classic", "--check-trustdb")
            run("--trust-model", "classic", "--list-keys", "--with-colons")
            times.append(time.perf_counter() - start)
        return times
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


def bare_openpgp(people, text: bytes) -> float:
    start = time.perf_counter()
    alice, bob = people["Alice"], people["Bob"]
    sealed = openpgp.encrypt(text, [bob.public], sign_with=[alice])
    openpgp.decrypt(sealed, [bob], verify_with=[alice.public])
    return time.perf_counter() - start


def bare_signatures(alice, pki, text: bytes) -> float:
    start = time.perf_counter()
    signature = openpgp.sign(text, alice)
    openpgp.verify(text, signature, [alice.public])
    mail = b"From: alice@example.org\r\nContent-Type: text/plain\r\n\r\n" + text
    signed = smime.sign_message(mail, key=pki.alice.key, certificate=pki.alice.certificate)
    smime.verify_message(signed, trusted=[pki.ca.certificate])
    return time.perf_counter() - start


def main(rounds: int = 5) -> int:
    people = make_people()
    worst = 0.0

    lab = trust_lab()
    lab.timings.clear()
    for _ in range(rounds):
        for scenario in ("friends", "ca", "empty", "friends"):
            lab.scenario.value = scenario
        for name in list(lab.trust):
            for level in OwnerTrust:
                lab.trust[name].value = level
            lab.revoked[name].value = True
            lab.revoked[name].value = False
            lab.expired[name].value = True
            lab.expired[name].value = False
        names = list(lab.trust)
        for signer in names:
            for signee in names:
                lab.signer.value, lab.signee.value = signer, signee
                lab.certify_button.click()
                lab.revoke_button.click()
                lab.certify_button.click()
        for value in (2, 3, 1):
            lab.completes.value = value
            lab.marginals.value = value + 1
            lab.depth.value = value + 2
    worst = max(
        worst,
        report(
            "trust lab",
            list(lab.timings),
            gpg_trust_peer(rounds),
            "gpg --check-trustdb + --list-keys",
        ),
    )

    lab = message_lab(people)
    lab.timings.clear()
    peer = []
    for round_ in range(rounds):
        for text in TEXTS:
            text = f"{text} ({round_})"  # a new text every round: the labs' caches do not help
            lab.text.value = text
            peer.append(bare_openpgp(people, text.encode()))
            for protection in Protection:
                lab.protection.value = protection
                for tamper in [t for _label, t in lab.tamper.options]:
                    lab.tamper.value = tamper
                    for reader in ("Bob", "Carol", "Alice"):
                        lab.reader.value = reader
                lab.tamper.value = Tamper.NOTHING
    worst = max(
        worst,
        report("message lab", list(lab.timings), peer, "bare OpenPGP encrypt+sign, decrypt+verify"),
    )

    lab = compare_lab(people["Alice"], course_pki(), people["Bob"])
    lab.timings.clear()
    peer = []
    for round_ in range(rounds):
        for text in TEXTS:
            text = f"{text} ({round_})"
            lab.text.value = text
            peer.append(bare_signatures(people["Alice"], lab.pki, text.encode()))
            for action in ("sign", "encrypt"):
                lab.action_picker.value = action
                for box in (lab.change, lab.has_key, lab.trusts_ca):
                    box.value = not box.value
                    box.value = not box.value
    worst = max(
        worst,
        report("comparison lab", list(lab.timings), peer, "bare OpenPGP + S/MIME sign and verify"),
    )
    return 0 if worst < 50 else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
