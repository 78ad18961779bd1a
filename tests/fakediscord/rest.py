"""REST routes for the bot's own identity, command sync, channels and messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .checks import command_problems, message_problems
from .payloads import SEND_MESSAGES, VIEW_CHANNEL, FakeGuild, snowflake
from .records import Event
from .responses import error_response, json_response, no_content

if TYPE_CHECKING:
    from .server import FakeDiscord

API = "/api/v10"


class RestMixin:
    """REST handlers (not interactions or webhooks); mixed into FakeDiscord."""

    def _add_rest_routes(self: FakeDiscord, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{API}/users/@me", self._get_me)
        r.add_delete(API + "/users/@me/guilds/{gid:\\d+}", self._leave_guild)
        r.add_get(API + "/users/{user_id:\\d+}", self._get_user)
        r.add_get(f"{API}/oauth2/applications/@me", self._get_application)
        r.add_get(f"{API}/applications/@me", self._get_application)
        r.add_get(f"{API}/gateway", self._get_gateway)
        r.add_get(f"{API}/gateway/bot", self._get_gateway)
        for path in ("/applications/{app}/commands", "/applications/{app}/guilds/{gid}/commands"):
            r.add_get(API + path, self._get_commands)
            r.add_put(API + path, self._put_commands)
        r.add_get(API + "/guilds/{gid}", self._get_guild)
        r.add_get(API + "/guilds/{gid}/channels", self._get_guild_channels)
        r.add_get(API + "/guilds/{gid}/members/{uid:\\d+}", self._get_member)
        ch = API + "/channels/{cid:\\d+}"
        r.add_get(ch, self._get_channel)
        r.add_post(ch + "/typing", self._typing)
        r.add_post(ch + "/messages", self._post_message)
        r.add_get(ch + "/messages/{mid:\\d+}", self._get_message)
        r.add_patch(ch + "/messages/{mid:\\d+}", self._patch_message)
        r.add_delete(ch + "/messages/{mid:\\d+}", self._delete_message)
        for method in ("PUT", "POST", "DELETE"):
            r.add_route(method, ch + "/messages/{mid:\\d+}/reactions/{emoji}/@me", self._reaction)

    async def _typing(self: FakeDiscord, request: web.Request) -> web.Response:
        return no_content()

    # -- identity ----------------------------------------------------------------------

    async def _get_me(self: FakeDiscord, request: web.Request) -> web.Response:
        me = {**self.bot_user, "verified": True, "mfa_enabled": False, "email": None}
        return json_response(me)

    async def _get_user(self: FakeDiscord, request: web.Request) -> web.Response:
        uid = int(request.match_info["user_id"])
        member = next((g.members[uid] for g in self.guilds.values() if uid in g.members), None)
        if member is None:
            return error_response(404, 10013, "Unknown User")
        return json_response(member.user)

    async def _get_application(self: FakeDiscord, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(self.application_id),
                "name": self.bot_user["username"],
                "description": "newsdesk under test",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": self.owner.user,
                "verify_key": "0" * 64,
                "team": None,
                "flags": 0,
                "summary": "",
                "rpc_origins": [],
                "interactions_endpoint_url": None,
                "tags": [],
                "bot": self.bot_user,
            }
        )

    async def _get_gateway(self: FakeDiscord, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        body: dict[str, Any] = {"url": self.gateway_url.rstrip("/")}
        if request.path.endswith("/bot"):
            body.update(shards=1, session_start_limit=limit)
        return json_response(body)

    # -- application commands ----------------------------------------------------------

    def _command_store(self: FakeDiscord, request: web.Request) -> dict[str, dict] | None:
        if request.match_info["app"] != str(self.application_id):
            return None
        gid = request.match_info.get("gid")
        if gid is None:
            return self.global_commands
        if int(gid) not in self.guilds:
            return None
        return self.guild_commands.setdefault(int(gid), {})

    async def _get_commands(self: FakeDiscord, request: web.Request) -> web.Response:
        store = self._command_store(request)
        if store is None:
            self.violation(request, "unknown application or guild")
            return error_response(404, 10002, "Unknown Application")
        return json_response(list(store.values()))

    async def _put_commands(self: FakeDiscord, request: web.Request) -> web.Response:
        store = self._command_store(request)
        if store is None:
            self.violation(request, "unknown application or guild")
            return error_response(404, 10002, "Unknown Application")
        payload = await request.json()
        problems = command_problems(payload)
        if problems:
            return self.reject(request, problems)
        old = dict(store)
        store.clear()
        gid = request.match_info.get("gid")
        for cmd in payload:
            key = command_key(cmd.get("name", ""), cmd.get("type", 1))
            perms = cmd.get("default_member_permissions")
            stored = {
                "type": 1,
                "description": "",
                "options": [],
                "dm_permission": True,
                "nsfw": False,
                **cmd,
                "id": old[key]["id"] if key in old else str(snowflake()),
                "application_id": str(self.application_id),
                "version": str(snowflake()),
                "default_member_permissions": None if perms is None else str(perms),
            }
            if gid is not None:
                stored["guild_id"] = gid
            store[key] = stored
        self.sync_count += 1
        return json_response(list(store.values()))

    def command(
        self: FakeDiscord, name: str, command_type: int = 1, *, guild_id: int | None = None
    ) -> dict[str, Any] | None:
        """The synced command visible in the guild under ``name`` (guild ones first)."""
        key = command_key(name, command_type)
        guild_store = self.guild_commands.get(guild_id or self.guild.id, {})
        return guild_store.get(key) or self.global_commands.get(key)

    # -- guilds and channels -------------------------------------------------------------

    def _guild_of(self: FakeDiscord, request: web.Request) -> FakeGuild | None:
        return self.guilds.get(int(request.match_info["gid"]))

    async def _get_guild(self: FakeDiscord, request: web.Request) -> web.Response:
        guild = self._guild_of(request)
        if guild is None:
            return error_response(404, 10004, "Unknown Guild")
        data = guild.payload()
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            data.pop(key)
        return json_response(data)

    async def _get_guild_channels(self: FakeDiscord, request: web.Request) -> web.Response:
        guild = self._guild_of(request)
        if guild is None:
            return error_response(404, 10004, "Unknown Guild")
        return json_response(list(guild.channels.values()))

    async def _get_member(self: FakeDiscord, request: web.Request) -> web.Response:
        guild = self._guild_of(request)
        member = guild.members.get(int(request.match_info["uid"])) if guild else None
        if guild is None or member is None:
            code = (10004, "Unknown Guild") if guild is None else (10007, "Unknown Member")
            return error_response(404, *code)
        return json_response(member.payload())

    async def _leave_guild(self: FakeDiscord, request: web.Request) -> web.Response:
        """The bot leaves a server: Discord answers 204 and sends GUILD_DELETE."""
        guild = self._guild_of(request)
        if guild is None:
            return error_response(404, 10004, "Unknown Guild")
        if guild is self.guild:
            self.violation(request, "the bot left the fake's main guild")
        del self.guilds[guild.id]
        self.left_guilds.append(guild.id)
        if self.session is not None:
            self._queue_dispatch("GUILD_DELETE", {"id": str(guild.id), "unavailable": False})
        return no_content()

    async def _get_channel(self: FakeDiscord, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        guild = self.guild_of_channel(cid)
        if guild is None:
            return error_response(404, 10003, "Unknown Channel")
        return json_response(guild.channel(cid))

    # -- messages ------------------------------------------------------------------------

    def _channel_message(
        self: FakeDiscord, request: web.Request
    ) -> tuple[dict[str, Any] | None, web.Response | None]:
        cid = int(request.match_info["cid"])
        if self.guild_of_channel(cid) is None:
            return None, error_response(404, 10003, "Unknown Channel")
        message = self.messages.get(int(request.match_info["mid"]))
        if message is None or int(message["channel_id"]) != cid:
            return None, error_response(404, 10008, "Unknown Message")
        return message, None

    async def _post_message(self: FakeDiscord, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        guild = self.guild_of_channel(cid)
        if guild is None:
            return error_response(404, 10003, "Unknown Channel")
        needed = VIEW_CHANNEL | SEND_MESSAGES
        if guild.permissions_of(guild.members[self.bot_id]) & needed != needed:
            return error_response(403, 50013, "Missing Permissions")
        payload = await self.read_json(request)
        problems = message_problems(payload, creating=True)
        ref = payload.get("message_reference")
        referenced = self.messages.get(int(ref.get("message_id", 0))) if ref else None
        if ref and (referenced is None or int(referenced["channel_id"]) != cid):
            problems.append(("message_reference", "unknown message"))
        record = self.message_records.get(int(ref["message_id"])) if ref else None
        if problems:
            response = self.reject(request, problems)
            if record is not None:
                record.add(Event("message", payload, error=str(problems)))
            return response
        extra: dict[str, Any] = {}
        if referenced is not None:
            extra = {
                "type": 19,
                "message_reference": {
                    "type": 0,
                    "message_id": referenced["id"],
                    "channel_id": str(cid),
                    "guild_id": str(guild.id),
                },
                "referenced_message": referenced,
            }
        message = self.new_bot_message(cid, payload, **extra)
        if record is not None:
            self.message_records[int(message["id"])] = record
            record.add(Event("message", payload, message_id=int(message["id"])))
        return json_response(message)

    async def _get_message(self: FakeDiscord, request: web.Request) -> web.Response:
        message, error = self._channel_message(request)
        return error or json_response(message)

    async def _patch_message(self: FakeDiscord, request: web.Request) -> web.Response:
        limited = self.rate_limit(request)
        if limited is not None:
            return limited
        message, error = self._channel_message(request)
        if error is not None or message is None:
            return error or error_response(404, 10008, "Unknown Message")
        if message["author"]["id"] != self.bot_user["id"]:
            self.violation(request, "editing a message the bot did not write")
            return error_response(403, 50005, "Cannot edit a message authored by another user")
        payload = await self.read_json(request)
        problems = message_problems(payload, creating=False)
        record = self.message_records.get(int(message["id"]))
        if problems:
            if record is not None:
                record.add(Event("edit", payload, target=message["id"], error=str(problems)))
            return self.reject(request, problems)
        self.apply_edit(message, payload)
        if record is not None:
            record.add(Event("edit", payload, message_id=int(message["id"]), target=message["id"]))
        return json_response(message)

    async def _delete_message(self: FakeDiscord, request: web.Request) -> web.Response:
        message, error = self._channel_message(request)
        if error is not None or message is None:
            return error  # type: ignore[return-value]
        del self.messages[int(message["id"])]
        self.log_message("delete", message)
        return no_content()

    async def _reaction(self: FakeDiscord, request: web.Request) -> web.Response:
        _, error = self._channel_message(request)
        mid = int(request.match_info["mid"])
        if error is None:
            emoji = request.match_info["emoji"]
            self.log_message(f"reaction {request.method} {emoji}", self.messages[mid])
        return error or no_content()


def command_key(name: str, command_type: int = 1) -> str:
    return name if command_type == 1 else f"{command_type}:{name}"
