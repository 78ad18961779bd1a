"""Buttons: the Previous/Next paginator of /sources and the 👍/👎 feedback under answers.

Each view owns its buttons and its timeout; when it times out its buttons are disabled
on the message so nobody clicks a dead button.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

import discord

from index import IndexedArticle

from . import render
from .reply import NO_MENTIONS, tell

log = logging.getLogger(__name__)

FEEDBACK_ACK_SECONDS = 2.0  # how long a click waits for the vote to be stored


class TimeoutView(discord.ui.View):
    """A view that remembers its message and disables its buttons when it times out."""

    message: discord.Message | discord.InteractionMessage | discord.WebhookMessage | None = None

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is None:
            return
        try:
            await self.message.edit(view=self, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:  # deleted, or the interaction token expired
            log.debug("could not disable the buttons of a timed-out view: %s", exc)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item
    ) -> None:
        log.exception("button %r failed", getattr(item, "custom_id", item), exc_info=error)
        text = "Sorry, that didn't work. Please try again."
        with contextlib.suppress(discord.HTTPException):
            await tell(interaction, text)


class SourcesPaginator(TimeoutView):
    """Previous/Next through the article list; works for anyone until it times out."""

    def __init__(
        self,
        rows: Sequence[IndexedArticle],
        search: str = "",
        *,
        per_page: int = render.SOURCES_PER_PAGE,
        timeout: float | None = 300.0,
    ) -> None:
        super().__init__(timeout=timeout)
        self.rows = list(rows)
        self.search = search
        self.per_page = per_page
        self.page = 0
        self.pages = render.page_count(len(self.rows), per_page)
        self._sync_buttons()

    def embed(self) -> discord.Embed:
        return render.sources_page(self.rows, self.page, self.search, self.per_page)

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1
        self.position.label = f"{self.page + 1}/{self.pages}"

    async def _show(self, interaction: discord.Interaction, page: int) -> None:
        self.page = min(max(page, 0), self.pages - 1)
        self._sync_buttons()
        await interaction.response.edit_message(
            embed=self.embed(), view=self, allowed_mentions=NO_MENTIONS
        )

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.page - 1)

    @discord.ui.button(label="1/1", style=discord.ButtonStyle.secondary, disabled=True)
    async def position(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()  # disabled; never clicked

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.page + 1)


Vote = Callable[[int, int], Awaitable[None]]  # (user id, +1/-1)


class FeedbackView(TimeoutView):
    """👍/👎 under an answer; one vote per person (a changed mind replaces nothing: the
    first vote counts and a second click just says so)."""

    def __init__(self, on_vote: Vote, *, timeout: float | None = 300.0) -> None:
        super().__init__(timeout=timeout)
        self._on_vote = on_vote
        self.votes: dict[int, int] = {}
        self._pending: set[asyncio.Task] = set()

    async def _vote(self, interaction: discord.Interaction, vote: int) -> None:
        user = interaction.user.id
        if user in self.votes:
            await interaction.response.send_message(
                "You've already rated this answer — thanks!",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        self.votes[user] = vote
        task = asyncio.ensure_future(self._on_vote(user, vote))
        self._pending.add(task)
        task.add_done_callback(self._finished)
        # Store it if that is quick; never let a slow disk make the click time out.
        done, _ = await asyncio.wait({task}, timeout=FEEDBACK_ACK_SECONDS)
        failed = task in done and task.exception() is not None
        text = (
            "Sorry, I couldn't save that rating."
            if failed
            else "Thanks — noted." + (" Glad it helped." if vote > 0 else " I'll do better.")
        )
        if failed:
            self.votes.pop(user, None)
        await tell(interaction, text)

    def _finished(self, task: asyncio.Task) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("storing feedback failed", exc_info=task.exception())

    @discord.ui.button(emoji="👍", label="Helpful", style=discord.ButtonStyle.secondary)
    async def up(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._vote(interaction, +1)

    @discord.ui.button(emoji="👎", label="Not helpful", style=discord.ButtonStyle.secondary)
    async def down(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._vote(interaction, -1)
