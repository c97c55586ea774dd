"""The words of chapter 02's drawings (:mod:`mailsec.render.op25b`): the network diagram, its text
alternative, the hop table, the replay's conversation and the tables of the model.

The hosts and networks are named by the world (:attr:`~mailsec.op25b.model.Host.shown_label`),
the decisions by :mod:`mailsec.op25b.rules`.
"""

from __future__ import annotations

from mailsec.i18n import texts

__all__ = ["TEXT"]

TEXT = texts(
    {
        # The diagram's own words.
        "internet": "Internet",
        "servers": "Servers on the Internet",
        "dynamic_pool": "dynamic pool {pool}",
        "mailbox": "Taro's mailbox",
        "ports": "port {ports}",
        "port": "port {port}",
        "on": "on",
        "off": "off",
        "servers_note": "IP25B {ip25b} · relay control {relay}",
        "auth_required": "AUTH required",
        "auth_not_required": "AUTH not required",
        "edge_a": "ISP A edge",
        "edge_b": "ISP B edge",
        "op25b_on": "OP25B on",
        "op25b_off": "OP25B off",
        "no_op25b": "no OP25B",
        "never_arrives": "never arrives",
        # The letter in a router's circle.
        "router": "R",
        "svg_title": "OP25B network",
        "svg_title_result": "OP25B network: {summary}",
        "alt_lead": "Network diagram: ISP A (home PC, infected PC, ISP A's mail server, edge "
        "router), ISP B (a customer's PC, edge router), and on the Internet a mail provider's "
        "submission server, a webmail service and example.net's MX with Taro's mailbox.",
        "alt_hop": "Hop {number}: {source} to {target}, {decision}.",
        "alt_hop_port": "Hop {number}: {source} to {target} on port {port}, {decision}.",
        "alt_path": "{lead} Path: {hops} Verdict: {verdict}.",
        # The verdict and the hop table.
        "verdict_titles": {
            "delivered": "Delivered",
            "dropped": "Dropped by OP25B",
            "refused": "Refused by a server",
            "unreachable": "Connection refused",
            "handed on": "Handed on outside the model",
        },
        "verdict": "Verdict: {title}",
        "hops_headers": ("#", "Hop", "Port", "Decision", "Why", "Rule"),
        "hops_caption": "The path, hop by hop",
        # The replay.
        "real_server": " — real SMTP server on 127.0.0.1:{port}",
        "described": " — described, not replayed (HTTPS)",
        "reply_codes": "Reply codes: {codes}",
        "leg": "Leg {leg}: {client} → {server} (port {port})",
        "conversation": "Conversation of leg {leg}",
        "simulated_drop": "The connection attempt got no answer and timed out. This is a "
        "<strong>simulated drop</strong>: the lab sends the attempt to a loopback port whose "
        "packets are silently dropped, and gives up after a couple of seconds. A real client "
        "behind OP25B waits longer, then reports a timeout; it never sees an SMTP reply code.",
        "simulated_drop_title": "Simulated drop",
        "agree": "The real servers ended with '{real}'; the model said '{model}'. They agree. "
        "Replay took {seconds} s.",
        "disagree": "The real servers ended with '{real}'; the model said '{model}'. They "
        "disagree: please report this. Replay took {seconds} s.",
        "real_smtp": "Real SMTP on 127.0.0.1",
        "maildir": "Delivered into the recipient's Maildir (chapter 01's servers can serve it):",
        # The tables of the model.
        "no_services": "— (a user's machine)",
        "in_pool": "{network} (dynamic pool)",
        "world_headers": ("Id", "Host", "Name", "Addresses", "Network", "Services"),
        "world_caption": "The hosts of the model (documentation addresses, RFC 5737 and RFC 3849)",
        "scenario_headers": ("Id", "Scenario", "Attempt", "Verdict"),
        "scenario_caption": "Prepared scenarios",
        "policy": "{switch}: {state}",
    }
)
