"""/ask and questions asked by mentioning the bot: parse, check the limits, ask the engine
off the event loop, hand the answer to the renderer."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from index import Answer, NewsdeskError, QueryError, parse_iso_date

from . import render
from .conversation import Memory, follow_up_query, looks_like_question, prefer_context
from .limits import (
    BUSY_MESSAGE,
    NOT_SERVED,
    Admission,
    Busy,
    cooldown_message,
    question_problem,
)
from .reply import NO_MENTIONS, tell
from .views import FeedbackView

if TYPE_CHECKING:
    from .app import NewsdeskBot

log = logging.getLogger(__name__)

OUTLETS_MAX_AGE = 60.0  # seconds before the cached outlet list is refreshed in the background

MENTION_HINT = (
    "Ask me a question after the mention — for example *@newsdesk Who did Shoigu meet in "
    "Beijing?* — or use `/ask`. `/help` lists everything I can do."
)


def date_filters(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """ISO dates from the user's `since`/`until` (QueryError when unusable)."""
    since_iso = parse_iso_date(since, "since") if since and since.strip() else None
    until_iso = parse_iso_date(until, "until") if until and until.strip() else None
    if since_iso and until_iso and since_iso > until_iso:
        raise QueryError(f"since ({since_iso}) is after until ({until_iso})")
    return since_iso, until_iso


class AskCog(commands.Cog):
    """Answers questions: the /ask command and mentions of the bot."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot
        self.outlets: list[str] = []  # for the outlet filter and its autocomplete
        self._outlets_at = 0.0
        self._told_unserved: set[int] = set()  # servers (or DMs) told once they aren't served
        self.answered = Memory()  # answer message id -> what it searched for
        self.threads = Memory()  # thread id -> what the last answer there searched for

    async def cog_load(self) -> None:
        await self.refresh_outlets()

    # --- shared ------------------------------------------------------------------------

    async def _ask(
        self,
        question: str,
        *,
        outlets: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Answer:
        return await self.bot.blocking(
            self.bot.engine.ask, question, outlets=outlets, since=since, until=until
        )

    async def _answer(
        self, question: str, previous: str | None, **filters: object
    ) -> tuple[Answer, str, str]:
        """(answer, what was searched for, the context used or ""). A follow-up is also
        searched with the conversation's previous question, and that answer is taken
        when it is clearly more relevant (conversation.prefer_context)."""
        if not previous:
            return await self._ask(question, **filters), question, ""
        query = follow_up_query(previous, question)
        alone, with_context = await asyncio.gather(
            self._ask(question, **filters), self._ask(query, **filters)
        )
        if prefer_context(alone, with_context):
            return dataclasses.replace(with_context, question=question), query, previous
        return alone, question, ""

    def _remember(
        self, message: discord.abc.Snowflake | None, channel: object, searched: str
    ) -> None:
        """What an answer searched for, under its message and, in a thread, the thread."""
        if message is not None:
            self.answered.remember(message.id, searched)
        if isinstance(channel, discord.Thread):
            self.threads.remember(channel.id, searched)

    def _previous(self, channel: object, replied: str | None = None) -> str | None:
        """The conversation a question continues: the answer it replies to, else the last
        answer in its thread."""
        if replied is None and isinstance(channel, discord.Thread):
            return self.threads.get(channel.id)
        return replied

    def _reply_parts(
        self, answer: Answer, context: str = ""
    ) -> tuple[str, list[discord.Embed], FeedbackView]:
        ids = [h.passage_id for h in answer.hits]

        async def on_vote(user_id: int, vote: int) -> None:
            await self.bot.blocking(
                self.bot.engine.record_feedback, answer.question, ids, user_id, vote
            )

        view = FeedbackView(on_vote, timeout=self.bot.config.bot.view_timeout_seconds or None)
        min_score = self.bot.engine.config.search.min_score
        content = render.answer_content(answer, min_score, context=context)
        return content, render.answer_embeds(answer), view

    async def _admit(
        self, user: int, say: Callable[[str], Awaitable[object]], *, warn_once: bool = False
    ) -> Admission | None:
        """Cooldown, then the gate: the admission, or None once `say` has told why not.

        `warn_once`: a cooled-down member hears about it once, not on every message.
        """
        wait = self.bot.cooldown.remaining(user)
        if wait:
            if not warn_once or self.bot.cooldown.first_warning(user):
                await say(cooldown_message(wait))
            return None
        try:
            admission = self.bot.gate.admit()
        except Busy:
            await say(BUSY_MESSAGE)
            return None
        self.bot.cooldown.record(user)
        return admission

    # --- outlets -------------------------------------------------------------------------

    async def refresh_outlets(self) -> None:
        try:
            self.outlets = await self.bot.blocking(self.bot.engine.outlets)
            self._outlets_at = time.monotonic()
        except NewsdeskError as exc:
            log.warning("could not list outlets: %s", exc)

    @commands.Cog.listener()
    async def on_index_updated(self) -> None:
        """A reindex finished: the outlets may have changed."""
        await self.refresh_outlets()

    def known_outlet(self, name: str) -> str | None:
        """The outlet's indexed spelling, from a cache refreshed in the background."""
        if time.monotonic() - self._outlets_at > OUTLETS_MAX_AGE:
            self._outlets_at = time.monotonic()
            self.bot.spawn(self.refresh_outlets())
        lowered = name.strip().lower()
        return next((o for o in self.outlets if o.lower() == lowered), None)

    def _outlets(self, outlet: str | None) -> list[str] | None:
        if not outlet or not outlet.strip():
            return None
        known = self.known_outlet(outlet)
        if known is None:
            names = ", ".join(sorted(self.outlets)) or "none indexed yet"
            raise QueryError(f"unknown outlet {outlet.strip()!r}; known outlets: {names}")
        return [known]

    # --- /ask ----------------------------------------------------------------------------

    @app_commands.command(name="ask", description="Answer a question by quoting the coverage")
    @app_commands.describe(
        question="What you want to know",
        outlet="Only articles from this outlet",
        since="Only articles published on or after this date (YYYY-MM-DD)",
        until="Only articles published on or before this date (YYYY-MM-DD)",
        private="Show the answer only to you",
    )
    async def ask(
        self,
        interaction: discord.Interaction,
        question: str,
        outlet: str | None = None,
        since: str | None = None,
        until: str | None = None,
        private: bool = False,
    ) -> None:
        bc = self.bot.config.bot
        question = render.clean_question(question)
        problem = question_problem(question, bc.max_question_chars)
        if problem:
            await tell(interaction, problem)
            return
        try:
            outlets = self._outlets(outlet)
            since_iso, until_iso = date_filters(since, until)
        except QueryError as exc:
            await tell(interaction, render.error_text(exc))
            return
        admission = await self._admit(interaction.user.id, lambda text: tell(interaction, text))
        if admission is None:
            return
        with admission:
            await interaction.response.defer(thinking=True, ephemeral=private)
            previous = self._previous(interaction.channel)
            try:
                async with admission.turn():
                    answer, searched, context = await self._answer(
                        question, previous, outlets=outlets, since=since_iso, until=until_iso
                    )
            except NewsdeskError as exc:
                log.info("/ask not answered: %s", exc)
                await _tell_after_defer(interaction, render.error_text(exc), public=not private)
                return
        content, embeds, view = self._reply_parts(answer, context)
        view.message = await interaction.edit_original_response(
            content=content, embeds=embeds, view=view, allowed_mentions=NO_MENTIONS
        )
        self._remember(view.message, interaction.channel, searched)

    @ask.autocomplete("outlet")
    async def outlet_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        current = current.strip().lower()
        names = [o for o in self.outlets if current in o.lower()]
        return [app_commands.Choice(name=o[:100], value=o[:100]) for o in names[:25]]

    # --- mentions ----------------------------------------------------------------------------

    def _mentions_me(self, message: discord.Message) -> bool:
        me = self.bot.user
        if me is None:
            return False
        if any(u.id == me.id for u in message.mentions):
            return True
        role = message.guild.self_role if message.guild else None
        return role is not None and role in message.role_mentions

    @commands.Cog.listener("on_message")
    async def on_mention(self, message: discord.Message) -> None:
        """A message that mentions the bot is a question; the answer is a reply to it."""
        if message.author.bot or message.webhook_id or not self._mentions_me(message):
            return
        where = message.guild.id if message.guild else None
        if not self.bot.serves(where):
            key = where or message.channel.id
            if key not in self._told_unserved:
                self._told_unserved.add(key)
                await _reply(message, NOT_SERVED)
            await self.bot.leave_if_unserved(message.guild)
            return
        question = render.clean_question(message.content)
        replied = self._replied_answer(message)
        if replied is not None and not looks_like_question(question):
            return  # "thanks!" under an answer asks nothing
        if not question:  # a bare mention asks nothing: it uses up no cooldown
            await _reply(message, MENTION_HINT)
            return
        problem = question_problem(question, self.bot.config.bot.max_question_chars)
        if problem:
            await _reply(message, problem)
            return
        say = functools.partial(_reply, message)
        admission = await self._admit(message.author.id, say, warn_once=True)
        if admission is None:
            return
        previous = self._previous(message.channel, replied)
        with admission:
            try:
                async with message.channel.typing(), admission.turn():
                    answer, searched, context = await self._answer(question, previous)
            except NewsdeskError as exc:
                log.info("mention not answered: %s", exc)
                await _reply(message, render.error_text(exc))
                return
        content, embeds, view = self._reply_parts(answer, context)
        view.message = await _reply(message, content, embeds=embeds, view=view)
        self._remember(view.message, message.channel, searched)

    def _replied_answer(self, message: discord.Message) -> str | None:
        """What the bot's answer that `message` replies to searched for, if it does."""
        ref = message.reference
        return self.answered.get(ref.message_id) if ref is not None else None


async def _tell_after_defer(interaction: discord.Interaction, text: str, *, public: bool) -> None:
    """A notice only the asker sees, even after a public "thinking" defer: the public
    placeholder is deleted and the notice follows privately."""
    if public:
        await interaction.delete_original_response()
        await tell(interaction, text)
    else:
        await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)


async def _reply(
    message: discord.Message,
    content: str,
    *,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
) -> discord.Message | None:
    """Reply without pinging anyone; still posts if the question was deleted meanwhile."""
    kwargs: dict = {}
    if embeds:
        kwargs["embeds"] = embeds
    if view is not None:
        kwargs["view"] = view
    try:
        return await message.channel.send(
            content,
            reference=message.to_reference(fail_if_not_exists=False),
            mention_author=False,
            allowed_mentions=NO_MENTIONS,
            **kwargs,
        )
    except discord.Forbidden:
        log.warning("no permission to reply in channel %s", message.channel.id)
    return None


async def setup(bot: NewsdeskBot) -> None:
    cog = AskCog(bot)
    # Discord itself then refuses a longer question in /ask (6,000 is its own cap). The
    # parameter is shared with the class, so this cog gets its own copy.
    limit = bot.config.bot.max_question_chars
    params = cog.ask._params
    params["question"] = dataclasses.replace(
        params["question"], max_value=min(limit, 6000) if limit else 6000
    )
    await bot.add_cog(cog)
