"""`JWTVerifier`: signed JWT access tokens, checked locally (RFC 9068 style).

Keys come from a JWKS URL (fetched with aiohttp, cached, fetched again when a token
names an unknown `kid`, at most every `JWKS_MIN_REFETCH` seconds), a static public key,
or a shared secret for development. A verifier is either asymmetric (JWKS or public
key: RS/PS/ES/EdDSA only) or symmetric (secret: HS only), never both, so a token
signed with HS256 using the public key as the secret is refused; `alg: none` always is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from .base import CachingVerifier
from .token import AccessToken, InvalidToken, VerifierUnavailable, audiences_from, optional_str, scopes_from

log = logging.getLogger("mcp_use.auth")
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
SYMMETRIC = ("HS256", "HS384", "HS512")


class JWTVerifier(CachingVerifier):
    """Verify JWT bearer tokens: signature, `iss`, `aud`, `exp`/`nbf` with `leeway` seconds."""

    JWKS_TTL = 3600.0
    JWKS_MIN_REFETCH = 30.0
    RESULT_TTL = 300.0

    def __init__(
        self,
        jwks_uri: str | None = None,
        public_key: Any = None,
        secret: str | bytes | None = None,
        issuer: str | list[str] | None = None,
        audience: str | list[str] | None = None,
        algorithms: list[str] | None = None,
        required_scopes: list[str] | None = None,
        leeway: float = 30,
    ) -> None:
        try:
            import jwt  # the [auth] extra; imported only when a verifier is built
        except ImportError as exc:
            raise ImportError("JWTVerifier needs pyjwt: pip install 'mcp-use[auth]'") from exc

        self._jwt = jwt
        sources = [s for s in (jwks_uri, public_key, secret) if s is not None]
        if len(sources) != 1:
            raise ValueError("JWTVerifier needs exactly one of jwks_uri, public_key or secret")
        family = SYMMETRIC if secret is not None else ASYMMETRIC
        algorithms = list(algorithms or family)
        wrong = [a for a in algorithms if a not in family]
        if wrong:
            kind = "a shared secret" if secret is not None else "public keys"
            raise ValueError(f"JWTVerifier: algorithms {wrong} cannot be used with {kind}")
        self.jwks_uri = jwks_uri
        self.issuer = issuer
        self.audience = audience
        self.algorithms = algorithms
        super().__init__(required_scopes, self.RESULT_TTL)
        self.leeway = leeway
        self._static_key: Any = None
        if secret is not None:
            self._static_key = secret.encode() if isinstance(secret, str) else secret
        elif public_key is not None:
            self._static_key = _load_public_key(public_key)
        self._keys: dict[str | None, Any] = {}
        self._fetched_at = 0.0
        self._lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    async def _verify(self, token: str) -> AccessToken:
        jwt = self._jwt
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("the token is not a JWT") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise InvalidToken(f"the token's algorithm {alg!r} is not allowed")
        key = self._static_key if self._static_key is not None else await self._jwks_key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp"], "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(_reason(jwt, exc)) from None
        return AccessToken(
            token=token,
            client_id=optional_str(claims.get("client_id") or claims.get("azp") or claims.get("cid")),
            scopes=scopes_from(claims.get("scope", claims.get("scp"))),
            expires_at=int(claims["exp"]),
            subject=optional_str(claims.get("sub")),
            audience=audiences_from(claims.get("aud")),
            claims=claims,
        )

    # ---- JWKS ---------------------------------------------------------------------
    async def _jwks_key(self, kid: Any) -> Any:
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("the token's kid is not a string")
        stale = time.monotonic() - self._fetched_at > self.JWKS_TTL
        if stale or self._pick(kid) is None:
            async with self._fetch_lock():
                due = time.monotonic() - self._fetched_at >= self.JWKS_MIN_REFETCH
                if (stale or self._pick(kid) is None) and due:
                    try:
                        await self._refresh()
                    except VerifierUnavailable as exc:
                        if self._pick(kid) is None:
                            raise
                        log.warning("Keeping the JWKS keys fetched before: %s", exc)
        if not self._keys:
            raise VerifierUnavailable(f"no keys fetched yet from {self.jwks_uri}")
        key = self._pick(kid)
        if key is None:
            raise InvalidToken(f"unknown signing key {kid!r}" if kid else "the token names no key (kid)")
        return key

    def _pick(self, kid: str | None) -> Any:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def _fetch_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]

    async def _refresh(self) -> None:
        assert self.jwks_uri is not None
        self._fetched_at = time.monotonic()  # rate-limits retries too, when this fails
        status, document = await self._fetcher.request("GET", self.jwks_uri)
        if status != 200 or not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise VerifierUnavailable(f"the JWKS at {self.jwks_uri} answered {status} without a key set")
        keys: dict[str | None, Any] = {}
        for entry in document["keys"]:
            if not isinstance(entry, dict) or entry.get("kty") == "oct" or entry.get("use", "sig") != "sig":
                continue  # a symmetric key has no business in a public key set
            try:
                jwk = self._jwt.PyJWK(entry)
            except self._jwt.PyJWTError:
                continue
            keys[entry.get("kid")] = jwk.key
        self._keys = keys


def _load_public_key(value: Any) -> Any:
    if not isinstance(value, (str, bytes)):
        return value  # a cryptography key object
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = value.encode() if isinstance(value, str) else value
    try:
        return load_pem_public_key(data)
    except ValueError as exc:
        raise ValueError(f"JWTVerifier: public_key is not a PEM public key ({exc})") from None


def _reason(jwt: Any, exc: Exception) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "the token has expired"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "the token was issued for another audience"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "the token was issued by another issuer"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "the token is not valid yet"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token lacks the {exc.claim!r} claim"
    if isinstance(exc, (jwt.InvalidSignatureError, jwt.InvalidKeyError)):
        return "the token's signature does not verify"
    return "the token is malformed"
