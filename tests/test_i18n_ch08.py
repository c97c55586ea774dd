"""Chapter 08's labs under the pseudo-locale: every string a learner sees went through gettext.

The MTA-STS lab (every mode, every TLS outcome, the attacker's forged MX and blocked lookup, a
policy that does not parse), the wiretap lab (every protocol and TLS setting, with and without
the attacker who strips STARTTLS) and the APOP lab (every example password, a typed one, a bad
one) are driven under ``qps``; what is left outside the marks must be data
(:mod:`tests.pseudolocale`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailsec.i18n import PSEUDO
from mailsec.labs.apop import ApopLab, apop_lab
from mailsec.labs.mtasts import MtaStsLab, mtasts_lab
from mailsec.labs.wiretap import WiretapLab, wiretap_lab
from mailsec.transport.mtasts import Mode
from mailsec.transport.mtasts_delivery import TlsOutcome
from mailsec.transport.relay_clients import TlsSetting
from mailsec.transport.relay_recording import MailProtocol
from tests.pseudolocale import words_outside_marks


#: Strings of modules of other groups, not converted yet: (pattern, module). The lead removes
#: them when those modules are converted.
def unmarked(lab: object) -> list[str]:
    """What the lab shows outside the marks that is not data."""
    return words_outside_marks(lab)  # type: ignore[arg-type]


def assert_marked(lab: object, what: str) -> None:
    wrong = unmarked(lab)
    assert wrong == [], f"{what}: {wrong}"


# -- MTA-STS --------------------------------------------------------------------------------------


@pytest.fixture
def sts() -> MtaStsLab:
    return mtasts_lab(lang=PSEUDO)


def test_mtasts_lab_marks_every_string(sts: MtaStsLab) -> None:
    assert_marked(sts, "start")
    for mode in Mode:
        sts.mode.value = mode
        assert_marked(sts, f"mode {mode}")
    sts.mode.value = Mode.ENFORCE
    for key in sts.tls:
        for outcome in TlsOutcome:
            sts.tls[key].value = outcome
            assert_marked(sts, f"{key}: {outcome}")
        sts.tls[key].value = TlsOutcome.VALID
    for spoof in (True, False):
        for block in (True, False):
            for cached in (True, False):
                sts.spoof.value, sts.block.value, sts.cached.value = spoof, block, cached
                assert_marked(sts, f"spoof={spoof} block={block} cached={cached}")


def test_mtasts_lab_marks_the_policy_reader(sts: MtaStsLab) -> None:
    """Notes about ignored lines, a short max_age, and errors the policy text can raise."""
    sts.policy_text.value = (
        "version: STSv1\nmode: enforce\nMode: testing\nmx: mx1.example.net\nmax_age: 86400\n"
        "mode: none\nfoo: bar\n"
    )
    assert_marked(sts, "notes")
    sts.block.value = sts.cached.value = True
    assert_marked(sts, "expired cache")
    for text in (
        "version: STSv1\nmode: enforce\nmax_age: 600\n",
        "version: STSv1\nmode: Enforce\nmx: mx1.example.net\nmax_age: 600\n",
        "version: STSv1\nmode enforce\n",
        "version: STSv1\nmode: enforce\nmx: a..b\nmax_age: 600\n",
        "version: STSv1\nMode: enforce\nmx: mx1.example.net\nmax_age: 600\n",
        "version: STSv2\nmode: enforce\nmx: mx1.example.net\nmax_age: 600\n",
        "version: STSv1\nmode: enforce\nmx: mx1.example.net\nmax_age: forever\n",
    ):
        sts.policy_text.value = text
        assert_marked(sts, repr(text))


# -- the wiretap ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tap() -> Iterator[WiretapLab]:
    lab = wiretap_lab(lang=PSEUDO)
    yield lab
    lab.close()


@pytest.mark.parametrize("protocol", list(MailProtocol))
def test_wiretap_lab_marks_every_string(tap: WiretapLab, protocol: MailProtocol) -> None:
    tap.protocol.value = protocol
    for setting in TlsSetting:
        for strip in (False, True):
            tap.strip.value = strip
            tap.setting.value = setting
            assert_marked(tap, f"{protocol} {setting} strip={strip}")
    tap.strip.value = False


def test_wiretap_lab_marks_its_closed_message() -> None:
    lab = wiretap_lab(lang=PSEUDO)
    lab.close()
    lab.run_button.click()
    assert_marked(lab, "closed")


# -- APOP -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apop() -> Iterator[ApopLab]:
    lab = apop_lab(lang=PSEUDO)
    yield lab
    lab.close()


def test_apop_lab_marks_every_string(apop: ApopLab) -> None:
    assert_marked(apop, "start")
    for _label, value in apop.preset.options:
        if value:
            apop.preset.value = value
            assert_marked(apop, f"preset {value}")
    apop.password.value = "not-in-any-list-7Qx"
    assert_marked(apop, "typed, not found")
    for bad in ("", "two\nlines", "x" * 5000):
        apop.password.value = bad
        assert_marked(apop, f"bad {bad[:10]!r}")
    apop.password.value = "sakura"


def test_the_mx_table_fits_the_lab_in_every_language() -> None:
    """The MX table takes the lab's width and no more: fixed column shares, and cells (host
    names, marks) that wrap instead of widening it (a badge never wraps)."""
    for lang in ("en", PSEUDO):
        lab = mtasts_lab(lang=lang)
        lab.tls["mx1"].value = TlsOutcome.UNTRUSTED
        html = lab.result.value
        start = html.index('<table class="mailsec-mtasts-mx"')
        table = html[start : html.index("</table>", start)]
        assert "width:100%" in table and "table-layout:fixed" in table
        assert "nowrap" not in table
        assert table.count("<col ") == 4
