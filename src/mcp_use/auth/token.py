"""What a verified bearer token says, and the shape every verifier has."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, runtime_checkable


@dataclasses.dataclass(frozen=True, slots=True)
class AccessToken:
    """A token the verifier accepted: who holds it, for what, until when.

    `audience` is what the token was minted for (one resource URL or several); the
    server refuses a token whose audience is not itself, whatever the verifier said.
    """

    token: str
    client_id: str | None = None
    scopes: tuple[str, ...] = ()
    expires_at: int | None = None
    subject: str | None = None
    audience: tuple[str, ...] = ()
    claims: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def principal(self) -> str:
        """Who the token speaks for: its subject, else its client id (sessions are bound to it)."""
        return self.subject or self.client_id or ""

    def __repr__(self) -> str:  # never print the token itself
        return (
            f"AccessToken(client_id={self.client_id!r}, subject={self.subject!r}, "
            f"scopes={list(self.scopes)!r}, expires_at={self.expires_at!r})"
        )


@runtime_checkable
class TokenVerifier(Protocol):
    """The official SDK's verifier shape: None means the token is refused."""

    async def verify_token(self, token: str) -> Any: ...


class InvalidToken(Exception):
    """A shipped verifier refused a token; the message says why (never the token)."""


class VerifierUnavailable(Exception):
    """The verifier could not decide (JWKS or introspection endpoint unreachable)."""


def scopes_from(value: Any) -> tuple[str, ...]:
    """A `scope` claim ("a b") or a `scp` list, as a tuple of scope names."""
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return ()


def audiences_from(value: Any) -> tuple[str, ...]:
    """An `aud` claim (one string or a list) as a tuple."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return ()


def optional_str(value: Any) -> str | None:
    return str(value) if value is not None else None
