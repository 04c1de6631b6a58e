"""Authorization code + PKCE (RFC 7636, S256 only), `state`, RFC 8707 and RFC 9207.

`start()` builds the authorization URL; `finish()` checks the redirect the user's
browser came back with: the `state` must be ours, an `error` is reported as the server
gave it, `iss` must equal the issuer byte for byte when present and must be present
when the server advertised `authorization_response_iss_parameter_supported`, and a
`code` must be there. Only then is the code worth sending to the token endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .discovery import Discovery
from .errors import OAuthError


@dataclass(frozen=True)
class Pending:
    url: str
    state: str
    verifier: str
    redirect_uri: str


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def start(disc: Discovery, client_id: str, redirect_uri: str, scope: str | None) -> Pending:
    endpoint = disc.endpoint("authorization_endpoint")
    if endpoint is None:
        raise OAuthError(f"{disc.issuer} has no authorization_endpoint")
    if not disc.supports("code_challenge_methods_supported", "S256"):
        raise OAuthError(
            f"{disc.issuer} does not advertise PKCE S256 (code_challenge_methods_supported); "
            "refusing an authorization code flow without PKCE"
        )
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(24)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
        "state": state,
        "resource": disc.resource,
    }
    if scope:
        params["scope"] = scope
    p = urlsplit(endpoint)
    query = (p.query + "&" if p.query else "") + urlencode(params)
    return Pending(urlunsplit((p.scheme, p.netloc, p.path, query, "")), state, verifier, redirect_uri)


def finish(pending: Pending, redirect_url: str, disc: Discovery) -> str:
    """The authorization code from the redirect, after every check; else `OAuthError`."""
    if not isinstance(redirect_url, str) or not redirect_url.strip():
        raise OAuthError("the authorization step returned no redirect URL")
    query = parse_qs(urlsplit(redirect_url.strip()).query, keep_blank_values=True)

    def one(name: str) -> str | None:
        values = query.get(name)
        return values[0] if values else None

    if one("state") != pending.state:
        raise OAuthError(
            "the authorization response's state does not match the request (possible CSRF); refused"
        )
    error = one("error")
    if error:
        desc = one("error_description")
        raise OAuthError(
            f"authorization refused by {disc.issuer}: {error}" + (f": {desc}" if desc else ""), error=error
        )
    iss = one("iss")
    if iss is not None and iss != disc.issuer:
        raise OAuthError(
            f"the authorization response came from issuer {iss!r}, not {disc.issuer!r} (RFC 9207); refused"
        )
    if iss is None and disc.metadata.get("authorization_response_iss_parameter_supported") is True:
        raise OAuthError(
            f"{disc.issuer} promised an iss parameter (RFC 9207) and the response has none; refused"
        )
    code = one("code")
    if not code:
        raise OAuthError("the authorization response has no code")
    return code


__all__ = ["Pending", "finish", "start"]
