"""Chapter 07's DKIM labs: what survives the way (canonicalization), and what a key record decides.

The course domains' DKIM keys are made once per Python session (:mod:`mailsec.dkim.course`, a
fraction of a second; the bank's RSA key is the slow one), before the first lab appears; after
that a callback signs and verifies four times in a few milliseconds.
"""

from __future__ import annotations

import ipywidgets as widgets

from mailsec.dkim.course import course_signers
from mailsec.dkim.demo import (
    Change,
    KeyCase,
    apply_change,
    check_key,
    lab_message,
    try_all_canonicalizations,
)
from mailsec.dkim.result import Verification
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, checkbox, dropdown, tagged, text_box
from mailsec.render.dkim import canonical_html, matrix_html, tags_html, verdict_html
from mailsec.render.html import code_block, trace_list

__all__ = ["CanonicalizationLab", "KeyRecordLab", "canonicalization_lab", "key_record_lab"]

DEFAULT_SUBJECT = "Team meeting"
DEFAULT_BODY = "Hi all,\nthe team meeting is on Friday at 10 in room 4.\nAlice\n"
SENDER = "Alice <alice@example.com>"

TEXT = texts(
    {
        "canon_title": "Lab: what survives the way — simple and relaxed canonicalization",
        "canon_intro": "Alice's server at example.com signs her message with DKIM. Pick what "
        "happens on the way to the receiver and which canonicalization (<code>c=</code>) the "
        "signature uses. The table tries all four at once; below it you see exactly what the "
        "receiver hashed for the one you picked: spaces at the end of a line as ·, tabs as →, line "
        "ends as ↵.",
        "key_title": "Lab: the key record in DNS — selector, revocation, testing",
        "key_intro": "The receiver fetches the public key from DNS at "
        "<code>selector._domainkey.domain</code>. Pick what it finds there, or edit example.com's "
        "record yourself (change a letter of <code>p=</code>, add <code>h=sha1</code> or "
        "<code>t=y</code>, empty <code>p=</code>) and watch what the verifier decides.",
        "subject": "Subject:",
        "body": "Text:",
        "change": "On the way:",
        "header": "Header c=",
        "body_canon": "Body c=",
        "length": "Sign with l= (the body length)",
        "oversign": "Oversign (list From and Subject once more in h=)",
        "key_case": "In DNS:",
        "record": "Key record:",
        "received": "The message as the receiver got it",
        "key_record": "the key record",
        # A protocol token (an RFC 8601 result, a tag value) shown as it is written, in every
        # language: the message only marks it as seen by the translation.
        "token": "{token}",
    }
)


def _canons() -> list[tuple[str, str]]:
    """The two canonicalizations as menu options (their names are the c= values)."""
    return [(TEXT["token"].format(token=c), c) for c in ("simple", "relaxed")]


class CanonicalizationLab(Lab):
    """Sign, change on the way, verify: four canonicalizations side by side."""

    def __init__(self, *, lang: str | None = None) -> None:
        course_signers()  # the keys, made before the first callback
        self.subject = text_box(DEFAULT_SUBJECT, TEXT["subject"], "mailsec-dkim-subject")
        self.body = tagged(
            widgets.Textarea(
                value=DEFAULT_BODY,
                description=TEXT["body"],
                style={"description_width": "140px"},
                layout=widgets.Layout(width="560px", height="80px"),
            ),
            "mailsec-dkim-body",
        )
        self.change = dropdown(
            TEXT["change"], [(c.label, c) for c in Change], Change.SPACES, "mailsec-dkim-change"
        )
        self.header_canon = dropdown(
            TEXT["header"], _canons(), "simple", "mailsec-dkim-header-canon", width="260px"
        )
        self.body_canon = dropdown(
            TEXT["body_canon"], _canons(), "simple", "mailsec-dkim-body-canon", width="260px"
        )
        self.length = checkbox(
            TEXT["length"], "mailsec-dkim-length", layout=widgets.Layout(width="auto")
        )
        self.oversign = checkbox(
            TEXT["oversign"], "mailsec-dkim-oversign", layout=widgets.Layout(width="auto")
        )
        super().__init__(
            TEXT["canon_title"],
            intro=TEXT["canon_intro"],
            controls=[
                self.subject,
                self.body,
                self.change,
                widgets.HBox([self.header_canon, self.body_canon]),
                widgets.HBox([self.length, self.oversign]),
            ],
            lang=lang,
        )
        self.add_class("mailsec-dkim-canonicalization")
        self.trials: tuple = ()
        controls = [
            self.subject,
            self.body,
            self.change,
            self.header_canon,
            self.body_canon,
            self.length,
            self.oversign,
        ]
        self.on_change(controls, self.update)
        self.action(self.update)()

    @property
    def chosen(self) -> str:
        return f"{self.header_canon.value}/{self.body_canon.value}"

    def update(self) -> None:
        message = lab_message(SENDER, self.subject.value, self.body.value)
        change = self.change.value
        self.trials = try_all_canonicalizations(
            message, change, body_length=self.length.value, oversign=self.oversign.value
        )
        trial = next(t for t in self.trials if t.name == self.chosen)
        check = trial.verification
        received = trial.received.decode("utf-8", "replace").replace("\r\n", "\n")
        self.show(
            verdict_html(check)
            + f"<p>{change.description}</p>"
            + matrix_html(self.trials, self.chosen)
            + code_block(received, label=TEXT["received"], max_lines=20),
            canonical_html(check) + trace_list(check.trace),
        )


def canonicalization_lab(*, lang: str | None = None) -> CanonicalizationLab:
    """The canonicalization lab, ready to display."""
    return CanonicalizationLab(lang=lang)


class KeyRecordLab(Lab):
    """What the receiver finds at the selector decides: pass, permerror, testing."""

    def __init__(self, *, lang: str | None = None) -> None:
        signers = course_signers()
        self.message = apply_change(
            lab_message(SENDER, DEFAULT_SUBJECT, DEFAULT_BODY), Change.NOTHING
        )
        self.case = dropdown(
            TEXT["key_case"],
            [(c.label, c) for c in KeyCase],
            KeyCase.PUBLISHED,
            "mailsec-dkim-key-case",
        )
        self.record = text_box(
            signers["example.com"].record, TEXT["record"], "mailsec-dkim-record", width="760px"
        )
        super().__init__(
            TEXT["key_title"],
            intro=TEXT["key_intro"],
            controls=[self.case, self.record],
            lang=lang,
        )
        self.add_class("mailsec-dkim-keys")
        self.check: Verification | None = None
        self.on_change([self.case], self.update)
        self.on_change([self.record], self.edited)
        self.action(self.update)()

    def edited(self) -> None:
        """Editing the record means using it: the menu follows the box."""
        if self.case.value is KeyCase.EDITED:
            self.update()
        else:
            self.case.value = KeyCase.EDITED  # which runs update()

    def update(self) -> None:
        case = self.case.value
        self.check = check = check_key(self.message, case, self.record.value)
        shown = tags_html(self.record.value, TEXT["key_record"]) if case is KeyCase.EDITED else ""
        self.show(verdict_html(check) + shown, trace_list(check.trace))


def key_record_lab(*, lang: str | None = None) -> KeyRecordLab:
    """The key-record lab, ready to display."""
    return KeyRecordLab(lang=lang)
