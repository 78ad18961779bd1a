"""Test-side helpers that play a user: slash commands, clicks, selects, autocomplete, mentions."""

from __future__ import annotations

import copy
import time
import uuid
from typing import TYPE_CHECKING, Any

from .payloads import FakeGuild, FakeMember, message_payload, snowflake, snowflake_at
from .records import Event, FakeDiscordError, InteractionRecord, MessageRecord, Record

if TYPE_CHECKING:
    from .server import FakeDiscord

MESSAGE_CONTENT_INTENT = 1 << 15
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, NUMBER = 3, 4, 5, 6, 7, 8, 10


class InjectMixin:
    """Event injection; mixed into FakeDiscord. Each helper returns a record to await."""

    # -- interactions --------------------------------------------------------------------

    def _interaction_payload(
        self: FakeDiscord,
        itype: int,
        member: FakeMember | None,
        channel: int | None,
        *,
        sent_at: float | None = None,
    ) -> dict[str, Any]:
        member = member or self.member
        channel_id = channel or self.channel_id
        guild = self.guild_of_channel(channel_id)
        if guild is None:
            raise FakeDiscordError(f"unknown channel {channel_id}")
        if member.id not in guild.members:
            raise FakeDiscordError(f"{member.name} is not a member of {guild.name}")
        # An interaction's id carries the time it was made; its token dies 15 minutes later.
        iid = snowflake() if sent_at is None else snowflake_at(sent_at)
        gid = str(guild.id)
        return {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "token": f"itok-{iid}-{uuid.uuid4().hex}",
            "version": 1,
            "guild_id": gid,
            "guild": {"id": gid, "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": guild.channel(channel_id),
            "member": guild.interaction_member(member),
            "app_permissions": str(guild.permissions_of(guild.members[self.bot_id])),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": gid},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }

    async def _send_interaction(self: FakeDiscord, payload: dict[str, Any]) -> InteractionRecord:
        await self.wait_connected()
        rec = InteractionRecord(self, payload)
        self.interactions[rec.id] = rec
        rec.sent_at = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", payload)
        return rec

    def _command_data(
        self: FakeDiscord,
        name: str,
        options: dict[str, Any],
        member: FakeMember,
        force: bool,
        focused: str | None = None,
        guild: FakeGuild | None = None,
    ) -> dict[str, Any]:
        guild = guild or self.guild
        words = name.lstrip("/").split()
        cmd = self.command(words[0], guild_id=guild.id)
        if cmd is None:
            synced = sorted(self.global_commands) + sorted(self.guild_commands.get(guild.id, {}))
            raise FakeDiscordError(f"/{words[0]} was never synced (synced: {synced})")
        required = cmd.get("default_member_permissions")
        if required is not None and not force:
            have = guild.permissions_of(member)
            if have & int(required) != int(required):
                raise FakeDiscordError(
                    f"{member.name} lacks default_member_permissions={required} for /{name}: "
                    "Discord would not show them the command (pass force=True to send anyway)"
                )
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": []}
        if "guild_id" in cmd:  # a guild command; a global one carries no guild_id
            data["guild_id"] = cmd["guild_id"]
        container, schema = data["options"], cmd.get("options") or []
        for word in words[1:]:
            spec = next((o for o in schema if o["name"] == word and o["type"] in (1, 2)), None)
            if spec is None:
                raise FakeDiscordError(f"/{name}: no subcommand {word!r}")
            node: dict[str, Any] = {"name": word, "type": spec["type"], "options": []}
            container.append(node)
            container, schema = node["options"], spec.get("options") or []
        if any(o["type"] in (1, 2) for o in schema):
            raise FakeDiscordError(f"/{name} needs a subcommand")
        resolved: dict[str, dict[str, Any]] = {}
        container.extend(self._options(name, schema, options, resolved, focused, guild))
        if resolved:
            data["resolved"] = resolved
        return data

    def _options(
        self: FakeDiscord,
        name: str,
        schema: list[dict[str, Any]],
        given: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        focused: str | None,
        guild: FakeGuild,
    ) -> list[dict[str, Any]]:
        specs = {o["name"]: o for o in schema}
        unknown = set(given) - set(specs)
        if unknown:
            raise FakeDiscordError(f"/{name}: unknown options {sorted(unknown)}")
        missing = [o["name"] for o in schema if o.get("required") and o["name"] not in given]
        if missing and focused is None:
            raise FakeDiscordError(f"/{name}: missing required options {missing}")
        out = []
        for key, value in given.items():
            spec = specs[key]
            item: dict[str, Any] = {"name": key, "type": spec["type"]}
            if key == focused:
                item.update(value=str(value), focused=True)
            else:
                item["value"] = self._option_value(name, spec, value, resolved, guild)
            out.append(item)
        return out

    def _option_value(
        self: FakeDiscord,
        name: str,
        spec: dict[str, Any],
        value: Any,
        resolved: dict,
        guild: FakeGuild,
    ) -> Any:
        kind, where = spec["type"], f"/{name} {spec['name']}"
        if kind == STRING:
            if not isinstance(value, str):
                raise FakeDiscordError(f"{where}: expected a string, got {value!r}")
            if not spec.get("min_length", 0) <= len(value) <= spec.get("max_length", 6000):
                raise FakeDiscordError(f"{where}: length {len(value)} outside the allowed range")
        elif kind in (INTEGER, NUMBER):
            ok_types = (int,) if kind == INTEGER else (int, float)
            if isinstance(value, bool) or not isinstance(value, ok_types):
                raise FakeDiscordError(f"{where}: expected a number, got {value!r}")
            low, high = spec.get("min_value"), spec.get("max_value")
            if (low is not None and value < low) or (high is not None and value > high):
                raise FakeDiscordError(f"{where}: {value} outside [{low}, {high}]")
        elif kind == BOOLEAN:
            if not isinstance(value, bool):
                raise FakeDiscordError(f"{where}: expected a bool, got {value!r}")
        elif kind == USER:
            member = value if isinstance(value, FakeMember) else guild.members.get(int(value))
            if member is None:
                raise FakeDiscordError(f"{where}: unknown member {value!r}")
            resolved.setdefault("users", {})[str(member.id)] = member.user
            resolved.setdefault("members", {})[str(member.id)] = guild.interaction_member(member)
            value = str(member.id)
        elif kind == CHANNEL:
            if int(value) not in guild.channels:
                raise FakeDiscordError(f"{where}: unknown channel {value!r}")
            resolved.setdefault("channels", {})[str(value)] = guild.channels[int(value)]
            value = str(value)
        elif kind == ROLE:
            if int(value) not in guild.roles:
                raise FakeDiscordError(f"{where}: unknown role {value!r}")
            resolved.setdefault("roles", {})[str(value)] = guild.roles[int(value)]
            value = str(value)
        else:
            raise FakeDiscordError(f"{where}: option type {kind} is not supported by the fake")
        choices = [c["value"] for c in spec.get("choices") or []]
        if choices and value not in choices:
            raise FakeDiscordError(f"{where}: {value!r} is not one of the choices {choices}")
        return value

    async def slash(
        self: FakeDiscord,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        member: FakeMember | None = None,
        channel: int | None = None,
        force: bool = False,
        guild: FakeGuild | None = None,
        sent_at: float | None = None,
    ) -> InteractionRecord:
        """Invoke a synced slash command (``"group sub"`` for subcommands) as ``member``,
        in ``guild`` (its first channel unless ``channel``; default the main guild).

        ``sent_at`` (a time.time() value in the past) makes an interaction Discord created
        that long ago, so its token expires sooner: tests of the 15-minute token lifetime.
        """
        member = member or self.member
        if guild is not None and channel is None:
            channel = guild.first_channel
        payload = self._interaction_payload(2, member, channel, sent_at=sent_at)
        guild = self.guild_of_channel(int(payload["channel_id"]))
        payload["data"] = self._command_data(name, options or {}, member, force, guild=guild)
        return await self._send_interaction(payload)

    async def autocomplete(
        self: FakeDiscord,
        name: str,
        options: dict[str, Any],
        focused: str,
        *,
        member: FakeMember | None = None,
        guild: FakeGuild | None = None,
    ) -> InteractionRecord:
        """Autocomplete for option ``focused`` (its partial text in ``options``)."""
        member = member or self.member
        payload = self._interaction_payload(4, member, guild.first_channel if guild else None)
        payload["data"] = self._command_data(name, options, member, False, focused, guild)
        return await self._send_interaction(payload)

    def _resolve_message(self: FakeDiscord, message: Any) -> dict[str, Any]:
        if isinstance(message, Record):
            message = message.message
        elif isinstance(message, Event):
            message = message.message_id
        mid = int(message["id"]) if isinstance(message, dict) else message
        stored = self.messages.get(int(mid)) if mid is not None else None
        if stored is None:
            raise FakeDiscordError(f"no stored message {mid!r}")
        return stored

    def _find_component(self: FakeDiscord, message: dict[str, Any], custom_id: str) -> dict:
        found = [c for row in message.get("components") or [] for c in row.get("components") or []]
        comp = next((c for c in found if c.get("custom_id") == custom_id), None)
        if comp is None:
            ids = [c.get("custom_id") for c in found]
            raise FakeDiscordError(f"no component {custom_id!r} on message (has {ids})")
        if comp.get("disabled"):
            raise FakeDiscordError(f"component {custom_id!r} is disabled: a user cannot use it")
        return comp

    async def click(
        self: FakeDiscord, message: Any, custom_id: str, *, member: FakeMember | None = None
    ) -> InteractionRecord:
        """Click the button ``custom_id`` on a stored message (dict, id, record or event)."""
        msg = self._resolve_message(message)
        if self._find_component(msg, custom_id).get("type") != 2:
            raise FakeDiscordError(f"{custom_id!r} is not a button; use select()")
        payload = self._interaction_payload(3, member, int(msg["channel_id"]))
        payload["message"] = copy.deepcopy(msg)
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        return await self._send_interaction(payload)

    async def select(
        self: FakeDiscord,
        message: Any,
        custom_id: str,
        values: list[str],
        *,
        member: FakeMember | None = None,
    ) -> InteractionRecord:
        """Pick ``values`` in the string select ``custom_id`` on a stored message."""
        msg = self._resolve_message(message)
        comp = self._find_component(msg, custom_id)
        allowed = [o["value"] for o in comp.get("options") or []]
        if comp.get("type") != 3 or not set(values) <= set(allowed):
            raise FakeDiscordError(f"{custom_id!r}: values {values} not among {allowed}")
        if not comp.get("min_values", 1) <= len(values) <= comp.get("max_values", 1):
            raise FakeDiscordError(f"{custom_id!r}: {len(values)} values outside min/max")
        payload = self._interaction_payload(3, member, int(msg["channel_id"]))
        payload["message"] = copy.deepcopy(msg)
        payload["data"] = {"custom_id": custom_id, "component_type": 3, "values": values}
        return await self._send_interaction(payload)

    # -- messages ------------------------------------------------------------------------

    async def message(
        self: FakeDiscord,
        content: str,
        *,
        member: FakeMember | None = None,
        channel: int | None = None,
        queue: bool = False,
        reply_to: Any = None,
        ping: bool = True,
    ) -> MessageRecord:
        """A user message (MESSAGE_CREATE). Without the message_content intent, Discord blanks
        the content unless the bot is mentioned; so does the fake. ``queue=True`` while the
        gateway is down leaves it for the replay after RESUME.

        ``reply_to`` (a stored message, id, record or event) makes it a reply; a reply to the
        bot that pings (``ping``, the Discord client's default) mentions the bot, as on
        Discord, even when the text holds no mention.
        """
        member = member or self.member
        referenced = self._resolve_message(reply_to) if reply_to is not None else None
        channel_id = channel or (int(referenced["channel_id"]) if referenced else self.channel_id)
        guild = self.guild_of_channel(channel_id)
        if guild is None:
            raise FakeDiscordError(f"unknown channel {channel_id}")
        replied_to_bot = referenced is not None and referenced["author"]["id"] == str(self.bot_id)
        mentioned = (
            f"<@{self.bot_id}>" in content
            or f"<@!{self.bot_id}>" in content
            or (replied_to_bot and ping)
        )
        extra: dict[str, Any] = {}
        if referenced is not None:
            extra = {
                "message_type": 19,
                "message_reference": {
                    "type": 0,
                    "message_id": referenced["id"],
                    "channel_id": str(channel_id),
                    "guild_id": str(guild.id),
                },
                "referenced_message": copy.deepcopy(referenced),
            }
        bot_member = guild.members[self.bot_id]
        message = message_payload(
            channel_id=channel_id,
            guild_id=guild.id,
            author=member.user,
            member=member.payload(with_user=False),
            content=content,
            mentions=[{**self.bot_user, "member": bot_member.payload(with_user=False)}]
            if mentioned
            else [],
            **extra,
        )
        self.messages[int(message["id"])] = message
        rec = MessageRecord(self, message)
        self.message_records[rec.id] = rec
        sent = message
        if not mentioned and not self.intents & MESSAGE_CONTENT_INTENT:
            sent = {**message, "content": "", "embeds": [], "components": []}
        await self.dispatch("MESSAGE_CREATE", sent, queue=queue)
        return rec

    async def mention(
        self: FakeDiscord,
        question: str,
        *,
        member: FakeMember | None = None,
        channel: int | None = None,
        queue: bool = False,
    ) -> MessageRecord:
        """``"<@BOT> question"`` from ``member``; the record waits for the bot's reply."""
        content = f"<@{self.bot_id}> {question}"
        return await self.message(content, member=member, channel=channel, queue=queue)

    async def reply(
        self: FakeDiscord,
        to: Any,
        content: str,
        *,
        member: FakeMember | None = None,
        ping: bool = True,
    ) -> MessageRecord:
        """A reply to the stored message ``to`` (for example the bot's answer)."""
        return await self.message(content, member=member, reply_to=to, ping=ping)
