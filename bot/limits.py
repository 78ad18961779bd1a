"""Protections against bursts and abuse: the servers the bot serves, per-user cooldown, a
global concurrency cap with a bounded queue, and the question length cap. No Discord here;
the cogs turn the outcomes into friendly messages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from types import TracebackType

NOT_SERVED = (
    "newsdesk is not set up for this server. Its commands work only in the servers its "
    "operator configured (bot.guilds)."
)


def serves(guild_id: int | None, guilds: Sequence[int]) -> bool:
    """True when the bot works in `guild_id` (None: a DM): any server when `guilds` is
    empty, else only those listed."""
    return not guilds or guild_id in guilds


class Busy(Exception):
    """The concurrency cap and its queue are both full."""


class Cooldown:
    """At most one use per `seconds` per key (a user id). `seconds=0` disables it."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}
        self._warned: dict[int, float] = {}

    def remaining(self, key: int) -> float:
        """Seconds until `key` may go again (0 when it may now)."""
        if self.seconds <= 0:
            return 0.0
        last = self._last.get(key)
        if last is None:
            return 0.0
        return max(0.0, self.seconds - (self._clock() - last))

    def record(self, key: int) -> None:
        """Start `key`'s cooldown now."""
        if self.seconds <= 0:
            return
        now = self._clock()
        self._last[key] = now
        if len(self._last) > 10_000:  # forget users whose cooldown is long over
            self._last = {k: t for k, t in self._last.items() if now - t < self.seconds}
            self._warned = {k: t for k, t in self._warned.items() if k in self._last}

    def first_warning(self, key: int) -> bool:
        """True once per cooldown window: lets a channel reply say "slow down" only once."""
        last = self._last.get(key)
        if last is None or self._warned.get(key) == last:
            return False
        self._warned[key] = last
        return True


class Gate:
    """At most `max_concurrent` questions worked on at once, `max_queue` more waiting.

    `admit()` is synchronous so the caller can refuse at once (before acknowledging the
    interaction); the returned admission is then awaited for a turn::

        with gate.admit() as admission:   # raises Busy when full
            await interaction.response.defer()
            async with admission.turn():
                ...
    """

    def __init__(self, max_concurrent: int, max_queue: int) -> None:
        self.max_concurrent = max(1, max_concurrent)
        self.capacity = self.max_concurrent + max(0, max_queue)
        self._slots = asyncio.Semaphore(self.max_concurrent)
        self.admitted = 0  # running + waiting
        self.running = 0
        self.peak = 0

    @property
    def waiting(self) -> int:
        return self.admitted - self.running

    def admit(self) -> Admission:
        if self.admitted >= self.capacity:
            raise Busy
        self.admitted += 1
        self.peak = max(self.peak, self.admitted)
        return Admission(self)


class Admission:
    """A place in the gate, held until the `with` block ends."""

    def __init__(self, gate: Gate) -> None:
        self._gate = gate
        self._done = False

    def __enter__(self) -> Admission:
        return self

    def __exit__(
        self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def release(self) -> None:
        if not self._done:
            self._done = True
            self._gate.admitted -= 1

    def turn(self) -> _Turn:
        return _Turn(self._gate)


class _Turn:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def __aenter__(self) -> None:
        await self._gate._slots.acquire()
        self._gate.running += 1

    async def __aexit__(self, *exc: object) -> None:
        self._gate.running -= 1
        self._gate._slots.release()


def question_problem(question: str, max_chars: int) -> str | None:
    """Why `question` can't be asked, or None when it can."""
    q = question.strip()
    if not q:
        return "Ask a question, for example: *Who did Shoigu meet in Beijing?*"
    if max_chars and len(q) > max_chars:
        return (
            f"That question is {len(q)} characters long; the limit is {max_chars}. "
            "Please ask something shorter."
        )
    return None


def cooldown_message(remaining: float) -> str:
    wait = max(1, round(remaining + 0.49))
    return f"One question at a time, please — you can ask again in {wait} s."


BUSY_MESSAGE = "I'm answering a lot of questions right now. Please try again in a moment."
