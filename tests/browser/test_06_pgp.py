"""Chapter 06 in a real browser: run all cells, let Dave certify Erin in the web-of-trust lab and
see Erin's key become valid; open Alice's mail as Carol in the message lab and see it refused."""

from __future__ import annotations

from playwright.sync_api import expect


def test_pgp_labs_answer_in_the_browser(notebook, screenshot) -> None:
    page = notebook("06-pgp.ipynb")

    mail = page.locator(".mailsec-pgp-lab").first
    expect(mail).to_contain_text("Good signature on an encrypted mail", timeout=20_000)
    mail.locator(".mailsec-pgp-reader select").select_option("Carol")
    expect(mail).to_contain_text("Refused", timeout=10_000)
    expect(mail).to_contain_text("Carol cannot decrypt it")
    mail.locator(".mailsec-pgp-reader").scroll_into_view_if_needed()
    screenshot(page, "06-pgp-mail")

    lab = page.locator(".mailsec-wot-lab").first
    erin = lab.locator("g.mailsec-wot-node[data-name='Erin']")
    expect(erin).to_have_attribute("data-validity", "marginal", timeout=20_000)
    lab.locator(".mailsec-wot-signer select").select_option("Dave")
    lab.locator(".mailsec-wot-signee select").select_option("Erin")
    lab.locator("button.mailsec-wot-certify").click()
    expect(erin).to_have_attribute("data-validity", "full", timeout=10_000)
    expect(lab).to_contain_text("Why Erin's key is full")

    lab.locator(".mailsec-wot-certify").scroll_into_view_if_needed()
    page.mouse.wheel(0, 260)
    path = screenshot(page, "06-pgp")
    assert path.stat().st_size > 10_000
