"""The course's limits on untrusted input, in one place.

Every size, depth, count and time that bounds what a message, key, record or connection can make
the course's code do is defined here, with the reason and the rule or peer it follows;
``SECURITY.md`` lists them in a table. Protocol limits that are rules of a standard rather than
resource bounds (SPF's ten DNS lookups, RFC 7208 §4.6.4) live with their protocol.
"""

from __future__ import annotations

__all__ = [
    "MAX_HEADER_SECTION",
    "MAX_LAB_SUBJECT",
    "MAX_LAB_TEXT",
    "MAX_MESSAGE",
    "MAX_MIME_DEPTH",
]

KIB = 1024
MIB = 1024 * KIB

#: A whole message read from standard input or given to a lab: far above what mail services
#: accept (Postfix's default message_size_limit is 10,240,000 bytes), yet bounded, so memory is.
MAX_MESSAGE = 64 * MIB

#: The header section of a message (everything before the first empty line): Postfix's
#: header_size_limit (102,400 bytes). A 2 MiB Subject is refused, not folded for seconds.
MAX_HEADER_SECTION = 100 * KIB

#: Multiparts inside multiparts: Postfix's mime_nesting_limit (100). Deeper nesting is an attack
#: on parsers (Python's email package recurses), not a message anybody wrote.
MAX_MIME_DEPTH = 100

#: A Subject typed into a lab: one header line, RFC 5322 §2.1.1's 998 characters.
MAX_LAB_SUBJECT = 998

#: The text typed into a lab's message box.
MAX_LAB_TEXT = 100_000
