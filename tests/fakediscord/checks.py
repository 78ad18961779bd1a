"""Discord's limits on message and command payloads, as pure functions returning problems.

Each problem is a ``(path, message)`` pair, e.g. ``("embeds.0.description", "must be 4096 or
fewer in length (got 5000)")``. An empty list means Discord would accept the payload.
"""

from __future__ import annotations

import re
from typing import Any

Problem = tuple[str, str]

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
ROWS_MAX = 5
BUTTONS_PER_ROW = 5
LABEL_MAX = 80
CUSTOM_ID_MAX = 100
SELECT_OPTIONS_MAX = 25
SELECT_TYPES = {3, 5, 6, 7, 8}
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def _too_long(path: str, value: Any, limit: int, problems: list[Problem]) -> None:
    if isinstance(value, str) and len(value) > limit:
        problems.append((path, f"must be {limit} or fewer in length (got {len(value)})"))


def _url(path: str, value: Any, problems: list[Problem]) -> None:
    if value is not None and not (
        isinstance(value, str) and re.match(r"^(https?|attachment)://\S+$", value)
    ):
        problems.append((path, f"not a well formed URL: {value!r}"))


def embed_problems(embeds: Any) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(embeds, list):
        return [("embeds", "must be a list")]
    if len(embeds) > EMBEDS_MAX:
        problems.append(("embeds", f"must be {EMBEDS_MAX} or fewer in length (got {len(embeds)})"))
    total = 0
    for i, embed in enumerate(embeds):
        p = f"embeds.{i}"
        for key, limit in EMBED_LIMITS.items():
            _too_long(f"{p}.{key}", embed.get(key), limit, problems)
            total += len(embed.get(key) or "")
        _url(f"{p}.url", embed.get("url"), problems)
        color = embed.get("color")
        if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
            problems.append((f"{p}.color", f"invalid colour {color!r}"))
        fields = embed.get("fields") or []
        if len(fields) > FIELDS_MAX:
            problems.append((f"{p}.fields", f"must be {FIELDS_MAX} or fewer (got {len(fields)})"))
        for j, fld in enumerate(fields):
            for key, limit in (("name", FIELD_NAME_MAX), ("value", FIELD_VALUE_MAX)):
                value = fld.get(key)
                if not isinstance(value, str) or not value.strip():
                    problems.append((f"{p}.fields.{j}.{key}", "this field is required"))
                _too_long(f"{p}.fields.{j}.{key}", value, limit, problems)
                total += len(value or "")
        footer = embed.get("footer") or {}
        _too_long(f"{p}.footer.text", footer.get("text"), FOOTER_MAX, problems)
        _url(f"{p}.footer.icon_url", footer.get("icon_url"), problems)
        total += len(footer.get("text") or "")
        author = embed.get("author") or {}
        _too_long(f"{p}.author.name", author.get("name"), AUTHOR_MAX, problems)
        _url(f"{p}.author.url", author.get("url"), problems)
        _url(f"{p}.author.icon_url", author.get("icon_url"), problems)
        total += len(author.get("name") or "")
        for key in ("image", "thumbnail"):
            if embed.get(key):
                _url(f"{p}.{key}.url", embed[key].get("url"), problems)
    if total > EMBED_TOTAL_MAX:
        problems.append(
            ("embeds", f"total embed text must be {EMBED_TOTAL_MAX} or fewer ({total})")
        )
    return problems


def _button_problems(p: str, button: dict[str, Any], problems: list[Problem]) -> None:
    style = button.get("style")
    if style not in (1, 2, 3, 4, 5, 6):
        problems.append((f"{p}.style", f"invalid button style {style!r}"))
    _too_long(f"{p}.label", button.get("label"), LABEL_MAX, problems)
    if style == 5:
        _url(f"{p}.url", button.get("url"), problems)
        if "custom_id" in button:
            problems.append((f"{p}.custom_id", "a link button cannot have a custom_id"))
    elif style != 6 and not button.get("custom_id"):
        problems.append((f"{p}.custom_id", "this field is required"))
    if not button.get("label") and not button.get("emoji") and style != 6:
        problems.append((p, "a button needs a label or an emoji"))


def component_problems(rows: Any) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(rows, list):
        return [("components", "must be a list")]
    if len(rows) > ROWS_MAX:
        problems.append(("components", f"must be {ROWS_MAX} or fewer rows (got {len(rows)})"))
    seen: set[str] = set()
    for i, row in enumerate(rows):
        p = f"components.{i}"
        if row.get("type") != 1:
            problems.append((f"{p}.type", "top-level components must be action rows (type 1)"))
            continue
        children = row.get("components") or []
        if not 1 <= len(children) <= BUTTONS_PER_ROW:
            problems.append((f"{p}.components", f"must hold 1 to 5 components ({len(children)})"))
        for j, comp in enumerate(children):
            cp = f"{p}.components.{j}"
            custom_id = comp.get("custom_id")
            _too_long(f"{cp}.custom_id", custom_id, CUSTOM_ID_MAX, problems)
            if custom_id is not None:
                if custom_id in seen:
                    problems.append((f"{cp}.custom_id", f"duplicate custom_id {custom_id!r}"))
                seen.add(custom_id)
            if comp.get("type") == 2:
                _button_problems(cp, comp, problems)
            elif comp.get("type") in SELECT_TYPES:
                if len(children) != 1:
                    problems.append((p, "a select menu must be alone in its row"))
                _too_long(f"{cp}.placeholder", comp.get("placeholder"), 150, problems)
                options = comp.get("options") or []
                if comp.get("type") == 3 and not 1 <= len(options) <= SELECT_OPTIONS_MAX:
                    problems.append(
                        (f"{cp}.options", f"must hold 1 to 25 options ({len(options)})")
                    )
                for k, opt in enumerate(options):
                    for key in ("label", "value", "description"):
                        _too_long(f"{cp}.options.{k}.{key}", opt.get(key), 100, problems)
            else:
                problems.append((f"{cp}.type", f"unsupported component type {comp.get('type')!r}"))
    return problems


def allowed_mentions_problems(payload: dict[str, Any]) -> list[Problem]:
    """The project's rule, stricter than Discord: every message says it pings nobody."""
    am = payload.get("allowed_mentions")
    if am is None:
        return [("allowed_mentions", "missing: every message must send allowed_mentions none")]
    problems: list[Problem] = []
    if am.get("parse") != []:
        problems.append(("allowed_mentions.parse", f"must be [] (got {am.get('parse')!r})"))
    for key in ("users", "roles"):
        if am.get(key):
            problems.append((f"allowed_mentions.{key}", f"must not list {key} ({am[key]!r})"))
    if am.get("replied_user"):
        problems.append(("allowed_mentions.replied_user", "must not ping the replied user"))
    return problems


def message_problems(payload: dict[str, Any], *, creating: bool) -> list[Problem]:
    """Everything wrong with a message create/edit body (channel, interaction or webhook)."""
    problems: list[Problem] = []
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        problems.append(("content", "must be a string"))
    _too_long("content", content, CONTENT_MAX, problems)
    if payload.get("embeds") is not None:
        problems += embed_problems(payload["embeds"])
    if payload.get("components") is not None:
        problems += component_problems(payload["components"])
    problems += allowed_mentions_problems(payload)
    if creating and not (
        content or payload.get("embeds") or payload.get("components") or payload.get("attachments")
    ):
        problems.append(("content", "cannot send an empty message"))
    return problems


def command_problems(commands: Any) -> list[Problem]:
    """What Discord would refuse in a bulk overwrite of application commands."""
    if not isinstance(commands, list):
        return [("", "must be a list of commands")]
    problems: list[Problem] = []
    names: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        p = str(i)
        name, ctype = cmd.get("name", ""), cmd.get("type", 1)
        if (name, ctype) in names:
            problems.append((f"{p}.name", f"duplicate command {name!r}"))
        names.add((name, ctype))
        if ctype == 1:
            problems += _option_problems(p, cmd)
    return problems


def _option_problems(p: str, item: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    name = item.get("name", "")
    if not COMMAND_NAME.match(name) or name != name.lower():
        problems.append((f"{p}.name", f"invalid name {name!r}"))
    if not 1 <= len(item.get("description") or "") <= 100:
        problems.append((f"{p}.description", "must be 1 to 100 characters"))
    options = item.get("options") or []
    if len(options) > 25:
        problems.append((f"{p}.options", "must be 25 or fewer"))
    seen_optional = False
    for k, opt in enumerate(options):
        op = f"{p}.options.{k}"
        if opt.get("type") in (1, 2):
            problems += _option_problems(op, opt)
            continue
        problems += _option_problems(op, {**opt, "options": []})
        if opt.get("required"):
            if seen_optional:
                problems.append((op, "required options must come before optional ones"))
        else:
            seen_optional = True
        if len(opt.get("choices") or []) > 25:
            problems.append((f"{op}.choices", "must be 25 or fewer"))
    return problems


def format_problems(problems: list[Problem]) -> str:
    return "; ".join(f"{path}: {msg}" if path else msg for path, msg in problems)


def form_error_body(problems: list[Problem]) -> dict[str, Any]:
    """Discord's 50035 'Invalid Form Body' JSON, nested by path as discord.py expects."""
    errors: dict[str, Any] = {}
    for path, msg in problems:
        node = errors
        for part in [x for x in path.split(".") if x]:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": "FAKE_DISCORD_CHECK", "message": msg})
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}
