"""Chapter 09's renderer: the sequence diagram, header block, transcripts, verdicts and matrix.

The runs are built by hand (frozen dataclasses of :mod:`mailsec.mailsystem.timeline`).
``python tests/test_render_mailsystem.py`` writes a sample page to /tmp/render_mailsystem.html
to look at in a browser.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from mailsec.mailsystem.timeline import (
    Campaign,
    Control,
    Event,
    HeaderStage,
    Lane,
    Mark,
    ScenarioRun,
    Transcript,
    TranscriptLine,
    Verdict,
)
from mailsec.render.defence import defence_matrix
from mailsec.render.mailsystem import (
    MAX_LABEL_CHARS,
    header_block,
    scenario_html,
    sequence_diagram,
    transcript_view,
    verdict_table,
)
from mailsec.trace import Outcome

SVG = "{http://www.w3.org/2000/svg}"
LONG_B64 = "b=" + "A1b2C3d4" * 40

LANES = (
    Lane("attacker", "Attacker's VPS", "203.0.113.9", attacker=True),
    Lane("bank-out", "Bank's outbound MTA", "out.bank.example 192.0.2.41"),
    Lane("mx", "Receiving MX", "mx.example.com 198.51.100.25"),
    Lane("imap", "IMAP server", "imap.example.com"),
    Lane("taro", "Taro's mail program"),
)


def _verdicts(**marks: Mark) -> tuple[Verdict, ...]:
    return tuple(
        Verdict(
            control,
            marks.get(control.value, Mark.PASSED),
            f"{control.label}: what it saw.",
            "RFC 7489 §6.6" if control is Control.DMARC else None,
        )
        for control in Control
    )


def spoof_run(**changes: object) -> ScenarioRun:
    """An attacker forges the bank's From:; DMARC rejects it."""
    run = ScenarioRun(
        name="spoof-bank",
        title="A forged message from the bank",
        attack=True,
        lanes=LANES,
        events=(
            Event("attacker", "mx", "SMTP port 25: MAIL FROM, RCPT TO, DATA", transcript=0),
            Event(
                "mx",
                None,
                "spf=fail: 203.0.113.9 is not in bank.example's SPF record",
                Outcome.WARN,
                "The sending address is not allowed to send for bank.example.",
                "RFC 7208 §2.6.4",
                Control.SPF,
            ),
            Event(
                "mx",
                "attacker",
                "550 5.7.1 rejected by DMARC policy",
                Outcome.FAIL,
                "bank.example publishes p=reject and nothing aligned passed.",
                "RFC 7489 §6.6",
                Control.DMARC,
                transcript=0,
            ),
            Event("bank-out", "mx", "A real statement from the bank", Outcome.OK, transcript=1),
            Event("mx", "imap", "delivered to Taro's INBOX", Outcome.OK),
            Event("taro", "imap", "IMAP over TLS: FETCH", transcript=2),
        ),
        verdicts=_verdicts(spf=Mark.NOTICED, dmarc=Mark.STOPPED, op25b=Mark.BLIND, smime=Mark.OFF),
        headers=(
            HeaderStage(
                "out.bank.example",
                (
                    "From: Bank <alerts@bank.example>",
                    f"DKIM-Signature: v=1; a=rsa-sha256;\r\n {LONG_B64}",
                ),
            ),
            HeaderStage(
                "mx.example.com",
                (
                    "Received: from out.bank.example by mx.example.com",
                    "Authentication-Results: mx.example.com; spf=pass; dkim=pass; dmarc=pass",
                ),
            ),
        ),
        transcripts=(
            Transcript(
                "Attacker's VPS → mx.example.com:25 (SMTP)",
                "SMTP",
                (
                    TranscriptLine(False, "220 mx.example.com ESMTP"),
                    TranscriptLine(True, "EHLO bank.example"),
                    TranscriptLine(False, "550 5.7.1 rejected by DMARC policy"),
                ),
            ),
            Transcript(
                "Bank's outbound MTA → mx.example.com:25 (SMTP)",
                "SMTP",
                (TranscriptLine(True, "STARTTLS"), TranscriptLine(False, "220 go ahead")),
                tls=True,
            ),
            Transcript(
                "Taro's mail program → imap.example.com:993 (IMAP)",
                "IMAP",
                (TranscriptLine(True, "a1 FETCH 1 BODY[]"),),
                tls=True,
            ),
        ),
        outcome="The forged message was rejected at the MX by bank.example's DMARC policy.",
        defended=True,
        stopped_by=Control.DMARC,
        sources=("RFC 7489 §6.6", "chapter 07"),
    )
    return replace(run, **changes)


def legit_run(**changes: object) -> ScenarioRun:
    run = ScenarioRun(
        name="bank-statement",
        title="The bank's real statement",
        attack=False,
        lanes=LANES[1:3],
        events=(Event("bank-out", "mx", "SMTP: the signed statement", Outcome.OK),),
        verdicts=_verdicts(),
        headers=(),
        transcripts=(),
        outcome="The statement arrived in Taro's INBOX.",
        defended=True,
    )
    return replace(run, **changes)


def campaign() -> Campaign:
    missed = spoof_run(
        name="lookalike",
        title="A look-alike domain",
        defended=False,
        stopped_by=None,
        outcome="bank-examp1e.com has its own valid SPF and DKIM, so every check passed.",
        verdicts=_verdicts(smime=Mark.OFF),
    )
    return Campaign(
        runs=(
            legit_run(),
            spoof_run(),
            missed,
            spoof_run(name="op25b", title="Spam from a home PC", stopped_by=Control.OP25B),
            legit_run(
                name="forwarded",
                title="A forwarded message",
                defended=False,
                stopped_by=Control.DMARC,
                outcome="The forwarder broke the signature and DMARC rejected the message.",
                verdicts=_verdicts(dmarc=Mark.STOPPED),
            ),
        )
    )


def _svg(run: ScenarioRun) -> ET.Element:
    return ET.fromstring(sequence_diagram(run))


# -- the sequence diagram ------------------------------------------------------------------------


def test_diagram_is_an_image_with_a_title_and_every_step_in_words() -> None:
    run = spoof_run()
    root = _svg(run)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "A forged message from the bank" in (title.text or "")
    assert "stopped by DMARC" in (title.text or "")
    for number, event in enumerate(run.events, start=1):
        assert f"Step {number}," in (desc.text or "")
        assert event.label in (desc.text or "")
    assert "Step 3, Receiving MX to Attacker's VPS (the attacker): [DMARC] 550" in (desc.text or "")


def test_every_lane_is_drawn_and_the_attacker_says_so_in_words() -> None:
    svg = sequence_diagram(spoof_run())
    texts = [t.text for t in _svg(spoof_run()).iter(f"{SVG}text")]
    for lane in LANES:
        assert lane.label in " ".join(texts)
    assert "⚠ attacker" in texts
    assert "203.0.113.9" in texts
    assert svg.count("⚠ attacker") == 1


def test_a_failed_step_is_marked_dashed_and_numbered() -> None:
    drawn = " ".join(t.text or "" for t in _svg(spoof_run()).iter(f"{SVG}text"))
    assert "3. ✗ [DMARC] 550 5.7.1 rejected by DMARC policy" in drawn
    assert "2. ! [SPF] spf=fail" in drawn
    assert "4. ✓ A real statement from the bank" in drawn
    assert "1. • SMTP port 25" in drawn
    dashed = [
        line
        for line in _svg(spoof_run()).iter(f"{SVG}line")
        if line.get("stroke") == "#b91c1c" and line.get("stroke-dasharray") == "6 4"
    ]
    assert len(dashed) == 1


def test_transcript_marks_are_numbered_from_one() -> None:
    texts = [t.text for t in _svg(spoof_run()).iter(f"{SVG}text")]
    assert texts.count("transcript #1") == 2
    assert texts.count("transcript #2") == 1
    assert texts.count("transcript #3") == 1


def test_size_grows_with_lanes_and_events() -> None:
    small = _svg(legit_run())
    big = _svg(spoof_run())
    assert int(small.get("width") or 0) == 2 * 160
    assert int(big.get("width") or 0) == 5 * 160
    assert float(big.get("height") or 0) > float(small.get("height") or 0)
    assert "max-width:100%" in (big.get("style") or "")


def test_many_lanes_and_events() -> None:
    lanes = tuple(Lane(f"l{i}", f"Lane number {i}", f"192.0.2.{i}") for i in range(14))
    events = tuple(
        Event(f"l{i % 14}", None if i % 5 == 0 else f"l{(i * 7) % 14}", f"step {i}", Outcome.INFO)
        for i in range(60)
    )
    root = _svg(legit_run(lanes=lanes, events=events))
    assert int(root.get("width") or 0) == 14 * 160
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "Step 60," in (desc.text or "")


def test_hostile_text_is_escaped_and_bounded() -> None:
    script = "<script>alert(1)</script>"
    word = "x" * 5000
    lanes = (
        Lane("a", script, "\"&'"),
        Lane("b", word, word, attacker=True),
    )
    events = (
        Event("a", "b", f"{script} {word}", Outcome.FAIL, detail=word),
        Event("b", None, f"Subject: \"&' \x00\x1b {script}", section=script),
        Event("a", "b", word),
    )
    run = legit_run(lanes=lanes, events=events, title=script, outcome=script)
    svg = sequence_diagram(run)
    assert "<script" not in svg
    root = ET.fromstring(svg)
    assert int(root.get("width") or 0) == 2 * 160
    for text in root.iter(f"{SVG}text"):
        assert len(text.text or "") <= 60
    desc = root.find(f"{SVG}desc")
    assert desc is not None and len(desc.text or "") < 3000
    assert float(root.get("height") or 0) < 800
    page = scenario_html(run)
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    hostile = legit_run(
        title=script,
        outcome=script,
        headers=(HeaderStage(script, (f"Subject: {script}",)),),
        transcripts=(Transcript(script, "SMTP", (TranscriptLine(True, f"\x00{script}"),)),),
    )
    for html in (
        header_block(hostile),
        transcript_view(hostile, 0),
        defence_matrix(Campaign(runs=(hostile, replace(hostile, attack=True, defended=False)))),
    ):
        assert "<script" not in html
        ET.fromstring(html.replace("\x00", ""))


def test_long_labels_are_cut_with_an_ellipsis() -> None:
    label = "word " * 100
    root = _svg(legit_run(events=(Event("bank-out", "mx", label),)))
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    cut = re.search(r": (word .*?…)", desc.text or "")
    assert cut is not None and len(cut.group(1)) == MAX_LABEL_CHARS
    assert any((t.text or "").endswith("…") for t in root.iter(f"{SVG}text"))


def test_an_unknown_lane_is_refused_with_a_sentence() -> None:
    run = legit_run(events=(Event("bank-out", "nowhere", "lost"),))
    with pytest.raises(ValueError, match=r"Step 1 .* names the lane “nowhere”"):
        sequence_diagram(run)


def test_two_diagrams_on_one_page_have_their_own_ids() -> None:
    ids_a = re.findall(r'id="([^"]+)"', sequence_diagram(spoof_run()))
    ids_b = re.findall(r'id="([^"]+)"', sequence_diagram(legit_run()))
    assert ids_a and not set(ids_a) & set(ids_b)


# -- headers, transcripts, verdicts --------------------------------------------------------------


def test_header_block_shows_each_stage_and_the_final_header_newest_on_top() -> None:
    html = header_block(spoof_run())
    assert "1. added by out.bank.example" in html
    assert "2. added by mx.example.com" in html
    assert "RFC 5321 §4.4" in html and "RFC 8601 §5" in html
    final = html[html.index("newest on top") :]
    assert final.index("Received: from out.bank.example") < final.index("From: Bank")
    assert LONG_B64 in html and "word-break:break-all" in html
    assert "no header fields" in header_block(legit_run())


def test_transcript_marks_client_and_server_lines() -> None:
    html = transcript_view(spoof_run(), 0)
    assert "Transcript #1: Attacker&#x27;s VPS → mx.example.com:25 (SMTP)" in html
    client = re.search(r'<span style="([^"]*)">C: EHLO bank.example</span>', html)
    server = re.search(r'<span style="([^"]*)">S: 220 mx.example.com ESMTP</span>', html)
    assert client and server and client.group(1) != server.group(1)
    assert "font-weight:700" in client.group(1)
    assert "no TLS" in html
    assert "inside TLS" in transcript_view(spoof_run(), 1)


@pytest.mark.parametrize("index", [3, -1, 99])
def test_a_bad_transcript_index_is_a_sentence(index: int) -> None:
    with pytest.raises(IndexError) as caught:
        transcript_view(spoof_run(), index)
    assert str(caught.value) == (
        f"There is no transcript {index}: this run has 3, numbered 0 to 2 (shown as #1 to #3)."
    )
    with pytest.raises(IndexError, match="recorded no transcripts"):
        transcript_view(legit_run(), 0)


def test_verdict_table_has_a_row_per_control_with_its_word() -> None:
    html = verdict_table(spoof_run())
    assert html.count("<tr>") == 1 + len(Control)
    assert "✓ stopped it" in html
    assert "! noticed it" in html
    assert "• could not see it" in html
    assert "RFC 7489 §6.6" in html


# -- one scenario and the matrix -----------------------------------------------------------------


def test_scenario_html_has_everything_but_the_transcripts_contents() -> None:
    html = scenario_html(spoof_run())
    assert "A forged message from the bank" in html
    assert "✓ stopped by DMARC" in html
    assert "<svg" in html and "</svg>" in html
    assert "What each control did" in html
    assert "The header, hop by hop" in html
    assert "transcript #1: Attacker&#x27;s VPS → mx.example.com:25 (SMTP)" in html
    assert "transcript #3: Taro&#x27;s mail program" in html
    assert "a1 FETCH 1 BODY[]" not in html
    missed = scenario_html(spoof_run(defended=False, stopped_by=None))
    assert "✗ not stopped" in missed
    lost = scenario_html(legit_run(defended=False, stopped_by=Control.DMARC))
    assert "✗ lost: stopped by DMARC" in lost
    assert "✓ arrived" in scenario_html(legit_run())


def test_matrix_rows_columns_and_score() -> None:
    camp = campaign()
    html = defence_matrix(camp)
    root = ET.fromstring(html.replace("&nbsp;", " "))
    header = root.find(".//thead/tr")
    assert header is not None
    columns = [t.text for t in header]
    assert columns == ["Scenario", *(c.label for c in Control), "Result"]
    rows = root.findall(".//tbody/tr")
    assert len(rows) == len(camp.runs)
    titles = [r[0].text for r in rows]
    assert titles == [
        "A forged message from the bank ",
        "A look-alike domain ",
        "Spam from a home PC ",
        "The bank's real statement ",
        "A forwarded message ",
    ]
    assert all(r[0].get("scope") == "row" for r in rows)
    assert all(len(r) == len(Control) + 2 for r in rows)
    assert html.count('scope="col"') == len(Control) + 2
    assert "<caption" in html
    assert "Attacks stopped: 2 of 3; legitimate messages delivered: 1 of 2" in html
    assert "A look-alike domain: bank-examp1e.com has its own valid SPF" in html
    assert html.count("<li>") == 1
    assert "✗ stopped it" in html  # the forwarded message, wrongly stopped
    assert "○ switched off" in html and "— could not see it" in html


def test_a_missing_verdict_is_refused_with_a_sentence() -> None:
    camp = Campaign(runs=(legit_run(verdicts=()),))
    with pytest.raises(ValueError, match="has no verdict for OP25B"):
        defence_matrix(camp)


def test_every_function_returns_a_fragment() -> None:
    run = spoof_run()
    for value in (
        sequence_diagram(run),
        header_block(run),
        transcript_view(run, 2),
        verdict_table(run),
        scenario_html(run),
        defence_matrix(campaign()),
    ):
        assert value._repr_html_() == str(value)


def test_a_miss_names_the_controls_that_only_noticed() -> None:
    noticed = (
        Verdict(Control.DKIM, Mark.NOTICED, "dkim=fail"),
        Verdict(Control.SMIME, Mark.NOTICED, "bad signature"),
    )
    others = tuple(
        Verdict(c, Mark.PASSED, "ok") for c in Control if c not in (Control.DKIM, Control.SMIME)
    )
    run = spoof_run(defended=False, stopped_by=None, verdicts=others + noticed)
    html = defence_matrix(Campaign(runs=(run,)))
    assert "Noticed by DKIM, S/MIME; no control stopped it." in html
    quiet = (Verdict(Control.DKIM, Mark.PASSED, "ok"), Verdict(Control.SMIME, Mark.BLIND, "-"))
    unseen = spoof_run(defended=False, stopped_by=None, verdicts=(*others, *quiet))
    assert "No control saw anything wrong." in defence_matrix(Campaign(runs=(unseen,)))


def snapshot_page() -> str:
    """A whole page with one scenario and the matrix, to look at in a browser."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Chapter 09 renderer</title></head><body style='margin:16px'>"
        f"{scenario_html(spoof_run())}<hr>{transcript_view(spoof_run(), 0)}<hr>"
        f"{defence_matrix(campaign())}</body></html>"
    )


if __name__ == "__main__":
    Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/render_mailsystem.html").write_text(
        snapshot_page(), encoding="utf-8"
    )
