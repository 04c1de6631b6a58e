"""Who the client is at an authorization server, in the spec's order of preference.

1. pre-registered credentials from the config (`client_id`, `client_secret`);
2. a client ID metadata document (the `client_metadata_url` is the client id) when the
   server advertises `client_id_metadata_document_supported`;
3. dynamic client registration (RFC 7591) with `application_type`, honouring the
   `token_endpoint_auth_method` the server answers with.
A registration belongs to one issuer: the record it goes in is keyed by that issuer,
so one server's credentials are never shown to another.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .discovery import Discovery
from .errors import OAuthError
from .grants import ClientAuth
from .http import request

SECRET_METHODS = ("client_secret_basic", "client_secret_post")


def _secret_method(disc: Discovery) -> str:
    listed = disc.metadata.get("token_endpoint_auth_methods_supported")
    if not isinstance(listed, list) or "client_secret_basic" in listed or "client_secret_post" not in listed:
        return "client_secret_basic"
    return "client_secret_post"


def _requested_method(disc: Discovery) -> str:
    listed = disc.metadata.get("token_endpoint_auth_methods_supported")
    if not isinstance(listed, list) or not listed or "none" in listed:
        return "none"
    for method in SECRET_METHODS:
        if method in listed:
            return method
    return "none"


def pre_registered(client_id: str, client_secret: str | None, disc: Discovery) -> ClientAuth:
    method = _secret_method(disc) if client_secret else "none"
    return ClientAuth(client_id=client_id, client_secret=client_secret, method=method)


def to_record(auth: ClientAuth, redirect_uri: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"client_id": auth.client_id, "method": auth.method, "redirect_uri": redirect_uri}
    if auth.client_secret is not None:
        out["client_secret"] = auth.client_secret
    return out


def from_record(data: Any) -> tuple[ClientAuth, str | None] | None:
    if not isinstance(data, dict) or not isinstance(data.get("client_id"), str):
        return None
    secret = data.get("client_secret")
    auth = ClientAuth(
        client_id=data["client_id"],
        client_secret=secret if isinstance(secret, str) else None,
        method=str(data.get("method") or "none"),
    )
    redirect = data.get("redirect_uri")
    return auth, redirect if isinstance(redirect, str) else None


def application_type(redirect_uri: str) -> str:
    host = (urlsplit(redirect_uri).hostname or "").lower()
    return (
        "native"
        if host in ("127.0.0.1", "localhost", "::1") or not redirect_uri.startswith("https")
        else "web"
    )


async def register(
    session: aiohttp.ClientSession,
    disc: Discovery,
    *,
    redirect_uri: str,
    client_name: str,
    scope: str | None,
) -> ClientAuth:
    """Dynamic client registration; an `OAuthError` when the server offers none or refuses."""
    endpoint = disc.endpoint("registration_endpoint")
    if endpoint is None:
        raise OAuthError(
            f"{disc.issuer} offers no dynamic client registration and no client id is configured: "
            "give the server entry's auth a 'client_id' (and 'client_secret'), or a 'client_metadata_url'"
        )
    wanted = _requested_method(disc)
    grant_types = ["authorization_code", "refresh_token"]
    body: dict[str, Any] = {
        "client_name": client_name,
        "redirect_uris": [redirect_uri],
        "grant_types": grant_types,
        "response_types": ["code"],
        "token_endpoint_auth_method": wanted,
        "application_type": application_type(redirect_uri),
    }
    if scope:
        body["scope"] = scope
    reply = await request(session, "POST", endpoint, what="client registration", json=body)
    if reply.status not in (200, 201):
        detail = reply.body[:200].decode("utf-8", "replace")
        raise OAuthError(f"client registration at {endpoint} failed: HTTP {reply.status}: {detail}")
    data = reply.json_object(f"client registration at {endpoint}")
    client_id = data.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise OAuthError(f"client registration at {endpoint} answered without a client_id")
    secret = data.get("client_secret") if isinstance(data.get("client_secret"), str) else None
    method = data.get("token_endpoint_auth_method")
    method = method if isinstance(method, str) and method else wanted
    if method in SECRET_METHODS and secret is None:
        method = "none"
    return ClientAuth(client_id=client_id, client_secret=secret, method=method)


__all__ = ["from_record", "pre_registered", "register", "to_record"]
