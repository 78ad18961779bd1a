"""What the bot did in answer to one injected event, in order, with ways to wait for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .payloads import FLAG_EPHEMERAL

if TYPE_CHECKING:
    from .server import FakeDiscord

# Interaction callback types that are a visible (or final) answer on their own.
FINAL_CALLBACKS = {4, 7, 8, 9}
DEFERRED_CALLBACKS = {5, 6}


class FakeDiscordError(Exception):
    """A test asked the fake for something Discord would not let a user do."""


@dataclass
class Event:
    """One request the bot made about a record.

    kind: "callback" (initial response), "followup", "edit", "delete", "message" (a channel
    message replying to a user message) or "webhook" (a refused webhook call). ``error`` is
    set when the fake rejected the request; ``message_id`` names the message it touched.
    """

    kind: str
    payload: dict[str, Any]
    callback_type: int | None = None
    message_id: int | None = None
    target: str | None = None
    error: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def data(self) -> dict[str, Any]:
        """The message-ish body: ``payload["data"]`` for callbacks, else the payload."""
        if self.kind == "callback":
            return self.payload.get("data") or {}
        return self.payload

    @property
    def content(self) -> str | None:
        return self.data.get("content")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data.get("components") or []

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self.data.get("allowed_mentions")

    @property
    def text(self) -> str:
        """Content plus every embed's title, description and fields, for loose assertions."""
        parts = [self.content or ""]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            for fld in embed.get("fields") or []:
                parts += [fld.get("name") or "", fld.get("value") or ""]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)


class Record:
    """Events in arrival order; ``wait_for`` / ``wait_final`` resolve as they come in."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.events: list[Event] = []
        self._waiters: list[tuple[Callable[[Record], Any], asyncio.Future[Any]]] = []

    def add(self, event: Event) -> None:
        self.events.append(event)
        for predicate, fut in list(self._waiters):
            if fut.done():
                continue
            try:
                result = predicate(self)
            except Exception as exc:
                fut.set_exception(exc)
                continue
            if result:
                fut.set_result(result)

    @property
    def final(self) -> Event | None:
        raise NotImplementedError

    async def wait_for(self, predicate: Callable[[Record], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate(record)`` is truthy and return its value."""
        result = predicate(self)
        if result:
            return result
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry = (predicate, fut)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout}s waiting on {self.describe()}") from None
        finally:
            self._waiters.remove(entry)

    async def wait_final(self, timeout: float = 5.0) -> Event:
        """The first visible, accepted answer (see subclasses for what counts)."""
        return await self.wait_for(lambda r: r.final, timeout)

    def describe(self) -> str:
        lines = [repr(self)]
        for ev in self.events:
            what = f"type {ev.callback_type}" if ev.callback_type is not None else ev.target or ""
            status = "ok" if ev.ok else f"REJECTED {ev.error}"
            lines.append(f"  {ev.kind} {what} {status}: {ev.content!r}")
        if self.fake.violations:
            lines.append(f"  violations so far: {self.fake.violations}")
        if self.fake.unhandled:
            lines.append(f"  unhandled requests: {self.fake.unhandled}")
        return "\n".join(lines)


class InteractionRecord(Record):
    """An INTERACTION_CREATE the fake sent, and every response, edit and follow-up to it."""

    def __init__(self, fake: FakeDiscord, payload: dict[str, Any]) -> None:
        super().__init__(fake)
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.sent_at = time.monotonic()
        self.acked_type: int | None = None
        self.response_message_id: int | None = None
        self.deferred_followup_pending = False
        # The message a component sits on; @original refers to it for component interactions.
        message = payload.get("message")
        self.component_message_id = int(message["id"]) if message else None

    def __repr__(self) -> str:
        data = self.payload.get("data") or {}
        label = data.get("name") or data.get("custom_id") or ""
        return f"<InteractionRecord type={self.type} {label!r} id={self.id}>"

    @property
    def original_message_id(self) -> int | None:
        return self.response_message_id or self.component_message_id

    @property
    def message(self) -> dict[str, Any] | None:
        """The current state of the @original message, if any."""
        mid = self.original_message_id
        return None if mid is None else self.fake.messages.get(mid)

    @property
    def callbacks(self) -> list[Event]:
        return [e for e in self.events if e.kind == "callback"]

    @property
    def followups(self) -> list[Event]:
        return [e for e in self.events if e.kind == "followup" and e.ok]

    @property
    def edits(self) -> list[Event]:
        return [e for e in self.events if e.kind == "edit" and e.ok]

    @property
    def final(self) -> Event | None:
        """A type 4/7/8/9 response, or, after a 5/6 deferral, the first edit or follow-up."""
        deferred = False
        for ev in self.events:
            if not ev.ok:
                continue
            if ev.kind == "callback" and ev.callback_type in FINAL_CALLBACKS:
                return ev
            if ev.kind == "callback" and ev.callback_type in DEFERRED_CALLBACKS:
                deferred = True
            elif deferred and (
                ev.kind == "followup" or (ev.kind, ev.target) == ("edit", "@original")
            ):
                return ev
        return None


class MessageRecord(Record):
    """A MESSAGE_CREATE the fake sent; final is the bot's channel message that replies to it.

    Later edits of that reply (PATCH channel message) are recorded as "edit" events.
    """

    def __init__(self, fake: FakeDiscord, message: dict[str, Any]) -> None:
        super().__init__(fake)
        self.payload = message
        self.id = int(message["id"])

    def __repr__(self) -> str:
        return f"<MessageRecord id={self.id} {self.payload['content']!r}>"

    @property
    def replies(self) -> list[Event]:
        return [e for e in self.events if e.kind == "message" and e.ok]

    @property
    def final(self) -> Event | None:
        replies = self.replies
        return replies[0] if replies else None

    @property
    def message(self) -> dict[str, Any] | None:
        """The current state of the bot's first reply."""
        final = self.final
        return None if final is None else self.fake.messages.get(final.message_id or 0)
