"""Aggregate reports as XML (RFC 7489 Appendix C): reading what arrives, writing our own.

Reading (:func:`read_report`) treats the report as hostile, because anyone can send one to an
address published in ``rua=``:

- the bytes are opened by :func:`mailsec.dmarc.unpack.report_chunks` (XML, gzip or zip, with size
  bounds against compression bombs);
- the XML is parsed by ``defusedxml``'s SAX parser with document type declarations refused,
  which refuses entity definitions with them: no "billion laughs" expansion, no external entity
  reading a local file (XXE). Reports never carry a ``<!DOCTYPE``;
- it is parsed as it arrives, chunk by chunk: each ``<record>`` becomes a
  :class:`~mailsec.dmarc.reports.ReportRecord` and its elements are let go, so memory holds the
  rows, not the tree. Bounds: :data:`MAX_RECORDS` rows, :data:`MAX_PENDING` elements held at
  once, :data:`MAX_TEXT` characters of text in one element, :data:`MAX_TOKEN` bytes without a
  ``>`` (the parser holds a whole tag or comment until it ends), :data:`MAX_UNKNOWN` unknown
  elements;
- every value is checked (an IP address, a count, a disposition, a result), and anything wrong is
  an :class:`~mailsec.errors.InputError` naming the record and the element.

Element names are read without their XML namespace, so reports in the format of RFC 7489 and of
its successor (which adds ``xmlns="urn:ietf:params:xml:ns:dmarc-2.0"``) both read; elements the
model does not know are skipped.

Writing (:func:`write_report`) turns evaluations into a report the way a receiver does: messages
from one IP address that were evaluated alike become one row with a count.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import xml.etree.ElementTree as ET
import xml.sax
import xml.sax.handler
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import TypeVar

import defusedxml
from defusedxml.expatreader import DefusedExpatParser

from mailsec.dkim.result import DkimResult
from mailsec.dmarc.alignment import SpfScope
from mailsec.dmarc.record import AlignmentMode, Policy
from mailsec.dmarc.reports import (
    AggregateReport,
    AuthResults,
    DkimAuth,
    OverrideReason,
    PolicyPublished,
    ReportRecord,
    SpfAuth,
)
from mailsec.dmarc.result import Disposition, DmarcEvaluation, PolicyOverride
from mailsec.dmarc.unpack import CHUNK, report_chunks
from mailsec.errors import InputError, one_line, quoted
from mailsec.i18n import texts
from mailsec.limits import MAX_REPORT_PENDING as MAX_PENDING
from mailsec.limits import MAX_REPORT_ROWS as MAX_RECORDS
from mailsec.limits import MAX_REPORT_TEXT as MAX_TEXT
from mailsec.limits import MAX_REPORT_TOKEN as MAX_TOKEN
from mailsec.limits import MAX_REPORT_UNKNOWN as MAX_UNKNOWN
from mailsec.spf.result import SpfResult

__all__ = [
    "MAX_PENDING",
    "MAX_RECORDS",
    "MAX_TEXT",
    "MAX_TOKEN",
    "read_report",
    "report_xml",
    "write_report",
]


assert CHUNK < MAX_TOKEN, "a run inside one chunk must not reach MAX_TOKEN (see _bounded_tokens)"


MAX_DIGITS = 18

MESSAGES = texts(
    {
        "xml": "The report is not well-formed XML: {detail} (line {line}, column {column}).",
        "encoding": "The report's XML cannot be read in the encoding it declares: {detail}.",
        "dtd": "The report contains a document type declaration (<!DOCTYPE ...>), which can define "
        "entities that expand to gigabytes or read local files; reports have none, so it is refused.",
        "entities": "The report defines XML entities, which can expand to gigabytes or read local "
        "files; reports have none, so it is refused.",
        "root": "The report's root element is <{name}>; an aggregate report is a <feedback> "
        "element (RFC 7489 Appendix C).",
        "missing": "The report's {where} has no <{name}> element (RFC 7489 Appendix C).",
        "too_many_records": "The report has more than {limit:,} records; the most read is {limit:,}.",
        "too_many_elements": "The report has more than {limit:,} elements inside one part "
        "({where}); that is not a report anybody wrote.",
        "twice": "The report has more than one <{name}> element; a report has one.",
        "unknown": "The report has more than {limit:,} elements that are not part of an aggregate "
        "report (RFC 7489 Appendix C).",
        "long_token": "The report has more than {limit:,} bytes without a '>': a tag, comment or "
        "text that long is not part of any report.",
        "too_much_text": "The report's <{name}> element holds more than {limit:,} characters of "
        "text; no value in a report is that long.",
        "integer": "The report's {where} has <{name}>{value}</{name}>, which is not a whole number.",
        "date": "The report's date range {begin} to {end} is not a period: the end is before the "
        "start, or a date lies outside the calendar.",
        "ip": "The report's {where} has the source IP {value}, which is not an IP address.",
        "choice": "The report's {where} has <{name}>{value}</{name}>; allowed are {allowed}.",
        "no_records": "The report has no <record> elements; a report lists at least one row.",
        "write_empty": "{name} must not be empty: it is required in every report.",
        "write_ip": "Evaluation {number} comes with {value}, which is not an IP address.",
        "write_no_record": "Evaluation {number} ({result}) had no DMARC record; only messages a "
        "record applied to are reported to that record's owner.",
        "write_domain": "Evaluation {number} used the record of {domain}, but this report is for "
        "{policy_domain}; write one report per domain.",
        "write_time": "{name} must be a datetime with a time zone (such as timezone.utc) or "
        "seconds since 1970, not {value}.",
        "write_period": "The report's period ends ({end}) before it begins ({begin}).",
        "write_nothing": "There are no evaluations to report.",
    }
)

_WHERE = {"metadata": "<report_metadata>", "policy": "<policy_published>"}

E = TypeVar("E", bound=enum.Enum)


# -- reading --------------------------------------------------------------------------------------


def read_report(data: bytes) -> AggregateReport:
    """Read an aggregate report given as XML, gzip or zip bytes (see the module docstring)."""
    handler = _Handler()
    parser = DefusedExpatParser(forbid_dtd=True)
    parser.setFeature(xml.sax.handler.feature_namespaces, True)
    parser.setContentHandler(handler)
    try:
        for chunk in _bounded_tokens(report_chunks(data)):
            parser.feed(chunk)
        parser.close()
    except xml.sax.SAXParseException as exc:
        detail = exc.getMessage()
        line, column = exc.getLineNumber(), exc.getColumnNumber()
        raise InputError(MESSAGES["xml"].format(detail=detail, line=line, column=column)) from None
    except defusedxml.DTDForbidden:
        raise InputError(MESSAGES["dtd"]) from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden):
        raise InputError(MESSAGES["entities"]) from None
    except (LookupError, UnicodeError) as exc:
        # An XML declaration naming an encoding Python does not know (or text that is not in
        # the one it names) stops expat before any element is read.
        raise InputError(MESSAGES["encoding"].format(detail=exc)) from None
    return _report(handler.parts, handler.records)


def _bounded_tokens(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks, refused once more than :data:`MAX_TOKEN` bytes pass without a '>' (a chunk is
    shorter than that, so only the runs across chunk boundaries need counting)."""
    run = 0
    for chunk in chunks:
        first = chunk.find(b">")
        if first < 0:
            run += len(chunk)
        elif run + first > MAX_TOKEN:
            run += first
        else:
            run = len(chunk) - 1 - chunk.rfind(b">")
        if run > MAX_TOKEN:
            raise InputError(MESSAGES["long_token"].format(limit=MAX_TOKEN))
        yield chunk


class _Handler(xml.sax.handler.ContentHandler):
    """Builds each part of <feedback> (a record, the metadata ...) as a small element tree, hands
    it to its reader when it ends, and lets it go. Only the text of the innermost element is
    kept, up to :data:`MAX_TEXT` characters."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[ET.Element] = []
        self.text: list[str] = []
        self.text_size = 0
        self.pending = 0
        self.parts: dict[str, object] = {}
        self.records: list[ReportRecord] = []
        self.unknown = 0

    def startElementNS(self, name: tuple[str | None, str], qname: object, attrs: object) -> None:
        local = name[1]  # without the namespace
        self.text, self.text_size = [], 0
        elem = ET.Element(local)
        if not self.stack and local != "feedback":
            raise InputError(MESSAGES["root"].format(name=quoted(local, 40)))
        if len(self.stack) >= 2:  # inside a part: keep it in the part's tree
            self.stack[-1].append(elem)
        self.pending += 1
        if self.pending > MAX_PENDING:
            where = f"record {len(self.records) + 1}" if len(self.stack) > 1 else "<feedback>"
            raise InputError(MESSAGES["too_many_elements"].format(limit=MAX_PENDING, where=where))
        self.stack.append(elem)

    def characters(self, content: str) -> None:
        self.text_size += len(content)
        if self.text_size > MAX_TEXT:
            name = self.stack[-1].tag if self.stack else "feedback"
            raise InputError(MESSAGES["too_much_text"].format(name=name, limit=MAX_TEXT))
        self.text.append(content)

    def endElementNS(self, name: tuple[str | None, str], qname: object) -> None:
        elem = self.stack.pop()
        if len(elem) == 0:
            elem.text = "".join(self.text)
        self.text, self.text_size = [], 0
        if len(self.stack) != 1:
            return
        self.pending = 0
        if elem.tag == "record":
            if len(self.records) >= MAX_RECORDS:
                raise InputError(MESSAGES["too_many_records"].format(limit=MAX_RECORDS))
            self.records.append(_record(elem, len(self.records) + 1))
        elif elem.tag in _PARTS:
            if elem.tag in self.parts:
                raise InputError(MESSAGES["twice"].format(name=elem.tag))
            self.parts[elem.tag] = _PARTS[elem.tag](elem)
        else:  # an element of a later version, which is skipped; but not millions of them
            self.unknown += 1
            if self.unknown > MAX_UNKNOWN:
                raise InputError(MESSAGES["unknown"].format(limit=MAX_UNKNOWN))


def _report(parts: dict[str, object], records: list[ReportRecord]) -> AggregateReport:
    for name in ("report_metadata", "policy_published"):
        if name not in parts:
            raise InputError(MESSAGES["missing"].format(where="<feedback>", name=name))
    if not records:
        raise InputError(MESSAGES["no_records"])
    metadata = parts["report_metadata"]
    policy = parts["policy_published"]
    version = parts.get("version")
    assert isinstance(metadata, dict) and isinstance(policy, PolicyPublished)
    return AggregateReport(
        policy_published=policy,
        records=tuple(records),
        version=version if isinstance(version, str) and version else None,
        **metadata,
    )


def _child(elem: ET.Element, name: str, where: str) -> ET.Element:
    found = elem.find(name)
    if found is None:
        raise InputError(MESSAGES["missing"].format(where=where, name=name))
    return found


def _text(elem: ET.Element, name: str, where: str, *, required: bool = True) -> str | None:
    found = elem.find(name)
    if found is None:
        if required:
            raise InputError(MESSAGES["missing"].format(where=where, name=name))
        return None
    text = (found.text or "").strip()
    return text if text or required else None


def _integer(elem: ET.Element, name: str, where: str) -> int:
    text = _text(elem, name, where) or ""
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS):
        raise InputError(MESSAGES["integer"].format(where=where, name=name, value=quoted(text, 30)))
    return int(text)


def _choice(kind: type[E], elem: ET.Element, name: str, where: str) -> E:
    text = _text(elem, name, where) or ""
    try:
        return kind(text.lower())
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise InputError(
            MESSAGES["choice"].format(
                where=where, name=name, value=quoted(text, 30), allowed=allowed
            )
        ) from None


def _metadata(elem: ET.Element) -> dict[str, object]:
    where = _WHERE["metadata"]
    dates = _child(elem, "date_range", where)
    begin, end = _integer(dates, "begin", "<date_range>"), _integer(dates, "end", "<date_range>")
    try:
        start, stop = (datetime.fromtimestamp(t, timezone.utc) for t in (begin, end))
    except (OverflowError, OSError, ValueError):
        raise InputError(MESSAGES["date"].format(begin=begin, end=end)) from None
    if stop < start:
        raise InputError(MESSAGES["date"].format(begin=begin, end=end))
    return {
        "org_name": _text(elem, "org_name", where),
        "email": _text(elem, "email", where),
        "report_id": _text(elem, "report_id", where),
        "extra_contact_info": _text(elem, "extra_contact_info", where, required=False),
        "errors": tuple((e.text or "").strip() for e in elem.findall("error")),
        "begin": start,
        "end": stop,
    }


def _optional(kind: type[E], elem: ET.Element, name: str, where: str) -> E | None:
    if _text(elem, name, where, required=False) is None:
        return None
    return _choice(kind, elem, name, where)


def _policy(elem: ET.Element) -> PolicyPublished:
    where = _WHERE["policy"]
    percent = _integer(elem, "pct", where) if _text(elem, "pct", where, required=False) else 100
    return PolicyPublished(
        domain=_text(elem, "domain", where) or "",
        policy=_choice(Policy, elem, "p", where),
        subdomain_policy=_optional(Policy, elem, "sp", where),
        dkim_alignment=_optional(AlignmentMode, elem, "adkim", where) or AlignmentMode.RELAXED,
        spf_alignment=_optional(AlignmentMode, elem, "aspf", where) or AlignmentMode.RELAXED,
        percent=percent,
        failure_options=_text(elem, "fo", where, required=False),
    )


def _version(elem: ET.Element) -> str:
    return (elem.text or "").strip()


def _record(elem: ET.Element, number: int) -> ReportRecord:
    where = f"record {number}"
    row = _child(elem, "row", where)
    source = _text(row, "source_ip", where) or ""
    try:
        source_ip = ipaddress.ip_address(source)
    except ValueError:
        raise InputError(MESSAGES["ip"].format(where=where, value=quoted(source, 40))) from None
    evaluated = _child(row, "policy_evaluated", where)
    inner = f"{where}, <policy_evaluated>"
    identifiers = _child(elem, "identifiers", where)
    auth = elem.find("auth_results")
    return ReportRecord(
        source_ip=source_ip,
        count=_integer(row, "count", where),
        disposition=_choice(Disposition, evaluated, "disposition", inner),
        dkim_aligned=_choice(_PassFail, evaluated, "dkim", inner) is _PassFail.PASS,
        spf_aligned=_choice(_PassFail, evaluated, "spf", inner) is _PassFail.PASS,
        reasons=tuple(
            OverrideReason(
                _choice(PolicyOverride, reason, "type", inner),
                _text(reason, "comment", inner, required=False),
            )
            for reason in evaluated.findall("reason")
        ),
        header_from=_text(identifiers, "header_from", where) or "",
        envelope_from=_text(identifiers, "envelope_from", where, required=False),
        envelope_to=_text(identifiers, "envelope_to", where, required=False),
        auth_results=_auth_results(auth, where) if auth is not None else AuthResults(),
    )


class _PassFail(str, enum.Enum):
    """``DMARCResultType``: whether the identifier passed and aligned."""

    PASS = "pass"
    FAIL = "fail"


def _auth_results(elem: ET.Element, where: str) -> AuthResults:
    inner = f"{where}, <auth_results>"
    dkim = tuple(
        DkimAuth(
            domain=_text(item, "domain", inner) or "",
            result=_choice(DkimResult, item, "result", inner),
            selector=_text(item, "selector", inner, required=False),
            human_result=_text(item, "human_result", inner, required=False),
        )
        for item in elem.findall("dkim")
    )
    spf = tuple(
        SpfAuth(
            domain=_text(item, "domain", inner) or "",
            result=_choice(SpfResult, item, "result", inner),
            scope=_scope(_optional(_XmlScope, item, "scope", inner)),
            human_result=_text(item, "human_result", inner, required=False),
        )
        for item in elem.findall("spf")
    )
    return AuthResults(dkim, spf)


class _XmlScope(str, enum.Enum):
    """``SPFDomainScope``: the identity SPF checked, as the XML names it."""

    HELO = "helo"
    MFROM = "mfrom"


_SCOPES = {_XmlScope.HELO: SpfScope.HELO, _XmlScope.MFROM: SpfScope.MAILFROM}
_XML_SCOPES = {v: k for k, v in _SCOPES.items()}


def _scope(scope: _XmlScope | None) -> SpfScope | None:
    return None if scope is None else _SCOPES[scope]


#: The parts of <feedback> read besides records, and how.
_PARTS = {"report_metadata": _metadata, "policy_published": _policy, "version": _version}


# -- writing --------------------------------------------------------------------------------------


def write_report(
    evaluations: Iterable[tuple[str, DmarcEvaluation]],
    *,
    org_name: str,
    email: str,
    report_id: str,
    begin: datetime | int,
    end: datetime | int,
    policy: PolicyPublished | None = None,
    extra_contact_info: str | None = None,
) -> bytes:
    """An aggregate report (XML bytes) of ``evaluations``, given as ``(source_ip, evaluation)``
    pairs, from the receiver ``org_name`` (contact ``email``) for the period ``begin``-``end``.

    ``policy`` is the published policy the report is about; by default it is read from the
    first evaluation's record. Every evaluation must have used that domain's record.
    """
    for name, value in (("org_name", org_name), ("email", email), ("report_id", report_id)):
        if not value.strip():
            raise InputError(MESSAGES["write_empty"].format(name=name))
    start, stop = _moment("begin", begin), _moment("end", end)
    if stop < start:
        raise InputError(MESSAGES["write_period"].format(begin=start, end=stop))
    counts: dict[ReportRecord, int] = {}
    for number, (ip, evaluation) in enumerate(evaluations, start=1):
        if evaluation.record is None or evaluation.record_domain is None:
            raise InputError(
                MESSAGES["write_no_record"].format(number=number, result=evaluation.result)
            )
        if policy is None:
            policy = PolicyPublished.from_record(evaluation.record_domain, evaluation.record)
        if evaluation.record_domain != policy.domain:
            raise InputError(
                MESSAGES["write_domain"].format(
                    number=number, domain=evaluation.record_domain, policy_domain=policy.domain
                )
            )
        row = _row(ip, evaluation, number)
        counts[row] = counts.get(row, 0) + 1
    if policy is None or not counts:
        raise InputError(MESSAGES["write_nothing"])
    records = tuple(dataclasses.replace(row, count=count) for row, count in counts.items())
    report = AggregateReport(
        org_name=org_name,
        email=email,
        report_id=report_id,
        begin=start,
        end=stop,
        policy_published=policy,
        records=records,
        extra_contact_info=extra_contact_info,
        version="1.0",
    )
    return report_xml(report)


def _moment(name: str, value: datetime | int) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return datetime.fromtimestamp(int(value.timestamp()), timezone.utc)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return datetime.fromtimestamp(value, timezone.utc)
    raise InputError(MESSAGES["write_time"].format(name=name, value=quoted(repr(value), 40)))


def _row(ip: str, evaluation: DmarcEvaluation, number: int) -> ReportRecord:
    """One message's row with count 1 (rows that are equal are then counted together)."""
    try:
        source_ip = ipaddress.ip_address(ip)
    except ValueError:
        raise InputError(
            MESSAGES["write_ip"].format(number=number, value=quoted(str(ip), 40))
        ) from None
    spf = evaluation.spf
    auth = AuthResults(
        dkim=tuple(DkimAuth(s.domain, s.result, s.selector) for s in evaluation.dkim if s.domain),
        spf=(SpfAuth(spf.domain, spf.result, spf.scope),) if spf is not None else (),
    )
    envelope_from = spf.domain if spf is not None and spf.scope is SpfScope.MAILFROM else None
    reasons = (OverrideReason(evaluation.override),) if evaluation.override else ()
    return ReportRecord(
        source_ip=source_ip,
        count=1,
        disposition=evaluation.disposition,
        dkim_aligned=evaluation.dkim_aligned,
        spf_aligned=evaluation.spf_aligned,
        header_from=evaluation.from_domain or "",
        auth_results=auth,
        reasons=reasons,
        envelope_from=envelope_from or None,
    )


def report_xml(report: AggregateReport) -> bytes:
    """The report in the XML format of RFC 7489 Appendix C, UTF-8, indented."""
    root = ET.Element("feedback")
    _add(root, "version", report.version)
    meta = ET.SubElement(root, "report_metadata")
    for name in ("org_name", "email", "extra_contact_info", "report_id"):
        _add(meta, name, getattr(report, name))
    dates = ET.SubElement(meta, "date_range")
    _add(dates, "begin", str(int(report.begin.timestamp())))
    _add(dates, "end", str(int(report.end.timestamp())))
    for error in report.errors:
        _add(meta, "error", error)
    _policy_xml(ET.SubElement(root, "policy_published"), report.policy_published)
    for record in report.records:
        _record_xml(ET.SubElement(root, "record"), record)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _add(parent: ET.Element, name: str, value: object) -> None:
    if value is None:
        return
    text = value.value if isinstance(value, enum.Enum) else str(value)
    # one_line: a control character cannot appear in XML 1.0 at all; it is written as its escape.
    ET.SubElement(parent, name).text = one_line(text)


def _policy_xml(elem: ET.Element, policy: PolicyPublished) -> None:
    _add(elem, "domain", policy.domain)
    _add(elem, "adkim", policy.dkim_alignment)
    _add(elem, "aspf", policy.spf_alignment)
    _add(elem, "p", policy.policy)
    _add(elem, "sp", policy.subdomain_policy)
    _add(elem, "pct", policy.percent)
    _add(elem, "fo", policy.failure_options)


def _record_xml(elem: ET.Element, record: ReportRecord) -> None:
    row = ET.SubElement(elem, "row")
    _add(row, "source_ip", record.source_ip)
    _add(row, "count", record.count)
    evaluated = ET.SubElement(row, "policy_evaluated")
    _add(evaluated, "disposition", record.disposition)
    _add(evaluated, "dkim", "pass" if record.dkim_aligned else "fail")
    _add(evaluated, "spf", "pass" if record.spf_aligned else "fail")
    for reason in record.reasons:
        item = ET.SubElement(evaluated, "reason")
        _add(item, "type", reason.type)
        _add(item, "comment", reason.comment)
    identifiers = ET.SubElement(elem, "identifiers")
    _add(identifiers, "envelope_to", record.envelope_to)
    _add(identifiers, "envelope_from", record.envelope_from or "")
    _add(identifiers, "header_from", record.header_from)
    auth = ET.SubElement(elem, "auth_results")
    for dkim in record.auth_results.dkim:
        item = ET.SubElement(auth, "dkim")
        _add(item, "domain", dkim.domain)
        _add(item, "selector", dkim.selector)
        _add(item, "result", dkim.result)
        _add(item, "human_result", dkim.human_result)
    for spf in record.auth_results.spf:
        item = ET.SubElement(auth, "spf")
        _add(item, "domain", spf.domain)
        _add(item, "scope", _XML_SCOPES[spf.scope] if spf.scope else None)
        _add(item, "result", spf.result)
        _add(item, "human_result", spf.human_result)
