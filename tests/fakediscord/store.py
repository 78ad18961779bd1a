"""The message store: every message the bot wrote, in its current state, plus a history."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .payloads import FLAG_LOADING, attachment_payloads, message_payload, now_iso

if TYPE_CHECKING:
    from .server import FakeDiscord

EDITABLE_KEYS = ("content", "embeds", "components", "attachments", "poll")
SUPPRESS_EMBEDS = 1 << 2


class MessageStoreMixin:
    """Creating and editing stored messages; mixed into FakeDiscord.

    ``messages`` maps id to the current message object; ``message_log`` holds
    ``(action, snapshot)`` pairs in order (create, edit, delete, reaction ...).
    """

    def log_message(self: FakeDiscord, action: str, message: dict[str, Any]) -> None:
        self.message_log.append((action, copy.deepcopy(message)))

    def new_bot_message(
        self: FakeDiscord, channel_id: int, payload: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        """Store and return a message the bot authored, built from a create payload."""
        guild = self.guild_of_channel(channel_id) or self.guild
        message = message_payload(
            channel_id=channel_id,
            guild_id=guild.id,
            author=self.bot_user,
            member=guild.members[self.bot_id].payload(with_user=False),
            content=payload.get("content") or "",
            embeds=[{"type": "rich", **e} for e in payload.get("embeds") or []],
            components=payload.get("components") or [],
            flags=int(payload.get("flags") or 0),
            attachments=attachment_payloads(payload.get("attachments")),
            **extra,
        )
        if "nonce" in payload:
            message["nonce"] = payload["nonce"]
        self.messages[int(message["id"])] = message
        self.log_message("create", message)
        return message

    def apply_edit(self: FakeDiscord, message: dict[str, Any], payload: dict[str, Any]) -> None:
        for key in EDITABLE_KEYS:
            if key in payload:
                value = payload[key]
                if key == "embeds":
                    value = [{"type": "rich", **e} for e in value or []]
                elif key == "attachments":
                    kept = {a["id"]: a for a in message.get("attachments") or []}
                    value = attachment_payloads(
                        [kept.get(str(a.get("id")), a) for a in value or []]
                    )
                message[key] = value if value is not None else ([] if key != "content" else "")
        if "flags" in payload and payload["flags"] is not None:
            message["flags"] = (message["flags"] & ~SUPPRESS_EMBEDS) | (
                int(payload["flags"]) & SUPPRESS_EMBEDS
            )
        message["flags"] &= ~FLAG_LOADING
        message["edited_timestamp"] = now_iso()
        self.log_message("edit", message)

    def bot_messages(self: FakeDiscord, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Every message the bot created (current state), oldest first."""
        return [
            m
            for m in self.messages.values()
            if m["author"]["id"] == self.bot_user["id"]
            and (channel_id is None or int(m["channel_id"]) == channel_id)
        ]
