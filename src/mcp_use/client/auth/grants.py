"""Token endpoint requests: every grant, client authentication and DPoP in one place.

A grant is a form (`authorization_code`, `refresh_token`, `client_credentials`, the
RFC 7523 `jwt-bearer`, the RFC 8693 `token-exchange`); `token_request()` adds the
client's authentication (`client_secret_basic`, `client_secret_post`, `none`, or a
`private_key_jwt` assertion), a DPoP proof when the client has a key (retrying once
with the server's nonce on `use_dpop_nonce`), and checks the answer: a JSON object
with an `access_token`, else an `OAuthError` carrying the server's `error`.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from . import dpop
from .errors import OAuthError, require_jwt
from .http import request

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class ClientAuth:
    """How this client proves who it is at a token endpoint."""

    client_id: str
    client_secret: str | None = None
    method: str = "none"  # client_secret_basic | client_secret_post | none | private_key_jwt
    private_key: str | None = None  # PEM, for private_key_jwt
    signing_alg: str | None = None
    audience: str | None = None  # the issuer, for private_key_jwt

    def apply(self, form: dict[str, str], headers: dict[str, str]) -> None:
        if self.method == "client_secret_basic" and self.client_secret is not None:
            pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
            form["client_id"] = self.client_id  # some servers look the client up by it first
        elif self.method == "client_secret_post" and self.client_secret is not None:
            form["client_id"] = self.client_id
            form["client_secret"] = self.client_secret
        elif self.method == "private_key_jwt" and self.private_key:
            form["client_assertion_type"] = ASSERTION_TYPE
            form["client_assertion"] = self._assertion()
        else:
            form["client_id"] = self.client_id

    def _assertion(self) -> str:
        jwt = require_jwt("private_key_jwt client authentication")
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.audience,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        try:
            return jwt.encode(
                claims, self.private_key, algorithm=self.signing_alg or _alg_for(self.private_key)
            )
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise OAuthError(f"cannot sign the private_key_jwt assertion: {exc}") from None


def _alg_for(pem: str | None) -> str:
    require_jwt("private_key_jwt client authentication")
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key((pem or "").encode(), password=None)
    except ValueError as exc:
        raise OAuthError(f"private key is not a PEM private key: {exc}") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {256: "ES256", 384: "ES384", 521: "ES512"}.get(key.curve.key_size, "ES256")
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    return "EdDSA"


@dataclass
class Tokens:
    access_token: str
    token_type: str = "Bearer"
    refresh_token: str | None = None
    expires_at: float | None = None  # absolute UNIX time
    scope: str | None = None
    lifetime: float | None = None  # expires_in as granted: how early a refresh is due
    extra: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        out = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_at": self.expires_at,
            "lifetime": self.lifetime,
        }
        if self.refresh_token:
            out["refresh_token"] = self.refresh_token
        if self.scope is not None:
            out["scope"] = self.scope
        return out

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Tokens | None:
        token = data.get("access_token")
        if not isinstance(token, str):
            return None
        exp = data.get("expires_at")
        life = data.get("lifetime")
        return cls(
            access_token=token,
            token_type=str(data.get("token_type") or "Bearer"),
            refresh_token=data.get("refresh_token") if isinstance(data.get("refresh_token"), str) else None,
            expires_at=float(exp) if isinstance(exp, (int, float)) else None,
            scope=data.get("scope") if isinstance(data.get("scope"), str) else None,
            lifetime=float(life) if isinstance(life, (int, float)) else None,
        )

    def refresh_due(self, margin: float) -> bool:
        """Time to renew: within `margin` seconds of expiry, or of a quarter of a short
        lifetime (a 30 s token is renewed at 22 s, not on every request)."""
        if self.lifetime is not None:
            margin = min(margin, self.lifetime / 4)
        return self.expires_within(margin)

    def expires_within(self, seconds: float) -> bool:
        return self.expires_at is not None and self.expires_at - time.time() <= seconds

    def __repr__(self) -> str:  # never show the secrets
        return f"<Tokens {self.token_type} scope={self.scope!r} expires_at={self.expires_at}>"


@dataclass
class DPoPState:
    """The client's DPoP key and the latest nonce each server origin gave it."""

    key: dict[str, Any]
    nonces: dict[str, str] = field(default_factory=dict)

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        return dpop.proof(
            self.key, method, url, nonce=self.nonces.get(dpop.origin(url)), access_token=access_token
        )

    def remember(self, url: str, headers: Any) -> bool:
        """Keep a `DPoP-Nonce` from a response; True when it is new."""
        nonce = headers.get("dpop-nonce") if headers is not None else None
        if nonce and self.nonces.get(dpop.origin(url)) != nonce:
            self.nonces[dpop.origin(url)] = nonce
            return True
        return False


async def token_request(
    session: aiohttp.ClientSession,
    endpoint: str,
    form: dict[str, str],
    auth: ClientAuth | None,
    *,
    dpop_state: DPoPState | None = None,
    what: str = "token request",
) -> Tokens:
    """POST one grant to the token endpoint and return the tokens, or raise `OAuthError`."""
    for attempt in range(2):
        body, headers = dict(form), {}
        if auth is not None:
            auth.apply(body, headers)
        if dpop_state is not None:
            headers["dpop"] = dpop_state.proof("POST", endpoint)
        reply = await request(session, "POST", endpoint, what=what, form=body, headers=headers)
        fresh_nonce = dpop_state is not None and dpop_state.remember(endpoint, reply.headers)
        if reply.status == 200:
            return _tokens(reply.json_object(f"{what} ({endpoint})"))
        data = _error_body(reply)
        if attempt == 0 and fresh_nonce and data.get("error") == "use_dpop_nonce":
            continue
        code = data.get("error") if isinstance(data.get("error"), str) else None
        desc = data.get("error_description")
        text = f"{what} at {endpoint} failed: HTTP {reply.status}"
        text += f" {code}" if code else (f" ({reply.content_type or 'no content type'})")
        text += f": {desc}" if isinstance(desc, str) and desc else ""
        raise OAuthError(text, error=code)
    raise AssertionError("unreachable")


def _error_body(reply: Any) -> dict[str, Any]:
    try:
        return reply.json_object("token endpoint")
    except OAuthError:
        return {}


def _tokens(data: dict[str, Any]) -> Tokens:
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise OAuthError("the token endpoint answered without an access_token")
    expires_in = data.get("expires_in")
    lifetime = None
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
        lifetime = float(expires_in)
    elif isinstance(expires_in, str) and expires_in.isdigit():
        lifetime = float(expires_in)
    expires_at = time.time() + lifetime if lifetime is not None else None
    refresh = data.get("refresh_token")
    scope = data.get("scope")
    return Tokens(
        access_token=token,
        token_type=str(data.get("token_type") or "Bearer"),
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_at=expires_at,
        scope=scope if isinstance(scope, str) else None,
        lifetime=lifetime,
        extra=data,
    )


__all__ = ["JWT_BEARER", "TOKEN_EXCHANGE", "ClientAuth", "DPoPState", "Tokens", "token_request"]
