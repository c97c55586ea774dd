"""Chapters 04 and 05's labs under the pseudo-locale: every string a learner sees went through
gettext.

The hybrid pipeline (every reader, every attack, no recipient, an attack on a recipient who is
not ticked, an empty message), the signature lab (both algorithms, every transit, both keys Bob
may check with, an empty message), the size/speed plot (every metric, both sets of numbers, more
recipients), the S/MIME message lab (every view, every signer, both ciphers, a byte changed,
sign and encrypt switched off, bad input), the certificate viewer (every certificate, trust
switched off, a bad address) and the EFAIL lab (both ciphers, a block of kanji, a wrong length)
are driven under ``qps``; what is left outside the marks must be data (:mod:`tests.pseudolocale`).
"""

from __future__ import annotations

import re

import pytest

from mailsec.hybrid import Transit, make_cast, measure
from mailsec.hybrid.demo import Cast
from mailsec.hybrid.keys import KeyKind
from mailsec.i18n import PSEUDO, using
from mailsec.labs import hybrid, smime
from mailsec.labs.frame import Lab
from mailsec.pki import CoursePKI
from mailsec.render.hybrid import Metric, hybrid_diagram
from mailsec.render.smime import smime_diagram
from mailsec.smime import ContentCipher
from tests.pseudolocale import words_outside_marks

#: Strings of modules of other groups, not converted yet: (pattern, module). The lead removes
#: them when those modules are converted.
FOREIGN: dict[str, str] = {}


def unmarked(lab: Lab) -> list[str]:
    """What the lab shows outside the marks, less the strings of other groups' modules."""
    return [w for w in words_outside_marks(lab) if not any(re.search(p, w) for p in FOREIGN)]


def assert_marked(lab: Lab, what: str) -> None:
    wrong = unmarked(lab)
    assert wrong == [], f"{what}: {wrong}"


def assert_error_marked(lab: Lab, what: str) -> None:
    assert lab.error.value, f"{what}: no error shown"
    assert "⟦" in lab.error.value, what
    assert_marked(lab, what)


@pytest.fixture(scope="module")
def cast() -> Cast:
    return make_cast()


@pytest.fixture(scope="module")
def pki() -> CoursePKI:
    return smime.default_pki()


# -- chapter 04 -----------------------------------------------------------------------------------


def test_pipeline_lab_marks_every_string(cast: Cast) -> None:
    lab = hybrid.pipeline_lab(cast, lang=PSEUDO)
    assert_marked(lab, "start")
    for box in lab.recipient_boxes.values():
        box.value = True
    for reader in [v for _label, v in lab.reader.options]:
        lab.reader.value = reader
        for _label, attack in lab.attack.options:
            lab.attack.value = attack
            assert_marked(lab, f"{reader}: {attack}")
    lab.attack.value = hybrid.NO_ATTACK
    lab.byte.value = 5000
    lab.attack.value = lab.attack.options[1][1]
    assert_error_marked(lab, "a byte outside the ciphertext")
    lab.byte.value = 0
    lab.recipient_boxes["Carol"].value = False
    lab.attack.value = next(v for _l, v in lab.attack.options if v[1] == "Carol")
    assert_error_marked(lab, "an attack on Carol, not a recipient")
    for box in lab.recipient_boxes.values():
        box.value = False
    assert_error_marked(lab, "no recipient")
    lab.recipient_boxes["Bob"].value = True
    lab.attack.value = hybrid.NO_ATTACK
    lab.text.value = "  "
    assert_error_marked(lab, "an empty message")


def test_signature_lab_marks_every_string(cast: Cast) -> None:
    lab = hybrid.signature_lab(cast, lang=PSEUDO)
    assert_marked(lab, "start")
    for kind in (KeyKind.ED25519, KeyKind.RSA):
        lab.algorithm.value = kind
        for transit in Transit:
            lab.transit.value = transit
            for key in ("Alice", "Mallory"):
                lab.verify_with.value = key
                assert_marked(lab, f"{kind} {transit} {key}")
    lab.text.value = ""
    assert_error_marked(lab, "an empty message")


def test_size_speed_lab_marks_every_string(cast: Cast) -> None:
    with using(PSEUDO):
        quick = measure((1024, 4096), keypair=cast.bob)
    lab = hybrid.size_speed_lab(quick, lang=PSEUDO)
    assert_marked(lab, "start")
    for source in ("quick", "reference"):
        lab.source.value = source
        for metric in Metric:
            lab.metric.value = metric
            assert_marked(lab, f"{source} {metric}")
        lab.metric.value = Metric.SIZE
        lab.recipients.value = 3
        assert_marked(lab, f"{source}: three recipients")
        lab.recipients.value = 1


def test_the_hybrid_diagram_is_marked() -> None:
    from tests.pseudolocale import _html_segments, is_data, unmarked

    with using(PSEUDO):
        html = str(hybrid_diagram(("Bob", "Carol")))
    assert [t for t in unmarked(_html_segments(html)) if not is_data(t)] == []


# -- chapter 05 -----------------------------------------------------------------------------------


def test_message_lab_marks_every_string(pki: CoursePKI) -> None:
    lab = smime.message_lab(pki, lang=PSEUDO)
    assert_marked(lab, "start")
    views = [v for _label, v in lab.view.options]
    for signer in [v for _label, v in lab.signer.options]:
        lab.signer.value = signer
        for cipher in (ContentCipher.AES256_GCM, ContentCipher.AES256_CBC):
            lab.cipher.value = cipher
            for changed in (False, True):
                lab.transit.value = changed
                for view in views:
                    lab.view.value = view
                    assert_marked(lab, f"{signer} {cipher} changed={changed} {view}")
    lab.transit.value = True
    for byte in (0, 40, 200, 700, 1500, 2500):
        lab.byte.value = byte
        for view in views:
            lab.view.value = view
            assert_marked(lab, f"CBC, byte {byte}, {view}")
    lab.cipher.value = ContentCipher.AES256_GCM
    lab.encrypt.value = False
    for view in views:
        lab.view.value = view
        assert_marked(lab, f"signed only, changed, {view}")
    lab.transit.value = False
    lab.sign.value = False
    lab.view.value = "plain"
    assert_marked(lab, "plain message")
    lab.view.value = "cms"
    assert_error_marked(lab, "no CMS in a plain message")
    lab.view.value = "smime"
    lab.transit.value = True
    assert_error_marked(lab, "nothing to break")
    lab.transit.value = False
    lab.subject.value = "x" * 2000
    assert_error_marked(lab, "a long subject")
    lab.subject.value = "Hello"
    lab.body.value = " "
    assert_error_marked(lab, "an empty text")


def test_certificate_lab_marks_every_string(pki: CoursePKI) -> None:
    lab = smime.certificate_lab(pki, lang=PSEUDO)
    assert_marked(lab, "start")
    for trusts in (True, False):
        lab.trusts.value = trusts
        for which in [v for _label, v in lab.which.options]:
            lab.which.value = which
            for address in ("alice@example.org", "bob@example.net", ""):
                lab.address.value = address
                assert_marked(lab, f"{which} {address} trusts={trusts}")
    lab.address.value = "not an address"
    assert_error_marked(lab, "a bad address")


def test_efail_lab_marks_every_string(pki: CoursePKI) -> None:
    lab = smime.efail_lab(pki, lang=PSEUDO)
    assert_marked(lab, "start")
    for cipher in (ContentCipher.AES256_CBC, ContentCipher.AES256_GCM):
        lab.cipher.value = cipher
        lab.injected.value = "給与表を見てx"
        assert_marked(lab, f"{cipher} kanji")
        lab.injected.value = "<img src='http:/"
        assert_marked(lab, f"{cipher}")
    lab.injected.value = "too short"
    assert_error_marked(lab, "a wrong length")
    lab.injected.value = "給与表"
    assert_error_marked(lab, "kanji of the wrong length")


def test_the_smime_diagram_is_marked() -> None:
    from tests.pseudolocale import _html_segments, is_data, unmarked

    with using(PSEUDO):
        html = str(smime_diagram())
    assert [t for t in unmarked(_html_segments(html)) if not is_data(t)] == []
