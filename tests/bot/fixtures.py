"""Fixtures for the bot's tests (a plugin loaded by tests/conftest.py, so that no second
conftest.py shadows the `conftest` module other tests import helpers from).

The bot end to end: the real discord.py client against the fake Discord in tests/fakediscord,
the real engine (model, FAISS, SQLite) on the sample coverage plus a few small articles.

Every test fails on a violation the fake recorded (limits, allowed_mentions, late acks...),
on a request it had no route for, and on any ERROR logged by discord.py or the bot.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from index.config import SAMPLE_CORPUS
from index.engine import Engine
from index.retrieve.model import Embedder
from tests.bot.harness import (
    HARNESSES,
    HOSTILE,
    LOCAL_NEWS,
    ErrorLog,
    Harness,
    bot_config,
    start_harness,
    stop_harness,
    write_article,
)


@pytest.fixture(scope="session")
def local_news(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("local-news")
    for slug, outlet, day, title, body in LOCAL_NEWS:
        write_article(folder, slug, outlet, day, title, body)
    (folder / "hostile.jsonl").write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def newsroom_engine(tmp_path_factory, embedder: Embedder, local_news: Path) -> Engine:
    """The sample coverage plus the local news, indexed once (tests only read it)."""
    config = bot_config(tmp_path_factory.mktemp("newsroom"), [SAMPLE_CORPUS, local_news])
    engine = Engine(config, embedder)
    engine.build()
    return engine


@pytest.fixture(scope="session")
async def newsroom(newsroom_engine: Engine) -> AsyncIterator[Harness]:
    """One bot on the newsroom index, commands synced to the fake's guild."""
    harness = await start_harness(newsroom_engine.config, newsroom_engine, guild_sync=True)
    yield harness
    await stop_harness(harness)


@pytest.fixture(scope="session")
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    loggers = [logging.getLogger("discord"), logging.getLogger("bot")]
    for lg in loggers:
        lg.addHandler(handler)
    yield handler
    for lg in loggers:
        lg.removeHandler(handler)


@pytest.fixture
async def strict_discord(error_log: ErrorLog) -> AsyncIterator[None]:
    """Fail on anything the fake rejected or didn't know, and on logged errors (every bot
    test module uses it: `pytestmark = pytest.mark.usefixtures("strict_discord")`)."""
    for h in HARNESSES:
        h.fake.clear_observations()
    error_log.records.clear()
    yield
    for h in HARNESSES:
        await h.fake.settle()
    problems = [v for h in HARNESSES for v in h.fake.violations]
    unhandled = [u for h in HARNESSES for u in h.fake.unhandled]
    errors = [f"{r.name}: {r.getMessage()}" for r in error_log.records]
    assert not problems, f"the fake Discord rejected: {problems}"
    assert not unhandled, f"requests the fake has no route for: {unhandled}"
    assert not errors, f"errors were logged: {errors}"
