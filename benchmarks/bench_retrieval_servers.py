"""Retrieving 1,000 messages of 10 KB through the real POP3 and IMAP4 servers, beside Dovecot.

Run: python benchmarks/bench_retrieval_servers.py [messages] [kilobytes]

Both servers get a Maildir holding the same messages. The standard clients then download every
message, one command per message, as a mail client does: ``poplib`` with ``RETR n`` and
``imaplib`` with ``UID FETCH uid (BODY.PEEK[])``. Login and listing are included. Messages per
second, best of 3 rounds, for mailsec and for a private Dovecot started in the same run, and the
ratio (mailsec / Dovecot; above 1 means mailsec is faster). Dovecot is skipped with a note when
it is not installed.

Then the wire lab's callbacks: every client action of ``wire_lab()`` run 10 times through its
Run button, with the 95th percentile of ``lab.timings`` against the 50 ms budget.
"""

from __future__ import annotations

import imaplib
import mailbox
import poplib
import random
import sys
import tempfile
import time
from pathlib import Path

from mailsec.labs.frame import percentile
from mailsec.labs.retrieval_wire import wire_lab
from mailsec.retrieval.servers import DovecotServers, MailServers, WireAction

ROUNDS = 3


def make_messages(count: int, size: int, rng: random.Random) -> list[bytes]:
    messages = []
    for i in range(count):
        header = f"From: sender{i}@example.org\nTo: alice@example.org\nSubject: message {i}\n\n"
        lines, total = [], len(header)
        while total < size:
            line = "".join(rng.choice("abcdefghij klmnopqrstuvwxyz") for _ in range(76))
            lines.append(line)
            total += 77
        messages.append((header + "\n".join(lines) + "\n").encode())
    return messages


def pop3_round(host: str, port: int, count: int) -> float:
    start = time.perf_counter()
    client = poplib.POP3(host, port, timeout=60)
    client.user("alice")
    client.pass_("secret")
    number, _size = client.stat()
    assert number == count, (number, count)
    for n in range(1, number + 1):
        client.retr(n)
    client.quit()
    return time.perf_counter() - start


def imap_round(host: str, port: int, count: int) -> float:
    start = time.perf_counter()
    client = imaplib.IMAP4(host, port, timeout=60)
    client.login("alice", "secret")
    client.select("INBOX", readonly=True)
    uids = client.uid("SEARCH", "ALL")[1][0].split()
    assert len(uids) == count, len(uids)
    for uid in uids:
        typ, _data = client.uid("FETCH", uid, "(BODY.PEEK[])")
        assert typ == "OK"
    client.logout()
    return time.perf_counter() - start


def best_rate(fn, host: str, port: int, count: int) -> float:  # type: ignore[no-untyped-def]
    return count / min(fn(host, port, count) for _ in range(ROUNDS))


def main(argv: list[str]) -> int:
    count = int(argv[1]) if len(argv) > 1 else 1000
    size = int(argv[2]) * 1024 if len(argv) > 2 else 10 * 1024
    messages = make_messages(count, size, random.Random(1))
    print(
        f"Retrieving {count} messages of {size // 1024} KB, one command per message, best of {ROUNDS}."
    )
    with tempfile.TemporaryDirectory() as tmp:
        maildir = Path(tmp) / "Maildir"
        box = mailbox.Maildir(maildir, create=True)
        for data in messages:
            box.add(data)
        rates: dict[tuple[str, str], float] = {}
        with MailServers(maildir=maildir, user="alice", password="secret") as ours:
            rates["mailsec", "POP3"] = best_rate(pop3_round, ours.host, ours.pop3_port, count)
            rates["mailsec", "IMAP"] = best_rate(imap_round, ours.host, ours.imap_port, count)
        if DovecotServers.available():
            with DovecotServers(user="alice", password="secret", messages=messages) as dovecot:
                rates["Dovecot", "POP3"] = best_rate(
                    pop3_round, dovecot.host, dovecot.pop3_port, count
                )
                rates["Dovecot", "IMAP"] = best_rate(
                    imap_round, dovecot.host, dovecot.imap_port, count
                )
        else:
            print("Dovecot is not installed (dovecot-imapd, dovecot-pop3d): no comparison.")
    print(f"{'protocol':<9}{'mailsec msg/s':>15}{'Dovecot msg/s':>15}{'ratio':>8}")
    for protocol in ("POP3", "IMAP"):
        ours_rate = rates["mailsec", protocol]
        theirs = rates.get(("Dovecot", protocol))
        ratio = f"{ours_rate / theirs:.2f}" if theirs else "-"
        shown = f"{theirs:,.0f}" if theirs else "-"
        print(f"{protocol:<9}{ours_rate:>15,.0f}{shown:>15}{ratio:>8}")
    print("ratio = mailsec / Dovecot (above 1: mailsec is faster)")
    lab_latency()
    return 0


def lab_latency(rounds: int = 10) -> None:
    lab = wire_lab()
    try:
        lab.timings.clear()
        for _ in range(rounds):
            for action in WireAction:
                lab.action_picker.value = action
                lab.run_button.click()
            lab.reset_button.click()
        assert not lab.error.value, lab.error.value
        p95 = percentile(lab.timings, 95) * 1000
        p50 = percentile(lab.timings, 50) * 1000
        verdict = "within" if p95 < 50 else "OVER"
        print(
            f"Wire lab: {len(lab.timings)} callbacks, median {p50:.1f} ms, 95th percentile "
            f"{p95:.1f} ms ({verdict} the 50 ms budget)"
        )
    finally:
        lab.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
