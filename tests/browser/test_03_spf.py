"""Chapter 03 in a real browser: run all cells, then use the SPF lab's controls."""

from __future__ import annotations

from playwright.sync_api import expect


def _show(page, selector: str):
    """The first element matching ``selector``, scrolled into view (every cell is rendered)."""
    target = page.locator(selector).first
    target.scroll_into_view_if_needed()
    return target


def test_spf_lab_answers_in_the_browser(notebook, screenshot) -> None:
    page = notebook("03-spf.ipynb")
    # The concepts diagram is drawn, with its title as a text alternative.
    diagram = _show(page, "svg[aria-labelledby='spf-flow-title spf-flow-desc']")
    expect(diagram.locator("title")).to_have_text("How an SPF check works")
    screenshot(page, "03-spf-flow")
    lab = _show(page, ".mailsec-spf-lab")
    verdict = lab.locator(".mailsec-spf-verdict")
    # The story's attacker, forging alice@example.com: fail, with the domain's explanation.
    expect(verdict).to_have_attribute("data-result", "fail", timeout=20_000)
    expect(lab).to_contain_text("is not an authorised mail server of example.com")

    # Pick example.com's own server in the menu: pass, decided by the mx mechanism.
    lab.locator(".mailsec-spf-client select").select_option(
        label="192.0.2.10 — example.com's own mail server"
    )
    expect(verdict).to_have_attribute("data-result", "pass", timeout=10_000)
    expect(lab).to_contain_text("decided by mx")
    expect(lab).to_contain_text("Received-SPF: pass")

    # Edit the record so that it lists nobody: the same server now fails.
    record = lab.locator(".mailsec-spf-record textarea")
    record.fill("v=spf1 -all")
    record.press("Tab")
    expect(verdict).to_have_attribute("data-result", "fail", timeout=10_000)
    lab.locator(".mailsec-spf-reset").click()
    expect(verdict).to_have_attribute("data-result", "pass", timeout=10_000)

    # A bad IP address: a plain message, no traceback, and no result of the old inputs.
    ip = lab.locator(".mailsec-spf-ip input")
    ip.fill("192.0.2.999")
    ip.press("Enter")
    expect(lab).to_contain_text("'192.0.2.999' is not an IPv4 or IPv6 address", timeout=10_000)
    assert "Traceback" not in lab.text_content()
    ip.fill("192.0.2.10")
    ip.press("Enter")
    expect(lab.locator("[role=alert]")).to_have_count(0, timeout=10_000)

    verdict.scroll_into_view_if_needed()
    page.mouse.wheel(0, -250)
    path = screenshot(page, "03-spf")
    assert path.stat().st_size > 10_000

    # The too-many-lookups lab: move the slider past the limit with the keyboard.
    limit = _show(page, ".mailsec-spf-limit-lab")
    handle = limit.locator(".mailsec-spf-includes input[type=range]")
    handle.focus()
    for _ in range(8):  # from 4 to 12 includes: 13 lookups
        page.keyboard.press("ArrowRight")
    expect(limit.locator(".mailsec-spf-verdict")).to_have_attribute(
        "data-result", "permerror", timeout=10_000
    )
    expect(limit).to_contain_text("over the limit")
    screenshot(page, "03-spf-limit")

    # The spoofing lab: switch the bank's policy to ?all; the attacker gets neutral.
    spoof = _show(page, ".mailsec-spf-spoofing-lab")
    spoof.locator(".mailsec-spf-policy button", has_text="?all").click()
    expect(spoof).to_contain_text("Received-SPF: neutral", timeout=10_000)
    spoof.locator(".mailsec-spf-verdict").scroll_into_view_if_needed()
    screenshot(page, "03-spf-spoofing")

    # The blind-spots lab: the forged From: header passes SPF for the attacker's own domain.
    blind = _show(page, ".mailsec-spf-blind-lab")
    blind.locator(".mailsec-spf-situation button").nth(3).click()
    expect(blind).to_contain_text("DIFFERENT domain", timeout=10_000)
    expect(blind.locator(".mailsec-spf-verdict")).to_have_count(0)
    screenshot(page, "03-spf-blind-spots")
