"""Receiving mail: POP3 and IMAP4 (chapter 01)."""
