"""Discord-shaped JSON builders: snowflakes, users, roles, members, channels, a guild, messages.

Pure data, no I/O. Shapes follow what discord.py 2.7 parses (required keys always present).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31

EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_APPLICATION_COMMANDS
)

# Message flags.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

_counter = itertools.count()
_last_id = 0


def snowflake() -> int:
    """A new, strictly increasing snowflake whose timestamp part is now."""
    global _last_id
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    _last_id = max(_last_id + 1, (ms << 22) | (next(_counter) & 0xFFF))
    return _last_id


def snowflake_at(seconds: float) -> int:
    """A unique snowflake whose timestamp part is `seconds` (a time.time() value)."""
    ms = int(seconds * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def snowflake_time(value: int) -> float:
    """The time.time() value a snowflake was made at."""
    return ((value >> 22) + DISCORD_EPOCH_MS) / 1000


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": None if bot else name,
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def role_payload(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def text_channel_payload(channel_id: int, guild_id: int, name: str, position: int) -> dict:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


@dataclass
class FakeMember:
    """A guild member as the fake knows it; `permissions` is computed from roles by the guild."""

    user: dict[str, Any]
    role_ids: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=now_iso)
    nick: str | None = None

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def name(self) -> str:
        return self.user["username"]

    def payload(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.role_ids],
            "joined_at": self.joined_at,
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user
        return data


@dataclass
class FakeGuild:
    """One guild: roles (including @everyone, whose id is the guild id), channels, members."""

    id: int
    name: str
    owner_id: int = 0
    roles: dict[int, dict[str, Any]] = field(default_factory=dict)
    channels: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    threads: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add_role(self, name: str, permissions: int) -> int:
        role_id = self.id if name == "@everyone" else snowflake()
        self.roles[role_id] = role_payload(role_id, name, permissions, len(self.roles))
        return role_id

    def add_channel(self, name: str) -> int:
        channel_id = snowflake()
        self.channels[channel_id] = text_channel_payload(
            channel_id, self.id, name, len(self.channels)
        )
        return channel_id

    def add_thread(self, name: str, parent_id: int, owner_id: int) -> int:
        """A public thread (type 11) in the text channel `parent_id`."""
        thread_id = snowflake()
        self.threads[thread_id] = {
            "id": str(thread_id), "type": 11, "guild_id": str(self.id),
            "parent_id": str(parent_id), "owner_id": str(owner_id), "name": name,
            "last_message_id": None, "rate_limit_per_user": 0, "message_count": 0,
            "member_count": 1, "total_message_sent": 0, "flags": 0,
            "thread_metadata": {
                "archived": False, "auto_archive_duration": 1440, "locked": False,
                "archive_timestamp": now_iso(), "create_timestamp": now_iso(),
            },
        }  # fmt: skip
        return thread_id

    def channel(self, channel_id: int) -> dict[str, Any] | None:
        """A text channel or thread of this guild."""
        return self.channels.get(channel_id) or self.threads.get(channel_id)

    @property
    def first_channel(self) -> int:
        return next(iter(self.channels))

    def permissions_of(self, member: FakeMember) -> int:
        """Guild-level permissions (no channel overwrites exist in the fake)."""
        if member.id == self.owner_id:
            return (1 << 53) - 1
        perms = int(self.roles[self.id]["permissions"])
        for role_id in member.role_ids:
            perms |= int(self.roles[role_id]["permissions"])
        return (1 << 53) - 1 if perms & ADMINISTRATOR else perms

    def interaction_member(self, member: FakeMember) -> dict[str, Any]:
        data = member.payload()
        data["permissions"] = str(self.permissions_of(member))
        return data

    def payload(self) -> dict[str, Any]:
        members = [m.payload() for m in self.members.values()]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": "us-east",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": list(self.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "joined_at": now_iso(),
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(members),
            "members": members,
            "channels": list(self.channels.values()),
            "threads": list(self.threads.values()),
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


def message_payload(
    *,
    channel_id: int,
    guild_id: int | None,
    author: dict[str, Any],
    content: str = "",
    member: dict[str, Any] | None = None,
    message_type: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """A full message object as the gateway and REST return it."""
    data: dict[str, Any] = {
        "id": str(snowflake()),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": [],
        "embeds": [],
        "reactions": [],
        "pinned": False,
        "type": message_type,
        "flags": 0,
        "components": [],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if member is not None:
        data["member"] = member
    data.update(extra)
    return data


def attachment_payloads(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Full attachment objects for the ``attachments`` a create/edit body lists."""
    out = []
    for item in items or []:
        if "url" in item:  # an existing attachment kept by an edit
            out.append(item)
            continue
        att_id = snowflake()
        url = f"https://cdn.fakediscord.invalid/attachments/{att_id}/{item.get('filename')}"
        out.append(
            {
                "id": str(att_id),
                "filename": item.get("filename") or "file",
                "description": item.get("description"),
                "size": 0,
                "url": url,
                "proxy_url": url,
                "content_type": None,
            }
        )
    return out
