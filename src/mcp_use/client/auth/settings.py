"""What a server entry's `"auth"` object asks for, checked once when the config is read.

`{"type": "oauth", "scopes", "client_id", "client_secret", "client_metadata_url",
"callback_port", "client_name"}` is the interactive authorization code flow;
`{"type": "client_credentials", "client_id", "client_secret" | "private_key_file",
"scopes"}` a machine client; `{"type": "jwt_bearer", "assertion" | "assertion_file",
"client_id"?}` workload identity (RFC 7523 grant of a platform-issued JWT);
`{"type": "enterprise", "client_id", "client_secret", "idp_token_endpoint",
"id_token", "idp_client_id"?, "idp_client_secret"?}` enterprise-managed authorization
(an ID token exchanged at the identity provider for an ID-JAG, then a JWT bearer grant).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

KINDS = {
    "oauth": {"scopes", "client_id", "client_secret", "client_metadata_url", "callback_port", "client_name"},
    "client_credentials": {
        "client_id",
        "client_secret",
        "private_key_file",
        "private_key",
        "signing_alg",
        "scopes",
    },
    "jwt_bearer": {"assertion", "assertion_file", "client_id", "scopes"},
    "enterprise": {
        "client_id",
        "client_secret",
        "idp_token_endpoint",
        "id_token",
        "idp_client_id",
        "idp_client_secret",
        "scopes",
    },
}
REQUIRED = {
    "client_credentials": ("client_id",),
    "enterprise": ("client_id", "client_secret", "idp_token_endpoint", "id_token"),
}


@dataclass(frozen=True)
class OAuthSettings:
    kind: str = "oauth"
    scopes: tuple[str, ...] = ()
    client_id: str | None = None
    client_secret: str | None = None
    client_metadata_url: str | None = None
    callback_port: int | None = None
    client_name: str = "mcp-use"
    private_key: str | None = None
    signing_alg: str | None = None
    assertion: str | None = None
    idp_token_endpoint: str | None = None
    id_token: str | None = None
    idp_client_id: str | None = None
    idp_client_secret: str | None = None

    def __repr__(self) -> str:  # secrets stay out of logs and tracebacks
        return f"OAuthSettings(kind={self.kind!r}, client_id={self.client_id!r}, scopes={self.scopes!r})"


def _read(where: str, path: Any) -> str:
    try:
        return Path(str(path)).expanduser().read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None


def parse_settings(where: str, value: Mapping[str, Any]) -> OAuthSettings:
    """Check an `"auth"` object; a `ConfigError` names the entry and the field."""
    kind = value.get("type", "oauth")
    if kind not in KINDS:
        raise ConfigError(f"{where}.type: must be one of {', '.join(KINDS)}, got {kind!r}")
    unknown = [k for k in value if k != "type" and k not in KINDS[kind]]
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))} for auth type {kind!r}")
    for name in REQUIRED.get(kind, ()):
        if not isinstance(value.get(name), str) or not value[name]:
            raise ConfigError(f"{where}.{name}: required for auth type {kind!r}")
    for name, v in value.items():
        if name not in ("scopes", "callback_port") and not isinstance(v, str):
            raise ConfigError(f"{where}.{name}: must be a string, got {type(v).__name__}")
    scopes = value.get("scopes", [])
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ConfigError(f"{where}.scopes: must be a list of strings")
    port = value.get("callback_port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
        raise ConfigError(f"{where}.callback_port: must be a port number, got {port!r}")
    private_key = value.get("private_key")
    if value.get("private_key_file"):
        private_key = _read(f"{where}.private_key_file", value["private_key_file"])
    assertion = value.get("assertion")
    if value.get("assertion_file"):
        assertion = _read(f"{where}.assertion_file", value["assertion_file"])
    if kind == "client_credentials" and not (value.get("client_secret") or private_key):
        raise ConfigError(f"{where}: client_credentials needs 'client_secret' or 'private_key_file'")
    if kind == "jwt_bearer" and not assertion:
        raise ConfigError(f"{where}: jwt_bearer needs 'assertion' or 'assertion_file'")
    return OAuthSettings(
        kind=kind,
        scopes=tuple(scopes),
        client_id=value.get("client_id"),
        client_secret=value.get("client_secret"),
        client_metadata_url=value.get("client_metadata_url"),
        callback_port=port,
        client_name=value.get("client_name") or "mcp-use",
        private_key=private_key,
        signing_alg=value.get("signing_alg"),
        assertion=assertion,
        idp_token_endpoint=value.get("idp_token_endpoint"),
        id_token=value.get("id_token"),
        idp_client_id=value.get("idp_client_id"),
        idp_client_secret=value.get("idp_client_secret"),
    )


__all__ = ["KINDS", "OAuthSettings", "parse_settings"]
