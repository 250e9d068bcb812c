"""Has this worker process been asked to stop? Long loops ask between units of work.

A worker stopped for a deploy (SIGTERM, from systemd, a container runtime or
its own cluster) finishes what it has handed to a gateway or a receiver,
gives the rest back and returns; the tick and the next worker carry on.

The flag is a plain module global: a signal handler must not take a lock
(``threading.Event.set`` does, and deadlocks when the signal lands while
the same thread holds it), and reading it costs one attribute lookup.
"""

import signal
import time

_requested = False


def requested() -> bool:
    """True once this process has been asked to stop."""
    return _requested


def request() -> None:
    global _requested
    _requested = True


def wait(seconds: float) -> bool:
    """Sleep ``seconds``, or less once a stop is requested; True if it was.

    A signal does not cut ``time.sleep`` short, so this sleeps in short steps.
    """
    deadline = time.monotonic() + seconds
    while not _requested and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.1))
    return _requested


def _on_sigterm(signum, frame) -> None:
    request()


def handle_sigterm() -> None:
    """In this process, SIGTERM asks for a stop instead of killing it (django-q2 workers)."""
    signal.signal(signal.SIGTERM, _on_sigterm)
