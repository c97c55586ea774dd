"""Chapter 08 in a real browser: run all cells, then use the wiretap, APOP, relay and MTA-STS labs."""

from __future__ import annotations

from playwright.sync_api import expect


def _show(page, selector: str):
    """The first element matching ``selector``, scrolled into view (every cell is rendered)."""
    target = page.locator(selector).first
    target.scroll_into_view_if_needed()
    return target


def test_transport_labs_answer_in_the_browser(notebook, screenshot) -> None:
    page = notebook("08-transport-security.ipynb")

    # The wiretap: "use TLS if available" with the attacker stripping STARTTLS gives the password
    # away; requiring STARTTLS keeps it.
    tap = _show(page, ".mailsec-wiretap-lab")
    verdict = tap.locator(".mailsec-wiretap-verdict")
    expect(verdict).to_be_visible(timeout=30_000)
    tap.locator(".mailsec-wiretap-setting select").select_option(index=1)
    tap.locator(".mailsec-wiretap-strip input").check()
    expect(verdict).to_have_attribute("data-captured", "yes", timeout=20_000)
    screenshot(page, "08-wiretap-stripped")
    tap.locator(".mailsec-wiretap-setting select").select_option(index=2)
    expect(verdict).to_have_attribute("data-captured", "no", timeout=20_000)
    assert "Traceback" not in tap.text_content()

    # APOP: the default password is in the word list, found from the captured digest.
    apop = _show(page, ".mailsec-apop-lab")
    expect(apop.locator(".mailsec-apop-verdict")).to_have_attribute(
        "data-found", "yes", timeout=20_000
    )

    # Relaying: the lab shows a real SMTP decision with its reason.
    relay = _show(page, ".mailsec-relay-lab")
    expect(relay.locator(".mailsec-relay-verdict")).to_be_visible(timeout=20_000)

    # MTA-STS: in enforce mode the forged MX is skipped and the mail is delivered.
    sts = _show(page, ".mailsec-mtasts-lab")
    sts_verdict = sts.locator(".mailsec-mtasts-verdict")
    expect(sts_verdict).to_have_attribute("data-result", "delivered", timeout=10_000)
    sts_verdict.scroll_into_view_if_needed()
    path = screenshot(page, "08-mtasts")
    assert path.stat().st_size > 10_000
