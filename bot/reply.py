"""Sending that can never ping anyone: the one AllowedMentions, and ephemeral notices."""

from __future__ import annotations

import discord

NO_MENTIONS = discord.AllowedMentions.none()


async def tell(interaction: discord.Interaction, text: str) -> None:
    """A notice only the user sees: the first response, or a follow-up once one was sent."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
