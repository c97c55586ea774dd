"""Reading one bounded command line from a client, within a time limit.

Both shells (:mod:`~mailsec.retrieval.servers.shells`) read every command line through
:func:`read_bounded_line`: a line longer than the reader's limit is discarded as it comes, never
held whole in memory, and a silent client ends with :class:`asyncio.TimeoutError`. While an IMAP
session idles (RFC 2177), :func:`read_idle_line` pushes other sessions' changes as it waits.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from mailsec.retrieval.imap import ImapSession

__all__ = ["read_bounded_line", "read_idle_line"]


async def _within(step: Awaitable[bytes], timeout: float | None) -> bytes:
    """``await step``, or :class:`asyncio.TimeoutError` after ``timeout`` seconds.

    Every command line is read through here. ``asyncio.timeout`` (Python 3.11+) sets a timer
    around the read; ``asyncio.wait_for`` before 3.12 wraps it in a new task, one more turn of
    the event loop per command, which cost the POP3 server a fifth of its speed.
    """
    if sys.version_info < (3, 11):
        return await asyncio.wait_for(step, timeout)
    async with asyncio.timeout(timeout):
        return await step


async def read_bounded_line(
    reader: asyncio.StreamReader, *, timeout: float | None = None
) -> tuple[bytes | None, bool]:
    """Read one line without its CRLF, never holding more than the reader's limit in memory.

    Returns ``(line, too_long)``; ``line`` is ``None`` at end of input. When the line is longer
    than the limit its contents are discarded and ``(b"", True)`` is returned.
    """
    too_long = False
    while True:
        try:
            line = await _within(reader.readuntil(b"\n"), timeout)
        except asyncio.LimitOverrunError as exc:
            too_long = True
            await _within(reader.readexactly(max(exc.consumed, 1)), timeout)
            continue
        except asyncio.IncompleteReadError:
            return None, too_long
        if too_long:
            return b"", True
        if line.endswith(b"\r\n"):
            return line[:-2], False
        return line[:-1], False


async def read_idle_line(
    reader: asyncio.StreamReader,
    session: ImapSession,
    timeout: float,
    push: Callable[[bytes], Awaitable[None]],
) -> tuple[bytes | None, bool]:
    """The client's next line (its DONE) while ``session`` idles: other sessions' changes to the
    folder are sent with ``push`` as they happen (RFC 2177 §3)."""
    news = asyncio.Event()
    session.on_news = news.set
    read = asyncio.ensure_future(read_bounded_line(reader, timeout=timeout))
    try:
        news.set()  # changes made while "+ idling" was being sent are pushed at once
        while True:
            waiter = asyncio.ensure_future(news.wait())
            done, _pending = await asyncio.wait({read, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if read in done:
                waiter.cancel()
                return read.result()
            news.clear()
            for response in session.idle_updates().responses:
                await push(response)
    finally:
        session.on_news = None
        if not read.done():
            read.cancel()
