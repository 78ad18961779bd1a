"""Per-host politeness: one request at a time to a host, and a pause between them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Politeness:
    """Turns at each host: `with polite.turn(host, delay):` waits for the host's previous
    request to end and `delay` seconds more, then holds the host until the block ends."""

    def __init__(self, sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
        self._sleep = sleep
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}  # host -> when its last request ended
        self._guard = threading.Lock()

    @contextmanager
    def turn(self, host: str, delay: float) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            last = self._last.get(host)
            if last is not None:
                wait = last + delay - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                self._last[host] = self._clock()
