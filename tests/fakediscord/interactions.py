"""Interaction callbacks and the interaction webhook (follow-ups, @original edits)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .checks import Problem, message_problems
from .payloads import FLAG_EPHEMERAL, FLAG_LOADING, snowflake_time
from .records import Event, InteractionRecord
from .responses import error_response, json_response, no_content

if TYPE_CHECKING:
    from .server import FakeDiscord

API = "/api/v10"

TOKEN_LIFETIME = 15 * 60  # seconds an interaction token works for follow-ups and edits

# Which callback types Discord accepts for each interaction type.
ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


def _choice_problems(data: dict[str, Any]) -> list[Problem]:
    choices = data.get("choices")
    if not isinstance(choices, list):
        return [("data.choices", "this field is required")]
    problems: list[Problem] = []
    if len(choices) > 25:
        problems.append(("data.choices", f"must be 25 or fewer (got {len(choices)})"))
    for i, choice in enumerate(choices):
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            problems.append((f"data.choices.{i}.name", "must be 1 to 100 characters"))
        if isinstance(choice.get("value"), str) and len(choice["value"]) > 100:
            problems.append((f"data.choices.{i}.value", "must be 100 or fewer characters"))
    return problems


def _modal_problems(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if not 1 <= len(data.get("title") or "") <= 45:
        problems.append(("data.title", "must be 1 to 45 characters"))
    if not 1 <= len(data.get("custom_id") or "") <= 100:
        problems.append(("data.custom_id", "must be 1 to 100 characters"))
    if not 1 <= len(data.get("components") or []) <= 5:
        problems.append(("data.components", "must hold 1 to 5 components"))
    return problems


class InteractionMixin:
    """Callback and webhook handlers; mixed into FakeDiscord."""

    def _add_interaction_routes(self: FakeDiscord, app: web.Application) -> None:
        r = app.router
        r.add_post(API + "/interactions/{iid:\\d+}/{token}/callback", self._callback)
        hook = API + "/webhooks/{app:\\d+}/{token}"
        r.add_post(hook, self._followup)
        r.add_get(hook + "/messages/{mid}", self._get_hook_message)
        r.add_patch(hook + "/messages/{mid}", self._edit_hook_message)
        r.add_delete(hook + "/messages/{mid}", self._delete_hook_message)

    def _interaction_extra(self: FakeDiscord, rec: InteractionRecord) -> dict[str, Any]:
        """Fields Discord adds to messages created through an interaction."""
        user = rec.payload["member"]["user"]
        metadata = {
            "id": str(rec.id),
            "type": rec.type,
            "user": user,
            "authorizing_integration_owners": {"0": rec.payload["guild_id"]},
        }
        if rec.component_message_id is not None:
            metadata["interacted_message_id"] = str(rec.component_message_id)
        return {
            "type": 20 if rec.type == 2 else 0,
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": metadata,
        }

    def _channel_of(self: FakeDiscord, rec: InteractionRecord) -> int:
        return int(rec.payload["channel_id"])

    async def _callback(self: FakeDiscord, request: web.Request) -> web.Response:
        rec = self.interactions.get(int(request.match_info["iid"]))
        if not isinstance(rec, InteractionRecord) or rec.token != request.match_info["token"]:
            self.violation(request, "callback for an unknown interaction or wrong token")
            return error_response(404, 10062, "Unknown interaction")
        payload = await self.read_json(request)
        ctype = payload.get("type")
        late = time.monotonic() - rec.sent_at
        if rec.acked_type is not None:
            self.violation(request, f"second initial response (type {ctype}) to {rec!r}")
            rec.add(Event("callback", payload, callback_type=ctype, error="already acknowledged"))
            return error_response(400, 40060, "Interaction has already been acknowledged.")
        if late > self.ack_deadline:
            self.violation(request, f"slow ack: first response {late:.2f}s after {rec!r}")
            rec.add(Event("callback", payload, callback_type=ctype, error="slow ack"))
            return error_response(404, 10062, "Unknown interaction")
        data = payload.get("data") or {}
        problems: list[Problem] = []
        if ctype not in ALLOWED_CALLBACKS.get(rec.type, set()):
            problems.append(("type", f"callback type {ctype} invalid for interaction {rec.type}"))
        elif ctype in (4, 7):
            problems = message_problems(data, creating=ctype == 4)
        elif ctype == 8:
            problems = _choice_problems(data)
        elif ctype == 9:
            problems = _modal_problems(data)
        if problems:
            rec.add(Event("callback", payload, callback_type=ctype, error=str(problems)))
            return self.reject(request, problems)

        rec.acked_type = ctype
        message: dict[str, Any] | None = None
        if ctype == 4:
            message = self.new_bot_message(
                self._channel_of(rec), data, **self._interaction_extra(rec)
            )
            rec.response_message_id = int(message["id"])
        elif ctype == 5:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            loading = {"content": "", "flags": flags}
            message = self.new_bot_message(
                self._channel_of(rec), loading, **self._interaction_extra(rec)
            )
            rec.response_message_id = int(message["id"])
            rec.deferred_followup_pending = True
        elif ctype in (6, 7) and rec.component_message_id is not None:
            message = self.messages.get(rec.component_message_id)
            if message is not None and ctype == 7:
                self.apply_edit(message, data)
        mid = int(message["id"]) if message else None
        if mid is not None:
            self.message_records[mid] = rec
        rec.add(Event("callback", payload, callback_type=ctype, message_id=mid))
        info: dict[str, Any] = {"id": str(rec.id), "type": rec.type}
        resource: dict[str, Any] = {"type": ctype}
        if message is not None:
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = ctype == 5
            info["response_message_ephemeral"] = bool(message["flags"] & FLAG_EPHEMERAL)
            resource["message"] = message
        return json_response({"interaction": info, "resource": resource})

    def _hook_record(
        self: FakeDiscord, request: web.Request
    ) -> tuple[InteractionRecord | None, web.Response | None]:
        token = request.match_info["token"]
        rec = next(
            (
                r
                for r in self.interactions.values()
                if isinstance(r, InteractionRecord) and r.token == token
            ),
            None,
        )
        if request.match_info["app"] != str(self.application_id) or rec is None:
            self.violation(request, "webhook for an unknown application or interaction token")
            return None, error_response(404, 10015, "Unknown Webhook")
        if time.time() > snowflake_time(rec.id) + TOKEN_LIFETIME:
            self.violation(request, f"{rec!r}'s token expired (15 minutes after it was sent)")
            rec.add(Event("webhook", {}, target=request.path, error="token expired"))
            return None, error_response(401, 50027, "Invalid Webhook Token")
        if rec.acked_type is None:
            self.violation(request, f"follow-up or edit before {rec!r} was acknowledged")
            rec.add(Event("webhook", {}, target=request.path, error="not acknowledged"))
            return None, error_response(404, 10015, "Unknown Webhook")
        return rec, None

    async def _followup(self: FakeDiscord, request: web.Request) -> web.Response:
        rec, error = self._hook_record(request)
        if rec is None:
            return error or error_response(404, 10015, "Unknown Webhook")
        payload = await self.read_json(request)
        problems = message_problems(payload, creating=True)
        if problems:
            rec.add(Event("followup", payload, error=str(problems)))
            return self.reject(request, problems)
        original = self.messages.get(rec.response_message_id or 0)
        if rec.deferred_followup_pending and original is not None:
            # The first follow-up after a "thinking" deferral replaces the loading message.
            self.apply_edit(original, payload)
            rec.deferred_followup_pending = False
            message = original
        else:
            flags = int(payload.get("flags") or 0) & (FLAG_EPHEMERAL | 4 | 4096)
            extra = self._interaction_extra(rec)
            message = self.new_bot_message(
                self._channel_of(rec), {**payload, "flags": flags}, **extra
            )
        self.message_records[int(message["id"])] = rec
        rec.add(Event("followup", payload, message_id=int(message["id"])))
        if request.query.get("wait", "").lower() in ("1", "true"):
            return json_response(message)
        return no_content()

    def _hook_message(
        self: FakeDiscord, request: web.Request, rec: InteractionRecord
    ) -> tuple[dict[str, Any] | None, str]:
        target = request.match_info["mid"]
        if target == "@original":
            mid = rec.original_message_id
        else:
            mid = int(target) if target.isdigit() else None
            if mid is not None and self.message_records.get(mid) is not rec:
                mid = None
        return (self.messages.get(mid) if mid is not None else None), target

    async def _get_hook_message(self: FakeDiscord, request: web.Request) -> web.Response:
        rec, error = self._hook_record(request)
        if rec is None:
            return error or error_response(404, 10015, "Unknown Webhook")
        message, _ = self._hook_message(request, rec)
        return json_response(message) if message else error_response(404, 10008, "Unknown Message")

    async def _edit_hook_message(self: FakeDiscord, request: web.Request) -> web.Response:
        limited = self.rate_limit(request)
        if limited is not None:
            return limited
        rec, error = self._hook_record(request)
        if rec is None:
            return error or error_response(404, 10015, "Unknown Webhook")
        message, target = self._hook_message(request, rec)
        payload = await self.read_json(request)
        if message is None:
            self.violation(request, f"edit of unknown message {target} of {rec!r}")
            rec.add(Event("edit", payload, target=target, error="unknown message"))
            return error_response(404, 10008, "Unknown Message")
        problems = message_problems(payload, creating=False)
        if problems:
            rec.add(Event("edit", payload, target=target, error=str(problems)))
            return self.reject(request, problems)
        self.apply_edit(message, payload)
        if target == "@original" or int(message["id"]) == rec.response_message_id:
            rec.deferred_followup_pending = False
        rec.add(Event("edit", payload, message_id=int(message["id"]), target=target))
        return json_response(message)

    async def _delete_hook_message(self: FakeDiscord, request: web.Request) -> web.Response:
        rec, error = self._hook_record(request)
        if rec is None:
            return error or error_response(404, 10015, "Unknown Webhook")
        message, target = self._hook_message(request, rec)
        if message is None:
            return error_response(404, 10008, "Unknown Message")
        del self.messages[int(message["id"])]
        self.log_message("delete", message)
        rec.add(Event("delete", {}, message_id=int(message["id"]), target=target))
        return no_content()
