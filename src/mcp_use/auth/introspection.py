"""`IntrospectionVerifier`: opaque tokens checked with the authorization server (RFC 7662).

Each new token costs one POST to the introspection endpoint; the answer is kept for
`cache_ttl` seconds (never past the token's `exp`), so a revoked token stops working
within that time. Inactive tokens are refused; `aud` is checked when `audience` is set.
"""

from __future__ import annotations

import time

from .base import CachingVerifier
from .token import AccessToken, InvalidToken, VerifierUnavailable, audiences_from, optional_str, scopes_from


class IntrospectionVerifier(CachingVerifier):
    def __init__(
        self,
        introspection_endpoint: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        audience: str | list[str] | None = None,
        required_scopes: list[str] | None = None,
        cache_ttl: float = 60,
    ) -> None:
        if client_secret is not None and client_id is None:
            raise ValueError("IntrospectionVerifier: client_secret needs a client_id")
        self.introspection_endpoint = introspection_endpoint
        self.client_id = client_id
        self.client_secret = client_secret
        self.audience = audience
        self.cache_ttl = cache_ttl
        super().__init__(required_scopes, cache_ttl)

    async def _verify(self, token: str) -> AccessToken:
        form = {"token": token, "token_type_hint": "access_token"}
        auth = None
        if self.client_secret is not None:
            auth = (self.client_id or "", self.client_secret)
        elif self.client_id is not None:
            form["client_id"] = self.client_id
        status, answer = await self._fetcher.request(
            "POST", self.introspection_endpoint, data=form, auth=auth
        )
        if not isinstance(answer, dict) or ("active" not in answer and status != 200):
            raise VerifierUnavailable(f"the introspection endpoint answered {status}")
        if answer.get("active") is not True:
            raise InvalidToken("the token is not active (revoked, expired or unknown)")
        exp = answer.get("exp")
        if isinstance(exp, (int, float)) and exp < time.time():
            raise InvalidToken("the token has expired")
        audience = audiences_from(answer.get("aud"))
        if self.audience is not None:
            wanted = {self.audience} if isinstance(self.audience, str) else set(self.audience)
            if not wanted & set(audience):
                raise InvalidToken("the token was issued for another audience")
        return AccessToken(
            token=token,
            client_id=optional_str(answer.get("client_id")),
            scopes=scopes_from(answer.get("scope")),
            expires_at=int(exp) if isinstance(exp, (int, float)) else None,
            subject=optional_str(answer.get("sub")),
            audience=audience,
            claims=answer,
        )
