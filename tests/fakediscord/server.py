"""FakeDiscord: a strict local Discord (REST + gateway) for driving the real discord.py client.

The server runs on 127.0.0.1 in the test's event loop. ``install()`` points discord.py at it
through its two seams; ``stop()`` puts them back. Everything the fake rejects (limits,
allowed_mentions, late or double acknowledgements, ...) is also appended to ``violations``,
and every request it has no route for to ``unhandled``: tests assert both stay empty.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import discord
import yarl
from aiohttp import web

from .checks import Problem, form_error_body, format_problems
from .gateway import GatewayMixin
from .inject import InjectMixin
from .interactions import InteractionMixin
from .payloads import (
    EVERYONE_PERMISSIONS,
    MANAGE_GUILD,
    SEND_MESSAGES,
    FakeGuild,
    FakeMember,
    snowflake,
    user_payload,
)
from .records import InteractionRecord, Record
from .responses import error_response, json_response
from .rest import RestMixin
from .store import MessageStoreMixin

log = logging.getLogger(__name__)

API = "/api/v10"
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | SEND_MESSAGES


class FakeDiscord(GatewayMixin, RestMixin, InteractionMixin, InjectMixin, MessageStoreMixin):
    """One bot application, one guild with an admin, a member and a text channel (and more
    guilds with ``add_guild``, as other servers that invite the bot).

    Tunables (plain attributes): ``token`` (None accepts any), ``bad_tokens`` (answer 401 at
    login), ``ack_deadline`` (seconds, default 3), ``privileged_intents`` (bitmask the
    "developer portal" allows), ``rate_limit_patch_at`` (1-based PATCH numbers that get a 429).
    """

    def __init__(self, token: str | None = "fake-token", *, guild_name: str = "Newsroom") -> None:
        self._init_gateway()
        self.token = token
        self.bad_tokens: set[str] = set()
        self.ack_deadline = 3.0
        self.privileged_intents = 0
        self.rate_limit_patch_at: set[int] = set()
        self.rate_limit_retry_after = 0.05
        self.patch_count = 0
        self.rate_limited: list[str] = []

        self.application_id = snowflake()
        self.bot_user = user_payload(snowflake(), "newsdesk-test", bot=True)
        self.guilds: dict[int, FakeGuild] = {}
        self.left_guilds: list[int] = []
        self.guild = self._new_guild(guild_name, "news")
        self.admin_role_id = self.guild.add_role("Editors", MANAGE_GUILD)
        self.bot_role_id = next(r for r, v in self.guild.roles.items() if v["name"] == "newsdesk")
        self.channel_id = self.guild.first_channel
        self.bot_member = self.guild.members[self.bot_id]
        self.admin = self.make_member("editor", roles=[self.admin_role_id])
        self.member = self.make_member("reader")
        self.owner = self.make_member("owner")
        self.guild.owner_id = self.owner.id

        self.global_commands: dict[str, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[str, dict[str, Any]]] = {}
        self.sync_count = 0
        self.messages: dict[int, dict[str, Any]] = {}
        self.message_log: list[tuple[str, dict[str, Any]]] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.message_records: dict[int, Record] = {}
        self.violations: list[str] = []
        self.unhandled: list[str] = []
        self.requests: list[tuple[str, str]] = []

        self._runner: web.AppRunner | None = None
        self._saved_seams: tuple[str, yarl.URL] | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._middleware])
        self._add_gateway_routes(app)
        self._add_rest_routes(app)
        self._add_interaction_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    def install(self) -> None:
        """Point discord.py's REST base and default gateway at this fake."""
        if self._saved_seams is None:
            self._saved_seams = (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            )
        discord.http.Route.BASE = f"{self.base_url}{API}"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    async def stop(self) -> None:
        if self._saved_seams is not None:
            base, gateway = self._saved_seams
            discord.http.Route.BASE = base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
            self._saved_seams = None
        await self._close_gateways()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        self.install()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    # -- people and places -------------------------------------------------------------

    def _new_guild(self, name: str, channel: str) -> FakeGuild:
        """A guild with @everyone, the bot (and its role) and one text channel."""
        guild = FakeGuild(id=snowflake(), name=name)
        guild.add_role("@everyone", EVERYONE_PERMISSIONS)
        bot_role = guild.add_role("newsdesk", BOT_PERMISSIONS)
        guild.add_channel(channel)
        self.guilds[guild.id] = guild
        self.add_member(self.bot_user, roles=[bot_role], guild=guild)
        return guild

    def add_guild(self, name: str) -> FakeGuild:
        """Another server that invited the bot (GUILD_CREATE reaches a connected bot): its
        first channel is ``guild.first_channel``; add people with ``make_member(guild=)``."""
        guild = self._new_guild(name, "general")
        if self.session is not None:  # a join: "unavailable" is absent (False: back online)
            payload = guild.payload()
            del payload["unavailable"]
            self._queue_dispatch("GUILD_CREATE", payload)
        return guild

    def guild_of_channel(self, channel_id: int) -> FakeGuild | None:
        """The guild a channel or thread belongs to."""
        return next((g for g in self.guilds.values() if g.channel(channel_id)), None)

    def make_thread(self, name: str, *, parent: int | None = None) -> int:
        """A public thread in ``parent`` (the main channel by default), started by the
        member; THREAD_CREATE reaches a connected bot."""
        guild = self.guild_of_channel(parent or self.channel_id) or self.guild
        thread_id = guild.add_thread(name, parent or self.channel_id, self.member.id)
        if self.session is not None:
            self._queue_dispatch(
                "THREAD_CREATE", {**guild.threads[thread_id], "newly_created": True}
            )
        return thread_id

    def add_member(
        self,
        user: dict[str, Any],
        roles: list[int] | None = None,
        *,
        guild: FakeGuild | None = None,
    ) -> FakeMember:
        member = FakeMember(user=user, role_ids=list(roles or []))
        (guild or self.guild).members[member.id] = member
        return member

    def make_member(
        self,
        name: str,
        *,
        roles: list[int] | None = None,
        permissions: int | None = None,
        guild: FakeGuild | None = None,
    ) -> FakeMember:
        """A new guild member; ``permissions`` gives them a fresh role with exactly those."""
        guild = guild or self.guild
        role_ids = list(roles or [])
        if permissions is not None:
            role_ids.append(guild.add_role(f"{name}-role", permissions))
        member = self.add_member(user_payload(snowflake(), name), role_ids, guild=guild)
        if self.session is not None and self.intents & (1 << 1):
            self._queue_dispatch(
                "GUILD_MEMBER_ADD", {**member.payload(), "guild_id": str(guild.id)}
            )
        return member

    def make_channel(self, name: str) -> int:
        channel_id = self.guild.add_channel(name)
        if self.session is not None:
            self._queue_dispatch("CHANNEL_CREATE", self.guild.channels[channel_id])
        return channel_id

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    # -- observations --------------------------------------------------------------------

    def clear_observations(self) -> None:
        """Forget violations, unhandled requests and the request log (between tests)."""
        self.violations.clear()
        self.unhandled.clear()
        self.requests.clear()
        self.rate_limited.clear()

    def violation(self, request: web.Request, what: str) -> None:
        path = re.sub(r"itok-[0-9a-f-]+", "<token>", request.path)
        text = f"{request.method} {path}: {what}"
        log.warning("fake discord violation: %s", text)
        self.violations.append(text)

    def reject(self, request: web.Request, problems: list[Problem]) -> web.Response:
        """Record the problems as a violation and answer 400 the way Discord does."""
        self.violation(request, format_problems(problems))
        if any(msg == "cannot send an empty message" for _, msg in problems):
            return error_response(400, 50006, "Cannot send an empty message")
        return json_response(form_error_body(problems), 400)

    # -- plumbing --------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        if request.path.startswith(API) and not self._is_token_route(request.path):
            denied = self._check_auth(request)
            if denied is not None:
                return denied
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status not in (404, 405):
                raise
            self.unhandled.append(f"{request.method} {request.path_qs}")
            log.warning("fake discord has no route for %s %s", request.method, request.path_qs)
            return error_response(404, 0, "404: Not Found")
        except Exception as exc:
            # Never answer 5xx: discord.py would retry five times with long sleeps.
            log.exception("fake discord failed on %s %s", request.method, request.path_qs)
            self.unhandled.append(f"{request.method} {request.path_qs}: fake crashed: {exc!r}")
            return error_response(400, 0, f"fake discord crashed: {exc!r}")

    @staticmethod
    def _is_token_route(path: str) -> bool:
        # Interaction callbacks and webhook-token routes carry no Authorization header.
        return path.startswith((f"{API}/interactions/", f"{API}/webhooks/"))

    def _check_auth(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        given = header.removeprefix("Bot ") if header.startswith("Bot ") else None
        if given is not None and given in self.bad_tokens:
            return error_response(401, 0, "401: Unauthorized")
        if given is None or (self.token is not None and given != self.token):
            self.violation(request, f"bad Authorization header {header[:12]!r}...")
            return error_response(401, 0, "401: Unauthorized")
        return None

    async def read_json(self, request: web.Request) -> dict[str, Any]:
        """The JSON body, or the ``payload_json`` part of a multipart body (file uploads)."""
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            payload = json.loads(str(form.get("payload_json") or "{}"))
            payload["_files"] = [k for k in form if k.startswith("files[")]
            return payload
        if not request.can_read_body:
            return {}
        return await request.json()

    def rate_limit(self, request: web.Request) -> web.Response | None:
        """A 429 (with retry_after and Via, as Discord sends) on configured PATCH numbers."""
        if request.method != "PATCH":
            return None
        self.patch_count += 1
        if self.patch_count not in self.rate_limit_patch_at:
            return None
        self.rate_limited.append(request.path)
        retry = self.rate_limit_retry_after
        body = {"message": "You are being rate limited.", "retry_after": retry, "global": False}
        headers = {
            "Via": "1.1 google",
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry),
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "user",
        }
        return json_response(body, 429, headers)

    async def settle(self, delay: float = 0.02) -> None:
        """Let in-flight requests land (for asserting that nothing more happened)."""
        await asyncio.sleep(delay)
