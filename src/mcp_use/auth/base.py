"""What the shipped verifiers share: the SDK-shaped `verify_token`, a per-token cache of
results, and one outbound HTTP client. A subclass says only how to verify (`_verify`)."""

from __future__ import annotations

from .cache import TokenCache
from .fetch import Fetcher
from .token import AccessToken, InvalidToken, VerifierUnavailable

MAX_TOKEN = 16 * 1024


class CachingVerifier:
    def __init__(self, required_scopes: list[str] | None, cache_ttl: float) -> None:
        self.required_scopes = list(required_scopes or ())
        self._fetcher = Fetcher()
        self._results = TokenCache(cache_ttl)

    async def verify_token(self, token: str) -> AccessToken | None:
        """The SDK's `TokenVerifier` call: the token, or None when refused for any reason
        (also when it lacks the verifier's `required_scopes`)."""
        try:
            access = await self.check(token)
        except (InvalidToken, VerifierUnavailable):
            return None
        if not set(self.required_scopes) <= set(access.scopes):
            return None
        return access

    async def check(self, token: str) -> AccessToken:
        """The token, or `InvalidToken` saying why (expired, wrong issuer, bad signature...);
        `VerifierUnavailable` when it cannot be decided now."""
        cached = self._results.get(token)
        if cached is not None:
            return cached
        if len(token) > MAX_TOKEN:
            raise InvalidToken("the token is too long")
        access = await self._verify(token)
        self._results.put(token, access)
        return access

    async def _verify(self, token: str) -> AccessToken:
        raise NotImplementedError

    async def close(self) -> None:
        await self._fetcher.close()
