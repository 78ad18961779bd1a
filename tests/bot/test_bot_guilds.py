"""The served servers are a boundary: with bot.guilds set, commands and mentions work only
there, global commands an earlier run left are removed, and other servers are told (or
left); without it, any server may ask but none may /reindex."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator

import pytest

from bot.limits import NOT_SERVED
from index.engine import Engine
from tests.bot.harness import Harness, start_harness, stop_harness, until
from tests.fakediscord import FakeDiscord, FakeGuild
from tests.fakediscord.payloads import ADMINISTRATOR, snowflake

pytestmark = pytest.mark.usefixtures("strict_discord")

SHOIGU = "Who did Shoigu meet in Beijing?"


def stale_global_command(fake: FakeDiscord, name: str) -> None:
    """A global command an earlier run (with bot.guilds empty) registered."""
    fake.global_commands[name] = {
        "id": str(snowflake()), "application_id": str(fake.application_id), "version": "1",
        "type": 1, "name": name, "description": name, "options": [],
        "default_member_permissions": None, "dm_permission": True, "nsfw": False,
    }  # fmt: skip


async def two_servers(engine: Engine, **bot: object) -> tuple[Harness, FakeGuild]:
    """A bot that serves the fake's guild, also in a rival server that invited it."""
    fake = FakeDiscord()
    rival = fake.add_guild("Rival")
    stale_global_command(fake, "ask")
    stale_global_command(fake, "reindex")
    config = copy.deepcopy(engine.config)
    for key, value in bot.items():
        setattr(config.bot, key, value)
    return await start_harness(config, engine, guild_sync=True, fake=fake), rival


@pytest.fixture(scope="module")
async def served(newsroom_engine: Engine) -> AsyncIterator[tuple[Harness, FakeGuild]]:
    harness, rival = await two_servers(newsroom_engine)
    # Guild commands an earlier run (that also served the rival) left there.
    main = harness.fake.guild_commands[harness.fake.guild.id]
    harness.fake.guild_commands[rival.id] = {
        k: {**v, "guild_id": str(rival.id)} for k, v in main.items()
    }
    yield harness, rival
    await stop_harness(harness)


async def test_commands_go_to_the_served_server_and_stale_global_ones_are_removed(served):
    harness, _ = served
    fake = harness.fake
    assert fake.global_commands == {}
    assert {"ask", "sources", "source", "help", "reindex", "status"} <= set(
        fake.guild_commands[fake.guild.id]
    )
    answer = await (await harness.ask(SHOIGU)).wait_final(10)
    assert "Strategic Talks" in answer.text


async def test_a_command_left_from_an_earlier_sync_is_answered_not_logged(served, error_log):
    harness, _ = served
    fake = harness.fake
    main = fake.guild_commands[fake.guild.id]
    main["digest"] = {**main["help"], "id": str(snowflake()), "name": "digest"}
    try:
        final = await (await fake.slash("digest")).wait_final()
    finally:
        del main["digest"]
    assert final.ephemeral and final.content == "That command is not available here any more."
    assert error_log.records == []


async def test_another_server_is_told_it_is_not_served(served):
    harness, rival = served
    fake = harness.fake
    boss = fake.make_member("rival-admin", permissions=ADMINISTRATOR, guild=rival)
    generation = harness.engine.generation
    for name, options in (
        ("ask", {"question": SHOIGU}),
        ("sources", {}),
        ("reindex", {"source": "anything"}),
    ):
        rec = await fake.slash(name, options, member=boss, guild=rival)
        final = await rec.wait_final()
        assert final.ephemeral and final.content == NOT_SERVED, name
        assert len(rec.events) == 1, rec.describe()  # nothing else was done for them
    choices = await (
        await fake.autocomplete(
            "ask", {"question": "x", "outlet": "v"}, "outlet", member=boss, guild=rival
        )
    ).wait_final()
    assert choices.data["choices"] == []
    await fake.settle(0.3)
    assert harness.engine.generation == generation
    assert rival.id in fake.guilds  # leaving is off by default


async def test_mentions_in_another_server_get_one_short_notice(served):
    harness, rival = served
    fake = harness.fake
    reader = fake.make_member("rival-reader", guild=rival)
    first = await fake.mention(SHOIGU, member=reader, channel=rival.first_channel)
    reply = await first.wait_final(10)
    assert reply.content == NOT_SERVED and reply.embeds == []
    second = await fake.mention(SHOIGU, member=reader, channel=rival.first_channel)
    await fake.settle(0.3)
    assert second.events == []


async def test_the_bot_can_leave_servers_it_does_not_serve(newsroom_engine):
    harness, rival = await two_servers(newsroom_engine, leave_other_guilds=True)
    fake = harness.fake
    try:
        await until(lambda: fake.left_guilds == [rival.id])  # left once connected
        later = fake.add_guild("Latecomer")  # invited while running
        await until(lambda: fake.left_guilds == [rival.id, later.id])
        await until(lambda: [g.id for g in harness.bot.guilds] == [fake.guild.id])
    finally:
        await stop_harness(harness)


async def test_without_guilds_any_server_may_ask_but_none_may_reindex(newsroom_engine):
    fake = FakeDiscord()
    rival = fake.add_guild("Rival")
    stale_global_command(fake, "reindex")
    harness = await start_harness(
        newsroom_engine.config, newsroom_engine, guild_sync=False, fake=fake
    )
    try:
        assert "ask" in fake.global_commands
        assert "reindex" not in fake.global_commands  # removed by the global sync
        assert "status" not in fake.global_commands
        reader = fake.make_member("rival-reader", guild=rival)
        answer = await (
            await fake.slash("ask", {"question": SHOIGU}, member=reader, guild=rival)
        ).wait_final(10)
        assert "Strategic Talks" in answer.text
    finally:
        await stop_harness(harness)
