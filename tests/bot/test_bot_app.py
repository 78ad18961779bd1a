"""`newsdesk run` (bot.app.run): token handling, start-up and shutdown, against a fake Discord
served from its own thread (run() owns the main thread's event loop, as in production)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Iterator

import pytest

import bot.app
from bot.app import RedactToken, run
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.usefixtures("strict_discord")

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.secret-token-value"


class ThreadedFake:
    """A FakeDiscord on an event loop in a background thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake: FakeDiscord = self.call(self._start())

    async def _start(self) -> FakeDiscord:
        fake = FakeDiscord(token=TOKEN)
        await fake.start()
        fake.install()
        return fake

    def call(self, coro, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.call(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def threaded_fake() -> Iterator[ThreadedFake]:
    served = ThreadedFake()
    yield served
    served.close()


@pytest.fixture
def no_build(monkeypatch, newsroom_engine):
    """run() loads the already-built newsroom index instead of loading and building."""
    monkeypatch.setattr(bot.app, "open_engine", lambda config: newsroom_engine)
    return newsroom_engine


def test_missing_token_is_one_clear_message(monkeypatch, capsys, newsroom_engine):
    monkeypatch.delenv("NEWSDESK_TEST_TOKEN", raising=False)
    config = newsroom_engine.config
    config.bot.token_env = "NEWSDESK_TEST_TOKEN"
    try:
        assert run(config) == 2
    finally:
        config.bot.token_env = "DISCORD_TOKEN"
    err = capsys.readouterr().err
    assert err.startswith("error: no Discord bot token: set $NEWSDESK_TEST_TOKEN")
    assert "Traceback" not in err


def test_rejected_token_is_one_clear_message_and_never_logged(
    monkeypatch, capsys, caplog, threaded_fake, no_build
):
    threaded_fake.fake.bad_tokens.add(TOKEN)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    assert run(no_build.config) == 2
    captured = capsys.readouterr()
    assert "Discord rejected the token in $DISCORD_TOKEN" in captured.err
    assert "Traceback" not in captured.err
    assert TOKEN not in captured.err + captured.out + caplog.text


def test_run_serves_until_sigterm(monkeypatch, caplog, threaded_fake, no_build):
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    fake = threaded_fake.fake
    seen: dict[str, object] = {}

    async def use_it_then_stop() -> None:
        await fake.wait_connected(20)
        rec = await fake.slash("ask", {"question": "Who did Shoigu meet in Beijing?"})
        seen["answer"] = await rec.wait_final(10)
        os.kill(os.getpid(), signal.SIGTERM)

    future = asyncio.run_coroutine_threadsafe(use_it_then_stop(), threaded_fake.loop)
    assert run(no_build.config) == 0
    future.result(5)
    assert "Strategic Talks" in seen["answer"].text
    assert fake.identify_payloads[0]["intents"] & (1 << 15 | 1 << 8 | 1 << 1) == 0
    assert fake.violations == [] and fake.unhandled == []
    assert TOKEN not in caplog.text


def test_token_redaction_filter():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token is %s", (TOKEN,), None)
    assert RedactToken(TOKEN).filter(record)
    assert record.getMessage() == "token is [token]"


def test_open_engine_builds_the_configured_sources_when_no_index_exists(
    tmp_path, monkeypatch, embedder
):
    from index.config import Config

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.md").write_text(
        "---\ntitle: Lighthouse repainted\noutlet: Coast Post\ndate: 2025-04-01\n---\n"
        "The lighthouse on the point was repainted red and white by volunteers.\n",
        encoding="utf-8",
    )
    # the engine loads its model through Embedder.from_config: the session's model stands in
    monkeypatch.setattr("index.engine.Embedder.from_config", lambda config: embedder)
    config = Config(data_dir=str(tmp_path / "data"), sources=[str(corpus)])
    engine = bot.app.open_engine(config)
    assert engine.generation == 1
    assert [a.title for a in engine.articles()] == ["Lighthouse repainted"]
    assert bot.app.open_engine(config).generation == 1  # loads, no second build
