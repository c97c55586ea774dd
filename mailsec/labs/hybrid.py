"""Chapter 04's labs: the hybrid pipeline, signatures and tamper detection, the size/speed plot.

Key pairs are made once (:func:`mailsec.hybrid.demo.make_cast`, about a second) and shared by the
labs of a notebook through :func:`default_cast`; no callback generates keys, so every change
answers in milliseconds. Tests pass their own cast and random source.
"""

from __future__ import annotations

import functools
import os

import ipywidgets as widgets

from mailsec.errors import InputError
from mailsec.hybrid.demo import (
    Cast,
    PipelineRun,
    SignatureRun,
    Transit,
    make_cast,
    person,
    run_pipeline,
    run_signature,
)
from mailsec.hybrid.envelope import Part, RandomSource, WrapMethod
from mailsec.hybrid.keys import KeyKind
from mailsec.hybrid.measure import Measurement
from mailsec.hybrid.reference import REFERENCE
from mailsec.hybrid.signatures import SignatureAlgorithm
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, checkbox, dropdown, slider, tagged
from mailsec.render.html import trace_list
from mailsec.render.hybrid import (
    Metric,
    measurement_table,
    pipeline_html,
    signature_html,
    size_speed_plot,
)

__all__ = [
    "NO_ATTACK",
    "PipelineLab",
    "SignatureLab",
    "SizeSpeedLab",
    "default_cast",
    "pipeline_lab",
    "signature_lab",
    "size_speed_lab",
]

TEXT = texts(
    {
        "message": "Message:",
        "recipient": "{owner} ({kind} key: {method})",
        "never_recipient": "{owner} (never a recipient)",
        "reader": "Who tries to read it:",
        "attacks": {
            "none": "nothing: delivered as sent",
            "ciphertext": "flip a bit of the ciphertext",
            "tag": "flip a bit of the authentication tag",
            "nonce": "flip a bit of the nonce",
        },
        "attack_wrapped": "flip a bit of the wrapped key for {owner}",
        "attack_ephemeral": "flip a bit of the one-time public key for {owner}",
        "attacker": "On the way, an attacker:",
        "byte": "at byte number:",
        "encrypt_for": "Encrypt for:",
        "pipeline_title": "Lab: hybrid encryption step by step",
        "pipeline_intro": "Type a message, pick who it is encrypted for and who tries to read it. "
        "Then let an attacker flip a single bit on the way and watch decryption refuse to give "
        "out <em>any</em> plaintext.",
        "tick_one": "Tick at least one recipient: with none, nobody could read the message.",
        "not_recipient": "{whose} is not a recipient of this message, so there is no entry of "
        "{whose}'s to change. Tick {whose} or pick another attack.",
        "steps": "Step by step",
        "alice_signs": "Alice signs:",
        "algorithm": "Signature algorithm:",
        "on_the_way": "On the way:",
        "checks_with": "Bob checks with:",
        "alice_key": "Alice's real public key",
        "mallory_key": "a key Mallory told Bob is Alice's",
        "signature_title": "Lab: signatures and tamper detection",
        "signature_intro": "Alice signs a payment request. Change one character on the way, flip "
        "a bit of the signature, or let Mallory forge the whole thing, and see what Bob's check "
        "says.",
        "bad_verifier": "Bob can check with Alice's or Mallory's key, not {key}.",
        "quick": "quick run, {first} KB-{last} KB (this machine, just now)",
        "reference": "reference run, 1 KB-10 MB (measured earlier, see source)",
        "numbers": "Numbers:",
        "compare": "Compare:",
        "recipients": "Recipients (bytes sent only):",
        "plot_title": "Lab: why hybrid? Size and speed",
        "plot_intro": "Public-key only encrypts every 190-byte chunk with RSA; hybrid does one RSA "
        "operation and lets AES-GCM do the rest. Switch between decryption time, encryption time "
        "and bytes sent; for bytes sent, add recipients.",
    }
)
"""The labs' words (see :mod:`mailsec.i18n`). The sample texts stay English: they are the
learner's own input, which they may type over."""

DEFAULT_TEXT = "Hi Bob and Carol, the budget meeting moves to room 4B at 15:00. — Alice"
SIGNED_TEXT = "Please pay invoice 2026-117 (120,000 JPY) into account 1234-567. — Alice"
WIDE = widgets.Layout(width="560px")
STYLE = {"description_width": "initial"}

Attack = tuple[Part | None, str | None]
"""What the attacker menu holds: the part to change, and whose entry for a per-recipient part."""
NO_ATTACK: Attack = (None, None)
"""The menu value for "delivered as sent". Not ``None``: ipywidgets takes a value of ``None`` for
"nothing selected" and would show the menu blank."""


@functools.cache
def default_cast() -> Cast:
    """The labs' key pairs, made once per Python session and shared by every lab."""
    return make_cast()


# -- the pipeline ------------------------------------------------------------------------------


class PipelineLab(Lab):
    """Encrypt your own text for the people you pick, let an attacker flip a bit, try to read it."""

    def __init__(
        self, cast: Cast, *, random: RandomSource = os.urandom, lang: str | None = None
    ) -> None:
        self.cast = cast
        self.random = random
        self.text = tagged(
            widgets.Textarea(
                value=DEFAULT_TEXT,
                description=TEXT["message"],
                style=STYLE,
                layout=widgets.Layout(width="560px", height="64px"),
            ),
            "mailsec-hybrid-text",
        )
        self.recipient_boxes: dict[str, widgets.Checkbox] = {}
        for who in cast.recipients:
            method = WrapMethod.for_kind(who.kind).label
            self.recipient_boxes[who.owner] = checkbox(
                TEXT["recipient"].format(
                    owner=person(who.owner), kind=who.kind.value, method=method
                ),
                f"mailsec-hybrid-recipient-{who.owner.lower()}",
                value=who.owner in ("Bob", "Carol"),
                layout=widgets.Layout(width="auto"),
            )
        readers = [
            (
                TEXT["never_recipient"].format(owner=person(p.owner))
                if p is cast.eve
                else person(p.owner),
                p.owner,
            )
            for p in cast.readers
        ]
        self.reader = dropdown(TEXT["reader"], readers, "Bob", "mailsec-hybrid-reader")
        named = TEXT["attacks"]
        attacks: list[tuple[str, Attack]] = [
            (named["none"], NO_ATTACK),
            (named["ciphertext"], (Part.CIPHERTEXT, None)),
            (named["tag"], (Part.TAG, None)),
            (named["nonce"], (Part.NONCE, None)),
        ]
        for who in cast.recipients:
            attacks.append(
                (
                    TEXT["attack_wrapped"].format(owner=person(who.owner)),
                    (Part.WRAPPED_KEY, who.owner),
                )
            )
            if who.kind is KeyKind.X25519:
                attacks.append(
                    (
                        TEXT["attack_ephemeral"].format(owner=person(who.owner)),
                        (Part.EPHEMERAL_KEY, who.owner),
                    )
                )
        self.attack = dropdown(TEXT["attacker"], attacks, NO_ATTACK, "mailsec-hybrid-attack")
        self.byte = tagged(
            widgets.BoundedIntText(
                value=0, min=0, max=10_000_000, description=TEXT["byte"], style=STYLE
            ),
            "mailsec-hybrid-byte",
        )
        recipients_row = widgets.HBox(
            [
                widgets.HTML(f"<strong>{TEXT['encrypt_for']}</strong>&nbsp;"),
                *self.recipient_boxes.values(),
            ]
        )
        super().__init__(
            TEXT["pipeline_title"],
            intro=TEXT["pipeline_intro"],
            controls=[self.text, recipients_row, self.reader, self.attack, self.byte],
            lang=lang,
        )
        self.add_class("mailsec-hybrid-pipeline")
        self.run: PipelineRun | None = None
        self.on_change(
            [self.text, self.reader, self.attack, self.byte, *self.recipient_boxes.values()],
            self.update,
        )
        self.action(self.update)()

    def update(self) -> None:
        chosen = [p.public for p in self.cast.recipients if self.recipient_boxes[p.owner].value]
        if not chosen:
            raise InputError(TEXT["tick_one"])
        part, whose = self.attack.value
        if whose is not None and whose not in {p.owner for p in chosen}:
            raise InputError(TEXT["not_recipient"].format(whose=whose))
        self.run = run = run_pipeline(
            self.text.value,
            chosen,
            self.cast.reader(self.reader.value),
            tamper_part=part,
            tamper_recipient=whose,
            tamper_index=self.byte.value,
            random=self.random,
        )
        self.show(str(pipeline_html(run)), trace_list(run.steps, title=TEXT["steps"]))


def pipeline_lab(
    cast: Cast | None = None, *, random: RandomSource = os.urandom, lang: str | None = None
) -> PipelineLab:
    """The pipeline lab, ready to display."""
    return PipelineLab(cast or default_cast(), random=random, lang=lang)


# -- signatures --------------------------------------------------------------------------------


class SignatureLab(Lab):
    """Alice signs; the message travels; Bob checks the signature with the key he has."""

    def __init__(
        self,
        cast: Cast,
        *,
        transit: Transit = Transit.UNCHANGED,
        verify_with: str = "Alice",
        lang: str | None = None,
    ) -> None:
        self.cast = cast
        self.text = tagged(
            widgets.Textarea(
                value=SIGNED_TEXT,
                description=TEXT["alice_signs"],
                style=STYLE,
                layout=widgets.Layout(width="560px", height="64px"),
            ),
            "mailsec-sign-text",
        )
        self.algorithm = dropdown(
            TEXT["algorithm"],
            [
                (SignatureAlgorithm.ED25519.label, KeyKind.ED25519),
                (SignatureAlgorithm.RSA_PSS.label, KeyKind.RSA),
            ],
            KeyKind.ED25519,
            "mailsec-sign-algorithm",
        )
        self.transit = dropdown(
            TEXT["on_the_way"],
            [(t.label, t) for t in Transit],
            transit,
            "mailsec-sign-transit",
        )
        self.verify_with = dropdown(
            TEXT["checks_with"],
            [
                (TEXT["alice_key"], "Alice"),
                (TEXT["mallory_key"], "Mallory"),
            ],
            "Alice",
            "mailsec-sign-key",
        )
        super().__init__(
            TEXT["signature_title"],
            intro=TEXT["signature_intro"],
            controls=[self.text, self.algorithm, self.transit, self.verify_with],
            lang=lang,
        )
        self.add_class("mailsec-hybrid-signature")
        self.run: SignatureRun | None = None
        self.on_change([self.text, self.algorithm, self.transit, self.verify_with], self.update)
        self.action(self.update)()

    def update(self) -> None:
        kind = self.algorithm.value
        self.run = run = run_signature(
            self.text.value,
            self.cast.signer("Alice", kind),
            transit=self.transit.value,
            verify_with=self.cast.signer(self.verify_with.value, kind).public,
            forger=self.cast.signer("Mallory", kind),
        )
        self.show(str(signature_html(run)), trace_list(run.steps, title=TEXT["steps"]))


def signature_lab(
    cast: Cast | None = None,
    *,
    transit: Transit = Transit.UNCHANGED,
    verify_with: str = "Alice",
    lang: str | None = None,
) -> SignatureLab:
    """The signature lab, ready to display; ``transit`` and ``verify_with`` set where it starts."""
    if verify_with not in ("Alice", "Mallory"):
        raise InputError(TEXT["bad_verifier"].format(key=repr(verify_with)))
    return SignatureLab(cast or default_cast(), transit=transit, verify_with=verify_with, lang=lang)


# -- the size/speed plot -------------------------------------------------------------------------


class SizeSpeedLab(Lab):
    """Public-key-only against hybrid: pick the data, what to compare and how many recipients."""

    def __init__(
        self,
        quick: Measurement | None = None,
        *,
        reference: Measurement = REFERENCE,
        lang: str | None = None,
    ) -> None:
        self.sources: dict[str, Measurement] = {}
        if quick is not None:
            self.sources["quick"] = quick
        self.sources["reference"] = reference
        options = []
        if quick is not None:
            first, last = quick.points[0].size // 1024, quick.points[-1].size // 1024
            options.append((TEXT["quick"].format(first=first, last=last), "quick"))
        options.append((TEXT["reference"], "reference"))
        self.source = dropdown(TEXT["numbers"], options, options[0][1], "mailsec-plot-source")
        self.metric = tagged(
            widgets.ToggleButtons(
                options=[(m.label, m) for m in Metric],
                value=Metric.DECRYPT,
                description=TEXT["compare"],
                style=STYLE,
            ),
            "mailsec-plot-metric",
        )
        self.recipients = slider(
            TEXT["recipients"], 1, 1, 10, "mailsec-plot-recipients", width="560px"
        )
        super().__init__(
            TEXT["plot_title"],
            intro=TEXT["plot_intro"],
            controls=[self.source, self.metric, self.recipients],
            lang=lang,
        )
        self.add_class("mailsec-hybrid-plot")
        self.on_change([self.source, self.metric, self.recipients], self.update)
        self.action(self.update)()

    def update(self) -> None:
        data = self.sources[self.source.value]
        metric = self.metric.value
        count = self.recipients.value if metric is Metric.SIZE else 1
        self.show(
            str(size_speed_plot(data, metric=metric, recipients=count)),
            str(measurement_table(data, metric=metric, recipients=count)),
        )


def size_speed_lab(
    quick: Measurement | None = None,
    *,
    reference: Measurement = REFERENCE,
    lang: str | None = None,
) -> SizeSpeedLab:
    """The size/speed lab; ``quick`` is a run of :func:`mailsec.hybrid.measure` made just now."""
    return SizeSpeedLab(quick, reference=reference, lang=lang)
