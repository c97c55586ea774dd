"""``mailsec dmarc check|report``, run as real processes (the interface of chapter 07).

The course's DKIM keys are made per process, so a message signed here would not verify in the
command's process against ``--zone example``. The signed cases therefore use a zone file written
here: the example zone plus DKIM key records for keys made here.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile
import zlib
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from dnsserver import DnsServer

from mailsec import dkim
from mailsec.dmarc import SpfInput, evaluate_domain, write_report
from mailsec.dmarc.unpack import MAX_XML
from mailsec.spf.zone import example_resolver, example_zone_text

BANK_MAIL = (
    b"From: Bank of Example <info@bank.example>\r\nTo: customer@example.com\r\n"
    b"Subject: Your statement\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n"
    b"Message-ID: <1@bank.example>\r\n\r\nYour monthly statement is ready.\r\n"
)
SHOP_MAIL = (
    b"From: Shop <orders@shop.example>\r\nTo: customer@example.com\r\nSubject: Your order\r\n"
    b"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n\r\nShipped.\r\n"
)
NEWS_MAIL = SHOP_MAIL.replace(b"orders@shop.example", b"letters@news.example")


def mailsec(*args: str, data: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailsec", "dmarc", *args],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )


def check(*args: str, data: bytes) -> dict:
    done = mailsec("check", *args, data=data)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    """A zone file (the example zone and two DKIM keys made here) and the keys."""
    keys = {
        "bank.example": ed25519.Ed25519PrivateKey.generate(),
        "evil.example": ed25519.Ed25519PrivateKey.generate(),
    }
    lines = [dkim.zone_entry("t1", domain, dkim.key_record(key)) for domain, key in keys.items()]
    text = example_zone_text() + "\n" + "\n".join(lines) + "\n"
    path = tmp_path_factory.mktemp("dmarc") / "course.zone"
    path.write_text(text)
    return path, keys


def signed(keys: dict, domain: str, message: bytes = BANK_MAIL) -> bytes:
    return dkim.sign(message, domain=domain, selector="t1", private_key=keys[domain])


def test_genuine_bank_message_passes(zone):
    path, keys = zone
    result = check(
        "--ip", "192.0.2.40", "--mail-from", "bounces@bank.example", "--helo", "mx.bank.example",
        "--zone", str(path), "--receiver", "mx.example.com", data=signed(keys, "bank.example"),
    )  # fmt: skip
    assert result["result"] == "pass"
    assert (result["policy"], result["disposition"]) == ("reject", "none")
    assert result["from_domain"] == "bank.example"
    assert result["spf"] == {"result": "pass", "domain": "bank.example", "aligned": True}
    [signature] = result["dkim"]
    assert signature["result"] == "pass" and signature["aligned"] is True
    assert (signature["domain"], signature["selector"]) == ("bank.example", "t1")
    assert result["arc"]["result"] == "none"
    header = result["authentication_results"]
    assert header.startswith("Authentication-Results: mx.example.com; spf=pass")
    assert "dkim=pass header.d=bank.example" in header and "dmarc=pass" in header
    assert "bank.example" in result["reason"]


def test_attacker_with_own_domain_passes_spf_and_dkim_but_fails_dmarc(zone):
    """RFC 7489 §3.1: SPF and DKIM pass for evil.example, which does not align with From:."""
    path, keys = zone
    result = check(
        "--ip", "203.0.113.66", "--mail-from", "alerts@evil.example", "--helo", "evil.example",
        "--zone", str(path), data=signed(keys, "evil.example"),
    )  # fmt: skip
    assert result["spf"] == {"result": "pass", "domain": "evil.example", "aligned": False}
    [signature] = result["dkim"]
    assert (signature["result"], signature["domain"], signature["aligned"]) == (
        "pass",
        "evil.example",
        False,
    )
    assert (result["result"], result["policy"], result["disposition"]) == (
        "fail",
        "reject",
        "reject",
    )
    assert result["authentication_results"].startswith("Authentication-Results: mailsec.invalid;")


def test_a_changed_message_fails_dkim_and_dmarc(zone):
    path, keys = zone
    changed = signed(keys, "bank.example").replace(b"ready", b"late!")
    result = check(
        "--ip", "203.0.113.80", "--mail-from", "bounces@bank.example", "--helo", "mx.example",
        "--zone", str(path), data=changed,
    )  # fmt: skip
    assert result["spf"]["result"] == "fail"
    assert result["dkim"][0]["result"] == "fail" and result["dkim"][0]["aligned"] is False
    assert (result["result"], result["disposition"]) == ("fail", "reject")


def test_no_dmarc_record_is_none():
    result = check(
        "--ip", "192.0.2.20", "--mail-from", "orders@shop.example", "--helo", "shop.example",
        "--zone", "example", data=SHOP_MAIL,
    )  # fmt: skip
    assert (result["result"], result["policy"], result["disposition"]) == ("none", None, "none")
    assert result["spf"] == {"result": "pass", "domain": "shop.example", "aligned": False}
    assert result["dkim"] == []
    assert "dmarc=none" in result["authentication_results"]


def test_zone_example_holds_the_course_dkim_keys():
    """bank.example's selector 2024 is revoked in the course zone (an empty p=), which only the
    zone with the course's DKIM records says; the plain example zone has no record there."""
    key = ed25519.Ed25519PrivateKey.generate()
    message = dkim.sign(BANK_MAIL, domain="bank.example", selector="2024", private_key=key)
    result = check(
        "--ip", "192.0.2.40", "--mail-from", "bounces@bank.example", "--helo", "mx.bank.example",
        "--zone", "example", data=message,
    )  # fmt: skip
    assert result["dkim"][0]["result"] == "permerror"
    assert "revoked" in result["dkim"][0]["reason"]
    assert result["result"] == "pass"  # SPF is aligned


@pytest.mark.parametrize(("sample", "disposition", "override"), [
    ("0.2", "quarantine", None),
    ("0.7", "none", "sampled_out"),
])  # fmt: skip
def test_sample_makes_pct_repeatable(sample, disposition, override):
    """news.example publishes p=quarantine; pct=50 (RFC 7489 §6.6.4)."""
    result = check(
        "--ip", "203.0.113.66", "--mail-from", "letters@news.example", "--helo", "x.example",
        "--zone", "example", "--sample", sample, data=NEWS_MAIL,
    )  # fmt: skip
    assert (result["result"], result["policy"]) == ("fail", "quarantine")
    assert (result["disposition"], result["override"]) == (disposition, override)


def test_check_asks_a_dns_server(zone):
    path, keys = zone
    with DnsServer(path.read_text()) as server:
        result = check(
            "--ip", "192.0.2.40", "--mail-from", "bounces@bank.example",
            "--helo", "mx.bank.example", "--nameserver", f"127.0.0.1:{server.port}",
            data=signed(keys, "bank.example"),
        )  # fmt: skip
    assert (result["result"], result["spf"]["aligned"], result["dkim"][0]["aligned"]) == (
        "pass",
        True,
        True,
    )
    assert server.queries >= 3  # SPF, the DKIM key, the DMARC record


BASE = ("--mail-from", "a@bank.example", "--helo", "mx.bank.example")


@pytest.mark.parametrize(("args", "words"), [
    (("check", "--ip", "192.0.2.300", *BASE), b"not an IPv4 or IPv6 address"),
    (("check", "--ip", "192.0.2.40", "--mail-from", "a@bank.example"), b"--helo"),
    (("check", "--ip", "192.0.2.40", *BASE, "--sample", "1"), b"not a number from 0"),
    (("check", "--ip", "192.0.2.40", *BASE, "--sample", "nan"), b"not a number from 0"),
    (("check", "--ip", "192.0.2.40", *BASE, "--zone", "example", "--nameserver", "127.0.0.1"),
     b"not allowed"),
    (("report",), b"FILE"),
    (("verify",), b"invalid choice"),
])  # fmt: skip
def test_usage_errors_are_one_line_with_status_2(args, words):
    done = mailsec(*args, data=BANK_MAIL)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and len(done.stderr.splitlines()) == 1
    assert done.stdout == b""


@pytest.mark.parametrize(("args", "data", "words"), [
    (("--zone", "example"), b"", b"Nothing came on standard input"),
    (("--zone", "example"), b"this is not a message\r\n", b"not a header field"),
    (("--zone", "/nonexistent/zone"), BANK_MAIL, b"could not be opened"),
])  # fmt: skip
def test_bad_input_is_one_line_with_status_1(args, data, words):
    done = mailsec("check", "--ip", "192.0.2.40", *BASE, *args, data=data)
    assert done.returncode == 1
    assert words in done.stderr and len(done.stderr.splitlines()) == 1
    assert done.stdout == b""


# -- report -------------------------------------------------------------------------------------


def _report(org: str, rows: list[tuple[str, str, bool]]) -> bytes:
    """A report by ``org`` of bank.example mail: (source IP, SPF result, DKIM passed) rows."""
    resolver = example_resolver()
    evaluations = []
    for ip, spf, dkim_passed in rows:
        signature = [_Dkim("pass" if dkim_passed else "fail", "bank.example", "t1")]
        outcome = evaluate_domain(
            "bank.example",
            spf=SpfInput(spf, "bank.example"),
            dkim=signature,
            resolver=resolver,
            sample=0.5,
        )
        evaluations.append((ip, outcome))
    return write_report(
        evaluations,
        org_name=org,
        email=f"dmarc@{org}",
        report_id=f"{org}-1",
        begin=datetime(2026, 3, 2, tzinfo=timezone.utc),
        end=datetime(2026, 3, 2, 23, 59, 59, tzinfo=timezone.utc),
    )


class _Dkim:
    def __init__(self, result: str, domain: str, selector: str) -> None:
        self.result, self.domain, self.selector = result, domain, selector


@pytest.fixture(scope="module")
def report_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    plain = _report("mx.example.com", [("192.0.2.40", "pass", True)] * 3)
    forwarded = _report("mail.university.example", [("203.0.113.80", "fail", True)] * 2)
    forged = _report("mail.example.co.jp", [("203.0.113.66", "fail", False)] * 4)
    (folder / "a.xml").write_bytes(plain)
    (folder / "b.xml.gz").write_bytes(gzip.compress(forwarded))
    with zipfile.ZipFile(folder / "c.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", forged)
    return folder


def test_report_summarizes_xml_gzip_and_zip(report_files):
    files = [str(report_files / name) for name in ("a.xml", "b.xml.gz", "c.zip")]
    done = mailsec("report", *files)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0] == (
        "report from mx.example.com, id mx.example.com-1, for bank.example, "
        "2026-03-02 00:00:00 to 2026-03-02 23:59:59 UTC, 3 messages, p=reject"
    )
    assert lines[1].startswith("report from mail.university.example, ")
    assert lines[2].startswith("report from mail.example.co.jp, ") and "4 messages" in lines[2]
    assert lines[3] == ""
    assert lines[4].split() == [
        "source", "IP", "messages", "DMARC", "pass", "DMARC", "fail", "SPF", "aligned",
        "DKIM", "aligned", "delivered", "quarantined", "rejected",
    ]  # fmt: skip
    rows = {line.split()[0]: line.split()[1:] for line in lines[5:]}
    # messages, DMARC pass, fail, SPF aligned, DKIM aligned, delivered, quarantined, rejected
    assert rows["203.0.113.66"] == ["4", "0", "4", "0", "0", "0", "0", "4"]
    assert rows["192.0.2.40"] == ["3", "3", "0", "3", "3", "3", "0", "0"]
    assert rows["203.0.113.80"] == ["2", "2", "0", "0", "2", "2", "0", "0"]
    assert rows["total"] == ["9", "5", "4", "3", "5", "5", "0", "4"]
    assert list(rows) == ["203.0.113.66", "192.0.2.40", "203.0.113.80", "total"]


def test_a_malformed_report_is_one_line_naming_the_file(report_files, tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_bytes((report_files / "a.xml").read_bytes().replace(b"</feedback>", b""))
    done = mailsec("report", str(report_files / "a.xml"), str(bad))
    assert done.returncode == 1 and done.stdout == b""
    assert len(done.stderr.splitlines()) == 1
    assert str(bad).encode() in done.stderr and b"not well-formed XML" in done.stderr


def test_a_missing_report_file_is_one_line():
    done = mailsec("report", "/nonexistent/report.xml")
    assert done.returncode == 1
    assert b"Cannot read the report file '/nonexistent/report.xml'" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_gzip_bomb_is_refused_with_one_line(tmp_path):
    """A few hundred kilobytes that expand beyond MAX_XML are refused while decompressing. The
    XML is comments, which the parser passes over, so only the size bound can stop it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = (b"<!--" + b" " * 1017 + b"-->") * 1024
    parts = [packer.compress(b"<feedback>")]
    parts += [packer.compress(block) for _ in range(MAX_XML // len(block) + 2)]
    parts.append(packer.flush())
    bomb = tmp_path / "bomb.xml.gz"
    bomb.write_bytes(b"".join(parts))
    assert bomb.stat().st_size < 1 << 20
    done = mailsec("report", str(bomb))
    assert done.returncode == 1 and done.stdout == b""
    assert len(done.stderr.splitlines()) == 1
    assert str(bomb).encode() in done.stderr and b"once decompressed" in done.stderr
