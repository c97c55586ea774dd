"""Chapter 06 under the pseudo-locale: every string a learner or a ``sop`` user sees went through
gettext.

The web-of-trust lab (every starting graph, every owner trust, a key revoked and expired,
certifications made, revoked and removed, a new person, GnuPG's numbers refused), the message lab
(every protection, every change in transit, the mail opened by someone else, an empty text) and
the comparison lab (signed and encrypted, changed in transit, Alice's key and the root CA taken
away, an empty text) are driven under ``qps``; what is left outside the marks must be data
(:mod:`tests.pseudolocale`): the chapter's people are marked names, the packet listing (gpg's own
words, as ``gpg --list-packets`` says them) and the Content-Type and micalg values are code, and a
name the learner typed is shown as typed.

``mailsec --lang qps sop ...`` says a refused input in one marked line on standard error, with the
spec's mnemonic and exit code unchanged; in English the line is the one it always was.
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterator

import pytest

from mailsec import openpgp
from mailsec.__main__ import main
from mailsec.cli import sop as sop_cli
from mailsec.i18n import PSEUDO, set_language, using
from mailsec.labs import pgp
from mailsec.labs.frame import Lab
from mailsec.openpgp.pgpmime import Tamper
from mailsec.openpgp.trust import OwnerTrust
from tests.pseudolocale import words_outside_marks

#: Strings of modules of other groups, not converted yet: (pattern, module). The lead removes
#: them when those modules are converted.
FOREIGN: dict[str, str] = {}

#: A name a learner typed ("Frank"): data, shown as typed (the chapter's own people are marked).
NAMES = re.compile(r"Frank")
#: A section reference with the signature types it is about: RFC 4880 §5.2.1 (0x20, 0x30).
WIRE = re.compile(r"\[RFC \d+ §[\d.]+ \(0x[0-9a-f]{2}(?:, 0x[0-9a-f]{2})*\)\]")


@pytest.fixture(autouse=True)
def english_kernel() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def _where_text(wrong: str) -> tuple[str, str]:
    """(where, text) of one line of :func:`words_outside_marks` ("where: 'text'")."""
    where, _sep, text = wrong.partition(": ")
    return where, str(ast.literal_eval(text))


def unmarked(lab: Lab) -> list[str]:
    """What the lab shows outside the marks, less a typed name, a section reference with hex
    numbers and the strings of other groups' modules."""
    out = []
    for wrong in words_outside_marks(lab):
        _where, text = _where_text(wrong)
        if NAMES.fullmatch(text) or WIRE.fullmatch(text):
            continue
        if any(re.search(p, wrong) for p in FOREIGN):
            continue
        out.append(wrong)
    return out


def assert_marked(lab: Lab, what: str) -> None:
    wrong = unmarked(lab)
    assert wrong == [], f"{what}: {wrong}"


def assert_error_marked(lab: Lab, what: str) -> None:
    assert lab.error.value, f"{what}: no error shown"
    assert "⟦" in lab.error.value, what
    assert_marked(lab, what)


# -- the web of trust ---------------------------------------------------------------------------


def test_trust_lab_marks_every_string() -> None:
    lab = pgp.trust_lab(lang=PSEUDO)
    assert_marked(lab, "start")
    for _label, scenario in lab.scenario.options:
        lab.scenario.value = scenario
        assert_marked(lab, f"scenario {scenario}")
        for name in lab.web.names:
            lab.focus.value = name
            assert_marked(lab, f"{scenario}: explain {name}")
    lab.scenario.value = "friends"
    for level in OwnerTrust:
        lab.trust["Erin"].value = level
        assert_marked(lab, f"Erin's owner trust {level.value}")
    lab.trust["Alice"].value = OwnerTrust.NEVER  # an untrusted introducer
    assert_marked(lab, "Alice not trusted")
    lab.revoked["Bob"].value = True
    assert_marked(lab, "Bob's key revoked")
    lab.expired["Carol"].value = True
    assert_marked(lab, "Carol's key expired")
    lab.revoked["You"].value = True  # no starting point
    assert_marked(lab, "your own key revoked")
    lab.scenario.value = "ca"
    lab.trust["CA"].value = OwnerTrust.UNKNOWN  # valid keys whose owners you do not trust
    assert_marked(lab, "undefined validity")
    lab.scenario.value = "friends"
    lab.signer.value, lab.signee.value = "Dave", "Erin"
    lab.certify_button.click()
    assert_marked(lab, "Dave certifies Erin")
    lab.revoke_button.click()
    assert_marked(lab, "certification revoked")
    lab.remove_button.click()
    assert_marked(lab, "certification removed")
    lab.remove_button.click()  # nothing left to remove
    assert_error_marked(lab, "removing a certification twice")
    lab.signer.value = lab.signee.value = "Erin"
    lab.certify_button.click()
    assert_error_marked(lab, "a self-certification")
    lab.new_name.value = ""
    lab.add_button.click()
    assert_error_marked(lab, "no name")
    lab.new_name.value = "Frank"
    lab.add_button.click()
    assert_marked(lab, "Frank added")
    lab.new_name.value = "Frank"
    lab.add_button.click()
    assert_error_marked(lab, "Frank twice")
    lab.new_name.value = "9 lives"
    lab.add_button.click()
    assert_error_marked(lab, "a name that is not one")
    lab.depth.value = 1
    assert_marked(lab, "max depth 1")
    for box, bad, good in ((lab.completes, 0, 1), (lab.marginals, 1, 3), (lab.depth, 256, 5)):
        box.value = bad
        assert_error_marked(lab, f"{box.description} = {bad}")
        box.value = good
        assert_marked(lab, f"{box.description} = {good}")


def test_trust_results_in_the_pseudo_locale_keep_english_data() -> None:
    """The validity words are translated where they are shown; the values stay data."""
    from mailsec.openpgp.trust import Validity, evaluate

    lab = pgp.trust_lab()
    with using(PSEUDO):
        result = evaluate(lab.web)
        assert result["Erin"].validity is Validity.MARGINAL
        assert Validity.MARGINAL.word == "⟦marginal⟧"
        assert Validity.MARGINAL.value == "marginal"
        assert result.steps[0].text.startswith("⟦")


# -- PGP/MIME mail ------------------------------------------------------------------------------


def test_message_lab_marks_every_string() -> None:
    lab = pgp.message_lab(lang=PSEUDO)
    assert_marked(lab, "start")
    for _label, protection in lab.protection.options:
        lab.protection.value = protection
        for _label, tamper in lab.tamper.options:
            lab.tamper.value = tamper
            for reader in ("Bob", "Carol"):
                lab.reader.value = reader
                what = f"{protection.value}, {tamper.value}, opened by {reader}"
                assert lab.error.value == "", f"{what}: {lab.error.value}"
                assert_marked(lab, what)
        lab.tamper.value = Tamper.NOTHING
    lab.reader.value = "Bob"
    lab.text.value = "   "
    assert_error_marked(lab, "an empty text")


# -- PGP next to S/MIME -------------------------------------------------------------------------


def test_compare_lab_marks_every_string() -> None:
    lab = pgp.compare_lab(lang=PSEUDO)
    assert_marked(lab, "start")
    for _label, action in lab.action_picker.options:
        lab.action_picker.value = action
        for change in (False, True):
            lab.change.value = change
            for has_key in (True, False):
                lab.has_key.value = has_key
                for trusts in (True, False):
                    lab.trusts_ca.value = trusts
                    what = f"{action}, changed={change}, key={has_key}, CA={trusts}"
                    assert lab.error.value == "", f"{what}: {lab.error.value}"
                    assert_marked(lab, what)
    lab.text.value = ""
    assert_error_marked(lab, "an empty text")


# -- the sop command line -----------------------------------------------------------------------


def _sop(argv: list[str], stdin: bytes, lang: str) -> tuple[int, str]:
    """``mailsec sop <argv>`` in ``lang`` with ``stdin``: (exit status, standard error)."""
    out, err = io.BytesIO(), io.StringIO()
    with using(lang):
        status = sop_cli.run(argv, io.BytesIO(stdin), out, err)
    return status, err.getvalue()


def test_sop_says_a_refused_input_in_one_marked_line() -> None:
    cut = b"-----BEGIN PGP MESSAGE-----\n"
    status, err = _sop(["dearmor"], cut, PSEUDO)
    lines = err.strip().splitlines()
    assert status == 41 and len(lines) == 1, err  # BAD_DATA: the spec's exit code
    assert lines[0].startswith("⟦mailsec sop: [BAD_DATA] ⟦The armor starts with"), lines[0]
    english_status, english = _sop(["dearmor"], cut, "en")
    assert english_status == 41
    assert english.startswith(
        "mailsec sop: [BAD_DATA] The armor starts with '-----BEGIN PGP MESSAGE-----' but has "
        "no matching"
    ), english


def test_the_command_line_runs_sop_in_the_language_asked_for(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mailsec --lang ja sop ...`` reaches the sop group in that language (the words are the
    catalog's; here only that the line is still one line with the spec's mnemonic)."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"not OpenPGP at all")))
    status = main(["--lang", "ja", "sop", "dearmor"])
    err = capfd.readouterr().err
    assert status == 41, err
    assert len(err.strip().splitlines()) == 1 and "[BAD_DATA]" in err, err


def test_sop_decryption_failure_stays_opaque_in_every_language() -> None:
    """One sentence for any failure to decrypt, in English and in the pseudo-locale."""
    alice = openpgp.generate_key("Alice <alice@example.org>")
    bob = openpgp.generate_key("Bob <bob@example.org>")
    sealed = openpgp.encrypt(b"hello", [alice.public])
    said = []
    for lang in ("en", PSEUDO):
        with using(lang):
            with pytest.raises(openpgp.DecryptionError) as caught:
                openpgp.decrypt(sealed, [bob])
            said.append(caught.value.message)
    assert said[0] == (
        "The message could not be decrypted: wrong key, or it was changed after it was sent."
    )
    assert said[1] == f"⟦{said[0]}⟧"


def test_sop_help_of_the_extension_is_marked() -> None:
    out, err = io.BytesIO(), io.StringIO()
    with using(PSEUDO):
        status = sop_cli.run(["list-packets", "--help"], io.BytesIO(), out, err)
    assert status == 0
    assert "⟦secret keys to open encrypted data⟧" in out.getvalue().decode()
