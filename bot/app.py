"""The bot: one client class, its start-up, and `run(config)` behind `newsdesk run`.

`create_bot(config, engine)` builds the client without connecting, so tests can point
discord.py at a local fake Discord. Everything blocking (the model, SQLite, builds) runs
in thread pools, never on the event loop, so heartbeats never stall.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from index import Config, Engine, NewsdeskError

from .limits import NOT_SERVED, Cooldown, Gate, serves
from .reply import NO_MENTIONS, tell

log = logging.getLogger(__name__)

T = TypeVar("T")
# Each command group is an extension with `async def setup(bot)`; the bot never imports one.
EXTENSIONS = ("bot.ask", "bot.sources", "bot.admin", "bot.help")
# Commands that change or describe the install: synced only to the servers in bot.guilds.
ADMIN_COMMANDS = ("reindex", "status")


class NewsdeskBot(commands.Bot):
    """The newsdesk client: holds the engine, the thread pools and the shared limits."""

    def __init__(self, config: Config, engine: Engine, **options: Any) -> None:
        options.setdefault("intents", discord.Intents.default())  # no privileged intent
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: there are no text commands
            help_command=None,
            allowed_mentions=NO_MENTIONS,
            tree_cls=NewsdeskTree,
            **options,
        )
        self.config = config
        self.engine = engine
        self.started = time.monotonic()  # for /status's uptime
        bc = config.bot
        # Questions and listings; the gate keeps at most max_concurrent of them in here.
        self.pool = ThreadPoolExecutor(bc.max_concurrent + 2, thread_name_prefix="newsdesk-ask")
        self.build_pool = ThreadPoolExecutor(1, thread_name_prefix="newsdesk-build")
        self.cooldown = Cooldown(bc.cooldown_seconds)
        self.gate = Gate(bc.max_concurrent, bc.max_queue)
        self._background: set[asyncio.Task] = set()

    async def setup_hook(self) -> None:
        for name in EXTENSIONS:
            await self.load_extension(name)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """With bot.guilds, every command goes to those servers (at once) and the global
        commands an earlier run left are removed; without, all but the admin commands are
        synced globally (that can take an hour), for any server that invites the bot."""
        guilds = self.config.bot.guilds
        admin = [c for c in map(self.tree.remove_command, ADMIN_COMMANDS) if c is not None]
        if not guilds:
            synced = await self.tree.sync()
            log.warning(
                "bot.guilds is empty: any server that invites the bot can ask it questions "
                "(%d global commands); /reindex and /status need bot.guilds",
                len(synced),
            )
            return
        for gid in guilds:
            guild = discord.Object(id=gid)
            self.tree.copy_global_to(guild=guild)
            for command in admin:
                self.tree.add_command(command, guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %d", len(synced), gid)
        self.tree.clear_commands(guild=None)
        await self.tree.sync()  # an empty global list: stale global commands are removed

    def serves(self, guild_id: int | None) -> bool:
        return serves(guild_id, self.config.bot.guilds)

    async def leave_if_unserved(self, guild: discord.Guild | None) -> None:
        """With bot.guilds and bot.leave_other_guilds set, leave a server not listed."""
        bc = self.config.bot
        if guild is None or self.serves(guild.id) or not bc.leave_other_guilds:
            return
        try:
            await guild.leave()
            log.warning("left guild %d: it is not in bot.guilds", guild.id)
        except discord.HTTPException as exc:
            log.warning("could not leave guild %d: %s", guild.id, exc)

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guilds", self.user, len(self.guilds))
        for guild in list(self.guilds):
            await self.leave_if_unserved(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.leave_if_unserved(guild)

    async def on_message(self, message: discord.Message) -> None:
        """No text commands: mentions are answered by AskCog's listener."""

    async def blocking(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `fn` in the question pool and wait for it without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    def spawn(self, coro: Any) -> asyncio.Task:
        """A background task that is kept referenced until it ends."""
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def close(self) -> None:
        await super().close()
        for task in list(self._background):
            task.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.build_pool.shutdown(wait=False, cancel_futures=True)


class NewsdeskTree(app_commands.CommandTree):
    """Keeps commands to the served servers, and turns failures no command handled into
    one apologetic ephemeral message."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        bot: NewsdeskBot = interaction.client  # type: ignore[assignment]
        if bot.serves(interaction.guild_id):
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete([])
        else:
            await tell(interaction, NOT_SERVED)
        bot.spawn(bot.leave_if_unserved(interaction.guild))
        return False

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CommandNotFound):
            log.info("/%s is not a command here (left from an earlier sync)", error.name)
            text = "That command is not available here any more."
        elif isinstance(error, app_commands.NoPrivateMessage):
            text = "That command only works in a server."
        elif isinstance(error, app_commands.CheckFailure):
            text = str(error) or "You can't use that command here."
        else:
            command = interaction.command.name if interaction.command else "?"
            log.error("/%s failed", command, exc_info=error)
            text = "Sorry, something went wrong; the error was logged."
        try:
            await tell(interaction, text)
        except discord.HTTPException:
            log.warning("could not report an error to the user of /%s", interaction.command)


def create_bot(config: Config, engine: Engine, **options: Any) -> NewsdeskBot:
    """The client, not yet connected; `options` go to discord.Client (tests shorten
    `guild_ready_timeout`, for example)."""
    return NewsdeskBot(config, engine, **options)


# --- running for real --------------------------------------------------------------------


class RedactToken(logging.Filter):
    """Replaces the token wherever it would appear in a log record."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        if self.token in message:
            record.msg = message.replace(self.token, "[token]")
            record.args = None
        return True


def open_engine(config: Config) -> Engine:
    """Load the model and the index, building the registered sources first if none exists."""
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        if time.monotonic() - last[0] > 5 or (total and done == total):
            last[0] = time.monotonic()
            log.info("building: %s %s", stage, f"{done}/{total}" if total else "")

    return Engine.open(config, build_if_missing=True, progress=progress)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def run(config: Config) -> int:
    """Start the bot and serve until stopped; the process exit code."""
    env = config.bot.token_env
    token = os.environ.get(env, "").strip()
    if not token:
        return _fail(
            f"no Discord bot token: set ${env} to the token from the Discord developer "
            "portal (Applications → your app → Bot → Reset Token)"
        )
    redact = RedactToken(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    logging.getLogger("discord").addFilter(redact)

    try:
        engine = open_engine(config)
    except NewsdeskError as exc:
        return _fail(str(exc))
    try:
        asyncio.run(_serve(config, engine, token))
    except discord.LoginFailure:
        return _fail(
            f"Discord rejected the token in ${env}: check it, or reset it in the developer portal"
        )
    except discord.PrivilegedIntentsRequired:
        return _fail("Discord refused the intents the bot asked for (none should be privileged)")
    except discord.ConnectionClosed as exc:
        if exc.code == 4004:
            return _fail(f"Discord rejected the token in ${env} (gateway authentication failed)")
        return _fail(f"the Discord connection closed and could not resume (code {exc.code})")
    except (discord.GatewayNotFound, OSError) as exc:
        return _fail(f"could not reach Discord: {exc}")
    except KeyboardInterrupt:
        pass
    finally:
        engine.close()
    return 0


async def _serve(config: Config, engine: Engine, token: str) -> None:
    bot = create_bot(config, engine)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # (not possible off the main thread, or on Windows: Ctrl-C still works there)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, lambda: bot.spawn(bot.close()))
    async with bot:
        await bot.start(token)
