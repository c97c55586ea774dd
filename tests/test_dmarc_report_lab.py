"""Chapter 07's report lab, driven without a browser: the simulated week's reports against the
evaluations behind them (RFC 7489 §7.2), the chart's text alternative, and uploaded reports."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from datetime import datetime, timezone

import pytest

from mailsec.dmarc import read_report, summarize
from mailsec.dmarc.traffic import (
    RECEIVERS,
    SEED,
    Source,
    Verdict,
    simulated_week,
)
from mailsec.labs.dmarc_reports import ALL, UPLOADED, report_lab
from mailsec.labs.frame import percentile
from mailsec.render.dmarc_reports import sources_chart

SOURCES = {
    "192.0.2.40": Source.BANK,
    "203.0.113.80": Source.FORWARDER,
    "203.0.113.66": Source.PHISHING,
    "198.51.100.25": Source.NEWSLETTER,
}


@pytest.fixture(scope="module")
def week():
    return simulated_week()


@pytest.fixture
def lab(week):
    return report_lab(week)


def expected(deliveries) -> dict[str, tuple[int, int, int, int, int]]:
    """Per source IP, from the evaluations themselves: messages, DMARC pass, DMARC fail, SPF
    aligned, DKIM aligned."""
    counts: dict[str, Counter] = {}
    for d in deliveries:
        row = counts.setdefault(d.client_ip, Counter())
        outcome = d.check.dmarc
        row["messages"] += 1
        row["pass" if outcome.passed else "fail"] += 1
        row["spf"] += outcome.spf_aligned
        row["dkim"] += outcome.dkim_aligned
    keys = ("messages", "pass", "fail", "spf", "dkim")
    return {ip: tuple(row[k] for k in keys) for ip, row in counts.items()}


def shown(lab) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        s.source_ip: (s.messages, s.dmarc_pass, s.dmarc_fail, s.spf_aligned, s.dkim_aligned)
        for s in lab.summaries
    }


def test_the_week_is_made_of_real_evaluations(week):
    by_source = Counter((d.source, d.check.dmarc.result.value) for d in week.deliveries)
    assert set(by_source) == {
        (Source.BANK, "pass"),
        (Source.FORWARDER, "pass"),
        (Source.PHISHING, "fail"),
        (Source.NEWSLETTER, "fail"),
    }
    forwarded = [d for d in week.deliveries if d.source is Source.FORWARDER]
    assert forwarded and all(
        d.check.spf.result.value == "fail" and d.check.dmarc.dkim_aligned for d in forwarded
    )
    phishing = [d for d in week.deliveries if d.source is Source.PHISHING]
    signers = {s.domain for d in phishing for s in d.check.dmarc.dkim if s.result.value == "pass"}
    assert signers == {"evil.example"}
    assert any(not d.check.dkim for d in phishing)  # and some unsigned
    assert all(d.check.disposition.value == "reject" for d in phishing)
    assert all(d.check.header.startswith("Authentication-Results: ") for d in week.deliveries)


def test_the_week_is_the_same_every_time(week):
    again = simulated_week.__wrapped__(SEED)
    assert [f.report for f in again.files] == [f.report for f in week.files]
    other = simulated_week.__wrapped__(SEED + 1)
    assert summarize(other.reports) != summarize(week.reports)


def test_all_receivers_together_show_every_source_with_the_evaluated_counts(lab, week):
    assert lab.which.value == ALL and lab.error.value == ""
    assert shown(lab) == expected(week.deliveries)
    assert set(shown(lab)) == set(SOURCES)
    html = lab.result.value
    for ip in SOURCES:
        assert f">{ip}<" in html
    for receiver in RECEIVERS:
        assert receiver.org_name in html
    verdicts = {n.source_ip: n.verdict for n in lab.notes}
    assert verdicts == {
        "192.0.2.40": Verdict.ALIGNED,
        "203.0.113.80": Verdict.DKIM_ONLY,
        "203.0.113.66": Verdict.FAILING,
        "198.51.100.25": Verdict.FAILING,
    }
    signers = {n.source_ip: n.other_signers for n in lab.notes}
    assert signers["203.0.113.66"] == ("evil.example",)
    assert signers["198.51.100.25"] == ("mailhost.example",)
    assert "2 of 4 sources fail DMARC: 203.0.113.66" in html


@pytest.mark.parametrize("receiver", RECEIVERS, ids=lambda r: r.org_name)
def test_each_receiver_shows_what_it_evaluated(lab, week, receiver):
    lab.which.value = receiver.org_name
    assert lab.error.value == ""
    mine = [d for d in week.deliveries if d.receiver is receiver]
    assert shown(lab) == expected(mine)
    assert [r.org_name for r in lab.reports] == [receiver.org_name]
    # Forwarded mail reaches the students' private addresses at example.com only.
    assert ("203.0.113.80" in shown(lab)) == (receiver.org_name == "mx.example.com")


def test_the_chart_has_a_text_alternative_with_the_numbers(lab):
    html = lab.result.value
    svg = re.search(r"<svg[^>]*>", html).group(0)
    assert 'role="img"' in svg
    label = re.search(r'aria-label="([^"]*)"', svg).group(1)
    title = re.search(r"<title>([^<]*)</title>", html).group(1)
    for summary in lab.summaries:
        item = f"{summary.source_ip}: {summary.dmarc_pass} pass, {summary.dmarc_fail} fail"
        assert item in label and item in title
        # the numbers are written on the bars too, in words after each bar
        assert f"{summary.dmarc_pass} pass · {summary.dmarc_fail} fail" in html
    legend = re.findall(r">(pass|fail)</text>", html)
    assert legend == ["pass", "fail"]
    assert "url(#dmarc-fail-" in html  # failures are hatched, not only another colour


def test_the_chart_draws_at_most_twenty_bars_and_says_so(week):
    many = list(summarize(week.reports)) * 6
    chart = sources_chart(many)
    assert chart.count("pass · ") == 20
    assert "4 more sources are in the table" in chart


def upload(lab, name: str, data: bytes) -> None:
    """An upload as ipywidgets 8 stores it in ``FileUpload.value``."""
    lab.upload.value = (
        {
            "name": name,
            "type": "application/octet-stream",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime(2026, 3, 9, tzinfo=timezone.utc),
        },
    )


def test_the_uploaded_option_without_a_file_says_how(lab):
    lab.which.value = UPLOADED
    assert lab.error.value == "" and lab.reports == ()
    assert "Upload report" in lab.result.value


def test_an_uploaded_report_is_shown(lab, week):
    data = week.file("mail.university.example").data
    upload(lab, "university.xml.gz", gzip.compress(data))
    assert lab.which.value == UPLOADED and lab.error.value == ""
    assert lab.reports == (read_report(data),)
    assert shown(lab) == expected(
        [d for d in week.deliveries if d.receiver.org_name == "mail.university.example"]
    )
    assert "mail.university.example" in lab.result.value and "<svg" in lab.result.value


def test_garbage_shows_an_error_and_clears_the_result(lab, week):
    upload(lab, "good.xml", week.file("mx.example.com").data)
    assert lab.reports and "<svg" in lab.result.value
    upload(lab, "holiday.jpg", b"\xff\xd8\xff\xe0 not a report")
    assert "holiday.jpg" in lab.error.value and "neither XML, gzip nor zip" in lab.error.value
    assert lab.result.value == "" and lab.explanation.value == ""
    assert lab.reports == () and lab.summaries == ()
    lab.which.value = ALL  # the week is still there
    assert lab.error.value == "" and "<svg" in lab.result.value
    lab.which.value = UPLOADED  # and the bad upload is still what was uploaded
    assert "holiday.jpg" in lab.error.value and lab.result.value == ""


def test_report_text_is_escaped(lab, week):
    data = week.file("mail.example.co.jp").data.replace(
        b"<org_name>mail.example.co.jp</org_name>", b"<org_name>&lt;script&gt;x</org_name>"
    )
    upload(lab, "<b>.xml", data)
    assert "&lt;script&gt;x" in lab.result.value and "<script>" not in lab.result.value


def test_timings_stay_small(lab):
    for _ in range(5):
        for value in [ALL, *(r.org_name for r in RECEIVERS), UPLOADED]:
            lab.which.value = value
    assert len(lab.timings) >= 25
    assert percentile(lab.timings, 95) < 0.5  # generous; the benchmark measures the real budget


def test_a_monitoring_policy_is_read_as_such(lab, week):
    """With p=none receivers only report (RFC 7489 §6.3): the reading says nothing was stopped."""
    data = week.file("mx.example.com").data.replace(b"<p>reject</p>", b"<p>none</p>")
    upload(lab, "monitoring.xml", data)
    assert lab.error.value == ""
    assert "p=none: nothing was blocked" in lab.result.value


def test_the_static_view_shows_the_result(lab):
    assert "DMARC pass and fail per sending IP address" in lab.static_html()
