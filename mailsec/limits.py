"""The course's limits on untrusted input, in one place.

Every size, depth, count and time that bounds what a message, key, record or connection can make
the course's code do is defined here, with the reason and the rule or peer it follows;
``SECURITY.md`` lists them in a table. Protocol limits that are rules of a standard rather than
resource bounds (SPF's ten DNS lookups, RFC 7208 §4.6.4) live with their protocol.
"""

from __future__ import annotations

__all__ = [
    "AUTH_PENALTY",
    "AUTH_PENALTY_MAX",
    "DNS_MAX_CONNECTIONS",
    "DNS_MAX_TCP_QUERIES",
    "DNS_MAX_TCP_QUERY",
    "DNS_MAX_UDP_QUERY",
    "DNS_TCP_TIMEOUT",
    "LOGIN_TIMEOUT",
    "MAIL_CLIENT_TIMEOUT",
    "MAX_APOP_WORD",
    "MAX_APOP_WORDS",
    "MAX_AUTH_FAILURES",
    "MAX_AUTH_RESULTS_FIELD",
    "MAX_CNAME_CHAIN",
    "MAX_COMMENT_DEPTH",
    "MAX_COMPRESSION_DEPTH",
    "MAX_CONNECTIONS",
    "MAX_CONNECTIONS_PER_ADDRESS",
    "MAX_DECOMPRESSED",
    "MAX_DMARC_RECORD",
    "MAX_EXPLANATION",
    "MAX_FROM_FIELD",
    "MAX_HEADER_FIELDS",
    "MAX_HEADER_SECTION",
    "MAX_KEY_RECORDS",
    "MAX_LAB_SUBJECT",
    "MAX_LAB_TEXT",
    "MAX_LOCAL_PART",
    "MAX_MESSAGE",
    "MAX_MESSAGE_PACKETS",
    "MAX_MIME_DEPTH",
    "MAX_MX_HOSTS",
    "MAX_RELAY_REPLY_LINES",
    "MAX_REPORT_COMPRESSED",
    "MAX_REPORT_PENDING",
    "MAX_REPORT_ROWS",
    "MAX_REPORT_TEXT",
    "MAX_REPORT_TOKEN",
    "MAX_REPORT_UNKNOWN",
    "MAX_REPORT_XML",
    "MAX_REPORT_ZIP_MEMBERS",
    "MAX_SIGNATURES",
    "MAX_STS_MX_PATTERNS",
    "MAX_STS_POLICY",
    "MAX_STS_POLICY_LINES",
    "MAX_STS_RECORD",
    "MAX_TAG_LIST",
    "MAX_TLS_FILE",
    "MAX_TLS_HELLO",
    "MAX_TLS_RECORDS",
    "MAX_WIRETAP_LINES",
    "MAX_ZONE_FILE",
    "RELAY_CONNECT_TIMEOUT",
    "RELAY_IDLE_TIMEOUT",
    "RELAY_MAX_CHUNKS",
    "RELAY_MAX_CONNECTIONS",
    "RELAY_MAX_LINE",
    "RELAY_MAX_NOTES",
    "RELAY_MAX_RECORDED",
    "RELAY_MAX_RECORDINGS",
    "SMTP_MAX_CONNECTIONS",
    "SMTP_MAX_QUEUE",
    "SMTP_MAX_RECIPIENTS",
    "TLS_HANDSHAKE_TIMEOUT",
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

# -- OpenPGP messages (mailsec.openpgp.contents) ----------------------------------------------------

#: Octets one OpenPGP message may expand to, over all its compressed packets together: the size
#: of the largest message the course reads. A 238-byte nested ZLIB bomb stops here.
MAX_DECOMPRESSED = MAX_MESSAGE

#: Packets read from one OpenPGP message, at every level together. A message has a few dozen (one
#: per recipient, a literal, a signature or two); 16 MiB of empty Marker packets has millions.
MAX_MESSAGE_PACKETS = 10_000

#: Compressed packets inside compressed packets: a real message has one level at most.
MAX_COMPRESSION_DEPTH = 8

# -- SPF (mailsec.spf) ----------------------------------------------------------------------------

#: RFC 5321 §4.5.3.1.1: a local-part (before the @) is at most 64 octets. A longer sender is
#: refused by the receiving server before any SPF check, so the check says "none" (as for a
#: malformed domain, RFC 7208 §4.3) instead of expanding it into macros.
MAX_LOCAL_PART = 64

#: The explanation of a fail is shown in an SMTP reply line, which holds at most 512 octets with
#: its code and CRLF (RFC 5321 §4.5.3.1.5): the expanded exp= text is cut there (RFC 7208 §6.2).
MAX_EXPLANATION = 500

#: A zone file read from disk (``--zone FILE``): the course's zones are a few kilobytes.
MAX_ZONE_FILE = 1 * MIB

#: CNAMEs followed in a row by the offline zone resolver before it answers with a failure, as a
#: recursive resolver gives up on a loop (dnspython raises NoNameservers for one).
MAX_CNAME_CHAIN = 8

# -- the course's DNS server (mailsec.dnsserver) ---------------------------------------------------

#: The longest query read from one UDP datagram (octets): RFC 1035 §4.2.1's 512, the most a
#: client without EDNS may send. A query is one name of at most 255 octets (RFC 1035 §2.3.4) and
#: perhaps an OPT record; a longer datagram is no query anybody sent, and gets no reply.
DNS_MAX_UDP_QUERY = 512

#: The longest query read over TCP (octets). Its 2-octet length (RFC 1035 §4.2.2) allows 65,535,
#: which a query with padding or a signature does not come near; a larger length closes the
#: connection before any of the message is read.
DNS_MAX_TCP_QUERY = 4 * KIB

#: TCP connections to the DNS server at once; one more is closed at once (RFC 7766 §10 advises a
#: limit on the total). dnspython opens one for each query it retries over TCP, then closes it.
DNS_MAX_CONNECTIONS = 16

#: Seconds a TCP client has to send each query, its length included, before the connection is
#: closed: RFC 7766 §10 advises an idle timeout, and servers' are "on the order of seconds"
#: (RFC 7828 §1). A query on loopback takes a millisecond.
DNS_TCP_TIMEOUT = 2.0

#: Queries answered over one TCP connection before it is closed (RFC 7766 §10: "maximum DNS
#: transactions per TCP connection"). A resolver asks one, then closes it.
DNS_MAX_TCP_QUERIES = 100

# -- the POP3 and IMAP4 servers (mailsec.retrieval) --------------------------------------------

#: Connections one server pair (POP3 and IMAP4 together) keeps open at once; one more is told
#: to come back later and closed, so a connection flood cannot exhaust memory or descriptors.
MAX_CONNECTIONS = 100

#: Connections from one client address at once (everything on 127.0.0.1 is one address, so this
#: is generous: Dovecot's mail_max_userip_connections is 10 per user after login).
MAX_CONNECTIONS_PER_ADDRESS = 20

#: Seconds a connection that has not logged in may stay silent (Dovecot's login processes give
#: up after 3 minutes); after login the IMAP minimum of 30 minutes applies (RFC 3501 §5.4).
LOGIN_TIMEOUT = 180.0

#: Wrong passwords on one connection before the server closes it.
MAX_AUTH_FAILURES = 3

#: Seconds the answer to a wrong password waits, doubling with each further failure from the
#: same address, as Dovecot's auth penalty does (its auth_failure_delay is 2 s): guessing slows
#: down from hundreds of passwords a second to a handful a minute.
AUTH_PENALTY = 2.0

#: The longest a wrong password's answer waits (Dovecot's penalty stops at 15 s).
AUTH_PENALTY_MAX = 15.0

#: Seconds a TLS handshake may take (after STLS or STARTTLS, or at once on a POP3S or IMAPS
#: port) before the connection is closed: a client that starts one and never finishes it holds
#: no session open (asyncio's own ssl_handshake_timeout is 60 s; Postfix's smtpd_starttls_timeout
#: is 300 s).
TLS_HANDSHAKE_TIMEOUT = 60.0

#: A certificate (with its chain) or key file given to the servers (``--tls-cert``,
#: ``--tls-key``): a chain of a few certificates is a few kilobytes.
MAX_TLS_FILE = 1 * MIB

#: Header fields read from one message. Real messages have a few dozen (a long path of Received
#: fields a hundred); a header section of thousands of tiny fields only makes every ``h=`` lookup
#: slower. The header section itself is bounded by :data:`MAX_HEADER_SECTION`.
MAX_HEADER_FIELDS = 1000

#: The longest tag list read (characters). A real DKIM-Signature is a few hundred characters and a
#: key record with a 4096-bit RSA key about 750; a longer list is an attack on the parser, not a
#: signature anybody sent, and is refused before any of it is read.
MAX_TAG_LIST = 16 * KIB

#: DKIM-Signature fields verified in one message (RFC 6376 §6.1 lets verifiers limit how many
#: they try, against denial of service): each costs a DNS query and a hash of the whole body.
MAX_SIGNATURES = 10

#: TXT records at one name read as candidate DKIM key records; a name with more is
#: misconfigured or hostile, and the first few decide.
MAX_KEY_RECORDS = 8

#: The longest From: field value read for DMARC (characters, after unfolding). One author's
#: name and address fit in a line of 998 characters (RFC 5322 §2.1.1); a longer field is hostile.
MAX_FROM_FIELD = 4096

#: Comments inside comments, ``(a (b (c)))``, in a From: or Authentication-Results field.
#: RFC 5322 allows any depth; nobody writes more than a few.
MAX_COMMENT_DEPTH = 16

#: The longest Authentication-Results value read (characters): a few signatures take a few
#: hundred; the whole header section is bounded anyway (:data:`MAX_HEADER_SECTION`).
MAX_AUTH_RESULTS_FIELD = 16 * KIB

#: The longest DMARC record read (characters). A record with several report addresses is a
#: few hundred characters; DNS lets a TXT record grow to 64 KiB, which only an attack would use.
MAX_DMARC_RECORD = 4096

#: Rows read from one DMARC aggregate report. A large receiver's daily report for a busy
#: domain has thousands; each row read takes about 1 KB of memory, so this bounds a report to
#: some 50 MB.
MAX_REPORT_ROWS = 50_000

#: XML elements held at once while a report is parsed (one row's, or the metadata's): a row has
#: about 20.
MAX_REPORT_PENDING = 10_000

#: Characters of text in one element of a report: the longest value (a comment, extra contact
#: information) is a line. White space between elements counts too, so a bomb of blanks stops.
MAX_REPORT_TEXT = 64 * KIB

#: Bytes between two '>' characters of a report. The XML parser keeps a whole tag, comment or
#: processing instruction in memory until it ends; this bounds how much.
MAX_REPORT_TOKEN = 4 * MAX_REPORT_TEXT

#: Elements at the top of a report that the reader does not know (from a later version),
#: skipped; more are refused.
MAX_REPORT_UNKNOWN = 1000

#: A compressed DMARC report read at the most. Large providers' daily reports are tens of
#: kilobytes compressed; mail servers refuse messages much above this anyway.
MAX_REPORT_COMPRESSED = 10 * MIB

#: The XML of one DMARC report at the most, decompressed or as sent: about 100,000 rows.
MAX_REPORT_XML = 50 * MIB

#: Entries in a zip archive looked at: a report archive holds one file.
MAX_REPORT_ZIP_MEMBERS = 16

#: The largest MTA-STS policy read, in bytes of UTF-8: RFC 8461 §3.3's "suggested maximum policy size is
#: 64 kilobytes". A real policy is a few hundred bytes; a larger body is refused before a line of
#: it is read.
MAX_STS_POLICY = 64 * KIB

#: Lines read from one MTA-STS policy, empty ones included. Four fields and a handful of ``mx`` lines make
#: a real policy; 64 KiB of short lines would be tens of thousands of notes for a lab to show.
MAX_STS_POLICY_LINES = 1000

#: ``mx`` lines in one MTA-STS policy. Published policies list a few hosts or one wildcard per provider;
#: each candidate MX is matched against every pattern, and the lab shows them all.
MAX_STS_MX_PATTERNS = 100

#: The longest ``_mta-sts`` TXT record read (characters, its strings joined). ``v=STSv1; id=`` and
#: 32 characters make 45; DNS lets a TXT record grow to 64 KiB, which only an attack would use.
MAX_STS_RECORD = 4096

#: MX hosts considered for one message. An MX answer lists a few hosts, and RFC 5321 §5.1 lets a
#: sender try only some of them (Postfix's smtp_mx_address_limit is 5 addresses); the lab has 3.
MAX_MX_HOSTS = 50

#: Connections through one relay at once; one more is closed at once. The lab opens one at a
#: time and a test a few: a flood of connections cannot exhaust descriptors or memory.
RELAY_MAX_CONNECTIONS = 16

#: Bytes recorded per direction of one connection; what passes after it is counted, not kept.
#: A login and a few commands are a few kilobytes; a downloaded message could be megabytes, and
#: the eavesdropper's view only needs its size.
RELAY_MAX_RECORDED = 1024 * KIB

#: Chunks (reads) recorded per connection: each costs an object, and a peer sending one byte
#: at a time would make a million of them from the bytes above alone.
RELAY_MAX_CHUNKS = 20_000

#: Notes (what the relay did or saw) kept per connection; a hostile server can repeat an offer
#: of STARTTLS many times, and each removal would be a note.
RELAY_MAX_NOTES = 200

#: Seconds a connection may stay silent in both directions before the relay closes it: the
#: servers' own login time-out is 180 s (:data:`LOGIN_TIMEOUT`), and a relay
#: behind a lab need not wait as long as a server.
RELAY_IDLE_TIMEOUT = 60.0

#: Seconds to reach the server (and, for the attacker, to finish its own TLS handshake with
#: it) before the client's connection is closed.
RELAY_CONNECT_TIMEOUT = 10.0

#: Recordings kept by one relay; older ones are forgotten first.
RELAY_MAX_RECORDINGS = 100

#: The longest line the attacker reads whole (it rewrites line by line). Longer lines pass in
#: pieces, unchanged; mail protocol lines are at most 1,000 octets (RFC 5321 §4.5.3.1.6) to
#: 8,192 (RFC 7162 §4 advises IMAP clients to accept that much).
RELAY_MAX_LINE = 64 * KIB

#: Seconds each network operation of a client may take: a login on loopback takes
#: milliseconds; a stuck server should not hang a lab.
MAIL_CLIENT_TIMEOUT = 10.0

#: Lines of one SMTP reply held back to be rewritten as a whole; a longer reply passes as it
#: comes (an EHLO reply has a dozen lines).
MAX_RELAY_REPLY_LINES = 100

#: Records read from one direction of one connection. A login over TLS takes a dozen; a
#: recording holds at most a megabyte (:data:`RELAY_MAX_RECORDED`),
#: which empty records would make 200,000 of.
MAX_TLS_RECORDS = 10_000

#: The longest hello reassembled from records. A ClientHello is a few hundred octets (two
#: kilobytes with a post-quantum key share); the length field allows 16 MiB.
MAX_TLS_HELLO = 64 * KIB

#: Plaintext lines read per direction. A login is a dozen lines; past this many the rest of
#: the plaintext is not read (a megabyte of one-octet lines would be a million objects).
MAX_WIRETAP_LINES = 5000

#: Words tried in one APOP dictionary search. Each costs one MD5 of a few dozen octets (about a
#: microsecond): 100,000 keep a lab's answer well under a second, and a list longer than that is
#: refused before the first guess rather than cut short silently.
MAX_APOP_WORDS = 100_000

#: The longest word an APOP dictionary search tries, and the lab's password (characters). Passwords people type are short; a longer entry is no
#: guess a dictionary of common passwords holds, and could make one MD5 cost megabytes.
MAX_APOP_WORD = 256

#: SMTP connections one server of chapter 09's mail system serves at once; one more gets
#: ``421`` and is closed (RFC 5321 §4.3.2 lets a server refuse so). A scenario opens one at a
#: time; a flood of connections cannot exhaust descriptors.
SMTP_MAX_CONNECTIONS = 32

#: Recipients of one SMTP transaction: RFC 5321 §4.5.3.1.8 asks servers to take at least 100,
#: and the next gets ``452 4.5.3`` (too many recipients, RFC 3463 §3.6).
SMTP_MAX_RECIPIENTS = 100

#: Messages one MTA of the mail system holds for delivery; one more is refused with ``452
#: 4.3.1`` (insufficient system storage, RFC 3463 §3.4) and stays with its sender.
SMTP_MAX_QUEUE = 1000
