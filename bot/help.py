"""/help: what newsdesk does and how to ask it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from .render import help_embed
from .reply import NO_MENTIONS

if TYPE_CHECKING:
    from .app import NewsdeskBot


@app_commands.command(name="help", description="What newsdesk does and how to ask it")
async def help_command(interaction: discord.Interaction) -> None:
    bc = interaction.client.config.bot  # type: ignore[attr-defined]
    await interaction.response.send_message(
        embed=help_embed(bc.max_question_chars, bc.cooldown_seconds),
        ephemeral=True,
        allowed_mentions=NO_MENTIONS,
    )


async def setup(bot: NewsdeskBot) -> None:
    bot.tree.add_command(help_command)
