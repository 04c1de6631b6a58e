"""DPoP (RFC 9449): a per-client P-256 key, and a fresh signed proof for every request.

A proof names the method and the URL (no query or fragment), carries a unique `jti`
and the time, the server's latest nonce when it sent one (`DPoP-Nonce`), and, on a
resource request, `ath` (the access token's SHA-256). The key is kept in the token
record, because the tokens it was used for are bound to it. pyjwt is imported lazily.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import require_jwt


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_private_jwk() -> dict[str, Any]:
    """A fresh EC P-256 key as a private JWK (kept only in token storage)."""
    require_jwt("DPoP")  # brings cryptography
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.private_numbers()
    pub = numbers.public_numbers
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(pub.x.to_bytes(32, "big")),
        "y": _b64(pub.y.to_bytes(32, "big")),
        "d": _b64(numbers.private_value.to_bytes(32, "big")),
    }


def public_jwk(private: dict[str, Any]) -> dict[str, Any]:
    return {k: private[k] for k in ("kty", "crv", "x", "y")}


def thumbprint(private: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (what a DPoP-bound token's `cnf.jkt` holds)."""
    pub = public_jwk(private)
    import orjson

    return _b64(hashlib.sha256(orjson.dumps(pub, option=orjson.OPT_SORT_KEYS)).digest())


def htu(url: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, p.path, "", ""))


def proof(
    private: dict[str, Any],
    method: str,
    url: str,
    *,
    nonce: str | None = None,
    access_token: str | None = None,
) -> str:
    jwt = require_jwt("DPoP")
    key = jwt.algorithms.ECAlgorithm.from_jwk(private)
    claims: dict[str, Any] = {
        "jti": str(uuid.uuid4()),
        "htm": method.upper(),
        "htu": htu(url),
        "iat": int(time.time()),
    }
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["ath"] = _b64(hashlib.sha256(access_token.encode("ascii")).digest())
    return jwt.encode(claims, key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": public_jwk(private)})


def origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}".lower()


__all__ = ["htu", "new_private_jwk", "origin", "proof", "public_jwk", "thumbprint"]
