"""Keys, tokens and a JWKS endpoint for the authorization tests: all made by the tests.

``KeyPair`` is a fresh RSA key with a ``kid``; ``mint`` signs a JWT with it.
``DocumentServer`` serves JSON documents over real HTTP on 127.0.0.1 from a thread
(the JWKS, or an RFC 7662 introspection endpoint), counting the requests it answered,
so the verifiers fetch keys the way they would from an authorization server.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class KeyPair:
    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex[:12]
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def jwk(self) -> dict[str, Any]:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**data, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def mint(self, *, lifetime: float = 600, kid: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iat": now, "exp": now + int(lifetime), **claims}
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.private, algorithm="RS256", headers={"kid": kid or self.kid})


def unsigned(**claims: Any) -> str:
    """An `alg: none` token (no signature at all)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return part({"alg": "none", "typ": "JWT"}) + "." + part(claims) + "."


class DocumentServer:
    """HTTP on 127.0.0.1: GET answers ``get()``; POST answers ``post(form, headers)``."""

    def __init__(
        self,
        get: Callable[[], tuple[int, Any]] | None = None,
        post: Callable[[dict[str, str], dict[str, str]], tuple[int, Any]] | None = None,
    ) -> None:
        self.get = get
        self.post = post
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                owner.requests += 1
                assert owner.get is not None
                self._answer(*owner.get())

            def do_POST(self) -> None:
                owner.requests += 1
                length = int(self.headers.get("content-length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                assert owner.post is not None
                self._answer(*owner.post(form, {k.lower(): v for k, v in self.headers.items()}))

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> DocumentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class JWKS:
    """A key set served over HTTP; `keys` may change between requests (rotation)."""

    def __init__(self, *keys: KeyPair) -> None:
        self.keys = list(keys)
        self.server = DocumentServer(get=lambda: (200, {"keys": [k.jwk() for k in self.keys]}))
        self.url = self.server.url + "/.well-known/jwks.json"

    @property
    def fetches(self) -> int:
        return self.server.requests

    def __enter__(self) -> JWKS:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)
