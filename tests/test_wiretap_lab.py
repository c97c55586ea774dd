"""The wiretap lab driven without a browser: set the widgets' values, read the verdict's data-*
attributes and the HTML. Every run is a real login through a real relay on 127.0.0.1."""

from __future__ import annotations

import gc
import re
import weakref
from collections.abc import Iterator

import pytest

from mailsec.errors import MailsecError
from mailsec.labs.wiretap import WiretapLab, wiretap_lab
from mailsec.op25b.model import HANAKO, HANAKO_PASSWORD
from mailsec.transport.relay_clients import LoginOutcome, TlsSetting
from mailsec.transport.relay_recording import MailProtocol


@pytest.fixture(scope="module")
def lab() -> Iterator[WiretapLab]:
    made = wiretap_lab()
    yield made
    made.close()


def _verdict(lab: WiretapLab) -> dict[str, str]:
    match = re.search(r'<div class="mailsec-wiretap-verdict"([^>]*)>', lab.result.value)
    assert match, lab.error.value or lab.result.value[:300]
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', match.group(1)))


def _set(lab: WiretapLab, protocol: MailProtocol, setting: TlsSetting, strip: bool) -> None:
    lab.protocol.value = protocol
    lab.setting.value = setting
    lab.strip.value = strip
    lab.run_button.click()  # one more run with all three set
    assert lab.error.value == "", lab.error.value
    assert lab.last_run is not None
    assert (lab.last_run.protocol, lab.last_run.setting, lab.last_run.strip) == (
        protocol,
        setting,
        strip,
    )


def test_the_default_run_is_a_tls_login_with_nothing_captured(lab: WiretapLab) -> None:
    _set(lab, MailProtocol.SMTP, TlsSetting.OPPORTUNISTIC, False)
    assert _verdict(lab) == {"captured": "no", "channel": "tls", "login": "logged-in"}
    assert "smtp.mailprovider.example" in lab.result.value  # SNI, in the TLS summary
    assert "mailsec-wiretap-tls" in lab.result.value
    assert HANAKO_PASSWORD not in lab.result.value + lab.explanation.value
    assert "mailsec-wiretap-verdict" in lab.static_html()


def test_stripping_captures_and_the_password_shows_only_where_it_was_read(lab: WiretapLab) -> None:
    _set(lab, MailProtocol.SMTP, TlsSetting.OPPORTUNISTIC, True)
    assert _verdict(lab) == {"captured": "yes", "channel": "plaintext", "login": "logged-in"}
    lines = re.search(
        r'<section role="log" class="mailsec-wiretap-lines".*?</section>', lab.result.value, re.S
    )
    assert lines is not None
    assert lab.result.value.count(HANAKO_PASSWORD) == lines.group(0).count(HANAKO_PASSWORD) == 1
    assert 'class="mailsec-wiretap-password"' in lines.group(0)
    assert "◀ password" in lines.group(0)  # marked in words, not only in colour
    for elsewhere in (lab.header, lab.status, lab.explanation, lab.error):
        assert HANAKO_PASSWORD not in elsewhere.value
    assert HANAKO in lab.header.value  # the account is named; its password is not
    assert "What the attacker did" in lab.result.value


def test_requiring_tls_refuses_and_implicit_tls_is_not_stripped(lab: WiretapLab) -> None:
    _set(lab, MailProtocol.SMTP, TlsSetting.REQUIRED, True)
    assert _verdict(lab) == {"captured": "no", "channel": "plaintext", "login": "client-refused"}
    assert lab.last_run is not None and not lab.last_run.login.password_sent
    _set(lab, MailProtocol.SMTP, TlsSetting.IMPLICIT, True)
    assert _verdict(lab) == {"captured": "no", "channel": "tls", "login": "logged-in"}


def test_without_tls_and_without_attacker_the_server_refuses(lab: WiretapLab) -> None:
    _set(lab, MailProtocol.SMTP, TlsSetting.NONE, False)
    assert _verdict(lab) == {"captured": "no", "channel": "plaintext", "login": "server-refused"}
    assert lab.last_run is not None
    assert lab.last_run.login.outcome is LoginOutcome.SERVER_REFUSED


@pytest.mark.parametrize("protocol", [MailProtocol.POP3, MailProtocol.IMAP], ids=lambda p: p.value)
@pytest.mark.parametrize(
    ("setting", "strip", "verdict"),
    [
        (TlsSetting.OPPORTUNISTIC, False, ("no", "tls", "logged-in")),
        (TlsSetting.OPPORTUNISTIC, True, ("yes", "plaintext", "logged-in")),
        (TlsSetting.NONE, True, ("yes", "plaintext", "logged-in")),
        (TlsSetting.REQUIRED, True, ("no", "plaintext", "client-refused")),
        (TlsSetting.IMPLICIT, True, ("no", "tls", "logged-in")),
    ],
)
def test_pop3_and_imap(
    lab: WiretapLab,
    protocol: MailProtocol,
    setting: TlsSetting,
    strip: bool,
    verdict: tuple[str, str, str],
) -> None:
    _set(lab, protocol, setting, strip)
    assert tuple(_verdict(lab).values()) == verdict


def test_every_run_is_timed(lab: WiretapLab) -> None:
    assert len(lab.timings) >= 2
    assert all(t < 5 for t in lab.timings)


def test_closing_the_lab_stops_its_servers_and_refuses_further_runs() -> None:
    made = wiretap_lab()
    servers = made._servers
    smtp = servers.smtp
    assert smtp is not None and smtp.running
    made.close()
    assert servers.smtp is None and not smtp.running
    assert made.run_button.disabled
    with pytest.raises(MailsecError, match="The lab is closed"):
        made.run()  # a code cell calling it after close: refused with a sentence


def test_a_closed_lab_is_collected_and_its_servers_stay_stopped() -> None:
    made = wiretap_lab()
    smtp = made._servers.smtp
    assert smtp is not None
    gone = weakref.ref(made)
    made.close()
    del made
    gc.collect()
    assert gone() is None
    assert not smtp.running
