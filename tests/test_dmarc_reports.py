"""DMARC aggregate reports (RFC 7489 §7.2, Appendix C): reading what arrives, hostile input
refused within bounds, writing from evaluations, and per-source summaries."""

from __future__ import annotations

import gzip
import io
import ipaddress
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.dkim.result import DkimResult
from mailsec.dmarc import (
    AggregateReport,
    AlignmentMode,
    Disposition,
    Policy,
    PolicyOverride,
    PolicyPublished,
    ReportRecord,
    SpfInput,
    SpfScope,
    evaluate,
    read_report,
    report_xml,
    summarize,
    write_report,
)
from mailsec.dmarc.reports import AuthResults, DkimAuth, OverrideReason, SpfAuth
from mailsec.dmarc.reportxml import MAX_PENDING, MAX_RECORDS, MAX_TEXT
from mailsec.dmarc.unpack import MAX_COMPRESSED, MAX_XML, MAX_ZIP_MEMBERS
from mailsec.errors import InputError
from mailsec.spf import ZoneResolver
from mailsec.spf.result import SpfResult

#: A report as a large receiver sends it (the layout of RFC 7489 Appendix C), for example.com:
#: its own servers pass; a newsletter service passes DKIM only; a forger fails and is rejected.
SAMPLE = b"""<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <version>1.0</version>
  <report_metadata>
    <org_name>receiver.example</org_name>
    <email>noreply-dmarc-support@receiver.example</email>
    <extra_contact_info>https://receiver.example/dmarc</extra_contact_info>
    <report_id>16719581638812345678</report_id>
    <date_range>
      <begin>1767225600</begin>
      <end>1767311999</end>
    </date_range>
  </report_metadata>
  <policy_published>
    <domain>example.com</domain>
    <adkim>r</adkim>
    <aspf>s</aspf>
    <p>reject</p>
    <sp>quarantine</sp>
    <pct>100</pct>
    <fo>0</fo>
  </policy_published>
  <record>
    <row>
      <source_ip>192.0.2.10</source_ip>
      <count>120</count>
      <policy_evaluated>
        <disposition>none</disposition>
        <dkim>pass</dkim>
        <spf>pass</spf>
      </policy_evaluated>
    </row>
    <identifiers>
      <header_from>example.com</header_from>
    </identifiers>
    <auth_results>
      <dkim>
        <domain>example.com</domain>
        <selector>mail2026</selector>
        <result>pass</result>
      </dkim>
      <spf>
        <domain>example.com</domain>
        <scope>mfrom</scope>
        <result>pass</result>
      </spf>
    </auth_results>
  </record>
  <record>
    <row>
      <source_ip>2001:db8::25</source_ip>
      <count>40</count>
      <policy_evaluated>
        <disposition>none</disposition>
        <dkim>pass</dkim>
        <spf>fail</spf>
      </policy_evaluated>
    </row>
    <identifiers>
      <envelope_from>bounces.newsletter.example</envelope_from>
      <header_from>news.example.com</header_from>
    </identifiers>
    <auth_results>
      <dkim>
        <domain>example.com</domain>
        <selector>esp</selector>
        <result>pass</result>
      </dkim>
      <dkim>
        <domain>newsletter.example</domain>
        <result>pass</result>
        <human_result>signed by the service too</human_result>
      </dkim>
      <spf>
        <domain>bounces.newsletter.example</domain>
        <scope>mfrom</scope>
        <result>pass</result>
      </spf>
    </auth_results>
  </record>
  <record>
    <row>
      <source_ip>203.0.113.66</source_ip>
      <count>7</count>
      <policy_evaluated>
        <disposition>reject</disposition>
        <dkim>fail</dkim>
        <spf>fail</spf>
      </policy_evaluated>
    </row>
    <identifiers>
      <header_from>example.com</header_from>
    </identifiers>
    <auth_results>
      <spf>
        <domain>example.com</domain>
        <result>fail</result>
      </spf>
    </auth_results>
  </record>
  <record>
    <row>
      <source_ip>192.0.2.10</source_ip>
      <count>3</count>
      <policy_evaluated>
        <disposition>quarantine</disposition>
        <dkim>fail</dkim>
        <spf>fail</spf>
        <reason>
          <type>local_policy</type>
          <comment>arrived through a forwarder</comment>
        </reason>
      </policy_evaluated>
    </row>
    <identifiers>
      <header_from>shop.example.com</header_from>
    </identifiers>
    <auth_results>
      <spf>
        <domain>forwarder.example</domain>
        <scope>helo</scope>
        <result>softfail</result>
      </spf>
    </auth_results>
  </record>
</feedback>
"""


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# -- reading ---------------------------------------------------------------------------------


def test_a_realistic_report_is_read() -> None:
    report = read_report(SAMPLE)
    assert (report.org_name, report.email, report.report_id) == (
        "receiver.example",
        "noreply-dmarc-support@receiver.example",
        "16719581638812345678",
    )
    assert report.extra_contact_info == "https://receiver.example/dmarc"
    assert report.version == "1.0"
    assert report.begin == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert report.end == datetime(2026, 1, 1, 23, 59, 59, tzinfo=timezone.utc)
    assert report.policy_published == PolicyPublished(
        domain="example.com",
        policy=Policy.REJECT,
        subdomain_policy=Policy.QUARANTINE,
        dkim_alignment=AlignmentMode.RELAXED,
        spf_alignment=AlignmentMode.STRICT,
        percent=100,
        failure_options="0",
    )
    assert report.messages == 170
    first, second, third, fourth = report.records
    assert first.source_ip == ipaddress.ip_address("192.0.2.10")
    assert (first.count, first.disposition, first.dkim_aligned, first.spf_aligned) == (
        120,
        Disposition.NONE,
        True,
        True,
    )
    assert first.auth_results.dkim == (DkimAuth("example.com", DkimResult.PASS, "mail2026"),)
    assert second.source_ip == ipaddress.ip_address("2001:db8::25")
    assert second.envelope_from == "bounces.newsletter.example"
    assert second.auth_results.dkim[1] == DkimAuth(
        "newsletter.example", DkimResult.PASS, None, "signed by the service too"
    )
    assert second.auth_results.spf == (
        SpfAuth("bounces.newsletter.example", SpfResult.PASS, SpfScope.MAILFROM),
    )
    assert third.disposition is Disposition.REJECT and not third.dmarc_passed
    assert third.auth_results.spf[0].scope is None
    assert fourth.reasons == (
        OverrideReason(PolicyOverride.LOCAL_POLICY, "arrived through a forwarder"),
    )
    assert fourth.auth_results.spf[0].scope is SpfScope.HELO


def test_gzip_and_zip_hold_the_same_report() -> None:
    expected = read_report(SAMPLE)
    assert read_report(gzip.compress(SAMPLE)) == expected
    assert (
        read_report(zipped({"receiver.example!example.com!1767225600!1767311999.xml": SAMPLE}))
        == expected
    )
    assert read_report(zipped({"r.xml": SAMPLE}, zipfile.ZIP_STORED)) == expected
    # Several gzip members, and zero padding after them (RFC 1952 §2.2).
    half = len(SAMPLE) // 2
    assert (
        read_report(gzip.compress(SAMPLE[:half]) + gzip.compress(SAMPLE[half:]) + b"\0" * 8)
        == expected
    )


def test_namespaced_reports_are_read() -> None:
    # The successor format adds a default namespace; the element names are the same.
    spaced = SAMPLE.replace(b"<feedback>", b'<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">')
    assert read_report(spaced).records == read_report(SAMPLE).records
    prefixed = SAMPLE.replace(b"<feedback>", b'<d:feedback xmlns:d="urn:x" xmlns="urn:x">')
    prefixed = prefixed.replace(b"</feedback>", b"</d:feedback>")
    assert read_report(prefixed).report_id == "16719581638812345678"


def test_unknown_elements_are_skipped() -> None:
    extended = SAMPLE.replace(
        b"<version>1.0</version>", b"<version>1.0</version><extension><x>1</x></extension>"
    )
    assert read_report(extended) == read_report(SAMPLE)


def test_summaries_total_each_source() -> None:
    rows = summarize([read_report(SAMPLE), read_report(SAMPLE)])
    assert [row.source_ip for row in rows] == ["192.0.2.10", "2001:db8::25", "203.0.113.66"]
    own = rows[0]
    assert (own.messages, own.dmarc_pass, own.dmarc_fail) == (246, 240, 6)
    assert (own.spf_aligned, own.spf_unaligned, own.dkim_aligned) == (240, 6, 240)
    assert (own.delivered, own.quarantined, own.rejected) == (240, 6, 0)
    assert own.header_from == ("example.com", "shop.example.com")
    newsletter = rows[1]
    assert (newsletter.messages, newsletter.dmarc_pass, newsletter.spf_aligned) == (80, 80, 0)
    forger = rows[2]
    assert (forger.messages, forger.dmarc_fail, forger.rejected) == (14, 14, 14)


# -- hostile and malformed input -------------------------------------------------------------


def refused(data: bytes) -> str:
    with pytest.raises(InputError) as caught:
        read_report(data)
    return caught.value.message


def test_billion_laughs_is_refused() -> None:
    # Ten levels of ten references each: 10^9 copies of "lol" if the entities were expanded.
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE feedback [{"".join(entities)}]><feedback>&lol9;</feedback>'
    )
    message = refused(bomb.encode())
    assert message.startswith("The report contains a document type declaration")


def test_an_external_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<feedback><report_metadata><org_name>&xxe;</org_name></report_metadata></feedback>"
    )
    assert "read local files" in refused(xxe)
    parameter = (
        b'<?xml version="1.0"?><!DOCTYPE feedback SYSTEM "http://attacker.example/evil.dtd">'
        b"<feedback/>"
    )
    assert "document type declaration" in refused(parameter)


def peak_while(call: Callable[[], object]) -> tuple[float, int]:
    """Seconds taken and the most memory allocated at once while ``call`` ran."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        call()
    except InputError:
        pass
    finally:
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return seconds, peak


def test_a_gzip_bomb_is_refused_quickly_in_little_memory() -> None:
    # About 1 MB of gzip that expands to 1 GiB of valid XML (comments, which need no callbacks):
    # the running total stops it at MAX_XML, and chunks are let go as they are parsed.
    comments = gzip.compress((b"<!--" + b" " * 100_000 + b"-->") * 80)  # 8 MB per member
    bomb = gzip.compress(b"<feedback>") + comments * 128
    assert len(bomb) < 2 * 1024 * 1024
    message = refused(bomb)
    assert message == (
        f"The report's XML is larger than {MAX_XML:,} bytes once decompressed; it is refused "
        "before reading on (a compression bomb expands a few kilobytes into gigabytes)."
    )
    seconds, peak = peak_while(lambda: read_report(bomb))
    assert seconds < 10
    assert peak < 8 * 1024 * 1024, f"{peak:,} bytes at the peak"


def test_a_single_stream_gzip_bomb_of_blanks_stops_at_the_text_bound() -> None:
    spaces = gzip.compress(b"<feedback>" + b" " * (64 * 1024 * 1024))
    assert refused(spaces) == (
        f"The report's <feedback> element holds more than {MAX_TEXT:,} characters of text; no "
        "value in a report is that long."
    )
    seconds, peak = peak_while(lambda: read_report(spaces))
    assert seconds < 5 and peak < 4 * 1024 * 1024


def test_a_zip_bomb_is_refused_by_its_declared_size() -> None:
    buffer = io.BytesIO()
    block = b" " * (1024 * 1024)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("report.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(256):
            member.write(block)
    bomb = buffer.getvalue()
    assert refused(bomb) == (
        f"The report's XML is larger than {MAX_XML:,} bytes (the zip archive says "
        f"{256 * 1024 * 1024:,}); it is refused before reading on (a compression bomb expands a "
        "few kilobytes into gigabytes)."
    )
    seconds, peak = peak_while(lambda: read_report(bomb))
    assert seconds < 2 and peak < 2 * 1024 * 1024


def test_a_zip_member_that_lies_about_its_size_is_refused() -> None:
    # The directory says 2,000 bytes; the data expands to 60 MB. Only the declared bytes are read,
    # and their checksum then does not match: refused without expanding the rest.
    data = b"<feedback>" + b" " * (60 * 1024 * 1024)
    archive = bytearray(zipped({"report.xml": data}))
    local = archive.find(b"PK\x03\x04")
    central = archive.find(b"PK\x01\x02")
    struct.pack_into("<I", archive, local + 22, 2000)
    struct.pack_into("<I", archive, central + 24, 2000)
    message = refused(bytes(archive))
    assert message.startswith("The zip archive cannot be read: Bad CRC-32")
    seconds, peak = peak_while(lambda: read_report(bytes(archive)))
    assert seconds < 2 and peak < 4 * 1024 * 1024


def test_a_zip_with_many_entries_is_refused_before_its_directory_is_read() -> None:
    members = {f"r{i}.xml": b"<feedback/>" for i in range(MAX_ZIP_MEMBERS + 1)}
    assert refused(zipped(members)) == (
        f"The zip archive has {MAX_ZIP_MEMBERS + 1:,} entries; a report archive holds one XML file."
    )
    assert refused(zipped({"a.xml": SAMPLE, "b.xml": SAMPLE})) == (
        "The zip archive holds 2 files ('a.xml', 'b.xml'); a report archive holds one."
    )
    assert refused(zipped({})) == "The zip archive holds no file."


def test_oversized_compressed_input_is_refused_unopened() -> None:
    data = b"\x1f\x8b" + b"\0" * MAX_COMPRESSED
    assert refused(data) == (
        f"The compressed report is {len(data):,} bytes; the most read is {MAX_COMPRESSED:,}."
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The report is empty."),
        (b"%PDF-1.7", "The report is neither XML, gzip nor zip: it starts with b'%PDF-1.7'."),
        (
            b"<feedback><report_metadata>",
            "The report is not well-formed XML: no element found (line 1, column 27).",
        ),
        (
            b"<feedback></report>",
            "The report is not well-formed XML: mismatched tag (line 1, column 12).",
        ),
        (
            b"<html><body/></html>",
            "The report's root element is <'html'>; an aggregate report "
            "is a <feedback> element (RFC 7489 Appendix C).",
        ),
        (
            b"<feedback/>",
            "The report's <feedback> has no <report_metadata> element (RFC 7489 Appendix C).",
        ),
        (
            gzip.compress(SAMPLE)[:-12],
            "The gzip data ends before the compressed stream does: the file is cut short.",
        ),
        (
            gzip.compress(SAMPLE) + b"junk",
            "The gzip data is followed by 4 bytes that are not gzip.",
        ),
        (b"PK\x03\x04" + b"\0" * 40, "The zip archive cannot be read: File is not a zip file."),
    ],
)
def test_malformed_input_is_refused_with_a_reason(data: bytes, message: str) -> None:
    assert refused(data) == message


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            b"<count>120</count>",
            b"<count>many</count>",
            "The report's record 1 has <count>'many'</count>, which is not a whole number.",
        ),
        (
            b"<source_ip>192.0.2.10</source_ip>",
            b"<source_ip>192.0.2.300</source_ip>",
            "The report's record 1 has the source IP '192.0.2.300', which is not an IP address.",
        ),
        (
            b"<disposition>reject</disposition>",
            b"<disposition>drop</disposition>",
            "The report's record 3, <policy_evaluated> has <disposition>'drop'</disposition>; "
            "allowed are none, quarantine, reject.",
        ),
        (
            b"<scope>helo</scope>",
            b"<scope>rcpt</scope>",
            "The report's record 4, <auth_results> "
            "has <scope>'rcpt'</scope>; allowed are helo, mfrom.",
        ),
        (
            b"<header_from>news.example.com</header_from>",
            b"",
            "The report's record 2 has no <header_from> element (RFC 7489 Appendix C).",
        ),
        (
            b"<p>reject</p>",
            b"",
            "The report's <policy_published> has no <p> element (RFC 7489 Appendix C).",
        ),
        (
            b"<end>1767311999</end>",
            b"<end>1</end>",
            "The report's date range 1767225600 to 1 is "
            "not a period: the end is before the start, or a date lies outside the calendar.",
        ),
        (
            b"<version>1.0</version>",
            b"<version>1.0</version><version>2</version>",
            "The report has more than one <version> element; a report has one.",
        ),
    ],
)
def test_wrong_values_name_the_record_and_element(old: bytes, new: bytes, message: str) -> None:
    assert old in SAMPLE
    assert refused(SAMPLE.replace(old, new, 1)) == message


def test_a_report_without_records_is_refused() -> None:
    start = SAMPLE.index(b"<record>")
    end = SAMPLE.rindex(b"</record>") + len(b"</record>")
    assert refused(SAMPLE[:start] + SAMPLE[end:]) == (
        "The report has no <record> elements; a report lists at least one row."
    )


def test_element_and_record_counts_are_bounded() -> None:
    deep = b"<feedback><record>" + b"<x/>" * (MAX_PENDING + 1) + b"</record></feedback>"
    assert refused(deep).startswith(f"The report has more than {MAX_PENDING:,} elements inside")
    junk = b"<feedback>" + b"<x/>" * 1001 + b"</feedback>"
    assert refused(junk).startswith("The report has more than 1,000 elements that are not part")
    start = SAMPLE.index(b"<record>")
    end = SAMPLE.index(b"</record>") + len(b"</record>")
    record = b"".join(line.strip() for line in SAMPLE[start:end].splitlines())
    many = SAMPLE[:start] + record * (MAX_RECORDS + 1) + SAMPLE[end:]
    assert refused(gzip.compress(many)) == (
        f"The report has more than {MAX_RECORDS:,} records; the most read is {MAX_RECORDS:,}."
    )


def test_a_long_tag_is_refused_before_the_parser_buffers_it() -> None:
    data = gzip.compress(b'<feedback a="' + b"x" * (8 * 1024 * 1024) + b'"/>')
    assert refused(data).startswith("The report has more than 262,144 bytes without a '>'")


# -- writing ---------------------------------------------------------------------------------

ZONE = ZoneResolver.from_text(
    '_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=s"\n'
    '_dmarc.example.net. TXT "v=DMARC1; p=none"\n'
)


@dataclass(frozen=True)
class Dkim:
    result: str
    domain: str | None
    selector: str | None


def judged(from_domain: str, *, spf: SpfInput | None = None, dkim=(), sample: float = 0.0):  # type: ignore[no-untyped-def]
    data = f"From: a@{from_domain}\r\n\r\nHi\r\n".encode()
    return evaluate(data, spf=spf, dkim=dkim, resolver=ZONE, sample=sample)


BEGIN = datetime(2026, 3, 1, tzinfo=timezone.utc)
END = datetime(2026, 3, 2, tzinfo=timezone.utc)


def test_evaluations_become_a_report_that_reads_back() -> None:
    good = judged(
        "example.com",
        spf=SpfInput("pass", "example.com"),
        dkim=(Dkim("pass", "example.com", "s1"),),
    )
    forged = judged("example.com", spf=SpfInput("fail", "example.com"))
    sampled = judged("news.example.com", spf=SpfInput("softfail", "x.example", "helo"), sample=0.9)
    data = write_report(
        [
            ("192.0.2.1", good),
            ("192.0.2.1", good),
            ("203.0.113.9", forged),
            ("2001:db8::1", sampled),
            ("192.0.2.1", good),
        ],
        org_name="mx.receiver.example",
        email="dmarc@receiver.example",
        report_id="2026-03-01-example.com",
        begin=BEGIN,
        end=int(END.timestamp()),
    )
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<feedback>")
    report = read_report(data)
    assert report.policy_published == PolicyPublished(
        "example.com",
        Policy.REJECT,
        Policy.QUARANTINE,
        AlignmentMode.STRICT,
        AlignmentMode.RELAXED,
        50,
        "0",
    )
    assert (report.begin, report.end, report.version) == (BEGIN, END, "1.0")
    assert [(str(r.source_ip), r.count) for r in report.records] == [
        ("192.0.2.1", 3),  # identical rows are grouped, in the order first seen
        ("203.0.113.9", 1),
        ("2001:db8::1", 1),
    ]
    ours, forger, helo = report.records
    assert ours == ReportRecord(
        source_ip=ipaddress.ip_address("192.0.2.1"),
        count=3,
        disposition=Disposition.NONE,
        dkim_aligned=True,
        spf_aligned=True,
        header_from="example.com",
        auth_results=AuthResults(
            dkim=(DkimAuth("example.com", DkimResult.PASS, "s1"),),
            spf=(SpfAuth("example.com", SpfResult.PASS, SpfScope.MAILFROM),),
        ),
        envelope_from="example.com",
    )
    assert forger.disposition is Disposition.REJECT and not forger.dmarc_passed
    assert helo.reasons == (OverrideReason(PolicyOverride.SAMPLED_OUT),)
    assert helo.disposition is Disposition.NONE  # sp=quarantine, sampled out
    assert helo.envelope_from is None and helo.auth_results.spf[0].scope is SpfScope.HELO
    assert report_xml(report) == data
    # And compressed, as it would be mailed.
    assert read_report(gzip.compress(data)) == report


def test_writing_refuses_what_cannot_be_reported() -> None:
    good = judged("example.com", dkim=(Dkim("pass", "example.com", "s1"),))
    other = judged("example.net")
    nothing = judged("nowhere.example")
    common = {"org_name": "r", "email": "e@r.example", "report_id": "1", "begin": BEGIN, "end": END}
    with pytest.raises(InputError) as caught:
        write_report([("192.0.2.1", good), ("192.0.2.2", other)], **common)
    assert caught.value.message == (
        "Evaluation 2 used the record of example.net, but this report is for example.com; "
        "write one report per domain."
    )
    with pytest.raises(InputError) as caught:
        write_report([("192.0.2.1", nothing)], **common)
    assert caught.value.message.startswith("Evaluation 1 (none) had no DMARC record")
    with pytest.raises(InputError) as caught:
        write_report([("not an ip", good)], **common)
    assert (
        caught.value.message == "Evaluation 1 comes with 'not an ip', which is not an IP address."
    )
    with pytest.raises(InputError):
        write_report([], **common)
    with pytest.raises(InputError):
        write_report([("192.0.2.1", good)], **{**common, "begin": datetime(2026, 1, 1)})
    with pytest.raises(InputError):
        write_report([("192.0.2.1", good)], **{**common, "begin": END, "end": BEGIN})
    with pytest.raises(InputError):
        write_report([("192.0.2.1", good)], **{**common, "org_name": " "})


text = (
    st.text(st.characters(min_codepoint=32, max_codepoint=0x7E), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
records = st.builds(
    ReportRecord,
    source_ip=st.ip_addresses(),
    count=st.integers(0, 10**9),
    disposition=st.sampled_from(Disposition),
    dkim_aligned=st.booleans(),
    spf_aligned=st.booleans(),
    header_from=text,
    auth_results=st.builds(
        AuthResults,
        dkim=st.lists(
            st.builds(DkimAuth, text, st.sampled_from(DkimResult), st.none() | text), max_size=3
        ).map(tuple),
        spf=st.lists(
            st.builds(
                SpfAuth, text, st.sampled_from(SpfResult), st.none() | st.sampled_from(SpfScope)
            ),
            max_size=2,
        ).map(tuple),
    ),
    reasons=st.lists(
        st.builds(OverrideReason, st.sampled_from(PolicyOverride), st.none() | text), max_size=2
    ).map(tuple),
    envelope_from=st.none() | text,
    envelope_to=st.none() | text,
)
reports = st.builds(
    AggregateReport,
    org_name=text,
    email=text,
    report_id=text,
    begin=st.just(BEGIN),
    end=st.just(END),
    policy_published=st.builds(
        PolicyPublished,
        domain=text,
        policy=st.sampled_from(Policy),
        subdomain_policy=st.none() | st.sampled_from(Policy),
        dkim_alignment=st.sampled_from(AlignmentMode),
        spf_alignment=st.sampled_from(AlignmentMode),
        percent=st.integers(0, 100),
        failure_options=st.none() | text,
    ),
    records=st.lists(records, min_size=1, max_size=4).map(tuple),
    extra_contact_info=st.none() | text,
    errors=st.lists(text, max_size=2).map(tuple),
    version=st.none() | st.just("1.0"),
)


@given(reports)
@settings(max_examples=150, deadline=None)
def test_any_report_round_trips_through_xml(report: AggregateReport) -> None:
    assert read_report(report_xml(report)) == report


@given(st.binary(max_size=300))
@settings(max_examples=300)
def test_any_bytes_are_read_or_refused_with_an_input_error(data: bytes) -> None:
    try:
        read_report(data)
    except InputError as exc:
        assert exc.message


@given(st.integers(0, len(SAMPLE) - 1), st.integers(1, 40), st.binary(min_size=0, max_size=8))
@settings(max_examples=300)
def test_a_damaged_sample_is_read_or_refused_with_an_input_error(
    at: int, cut: int, junk: bytes
) -> None:
    damaged = SAMPLE[:at] + junk + SAMPLE[at + cut :]
    for data in (damaged, gzip.compress(damaged)[: max(10, len(damaged) // 3)]):
        try:
            read_report(data)
        except InputError as exc:
            assert exc.message


@pytest.mark.parametrize("encoding", ["TF-8", "no-such-encoding", "utf-16"])
def test_an_unknown_or_wrong_declared_encoding_is_an_input_error(encoding: str) -> None:
    """A damaged declaration (found by the property test above): one plain error, no traceback."""
    data = SAMPLE.replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode(), 1)
    assert data != SAMPLE
    with pytest.raises(InputError, match=r"encoding|not well-formed"):
        read_report(data)
