"""`OAuthProvider`: the client transports' `HTTPAuth` hook that runs OAuth for one server.

`headers()` gives each MCP request its `Authorization` (and a DPoP proof), loading a
stored token on first use and refreshing it shortly before it expires. `on_response()`
sees every answer: a 401 re-runs discovery (the server may have moved to another
authorization server), then uses a stored token, a refresh, or a new grant; a 403
`insufficient_scope` re-authorizes with the union of the scopes held and challenged
(at most `MAX_STEP_UPS` times in a row); a `use_dpop_nonce` challenge or a new
`DPoP-Nonce` header is remembered. Returning True tells the transport to resend once.
The transport says which `Authorization` the refused request carried: a refusal of a
token that is no longer the current one (another request's flow already replaced it)
is answered by resending with the current token, never by another flow, so concurrent
401s share one refresh; a refusal of the current token always starts one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp

from . import challenge, flows, registration
from .callback import Authorize, BrowserAuthorizer, free_port, redirect_uri_for
from .discovery import Discovery, discover
from .dpop import new_private_jwk
from .errors import OAuthError
from .grants import ClientAuth, DPoPState, Tokens
from .settings import OAuthSettings
from .storage import MemoryTokenStorage, TokenStorage, pointer_key, record_key

log = logging.getLogger("mcp_use.client.auth")
MAX_STEP_UPS = 2  # with the first authorization: at most three attempts
MAX_FLOWS = 2  # consecutive 401-driven flows without a success in between
REFRESH_MARGIN_S = 60.0
DPOP_ALGS = ("ES256",)


class OAuthProvider:
    """OAuth 2.1 for one MCP server URL; see the module docstring for the protocol."""

    def __init__(
        self,
        server_url: str,
        settings: OAuthSettings | None = None,
        *,
        storage: TokenStorage | None = None,
        authorize: Authorize | None = None,
        session_factory: Callable[[], aiohttp.ClientSession] | None = None,
        authorize_timeout: float = 300.0,
        name: str | None = None,
        redirect_uri: str | None = None,
        step_up_scopes: Sequence[str] = (),
    ) -> None:
        self.server_url = server_url
        self.settings = settings or OAuthSettings()
        self.storage: TokenStorage = storage if storage is not None else MemoryTokenStorage()
        self.authorize: Authorize = authorize or BrowserAuthorizer(timeout=authorize_timeout)
        self.authorize_timeout = authorize_timeout
        self.name = name
        # who receives the redirect: by default a one-shot loopback server on a free port
        # (or `callback_port`); the inspector passes its debug server's own callback route
        self.redirect_uri = redirect_uri
        # scopes an earlier token for this server turned out to lack (a 403 step-up that
        # could not run then): the first authorization asks for them besides its own
        self.step_up_scopes = list(step_up_scopes)
        self._session_factory = session_factory
        self._session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()
        self._loaded = False
        self._disc: Discovery | None = None
        self._client: ClientAuth | None = None
        self._client_from_registration = False
        self._redirect_uri: str | None = None
        self._tokens: Tokens | None = None
        self._dpop: DPoPState | None = None
        self._scopes: list[str] = []
        self._step_ups = 0
        self._flows = 0
        self._failed: OAuthError | None = None

    # ---- HTTPAuth ------------------------------------------------------------------------
    async def headers(self, method: str, url: str) -> dict[str, str]:
        if not self._loaded:
            async with self._lock:
                if not self._loaded:
                    await self._load()
        tokens = self._tokens
        if tokens is not None and tokens.refresh_due(REFRESH_MARGIN_S):
            async with self._lock:
                if self._tokens is tokens:
                    await self._renew_expiring()
            tokens = self._tokens
        if tokens is None:
            return {}
        if tokens.token_type.lower() == "dpop" and self._dpop is not None:
            return {
                "authorization": f"DPoP {tokens.access_token}",
                "dpop": self._dpop.proof(method, url, tokens.access_token),
            }
        return {"authorization": f"Bearer {tokens.access_token}"}

    async def on_response(
        self,
        status: int,
        headers: Mapping[str, str],
        method: str,
        url: str,
        *,
        authorization: str | None = None,
    ) -> bool:
        try:
            return await self._on_response(status, headers, url, _credential(authorization))
        except OAuthError as exc:
            if exc.server is None and self.name:  # say which server's authorization failed
                raise OAuthError(exc.detail, error=exc.error, server=self.name) from None
            raise

    async def _on_response(
        self, status: int, headers: Mapping[str, str], url: str, refused: str | None
    ) -> bool:
        fresh_nonce = self._dpop.remember(url, _lower(headers)) if self._dpop is not None else False
        if status < 400:
            if self._tokens is not None:
                self._flows = 0
                self._step_ups = 0
            return False
        if status not in (401, 403):
            return False
        ch = challenge.pick(_lower(headers).get("www-authenticate"))
        if ch is not None and ch.error == "use_dpop_nonce":
            return fresh_nonce
        async with self._lock:
            if self._superseded(refused):
                return True  # another request's flow already replaced that token: resend
            if status == 401:
                return await self._on_unauthorized(ch, refused)
            if ch is not None and ch.error == "insufficient_scope":
                return await self._step_up(ch)
        return False

    # ---- the flows ----------------------------------------------------------------------
    def _superseded(self, refused: str | None) -> bool:
        """True when the refused request did not carry the current token (it carried an
        older one, or none because it left before the first token arrived): sending it
        again with the current token is the answer, not a new flow."""
        current = self._tokens.access_token if self._tokens is not None else None
        return current is not None and refused != current

    async def _on_unauthorized(self, ch: challenge.Challenge | None, refused: str | None) -> bool:
        if self._failed is not None:
            raise self._failed
        if self._flows >= MAX_FLOWS:
            return False
        self._flows += 1
        previous, self._tokens = self._tokens, None
        rejected = refused or (previous.access_token if previous else None)
        disc = await discover(self._http(), self.server_url, ch.resource_metadata if ch else None)
        await self._adopt(disc, dpop_hint=ch is not None and ch.scheme == "dpop")
        record = await self.storage.get(record_key(disc.issuer, disc.resource)) or {}
        stored = Tokens.from_record(record.get("tokens") or {})
        if stored is not None and stored.access_token != rejected and not stored.expires_within(0):
            self._tokens = stored
        else:
            refresh_token = (stored.refresh_token if stored else None) or (
                previous.refresh_token if previous else None
            )
            if refresh_token and await self._try_refresh(disc, refresh_token):
                pass
            else:
                wanted = ch.scopes if ch is not None and ch.scopes else self._default_scopes(disc)
                await self._grant(disc, [*wanted, *self.step_up_scopes])
        return True

    async def _step_up(self, ch: challenge.Challenge) -> bool:
        if self._step_ups >= MAX_STEP_UPS or self._disc is None:
            return False
        self._step_ups += 1
        held = list(self._scopes) + ((self._tokens.scope or "").split() if self._tokens else [])
        union = list(dict.fromkeys(held + ch.scopes))
        disc = self._disc
        if ch.resource_metadata:
            disc = await discover(self._http(), self.server_url, ch.resource_metadata)
            await self._adopt(disc, dpop_hint=ch.scheme == "dpop")
        await self._grant(disc, union)
        return True

    def _default_scopes(self, disc: Discovery) -> list[str]:
        return list(self.settings.scopes) or list(disc.scopes_supported)

    def _scope_string(self, disc: Discovery, scopes: list[str]) -> str | None:
        wanted = list(dict.fromkeys(scopes))
        if self.settings.kind == "oauth" and disc.supports("scopes_supported", "offline_access"):
            if "offline_access" not in wanted:
                wanted.append("offline_access")
        return " ".join(wanted) or None

    async def _grant(self, disc: Discovery, scopes: list[str]) -> None:
        """Get new tokens with the kind of grant the settings ask for, and store them."""
        scope = self._scope_string(disc, scopes)
        session, kind = self._http(), self.settings.kind
        try:
            if kind != "oauth":
                tokens = await flows.machine_grant(session, disc, self.settings, scope, self._dpop)
            else:
                client, redirect_uri = await self._registration(disc, scope)
                tokens = await flows.authorization_code(
                    session,
                    disc,
                    client,
                    redirect_uri,
                    scope,
                    self.authorize,
                    self.authorize_timeout,
                    self._dpop,
                )
        except OAuthError as exc:
            if kind == "jwt_bearer":  # a rejected workload assertion is not retried (SEP-1933)
                self._failed = exc
            raise
        self._scopes = scope.split() if scope else []
        self._tokens = tokens
        await self._save()

    async def _registration(self, disc: Discovery, scope: str | None) -> tuple[ClientAuth, str]:
        if self._client is not None and self._redirect_uri is not None:
            return self._client, self._redirect_uri
        s = self.settings
        redirect_uri = self.redirect_uri or redirect_uri_for(s.callback_port or free_port())
        if s.client_id:
            self._client = registration.pre_registered(s.client_id, s.client_secret, disc)
        elif s.client_metadata_url and disc.metadata.get("client_id_metadata_document_supported") is True:
            self._client = ClientAuth(client_id=s.client_metadata_url, method="none")
        else:
            self._client = await registration.register(
                self._http(), disc, redirect_uri=redirect_uri, client_name=s.client_name, scope=scope
            )
            self._client_from_registration = True
        self._redirect_uri = redirect_uri
        return self._client, redirect_uri

    async def _try_refresh(self, disc: Discovery, refresh_token: str) -> bool:
        try:
            self._tokens = await flows.refresh(self._http(), disc, self._client, refresh_token, self._dpop)
        except OAuthError as exc:
            log.info(
                "[%s] token refresh failed (%s); authorizing again", self.name or self.server_url, exc.error
            )
            return False
        await self._save()
        return True

    async def _renew_expiring(self) -> None:
        """Before a request: refresh a token about to expire, or drop it to trigger a new grant."""
        tokens, disc = self._tokens, self._disc
        if tokens is None or disc is None:
            return
        if tokens.refresh_token and await self._try_refresh(disc, tokens.refresh_token):
            return
        if self.settings.kind != "oauth":
            await self._grant(disc, list(self._scopes) or self._default_scopes(disc))
        elif tokens.expires_within(0):
            self._tokens = None

    # ---- state and storage --------------------------------------------------------------
    async def _adopt(self, disc: Discovery, *, dpop_hint: bool) -> None:
        """Switch to a (possibly new) authorization server; its own registration, never another's."""
        if self._disc is None or self._disc.issuer != disc.issuer or self._disc.resource != disc.resource:
            self._client, self._redirect_uri, self._client_from_registration = None, None, False
            self._tokens, self._scopes = None, []
            record = await self.storage.get(record_key(disc.issuer, disc.resource)) or {}
            restored = registration.from_record(record.get("client"))
            if restored is not None and self.settings.kind == "oauth" and not self.settings.client_id:
                (self._client, self._redirect_uri), self._client_from_registration = restored, True
            key = record.get("dpop_key")
            self._dpop = DPoPState(key) if isinstance(key, dict) else None
        self._disc = disc
        algs = disc.metadata.get("dpop_signing_alg_values_supported")
        wants_dpop = dpop_hint or (isinstance(algs, list) and any(a in DPOP_ALGS for a in algs))
        if wants_dpop and self._dpop is None:
            self._dpop = DPoPState(new_private_jwk())

    async def _load(self) -> None:
        self._loaded = True
        pointer = await self.storage.get(pointer_key(self.server_url))
        if (
            not pointer
            or not isinstance(pointer.get("issuer"), str)
            or not isinstance(pointer.get("resource"), str)
        ):
            return
        record = await self.storage.get(record_key(pointer["issuer"], pointer["resource"]))
        if not record or not isinstance(record.get("metadata"), dict):
            return
        disc = Discovery(
            resource=pointer["resource"],
            issuer=pointer["issuer"],
            metadata=record["metadata"],
            scopes_supported=list(record.get("scopes_supported") or []),
        )
        await self._adopt(disc, dpop_hint=False)
        self._tokens = Tokens.from_record(record.get("tokens") or {})
        self._scopes = [s for s in record.get("scopes") or [] if isinstance(s, str)]

    async def _save(self) -> None:
        disc = self._disc
        if disc is None:
            return
        record: dict[str, Any] = {
            "issuer": disc.issuer,
            "resource": disc.resource,
            "metadata": disc.metadata,
            "scopes_supported": disc.scopes_supported,
            "scopes": self._scopes,
        }
        if self._tokens is not None:
            record["tokens"] = self._tokens.to_record()
        if self._client is not None and self._client_from_registration:
            record["client"] = registration.to_record(self._client, self._redirect_uri)
        if self._dpop is not None:
            record["dpop_key"] = self._dpop.key
        pointer = {"issuer": disc.issuer, "resource": disc.resource}
        try:
            await self.storage.set(record_key(disc.issuer, disc.resource), record)
            await self.storage.set(pointer_key(self.server_url), pointer)
        except Exception as exc:  # a full disk costs the next run a login, not this connection
            log.warning("[%s] could not store tokens: %s", self.name or self.server_url, type(exc).__name__)

    async def logout(self) -> None:
        """Forget this server's tokens and registration, in memory and in storage."""
        async with self._lock:
            pointer = await self.storage.get(pointer_key(self.server_url))
            if (
                pointer
                and isinstance(pointer.get("issuer"), str)
                and isinstance(pointer.get("resource"), str)
            ):
                await self.storage.delete(record_key(pointer["issuer"], pointer["resource"]))
            await self.storage.delete(pointer_key(self.server_url))
            self._tokens, self._client, self._disc, self._dpop, self._loaded = None, None, None, None, True

    # ---- HTTP session -------------------------------------------------------------------
    def _http(self) -> aiohttp.ClientSession:
        """The client's shared session when given one (its pool); else one of our own."""
        if self._session_factory is not None:
            return self._session_factory()
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def aclose(self) -> None:
        """Close the session this provider made itself (a shared one belongs to its owner)."""
        if self._session is not None:
            await self._session.close()
        self._session = None

    @property
    def tokens(self) -> Tokens | None:
        return self._tokens

    @property
    def resource(self) -> str | None:
        """The RFC 8707 resource (from the server's metadata) the tokens are for, once known."""
        return self._disc.resource if self._disc is not None else None

    def __repr__(self) -> str:
        return f"<OAuthProvider {self.server_url} kind={self.settings.kind}>"


def _credential(authorization: str | None) -> str | None:
    """The token of an `Authorization` value (`Bearer x` or `DPoP x`), None without one."""
    if not authorization:
        return None
    token = authorization.strip().partition(" ")[2]
    return token.strip() or None


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


__all__ = ["OAuthProvider"]
