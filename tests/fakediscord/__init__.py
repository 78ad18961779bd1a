"""A strict fake Discord (REST + gateway) for end-to-end tests of the real discord.py client.

Typical use::

    async with FakeDiscord() as fake:          # start() + install()
        await start_bot(bot, fake.token, fake)  # login, connect, wait for on_ready
        rec = await fake.slash("echo", {"text": "hi"})
        answer = await rec.wait_final()
        assert answer.content == "hi"
        await stop_bot(bot)
        assert fake.violations == [] and fake.unhandled == []
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref

import discord

from .payloads import FakeGuild, FakeMember
from .records import Event, FakeDiscordError, InteractionRecord, MessageRecord, Record
from .server import FakeDiscord

__all__ = [
    "Event",
    "FakeDiscord",
    "FakeDiscordError",
    "FakeGuild",
    "FakeMember",
    "InteractionRecord",
    "MessageRecord",
    "Record",
    "start_bot",
    "stop_bot",
]

_tasks: weakref.WeakKeyDictionary[discord.Client, asyncio.Task[None]] = weakref.WeakKeyDictionary()


async def start_bot(
    client: discord.Client, token: str | None, fake: FakeDiscord, *, timeout: float = 10.0
) -> asyncio.Task[None]:
    """Log ``client`` in against ``fake``, run its gateway loop in a task, wait for ready.

    Raises what login raises (``discord.LoginFailure`` for a rejected token), or whatever
    ended the connection before ready, or TimeoutError. Returns the connection task.
    """
    fake.install()
    try:
        await client.login(token if token is not None else fake.token or "fake-token")
    except BaseException:
        await client.close()
        raise
    task = asyncio.create_task(client.connect(reconnect=True), name=f"fake-discord {client!r}")
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when="FIRST_COMPLETED")
    if ready in done:
        _tasks[client] = task
        return task
    ready.cancel()
    if task not in done:
        await client.close()
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise TimeoutError(f"{client!r} was not ready within {timeout}s")
    await client.close()
    task.result()  # re-raises why the connection ended
    raise RuntimeError("client connection ended before ready")


async def stop_bot(client: discord.Client, *, timeout: float = 5.0) -> None:
    """Close ``client`` and wait for its connection task to finish."""
    await client.close()
    task = _tasks.pop(client, None)
    if task is None:
        return
    with contextlib.suppress(discord.ConnectionClosed):
        await asyncio.wait_for(task, timeout)
