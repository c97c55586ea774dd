"""Chapter 07 (DKIM, DMARC, ARC) in the pseudo-locale: every string its labs and commands show
went through :mod:`mailsec.i18n`.

The four labs are built under ``qps`` and driven through every menu option, the check boxes, a
bad input that shows an error and an upload that cannot be read; after each, nothing a learner
sees may be left outside the marks but data (:func:`tests.pseudolocale.words_outside_marks`).
The command lines ``mailsec dkim`` and ``mailsec dmarc`` say their errors and results in the
command's language: run in the pseudo-locale, an error is one marked line on standard error,
and the same command in English says the English sentence it always said.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mailsec.__main__ import main
from mailsec.dkim.demo import Change, KeyCase
from mailsec.dmarc.reportxml import report_xml
from mailsec.dmarc.scenarios import Scenario
from mailsec.dmarc.traffic import SEED, simulated_week
from mailsec.i18n import PSEUDO, language, set_language
from mailsec.labs import dkim, dmarc, dmarc_reports
from tests.pseudolocale import words_outside_marks


@pytest.fixture(autouse=True)
def english_kernel() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def _clean(lab) -> None:
    assert words_outside_marks(lab) == []


# -- the labs -----------------------------------------------------------------------------------


def test_the_canonicalization_lab_is_marked_for_every_change_and_canonicalization() -> None:
    lab = dkim.canonicalization_lab(lang=PSEUDO)
    _clean(lab)
    for change in Change:
        lab.change.value = change
        for header in ("simple", "relaxed"):
            lab.header_canon.value = header
            for body in ("simple", "relaxed"):
                lab.body_canon.value = body
                _clean(lab)
    lab.length.value = True
    lab.oversign.value = True
    _clean(lab)
    assert "⟦" in lab.explanation.value
    lab.change.value = Change.BODY_WORD
    lab.body.value = "no such word here\n"  # the change cannot happen: an error
    assert lab.error.value and "⟦" in lab.error.value
    _clean(lab)
    lab.body.value = ""
    assert lab.error.value
    _clean(lab)


@pytest.mark.parametrize(
    "record",
    [
        "v=DKIM1; k=rsa; p=",
        "v=DKIM1; h=sha1; p=abc",
        "garbage",
        "v=DKIM2; p=x",
        "k=foo; p=AAAA",
        "v=DKIM1; k=ed25519; t=s; s=other; p=AAAA",
    ],
)
def test_the_key_record_lab_is_marked_for_every_case_and_edited_records(record: str) -> None:
    lab = dkim.key_record_lab(lang=PSEUDO)
    _clean(lab)
    for case in KeyCase:
        lab.case.value = case
        _clean(lab)
    lab.record.value = record
    assert lab.case.value is KeyCase.EDITED
    _clean(lab)


def test_the_dmarc_lab_is_marked_for_every_scenario_policy_and_alignment() -> None:
    lab = dmarc.dmarc_lab(lang=PSEUDO)
    _clean(lab)
    for scenario in Scenario:
        lab.scenario.value = scenario
        for policy in ("none", "quarantine", "reject", ""):
            lab.policy.value = policy
            _clean(lab)
        for mode in ("r", "s", ""):
            lab.adkim.value = mode
            lab.aspf.value = mode
            _clean(lab)
        lab.trust.value = True
        _clean(lab)
        lab.trust.value = False
        lab.sample.value = 0.5
        _clean(lab)
        lab.sample.value = 0.0


def _upload(lab, name: str, data: bytes) -> None:
    lab.upload.value = (
        {
            "name": name,
            "type": "application/octet-stream",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime(2026, 3, 9, tzinfo=timezone.utc),
        },
    )


def test_the_report_lab_is_marked_for_every_menu_option_and_upload() -> None:
    lab = dmarc_reports.report_lab(lang=PSEUDO)
    _clean(lab)
    for _label, value in lab.which.options:
        lab.which.value = value
        _clean(lab)
    good = report_xml(simulated_week(SEED).reports[0])
    _upload(lab, "good.xml", good)
    assert lab.reports and not lab.error.value
    _clean(lab)
    for name, data in (
        ("junk.xml", b"junk"),
        ("no-org.xml", good.replace(b"org_name>", b"orgx>")),
        ("bad-date.xml", good.replace(b"<begin>", b"<begin>x")),
        ("broken.zip", b"PK\x03\x04junk"),
    ):
        _upload(lab, name, data)
        assert "⟦" in lab.error.value, name
        _clean(lab)


def test_the_japanese_lab_keeps_the_wire_tokens() -> None:
    """Under the pseudo-locale the result tokens are marked, yet stay as written."""
    lab = dmarc.dmarc_lab(lang=PSEUDO)
    assert "⟦fail⟧" in lab.result.value or "⟦pass⟧" in lab.result.value
    assert "Authentication-Results: mx.example.net;" in lab.result.value


# -- the command lines --------------------------------------------------------------------------

MAIL = b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: i18n\r\n\r\nHello\r\n"


def _run(argv: list[str], monkeypatch, capsys, *, pseudo: bool, data: bytes = MAIL):
    """``main(argv)`` with ``data`` on standard input, in the pseudo-locale or in English."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    if pseudo:
        monkeypatch.setattr("mailsec.__main__.language_from_environment", lambda: PSEUDO)
    else:
        monkeypatch.setattr("mailsec.__main__.language_from_environment", lambda: "en")
    status = main(argv)
    captured = capsys.readouterr()
    assert language() == "en"
    return status, captured.out, captured.err


def _cases(tmp: Path) -> dict[str, tuple[list[str], str]]:
    existing = tmp / "existing.pem"
    existing.write_text("x")
    junk = tmp / "junk.pem"
    junk.write_text("not a key")
    report = tmp / "report.xml"
    report.write_bytes(b"<feedback>")
    return {
        "key file exists": (
            ["dkim", "keygen", "--algorithm", "ed25519-sha256", "--selector", "s",
             "--domain", "example.com", "--out", str(existing)],
            "already exists; choose another --out",
        ),
        "not a PEM key": (
            ["dkim", "sign", "--domain", "example.com", "--selector", "s", "--key", str(junk)],
            "is not an unencrypted PEM private key",
        ),
        "unreadable report": (
            ["dmarc", "report", str(report)],
            "cannot be read",
        ),
    }  # fmt: skip


@pytest.mark.parametrize("case", ["key file exists", "not a PEM key", "unreadable report"])
def test_a_command_line_error_is_one_marked_line(case, tmp_path, monkeypatch, capsys) -> None:
    argv, english = _cases(tmp_path)[case]
    status, _out, err = _run(argv, monkeypatch, capsys, pseudo=True)
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert english in lines[0] and lines[0].count("⟦") >= 2, err  # the wrapper and the sentence
    status, _out, err = _run(argv, monkeypatch, capsys, pseudo=False)
    assert status == 1 and english in err and "⟦" not in err


def test_dkim_verify_says_its_result_in_the_command_language(monkeypatch, capsys) -> None:
    status, out, _err = _run(
        ["dkim", "verify", "--zone", "example"], monkeypatch, capsys, pseudo=True
    )
    assert status == 1 and out.startswith("⟦none") and "DKIM-Signature" in out
    broken = b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com\r\n" + MAIL
    status, out, _err = _run(
        ["dkim", "verify", "--zone", "example"], monkeypatch, capsys, pseudo=True, data=broken
    )
    assert status == 1 and "⟦" in out and "tags" in out


def test_dmarc_report_prints_its_table_in_the_command_language(
    tmp_path, monkeypatch, capsys
) -> None:
    path = tmp_path / "report.xml"
    path.write_bytes(report_xml(simulated_week(SEED).reports[0]))
    status, out, _err = _run(["dmarc", "report", str(path)], monkeypatch, capsys, pseudo=True)
    assert status == 0 and out.startswith("⟦report from ") and "⟦total⟧" in out
    assert "⟦source IP⟧" in out
    status, out, _err = _run(["dmarc", "report", str(path)], monkeypatch, capsys, pseudo=False)
    assert out.startswith("report from ") and "⟦" not in out
