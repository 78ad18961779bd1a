"""/sources (the indexed articles, paged) and /source (one article's details)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from index import IndexedArticle

from . import render
from .reply import NO_MENTIONS
from .views import SourcesPaginator

if TYPE_CHECKING:
    from .app import NewsdeskBot


def matching(rows: Sequence[IndexedArticle], search: str) -> list[IndexedArticle]:
    """The articles whose title, outlet or link contains `search` (any case, every
    character literal); never matched against file paths."""
    wanted = search.casefold()
    return [r for r in rows if any(wanted in f.casefold() for f in (r.title, r.outlet, r.url))]


class SourcesCog(commands.Cog):
    """What the bot knows: the articles in the current index."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources", description="List the indexed articles")
    @app_commands.describe(search="Only articles whose title, outlet or link contains this")
    async def sources(self, interaction: discord.Interaction, search: str | None = None) -> None:
        search = " ".join((search or "").split())[:200]
        await interaction.response.defer(thinking=True)
        rows = matching(await self.bot.blocking(self.bot.engine.articles), search)
        view = SourcesPaginator(
            rows, search, timeout=self.bot.config.bot.view_timeout_seconds or None
        )
        if view.pages == 1:
            view.stop()
            await interaction.edit_original_response(
                embed=view.embed(), allowed_mentions=NO_MENTIONS
            )
            return
        view.message = await interaction.edit_original_response(
            embed=view.embed(), view=view, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="source", description="Details of one indexed article")
    @app_commands.describe(id="The article's number, as /sources and answers show it (#12)")
    async def source(
        self, interaction: discord.Interaction, id: app_commands.Range[int, 1, 2**53]
    ) -> None:
        await interaction.response.defer(thinking=True)
        article = await self.bot.blocking(self.bot.engine.article, id)
        if article is None:
            await interaction.edit_original_response(
                content=f"There is no article #{id} in the current index; `/sources` lists them.",
                allowed_mentions=NO_MENTIONS,
            )
            return
        await interaction.edit_original_response(
            embed=render.source_embed(article), allowed_mentions=NO_MENTIONS
        )


async def setup(bot: NewsdeskBot) -> None:
    await bot.add_cog(SourcesCog(bot))
