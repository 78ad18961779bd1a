"""/reindex: admins update the index while the bot keeps answering from the old one;
/status: what the bot serves and how its sources are; and the scheduled sync, which runs
in the background every web.sync_every_minutes, one build at a time with /reindex.

Admins are members with Manage Server (or Administrator) or one of `bot.admin_roles`.
The command is hidden from others by its default permissions, and checked again on every
use: a server can change who sees a command, so the check here is the one that counts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import discord
from discord import app_commands
from discord.ext import commands

from index import BuildLockedError, BuildReport, NewsdeskError, SourceError, SourceSync, sync_once

from . import render
from .reply import NO_MENTIONS, tell

if TYPE_CHECKING:
    from .app import NewsdeskBot

log = logging.getLogger(__name__)

NOT_ADMIN = (
    "Only server admins can use /reindex and /status: members with the Manage Server"
    " permission or one of the roles configured as newsdesk admins."
)


def is_admin(interaction: discord.Interaction, admin_roles: Sequence[int]) -> bool:
    """Manage Server, Administrator, or a configured admin role — read from this
    interaction's own member data, never from what Discord chose to show."""
    if interaction.guild_id is None:
        return False
    perms = interaction.permissions
    if perms.manage_guild or perms.administrator:
        return True
    user = interaction.user
    roles = {r.id for r in getattr(user, "roles", [])}
    return bool(roles & set(admin_roles))


def source_health(location: str, paths: Sequence[str], skipped: Sequence[str]) -> str:
    """How one registered source is: missing, unreadable, or its indexed articles (given
    every article's path) and the files the last build skipped in it."""
    if not os.path.exists(location):
        return "missing: a /reindex fails until it is back"
    if not os.access(location, os.R_OK):
        return "unreadable"
    prefix = location.rstrip(os.sep) + os.sep

    def inside(path: str) -> bool:
        return path == location or path.startswith(prefix)

    n, k = sum(map(inside, paths)), sum(map(inside, skipped))
    return f"ok · {n} article{'s' * (n != 1)}" + (f" · {k} skipped last build" if k else "")


SCHEDULED = "the scheduled sync"


def url_name(location: str) -> str:
    """A URL source as /status names it: host and path, no scheme (so it is no link), and
    neither a user:password nor a query (either may hold a feed's private key)."""
    parts = urlsplit(location)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.hostname or ''}{port}{parts.path}"


def url_health(sync: SourceSync) -> str:
    """How a URL source is: its last sync, the new articles it brought, its last error."""
    if not sync.last_sync:
        return "not synced yet"
    line = f"{sync.kind or 'url'} · last sync <t:{int(sync.last_sync)}:R>"
    if sync.last_error:
        line += f" · failing ({sync.failures}× in a row): {sync.last_error}"
        if sync.next_try:
            line += f" · next try <t:{int(sync.next_try)}:R>"
        return line
    if sync.not_modified:
        return line + " · not modified"
    return line + f" · {sync.new_articles} new"


def resolve_source(source: str, roots: Sequence[Path]) -> Path:
    """The real path of `source`, which must exist inside one of `roots`.

    Relative sources are taken relative to each root in turn. Symlinks and `..` are
    resolved before the check, so neither can lead outside the roots.
    """
    source = source.strip()
    refusal = SourceError(
        f"{source!r} is not a file or folder inside the allowed sources"
        " (bot.reindex_roots in the config)"
    )
    if not source or "\x00" in source:
        raise refusal
    resolved_roots = [Path(r).expanduser().resolve() for r in roots]
    given = Path(source)
    candidates = [given] if given.is_absolute() else [r / given for r in resolved_roots]
    for candidate in candidates:
        real = candidate.resolve()
        inside = any(real == r or real.is_relative_to(r) for r in resolved_roots)
        if inside and real.exists():
            return real
    raise refusal


class ProgressBox:
    """The latest (stage, done, total) from the build thread; read by the editing task."""

    def __init__(self) -> None:
        self.value: tuple[str, int, int] = ("starting", 0, 0)
        self.version = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.value = (stage, done, total)  # one assignment: safe across threads
        self.version += 1


class AdminCog(commands.Cog):
    """Reindexing; one build at a time."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot
        self.running: str | None = None  # who started the running reindex, and when
        self.last_build: tuple[BuildReport, float] | None = None  # and when it ended
        self.stopping = threading.Event()  # asked between articles by a running sync

    async def cog_load(self) -> None:
        minutes = self.bot.config.web.sync_every_minutes
        if minutes > 0:
            self.bot.spawn(self._sync_every(minutes * 60))

    async def cog_unload(self) -> None:
        self.stopping.set()

    async def _sync_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            if self.stopping.is_set():  # the bot is closing: its build pool is going away
                return
            await self.scheduled_sync()

    async def scheduled_sync(self) -> BuildReport | None:
        """One sync of the registered sources in the build thread, unless a /reindex is
        running (then this turn is skipped); questions are answered throughout."""
        if self.running is not None:
            log.info("scheduled sync skipped: a reindex is running")
            return None
        self.running = SCHEDULED
        loop = asyncio.get_running_loop()
        try:
            report = await loop.run_in_executor(
                self.bot.build_pool, lambda: sync_once(self.bot.engine, self.stopping.is_set)
            )
        except NewsdeskError as exc:
            log.warning("scheduled sync failed: %s", exc)
            return None
        except Exception:
            log.exception("scheduled sync failed")
            return None
        finally:
            self.running = None
        if report is not None:
            self.last_build = (report, time.time())
            self.bot.dispatch("index_updated")
        return report

    def roots(self) -> list[Path]:
        """Where /reindex may read: bot.reindex_roots, else only the registered sources."""
        config = self.bot.config
        if config.bot.reindex_roots:
            return [Path(r).expanduser() for r in config.bot.reindex_roots]
        return [Path(p) for p in self.bot.engine.inputs()]

    @app_commands.command(name="reindex", description="Admins: update the index from the sources")
    @app_commands.describe(source="Also index this file or folder (inside the allowed roots)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction, source: str | None = None) -> None:
        if not is_admin(interaction, self.bot.config.bot.admin_roles):
            log.warning("refused /reindex in guild %s: not an admin", interaction.guild_id)
            await tell(interaction, NOT_ADMIN)
            return
        extra = None
        if source and source.strip():
            try:
                extra = resolve_source(source, self.roots())
            except SourceError as exc:
                await tell(interaction, render.inert(str(exc)))
                return
        if self.running is not None:
            what = "A sync" if self.running == SCHEDULED else "A reindex"
            await tell(
                interaction,
                f"{what} is already running (started by {self.running}). "
                "Try again when it has finished.",
            )
            return
        self.running = f"<@{interaction.user.id}> <t:{int(time.time())}:R>"
        try:
            await self._reindex(interaction, [extra] if extra else [])
        finally:
            self.running = None

    @app_commands.command(name="status", description="Admins: the index, the model, the sources")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction) -> None:
        if not is_admin(interaction, self.bot.config.bot.admin_roles):
            await tell(interaction, NOT_ADMIN)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await self.bot.blocking(self._status)
        await interaction.edit_original_response(
            embed=render.status_embed(info), allowed_mentions=NO_MENTIONS
        )

    def _status(self) -> render.Status:
        """Gathered in a worker thread: it reads the index and looks at the sources."""
        engine = self.bot.engine
        rows = engine.articles()
        paths = [a.path for a in rows]
        # The newest of this bot's own last /reindex (which may have changed nothing, so
        # committed nothing) and the last build any process committed (the CLI, watch).
        builds = [b for b in (self.last_build, engine.last_build()) if b is not None]
        report, at = max(builds, key=lambda b: b[1]) if builds else (None, 0.0)
        skipped = [p for p, _ in report.skipped] if report else []
        synced = {s.location: s for s in engine.web_sources()}
        sources = [
            (url_name(loc), url_health(synced[loc]))
            if loc in synced
            else (PurePath(loc).name or loc, source_health(loc, paths, skipped))
            for loc in engine.inputs()
        ]
        e, m = engine.embedder, engine.config.model
        model = PurePath(m.name).name if m.name else "all-MiniLM-L6-v2 (shipped)"
        model += f" · {e.backend} · {e.device}"
        if m.reranker:
            model += f" · reranker {PurePath(m.reranker).name}"
        return render.Status(
            articles=len(rows),
            passages=sum(a.passages for a in rows),
            generation=engine.generation,
            model=model,
            uptime=time.monotonic() - self.bot.started,
            sources=sources,
            last_build=report,
            last_build_at=at,
        )

    async def _reindex(self, interaction: discord.Interaction, add: list[Path]) -> None:
        sources = [*map(Path, self.bot.engine.inputs()), *add]
        what = ", ".join(dict.fromkeys(p.name or str(p) for p in sources))
        started = time.monotonic()
        await interaction.response.send_message(
            render.progress_text("starting", 0, 0, 0), allowed_mentions=NO_MENTIONS
        )
        log.info("reindex in guild %s: %s", interaction.guild_id, ", ".join(map(str, sources)))
        message = ReindexMessage(interaction)
        box = ProgressBox()
        editor = asyncio.ensure_future(self._show_progress(message, box, started))
        loop = asyncio.get_running_loop()
        report: BuildReport | None = None
        error = ""
        try:
            report = await loop.run_in_executor(
                self.bot.build_pool, lambda: self.bot.engine.build(add, progress=box)
            )
        except BuildLockedError:
            error = "Another build (from the command line, perhaps) is running. Try again later."
        except NewsdeskError as exc:  # a missing source, say: named, but never its path
            log.warning("reindex failed: %s", exc)
            error = f"Reindex failed: {render.inert(render.without_paths(str(exc)))}"
        except Exception:
            log.exception("reindex failed")
            error = (
                "Reindex failed; the error was logged. The bot still answers from the old index."
            )
        finally:
            editor.cancel()
            await asyncio.gather(editor, return_exceptions=True)
        if report is not None:
            log.info("reindex done: %s", report.as_dict())
            self.last_build = (report, time.time())
            self.bot.dispatch("index_updated")
            await message.finish("", render.report_embed(report, what))
        else:
            await message.finish(render.clip(error, render.MAX_CONTENT))

    async def _show_progress(
        self, message: ReindexMessage, box: ProgressBox, started: float
    ) -> None:
        """Edit the message with the newest progress, at most once per interval, until
        its token nears its end."""
        interval = max(0.2, self.bot.config.bot.progress_interval_seconds)
        shown = 0
        while True:
            await asyncio.sleep(interval)
            if not message.editable:
                await message.hand_over()
                return
            if box.version == shown:
                continue
            shown = box.version
            stage, done, total = box.value
            await message.edit(render.progress_text(stage, done, total, time.monotonic() - started))


TOKEN_MARGIN = 60.0  # seconds before an interaction token dies that /reindex stops using it
HANDOVER = "🕓 This reindex is taking a while: its result will be posted in this channel."


class ReindexMessage:
    """The /reindex message, edited through the interaction's token while that lives
    (15 minutes); after that the result is posted in the channel instead."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        left = (interaction.expires_at - discord.utils.utcnow()).total_seconds()
        self._until = time.monotonic() + left - TOKEN_MARGIN
        self.handed_over = False

    @property
    def editable(self) -> bool:
        return time.monotonic() < self._until

    async def edit(self, content: str, embed: discord.Embed | None = None) -> bool:
        try:
            await self.interaction.edit_original_response(
                content=content or None, embed=embed, allowed_mentions=NO_MENTIONS
            )
            return True
        except discord.HTTPException as exc:
            log.info("could not edit the reindex message: %s", exc)
            return False

    async def hand_over(self) -> None:
        """Say, while the token still works, that the result will come in the channel."""
        if not self.handed_over:
            self.handed_over = True
            await self.edit(HANDOVER)

    async def finish(self, content: str, embed: discord.Embed | None = None) -> None:
        if self.editable and await self.edit(content, embed):
            return
        await self.hand_over()
        channel = self.interaction.channel
        if isinstance(channel, discord.abc.Messageable):
            kwargs = {"embed": embed} if embed else {}
            try:
                await channel.send(content or None, allowed_mentions=NO_MENTIONS, **kwargs)
            except discord.HTTPException as exc:
                log.warning("could not post the reindex result: %s", exc)


async def setup(bot: NewsdeskBot) -> None:
    await bot.add_cog(AdminCog(bot))
