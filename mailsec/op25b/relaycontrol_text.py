"""The words of chapter 08's relay control (:mod:`mailsec.op25b.relaycontrol`): the settings and
grounds in words, the server's reasons step by step, and the input errors."""

from __future__ import annotations

from mailsec.i18n import texts

__all__ = ["TEXT"]

TEXT = texts(
    {
        "settings": {
            "open-relay": "open relay: relays for anyone, to anywhere",
            "smtp-auth": "relay control: relays only for users logged in with SMTP AUTH",
            "pop-before-smtp": "relay control: SMTP AUTH, or a POP3 login from the same address "
            "a few minutes before",
        },
        "grounds": {
            "own-domain": "mail for its own domain (delivery, not relaying)",
            "smtp-auth": "the client logged in with SMTP AUTH",
            "open-relay": "it is an open relay",
            "own-network": "the client is in its own network",
            "pop-window": "a POP3 login came from the same address a few minutes ago",
            "none": "no ground to take it",
        },
        "no_zone": "The {what} {value!r} has no time zone: pass an aware datetime, such as "
        "datetime.now(timezone.utc).",
        "time": "time",
        "not_address": "{value!r} is not an IP address: give one such as 198.51.100.60 or "
        "2001:db8::1.",
        "bad_window": "The POP-before-SMTP window {window!r} should be a timedelta longer than "
        "zero and at most {most}: a few minutes, such as timedelta(minutes=10).",
        "bad_capacity": "The table's capacity {capacity!r} should be a whole number of "
        "addresses, 1 or more.",
        "unknown_setting": "Unknown relay setting {setting!r}: use one of {names} (RelaySetting).",
        "needs_table": "POP before SMTP needs the table of logins and the time: pass windows= (a "
        "PopBeforeSmtp) and at= (an aware datetime).",
        "sees": "The server sees the connection come from {address} ({label}).",
        "sees_nat": "The server sees the connection come from {address}, not from {label}'s own "
        "address {own}: {label} is behind a NAT router, which gives every machine of {network} "
        "that one public address.",
        "own_domain": "{domain} is {server}'s own domain: this is delivery, not relaying, so the "
        "server takes it from anyone.",
        "other_domain": "{domain} is not one of {server}'s own domains ({domains}): taking this "
        "mail means relaying it to another server.",
        "no_domains": "none",
        "not_in_table": "{address} is not in the POP-before-SMTP table: no POP3 login has come "
        "from this address.",
        "window_closed": "{user} logged in to POP3 from {address} at {opened}, which opened "
        "relaying until {closes}; it is {now} now, so the window has closed.",
        "in_table": "{address} is in the POP-before-SMTP table: {user} logged in to POP3 from it "
        "at {opened}, which opened relaying until {closes}.",
        "an_address": "The table holds an address, not a person or a program: every machine "
        "behind {address} and every program on them may relay until {closes}, whether it logged "
        "in or not.",
        "authenticated": "The client logged in with SMTP AUTH in this session: the server knows "
        "which account sends, and relays for it.",
        "not_authenticated": "The client has not logged in with SMTP AUTH.",
        "open_relay": "{server} is an open relay: it relays for anyone, to anywhere. A spammer "
        "who sends through it hides their own address (the next server sees {address}), borrows "
        "{server}'s good name, and soon gets it listed on blocklists.",
        "own_network": "{client} is in {server}'s own network, for which it relays.",
        "relays": "{server} relays because {ground}; it will pass the message to {target}, the "
        "MX for {domain}.",
        "relays_outside": "{server} relays because {ground}; it would pass the message to "
        "{domain}'s own server, outside this model.",
        "refuses_auth": "{server} refuses to relay: the client did not log in with SMTP AUTH. It "
        "relays only for its own users, so it is not an open relay (reply 550).",
        "refuses_window": "{server} refuses to relay: the POP-before-SMTP window of {address} "
        "closed at {closes}. It relays only for its own users, so it is not an open relay (reply "
        "550).",
        "refuses_no_login": "{server} refuses to relay: the client did not log in with SMTP "
        "AUTH, and no POP3 login came from {address}. It relays only for its own users, so it is "
        "not an open relay (reply 550).",
    }
)
