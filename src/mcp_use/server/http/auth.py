"""The resource server's gate: who sent a request, may they, and how to say no.

The facade sets a `ResourceGuard` as `ServerCore.authenticator`. Transports call `admit`
before serving anything at the MCP endpoints and `deny_scopes` once they know which
tool, resource or prompt a request is for; either returns None or the `Denial` to send.
The decision itself (`authenticate`) works on the raw ASGI scope and returns an
`AccessToken` or a `Refusal`; `challenge` and `refusal_parts` say no the RFC 6750 way
(status, `WWW-Authenticate`, and a JSON-RPC error body with the reason). The admitted
token travels in the ASGI scope (`SCOPE_KEY`), so custom routes can read it too.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from typing import Any

from ...auth.cache import TokenCache
from ...auth.token import AccessToken, InvalidToken, VerifierUnavailable, audiences_from, scopes_from
from ...protocol import jsonrpc
from ...protocol.errors import INVALID_REQUEST
from .prm import metadata_url, request_resource

log = logging.getLogger("mcp_use.server.auth")
MAX_TOKEN = 16 * 1024
# RFC 6750 b64token
_B64TOKEN = re.compile(rb"[A-Za-z0-9\-._~+/]+=*")
SCOPE_KEY = "mcp_use.access_token"
# Until when the streams a request opens may stay open: its token's expiry plus the
# verifier's leeway (when the server stops accepting that token), or None.
UNTIL_KEY = "mcp_use.token_until"
# What a refusal is sent as: HTTP status, JSON-RPC error body, extra headers.
Denial = tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]


@dataclasses.dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is turned away: HTTP status, OAuth error code, reason, scopes wanted."""

    status: int
    error: str | None
    reason: str
    scopes: tuple[str, ...] = ()


def authorization(raw_headers: list[tuple[bytes, bytes]]) -> bytes | Refusal:
    """The request's one Authorization header value (ASGI names are lower-case)."""
    found = None
    for name, value in raw_headers:
        if name == b"authorization":
            if found is not None:
                return Refusal(400, "invalid_request", "the request has more than one Authorization header")
            found = value
    if found is None:
        return Refusal(401, None, "the request has no Authorization header; send a bearer token")
    return found


def bearer(raw_headers: list[tuple[bytes, bytes]]) -> bytes | Refusal:
    """The bearer token of a request, or why there is none usable."""
    value = authorization(raw_headers)
    return value if isinstance(value, Refusal) else parse_bearer(value)


def parse_bearer(value: bytes) -> bytes | Refusal:
    scheme, _, token = value.strip().partition(b" ")
    if scheme.lower() != b"bearer":
        return Refusal(401, None, "the Authorization header is not a Bearer token")
    token = token.strip()
    if not token:
        return Refusal(401, "invalid_token", "the Bearer token is empty")
    if len(token) > MAX_TOKEN:
        return Refusal(401, "invalid_token", f"the Bearer token is longer than {MAX_TOKEN} bytes")
    if _B64TOKEN.fullmatch(token) is None:
        return Refusal(401, "invalid_token", "the Bearer token has characters RFC 6750 does not allow")
    return token


def adopt(value: Any, token: str) -> AccessToken:
    """Any verifier's answer (ours, the SDK's AccessToken, a dict) as our `AccessToken`."""
    if isinstance(value, AccessToken):
        return value
    get = value.get if isinstance(value, dict) else lambda k, d=None: getattr(value, k, d)
    audience = get("audience") or get("resource") or get("aud")
    return AccessToken(
        token=token,
        client_id=get("client_id"),
        scopes=scopes_from(get("scopes") or get("scope") or ()),
        expires_at=get("expires_at"),
        subject=get("subject") or get("sub"),
        audience=audiences_from(
            str(audience) if audience is not None and not isinstance(audience, list) else audience
        ),
        claims=dict(get("claims") or {}),
    )


def _quotable(text: str) -> str:
    """Text safe inside a quoted header parameter: printable ASCII without `"` or `\\`
    (a reason may quote a token's `kid`, a URL the request's Host)."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)


def _norm(url: str) -> str:
    return url.rstrip("/")


class ResourceGuard:
    """An OAuth 2.1 resource server's bearer check for one MCP server: the verifier, the
    audiences a token must name, the scopes it must carry, and how refusals read."""

    def __init__(
        self,
        verifier: Any,
        *,
        name: str,
        mcp_path: str,
        features: Any,
        authorization_servers: list[str] | None,
        resource_url: str | None,
        required_scopes: list[str] | None,
    ) -> None:
        """`features`: the tools, prompts, resources and templates registries (anything
        with `.get(key)` and `.values()`), read for the scopes each declares."""
        if not callable(getattr(verifier, "verify_token", None)):
            raise TypeError("auth= needs an object with `async verify_token(token) -> AccessToken | None`")
        self.name = name
        self.mcp_path = mcp_path
        self.features = features
        self.verifier = verifier
        self._check = getattr(verifier, "check", None)
        self.leeway = float(getattr(verifier, "leeway", 0) or 0)  # JWTVerifier's, on `exp`
        issuer = getattr(verifier, "issuer", None)
        if authorization_servers is None and issuer:
            authorization_servers = [issuer] if isinstance(issuer, str) else list(issuer)
        self.authorization_servers = list(authorization_servers or ())
        self.resource_url = resource_url
        wanted = list(required_scopes or ()) + list(getattr(verifier, "required_scopes", None) or ())
        self.required_scopes = tuple(dict.fromkeys(wanted))
        # A token must name one of these audiences; None: the URL the request came to.
        configured = [resource_url] if resource_url else []
        verifier_audience = getattr(verifier, "audience", None)
        configured += audiences_from(verifier_audience)
        self.audiences = frozenset(_norm(a) for a in configured) or None
        # Admitted Authorization values, so a token's next request costs a dict lookup. Only
        # for our verifiers (they cache anyway); another verifier is asked every time.
        ttl = getattr(verifier, "cache_ttl", getattr(verifier, "RESULT_TTL", 0)) if self._check else 0
        self._admitted = TokenCache(ttl)

    # ---- the decision -------------------------------------------------------------
    async def authenticate(self, scope: dict[str, Any]) -> AccessToken | Refusal:
        value = authorization(scope["headers"])
        if isinstance(value, Refusal):
            return value
        key: Any = value if self.audiences is not None else (value, request_resource(self, scope))
        admitted = self._admitted.get(key)
        if admitted is not None:
            return admitted
        outcome = await self._decide(value, scope)
        if isinstance(outcome, AccessToken):
            self._admitted.put(key, outcome)
        return outcome

    async def _decide(self, value: bytes, scope: dict[str, Any]) -> AccessToken | Refusal:
        raw = parse_bearer(value)
        if isinstance(raw, Refusal):
            return raw
        token = raw.decode("ascii")
        try:
            if self._check is not None:
                access = adopt(await self._check(token), token)
            else:
                answer = await self.verifier.verify_token(token)
                if answer is None:
                    return Refusal(401, "invalid_token", "the token was rejected by the verifier")
                access = adopt(answer, token)
                if access.expires_at is not None and access.expires_at < time.time():
                    return Refusal(401, "invalid_token", "the token has expired")
        except InvalidToken as exc:
            return Refusal(401, "invalid_token", str(exc))
        except VerifierUnavailable as exc:
            return Refusal(503, None, f"the token could not be verified now: {exc}")
        if not access.audience:
            return Refusal(
                401, "invalid_token", "the token names no audience (aud); it must name this server"
            )
        accepted = self.audiences or {_norm(request_resource(self, scope))}
        if not any(_norm(a) in accepted for a in access.audience):
            return Refusal(401, "invalid_token", "the token was issued for another resource, not this server")
        missing = [s for s in self.required_scopes if s not in access.scopes]
        if missing:
            return Refusal(
                403, "insufficient_scope", "the token lacks scopes " + " ".join(missing), self.required_scopes
            )
        return access

    def target_scopes(self, method: str, params: dict[str, Any]) -> tuple[str, ...]:
        """The scopes the tool, resource or prompt a request is for declares (`scopes=`)."""
        features = self.features
        target: Any = None
        if method == "tools/call":
            target = features.tools.get(params.get("name"))
        elif method == "prompts/get":
            target = features.prompts.get(params.get("name"))
        elif method == "resources/read":
            uri = params.get("uri")
            target = features.resources.get(uri)
            if target is None and isinstance(uri, str):
                target = next((t for t in features.templates.values() if t.match(uri) is not None), None)
        return getattr(target, "scopes", None) or ()

    def scope_refusal(self, access: AccessToken | None, method: str, params: Any) -> Refusal | None:
        """403 when the token lacks a scope of the request's target (the server's own
        `required_scopes` were checked when the token was admitted)."""
        if access is None or not isinstance(params, dict):
            return None
        own = self.target_scopes(method, params)
        if not own:
            return None
        missing = [s for s in own if s not in access.scopes]
        if not missing:
            return None
        needed = tuple(dict.fromkeys((*self.required_scopes, *own)))
        target = params.get("name") or params.get("uri") or method
        return Refusal(
            403, "insufficient_scope", f"{method} {target} needs scopes {' '.join(missing)}", needed
        )

    # ---- saying no ----------------------------------------------------------------
    def challenge(self, refusal: Refusal, scope: dict[str, Any]) -> str:
        """The `WWW-Authenticate` value for a refusal."""
        parts = []
        if refusal.error is not None:
            parts.append(f'error="{refusal.error}"')
        scopes = refusal.scopes or (self.required_scopes if refusal.status == 401 else ())
        if scopes:
            parts.append(f'scope="{" ".join(scopes)}"')
        parts.append(f'resource_metadata="{_quotable(metadata_url(self, scope))}"')
        if refusal.error is not None:
            parts.append(f'error_description="{_quotable(refusal.reason)}"')
        return "Bearer " + ", ".join(parts)

    def refusal_parts(self, refusal: Refusal, scope: dict[str, Any], request_id: Any = None) -> Denial:
        """Status, JSON-RPC error body and headers; logs the reason once (never the token)."""
        log.info("Refused %s %s: %s", scope.get("method"), scope.get("path"), refusal.reason)
        title = {401: "Unauthorized", 403: "Forbidden", 400: "Bad Request"}.get(refusal.status, "Unavailable")
        data = {"error": refusal.error or "unauthorized", "error_description": refusal.reason}
        if refusal.scopes:
            data["scope"] = " ".join(refusal.scopes)
        body = jsonrpc.error(request_id, INVALID_REQUEST, f"{title}: {refusal.reason}", data)
        headers = []
        if refusal.status in (400, 401, 403):
            headers.append((b"www-authenticate", self.challenge(refusal, scope).encode()))
        else:
            headers.append((b"retry-after", b"5"))
        return refusal.status, body, headers

    def response(self, refusal: Refusal, scope: dict[str, Any], request_id: Any = None) -> Any:
        """The refusal as a Starlette response (legacy SSE, custom routes)."""
        return denial_response(self.refusal_parts(refusal, scope, request_id))

    # ---- what transports call -----------------------------------------------------
    async def admit(self, scope: dict[str, Any]) -> Denial | None:
        """None when the request may proceed (its token kept in the scope), else the
        answer to send: status, JSON-RPC error body, headers."""
        outcome = await self.authenticate(scope)
        if isinstance(outcome, Refusal):
            return self.refusal_parts(outcome, scope)
        self._keep(scope, outcome)
        return None

    def admit_known(self, scope: dict[str, Any], value: bytes | None) -> bool:
        """`admit`'s answer for a request whose one Authorization value the caller has read,
        when that value was admitted before and still is: True, its token kept in the
        scope as `admit` keeps it. False means "ask `admit`" (not a refusal)."""
        if value is None or self.audiences is None:  # (then the key has the request's URL)
            return False
        access = self._admitted.get(value)
        if access is None:
            return False
        self._keep(scope, access)
        return True

    def _keep(self, scope: dict[str, Any], access: AccessToken) -> None:
        scope[SCOPE_KEY] = access
        scope[UNTIL_KEY] = None if access.expires_at is None else float(access.expires_at) + self.leeway

    async def check_request(self, scope: dict[str, Any], request_id: Any = None) -> Any:
        """For Starlette endpoints: None when admitted (token kept in the scope), else the
        refusal as a response."""
        outcome = await self.authenticate(scope)
        if isinstance(outcome, Refusal):
            return self.response(outcome, scope, request_id)
        self._keep(scope, outcome)
        return None

    def deny_scopes(self, scope: dict[str, Any], message: Any) -> Denial | None:
        """The 403 to send when the request's token lacks the scopes of its target."""
        if not isinstance(message, dict) or "method" not in message:
            return None
        refusal = self.scope_refusal(scope.get(SCOPE_KEY), message["method"], message.get("params") or {})
        if refusal is None:
            return None
        return self.refusal_parts(refusal, scope, message.get("id"))


def protect(
    core: Any,
    verifier: Any,
    resource_url: str | None,
    authorization_servers: list[str] | None,
    scopes: list[str] | None,
) -> None:
    """Give the core its bearer check (`MCPServer(auth=...)`). Set before any transport
    exists, as each copies `core.authenticator` when built."""
    if verifier is None:
        raise ValueError("authorization_servers and required_scopes need auth= (a token verifier)")
    core.authenticator = ResourceGuard(
        verifier,
        name=core.settings.identity.name,
        mcp_path=core.settings.paths.mcp,
        features=core.features,
        authorization_servers=authorization_servers,
        resource_url=resource_url,
        required_scopes=scopes,
    )


def principal_of(scope: dict[str, Any]) -> str | None:
    """The principal of an authenticated request (None on an unprotected server)."""
    access = scope.get(SCOPE_KEY)
    return access.principal if access is not None else None


def expiry_of(scope: dict[str, Any]) -> float | None:
    """Until when (Unix time) the token of an authenticated request is accepted, if it
    expires: the long-lived streams it opens end then (SSE, GET, `subscriptions/listen`)."""
    return scope.get(UNTIL_KEY)


def denial_response(denied: Denial) -> Any:
    """A `Denial` as a Starlette response, for endpoints that answer with one."""
    from starlette.responses import JSONResponse

    status, body, headers = denied
    return JSONResponse(body, status_code=status, headers={k.decode(): v.decode() for k, v in headers})
