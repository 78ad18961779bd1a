"""Load: 200 concurrent /ask interactions against the fake Discord. Every one gets exactly
one final answer — the answer, or over the concurrency cap the "busy" message — none is
lost, and the p99 latency is reported (printed with `-s`, and as a junit property).
Nothing here is timed: speed is measured by bench/bot_load.py.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.limits import BUSY_MESSAGE
from bot.render import NOT_COVERED
from index.engine import Engine
from tests.bot.harness import (
    LOAD_QUESTIONS,
    Harness,
    ask_concurrently,
    latency,
    percentile,
    start_harness,
    stop_harness,
)
from tests.fakediscord import InteractionRecord

pytestmark = pytest.mark.usefixtures("strict_discord")

N = 200


class CountingEngine:
    """The real engine, counting the questions it works on at once."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self.running = self.peak = self.calls = 0

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.running += 1
            self.calls += 1
            self.peak = max(self.peak, self.running)
        try:
            return self._engine.ask(*args, **kwargs)
        finally:
            with self._lock:
                self.running -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


@asynccontextmanager
async def load_bot(engine: Engine, **bot: object) -> AsyncIterator[tuple[Harness, CountingEngine]]:
    """A bot on the newsroom index with these `bot.*` settings and the default per-user
    cooldown switched on (the load comes from distinct members, so it must not refuse)."""
    config = copy.deepcopy(engine.config)
    config.bot.cooldown_seconds = 5.0
    for key, value in bot.items():
        setattr(config.bot, key, value)
    harness = await start_harness(config, engine, guild_sync=True)
    counting = CountingEngine(engine)
    harness.bot.engine = counting  # type: ignore[assignment]
    try:
        yield harness, counting
    finally:
        await stop_harness(harness)


def question_of(rec: InteractionRecord) -> str:
    return rec.payload["data"]["options"][0]["value"]


def outcome(rec: InteractionRecord) -> str:
    """'answer' or 'busy' when the interaction got exactly one final answer (else fail)."""
    bad = [e for e in rec.events if not e.ok]
    assert not bad, rec.describe()
    assert len(rec.callbacks) == 1, rec.describe()
    ack = rec.callbacks[0]
    if ack.callback_type == 4:
        assert ack.ephemeral and ack.content == BUSY_MESSAGE, rec.describe()
        assert len(rec.events) == 1, rec.describe()
        return "busy"
    assert ack.callback_type == 5, rec.describe()
    assert not rec.followups and len(rec.edits) == 1, rec.describe()
    final = rec.edits[0]
    assert final.target == "@original" and question_of(rec) in final.content, rec.describe()
    assert final.embeds or NOT_COVERED in final.content, rec.describe()
    return "answer"


def report(record_property, label: str, records: list[InteractionRecord]) -> float:
    seconds = [latency(r) for r in records]
    p50, p95, p99 = (percentile(seconds, q) * 1000 for q in (50, 95, 99))
    record_property(f"{label}_p99_ms", round(p99, 1))
    print(
        f"\n{label}: {len(records)} concurrent /ask, latency p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms, p99 {p99:.0f} ms"
    )
    return p99


async def test_two_hundred_concurrent_questions_are_all_answered(newsroom_engine, record_property):
    async with load_bot(newsroom_engine, max_concurrent=8, max_queue=256) as (harness, engine):
        records = await ask_concurrently(harness, N, LOAD_QUESTIONS)
        for rec in records:
            await rec.wait_final(120)  # a hang guard, not a speed target
        await harness.fake.settle(0.3)  # a second answer would land now
        outcomes = [outcome(r) for r in records]
        assert outcomes.count("answer") == N  # none lost, none refused
        assert engine.calls == N and 1 <= engine.peak <= 8
        assert harness.bot.gate.admitted == 0 and harness.bot.gate.peak <= N
        report(record_property, "ask_load", records)


async def test_over_a_small_queue_the_rest_are_told_busy_and_none_is_lost(
    newsroom_engine, record_property
):
    async with load_bot(newsroom_engine, max_concurrent=2, max_queue=5) as (harness, engine):
        records = await ask_concurrently(harness, N, LOAD_QUESTIONS)
        for rec in records:
            await rec.wait_final(120)
        await harness.fake.settle(0.3)
        outcomes = [outcome(r) for r in records]
        answered, busy = outcomes.count("answer"), outcomes.count("busy")
        assert answered + busy == N
        assert answered >= 7  # the first 2 + 5 always get a place
        assert busy >= 1
        assert engine.calls == answered and engine.peak <= 2
        assert harness.bot.gate.admitted == 0 and harness.bot.gate.peak <= 7
        print(f"\nsmall queue: {answered} answered, {busy} told busy")
        report(record_property, "ask_load_small_queue", records)
