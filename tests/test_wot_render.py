"""The web-of-trust graph and chapter 06's tables: text alternatives, meaning without colour."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from mailsec import openpgp
from mailsec.openpgp.trust import Validity, WebOfTrust, evaluate
from mailsec.render.openpgp import (
    comparison_table,
    packet_table,
    trust_graph_svg,
    trust_html,
    validity_badge,
)

SVG = "{http://www.w3.org/2000/svg}"


def web() -> WebOfTrust:
    return WebOfTrust.build(
        {"You": "ultimate", "Alice": "full", "Bob": "marginal", "Mallory": "full"},
        [("You", "Alice"), ("Alice", "Bob"), ("Mallory", "Alice"), ("You", "Bob")],
    ).with_certification_revoked("You", "Bob")


def test_graph_is_well_formed_svg_with_title_and_description() -> None:
    result = evaluate(web())
    root = ET.fromstring(trust_graph_svg(result, title="My web"))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "My web"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # the description reads out every key, its validity and who certified it
    assert "Bob: full: valid, enough trusted certifications; owner trust marginal" in desc.text
    assert "certified by Alice (counted), You (not counted)" in desc.text
    assert "Mallory: unknown: no trusted path reaches this key" in desc.text


def test_nodes_say_their_validity_in_words_and_borders() -> None:
    svg = trust_graph_svg(evaluate(web()))
    root = ET.fromstring(svg)
    nodes = {g.get("data-name"): g for g in root.iter(f"{SVG}g")}
    assert nodes["Alice"].get("data-validity") == "full"
    words = {name: [t.text for t in g.iter(f"{SVG}text")] for name, g in nodes.items()}
    assert words["Alice"][1] == "✓ full: valid"
    assert words["Mallory"][1] == "✗ unknown"
    # valid keys get a second, inner border; invalid ones a dashed border
    assert len(list(nodes["Alice"].iter(f"{SVG}rect"))) == 2
    dashed = [r for r in nodes["Mallory"].iter(f"{SVG}rect") if r.get("stroke-dasharray")]
    assert dashed


def test_edges_are_labelled_and_styled_by_use() -> None:
    root = ET.fromstring(trust_graph_svg(evaluate(web())))
    edges = {
        (p.get("data-signer"), p.get("data-signee")): p
        for p in root.iter(f"{SVG}path")
        if p.get("class") == "mailsec-wot-edge"
    }
    assert set(edges) == {("You", "Alice"), ("Alice", "Bob"), ("Mallory", "Alice"), ("You", "Bob")}
    assert edges[("Alice", "Bob")].get("data-use") == "complete"
    assert edges[("You", "Bob")].get("data-use") == "revoked"
    assert edges[("Mallory", "Alice")].get("stroke-dasharray")  # counted for nothing: dashed
    assert not edges[("Alice", "Bob")].get("stroke-dasharray")  # counted: solid
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "complete" in labels and "✗ revoked" in labels and "your key" in labels


def test_columns_follow_path_length() -> None:
    root = ET.fromstring(trust_graph_svg(evaluate(web())))
    headings = [t.text for t in root.iter(f"{SVG}text") if t.get("y") == "18"]
    assert headings == ["your key", "path length 1", "path length 2", "not reached"]


def test_two_graphs_on_one_page_have_distinct_ids() -> None:
    first, second = trust_graph_svg(evaluate(web())), trust_graph_svg(evaluate(web()))
    ids = lambda svg: set(re.findall(r'id="([^"]+)"', svg))  # noqa: E731
    assert ids(first).isdisjoint(ids(second))


def test_trust_html_has_table_legend_and_explanations() -> None:
    html = trust_html(evaluate(web()), focus="Bob")
    assert "How to read the graph" in html
    assert "Every key&#x27;s validity" in html or "Every key's validity" in html
    assert "Why Bob&#x27;s key is full" in html or "Why Bob's key is full" in html
    assert "The calculation, round by round" in html


def test_validity_badges_carry_words() -> None:
    assert "✓ full (valid)" in validity_badge(Validity.FULL)
    assert "! marginal (not valid)" in validity_badge(Validity.MARGINAL)
    assert "✗ revoked (not valid)" in validity_badge(Validity.REVOKED)


def test_packet_table_shows_nesting_and_fields() -> None:
    bob = openpgp.generate_key("Bob <bob@example.org>")
    message = openpgp.encrypt(b"hi", [bob.public])
    html = packet_table(openpgp.list_packets(message, keys=[bob]), caption="msg")
    assert "Public-Key Encrypted Session Key Packet" in html
    assert "↳ Literal Data Packet" in html  # inside the decrypted packet
    assert bob.public.encryption_keys(bob.created)[0].key_id in html


def test_comparison_table() -> None:
    html = comparison_table()
    assert "PGP: web of trust" in html and "S/MIME: CA hierarchy" in html
    assert "RFC 5280 §4.2.1.9" in html


# -- layout: labels beside their arrows, clear of every line, box and other label ------------------


def _course_graphs() -> dict[str, WebOfTrust]:
    """The graphs chapter 06 shows: the notebook's start graph, with Dave's certification of Erin
    (the lab's first task), every preset of the lab, and the lab edited as in its tasks."""
    from mailsec.labs.pgp.trust import SCENARIOS

    start = WebOfTrust.build(
        {
            "You": "ultimate",
            "Alice": "full",
            "Bob": "marginal",
            "Carol": "marginal",
            "Dave": "marginal",
            "Erin": "unknown",
        },
        [
            ("You", "Alice"),
            ("You", "Bob"),
            ("You", "Carol"),
            ("Alice", "Dave"),
            ("Bob", "Erin"),
            ("Carol", "Erin"),
        ],
    )
    graphs = {"start": start, "start + Dave → Erin": start.with_certification("Dave", "Erin")}
    graphs.update({name: build() for name, (_label, build) in SCENARIOS.items()})
    graphs["friends, Alice revoked"] = start.with_key_revoked("Alice")
    graphs["friends, You → Bob revoked"] = start.with_certification_revoked("You", "Bob")
    graphs["friends, Bob full, Bob → Erin"] = start.with_owner_trust("Bob", "full")
    graphs["this file's graph"] = web()
    return graphs


def _boxes(root: ET.Element, css: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(name, (x0, y0, x1, y1)) of the first rect in every group with class ``css``."""
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == css:
            rect = group.find(f"{SVG}rect")
            x, y = float(rect.get("x")), float(rect.get("y"))
            w, h = float(rect.get("width")), float(rect.get("height"))
            name = (
                group.get("data-name") or f"{group.get('data-signer')}→{group.get('data-signee')}"
            )
            found.append((name, (x, y, x + w, y + h)))
    return found


def _bezier(points: list[tuple[float, float]], t: float) -> tuple[float, float]:
    """The point at ``t`` of the Bézier curve with control ``points`` (de Casteljau)."""
    while len(points) > 1:
        points = [
            (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)
            for p, q in itertools.pairwise(points)
        ]
    return points[0]


def _arrows(root: ET.Element) -> list[tuple[str, str, str, list[tuple[float, float]], float]]:
    """(signer, signee, name, points along the arrow and over its head, half the line width).

    Read from the SVG alone: the path's Bézier curves (quadratic, or for a detour cubic ones one
    after the other) sampled every pixel or so, and the arrowhead drawn by its marker (a triangle
    markerWidth × stroke-width long and wide, tip at refX 9 of 10) filled with points.
    """
    markers = {m.get("id"): float(m.get("markerWidth")) for m in root.iter(f"{SVG}marker")}
    arrows = []
    for path in root.iter(f"{SVG}path"):
        if path.get("class") != "mailsec-wot-edge":
            continue
        # One or two pieces (an arrow with a gap for its label), each "Mx,y" and then one
        # "Qx,y x,y" or one or more "Cx,y x,y x,y".
        pieces = re.findall(r"M[^M]+", path.get("d"))
        assert pieces and len(pieces) <= 2, path.get("d")
        stroke = float(path.get("stroke-width"))
        points = []
        for piece in pieces:
            commands = re.findall(r"([MQC])((?:\s*[-\d.]+,[-\d.]+)+)", piece)
            assert "".join(c for c, _ in commands) in ("MQ", "M" + "C" * (len(commands) - 1))
            current = None
            for command, numbers in commands:
                given = [tuple(map(float, xy.split(","))) for xy in numbers.split()]
                if command == "M":
                    (current,) = given
                    continue
                assert len(given) == (2 if command == "Q" else 3), piece
                control = [current, *given]
                steps = 400
                points += [_bezier(control, i / steps) for i in range(steps + 1)]
                current = given[-1]
        (mx, my), (ex, ey) = control[-2], control[-1]
        tx, ty = ex - mx, ey - my
        length = (tx * tx + ty * ty) ** 0.5
        tx, ty = tx / length, ty / length
        size = markers[re.search(r"#([^)]+)", path.get("marker-end")).group(1)] * stroke
        tip = (ex + tx * size * 0.1, ey + ty * size * 0.1)
        base = (tip[0] - tx * size, tip[1] - ty * size)
        left = (base[0] - ty * size / 2, base[1] + tx * size / 2)
        right = (base[0] + ty * size / 2, base[1] - tx * size / 2)
        for i in range(21):
            for j in range(21 - i):
                a, b = i / 20, j / 20
                c = 1 - a - b
                points.append(
                    (
                        a * tip[0] + b * left[0] + c * right[0],
                        a * tip[1] + b * left[1] + c * right[1],
                    )
                )
        signer, signee = path.get("data-signer"), path.get("data-signee")
        arrows.append((signer, signee, f"{signer}→{signee}", points, stroke / 2))
    return arrows


def _inside(point: tuple[float, float], box: tuple[float, float, float, float], by: float) -> bool:
    x, y = point
    x0, y0, x1, y1 = box
    return x0 - by <= x <= x1 + by and y0 - by <= y <= y1 + by


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("name", list(_course_graphs()))
def test_labels_touch_no_arrow_box_or_label(name: str) -> None:
    """Geometry from the SVG: no label box meets an arrow (its own included) or an arrowhead,
    a key's box, or another label, and every label lies inside the picture."""
    root = ET.fromstring(trust_graph_svg(evaluate(_course_graphs()[name])))
    labels = _boxes(root, "mailsec-wot-label")
    keys = _boxes(root, "mailsec-wot-node")
    assert labels or name == "empty", "every course graph but the empty one has labels"
    width, height = float(root.get("width")), float(root.get("height"))
    problems = []
    for label, box in labels:
        if not (box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height):
            problems.append(f"label {label} sticks out of the picture")
        for _signer, _signee, arrow, points, half in _arrows(root):
            if any(_inside(p, box, half) for p in points):
                problems.append(f"label {label} covers arrow {arrow}")
        problems += [f"label {label} covers key {key}" for key, k in keys if _overlap(box, k)]
        problems += [
            f"labels {label} and {other} overlap"
            for other, o in labels
            if (other, o) != (label, box) and _overlap(box, o)
        ]
    assert not problems, problems


@pytest.mark.parametrize("name", list(_course_graphs()))
def test_arrows_run_under_no_key_but_their_own(name: str) -> None:
    """An arrow hidden under a third key's box would seem to come from that key."""
    root = ET.fromstring(trust_graph_svg(evaluate(_course_graphs()[name])))
    keys = _boxes(root, "mailsec-wot-node")
    problems = [
        f"arrow {arrow} runs under {key}"
        for signer, signee, arrow, points, _half in _arrows(root)
        for key, box in keys
        if key not in (signer, signee) and any(_inside(p, box, 0) for p in points)
    ]
    assert not problems, problems


def test_each_label_is_next_to_its_own_arrow() -> None:
    """Beside, not far away: every label is within a few pixels of its own arrow."""
    root = ET.fromstring(trust_graph_svg(evaluate(_course_graphs()["start + Dave → Erin"])))
    arrows = {arrow: points for _s, _e, arrow, points, _h in _arrows(root)}
    for label, (x0, y0, x1, y1) in _boxes(root, "mailsec-wot-label"):
        nearest = min(
            max(x0 - x, 0, x - x1) ** 2 + max(y0 - y, 0, y - y1) ** 2 for x, y in arrows[label]
        )
        assert nearest**0.5 <= 20, (label, nearest**0.5)
