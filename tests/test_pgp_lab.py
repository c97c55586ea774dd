"""Chapter 06's labs, driven headless: set control values, click buttons, read the result."""

from __future__ import annotations

import shutil

import pytest

from mailsec.errors import InputError
from mailsec.labs.pgp import (
    compare_lab,
    exchange_with_gnupg,
    make_people,
    message_lab,
    trust_lab,
)
from mailsec.openpgp.pgpmime import Protection, Tamper
from mailsec.openpgp.trust import OwnerTrust, Validity
from mailsec.render.openpgp import gnupg_html
from mailsec.trace import Outcome


@pytest.fixture(scope="module")
def people():
    return make_people()


def node(lab, name: str) -> str:
    """The validity the SVG graph shows for ``name``."""
    html = lab.result.value
    marker = f'data-name="{name}" data-validity="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


# -- the web-of-trust lab ------------------------------------------------------------------------


def test_trust_lab_starts_with_erin_marginal() -> None:
    lab = trust_lab()
    assert lab.error.value == ""
    assert node(lab, "Erin") == "marginal"
    assert (
        "Every key&#x27;s validity" in lab.result.value
        or "Every key's validity" in lab.result.value
    )
    assert "<svg" in lab.result.value and "<desc" in lab.result.value  # text alternative


def test_a_third_marginal_makes_erin_valid() -> None:
    lab = trust_lab()
    lab.signer.value, lab.signee.value = "Dave", "Erin"
    lab.certify_button.click()
    assert lab.error.value == ""
    assert node(lab, "Erin") == "full"
    assert lab.focus.value == "Erin"
    assert "Why Erin" in lab.result.value


def test_owner_trust_and_revocation_controls() -> None:
    lab = trust_lab()
    lab.trust["Alice"].value = OwnerTrust.MARGINAL  # Alice no longer a full introducer
    assert node(lab, "Dave") == "marginal"
    lab.trust["Alice"].value = OwnerTrust.FULL
    assert node(lab, "Dave") == "full"
    lab.revoked["Alice"].value = True  # RFC 4880 §5.2.1 key revocation
    assert node(lab, "Alice") == "revoked"
    assert node(lab, "Dave") == "unknown"


def test_revoking_and_removing_certifications() -> None:
    lab = trust_lab()
    lab.signer.value, lab.signee.value = "You", "Bob"
    lab.revoke_button.click()
    assert lab.trust_result.validity("Bob") is Validity.UNKNOWN
    assert 'data-use="revoked"' in lab.result.value
    lab.remove_button.click()
    assert lab.web.certification("You", "Bob") is None
    lab.remove_button.click()  # nothing left to remove: a message, not a traceback
    assert "has not certified Bob" in lab.error.value


def test_policy_numbers_change_validity() -> None:
    lab = trust_lab()
    lab.marginals.value = 2
    assert node(lab, "Erin") == "full"
    lab.marginals.value = 3
    lab.depth.value = 1
    assert node(lab, "Dave") == "unknown"  # Dave is two certifications away


def test_rules_gnupg_refuses_are_refused_in_the_lab() -> None:
    """One marginal is not enough for GnuPG (it will not even run): the lab says so, shows no
    stale graph, and comes back when the number is one GnuPG accepts."""
    lab = trust_lab()
    lab.marginals.value = 1
    assert lab.marginals.value == 1  # the box does not quietly turn 1 into another number
    assert "Marginals needed (--marginals-needed) = 1 is too small" in lab.error.value
    assert "marginals-needed must be greater than 1" in lab.error.value
    assert "Use 2 or more" in lab.error.value
    assert lab.result.value == "" and lab.trust_result is None
    assert lab.last_exception is not None and isinstance(lab.last_exception, InputError)
    lab.trust["Bob"].value = OwnerTrust.FULL  # other controls do not bring back a stale graph
    assert lab.result.value == "" and "= 1 is too small" in lab.error.value
    lab.marginals.value = 2
    assert lab.error.value == ""
    assert node(lab, "Erin") == "full"
    lab.depth.value = 256
    assert "GnuPG accepts at most 255" in lab.error.value and lab.result.value == ""
    lab.depth.value = 12  # above the old box's 9: GnuPG accepts it, so does the lab
    assert lab.error.value == "" and lab.trust_result.policy.max_cert_depth == 12


def test_bad_input_is_a_message_in_the_lab() -> None:
    lab = trust_lab()
    lab.signer.value = lab.signee.value = "Bob"
    lab.certify_button.click()
    assert "cannot certify their own key" in lab.error.value
    lab.new_name.value = "  "
    lab.add_button.click()
    assert "Type a name for the new person" in lab.error.value
    lab.new_name.value = "bob"
    lab.add_button.click()
    assert "There are two keys named &#x27;bob&#x27;" in lab.error.value
    assert lab.last_exception is not None


def test_adding_a_person_and_switching_scenario() -> None:
    lab = trust_lab()
    lab.new_name.value = "Frank"
    lab.add_button.click()
    assert "Frank" in lab.trust and node(lab, "Frank") == "unknown"
    lab.scenario.value = "ca"
    assert set(lab.trust) == {"You", "CA", "Alice", "Bob", "Carol", "Dave"}
    assert node(lab, "Dave") == "full"
    lab.revoked["CA"].value = True  # one key revoked: everyone it vouched for falls
    assert [node(lab, n) for n in ("Alice", "Bob", "Carol", "Dave")] == ["unknown"] * 4


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(
        InputError, match="Scenario 'pki' is not one of: friends, ca, empty, impostor"
    ):
        trust_lab("pki")


# -- the message lab -------------------------------------------------------------------------------


def test_message_lab_default_is_good(people) -> None:
    lab = message_lab(people)
    assert lab.error.value == ""
    assert lab.delivery.trustworthy
    assert "Good signature on an encrypted mail" in lab.result.value
    assert "Public-Key Encrypted Session Key Packet" in lab.result.value
    assert "Modification Detection Code Packet" in lab.result.value  # decrypted: inner packets


def test_message_lab_wrong_reader_and_flipped_byte(people) -> None:
    lab = message_lab(people)
    lab.reader.value = "Carol"
    assert lab.delivery.result is None
    assert "Refused" in lab.result.value
    assert "Carol cannot decrypt it" in lab.result.value
    lab.reader.value = "Bob"
    lab.tamper.value = Tamper.CIPHERTEXT
    assert lab.delivery.result is None
    assert "Changed in transit" in lab.result.value


def test_message_lab_sign_only_and_tampered_text(people) -> None:
    lab = message_lab(people)
    lab.protection.value = Protection.SIGN
    assert [t for _label, t in lab.tamper.options] == [
        Tamper.NOTHING,
        Tamper.SUBJECT,
        Tamper.TEXT,
        Tamper.SIGNATURE,
    ]
    lab.tamper.value = Tamper.TEXT
    assert lab.delivery.result.signature_valid is False
    assert "Bad signature" in lab.result.value


def test_message_lab_reuses_the_sent_mail(people) -> None:
    lab = message_lab(people)
    first = lab.sent()
    lab.reader.value = "Carol"
    assert lab.sent() is first  # same choices: not encrypted again
    lab.text.value = "Another text"
    assert lab.sent() is not first


def test_message_lab_empty_text(people) -> None:
    lab = message_lab(people)
    lab.text.value = "   "
    assert "The text is empty" in lab.error.value


# -- the comparison lab ----------------------------------------------------------------------------


def test_compare_lab(people) -> None:
    lab = compare_lab(people["Alice"])
    assert lab.pair.pgp_valid and lab.pair.smime_valid
    assert "PGP/MIME (RFC 3156)" in lab.result.value and "S/MIME (RFC 8551)" in lab.result.value
    lab.has_key.value = False
    assert not lab.pair.pgp_valid and lab.pair.smime_valid
    lab.has_key.value = True
    lab.trusts_ca.value = False
    assert lab.pair.pgp_valid and not lab.pair.smime_valid
    lab.trusts_ca.value = True
    lab.change.value = True
    assert not lab.pair.pgp_valid and not lab.pair.smime_valid


# -- GnuPG in the notebook -------------------------------------------------------------------------


def test_missing_gpg_is_said_plainly(people) -> None:
    exchange = exchange_with_gnupg(people["Alice"], people["Bob"], gpg="/nonexistent/gpg")
    assert not exchange.available
    assert exchange.runs == ()
    assert "GnuPG (gpg) is not installed here" in exchange.steps[0].text
    assert "GnuPG is missing" in gnupg_html(exchange)


@pytest.mark.interop
@pytest.mark.skipif(
    shutil.which("gpg") is None, reason="gpg is not installed (Debian package gnupg)"
)
def test_exchange_with_gnupg_both_ways(people) -> None:
    exchange = exchange_with_gnupg(people["Alice"], people["Bob"], reply="Got it.\n")
    assert exchange.available and exchange.version.startswith("gpg (GnuPG)")
    assert exchange.gpg_read_ours, [r.output for r in exchange.runs]
    assert exchange.we_read_theirs
    assert exchange.reply_text == "Got it.\n"
    assert "mailsec → GnuPG: works" in gnupg_html(exchange)


@pytest.mark.interop
@pytest.mark.skipif(
    shutil.which("gpg") is None, reason="gpg is not installed (Debian package gnupg)"
)
def test_exchange_with_gnupg_does_not_read_gpgs_messages(people, monkeypatch) -> None:
    """gpg speaking German ("Korrekte Signatur") changes nothing: its status lines decide."""
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("LANGUAGE", "de")
    exchange = exchange_with_gnupg(people["Alice"], people["Bob"])
    assert exchange.gpg_read_ours, [r.output for r in exchange.runs]
    decrypt = next(r for r in exchange.runs if "--decrypt" in r.command)
    assert "Good signature" not in decrypt.output  # the messages were not in English
    assert "[GNUPG:]" not in decrypt.output  # status lines are kept apart from the messages
    assert decrypt.said("VALIDSIG")[0][-1] == people["Alice"].fingerprint


def test_impostor_key_is_not_valid() -> None:
    """Anyone can make a key named Bob: only certifications that reach you make it valid."""
    lab = trust_lab("impostor")
    assert node(lab, "Bob") == "full"
    assert node(lab, "Fake Bob") == "unknown"
    assert node(lab, "Mallory") == "unknown"  # full owner trust, but not reached


def test_glossary_terms_render() -> None:
    from mailsec.glossary import chapter_terms
    from mailsec.render.html import glossary_table

    html = glossary_table(*chapter_terms("06"))
    assert "信頼の輪" in html and "owner trust" in html


def test_gnupg_trust_check_without_gpg() -> None:
    from mailsec.labs.pgp import gnupg_trust_check
    from mailsec.render.openpgp import gnupg_trust_html

    check = gnupg_trust_check(trust_lab().web, gpg="/nonexistent/gpg")
    assert not check.available and not check.agree
    assert "GnuPG (gpg) is not installed here" in gnupg_trust_html(check)


@pytest.mark.interop
@pytest.mark.skipif(
    shutil.which("gpg") is None, reason="gpg is not installed (Debian package gnupg)"
)
def test_gnupg_trust_check_agrees_on_the_lab_graph() -> None:
    """The lab's own graph, edited as a learner would, gives GnuPG's answer."""
    from mailsec.labs.pgp import gnupg_trust_check
    from mailsec.openpgp.trust import TrustPolicy
    from mailsec.render.openpgp import gnupg_trust_html

    lab = trust_lab()
    lab.signer.value, lab.signee.value = "Dave", "Erin"
    lab.certify_button.click()
    lab.revoked["Carol"].value = True
    lab.new_name.value = "Frank"
    lab.add_button.click()
    lab.signer.value, lab.signee.value = "You", "Frank"
    lab.certify_button.click()
    lab.expired["Frank"].value = True
    check = gnupg_trust_check(lab.web, TrustPolicy(marginals_needed=2))
    assert check.available and check.version.startswith("gpg (GnuPG)")
    assert check.agree, check.rows
    rows = {name: (model, gnupg) for name, model, gnupg in check.rows}
    assert rows["Carol"] == (Validity.REVOKED, Validity.REVOKED)
    assert rows["Erin"] == (Validity.FULL, Validity.FULL)  # Bob + Dave, two marginals
    assert rows["Frank"] == (Validity.EXPIRED, Validity.EXPIRED)
    assert any("--check-trustdb" in command for command in check.commands)
    assert "GnuPG computes the same validity for every key." in gnupg_trust_html(check)
    lab.marginals.value = 2
    assert "GnuPG computes the same validity for every key." in lab.ask_gnupg()


def test_an_empty_or_failed_comparison_never_agrees() -> None:
    """No rows to compare is not agreement, and a gpg failure is shown as one, without a tick."""
    from mailsec.labs.pgp.gnupg import GpgRun
    from mailsec.labs.pgp.trustcheck import GnupgTrustCheck
    from mailsec.render.openpgp import gnupg_trust_html

    assert not GnupgTrustCheck(True, "gpg (GnuPG) 2.2.40").agree
    failed = GpgRun(
        "gpg --marginals-needed 1 --check-trustdb",
        2,
        "gpg: marginals-needed must be greater than 1",
        (("FAILURE", "option-postprocessing", "33554433"),),
    )
    assert failed.failed and failed.said("FAILURE") == (("option-postprocessing", "33554433"),)
    assert GpgRun("gpg --check-trustdb", 0, "", (("ERROR", "check", "1"),)).failed
    assert not GpgRun("gpg --check-trustdb", 0, "", (("KEY_CONSIDERED", "AB", "0"),)).failed
    check = GnupgTrustCheck(
        True, "gpg (GnuPG) 2.2.40", rows=(("You", Validity.ULTIMATE, Validity.ULTIMATE),)
    )
    assert check.agree
    check = GnupgTrustCheck(
        True,
        "gpg (GnuPG) 2.2.40",
        rows=(("You", Validity.ULTIMATE, Validity.ULTIMATE),),
        failure=failed,
    )
    assert not check.agree
    html = gnupg_trust_html(check)
    assert "✗ GnuPG failed: nothing to compare" in html
    assert "marginals-needed must be greater than 1" in html
    assert "✓" not in html and "<table" not in html


def test_asking_gnupg_with_refused_rules_is_a_message_not_a_traceback() -> None:
    lab = trust_lab()
    lab.marginals.value = 1
    html = lab.ask_gnupg(gpg="/nonexistent/gpg")  # refused before gpg is looked for
    assert "✗ Cannot do that:" in html
    assert "Marginals needed (--marginals-needed) = 1 is too small" in html
    lab.marginals.value = 3
    assert "GnuPG (gpg) is not installed here" in lab.ask_gnupg(gpg="/nonexistent/gpg")


def _gpg_wrapper(tmp_path, on_check_trustdb: str) -> str:
    """A gpg that runs the real one, except for ``--check-trustdb``, where it runs the shell
    command ``on_check_trustdb`` (``$GPG`` is the real gpg)."""
    script = tmp_path / "gpg"
    script.write_text(
        "#!/bin/sh\n"
        f"GPG='{shutil.which('gpg')}'\n"
        'for a in "$@"; do if [ "$a" = --check-trustdb ]; then '
        f"{on_check_trustdb}; fi; done\n"
        'exec "$GPG" "$@"\n'
    )
    script.chmod(0o755)
    return str(script)


@pytest.mark.interop
@pytest.mark.skipif(
    shutil.which("gpg") is None, reason="gpg is not installed (Debian package gnupg)"
)
def test_gnupg_trust_check_reports_gpg_refusing_the_rules(tmp_path) -> None:
    """gpg refuses one marginal (exit status 2): the check reports the failure, never agreement."""
    from mailsec.labs.pgp import gnupg_trust_check
    from mailsec.render.openpgp import gnupg_trust_html

    gpg = _gpg_wrapper(tmp_path, 'exec "$GPG" "$@" --marginals-needed 1')
    check = gnupg_trust_check(trust_lab().web, gpg=gpg)
    assert check.available and not check.agree and check.rows == ()
    assert check.failure is not None and check.failure.returncode == 2
    assert check.failure.command.endswith("--check-trustdb")
    assert check.failure.said("FAILURE")  # gpg's machine-readable account of the failure
    assert check.steps[0].outcome is Outcome.FAIL
    assert check.steps[0].text.startswith(
        "gpg stopped with an error (exit status 2, status FAILURE), so GnuPG computed nothing "
        "to compare with the model: gpg --trust-model classic"
    )
    html = gnupg_trust_html(check)
    assert "✗ GnuPG failed: nothing to compare" in html
    assert "gpg: marginals-needed must be greater than 1" in html
    assert "✓" not in html and "<table" not in html


@pytest.mark.interop
@pytest.mark.skipif(
    shutil.which("gpg") is None, reason="gpg is not installed (Debian package gnupg)"
)
def test_gnupg_trust_check_reads_errors_from_the_status_channel(tmp_path) -> None:
    """An ERROR status line is a failure even when gpg exits 0 and says nothing to people."""
    from mailsec.labs.pgp import gnupg_trust_check

    gpg = _gpg_wrapper(tmp_path, '"$GPG" "$@"; echo "[GNUPG:] ERROR validate_keys 1" >&2; exit 0')
    check = gnupg_trust_check(trust_lab().web, gpg=gpg)
    assert not check.agree and check.rows == ()
    assert check.failure is not None and check.failure.returncode == 0
    assert check.failure.said("ERROR") == (("validate_keys", "1"),)
    assert "status ERROR" in check.steps[0].text


@pytest.mark.interop
@pytest.mark.skipif(
    shutil.which("gpg") is None, reason="gpg is not installed (Debian package gnupg)"
)
def test_gnupg_trust_check_refuses_a_trust_database_left_out_of_date(tmp_path) -> None:
    """gpg exits 0 without checking: its ``tru`` record says so, and nothing is compared."""
    from mailsec.labs.pgp import gnupg_trust_check

    check = gnupg_trust_check(trust_lab().web, gpg=_gpg_wrapper(tmp_path, "exit 0"))
    assert not check.agree and check.rows == () and check.failure is None
    assert check.steps[0].text == (
        "gpg's trust database was not brought up to date with these rules (its 'tru' record "
        "says 'ot'), so its validity cannot be compared with the model's."
    )


def test_compare_lab_encrypting(people) -> None:
    lab = compare_lab(people["Alice"], bob=people["Bob"])
    lab.action_picker.value = "encrypt"
    assert lab.error.value == ""
    assert lab.pair.pgp_opened and lab.pair.smime_opened
    assert lab.has_key.disabled and lab.trusts_ca.disabled  # trust matters for signatures only
    assert "The same text, encrypted two ways" in lab.result.value
    lab.change.value = True
    assert not lab.pair.pgp_opened and not lab.pair.smime_opened
    assert "refused: nothing of the text is shown" in lab.result.value
    sent = lab.sent()
    lab.change.value = False
    assert lab.sent() is sent  # the mails are not made again for a checkbox
    lab.action_picker.value = "sign"
    assert not lab.has_key.disabled and lab.pair.pgp_valid


def test_expired_checkbox() -> None:
    lab = trust_lab()
    lab.expired["Alice"].value = True
    assert node(lab, "Alice") == "expired"
    assert node(lab, "Dave") == "unknown"
    lab.expired["Alice"].value = False  # the owner extended the key
    assert node(lab, "Dave") == "full"
