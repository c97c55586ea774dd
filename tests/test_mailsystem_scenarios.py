"""Chapter 09: every scenario end to end over real sockets, with the verdicts its sources predict.

One system per preset is shared by the module (starting one takes a fifth of a second; the
scenarios leave no state behind that another depends on: each message has its own Message-ID).
Each expectation names where it comes from.
"""

from __future__ import annotations

import pytest

from mailsec.mailsystem import Control, Defences, MailSystem, Mark
from mailsec.mailsystem.scenarios import SCENARIOS, run_scenario

S, N, P, B = Mark.STOPPED, Mark.NOTICED, Mark.PASSED, Mark.BLIND
ORDER = (Control.OP25B, Control.SPF, Control.DKIM, Control.DMARC, Control.ARC, Control.TLS,
         Control.SMIME)  # fmt: skip

#: Under the recommended defences (everything on): scenario → (defended, stopped by, marks in
#: ORDER), and where the expectation comes from.
RECOMMENDED = {
    # RFC 6409 submission passes OP25B (RFC 5068 §3); aligned SPF and DKIM pass DMARC (RFC 7489
    # §4.2); IMAPS (RFC 8314 §3); the S/MIME signature verifies after decryption (RFC 8551 §3.7).
    "normal": (True, None, (P, P, P, P, B, P, P)),
    # RFC 5068 §3: ISP A's edge drops port 25 from its dynamic pool; nothing else sees it.
    "bot-port25": (True, Control.OP25B, (S, B, B, B, B, B, B)),
    # RFC 7208 §2.6.4 fail (not the bank's server), no signature, DMARC p=reject (RFC 7489 §6.6.4).
    "rented-server": (True, Control.DMARC, (B, N, B, S, B, B, B)),
    # RFC 7489 §3.1: SPF and DKIM pass for evil.example, neither is aligned with From:.
    "lookalike-domain": (True, Control.DMARC, (B, P, P, S, B, B, B)),
    # RFC 6376 §3.7: the body hash fails; SPF still passes and is aligned, so DMARC passes; the
    # S/MIME signature fails at the reader (RFC 8551 §2.5). Nothing stops it.
    "tampered": (False, None, (P, P, N, P, B, P, N)),
    # RFC 7208 §10.3: forwarding breaks SPF; the untouched DKIM signature carries DMARC.
    "forwarded": (True, None, (P, N, P, P, B, P, B)),
    # RFC 8617 §7.2 / RFC 7489 §7.2.1.2: the list breaks DKIM; its trusted ARC seal is used.
    "mailing-list": (True, None, (P, P, N, N, P, P, B)),
    # RFC 8314 §3: POP3 over TLS from the first byte; the wiretap sees only records.
    "pop3-eavesdrop": (True, Control.TLS, (B, B, B, B, B, S, B)),
    # RFC 2595 §2.2: a client that requires STLS stops when the offer is stripped.
    "starttls-strip": (True, Control.TLS, (B, B, B, B, B, S, B)),
    # RFC 5321 §4.5.4.1 retries, RFC 3464 bounce; the message never reached the checks.
    "mailbox-full": (True, None, (P, B, B, B, B, B, B)),
    # RFC 8551 §3.3: without Bob's key nothing of the content can be read.
    "reader-without-key": (True, Control.SMIME, (P, P, P, P, B, P, S)),
}

#: With every defence off: every attack gets through, all legitimate mail arrives.
NOTHING = {
    "bot-port25": "The message is in Bob's INBOX.",
    "rented-server": "The message is in Bob's INBOX.",
    "lookalike-domain": "The message is in Bob's INBOX.",
    "tampered": "The message is in Bob's INBOX.",
    "pop3-eavesdrop": "The eavesdropper read Bob's password off the wire (No TLS).",
    "starttls-strip": "The eavesdropper read Bob's password off the wire "
    "(Use TLS if available (STARTTLS when offered)).",
    "reader-without-key": "Read as plain text: anyone with the mailbox password reads it.",
}


@pytest.fixture(scope="module")
def recommended():
    with MailSystem() as system:
        yield system


@pytest.fixture(scope="module")
def nothing():
    with MailSystem(Defences.preset("nothing")) as system:
        yield system


def test_every_scenario_has_an_expectation() -> None:
    assert {s.name for s in SCENARIOS} == set(RECOMMENDED)


@pytest.mark.parametrize("name", list(RECOMMENDED))
def test_recommended_defences(recommended, name: str) -> None:
    defended, stopper, marks = RECOMMENDED[name]
    run = run_scenario(recommended, name)
    got = tuple(run.verdict(c).mark for c in ORDER)
    assert got == marks, [(c.value, m.value) for c, m in zip(ORDER, got, strict=True)]
    assert run.defended is defended
    assert run.stopped_by is stopper
    assert run.events and run.lanes
    lanes = {lane.id for lane in run.lanes}
    for event in run.events:  # every arrow and note sits on a lane the diagram draws
        assert event.source in lanes, event
        assert event.target is None or event.target in lanes, event
        if event.transcript is not None:
            assert 0 <= event.transcript < len(run.transcripts)


@pytest.mark.parametrize("name", list(NOTHING))
def test_without_defences_every_attack_gets_through(nothing, name: str) -> None:
    run = run_scenario(nothing, name)
    assert run.attack and not run.defended and run.stopped_by is None
    assert run.outcome == NOTHING[name]
    assert run.outcome.endswith("."), "the defence lab puts a sentence after it"
    assert all(v.mark is Mark.OFF for v in run.verdicts)


@pytest.mark.parametrize("name", ["normal", "forwarded", "mailing-list", "mailbox-full"])
def test_without_defences_legitimate_mail_still_arrives(nothing, name: str) -> None:
    assert run_scenario(nothing, name).defended


def test_the_mx_writes_authentication_results_on_top(recommended) -> None:
    """RFC 8601 §5: the receiving MX adds its Authentication-Results above what it received."""
    run = run_scenario(recommended, "forwarded")
    newest = run.headers[-1]
    assert newest.hop == "mx.example.com"
    assert newest.fields[0].startswith("Authentication-Results: mx.example.com;")
    assert "spf=fail" in newest.fields[0] and "dkim=pass" in newest.fields[0]
    hops = [stage.hop for stage in run.headers]
    # The author's fields, then the submission server, the bank's signature, the university,
    # and example.com's MX: oldest first (RFC 5321 §4.4).
    assert hops == [
        "the author's mail client", "smtp.bank.example", "bank.example",
        "mx.university.example", "mx.example.com",
    ]  # fmt: skip


def test_the_list_adds_an_arc_set(recommended) -> None:
    """RFC 8617 §4.1: the list's three ARC fields sit above the fields it received."""
    run = run_scenario(recommended, "mailing-list")
    by_hop = {stage.hop: stage.fields for stage in run.headers}
    names = sorted(f.split(":", 1)[0].lower() for f in by_hop["lists.example"])
    assert names == ["arc-message-signature", "arc-seal"]
    assert any(
        f.startswith("ARC-Authentication-Results: i=1;") for f in by_hop["mail.lists.example"]
    )


def test_the_submission_hop_is_inside_tls_and_masks_the_password(recommended) -> None:
    """RFC 8314 §3 / RFC 4954 §4: AUTH only after STARTTLS; the transcript does not show it."""
    run = run_scenario(recommended, "normal")
    submission = run.transcripts[0]
    assert submission.tls and submission.protocol == "SMTP"
    texts = [line.text for line in submission.lines]
    assert texts.index("STARTTLS") < next(i for i, t in enumerate(texts) if t.startswith("AUTH"))
    assert not any("alice-course-password" in t for t in texts)


def test_a_full_mailbox_defers_then_returns_the_message(recommended) -> None:
    """RFC 5321 §4.5.4.1: a 4xx keeps the message queued; after the last try a DSN goes back to
    the sender (RFC 3464) and the message is not silently lost."""
    run = run_scenario(recommended, "mailbox-full")
    replies = [e.label for e in run.events if e.source == "mx" and e.target == "bank-out"]
    assert len(replies) == 3 and all(r.startswith("452 4.2.2") for r in replies)
    returned = recommended.mailboxes.messages("alice@bank.example")
    report = returned[-1]
    assert b"multipart/report; report-type=delivery-status" in report
    assert b"Status: 4.2.2" in report and b"Final-Recipient: rfc822; bob@example.com" in report
    assert recommended.mailboxes.usage("bob@example.com") < recommended.mailboxes.quota // 2


def test_tampering_changes_only_the_account_number(recommended) -> None:
    run = run_scenario(recommended, "tampered")
    notes = [e.label for e in run.events if e.source == "eve" and e.target is None]
    assert "removed the STARTTLS line from the server's EHLO reply" in notes
    assert "changed the message in transit: '1234-5678' became '6666-0000'" in notes
    stored = [m for m in recommended.mailboxes.messages("bob@example.com") if b"Fee payment" in m]
    assert stored and all(b"6666-0000" in m and b"1234-5678" not in m for m in stored)


def test_quarantine_files_the_forgery_in_junk() -> None:
    """RFC 7489 §6.6.4 with p=quarantine: the MX accepts and files the message as suspicious
    (in Junk, RFC 6154's folder); DMARC noticed it, but nothing stopped it."""
    with MailSystem(Defences(dmarc="quarantine")) as system:
        run = run_scenario(system, "rented-server")
        assert run.outcome == "The message is in Bob's Junk."
        assert run.verdict(Control.DMARC).mark is Mark.NOTICED
        assert not run.defended and run.stopped_by is None
        junk = system.mailboxes.messages("bob@example.com", "Junk")
        assert len(junk) == 1 and b"dmarc=fail" in junk[0]


def test_the_campaign_matrix_is_each_runs_verdicts() -> None:
    from mailsec.mailsystem.campaign import run_campaign

    seen = []
    campaign = run_campaign(Defences.preset("no-arc"), progress=seen.append)
    assert (
        [run.name for run in campaign.runs]
        == [s.name for s in SCENARIOS]
        == [run.name for run in seen]
    )
    for run in campaign.runs:
        for control in Control:
            assert campaign.mark(run, control) is run.verdict(control).mark
    # Without ARC the list's message is rejected by the bank's p=reject (RFC 7489 §6.6.4): a
    # legitimate message lost, which the score counts.
    lost = [run.name for run in campaign.legitimate if not run.defended]
    assert lost == ["mailing-list"]
    assert (campaign.stopped, len(campaign.attacks)) == (6, 7)
    assert (campaign.delivered, len(campaign.legitimate)) == (3, 4)
