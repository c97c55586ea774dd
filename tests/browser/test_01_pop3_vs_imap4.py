"""Chapter 01 in a real browser: run all cells, switch the devices lab from POP3 to IMAP4 and step
back through the timeline; the laptop's mailbox and the explanation change. The wire lab shows a
real POP3 conversation."""

from __future__ import annotations

from playwright.sync_api import expect


def test_devices_lab_answers_in_the_browser(notebook, screenshot) -> None:
    page = notebook("01-pop3-vs-imap4.ipynb")
    lab = page.locator(".mailsec-retrieval-lab").first
    laptop = lab.locator(".mailsec-device[aria-label='Laptop']")
    # POP3, download and delete: the phone took everything, the laptop is empty.
    expect(laptop).to_contain_text("(empty)", timeout=30_000)
    expect(laptop).not_to_contain_text("Dinner on Friday?")

    lab.locator(".mailsec-retrieval-protocol button", has_text="IMAP4").click()
    # IMAP4: the laptop shows the server's mailbox, with the phone's read state.
    expect(laptop).to_contain_text("Dinner on Friday?", timeout=30_000)
    expect(laptop).to_contain_text("read · \\Answered")
    expect(laptop).to_contain_text("＋ NEW")
    expect(lab).to_contain_text("appears in Laptop's INBOX")

    lab.locator(".mailsec-retrieval-prev button, button.mailsec-retrieval-prev").first.click()
    expect(lab).to_contain_text("Step 7", timeout=30_000)
    expect(lab.locator(".mailsec-server")).to_contain_text("− REMOVED")

    # The wire lab further down has run its first real POP3 session.
    wire = page.locator(".mailsec-wire-lab").first
    expect(wire).to_contain_text("+OK mailsec POP3 server ready", timeout=30_000)

    # Show the step buttons, the server and the devices, and the start of the explanation.
    lab.locator(".mailsec-retrieval-step").first.evaluate("e => e.scrollIntoView({block: 'start'})")
    path = screenshot(page, "01-pop3-vs-imap4")
    assert path.stat().st_size > 10_000
