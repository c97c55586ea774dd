"""Chapter 09 in a real browser: run all cells, then play one scenario and the whole campaign."""

from __future__ import annotations

from playwright.sync_api import expect

from mailsec.mailsystem.scenarios import SCENARIOS


def _show(page, selector: str):
    """The first element matching ``selector``, scrolled into view (every cell is rendered)."""
    target = page.locator(selector).first
    target.scroll_into_view_if_needed()
    return target


def _to_top(target) -> None:
    """Scroll so that ``target`` starts at the top of the notebook's view (for a screenshot)."""
    target.evaluate("e => e.scrollIntoView({block: 'start'})")


def test_capstone_labs_answer_in_the_browser(notebook, screenshot) -> None:
    page = notebook("09-capstone.ipynb")

    # One message's journey: the normal message arrives; the bot on port 25 is stopped.
    journey = _show(page, ".mailsec-scenario-lab")
    result = journey.locator(".mailsec-scenario-result")
    expect(result).to_have_attribute("data-scenario", "normal", timeout=30_000)
    expect(result).to_have_attribute("data-defended", "yes")
    expect(journey.locator(".mailsec-sequence")).to_be_visible()
    _to_top(journey)
    screenshot(page, "09-scenario-normal")
    bot = [s.name for s in SCENARIOS].index("bot-port25")
    journey.locator(".mailsec-scenario-picker select").select_option(index=bot)
    expect(result).to_have_count(0, timeout=10_000)  # the old run is cleared at once
    journey.locator(".mailsec-scenario-run").click()
    expect(result).to_have_attribute("data-scenario", "bot-port25", timeout=30_000)
    expect(result).to_have_attribute("data-defended", "yes")
    assert "OP25B" in result.text_content()
    _to_top(result)
    screenshot(page, "09-scenario-bot")

    # A transcript: the tampered message's hop to the MX, opened from the menu.
    tampered = [s.name for s in SCENARIOS].index("tampered")
    journey.locator(".mailsec-scenario-picker select").select_option(index=tampered)
    journey.locator(".mailsec-scenario-run").click()
    expect(result).to_have_attribute("data-scenario", "tampered", timeout=30_000)
    journey.locator(".mailsec-scenario-transcript select").select_option(index=1)
    log = journey.locator("section[role='log']")
    expect(log).to_contain_text("Transcript #2", timeout=10_000)
    log.scroll_into_view_if_needed()
    screenshot(page, "09-scenario-transcript")

    # Defend example.com: the recommended set stops 6 of 7; with nothing switched on, none.
    game = _show(page, ".mailsec-defence-lab")
    score = game.locator(".mailsec-defence-score")
    expect(score).to_have_attribute("data-stopped", "6", timeout=30_000)
    expect(score).to_have_attribute("data-attacks", "7")
    _to_top(game)
    screenshot(page, "09-defence-recommended")
    game.locator(".mailsec-defence-preset select").select_option(index=0)  # "nothing"
    expect(score).to_have_count(0, timeout=10_000)
    expect(game.locator(".mailsec-defence-op25b input")).not_to_be_checked()
    game.locator(".mailsec-defence-run").click()
    expect(score).to_have_attribute("data-stopped", "0", timeout=60_000)
    expect(score).to_have_attribute("data-delivered", "4")
    _to_top(score)
    path = screenshot(page, "09-defence-nothing")
    assert path.stat().st_size > 10_000
    assert "Traceback" not in game.text_content()
