"""Getting a first token, per kind of client: one function per grant.

Each takes the discovery result, the scopes to ask for and the client's DPoP state,
and returns `Tokens` or raises `OAuthError`. The interactive flow also needs the
client's registration and the user's `authorize` hook; the machine flows take their
credentials from the settings.
"""

from __future__ import annotations

import aiohttp

from . import authcode
from .callback import Authorize, call_authorize
from .discovery import Discovery
from .errors import OAuthError
from .grants import JWT_BEARER, TOKEN_EXCHANGE, ClientAuth, DPoPState, Tokens, token_request
from .settings import OAuthSettings

ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
ID_JAG_TYPE = "urn:ietf:params:oauth:token-type:id-jag"


def _token_endpoint(disc: Discovery) -> str:
    endpoint = disc.endpoint("token_endpoint")
    if endpoint is None:
        raise OAuthError(f"{disc.issuer} has no token_endpoint")
    return endpoint


def _with_scope(form: dict[str, str], scope: str | None) -> dict[str, str]:
    if scope:
        form["scope"] = scope
    return form


async def authorization_code(
    session: aiohttp.ClientSession,
    disc: Discovery,
    client: ClientAuth,
    redirect_uri: str,
    scope: str | None,
    authorize: Authorize,
    timeout: float,
    dpop_state: DPoPState | None,
) -> Tokens:
    pending = authcode.start(disc, client.client_id, redirect_uri, scope)
    redirect_url = await call_authorize(authorize, pending.url, timeout)
    code = authcode.finish(pending, redirect_url, disc)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": pending.verifier,
        "resource": disc.resource,
    }
    return await token_request(session, _token_endpoint(disc), form, client, dpop_state=dpop_state)


async def refresh(
    session: aiohttp.ClientSession,
    disc: Discovery,
    client: ClientAuth | None,
    refresh_token: str,
    dpop_state: DPoPState | None,
) -> Tokens:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "resource": disc.resource}
    tokens = await token_request(
        session, _token_endpoint(disc), form, client, dpop_state=dpop_state, what="token refresh"
    )
    if tokens.refresh_token is None:  # the server may keep the old refresh token valid
        tokens.refresh_token = refresh_token
    return tokens


def machine_client(settings: OAuthSettings, disc: Discovery) -> ClientAuth:
    """The client authentication of a client_credentials or enterprise client."""
    assert settings.client_id is not None
    if settings.private_key:
        return ClientAuth(
            client_id=settings.client_id,
            method="private_key_jwt",
            private_key=settings.private_key,
            signing_alg=settings.signing_alg or _advertised_alg(disc),
            audience=disc.issuer,
        )
    listed = disc.metadata.get("token_endpoint_auth_methods_supported")
    post_only = (
        isinstance(listed, list) and "client_secret_post" in listed and "client_secret_basic" not in listed
    )
    method = "client_secret_post" if post_only else "client_secret_basic"
    return ClientAuth(client_id=settings.client_id, client_secret=settings.client_secret, method=method)


def _advertised_alg(disc: Discovery) -> str | None:
    listed = disc.metadata.get("token_endpoint_auth_signing_alg_values_supported")
    return listed[0] if isinstance(listed, list) and listed and isinstance(listed[0], str) else None


async def machine_grant(
    session: aiohttp.ClientSession,
    disc: Discovery,
    settings: OAuthSettings,
    scope: str | None,
    dpop_state: DPoPState | None,
) -> Tokens:
    """A grant with no user in the loop, by `settings.kind`: `client_credentials`,
    `jwt_bearer` (workload identity: the platform's JWT is the grant, RFC 7523 §2.1, no
    client secret) or `enterprise` (the ID-JAG from the identity provider is the grant)."""
    client: ClientAuth | None
    if settings.kind == "enterprise":
        assertion = await _id_jag(session, disc, settings, scope)
        form, what = {"grant_type": JWT_BEARER, "assertion": assertion}, "JWT bearer grant of the ID-JAG"
        client = machine_client(settings, disc)
    elif settings.kind == "jwt_bearer":
        assert settings.assertion is not None
        form, what = {"grant_type": JWT_BEARER, "assertion": settings.assertion}, "JWT bearer grant"
        client = ClientAuth(client_id=settings.client_id) if settings.client_id else None
    else:
        form, what = {"grant_type": "client_credentials"}, "client credentials grant"
        client = machine_client(settings, disc)
    form["resource"] = disc.resource
    return await token_request(
        session, _token_endpoint(disc), _with_scope(form, scope), client, dpop_state=dpop_state, what=what
    )


async def _id_jag(
    session: aiohttp.ClientSession, disc: Discovery, settings: OAuthSettings, scope: str | None
) -> str:
    """Enterprise-managed authorization, step 1: ID token -> ID-JAG at the IdP (RFC 8693)."""
    assert settings.idp_token_endpoint and settings.id_token
    exchange = _with_scope(
        {
            "grant_type": TOKEN_EXCHANGE,
            "requested_token_type": ID_JAG_TYPE,
            "subject_token": settings.id_token,
            "subject_token_type": ID_TOKEN_TYPE,
            "audience": disc.issuer,
            "resource": disc.resource,
        },
        scope,
    )
    idp_client = None
    if settings.idp_client_id:
        method = "client_secret_post" if settings.idp_client_secret else "none"
        idp_client = ClientAuth(settings.idp_client_id, settings.idp_client_secret, method)
    jag = await token_request(
        session,
        settings.idp_token_endpoint,
        exchange,
        idp_client,
        what="token exchange at the identity provider",
    )
    issued = jag.extra.get("issued_token_type")
    if issued is not None and issued != ID_JAG_TYPE:
        raise OAuthError(f"the identity provider issued a {issued!r}, not an ID-JAG")
    return jag.access_token


__all__ = ["authorization_code", "machine_client", "machine_grant", "refresh"]
