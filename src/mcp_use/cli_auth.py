"""The authorization options of `mcp-use proxy`: a front protected like any `MCPServer`.

`--auth-jwks-uri` (or `--auth-public-key-file`) builds a `JWTVerifier`,
`--auth-introspection-url` an `IntrospectionVerifier` whose client credentials come from
the environment (`MCP_USE_INTROSPECTION_CLIENT_ID`, `MCP_USE_INTROSPECTION_CLIENT_SECRET`:
a secret on a command line is visible to every user of the machine). `--auth-issuer`,
`--auth-audience`, `--required-scopes`, `--authorization-server` and `--resource-url`
mean what the `MCPServer`/verifier arguments of the same names mean (with introspection,
`--auth-issuer` is the authorization server the metadata names). Options that only
make sense with a verifier are refused without one, never ignored.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

CLIENT_ID_ENV = "MCP_USE_INTROSPECTION_CLIENT_ID"
CLIENT_SECRET_ENV = "MCP_USE_INTROSPECTION_CLIENT_SECRET"


class AuthOptionError(ValueError):
    """The auth options do not make one verifier (the CLI reports it as a usage error)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "authorization",
        f"protect the proxy's endpoint with bearer tokens (introspection credentials: ${CLIENT_ID_ENV}, "
        f"${CLIENT_SECRET_ENV})",
    )
    group.add_argument("--auth-jwks-uri", metavar="URL", help="verify JWTs with the keys at this JWKS URL")
    group.add_argument("--auth-public-key-file", metavar="PEM", help="verify JWTs with this PEM public key")
    group.add_argument(
        "--auth-introspection-url", metavar="URL", help="check tokens at this RFC 7662 endpoint"
    )
    group.add_argument("--auth-issuer", metavar="ISS", help="the tokens' issuer (JWT iss; the PRM's server)")
    group.add_argument(
        "--auth-audience", metavar="AUD", action="append", help="accepted audience (repeatable)"
    )
    group.add_argument(
        "--required-scopes", metavar="S1,S2", help="scopes every request needs (comma-separated)"
    )
    group.add_argument(
        "--authorization-server", metavar="URL", action="append", help="advertised in the PRM (repeatable)"
    )
    group.add_argument(
        "--resource-url", metavar="URL", help="this endpoint's canonical URL (the PRM resource)"
    )


def server_options(args: argparse.Namespace) -> dict[str, Any]:
    """The `MCPServer` keyword arguments the parsed options ask for ({} when none)."""
    verifier = _verifier(args)
    scopes = [s for s in (args.required_scopes or "").split(",") if s.strip()]
    scopes = [s.strip() for s in scopes]
    options: dict[str, Any] = {}
    if verifier is not None:
        options["auth"] = verifier
    elif args.auth_issuer or args.auth_audience or args.resource_url:
        raise AuthOptionError(
            "--auth-issuer, --auth-audience and --resource-url need --auth-jwks-uri, "
            "--auth-public-key-file or --auth-introspection-url"
        )
    if scopes:
        options["required_scopes"] = scopes
    if args.authorization_server:
        options["authorization_servers"] = list(args.authorization_server)
    elif args.auth_issuer and args.auth_introspection_url:  # a JWT verifier's issuer is used as it is
        options["authorization_servers"] = [args.auth_issuer]
    if args.resource_url:
        options["resource_url"] = args.resource_url
    return options


def _verifier(args: argparse.Namespace) -> Any:
    given = [
        o for o in ("auth_jwks_uri", "auth_public_key_file", "auth_introspection_url") if getattr(args, o)
    ]
    if len(given) > 1:
        names = ", ".join("--" + o.replace("_", "-") for o in given)
        raise AuthOptionError(f"choose one way to verify tokens, not {names}")
    audience = _one_or_many(args.auth_audience)
    if args.auth_introspection_url:
        return _introspection(args.auth_introspection_url, audience)
    if not given:
        return None
    from .auth import JWTVerifier

    if args.auth_jwks_uri:
        return JWTVerifier(jwks_uri=args.auth_jwks_uri, issuer=args.auth_issuer, audience=audience)
    try:
        key = Path(args.auth_public_key_file).read_text()
    except OSError as exc:
        raise AuthOptionError(f"--auth-public-key-file: {exc}") from None
    return JWTVerifier(public_key=key, issuer=args.auth_issuer, audience=audience)


def _introspection(url: str, audience: str | list[str] | None) -> Any:
    from .auth import IntrospectionVerifier

    client_id = os.environ.get(CLIENT_ID_ENV) or None
    secret = os.environ.get(CLIENT_SECRET_ENV) or None
    if secret is not None and client_id is None:
        raise AuthOptionError(f"${CLIENT_SECRET_ENV} is set but ${CLIENT_ID_ENV} is not")
    return IntrospectionVerifier(url, client_id=client_id, client_secret=secret, audience=audience)


def _one_or_many(values: list[str] | None) -> str | list[str] | None:
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)
