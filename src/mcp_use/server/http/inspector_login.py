"""Sign in from the inspector page: the client's OAuth flow, run by the debug server.

A URL typed into the page that answers 401 with `resource_metadata` gets a "Sign in"
button. The page cannot hold the flow itself (the authorization server would redirect
a token to a page script, and CORS blocks discovery), so the debug server runs the
client's own `OAuthProvider` for that URL and keeps the tokens:

- `POST {proxy}/login?url=U` probes U (an unauthenticated `ping`), hands the 401 to a
  fresh provider (discovery, registration, PKCE, RFC 8707 `resource`) and answers the
  authorization URL for the page to open, while the provider's `authorize` step waits
  (at most `timeout` seconds) for the redirect;
- `GET {proxy}/oauth/callback` receives that redirect (its `state` names the waiting
  flow; an unknown or missing state is refused), lets the provider check it and
  exchange the code, and says "signed in, you can close this tab";
- `GET {proxy}/login?url=U` tells the page how the flow for U stands (waiting up to
  `wait` seconds for a pending one), `DELETE` signs out (the tokens are dropped).

A sign-in belongs to the RFC 8707 resource its tokens are for (the `resource` of the
server's protected resource metadata), not to an origin: two MCP endpoints on one host
with different resources get one sign-in each, and a token never goes to the other
(its audience is not that server). From then on the proxy asks `auth_for(url)` and
signs requests to URLs within that resource, and only those, with the provider, which
refreshes the token when it can; when it cannot, the proxy answers 401 and the page
offers "Sign in" again (no browser step is started behind the page's back).

Step-up: a 403 `insufficient_scope` makes the provider ask for the union of the scopes
held and challenged, which needs the browser. The sign-in remembers that union, and the
next "Sign in" for the URL asks for it (besides the server's own challenge), as the
client's `OAuthProvider` does for step-up; after `MAX_SCOPE_SIGN_INS` such sign-ins that
still lack a scope the proxy stops offering another (no loop). Tokens live in memory, per
debug-server process: a restart means signing in again. The routes are guarded exactly like the proxy route (loopback
client, loopback or allowed Host, same-origin page), except the callback, which is a
top-level navigation coming back from the authorization server: it needs the loopback
client and Host, and the unguessable `state` of a flow this page started.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .inspector_proxy import admit, error_response, origin_of

if TYPE_CHECKING:
    import aiohttp

    from ...client.auth.provider import OAuthProvider
    from ...client.transports.http_auth import HTTPAuth
    from .security import HostGuard

log = logging.getLogger("mcp_use.inspect")
PROBE = b'{"jsonrpc": "2.0", "id": 0, "method": "ping"}'
START_TIMEOUT = 30.0  # discovery and registration, before the authorization URL exists
MAX_WAIT = 25.0  # one status long-poll
MAX_PENDING = 8
TIMEOUT_ENV = "MCP_USE_INSPECTOR_SIGNIN_TIMEOUT"
DEFAULT_TIMEOUT = 300.0
MAX_SCOPE_SIGN_INS = 2  # step-up sign-ins in a row for one URL that still lack a scope


@dataclass
class SignIn:
    """One URL's sign-in: the provider, the flow's task, the two rendezvous, and the scopes:
    `scopes` were asked for in its browser step, `wanted` by later (step-up) flows that
    could not ask the browser, `stepped` says one did (a 403 on a token the provider
    still holds, not a dead token), `step_ups` counts the step-up sign-ins that led here."""

    url: str
    provider: OAuthProvider
    scopes: list[str] = field(default_factory=list)
    wanted: list[str] = field(default_factory=list)
    step_ups: int = 0
    stepped: bool = False
    authorization_url: asyncio.Future[str] = field(default_factory=lambda: _future())
    redirect: asyncio.Future[str] = field(default_factory=lambda: _future())
    task: asyncio.Task[bool] | None = None
    interactive: bool = True  # False once the page's flow is over: later flows may not ask
    state: str | None = None

    def status(self) -> dict[str, Any]:
        task = self.task
        if task is None or not task.done():
            return {"status": "pending", "url": self.url}
        if task.cancelled():
            return {"status": "failed", "error": "the sign-in was abandoned", "url": self.url}
        exc = task.exception()
        if exc is not None:
            return {"status": "failed", "error": str(exc), "url": self.url}
        if task.result() and self.provider.tokens is not None:
            return {"status": "signed-in", "url": self.url}
        return {"status": "failed", "error": "the authorization server issued no token", "url": self.url}


def _future() -> asyncio.Future[str]:
    return asyncio.get_running_loop().create_future()


class InspectorLogins:
    """The sign-ins of one debug server (or `mcp-use inspect`), keyed by resource."""

    def __init__(self, guard: HostGuard, *, timeout: float = 300.0, lifecycle: Any = None) -> None:
        from ...client.auth.storage import MemoryTokenStorage

        self.guard = guard
        self.timeout = timeout
        # the server's `Lifecycle` (or the one `mcp-use inspect` makes, whose app also
        # closes us): its shutdown closes the HTTP session the sign-ins share
        self.lifecycle = lifecycle
        self._closer: asyncio.Task[None] | None = None
        self.storage = MemoryTokenStorage()
        self._attempts: dict[str, SignIn] = {}  # the latest attempt per (canonical) URL
        self._signed_in: dict[str, SignIn] = {}  # by resource: the ones the proxy signs with
        self._carry: dict[str, tuple[list[str], int]] = {}  # URL -> (step-up scopes, count)
        self._by_state: dict[str, SignIn] = {}
        # what `forget` said of each sign-in it dropped, for the requests that were
        # refused with the same token at the same time and ask after it
        self._verdicts: weakref.WeakKeyDictionary[object, bool] = weakref.WeakKeyDictionary()
        self._session: aiohttp.ClientSession | None = None

    # ---- for the proxy --------------------------------------------------------------------
    def auth_for(self, url: str) -> OAuthProvider | None:
        """The provider signed in for `url`'s resource, or None: never another resource's."""
        entry = self._signed_for(url)
        return entry.provider if entry is not None else None

    def _signed_for(self, url: str) -> SignIn | None:
        """The sign-in made for this very URL, else the one whose resource contains it
        (the most specific): a token is only sent within its audience."""
        c = canonical(url)
        exact = [e for e in self._signed_in.values() if canonical(e.url) == c]
        if exact:
            return exact[0]
        within = [(len(r), e) for r, e in self._signed_in.items() if covers(r, c)]
        return max(within, key=lambda pair: pair[0])[1] if within else None

    async def forget(self, url: str, provider: object) -> bool | None:
        """Stop signing requests to `url`'s resource with `provider` (its token was refused
        and cannot be renewed, or lacks scopes only a browser step can add); the page is
        told it is signed out. True when another "Sign in" may help: False once
        `MAX_SCOPE_SIGN_INS` step-up sign-ins in a row still lacked a scope; None when
        `provider` is no sign-in of ours. Requests refused together (the page's GET stream
        and a call) each get the verdict, not only the first to ask."""
        entry = self._signed_for(url)
        if entry is None or entry.provider is not provider:
            return self._verdicts.get(provider)
        for key in [k for k, e in self._signed_in.items() if e is entry]:
            del self._signed_in[key]
        if self._attempts.get(canonical(entry.url)) is entry:
            del self._attempts[canonical(entry.url)]
        verdict = self._verdicts[provider] = self._carry_over(entry)
        await entry.provider.logout()  # the stored copy too: a new sign-in must not reuse it
        return verdict

    def _carry_over(self, entry: SignIn) -> bool:
        """What the next sign-in for `entry`'s URL asks for; whether one may help."""
        key = canonical(entry.url)
        if not entry.stepped:  # a dead token: the next sign-in asks for what this one had
            self._carry[key] = (entry.provider.step_up_scopes, entry.step_ups)
            return True
        union = list(dict.fromkeys([*entry.provider.step_up_scopes, *entry.scopes, *entry.wanted]))
        if entry.step_ups >= MAX_SCOPE_SIGN_INS:  # kept until Sign out: no new round of tries
            self._carry[key] = (union, entry.step_ups)
            log.warning("%s still refuses the token for scopes after %d sign-ins", entry.url, entry.step_ups)
            return False
        self._carry[key] = (union, entry.step_ups + 1)
        return True

    # ---- routes ---------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        url = admit(request, self.guard, "Sign-in")
        if not isinstance(url, str):
            return url
        if request.method == "GET":
            return await self._status(url, request)
        if request.method == "DELETE":
            return await self._sign_out(url)
        return await self._start(url, request)

    async def _start(self, url: str, request: Request) -> Response:
        if sum(1 for e in self._by_state.values() if e.task and not e.task.done()) >= MAX_PENDING:
            return error_response(429, "Too many sign-ins are waiting for their browser step")
        try:
            status, headers = await self._probe(url)
        except (OSError, TimeoutError) as exc:
            return error_response(502, f"Cannot reach {url}: {exc or type(exc).__name__}")
        if status != 401:
            return error_response(409, f"{url} did not ask for authorization (HTTP {status})")
        entry = self._new_sign_in(url, _callback_uri(request))
        previous = self._attempts.get(canonical(url))
        if previous is not None and previous.task is not None and not previous.task.done():
            previous.task.cancel()
        self._attempts[canonical(url)] = entry
        entry.task = asyncio.get_running_loop().create_task(self._run(entry, headers))
        entry.task.add_done_callback(_retrieve)
        waiters = {entry.authorization_url, entry.task}
        done, _ = await asyncio.wait(waiters, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if entry.authorization_url in done:
            return JSONResponse({"status": "pending", "authorizationUrl": entry.authorization_url.result()})
        if entry.task in done:
            return JSONResponse(entry.status(), 200 if entry.status()["status"] == "signed-in" else 502)
        entry.task.cancel()
        return error_response(504, f"Discovery and registration for {url} took over {START_TIMEOUT:g}s")

    def _new_sign_in(self, url: str, redirect_uri: str) -> SignIn:
        from ...client.auth.provider import OAuthProvider

        holder: list[SignIn] = []
        step_up, step_ups = self._carry.get(canonical(url), ([], 0))

        async def authorize(authorization_url: str) -> str:
            return await self._authorize(holder[0], authorization_url)

        provider = OAuthProvider(
            url,
            storage=self.storage,
            authorize=authorize,
            authorize_timeout=self.timeout,
            session_factory=self._http,
            name=url,
            redirect_uri=redirect_uri,
            step_up_scopes=step_up,
        )
        holder.append(SignIn(url=url, provider=provider, step_ups=step_ups))
        return holder[0]

    async def _run(self, entry: SignIn, headers: dict[str, str]) -> bool:
        """The provider's own 401 handling: discovery, registration, authorization code."""
        try:
            ok = await entry.provider.on_response(401, headers, "POST", entry.url)
        finally:
            entry.interactive = False
            if entry.state is not None:
                self._by_state.pop(entry.state, None)
        if ok and entry.provider.tokens is not None:
            resource = entry.provider.resource or canonical(entry.url)
            stale = self._signed_in.get(resource)
            self._signed_in[resource] = entry
            if stale is not None and stale is not entry:
                self._signed_in = {k: e for k, e in self._signed_in.items() if e is not stale}
            log.info("signed in to %s for resource %s (tokens kept in memory)", entry.url, resource)
        return ok

    async def _authorize(self, entry: SignIn, authorization_url: str) -> str:
        """The provider's `authorize` step: publish the URL, wait for the callback."""
        from ...client.auth.errors import OAuthError

        query = parse_qs(urlsplit(authorization_url).query)
        asked = query.get("scope", [""])[0].split()
        if not entry.interactive or entry.authorization_url.done():
            entry.wanted = list(dict.fromkeys([*entry.wanted, *asked]))
            entry.stepped = entry.stepped or entry.provider.tokens is not None  # a 403 step-up
            extra = [s for s in asked if s not in entry.scopes]
            if extra:
                # (the provider names the server in front of the message)
                raise OAuthError(f"needs scopes this sign-in lacks ({' '.join(extra)}): sign in again")
            if entry.stepped:
                raise OAuthError(
                    f"still refuses the token for lack of scopes ({' '.join(asked)}): sign in again"
                )
            raise OAuthError("needs a new sign-in: use Sign in in the inspector")
        entry.scopes = asked
        state = query.get("state", [""])[0]
        entry.state = state
        self._by_state[state] = entry
        entry.authorization_url.set_result(authorization_url)
        try:
            return await asyncio.wait_for(asyncio.shield(entry.redirect), self.timeout)
        except TimeoutError:
            raise OAuthError(f"no sign-in callback arrived within {self.timeout:g}s") from None
        finally:
            self._by_state.pop(state, None)

    async def callback(self, request: Request) -> Response:
        client = request.client
        from .security import is_loopback

        if (
            client is None
            or not is_loopback(client.host)
            or not self.guard.host_ok(request.headers.get("host"))
        ):
            return _page(403, "Refused", "The sign-in callback serves only this machine.")
        state = request.query_params.get("state")
        entry = self._by_state.get(state) if state else None
        if entry is None:
            why = "no state" if not state else "an unknown or expired state"
            return _page(400, "Sign-in refused", f"This callback has {why}: no sign-in is waiting for it.")
        if not entry.redirect.done():
            entry.redirect.set_result(str(request.url))
        assert entry.task is not None
        await asyncio.wait({entry.task}, timeout=START_TIMEOUT)  # the code exchange; never raises
        outcome = entry.status()
        if outcome["status"] == "signed-in":
            return _page(200, "Signed in", f"Signed in to {entry.url}. You can close this tab.")
        return _page(400, "Sign-in failed", f"Signing in to {entry.url} failed: {outcome.get('error')}")

    async def _status(self, url: str, request: Request) -> Response:
        entry = self._attempts.get(canonical(url)) or self._signed_for(url)
        if entry is None or entry.task is None:
            return JSONResponse({"status": "signed-out", "url": url})
        try:
            wait = min(float(request.query_params.get("wait") or 0), MAX_WAIT)
        except ValueError:
            return error_response(400, "wait= must be a number of seconds")
        if wait > 0 and not entry.task.done():
            await asyncio.wait({entry.task}, timeout=wait)
        return JSONResponse(entry.status())

    async def _sign_out(self, url: str) -> Response:
        entry = self._attempts.pop(canonical(url), None)
        signed = self._signed_for(url)
        self._signed_in = {k: e for k, e in self._signed_in.items() if e is not signed and e is not entry}
        self._carry.pop(canonical(url), None)
        for e in {id(x): x for x in (entry, signed) if x is not None}.values():
            if e.task is not None and not e.task.done():
                e.task.cancel()
            await e.provider.logout()
        return JSONResponse({"status": "signed-out", "url": url})

    # ---- outbound HTTP ---------------------------------------------------------------------
    def _http(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
            if self.lifecycle is not None and self._closer is None:
                self.lifecycle.hook_signals()
                self._closer = asyncio.get_running_loop().create_task(self._close_at_shutdown())
        return self._session

    async def _close_at_shutdown(self) -> None:
        await self.lifecycle.stopping.wait()
        await self.aclose()

    async def _probe(self, url: str) -> tuple[int, dict[str, str]]:
        import aiohttp

        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
        try:
            async with self._http().post(url, data=PROBE, headers=headers, allow_redirects=False) as answer:
                return answer.status, dict(answer.headers)
        except aiohttp.ClientError as exc:
            raise OSError(str(exc) or type(exc).__name__) from None

    async def aclose(self) -> None:
        for entry in list(self._attempts.values()):
            if entry.task is not None and not entry.task.done():
                entry.task.cancel()
        if self._session is not None and not self._session.closed:
            await self._session.close()
            log.info("closed the sign-ins' HTTP session")
        self._session = None


def login_routes(
    proxy_path: str,
    guard: HostGuard,
    headers: Mapping[str, str] | None = None,
    auth: HTTPAuth | None = None,
    *,
    target: str | None = None,
    lifecycle: Any = None,
) -> tuple[list[BaseRoute], InspectorLogins]:
    """The proxy route and the sign-in routes beside it, sharing one `InspectorLogins`.

    The browser step waits at most `MCP_USE_INSPECTOR_SIGNIN_TIMEOUT` seconds (300)."""
    from .inspector_proxy import InspectorProxy

    logins = InspectorLogins(guard, timeout=_timeout_from_env(), lifecycle=lifecycle)
    proxy = InspectorProxy(guard, headers, auth, target=target, logins=logins, lifecycle=lifecycle)
    methods = ["GET", "POST", "DELETE"]
    routes: list[BaseRoute] = [
        Route(proxy_path, endpoint=proxy.handle, methods=methods),
        Route(proxy_path + "/login", endpoint=logins.login, methods=methods),
        Route(proxy_path + "/oauth/callback", endpoint=logins.callback, methods=["GET"]),
    ]
    return routes, logins


def _timeout_from_env() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        raise ValueError(f"{TIMEOUT_ENV} must be a number of seconds, got {raw!r}") from None
    if not 0 < value < 86400:
        raise ValueError(f"{TIMEOUT_ENV} must be between 0 and 86400 seconds, got {raw!r}")
    return value


def canonical(url: str) -> str:
    """A URL as a key: scheme and host lower-cased, the default port made explicit, no
    query or fragment, no trailing slash (RFC 8707 resources compare this way)."""
    origin = origin_of(url)
    if origin is None:
        return url
    scheme, host, port = origin
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}{urlsplit(url).path.rstrip('/')}"


def covers(resource: str, url: str) -> bool:
    """Whether `url` lies within `resource` (same origin, same path or below it)."""
    r, u = canonical(resource), canonical(url)
    return u == r or u.startswith(r + "/")


def _callback_uri(request: Request) -> str:
    """This server's callback route, under the host name the page used (its Host was
    checked): the browser that opened the page comes back to the same server."""
    from ...client.auth.callback import redirect_uri_for

    path = request.url.path.rsplit("/login", 1)[0] + "/oauth/callback"
    return redirect_uri_for(request.url.port or 80, path, request.url.hostname or "127.0.0.1")


def _retrieve(task: asyncio.Task[bool]) -> None:
    """A failed flow is reported through `status()`; never as "exception never retrieved"."""
    if not task.cancelled():
        task.exception()


def _page(status: int, title: str, text: str) -> HTMLResponse:
    body = (
        f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
        f'<body style="font-family:system-ui;margin:3em"><h1>{html.escape(title)}</h1>'
        f'<p id="outcome">{html.escape(text)}</p></body>'
    )
    return HTMLResponse(body, status, headers={"cache-control": "no-store"})


__all__ = ["InspectorLogins"]
