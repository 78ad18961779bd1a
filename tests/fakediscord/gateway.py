"""The fake gateway: HELLO, heartbeats, IDENTIFY → READY + GUILD_CREATE, RESUME with replay."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message_content


@dataclass
class Session:
    id: str
    seq: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    resumable: bool = True


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    request: web.Request
    session: Session | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class GatewayMixin:
    """Gateway state and handlers; mixed into FakeDiscord."""

    def _init_gateway(self: FakeDiscord) -> None:
        self.session: Session | None = None
        self.intents = 0
        self.identify_count = 0
        self.resume_count = 0
        self.connect_count = 0
        self.resume_url_connects = 0
        self.identify_payloads: list[dict[str, Any]] = []
        self.gateway_received: list[dict[str, Any]] = []
        self.heartbeat_interval_ms = 45_000
        self._conn: Connection | None = None
        self._conns: set[Connection] = set()
        self._live = asyncio.Event()
        self._pending: set[asyncio.Task[Any]] = set()

    def _add_gateway_routes(self: FakeDiscord, app: web.Application) -> None:
        for path in ("/gateway", "/gateway/", "/resume-gateway", "/resume-gateway/"):
            app.router.add_get(path, self._ws_handler)

    @property
    def resume_gateway_url(self: FakeDiscord) -> str:
        return f"ws://127.0.0.1:{self.port}/resume-gateway/"

    @property
    def connected(self: FakeDiscord) -> bool:
        """True while a client holds an identified or resumed gateway connection."""
        return self._conn is not None

    async def wait_connected(self: FakeDiscord, timeout: float = 10.0) -> None:
        try:
            await asyncio.wait_for(self._live.wait(), timeout)
        except TimeoutError:
            raise RuntimeError(f"no bot connected to the fake gateway within {timeout}s") from None

    # -- sending -------------------------------------------------------------------------

    async def _send(self, conn: Connection, payload: dict[str, Any]) -> None:
        async with conn.lock:
            if conn.ws.closed:
                return
            try:
                await conn.ws.send_str(json.dumps(payload))
            except (ConnectionError, RuntimeError) as exc:
                log.debug("fake gateway: send failed (%s); kept for replay", exc)

    def _log_event(self: FakeDiscord, session: Session, event: str, data: Any) -> dict[str, Any]:
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.log.append(payload)
        return payload

    async def dispatch(
        self: FakeDiscord, event: str, data: Any, *, timeout: float = 10.0, queue: bool = False
    ) -> int:
        """Send a DISPATCH event to the connected bot (waiting for it to connect); returns s.

        With ``queue=True`` and the socket down, the event only joins the session log, so
        it reaches the bot in the replay after RESUME.
        """
        if queue and self.session is not None and self._conn is None:
            return self._log_event(self.session, event, data)["s"]
        await self.wait_connected(timeout)
        assert self.session is not None and self._conn is not None
        payload = self._log_event(self.session, event, data)
        await self._send(self._conn, payload)
        return payload["s"]

    def _queue_dispatch(self: FakeDiscord, event: str, data: Any) -> None:
        task = asyncio.get_running_loop().create_task(self.dispatch(event, data))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # -- control from tests --------------------------------------------------------------

    async def drop_connection(self: FakeDiscord, code: int | None = 4000, *, resumable=True):
        """Close the live gateway socket (``code=None``: abort the TCP connection).

        With ``resumable=False`` the session is invalidated, so a RESUME gets op 9 and the
        client must IDENTIFY again. Events dispatched meanwhile are replayed on RESUME.
        """
        conn = self._conn
        if conn is None:
            raise RuntimeError("no live gateway connection to drop")
        self._conn = None
        self._live.clear()
        if not resumable and conn.session is not None:
            conn.session.resumable = False
        if code is None:
            if conn.request.transport is not None:
                conn.request.transport.abort()
        else:
            await conn.ws.close(code=code, message=b"fake discord dropped the connection")

    async def request_reconnect(self: FakeDiscord) -> None:
        """Send op 7 RECONNECT, as Discord does before moving a session."""
        conn = self._conn
        if conn is None:
            raise RuntimeError("no live gateway connection")
        self._conn = None
        self._live.clear()
        await self._send(conn, {"op": 7, "d": None})

    async def _close_gateways(self: FakeDiscord) -> None:
        self._conn = None
        self._live.clear()
        for task in list(self._pending):
            task.cancel()
        for conn in list(self._conns):
            await conn.ws.close(code=1001, message=b"fake discord stopping")

    # -- receiving -----------------------------------------------------------------------

    async def _ws_handler(self: FakeDiscord, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=2.0, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws=ws, request=request)
        self._conns.add(conn)
        self.connect_count += 1
        if request.path.startswith("/resume-gateway"):
            self.resume_url_connects += 1
        if request.query.get("encoding", "json") != "json" or request.query.get("v") != "10":
            self.violation(request, f"gateway query {dict(request.query)} (need v=10, json)")
        try:
            await self._send(
                conn, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_message(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.BINARY:
                    self.violation(request, "binary gateway frame from the client")
        finally:
            self._conns.discard(conn)
            if self._conn is conn:
                self._conn = None
                self._live.clear()
        return ws

    async def _on_gateway_message(self: FakeDiscord, conn: Connection, msg: dict[str, Any]):
        op, d = msg.get("op"), msg.get("d")
        self.gateway_received.append(msg)
        if op == 1:
            await self._send(conn, {"op": 11})
        elif op == 2:
            await self._identify(conn, d or {})
        elif op == 6:
            await self._resume(conn, d or {})
        elif op == 8:
            members = [m.payload() for m in self.guild.members.values()]
            chunk = {
                "guild_id": str(self.guild.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
                "nonce": (d or {}).get("nonce"),
            }
            if conn.session is not None:
                await self._send(conn, self._log_event(conn.session, "GUILD_MEMBERS_CHUNK", chunk))
        elif op not in (3, 4):  # presence and voice state updates are accepted silently
            self.unhandled.append(f"gateway op {op}")

    async def _identify(self: FakeDiscord, conn: Connection, d: dict[str, Any]) -> None:
        if self.token is not None and d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        intents = int(d.get("intents") or 0)
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identify_count += 1
        self.identify_payloads.append(d)
        self.intents = intents
        session = Session(id=uuid.uuid4().hex)
        self.session = conn.session = session
        ready = {
            "v": 10,
            "user": {**self.bot_user, "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self.guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["fake-discord"],
        }
        if "shard" in d:
            ready["shard"] = d["shard"]
        await self._send(conn, self._log_event(session, "READY", ready))
        for guild in self.guilds.values():
            await self._send(conn, self._log_event(session, "GUILD_CREATE", guild.payload()))
        self._conn = conn
        self._live.set()

    async def _resume(self: FakeDiscord, conn: Connection, d: dict[str, Any]) -> None:
        session = self.session
        if self.token is not None and d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session is None or d.get("session_id") != session.id or not session.resumable:
            await self._send(conn, {"op": 9, "d": False})
            return
        self.resume_count += 1
        conn.session = session
        seq = int(d.get("seq") or 0)
        for payload in session.log:
            if payload["s"] > seq:
                await self._send(conn, payload)
        await self._send(conn, self._log_event(session, "RESUMED", {"_trace": ["fake-discord"]}))
        self._conn = conn
        self._live.set()
