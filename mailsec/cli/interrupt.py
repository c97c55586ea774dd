"""Running until Ctrl+C or SIGTERM, for the commands that serve (``serve``, ``mailsystem start``).

Both signals are handled here rather than left to Python's defaults: a process started in the
background by a script inherits an *ignored* SIGINT, and Python then installs no handler of its
own, so Ctrl+C (or ``kill -INT``) would do nothing. The handler raises an exception in the main
thread and takes no lock, so it cannot deadlock with the code it interrupts (an ``Event.set()``
in a handler can: the event's lock may be held by the very thread the handler runs in).

While the servers stop, a second signal is ignored: it must not cut the shutdown short (sessions
are being dropped, POP3 locks released, temporary files removed).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

__all__ = ["until_interrupted"]


class _Interrupted(Exception):
    """SIGINT or SIGTERM arrived: stop serving."""


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise _Interrupted(signum)


@contextlib.contextmanager
def until_interrupted(
    stop: Callable[[], None], wait: Callable[[threading.Event], None] | None = None
) -> Iterator[Callable[[], None]]:
    """Inside the block, SIGINT and SIGTERM end the wait; ``stop`` runs when the block ends,
    with both signals ignored. The block gets a function that waits: for a signal, or until
    ``wait`` (given a never-set event, for tests) returns."""
    signals = (signal.SIGINT, signal.SIGTERM)
    previous: dict[signal.Signals, Any] = {}
    event = threading.Event()

    def wait_here() -> None:
        if wait is not None:
            wait(event)
        else:
            event.wait()  # until a signal's handler raises _Interrupted here

    try:
        if threading.current_thread() is threading.main_thread():
            for signum in signals:
                previous[signum] = signal.signal(signum, _interrupt)
        yield wait_here
    except (_Interrupted, KeyboardInterrupt):
        pass
    finally:
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)
        try:
            stop()
        finally:
            for signum, handler in previous.items():
                # None: the handler was not set from Python; the default is the closest.
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)
