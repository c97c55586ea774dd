"""Chapter 01 in a real browser: run all cells, switch the devices lab from POP3 to IMAP4 and step
back through the timeline; the laptop's mailbox and the explanation change."""

from __future__ import annotations

from playwright.sync_api import expect


def test_devices_lab_answers_in_the_browser(notebook, screenshot) -> None:
    page = notebook("01-pop3-vs-imap4.ipynb")
    lab = page.locator(".mailsec-retrieval-lab").first
    if page.locator(".mailsec-retrieval-lab").count() == 0:
        # On a busy machine "Run All Cells" can be clicked before the kernel takes requests; the
        # fixture then sees no running cell and returns with nothing run. Run all once more.
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    expect(lab).to_be_visible(timeout=60_000)
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

    lab.scroll_into_view_if_needed()
    page.mouse.wheel(0, 500)
    path = screenshot(page, "01-pop3-vs-imap4")
    assert path.stat().st_size > 10_000
