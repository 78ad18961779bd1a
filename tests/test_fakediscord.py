"""The fake Discord drives the real discord.py client end to end, and is strict where Discord is.

A throwaway bot defined here (not the project's bot) logs in, syncs its commands and answers
slash commands, a button, a select, autocomplete and a mention through the fake.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import FakeDiscord, FakeDiscordError, start_bot, stop_bot
from tests.fakediscord.checks import allowed_mentions_problems, message_problems
from tests.fakediscord.payloads import MANAGE_GUILD

NONE = discord.AllowedMentions.none()


class VoteView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Yes", custom_id="vote:yes")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        text = f"{interaction.user.name} voted yes"
        await interaction.response.edit_message(content=text, view=None, allowed_mentions=NONE)

    @discord.ui.select(
        custom_id="vote:pick",
        options=[discord.SelectOption(label="A", value="a"), discord.SelectOption(label="B")],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(
            f"picked {select.values[0]}", ephemeral=True, allowed_mentions=NONE
        )


class TinyBot(commands.Bot):
    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every re-IDENTIFY; a test has no limit to respect."""

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user not in message.mentions:
            return
        question = message.content.replace(f"<@{self.user.id}>", "").strip()
        await message.reply(f"You asked: {question}", allowed_mentions=NONE)


def build_bot() -> TinyBot:
    bot = TinyBot(
        command_prefix="!unused!",
        intents=discord.Intents.default(),
        chunk_guilds_at_startup=False,
        guild_ready_timeout=0.05,
    )
    tree = bot.tree

    @tree.command(description="Repeat the text")
    async def echo(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, allowed_mentions=NONE)

    @tree.command(description="Defer, then edit the answer in")
    async def slow(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content=f"About {topic}", allowed_mentions=NONE)

    @tree.command(description="Defer, then answer with a follow-up")
    async def later(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await interaction.followup.send("Done later", allowed_mentions=NONE)

    @tree.command(description="Ask for a vote")
    async def vote(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Vote?", view=VoteView(), allowed_mentions=NONE)

    @tree.command(description="Forgets allowed_mentions")
    async def loud(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text)

    @tree.command(description="Says too much")
    async def long(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("x" * 2001, allowed_mentions=NONE)

    @tree.command(description="Answers after a nap")
    async def sleepy(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.2)
        await interaction.response.send_message("yawn", allowed_mentions=NONE)

    @tree.command(description="Editors only")
    @app_commands.default_permissions(manage_guild=True)
    async def settings(interaction: discord.Interaction) -> None:
        allowed = interaction.permissions.manage_guild
        text = "Settings" if allowed else "Editors only"
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    @tree.command(description="Pick a topic")
    async def topic(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"Topic: {name}", allowed_mentions=NONE)

    @topic.autocomplete("name")
    async def topic_names(_: discord.Interaction, current: str) -> list[app_commands.Choice]:
        names = ("economy", "elections", "energy", "health")
        return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

    return bot


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
async def fake():
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture(scope="module")
async def bot(fake: FakeDiscord):
    bot = build_bot()
    await start_bot(bot, fake.token, fake)
    yield bot
    await stop_bot(bot)


@pytest.fixture(autouse=True)
def discord_errors():
    """Fail on any ERROR from the discord logger; tests that expect one clear the list."""
    handler = _ErrorLog()
    logger = logging.getLogger("discord")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)
    assert not handler.records, [r.getMessage() for r in handler.records]


@pytest.fixture(autouse=True)
async def strict(fake: FakeDiscord):
    """Fail on any violation or unhandled request; tests that provoke one clear it."""
    fake.clear_observations()
    yield
    await fake.settle()
    assert fake.violations == []
    assert fake.unhandled == []


async def until(condition: Callable[[], Any], timeout: float = 2.0) -> Any:
    async with asyncio.timeout(timeout):
        while not (result := condition()):
            await asyncio.sleep(0.01)
    return result


async def test_login_ready_and_command_sync(fake: FakeDiscord, bot: TinyBot) -> None:
    assert bot.user is not None and bot.user.id == fake.bot_id
    assert bot.application_id == fake.application_id
    guild = bot.get_guild(fake.guild.id)
    assert guild is not None and guild.get_channel(fake.channel_id) is not None
    assert guild.member_count == len(fake.guild.members)
    assert fake.identify_count >= 1 and fake.sync_count == 1
    assert fake.command("echo")["options"][0]["name"] == "text"
    assert fake.command("settings")["default_member_permissions"] == str(MANAGE_GUILD)


async def test_slash_answered(fake: FakeDiscord, bot: TinyBot) -> None:
    rec = await fake.slash("echo", {"text": "hello <@123>"})
    answer = await rec.wait_final()
    assert (answer.callback_type, answer.content) == (4, "hello <@123>")
    assert answer.allowed_mentions == {"parse": []}
    assert rec.message["id"] == str(rec.response_message_id)
    assert fake.bot_messages()[-1]["content"] == "hello <@123>"


async def test_deferred_then_edit(fake: FakeDiscord, bot: TinyBot) -> None:
    rec = await fake.slash("slow", {"topic": "rates"})
    answer = await rec.wait_final()
    assert [e.kind for e in rec.events] == ["callback", "edit"]
    assert rec.callbacks[0].callback_type == 5
    assert (answer.target, answer.content) == ("@original", "About rates")
    assert rec.message["flags"] == 0 and rec.message["edited_timestamp"]


async def test_deferred_then_followup_replaces_loading_message(fake, bot) -> None:
    rec = await fake.slash("later")
    answer = await rec.wait_final()
    assert answer.kind == "followup" and answer.content == "Done later"
    assert answer.message_id == rec.response_message_id
    assert rec.message["flags"] == 64  # ephemeral from the deferral; loading flag gone


async def test_button_and_select_round_trip(fake: FakeDiscord, bot: TinyBot) -> None:
    rec = await fake.slash("vote")
    await rec.wait_final()
    picked = await fake.select(rec, "vote:pick", ["a"])
    assert (await picked.wait_final()).ephemeral
    click = await fake.click(rec.message, "vote:yes", member=fake.admin)
    answer = await click.wait_final()
    assert answer.callback_type == 7
    assert rec.message["content"] == "editor voted yes"
    assert rec.message["components"] == []
    with pytest.raises(FakeDiscordError, match="no component"):
        await fake.click(rec, "vote:yes")


async def test_autocomplete(fake: FakeDiscord, bot: TinyBot) -> None:
    rec = await fake.autocomplete("topic", {"name": "e"}, focused="name")
    answer = await rec.wait_final()
    assert [c["value"] for c in answer.data["choices"]] == ["economy", "elections", "energy"]


async def test_mention_reply_references_the_question(fake: FakeDiscord, bot: TinyBot) -> None:
    rec = await fake.mention("what happened to rates?")
    reply = await rec.wait_final()
    assert reply.content == "You asked: what happened to rates?"
    assert rec.message["message_reference"]["message_id"] == str(rec.id)
    assert reply.allowed_mentions == {"parse": []}


async def test_missing_allowed_mentions_is_a_violation(fake, bot, discord_errors) -> None:
    rec = await fake.slash("loud", {"text": "@everyone"})
    await rec.wait_for(lambda r: r.events)
    assert rec.final is None and "allowed_mentions" in rec.events[0].error
    assert len(fake.violations) == 1 and "allowed_mentions" in fake.violations[0]
    await until(lambda: discord_errors)
    fake.violations.clear()
    discord_errors.clear()


async def test_content_over_2000_rejected(fake, bot, discord_errors) -> None:
    rec = await fake.slash("long")
    await rec.wait_for(lambda r: r.events)
    assert rec.final is None
    assert fake.violations and "content: must be 2000 or fewer" in fake.violations[0]
    await until(lambda: discord_errors)
    assert "Invalid Form Body" in str(discord_errors[0].exc_info[1])
    fake.violations.clear()
    discord_errors.clear()


async def test_unsynced_and_hidden_commands(fake: FakeDiscord, bot: TinyBot) -> None:
    with pytest.raises(FakeDiscordError, match="never synced"):
        await fake.slash("nope")
    with pytest.raises(FakeDiscordError, match="default_member_permissions"):
        await fake.slash("settings", member=fake.member)
    forced = await fake.slash("settings", member=fake.member, force=True)
    assert (await forced.wait_final()).content == "Editors only"
    allowed = await fake.slash("settings", member=fake.admin)
    assert (await allowed.wait_final()).content == "Settings"
    intern = fake.make_member("intern", permissions=MANAGE_GUILD)
    assert (await (await fake.slash("settings", member=intern)).wait_final()).ephemeral
    with pytest.raises(FakeDiscordError, match="missing required"):
        await fake.slash("echo", {})


async def test_ack_rules(fake: FakeDiscord, bot: TinyBot, discord_errors) -> None:
    base = f"{fake.base_url}/api/v10"
    rec = await fake.slash("sleepy")
    async with aiohttp.ClientSession() as http:
        early = await http.post(f"{base}/webhooks/{fake.application_id}/{rec.token}", json={})
        assert early.status == 404
        await rec.wait_final()
        again = await http.post(f"{base}/interactions/{rec.id}/{rec.token}/callback", json={})
        assert again.status == 400 and (await again.json())["code"] == 40060
    assert len(fake.violations) == 2
    assert "before" in fake.violations[0] and "second initial response" in fake.violations[1]
    fake.violations.clear()

    fake.ack_deadline = 0.1
    try:
        late = await fake.slash("sleepy")
        await late.wait_for(lambda r: r.events)
        assert late.final is None and "slow ack" in fake.violations[0]
        await until(lambda: discord_errors)
    finally:
        fake.ack_deadline = 3.0
    fake.violations.clear()
    discord_errors.clear()


async def test_rate_limited_edit_is_retried(fake: FakeDiscord, bot: TinyBot) -> None:
    fake.rate_limit_patch_at = {fake.patch_count + 1}
    rec = await fake.slash("slow", {"topic": "limits"})
    assert (await rec.wait_final()).content == "About limits"
    assert len(fake.rate_limited) == 1


async def test_reconnect_resumes_then_reidentifies(fake: FakeDiscord, bot: TinyBot) -> None:
    identified, resumed = fake.identify_count, fake.resume_count
    via_resume_url = fake.resume_url_connects
    await fake.drop_connection(4000)
    rec = await fake.slash("echo", {"text": "after resume"})
    assert (await rec.wait_final()).content == "after resume"
    assert (fake.identify_count, fake.resume_count) == (identified, resumed + 1)
    assert fake.resume_url_connects == via_resume_url + 1

    await fake.drop_connection(4000)
    assert not fake.connected  # so the mention below waits in the session log for RESUME
    missed = await fake.mention("asked while you were away", queue=True)
    assert (await missed.wait_final()).content == "You asked: asked while you were away"
    assert fake.resume_count == resumed + 2 and bot.ws.sequence == fake.session.seq

    await fake.drop_connection(None, resumable=False)  # abrupt close, session gone
    rec = await fake.slash("echo", {"text": "after identify"})
    assert (await rec.wait_final()).content == "after identify"
    assert fake.identify_count == identified + 1


async def test_bad_token_rejected_at_login(fake: FakeDiscord) -> None:
    fake.bad_tokens.add("revoked")
    client = discord.Client(intents=discord.Intents.default())
    with pytest.raises(discord.LoginFailure):
        await start_bot(client, "revoked", fake)
    assert fake.violations == []


async def test_privileged_intent_refused_like_the_portal(fake: FakeDiscord) -> None:
    intents = discord.Intents.default()
    intents.message_content = True
    client = discord.Client(intents=intents)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await start_bot(client, fake.token, fake)


async def test_unknown_route_is_recorded(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bot {fake.token}"}
        resp = await http.get(f"{fake.base_url}/api/v10/nowhere", headers=headers)
        assert resp.status == 404 and resp.headers["Content-Type"] == "application/json"
    assert fake.unhandled == ["GET /api/v10/nowhere"]
    fake.unhandled.clear()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"embeds": [{"description": "d" * 4097}]}, "embeds.0.description"),
        ({"embeds": [{"title": "t" * 257}]}, "embeds.0.title"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "fields.0.value"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "embeds.0.fields"),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, "total"),
        ({"embeds": [{"title": "t"}] * 11}, "10 or fewer"),
        ({"components": [{"type": 1, "components": [{"type": 2}]}] * 6}, "rows"),
        (
            {"components": [{"type": 1, "components": [{"type": 2, "style": 1}] * 6}]},
            "1 to 5 components",
        ),
        (
            {"components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "l"}]}]},
            "custom_id: this field is required",
        ),
        (
            {
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {"type": 2, "style": 1, "label": "l" * 81, "custom_id": "c" * 101}
                        ],
                    }
                ]
            },
            "label",
        ),
        ({"content": "hi", "allowed_mentions": {"parse": ["users"]}}, "parse"),
        ({"content": "hi", "allowed_mentions": {"parse": [], "users": ["1"]}}, "users"),
    ],
)
def test_limits(payload: dict[str, Any], expected: str) -> None:
    problems = message_problems({"allowed_mentions": {"parse": []}, **payload}, creating=True)
    assert any(expected in f"{path}: {msg}" for path, msg in problems), problems


def test_allowed_mentions_none_passes() -> None:
    assert allowed_mentions_problems({"allowed_mentions": NONE.to_dict()}) == []
    assert allowed_mentions_problems({"content": "x"})
