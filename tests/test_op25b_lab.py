"""The OP25B lab driven headless (setting widget values fires the callbacks synchronously), the
diagram and the command line."""

from __future__ import annotations

import dataclasses
import html
import re
import unicodedata
from pathlib import Path
from xml.etree import ElementTree

import pytest

from mailsec.__main__ import main
from mailsec.labs.op25b import CREDENTIAL_PRESETS, Op25bLab, op25b_lab
from mailsec.op25b import SCENARIOS, STANDARD_WORLD, Policy, scenario, simulate
from mailsec.op25b.model import HANAKO, HANAKO_PASSWORD
from mailsec.op25b.replay import LoopbackMailServers
from mailsec.render.op25b import alt_text, network_svg, path_html, scenarios_table, world_table


def verdict_of(lab: Op25bLab) -> str:
    found = re.search(r'data-verdict="([^"]+)"', lab.result.value)
    assert found, lab.result.value[:300]
    return found.group(1)


@pytest.fixture
def lab(tmp_path: Path):
    servers = LoopbackMailServers(maildir_root=tmp_path, drop_timeout=0.3)
    made = Op25bLab(servers=servers)
    yield made
    servers.stop()


# -- the lab ----------------------------------------------------------------------------------------


def test_the_lab_opens_on_a_dropped_attempt(lab: Op25bLab) -> None:
    assert verdict_of(lab) == "dropped"
    assert "dropped by OP25B" in lab.result.value
    assert lab.error.value == ""
    assert "RFC 5068 §3" in lab.explanation.value


@pytest.mark.parametrize("s", SCENARIOS, ids=lambda s: s.id)
def test_each_scenario_button_loads_its_story(lab: Op25bLab, s) -> None:
    index = SCENARIOS.index(s)
    lab.scenario_buttons[index].click()
    assert verdict_of(lab) == s.expected.value
    assert lab.source.value == s.source and lab.destination.value == s.destination
    assert lab.port.value == str(s.port)
    assert html.escape(s.title) in lab.replay_output.value
    assert lab.policy == s.policy


def test_controls_change_the_path(lab: Op25bLab) -> None:
    lab.destination.value = "isp-a-mail"
    assert verdict_of(lab) == "delivered"
    lab.destination.value = "provider-smtp"
    lab.port.value = "587"
    assert verdict_of(lab) == "refused"
    assert "530 5.7.0 Authentication required" in lab.result.value
    lab.credentials.value = f"{HANAKO} (right password)"
    assert (lab.user.value, lab.password.value) == (HANAKO, HANAKO_PASSWORD)
    assert verdict_of(lab) == "delivered"
    lab.credentials.value = f"{HANAKO} (wrong password)"
    assert verdict_of(lab) == "refused"
    assert "535 5.7.8" in lab.result.value


def test_policy_switches(lab: Op25bLab) -> None:
    lab.source.value = "infected-pc"
    assert verdict_of(lab) == "dropped"
    lab.switches["op25b"].value = False
    assert verdict_of(lab) == "delivered"
    assert "OP25B off" in lab.result.value
    lab.switches["ip25b"].value = True
    assert verdict_of(lab) == "refused"


def test_custom_credentials(lab: Op25bLab) -> None:
    lab.destination.value = "provider-smtp"
    lab.port.value = "465"
    lab.credentials.value = "type my own below"
    assert "Credentials are chosen but the user and password are empty" in lab.error.value
    lab.user.value = HANAKO
    lab.password.value = HANAKO_PASSWORD
    assert lab.error.value == ""
    assert verdict_of(lab) == "delivered"


@pytest.mark.parametrize(
    ("control", "value", "message"),
    [
        ("port", "70000", "The port 70000 is outside 1-65535"),
        ("port", "smtp", "The port &#x27;smtp&#x27; is not a number"),
        ("port", "", "The port is empty"),
        ("rcpt_to", "", "The recipient address (RCPT TO) is empty"),
        ("rcpt_to", "taro", "has no &#x27;@&#x27;"),
        ("mail_from", "x@y", "is not a valid mail address"),
    ],
)
def test_bad_input_shows_a_message_and_clears_the_stale_result(
    lab: Op25bLab, control: str, value: str, message: str
) -> None:
    assert lab.result.value
    getattr(lab, control).value = value
    assert message in lab.error.value
    assert "Traceback" not in lab.error.value
    assert lab.result.value == "" and lab.explanation.value == ""


def test_replay_shows_the_conversation_with_every_code(lab: Op25bLab) -> None:
    lab.scenario_buttons[2].click()  # Hanako through 587 with AUTH
    lab.replay_button.click()
    assert lab.last_exception is None
    text = lab.replay_output.value
    for code in ("220", "250", "235", "354", "221"):
        assert f"S: {code}" in text, code
    assert "STARTTLS" in text and "AUTH PLAIN" in text
    assert "They agree." in text
    assert "Maildir" in text
    assert lab.last_replay is not None and len(lab.last_replay.delivered) == 1
    assert not lab.replay_button.disabled


def test_replay_of_a_drop_says_it_is_simulated(lab: Op25bLab) -> None:
    lab.scenario_buttons[4].click()  # the bot straight to 25
    lab.replay_button.click()
    assert "Simulated drop" in lab.replay_output.value
    assert "timed out" in lab.replay_output.value


def test_changing_an_input_clears_an_old_replay(lab: Op25bLab) -> None:
    lab.replay_button.click()
    assert lab.replay_output.value
    lab.port.value = "587"
    assert lab.replay_output.value == ""


def test_static_view_shows_the_result_as_text(lab: Op25bLab) -> None:
    html = lab.static_html()
    assert "Verdict: Dropped by OP25B" in html
    assert "<svg" in html and "Run All Cells" in html


def test_the_factory_builds_a_lab() -> None:
    made = op25b_lab(drop_timeout=0.5)
    try:
        assert verdict_of(made) == "dropped"
        assert set(CREDENTIAL_PRESETS) == set(made.credentials.options)
    finally:
        made.close_servers()


# -- the diagram ------------------------------------------------------------------------------------


def test_diagram_has_a_text_alternative_and_words_for_every_outcome() -> None:
    result = simulate("infected-pc", "recipient-mx", 25)
    svg = network_svg(result)
    assert '<title id="op25b-title">' in svg and '<desc id="op25b-desc">' in svg
    assert (
        "Hop 1: pc77.dyn.isp-a.example to ISP A&#x27;s edge router on port 25, dropped by OP25B."
        in svg
    )
    assert "✗ dropped by OP25B" in svg
    assert 'stroke-dasharray="7 5"' in svg  # a failed hop is dashed, not only red
    assert "never arrives" in svg
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_diagram_numbers_every_hop() -> None:
    result = scenario("user-submission-587").evaluate()
    svg = network_svg(result)
    for number in range(1, len(result.hops) + 1):
        assert f">{number}</text>" in svg
    assert "Verdict: delivered." in alt_text(result)
    assert svg.count("✓") == 0  # passed hops are solid arrows with numbers; ✓ is in the table
    assert path_html(result).count("✓ accepted") >= 2


def test_the_bare_network_has_no_path() -> None:
    svg = network_svg(None)
    assert "Path:" not in svg and "OP25B on" in svg
    assert "OP25B off" in network_svg(
        simulate("home-pc", "isp-a-mail", 25, policy=Policy(op25b=False))
    )


# Japanese names for the hosts, as a translated world will have them: no spaces to break at.
JAPANESE_LABELS = {
    "home-pc": "自宅のパソコン",
    "infected-pc": "感染したパソコン（ボット）",
    "isp-a-mail": "ISP Aのメールサーバ",
    "provider-smtp": "メールプロバイダ（送信用サーバ）",
    "webmail": "ウェブメールサービス",
    "recipient-mx": "受信者のMXサーバ",
    "isp-b-host": "ISP Bのパソコン",
}


def em_width(text: str, font_size: float) -> float:
    """A conservative width: 0.6 em a character, 1 em for a wide (Japanese) one."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")
    return font_size * (wide + 0.6 * (len(text) - wide))


def labels_outside_their_boxes(svg: str) -> list[str]:
    """Every label of the diagram that would reach past the box it sits in.

    A label's box is the smallest rectangle around its anchor point. Labels written over lines
    (with a white halo) and inside circles (routers, hop numbers) have no box and are left out.
    """
    ns = "{http://www.w3.org/2000/svg}"
    root = ElementTree.fromstring(svg)
    parent = {child: node for node in root.iter() for child in node}
    rects = [
        tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
        for r in root.iter(f"{ns}rect")
    ]
    problems = []
    for text in root.iter(f"{ns}text"):
        group = parent[text]
        if text.get("stroke") == "#ffffff" or any(c.tag == f"{ns}circle" for c in group):
            continue
        size = float(text.get("font-size"))
        pieces = [(text.text or "", size)]
        for span in text:
            pieces += [
                (span.text or "", float(span.get("font-size", size))),
                (span.tail or "", size),
            ]
        width = sum(em_width(t, fs) for t, fs in pieces)
        tallest = max(fs for t, fs in pieces if t)
        x, y = float(text.get("x")), float(text.get("y"))
        left = {"middle": x - width / 2, "end": x - width}.get(text.get("text-anchor"), x)
        inside = [
            (w * h, (rx, ry, w, h))
            for rx, ry, w, h in rects
            if rx <= x <= rx + w and ry <= y - tallest / 2 <= ry + h
        ]
        words = "".join(t for t, _ in pieces)
        if not inside:
            problems.append(f"{words!r} is in no box")
            continue
        rx, ry, w, h = min(inside)[1]
        if left < rx or left + width > rx + w or y - tallest < ry or y + 0.3 * tallest > ry + h:
            problems.append(
                f"{words!r}: {left:.0f}-{left + width:.0f} × {y - tallest:.0f}-"
                f"{y + 0.3 * tallest:.0f} does not fit in {rx:.0f}-{rx + w:.0f} × {ry:.0f}-{ry + h:.0f}"
            )
    return problems


@pytest.mark.parametrize(
    "result",
    [
        None,
        scenario("user-submission-587").evaluate(),
        simulate("infected-pc", "recipient-mx", 25),
        simulate(
            "isp-b-host",
            "recipient-mx",
            25,
            policy=Policy(op25b=False, ip25b=False, relay_control=False, submission_auth=False),
        ),
    ],
    ids=["no path", "submission", "dropped", "every switch off"],
)
def test_every_label_fits_inside_its_box(result) -> None:
    assert labels_outside_their_boxes(network_svg(result)) == []


def test_japanese_labels_fit_inside_their_boxes_too() -> None:
    hosts = tuple(
        dataclasses.replace(h, label=JAPANESE_LABELS.get(h.id, h.label))
        for h in STANDARD_WORLD.hosts
    )
    world = dataclasses.replace(STANDARD_WORLD, hosts=hosts)
    svg = network_svg(scenario("user-submission-587").evaluate(), world)
    assert "メールプロバイダ" in svg
    assert labels_outside_their_boxes(svg) == []


def test_the_fit_check_sees_a_label_that_spills_out() -> None:
    """The check itself: a 26-character name at 12.5 px is wider than a 168 px box."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><rect x="536" y="48" width="168" height="44"/>'
        '<text x="620" y="66" text-anchor="middle" font-size="12.5">Mail provider (submission)'
        "</text></svg>"
    )
    assert labels_outside_their_boxes(svg) == [
        "'Mail provider (submission)': 522-718 × 54-70 does not fit in 536-704 × 48-92"
    ]


# -- the command line -------------------------------------------------------------------------------


def test_cli_simulate_prints_path_and_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["op25b", "simulate", "--from", "home-pc", "--to", "recipient-mx", "--port", "25"])
        == 0
    )
    out = capsys.readouterr().out
    assert "x 1. pc23.dyn.isp-a.example -> ISP A's edge router port 25: dropped by OP25B" in out
    assert out.rstrip().splitlines()[-1].startswith("Verdict: DROPPED - Dropped by OP25B")


def test_cli_no_op25b_and_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "op25b",
                "simulate",
                "--from",
                "infected-pc",
                "--to",
                "mx.example.net",
                "--port",
                "25",
                "--no-op25b",
            ]
        )
        == 0
    )
    assert "Verdict: DELIVERED" in capsys.readouterr().out
    args = ["op25b", "simulate", "--from", "home-pc", "--to", "provider-smtp", "--port", "587"]
    assert main([*args, "--user", HANAKO, "--password", "wrong"]) == 0
    assert "reply: 535 5.7.8 Authentication credentials invalid" in capsys.readouterr().out


def test_cli_via_webmail(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["op25b", "simulate", "--from", "infected-pc", "--via-webmail"]
    assert (
        main([*args, "--user", "lucky-prize-7@webmail.example", "--password", "free-signup"]) == 0
    )
    out = capsys.readouterr().out
    assert "webmail.example port 443" in out and "Verdict: DELIVERED" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "laptop", "--to", "recipient-mx", "--port", "25"], "Unknown host 'laptop'"),
        (
            ["--from", "home-pc", "--to", "recipient-mx", "--port", "0"],
            "The port 0 is outside 1-65535",
        ),
        (
            ["--from", "home-pc", "--to", "recipient-mx", "--port", "x"],
            "The port 'x' is not a number",
        ),
        (
            ["--from", "home-pc", "--to", "recipient-mx", "--port", "25", "--rcpt-to", ""],
            "is empty",
        ),
        (
            ["--from", "home-pc", "--to", "recipient-mx", "--port", "25", "--user", "u"],
            "Give both --user and --password",
        ),
        (["--from", "home-pc", "--port", "25"], "Give --to HOST and --port N"),
        (["--from", "home-pc", "--via-webmail", "--port", "25"], "--via-webmail already means"),
        (["--from", "home-pc", "--bogus"], "unrecognized arguments: --bogus"),
        (["--to", "recipient-mx"], "the following arguments are required: --from"),
    ],
)
def test_cli_bad_input_is_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    # An argument the parser refuses exits with 2 (argparse's convention), other bad input 1.
    usage = message.startswith(("unrecognized", "the following"))
    assert main(["op25b", "simulate", *argv]) == (2 if usage else 1)
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("mailsec op25b: error: ") and message in lines[0]


def test_cli_scenarios_and_hosts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["op25b", "scenarios"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == len(SCENARIOS)
    assert listing[1].split()[:2] == ["user-direct-25", "dropped"]
    assert main(["op25b", "scenarios", "--run", "bot-webmail"]) == 0
    assert "Verdict: DELIVERED" in capsys.readouterr().out
    assert main(["op25b", "hosts"]) == 0
    assert "mx.example.net" in capsys.readouterr().out


def test_cli_replay_writes_the_maildir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["op25b", "simulate", "--from", "home-pc", "--to", "isp-a-mail", "--port", "25"]
    assert main([*argv, "--replay", "--maildir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "S: 250 2.0.0 OK: delivered to mailbox" in out
    assert "Real verdict: DELIVERED (agrees with the model)" in out
    assert len(list((tmp_path / "taro@example.net" / "new").iterdir())) == 1


def test_host_and_scenario_tables_list_everything() -> None:
    hosts = world_table()
    for host in STANDARD_WORLD.hosts:
        assert host.hostname in hosts and str(host.ipv4) in hosts
    assert "RFC 5737 and RFC 3849" in hosts
    listing = scenarios_table(SCENARIOS)
    assert listing.count("<tr>") == len(SCENARIOS) + 1
    assert "✗ dropped" in listing and "✓ delivered" in listing
