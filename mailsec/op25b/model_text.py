"""The words of chapter 02's model (:mod:`mailsec.op25b.model`): the names and descriptions of its
hosts and networks, what each kind of service is, and the input errors.

The hosts and networks keep their English names as data (:attr:`~mailsec.op25b.model.Host.label`);
they are listed here so that they are extracted, and translated where they are shown
(:attr:`~mailsec.op25b.model.Host.shown_label`, :attr:`~mailsec.op25b.model.Network.shown_name`).
"""

from __future__ import annotations

from mailsec.i18n import texts

__all__ = ["TEXT"]

TEXT = texts(
    {
        "host_labels": (
            "Home PC",
            "Infected PC (bot)",
            "PC on ISP B",
            "ISP A mail server",
            "Mail provider (submission)",
            "Webmail service",
            "Recipient's MX",
            "Hanako's PC",
            "Ken's PC",
            "Spammer's machine",
            "Hosting company's mail server",
        ),
        "host_descriptions": (
            "Hanako's PC at home; ISP A gives it an address from its dynamic pool.",
            "A neighbour's PC taken over by malware that sends spam; same dynamic pool as Hanako.",
            "Jiro's PC on ISP B, which has not deployed OP25B.",
            "ISP A's outgoing mail server: relays mail for ISP A's customers on port 25.",
            "Hanako's mail provider: submission on 587 (STARTTLS) and 465 (TLS), login required.",
            "A free webmail site (like Gmail or Yahoo Mail): a web page over HTTPS, port 443.",
            "The incoming mail server (MX) of example.net, where Taro's mailbox is.",
            "Hanako's PC in the office: its mail program reads her mail with POP3 and sends "
            "through the hosting company's server.",
            "Ken's PC in the same office, behind the same NAT router as Hanako's.",
            "A machine on another network that looks for servers to send its spam through.",
            "Sakura Trading's mail is hosted here: SMTP on 25 (mail for sakura-trading.example), "
            "submission on 587 with SMTP AUTH, and POP3 for reading.",
        ),
        "network_names": (
            "ISP A",
            "ISP B",
            "the Internet",
            "Sakura Trading's office",
            "a far-away ISP",
        ),
        "services": {
            "relay": "outgoing mail server for its own customers (SMTP, port 25)",
            "mx": "incoming mail server for its own domains (SMTP, port 25)",
            "submission": "message submission with STARTTLS and AUTH (port 587)",
            "submissions": "message submission over implicit TLS with AUTH (port 465)",
            "webmail": "webmail over HTTPS (port 443)",
        },
        "what": {
            "address": "address",
            "sender": "sender address (MAIL FROM)",
            "recipient": "recipient address (RCPT TO)",
            "user name": "user name",
            "password": "password",
        },
        "user_empty": "The user name is empty: type a user name, or choose no credentials.",
        "password_empty": "The password for {user!r} is empty: type the password, or choose no "
        "credentials.",
        "control": "The {what} has a line break or another control character: type it on one line.",
        "too_long": "The {what} is longer than {limit} bytes (RFC 4616 §2): type a shorter one.",
        "unknown_switch": "Unknown policy switch {unknown}: use {switches}.",
        "no_host": "No host given: choose one of {hosts}.",
        "unknown_host": "Unknown host {name!r}: this model has {hosts} (a host name or address "
        "from the diagram works too).",
        "address_empty": "The {what} is empty: type a mail address such as taro@example.net.",
        "address_no_at": "The {what} {text!r} has no '@': a mail address looks like "
        "taro@example.net.",
        "local_too_long": "The {what} {text!r} has a local part longer than 64 characters.",
        "address_too_long": "The {what} {text!r} is longer than 254 characters.",
        "address_invalid": "The {what} {text!r} is not a valid mail address: use letters, digits "
        "and dots, like taro@example.net (no spaces, and the domain needs a dot).",
        "port_empty": "The port is empty: type a number from 1 to 65535, such as 25 or 587.",
        "port_not_number": "The port {text!r} is not a number: type a number from 1 to 65535, "
        "such as 25 or 587.",
        "port_range": "The port {port} is outside 1-65535: TCP ports run from 1 to 65535.",
        "source_is_server": "{source!r} is a server: start from one of the users' machines "
        "({hosts}).",
        "destination_is_client": "{destination!r} is a user's machine, not a mail server: send "
        "to one of {hosts}.",
    }
)
