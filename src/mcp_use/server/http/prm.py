"""RFC 9728 protected resource metadata: where a client learns how to get a token.

The resource is the MCP endpoint's URL: `resource_url` when configured (set it behind a
proxy that rewrites paths), else built from the request's scheme, `Host` and the
configured paths. The document is served at `/.well-known/oauth-protected-resource`
followed by the MCP path, and at the bare well-known path.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlsplit

WELL_KNOWN = "/.well-known/oauth-protected-resource"


class ProtectedResource(Protocol):
    """What the metadata is made of (the `ResourceGuard` is one): the server's name and
    MCP path, its public URL if known, and its feature registries (for their scopes)."""

    name: str
    mcp_path: str
    resource_url: str | None
    authorization_servers: list[str]
    required_scopes: tuple[str, ...]
    features: Any  # .tools, .prompts, .resources, .templates: each with .values()


def _origin(scope: dict[str, Any]) -> str:
    host = None
    for name, value in scope.get("headers") or ():
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    scheme = scope.get("scheme", "http")
    if scheme == "ws":
        scheme = "http"
    elif scheme == "wss":
        scheme = "https"
    return f"{scheme}://{host}"


def request_resource(server: ProtectedResource, scope: dict[str, Any]) -> str:
    """This server's resource identifier as seen by the request."""
    if server.resource_url:
        return server.resource_url
    return _origin(scope) + scope.get("root_path", "") + server.mcp_path


def metadata_url(server: ProtectedResource, scope: dict[str, Any]) -> str:
    """Where this server's metadata document is, for `WWW-Authenticate: resource_metadata=`."""
    if server.resource_url:
        parts = urlsplit(server.resource_url)
        return f"{parts.scheme}://{parts.netloc}{WELL_KNOWN}{parts.path.rstrip('/')}"
    return _origin(scope) + scope.get("root_path", "") + WELL_KNOWN + server.mcp_path


def all_scopes(server: ProtectedResource) -> list[str]:
    scopes: dict[str, None] = dict.fromkeys(server.required_scopes)
    features = server.features
    for registry in (features.tools, features.resources, features.templates, features.prompts):
        for item in registry.values():
            scopes.update(dict.fromkeys(getattr(item, "scopes", None) or ()))
    return list(scopes)


def metadata(server: ProtectedResource, scope: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "resource": request_resource(server, scope),
        "authorization_servers": list(server.authorization_servers),
        "bearer_methods_supported": ["header"],
        "resource_name": server.name,
    }
    scopes = all_scopes(server)
    if scopes:
        document["scopes_supported"] = scopes
    return document


def metadata_routes(server: ProtectedResource) -> list[Any]:
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def endpoint(request: Request) -> JSONResponse:
        return JSONResponse(
            metadata(server, request.scope),
            headers={"access-control-allow-origin": "*", "cache-control": "max-age=300"},
        )

    paths = dict.fromkeys((WELL_KNOWN + server.mcp_path, WELL_KNOWN))
    if server.resource_url:  # behind a proxy the public path may differ from ours
        paths[WELL_KNOWN + urlsplit(server.resource_url).path.rstrip("/")] = None
    return [Route(path, endpoint=endpoint, methods=["GET"]) for path in paths]
