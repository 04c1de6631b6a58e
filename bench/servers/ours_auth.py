"""mcp_use benchmark server with authorization on: `add` behind a JWT verifier (RS256).

Usage: ours_auth.py http PORT. The server makes its own key pair, mints one token for
its own URL and writes it to $BENCH_TOKEN_FILE for the load generator; every request
carries it, and verification is cached per token (as in production).
"""

import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mcp_use import MCPServer
from mcp_use.auth import JWTVerifier

port = int(sys.argv[2])
resource = f"http://127.0.0.1:{port}/mcp"
# A key made here, or the one in $BENCH_KEY_FILE (PEM): `instructions.py --served` counts
# two runs' difference, and making an RSA key costs a different count every time.
if os.environ.get("BENCH_KEY_FILE"):
    with open(os.environ["BENCH_KEY_FILE"], "rb") as pem:
        key = serialization.load_pem_private_key(pem.read(), None)
else:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
server = MCPServer(
    "bench",
    auth=JWTVerifier(public_key=key.public_key(), issuer="https://bench.test", audience=resource),
)


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if __name__ == "__main__":
    claims = {"sub": "bench", "aud": resource, "iss": "https://bench.test", "exp": int(time.time()) + 86400}
    token = jwt.encode(claims, key, algorithm="RS256")
    path = os.environ["BENCH_TOKEN_FILE"]
    with open(path + ".tmp", "w") as f:
        f.write(token)
    os.replace(path + ".tmp", path)
    server.run(transport="streamable-http", host="127.0.0.1", port=port, log_level="warning")
