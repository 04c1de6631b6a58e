"""`MCPClient`: many servers from one config, one `ClientSession` each.

`MCPClient.from_config_file("config.json")`, `MCPClient.from_dict({...})` or
`MCPClient(config)`. Sessions open on `create_session(name)` / `create_all_sessions()`
(or `async with MCPClient(...)`), and every one is closed by `close_all_sessions()`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config as cfg
from .errors import ConfigError, SessionNotFound
from .session import ClientSession
from .transports.base import ClientTransport

if TYPE_CHECKING:
    from .auth.callback import Authorize
    from .auth.provider import OAuthProvider
    from .auth.storage import TokenStorage
    from .transports.http import HTTPPool
    from .transports.http_auth import HTTPAuth

CALLBACK_NAMES = (
    "sampling_callback",
    "elicitation_callback",
    "list_roots_callback",
    "roots",
    "logging_callback",
    "message_handler",
    "list_changed_callback",
    "resource_updated_callback",
)


class MCPClient:
    """Connects to the MCP servers of an `mcpServers` config.

    Callbacks given here apply to every server; `server_callbacks={"name": {...}}` or
    `create_session(name, sampling_callback=...)` override them for one server.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | str | os.PathLike[str] | Any = None,
        *,
        mode: str = "auto",
        timeout: float | None = 60.0,
        client_info: Mapping[str, Any] | None = None,
        sampling_callback: Any = None,
        elicitation_callback: Any = None,
        list_roots_callback: Any = None,
        roots: list[Any] | None = None,
        logging_callback: Any = None,
        log_level: str | None = None,
        message_handler: Any = None,
        list_changed_callback: Any = None,
        resource_updated_callback: Any = None,
        server_callbacks: Mapping[str, Mapping[str, Any]] | None = None,
        token_storage: TokenStorage | None = None,
        authorize: Authorize | None = None,
    ) -> None:
        if config is None:
            raw: dict[str, Any] = {"mcpServers": {}}
        elif isinstance(config, (str, os.PathLike)):
            text = os.fspath(config)
            if text.startswith(("http://", "https://")):
                raw = {"mcpServers": {"default": {"url": text}}}
            else:
                raw = cfg.load_file(text)
        elif isinstance(config, Mapping):
            raw = dict(config)
        elif callable(getattr(config, "connect_in_memory", None)):  # an MCPServer, in memory
            raw = {"mcpServers": {str(getattr(config, "name", None) or "default"): config}}
        else:
            raise ConfigError(
                f"MCPClient(config): expected a dict, a file path or an MCPServer, got {type(config).__name__}"
            )
        self.config = raw
        self.servers: dict[str, cfg.ServerConfig] = cfg.parse(raw)
        self.mode = mode
        self.timeout = timeout
        self.log_level = log_level  # with a logging_callback, None means "info"
        self.client_info = dict(client_info) if client_info else None
        self.callbacks: dict[str, Any] = {
            "sampling_callback": sampling_callback,
            "elicitation_callback": elicitation_callback,
            "list_roots_callback": list_roots_callback,
            "roots": roots,
            "logging_callback": logging_callback,
            "message_handler": message_handler,
            "list_changed_callback": list_changed_callback,
            "resource_updated_callback": resource_updated_callback,
        }
        self.server_callbacks = {k: dict(v) for k, v in (server_callbacks or {}).items()}
        for name, overrides in self.server_callbacks.items():
            bad = [k for k in overrides if k not in CALLBACK_NAMES]
            if bad:
                raise ConfigError(f"server_callbacks.{name}: unknown callback(s) {', '.join(bad)}")
        self.sessions: dict[str, ClientSession] = {}
        self._http: HTTPPool | None = None  # one connection pool for every HTTP server
        # OAuth: where tokens live (default ~/.mcp_use/auth/) and the user's part of the flow
        self.token_storage = token_storage
        self.authorize = authorize
        self._oauth: dict[str, OAuthProvider] = {}

    @classmethod
    def from_config_file(cls, path: str | os.PathLike[str], **kwargs: Any) -> MCPClient:
        return cls(cfg.load_file(Path(path)), **kwargs)

    @classmethod
    def from_dict(cls, config: Mapping[str, Any], **kwargs: Any) -> MCPClient:
        return cls(dict(config), **kwargs)

    # ---- servers ------------------------------------------------------------------------
    def get_server_names(self) -> list[str]:
        return list(self.servers)

    def add_server(self, name: str, entry: Mapping[str, Any]) -> None:
        server = cfg.parse_entry(name, entry)
        self.config.setdefault("mcpServers", {})[name] = dict(entry)
        if server is not None:
            self.servers[name] = server

    def remove_server(self, name: str) -> None:
        self.servers.pop(name, None)
        self.config.get("mcpServers", {}).pop(name, None)

    @property
    def http(self) -> HTTPPool:
        """The client's shared HTTP connection pool (also for OAuth and metadata fetches)."""
        if self._http is None:
            from .transports.http import HTTPPool

            self._http = HTTPPool()
        return self._http

    def _auth(self, server: cfg.HttpServerConfig) -> HTTPAuth | None:
        """OAuth for an `"auth"` object; else the bearer string, unless an explicit
        `Authorization` header wins over it."""
        from .transports.http_auth import BearerAuth

        if server.oauth is not None:
            return self.oauth_provider(server.name)
        if not server.auth or any(k.lower() == "authorization" for k in server.headers):
            return None
        return BearerAuth(server.auth)

    def oauth_provider(self, name: str) -> OAuthProvider:
        """The OAuth provider of the server `name` (one per server, kept across reconnects)."""
        provider = self._oauth.get(name)
        if provider is not None:
            return provider
        server = self.servers.get(name)
        if not isinstance(server, cfg.HttpServerConfig) or server.oauth is None:
            raise ConfigError(f"mcpServers.{name}: has no OAuth 'auth' object")
        from .auth.provider import OAuthProvider
        from .auth.storage import FileTokenStorage

        if self.token_storage is None:
            self.token_storage = FileTokenStorage()
        provider = OAuthProvider(
            server.url,
            server.oauth,
            storage=self.token_storage,
            authorize=self.authorize,
            session_factory=self.http.session,
            name=name,
        )
        self._oauth[name] = provider
        return provider

    def _transports(self, server: cfg.ServerConfig) -> tuple[ClientTransport, Any]:
        from .transports.memory import MemoryClientTransport
        from .transports.sse import SSEClientTransport
        from .transports.stdio import StdioClientTransport
        from .transports.streamable_http import StreamableHTTPClientTransport

        if isinstance(server, cfg.StdioServerConfig):
            transport: ClientTransport = StdioClientTransport(
                server.name, server.command, server.args, env=server.full_env(), cwd=server.cwd
            )
            return transport, None
        if isinstance(server, cfg.MemoryServerConfig):
            return MemoryClientTransport(server.name, server.server), None
        assert isinstance(server, cfg.HttpServerConfig)
        kw: dict[str, Any] = {"headers": server.headers, "auth": self._auth(server), "pool": self.http}
        if server.transport == "sse":
            return SSEClientTransport(server.name, server.url, **kw), None
        transport = StreamableHTTPClientTransport(server.name, server.url, **kw)
        if server.transport is None:
            return transport, lambda: SSEClientTransport(server.name, server.url, **kw)
        return transport, None

    # ---- sessions -----------------------------------------------------------------------
    async def create_session(
        self, name: str, *, auto_initialize: bool = True, **overrides: Any
    ) -> ClientSession:
        """Open (or return the already open) session to the server `name`."""
        existing = self.sessions.get(name)
        if existing is not None and existing.connected:
            return existing
        server = self.servers.get(name)
        if server is None:
            known = ", ".join(self.servers) or "none"
            raise ConfigError(f"No server named {name!r} in the config (servers: {known})")
        bad = [k for k in overrides if k not in CALLBACK_NAMES]
        if bad:
            raise TypeError(f"create_session: unknown argument(s) {', '.join(bad)}")
        callbacks = {**self.callbacks, **self.server_callbacks.get(name, {}), **overrides}
        transport, sse_fallback = self._transports(server)
        session = ClientSession(
            transport,
            name=name,
            mode=server.mode or self.mode,
            timeout=server.timeout or self.timeout,
            client_info=self.client_info,
            log_level=self.log_level,
            sse_fallback=sse_fallback,
            **callbacks,
        )
        if auto_initialize:
            await session.connect()
        self.sessions[name] = session
        return session

    async def create_all_sessions(self, auto_initialize: bool = True) -> dict[str, ClientSession]:
        """Open a session to every configured server, concurrently; raise the first failure."""
        names = list(self.servers)
        results = await asyncio.gather(
            *(self.create_session(n, auto_initialize=auto_initialize) for n in names), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return dict(self.sessions)

    def get_session(self, name: str) -> ClientSession:
        session = self.sessions.get(name)
        if session is None:
            active = ", ".join(self.sessions) or "none"
            raise SessionNotFound(
                name, f"no active session for server {name!r} (active: {active}); call create_session first"
            )
        return session

    def get_all_active_sessions(self) -> dict[str, ClientSession]:
        return {name: s for name, s in self.sessions.items() if s.connected}

    async def close_session(self, name: str) -> None:
        session = self.sessions.pop(name, None)
        if session is not None:
            await session.close()

    async def close_all_sessions(self) -> None:
        sessions = list(self.sessions.values())
        self.sessions.clear()
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    async def __aenter__(self) -> MCPClient:
        try:
            await self.create_all_sessions()
        except BaseException:
            await self.close_all_sessions()  # the sessions that did open, and the HTTP pool
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close_all_sessions()

    def __repr__(self) -> str:
        return f"<MCPClient servers={list(self.servers)} active={list(self.get_all_active_sessions())}>"
