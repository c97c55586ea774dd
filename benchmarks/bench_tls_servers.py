"""POP3S and IMAPS: TLS connect, log in and fetch 100 messages of 10 KB, beside Dovecot with TLS.

Run: python benchmarks/bench_tls_servers.py [messages] [kilobytes] [--rounds N]

Both servers get the same messages and the same course certificate (issued by the course CA, which
the clients trust), and both require TLS. A round is what a mail program does when it starts: a
TLS handshake on the implicit-TLS port (RFC 8314), a login, the list of messages, and one
``RETR n`` (POP3) or ``UID FETCH uid (BODY.PEEK[])`` (IMAP) per message. The rounds alternate
(mailsec, Dovecot, mailsec ...) after one warm-up round each, so that a busy moment of the machine
falls on both; the medians and the median of the pairwise ratios of the times are printed (aim:
mailsec's time at most 1.5x Dovecot's). Dovecot is skipped with a note when it is not installed.
"""

from __future__ import annotations

import argparse
import contextlib
import imaplib
import mailbox
import poplib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_retrieval_servers import make_messages

from mailsec.retrieval.servers import DovecotServers, MailServers
from mailsec.retrieval.servers.tls import ServerTls


def pop3s_round(host: str, port: int, context, count: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    client = poplib.POP3_SSL(host, port, context=context, timeout=60)
    client.user("alice")
    client.pass_("secret")
    number, _size = client.stat()
    assert number == count, (number, count)
    for n in range(1, number + 1):
        client.retr(n)
    client.quit()
    return time.perf_counter() - start


def imaps_round(host: str, port: int, context, count: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    client = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=60)
    client.login("alice", "secret")
    client.select("INBOX", readonly=True)
    uids = client.uid("SEARCH", "ALL")[1][0].split()
    assert len(uids) == count, len(uids)
    for uid in uids:
        assert client.uid("FETCH", uid, "(BODY.PEEK[])")[0] == "OK"
    client.logout()
    return time.perf_counter() - start


def compare(fn, ours, theirs, context, count: int, rounds: int):  # type: ignore[no-untyped-def]
    fn(*ours, context, count)
    if theirs:
        fn(*theirs, context, count)
    mine, peer = [], []
    for _ in range(rounds):
        mine.append(fn(*ours, context, count))
        if theirs:
            peer.append(fn(*theirs, context, count))
    if not peer:
        return statistics.median(mine), None, None
    ratios = [a / b for a, b in zip(mine, peer, strict=True)]
    return statistics.median(mine), statistics.median(peer), statistics.median(ratios)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", type=int, nargs="?", default=100)
    parser.add_argument("kilobytes", type=int, nargs="?", default=10)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    messages = make_messages(args.messages, args.kilobytes * 1024, random.Random(1))
    tls = ServerTls.course()
    assert tls.certificate is not None
    context = tls.client_context()
    rows = {}
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        cert, key = folder / "server.pem", folder / "server.key"
        cert.write_bytes(tls.certificate.certificate_pem())
        key.write_bytes(tls.certificate.key_pem())
        box = mailbox.Maildir(folder / "Maildir", create=True)
        for data in messages:
            box.add(data)
        options = {"user": "alice", "password": "secret", "tls_certificate": cert, "tls_key": key}
        ours = stack.enter_context(
            MailServers(maildir=folder / "Maildir", pop3s_port=0, imaps_port=0, require_tls=True, **options)
        )  # fmt: skip
        dovecot = None
        if DovecotServers.available():
            dovecot = stack.enter_context(
                DovecotServers(messages=messages, require_tls=True, **options)
            )
        else:
            print("Dovecot is not installed (dovecot-imapd, dovecot-pop3d): no comparison.")
        for name, fn, port in (
            ("POP3S", pop3s_round, "pop3s_port"),
            ("IMAPS", imaps_round, "imaps_port"),
        ):
            theirs = ("localhost", getattr(dovecot, port)) if dovecot else None
            rows[name] = compare(
                fn, ("localhost", getattr(ours, port)), theirs, context, args.messages, args.rounds
            )
    print(
        f"TLS connect + log in + fetch {args.messages} messages of {args.kilobytes} KB, "
        f"medians of {args.rounds} alternating rounds"
    )
    print(f"{'protocol':<9}{'mailsec':>10}{'Dovecot':>10}{'time ratio':>12}")
    for name, (mine, theirs, ratio) in rows.items():
        shown = f"{theirs * 1000:.0f} ms" if theirs else "-"
        print(f"{name:<9}{mine * 1000:>7.0f} ms{shown:>10}{f'{ratio:.2f}x' if ratio else '-':>12}")
    print(
        "time ratio = median of mailsec's time / Dovecot's in each pair of rounds (aim: 1.5x or less)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
