"""A misbehaving protected server + authorization server, on 127.0.0.1, for the bad-input tests.

Every endpoint answers correctly by default; a test replaces one handler with a broken
one (malformed metadata, a token endpoint answering HTML or 500, a redirect without a
code or with another state) and checks that the client stops there, with an error that
says what was wrong. `hits` counts the requests each path received.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Rig:
    def __init__(self) -> None:
        self.base = ""
        self.hits: Counter[str] = Counter()
        self.prm: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}
        self.handlers: dict[str, Handler] = {
            "/mcp": self.mcp,
            "/.well-known/oauth-protected-resource/mcp": self.prm_handler,
            "/.well-known/oauth-authorization-server": self.metadata_handler,
            "/register": self.register,
            "/authorize": self.authorize,
            "/token": self.token,
        }
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return self.base + "/mcp"

    async def start(self) -> Rig:
        app = web.Application()

        async def dispatch(request: web.Request) -> web.StreamResponse:
            self.hits[request.path] += 1
            handler = self.handlers.get(request.path)
            if handler is None:
                raise web.HTTPNotFound()
            return await handler(request)

        app.router.add_route("*", "/{tail:.*}", dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        self.prm = {"resource": self.url, "authorization_servers": [self.base]}
        self.metadata = {
            "issuer": self.base,
            "authorization_endpoint": self.base + "/authorize",
            "token_endpoint": self.base + "/token",
            "registration_endpoint": self.base + "/register",
            "code_challenge_methods_supported": ["S256"],
        }
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- the default, well-behaved handlers ---------------------------------------------
    async def mcp(self, request: web.Request) -> web.StreamResponse:
        challenge = f'Bearer resource_metadata="{self.base}/.well-known/oauth-protected-resource/mcp"'
        return web.json_response(
            {"error": "invalid_token"}, status=401, headers={"WWW-Authenticate": challenge}
        )

    async def prm_handler(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.prm)

    async def metadata_handler(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.metadata)

    async def register(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        return web.json_response({"client_id": "rig-client", **body}, status=201)

    async def authorize(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        location = q["redirect_uri"] + "?" + urlencode({"code": "rig-code", "state": q.get("state", "")})
        raise web.HTTPFound(location)

    async def token(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"access_token": "rig-token", "token_type": "Bearer", "expires_in": 60})
