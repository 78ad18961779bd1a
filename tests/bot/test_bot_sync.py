"""The bot's scheduled sync end to end: a followed feed's new entry is answerable without
anyone running /reindex, questions are answered from the current index while the sync
runs, /reindex waits its turn, and /status shows each URL source's last sync."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import pytest

from bot.admin import SCHEDULED
from index.engine import Engine
from tests.bot.harness import Harness, bot_config, start_harness, stop_harness, until
from tests.web.fixtures import STORIES, article_html, serve_news, web_config
from tests.web.server import Reply, Site

pytestmark = pytest.mark.usefixtures("strict_discord")

NEW = ("lighthouse", "Lighthouse keeper retires after forty years",
       "The last keeper of the Wend Point lighthouse retired on Friday after forty years, "
       "handing the keys to the coastguard.")  # fmt: skip


@pytest.fixture
async def follower(tmp_path, embedder, site: Site) -> AsyncIterator[Harness]:
    """A bot following the site's feed (indexed once), syncing every 0.3 s."""
    feed = serve_news(site, STORIES[:3])
    config = bot_config(tmp_path / "data", [])
    config.sources = [feed]
    config.web = web_config(sync_every_minutes=0.005)
    engine = Engine(config, embedder)
    engine.build()
    harness = await start_harness(config, engine, guild_sync=True)
    yield harness
    await stop_harness(harness)


async def test_the_bot_syncs_a_followed_feed_on_its_own(follower, site):
    fake, engine = follower.fake, follower.engine
    cog = follower.bot.get_cog("AdminCog")
    generation = engine.generation
    # The feed gains an entry whose page the site holds back until the test lets it go.
    release = threading.Event()
    page = Reply(article_html(*NEW))
    serve_news(site, [*STORIES[:3], NEW], etag='"v2"')
    site.put(f"/news/{NEW[0]}", lambda req: (release.wait(30), page)[1])
    await until(lambda: site.hits(f"/news/{NEW[0]}") == 1, 30)
    assert cog.running == SCHEDULED

    meanwhile = await (
        await follower.ask("How many otters were seen on the river Wend?")
    ).wait_final(10)
    assert "six otters" in meanwhile.text  # answered from the current index during the sync
    refused = await (await fake.slash("reindex", member=fake.admin)).wait_final()
    assert refused.ephemeral and "A sync is already running" in refused.content

    release.set()
    await until(lambda: engine.generation > generation, 30)
    answer = await (await follower.ask("Who retired from the Wend Point lighthouse?")).wait_final(
        10
    )
    assert "Lighthouse keeper retires" in answer.text

    status = await (await fake.slash("status", member=fake.admin)).wait_final(10)
    sources = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}["Sources"]
    name = f"127.0.0.1:{site.port}/feed.xml"
    assert name in sources and "feed · last sync <t:" in sources
    assert "1 new" in sources or "not modified" in sources  # the next sync may have run


async def test_status_shows_a_failing_source_and_its_backoff(follower, site):
    fake, engine = follower.fake, follower.engine
    site.put("/feed.xml", Reply(b"", 503))
    await until(lambda: engine.web_sources()[0].failures >= 1, 30)
    status = await (await fake.slash("status", member=fake.admin)).wait_final(10)
    sources = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}["Sources"]
    assert "failing (1× in a row): HTTP 503" in sources and "next try <t:" in sources
    hits = site.hits("/feed.xml")
    cog = follower.bot.get_cog("AdminCog")
    for _ in range(2):  # two more scheduled syncs run...
        at = cog.last_build[1]
        await until(lambda at=at: cog.last_build[1] > at, 30)
    assert site.hits("/feed.xml") == hits  # ...and leave it alone: backed off for 15 min
