"""Chapter 07's report lab: reading DMARC aggregate reports as bank.example's postmaster.

The menu picks the simulated week's reports (:func:`mailsec.dmarc.traffic.simulated_week`: every
message really checked, every report really written and read back), one receiver's or all of
them together; the upload button reads the learner's own reports (XML, ``.xml.gz`` or ``.zip``,
several at once), within the bounds of :func:`mailsec.dmarc.read_report`. The lab shows one line
per report, the per-source table, the chart and what the numbers tell the domain's owner.

The week is made once per Python session, before the lab appears (a few hundred milliseconds,
most of it the course's DKIM keys); after that a change of the menu only sums and draws.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from mailsec.dmarc.reports import AggregateReport, SourceSummary, summarize
from mailsec.dmarc.reportxml import read_report
from mailsec.dmarc.traffic import SEED, SourceNote, Week, assess, simulated_week
from mailsec.errors import InputError, quoted
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, dropdown, tagged
from mailsec.render.dmarc_reports import (
    findings_html,
    report_headers_html,
    sources_chart,
    sources_table,
)
from mailsec.render.html import FONT, callout

__all__ = ["ALL", "MAX_UPLOADS", "UPLOADED", "ReportLab", "report_lab"]

#: The menu's values for every receiver together and for the uploaded reports.
ALL = "all"
UPLOADED = "uploaded"
#: The most files read from one upload.
MAX_UPLOADS = 10

TEXT = texts(
    {
        "title": "Lab: reading DMARC aggregate reports — who sends mail as bank.example?",
        "intro": "bank.example publishes <code>p=reject</code> and <code>rua=</code>, so receivers "
        "send it a report of every message that claimed to be from it. Here is one simulated week: "
        "every message was really checked (SPF, DKIM, DMARC) by the receiver. Pick a receiver's "
        "report, or all together, and read it as the bank's postmaster: which servers are yours, "
        "which forward your mail, and who is using your name? You can also upload a report of "
        "your own (<code>.xml</code>, <code>.xml.gz</code> or <code>.zip</code>).",
        "which": "Reports:",
        "all": "All receivers together (the simulated week)",
        "one": "{org} (the simulated week)",
        "uploaded": "Your uploaded reports",
        "upload": "Upload report",
        "no_upload": "No report uploaded yet: use the <em>Upload report</em> button to read a "
        "report of your own (.xml, .xml.gz or .zip). Nothing leaves this computer.",
        "no_upload_title": "Your own reports",
        "too_many": "{count} files were uploaded at once; the lab reads at most {limit}.",
        "bad_file": "The file {name} cannot be read: {problem}",
        "explanation": "<strong>How to read it.</strong> <em>DMARC pass</em> counts messages for "
        "which SPF or DKIM passed <em>and</em> aligned with the From: domain. <em>SPF aligned "
        "pass</em> and <em>DKIM aligned pass</em> say which of the two did it; a forwarded message "
        "passes by DKIM alone, since the forwarder's address is not in the sender's SPF record. "
        "<em>Delivered</em>, <em>Quarantined</em> and <em>Rejected</em> are what receivers did "
        "(RFC 7489 §7.2, Appendix C).",
    }
)


class ReportLab(Lab):
    """Pick the simulated week's reports or upload your own; see who sends as the domain."""

    def __init__(self, week: Week, *, lang: str | None = None) -> None:
        self.week = week
        options = [(TEXT["all"], ALL)]
        for file in week.files:
            options.append((TEXT["one"].format(org=file.receiver.org_name), file.receiver.org_name))
        options.append((TEXT["uploaded"], UPLOADED))
        self.which = dropdown(TEXT["which"], options, ALL, "mailsec-dmarc-which")
        self.upload = tagged(
            widgets.FileUpload(accept=".xml,.gz,.zip", multiple=True, description=TEXT["upload"]),
            "mailsec-dmarc-upload",
        )
        super().__init__(
            TEXT["title"], intro=TEXT["intro"], controls=[self.which, self.upload], lang=lang
        )
        self.add_class("mailsec-dmarc-reports")
        self.uploaded: tuple[AggregateReport, ...] = ()
        self.upload_problem: str | None = None
        self.reports: tuple[AggregateReport, ...] = ()
        self.summaries: tuple[SourceSummary, ...] = ()
        self.notes: tuple[SourceNote, ...] = ()
        self.on_change([self.which], self.update)
        self.on_change([self.upload], self.read_upload)
        self.action(self.update)()

    def read_upload(self) -> None:
        """Read the uploaded files, then show them (or the reason they cannot be read)."""
        self.uploaded, self.upload_problem = (), None
        try:
            self.uploaded = read_uploads(self.upload.value)
        except InputError as exc:
            self.upload_problem = exc.message
        if self.which.value == UPLOADED:
            self.update()
        else:
            self.which.value = UPLOADED  # which runs update()

    def update(self) -> None:
        self.reports, self.summaries, self.notes = (), (), ()
        if self.which.value == UPLOADED:
            if self.upload_problem:
                raise InputError(self.upload_problem)
            if not self.uploaded:
                self.show(callout(TEXT["no_upload"], title=TEXT["no_upload_title"]))
                return
            reports = self.uploaded
        elif self.which.value == ALL:
            reports = self.week.reports
        else:
            reports = (self.week.file(self.which.value).report,)
        self.reports = reports
        self.summaries = summarize(reports)
        self.notes = assess(reports)
        self.show(
            report_headers_html(reports)
            + sources_table(self.summaries)
            + sources_chart(self.summaries)
            + findings_html(self.notes, reports),
            f'<div style="{FONT}">{TEXT["explanation"]}</div>',
        )


def read_uploads(files: Sequence[Mapping[str, Any]]) -> tuple[AggregateReport, ...]:
    """The reports in an upload as ipywidgets 8 stores it (a dict per file, with ``name`` and
    ``content``); a file that cannot be read is refused with its name. ipywidgets declares no
    types, hence ``Any``: whatever ``content`` holds, :func:`read_report` checks."""
    if len(files) > MAX_UPLOADS:
        raise InputError(TEXT["too_many"].format(count=len(files), limit=MAX_UPLOADS))
    reports = []
    for file in files:
        name = quoted(str(file.get("name", "")), 80)
        try:  # read_report refuses content that is not bytes (or a memoryview) with a sentence
            reports.append(read_report(file.get("content", b"")))
        except InputError as exc:
            raise InputError(TEXT["bad_file"].format(name=name, problem=exc.message)) from None
    return tuple(reports)


def report_lab(week: Week | None = None, *, lang: str | None = None) -> ReportLab:
    """The report lab over ``week`` (by default the course's simulated week), ready to display."""
    return ReportLab(week or simulated_week(SEED), lang=lang)
