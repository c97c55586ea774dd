"""The web-of-trust graph and chapter 06's tables: text alternatives, meaning without colour."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

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
