"""Shared state on Redis, so several processes or machines serve one set of clients.

What lives here (keys under `prefix`):
- `{p}:s:{sid}` a legacy session's record (hash: protocol version, client info and
  capabilities, log level, subscriptions), expiring after the idle timeout. A process
  that gets a request for a session it does not hold loads the record and serves it.
- `{p}:e:{key}` a resumable stream's events (a Redis Stream, entry id `0-{seq}`, bounded
  with `MAXLEN ~`, expiring), and `{p}:e:{key}:o` the session that owns it, so a
  `Last-Event-ID` replays (then follows) from any process; `{p}:e:{key}:lost` when some
  of its events never reached Redis (written while it was down and more than the retry
  buffer holds: `redis_events.py`), so a resume elsewhere is refused, not replayed with a gap.
- `{p}:x:{sid}` a DELETEd session's tombstone (for the session TTL), so a process whose
  pub/sub connection broke does not serve it (`redis_ends.py`).
- `{p}:proc:{token}` each live process's name and secret fingerprint (heartbeat TTL):
  a process whose name or `requestState` secret differs from a live one refuses to serve.
- `{p}:secret` the generated `requestState` secret, when none is configured.
- `{p}:t:{id}` task records (see `redis_tasks.py`); a record's owner is alive while its
  `{p}:proc:{token}` key is.
- pub/sub: `{p}:all` (every process: cancellations, session ends, list changes,
  resource updates, session field changes, task statuses) and `{p}:p:{token}` (one
  process: the client's answer to a server-to-client request, the request id carrying
  the waiting process's token; cancellations and answers for the tasks it runs).
  Every message kind is in `bus.py`.

redis-py is imported only when a `RedisState` starts, so a plain install never needs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson

from . import bus
from .events import StreamLost
from .redis_ends import SessionEnds
from .redis_events import DEFAULT_RETRY_BYTES, RedisEventStore

if TYPE_CHECKING:
    from ..input_rounds import StateSealer
    from ..session import ServerSession

log = logging.getLogger("mcp_use.server.state")
REDIS_URL_ENV = "MCP_USE_REDIS_URL"
OnMessage = Callable[[dict[str, Any]], Awaitable[None] | None]


class StateConflict(RuntimeError):
    """Another live process sharing this Redis runs with a different name or secret."""


class RedisState:
    """`MCPServer(state=RedisState("redis://host:6379/0"))`: sessions, streams and delivery on Redis.

    Also `MCPServer(state="redis://...")` or the `MCP_USE_REDIS_URL` environment variable.
    It starts on the first request (no lifespan needed, so a mounted app works too);
    `server.run()` checks it before serving and exits when it disagrees.

    The `requestState` secret: set `state_secret` (or `MCP_USE_STATE_SECRET`) the same in
    every process. When none is set, the first process generates one and stores it at
    `{prefix}:secret`, and every later process adopts it, so workers need no set-up;
    anyone who can read that Redis can then forge `requestState` (as they could hijack
    sessions), so set one explicitly where Redis is shared more widely. A process whose
    secret or server name differs from a live one's refuses to serve and says which.

    `retry_bytes`: how many bytes of stream events this process keeps while Redis does
    not answer, to write them (in order, before newer ones) once it does; beyond that a
    stream is given up for the other processes, counted and logged (`redis_events.py`).
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "mcp_use",
        events_per_stream: int = 1024,
        event_ttl: float = 600.0,
        heartbeat: float = 5.0,
        socket_timeout: float = 3.0,
        retries: int = 2,
        health_check_interval: float = 10.0,
        retry_bytes: int = DEFAULT_RETRY_BYTES,
    ) -> None:
        self.url = url
        # A stopped or restarted Redis must fail a request fast (503) rather than hang
        # it, and a pooled connection it dropped must be replaced, not handed out: the
        # socket timeout, redis-py's retry on connection errors, and its health check
        # (a PING before using a connection idle that long).
        self.socket_timeout = socket_timeout
        self.retries = retries
        self.health_check_interval = health_check_interval
        self.prefix = prefix
        self.events_per_stream = events_per_stream
        self.event_ttl = int(event_ttl)
        self.heartbeat = heartbeat
        self.session_ttl = 3600
        self.token = ""  # this process, set at start (after any fork)
        self.ready = False
        self.retired = False  # stopping: no longer registered as a live process
        self.client: Any = None
        self._bus_client: Any = None  # pub/sub only, without retries: every loss is seen
        self._pubsub: Any = None
        self.ends = SessionEnds(self)  # tombstones, the bus gap, acknowledged ends
        self._listener: asyncio.Task[None] | None = None
        self._starting: asyncio.Future[None] | None = None
        self._conflict: str | None = None
        self._on_message: OnMessage | None = None
        self._touched: dict[str, float] = {}
        self.on_reset: Callable[[], Awaitable[None]] | None = None  # the session table's `reshare`
        self._tasks: set[asyncio.Task[Any]] = set()
        self.events = RedisEventStore(self, retry_bytes=retry_bytes)
        from .redis_tasks import RedisTaskStore

        self.tasks = RedisTaskStore(self)

    # ---- start-up -------------------------------------------------------------------
    async def start(self, name: str, sealer: StateSealer, session_ttl: float, on_message: OnMessage) -> None:
        """Connect, agree on the secret, check the other processes, subscribe. Once.

        `name` and `sealer` identify this server to the other processes; `session_ttl`
        is how long an idle session record lives.
        """
        if self._conflict is not None:
            raise StateConflict(self._conflict)
        if self._starting is None or (self._starting.done() and self._starting.exception()):
            self._starting = asyncio.ensure_future(self._start(name, sealer, session_ttl, on_message))
        await asyncio.shield(self._starting)

    async def _start(self, name: str, sealer: StateSealer, session_ttl: float, on_message: OnMessage) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url, **self._client_options())
        try:
            await self._agree(client, name, sealer)
        except BaseException:
            with contextlib.suppress(Exception):
                await client.aclose()
            raise
        self.client = client
        self.token = secrets.token_hex(6)
        self.session_ttl = max(1, int(session_ttl))
        self._on_message = on_message
        await self._register(name, sealer)
        self._bus_client = aioredis.Redis.from_url(self.url, **self._client_options(retries=0))
        self._pubsub = self._bus_client.pubsub()
        await self._pubsub.subscribe(self._k("all"), self._k("p", self.token))
        self._listener = asyncio.ensure_future(self._listen(name, sealer))
        self.ready = True
        log.info("Shared state on %s (process %s)", _redact(self.url), self.token)

    def _client_options(self, retries: int | None = None) -> dict[str, Any]:
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff
        from redis.exceptions import ConnectionError, TimeoutError

        return {
            "socket_timeout": self.socket_timeout,
            "socket_connect_timeout": self.socket_timeout,
            "retry": Retry(
                ExponentialBackoff(cap=0.5, base=0.05), self.retries if retries is None else retries
            ),
            "retry_on_error": [ConnectionError, TimeoutError, OSError],
            "health_check_interval": self.health_check_interval,
        }

    async def _agree(self, client: Any, name: str, sealer: StateSealer) -> None:
        """Share a generated secret; refuse when a live process differs in name or secret."""
        if sealer.generated:
            await client.set(self._k("secret"), secrets.token_hex(32), nx=True)
            shared = await client.get(self._k("secret"))
            sealer.use_secret(shared)
        mine = {"name": name, "fp": sealer.fingerprint()}
        for peer in await self._peers(client):
            differs = []
            if peer.get("name") != mine["name"]:
                differs.append(f"server name {peer.get('name')!r} (this process: {mine['name']!r})")
            if peer.get("fp") != mine["fp"]:
                differs.append(f"state secret (fingerprint {peer.get('fp')} there, {mine['fp']} here)")
            if differs:
                self._conflict = (
                    f"mcp_use: refusing to serve: process {peer.get('pid')} on {peer.get('host')} "
                    f"shares {_redact(self.url)} (prefix {self.prefix!r}) with a different "
                    + " and a different ".join(differs)
                    + ". Every process sharing one Redis must run the same server with the same "
                    "state_secret (or MCP_USE_STATE_SECRET); or give them different prefixes."
                )
                raise StateConflict(self._conflict)

    async def _peers(self, client: Any) -> list[dict[str, Any]]:
        keys = [key async for key in client.scan_iter(match=self._k("proc", "*"), count=500)]
        if not keys:
            return []
        values = await client.mget(keys)
        return [orjson.loads(v) for v in values if v]

    async def _register(self, name: str, sealer: StateSealer) -> None:
        record = {
            "name": name,
            "fp": sealer.fingerprint(),
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }
        previous = await self.client.set(
            self._k("proc", self.token), orjson.dumps(record), ex=max(2, int(self.heartbeat * 3)), get=True
        )
        if previous is None and self.ready and self.on_reset is not None:
            # Our own registration vanished: Redis restarted empty (or we stalled past
            # its expiry). Put back what this process holds.
            self._spawn(self.on_reset())
            self.events.reshare()

    async def preflight(self, name: str, sealer: StateSealer) -> None:
        """The start-up check alone, on a throw-away connection (before uvicorn starts)."""
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url, **self._client_options())
        try:
            await self._agree(client, name, sealer)
        finally:
            self._conflict = None  # the serving process checks again, live
            with contextlib.suppress(Exception):
                await client.aclose()

    async def healthy(self) -> bool:
        """Readiness: Redis answers."""
        try:
            return bool(self.client is not None and await self.client.ping())
        except Exception:
            return False

    async def retire(self) -> None:
        """Stopping: drop this process's registration now (no more heartbeats), so the
        others stop counting on it; serving what is in flight goes on."""
        self.retired = True
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.delete(self._k("proc", self.token))

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
        if self._bus_client is not None:
            with contextlib.suppress(Exception):
                await self._bus_client.aclose()
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.delete(self._k("proc", self.token))
            with contextlib.suppress(Exception):
                await self.client.aclose()
        self.ready = False

    # ---- pub/sub --------------------------------------------------------------------
    async def _listen(self, name: str, sealer: StateSealer) -> None:
        next_beat = time.monotonic() + self.heartbeat
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # only this connection's loss is a bus gap
                self.ends.lost()
                log.warning("Shared state: pub/sub connection lost (%s); reconnecting", exc)
                await asyncio.sleep(1.0)
                continue
            try:
                if message is not None and message.get("type") == "message":
                    data = orjson.loads(message["data"])
                    if data.get("o") != self.token:
                        self._dispatch(data)
                elif message is not None and message.get("type") == "subscribe":
                    self.ends.resubscribed()
                if time.monotonic() >= next_beat and not self.retired:
                    next_beat = time.monotonic() + self.heartbeat
                    await self._register(name, sealer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Shared state: pub/sub trouble (%s); retrying", exc)
                await asyncio.sleep(1.0)

    def _dispatch(self, data: dict[str, Any]) -> None:
        if data.get("t") == "ended":
            self.ends.acknowledged(data)
            return
        if self._on_message is None:
            return
        try:
            outcome = self._on_message(data)
        except Exception:
            log.exception("Shared state: handling %s failed", data.get("t"))
            return
        if data.get("t") == "end":
            self._spawn(self.ends.applied(outcome, data))
        elif outcome is not None:
            self._spawn(outcome)

    def _spawn(self, awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("Shared state: background call failed: %s", task.exception())

    async def broadcast(self, data: dict[str, Any]) -> None:
        """Tell every other process (session ends, cancellations, list changes...)."""
        data["o"] = self.token
        await self.client.publish(self._k("all"), orjson.dumps(data))

    def owner_of(self, message: dict[str, Any]) -> str | None:
        """The other process whose server-to-client request this answer carries the id of."""
        request_id = message.get("id")
        if not isinstance(request_id, str) or "-" not in request_id:
            return None
        owner = request_id.partition("-")[0]  # `{token}-{n}` or `{token}-{n}-{deadline}`
        return owner if owner and owner != self.token else None

    def spawn(self, awaitable: Awaitable[Any]) -> None:
        """Run in the background, held until done (its exception logged, not lost)."""
        self._spawn(awaitable)

    async def route_response(self, session_id: str, message: dict[str, Any]) -> bool:
        """Forward a client's answer to the process whose request id it carries; False
        when no process listens on that channel (gone, or resubscribing)."""
        owner = self.owner_of(message)
        if owner is None:
            return False
        data = {**bus.response(session_id, message), "o": self.token}
        return bool(await self.client.publish(self._k("p", owner), orjson.dumps(data)))

    # ---- sessions -------------------------------------------------------------------
    async def save_session(self, session: ServerSession) -> None:
        key = self._k("s", session.id)
        record = {
            "v": session.protocol_version,
            "ci": orjson.dumps(session.client_info),
            "cc": orjson.dumps(session.client_capabilities),
            "ll": session.log_level or "",
            "subs": orjson.dumps(sorted(session.subscriptions or ())),
            "p": session.principal or "",  # the binding to a principal travels with the session
        }
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping=record)
            pipe.expire(key, self.session_ttl)
            await pipe.execute()
        self._touched[session.id] = time.monotonic()  # type: ignore[index]

    async def load_session(self, session_id: str) -> dict[str, Any] | None:
        raw = await self.client.hgetall(self._k("s", session_id))
        if not raw or b"v" not in raw:
            return None
        self._touched[session_id] = time.monotonic()
        self._spawn(self.client.expire(self._k("s", session_id), self.session_ttl))
        return {
            "protocol_version": raw[b"v"].decode(),
            "client_info": orjson.loads(raw.get(b"ci") or b"{}"),
            "capabilities": orjson.loads(raw.get(b"cc") or b"{}"),
            "log_level": (raw.get(b"ll") or b"").decode() or None,
            "subscriptions": set(orjson.loads(raw.get(b"subs") or b"[]")),
            "principal": (raw.get(b"p") or b"").decode() or None,
        }

    async def delete_session(self, session_id: str) -> bool:
        """End a session everywhere (`redis_ends.py`); True when it existed."""
        self._touched.pop(session_id, None)
        return await self.ends.end_everywhere(session_id)

    def forget(self, session_id: str | None) -> None:
        self._touched.pop(session_id, None)  # type: ignore[arg-type]

    def touch(self, session_id: str) -> None:
        """Push the idle expiry back; at most once per ~1/20 of the TTL per session."""
        now = time.monotonic()
        if now - self._touched.get(session_id, 0.0) < self.session_ttl / 20:
            return
        self._touched[session_id] = now
        self._spawn(self.client.expire(self._k("s", session_id), self.session_ttl))

    # ---- events ---------------------------------------------------------------------
    async def stream_owner(self, key: str) -> tuple[str, str] | None:
        """(session id, writing process) of stream `key`, or None when unknown or expired;
        `StreamLost` when some of its events never reached Redis."""
        owner, lost = await self.client.mget(self._k("e", key, "o"), self._k("e", key, "lost"))
        if lost:
            raise StreamLost(f"stream {key}'s events were not all stored while the shared state was down")
        if not owner:
            return None
        session_id, _, writer = owner.decode().partition(" ")
        return session_id, writer

    async def follow(self, key: str, after: int, writer: str = "") -> AsyncIterator[bytes]:
        """The events of stream `key` after `after`, then live ones until it finishes.

        Also ends when the process writing it is gone (its heartbeat expired): the rest
        of that stream will never come, so the client should not wait for it.
        """
        skey = self._k("e", key)
        last = f"0-{after}"
        while True:
            block = max(100, int(self.socket_timeout * 500))  # under the socket timeout
            reply = await self.client.xread({skey: last}, count=256, block=block)
            if not reply and writer:
                alive, lost = (
                    await self.client.exists(self._k("proc", writer)),
                    await self.client.exists(self._k("e", key, "lost")),
                )
                if lost:
                    raise StreamLost(
                        f"stream {key}'s events were not all stored while the shared state was down"
                    )
                if not alive:
                    return
            for _name, entries in reply or ():
                for entry_id, fields in entries:
                    last = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                    if b"end" in fields:
                        return
                    yield fields[b"c"]

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    key = _k  # public, for the stores beside this module (`redis_tasks.py`)


def state_from(value: Any) -> Any:
    """`state=` as given: a state object, a Redis URL, or None (then `MCP_USE_REDIS_URL`)."""
    if value is None:
        url = os.environ.get(REDIS_URL_ENV)
        return RedisState(url) if url else None
    if isinstance(value, str):
        return RedisState(value)
    return value


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return scheme + sep + rest
