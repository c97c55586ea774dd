"""Chapter 02 in a real browser: run all cells, use the OP25B lab, replay over real SMTP."""

from __future__ import annotations

from playwright.sync_api import expect

from mailsec.op25b import STANDARD_WORLD


def test_op25b_lab_answers_in_the_browser(notebook, screenshot) -> None:
    page = notebook("02-op25b.ipynb")
    lab = page.locator(".mailsec-op25b-lab").first
    lab.scroll_into_view_if_needed()
    verdict = lab.locator(".mailsec-op25b-verdict")
    expect(verdict).to_have_attribute("data-verdict", "dropped", timeout=20_000)
    expect(lab).to_contain_text("dropped by OP25B")
    lab.locator(".mailsec-op25b-scenario").first.scroll_into_view_if_needed()
    screenshot(page, "02-op25b-controls")

    # Pick another first server in the menu: through ISP A's own server the mail is delivered.
    isp_server = STANDARD_WORLD.host("isp-a-mail")
    lab.locator(".mailsec-op25b-destination select").select_option(
        label=f"{isp_server.label} — {isp_server.hostname}"
    )
    expect(verdict).to_have_attribute("data-verdict", "delivered", timeout=10_000)

    # Type a bad port: a plain message, no traceback.
    port = lab.locator(".mailsec-op25b-port input")
    port.fill("70000")
    port.press("Enter")
    expect(lab).to_contain_text("The port 70000 is outside 1-65535", timeout=10_000)
    port.fill("25")
    port.press("Enter")

    # One click on a prepared scenario, then replay it over real SMTP on 127.0.0.1.
    lab.locator(".mailsec-op25b-scenario-user-submission-587").click()
    expect(verdict).to_have_attribute("data-verdict", "delivered", timeout=10_000)
    lab.locator(".mailsec-op25b-replay").click()
    output = lab.locator(".mailsec-op25b-replay-output")
    expect(output).to_contain_text("S: 235 2.7.0 Authentication successful", timeout=20_000)
    expect(output).to_contain_text("They agree.")
    assert "Traceback" not in lab.text_content()

    lab.locator(".mailsec-op25b-replay-output").scroll_into_view_if_needed()
    page.mouse.wheel(0, -500)
    path = screenshot(page, "02-op25b")
    assert path.stat().st_size > 10_000
    lab.locator("svg.mailsec-op25b-diagram").scroll_into_view_if_needed()
    screenshot(page, "02-op25b-diagram")
