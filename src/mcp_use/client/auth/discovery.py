"""Finding the authorization server: RFC 9728 resource metadata, then RFC 8414 / OIDC.

Order (MCP 2025-11-25 "Authorization"): the challenge's `resource_metadata` URL, else
`/.well-known/oauth-protected-resource` inserted before the server URL's path, else at
the root. The metadata's `resource` must be the server URL or a parent of it; any other
value is refused before anything reaches an authorization endpoint. The authorization
server's metadata is tried at the RFC 8414 path-inserted URL, then the OIDC variants;
its `issuer` must equal the URL it was derived from (RFC 8414 §3.3). A server with no
resource metadata at all falls back to the 2025-03-26 rule: the MCP origin is the
authorization server, with `/authorize`, `/token`, `/register` when it has no metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from .errors import OAuthError
from .http import request

PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource"


@dataclass(frozen=True)
class Discovery:
    resource: str  # sent byte for byte as RFC 8707 `resource`
    issuer: str
    metadata: dict[str, Any]
    scopes_supported: list[str] = field(default_factory=list)  # the resource's (PRM)

    def endpoint(self, name: str) -> str | None:
        value = self.metadata.get(name)
        return value if isinstance(value, str) and value else None

    def supports(self, field_name: str, value: str) -> bool:
        listed = self.metadata.get(field_name)
        return isinstance(listed, list) and value in listed


def _origin(url: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "", "", ""))


def prm_urls(server_url: str, from_challenge: str | None) -> list[str]:
    p = urlsplit(server_url)
    path = p.path.rstrip("/")
    urls = [from_challenge] if from_challenge else []
    if path:
        urls.append(urlunsplit((p.scheme, p.netloc, PRM_WELL_KNOWN + path, "", "")))
    urls.append(urlunsplit((p.scheme, p.netloc, PRM_WELL_KNOWN, "", "")))
    return urls


def as_metadata_urls(issuer: str) -> list[str]:
    p = urlsplit(issuer)
    path = p.path.rstrip("/")
    if not path:
        return [
            urlunsplit((p.scheme, p.netloc, "/.well-known/oauth-authorization-server", "", "")),
            urlunsplit((p.scheme, p.netloc, "/.well-known/openid-configuration", "", "")),
        ]
    return [
        urlunsplit((p.scheme, p.netloc, "/.well-known/oauth-authorization-server" + path, "", "")),
        urlunsplit((p.scheme, p.netloc, "/.well-known/openid-configuration" + path, "", "")),
        urlunsplit((p.scheme, p.netloc, path + "/.well-known/openid-configuration", "", "")),
    ]


def resource_covers(resource: str, server_url: str) -> bool:
    """True when `resource` is the server URL or a parent of it (same origin, path prefix)."""
    r, s = urlsplit(resource), urlsplit(server_url)
    if r.scheme.lower() != s.scheme.lower() or r.netloc.lower() != s.netloc.lower() or r.query or r.fragment:
        return False
    rpath, spath = r.path.rstrip("/"), s.path.rstrip("/")
    return spath == rpath or spath.startswith(rpath + "/")


async def _first_json(
    session: aiohttp.ClientSession, urls: list[str], what: str
) -> tuple[str, dict[str, Any]] | None:
    for url in urls:
        reply = await request(session, "GET", url, what=what)
        if reply.status == 200:
            return url, reply.json_object(f"{what} at {url}")
        if reply.status >= 500:
            raise OAuthError(f"{what} at {url} answered HTTP {reply.status}")
    return None


async def protected_resource(
    session: aiohttp.ClientSession, server_url: str, from_challenge: str | None
) -> dict[str, Any] | None:
    found = await _first_json(session, prm_urls(server_url, from_challenge), "protected resource metadata")
    if found is None:
        return None
    url, prm = found
    resource = prm.get("resource")
    if not isinstance(resource, str) or not resource:
        raise OAuthError(f"protected resource metadata at {url} has no 'resource'")
    if not resource_covers(resource, server_url):
        raise OAuthError(
            f"protected resource metadata at {url} names resource {resource!r}, which is not "
            f"{server_url} or a parent of it; refusing to authorize for another resource"
        )
    return prm


async def authorization_server(session: aiohttp.ClientSession, issuer: str) -> dict[str, Any] | None:
    found = await _first_json(session, as_metadata_urls(issuer), "authorization server metadata")
    if found is None:
        return None
    url, meta = found
    if meta.get("issuer") != issuer:
        raise OAuthError(
            f"authorization server metadata at {url} says issuer {meta.get('issuer')!r}, "
            f"not {issuer!r} (RFC 8414 §3.3); refusing it"
        )
    for name in ("authorization_endpoint", "token_endpoint"):
        value = meta.get(name)
        if value is not None and not (isinstance(value, str) and value.startswith(("https://", "http://"))):
            raise OAuthError(f"authorization server metadata at {url}: {name} is not a URL: {value!r}")
    return meta


async def discover(session: aiohttp.ClientSession, server_url: str, from_challenge: str | None) -> Discovery:
    """Run the whole discovery; every step's failure is an `OAuthError` that says which."""
    prm = await protected_resource(session, server_url, from_challenge)
    if prm is None:  # 2025-03-26: the MCP server's origin is the authorization server
        issuer = _origin(server_url)
        meta = await authorization_server(session, issuer) or {
            "issuer": issuer,
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "registration_endpoint": issuer + "/register",
            "code_challenge_methods_supported": ["S256"],
        }
        return Discovery(resource=server_url, issuer=issuer, metadata=meta)
    servers = prm.get("authorization_servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], str):
        raise OAuthError(f"protected resource metadata for {server_url} lists no authorization_servers")
    issuer = servers[0]
    meta = await authorization_server(session, issuer)
    if meta is None:
        raise OAuthError(f"no authorization server metadata found for {issuer}")
    scopes = prm.get("scopes_supported")
    return Discovery(
        resource=prm["resource"],
        issuer=issuer,
        metadata=meta,
        scopes_supported=[s for s in scopes if isinstance(s, str)] if isinstance(scopes, list) else [],
    )


__all__ = ["Discovery", "as_metadata_urls", "discover", "prm_urls", "resource_covers"]
