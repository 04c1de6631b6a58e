"""`WWW-Authenticate` parsing (RFC 9110 §11.6.1) for the Bearer and DPoP schemes.

The server's challenge carries what discovery starts from (`resource_metadata`), the
scopes it wants (`scope`) and why it refused (`error`, e.g. `insufficient_scope` or
`use_dpop_nonce`). Parameters are read per challenge, quoted strings unescaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_PARAM = re.compile(rf'\s*({_TOKEN})\s*=\s*(?:"((?:[^"\\]|\\.)*)"|({_TOKEN}))\s*,?')
_SCHEME = re.compile(rf"\s*({_TOKEN})(?:\s+|$|,)")


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "bearer", "dpop", ...
    params: dict[str, str] = field(default_factory=dict)

    @property
    def scopes(self) -> list[str]:
        return self.params.get("scope", "").split()

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    @property
    def resource_metadata(self) -> str | None:
        return self.params.get("resource_metadata")


def parse(header: str | None) -> list[Challenge]:
    """Every challenge in a `WWW-Authenticate` value; malformed tails are ignored."""
    out: list[Challenge] = []
    text = header or ""
    pos = 0
    while pos < len(text):
        m = _SCHEME.match(text, pos)
        if m is None:
            break
        scheme, pos = m.group(1).lower(), m.end()
        params: dict[str, str] = {}
        while pos < len(text):
            p = _PARAM.match(text, pos)
            if p is None:
                break
            value = p.group(2)
            value = re.sub(r"\\(.)", r"\1", value) if value is not None else p.group(3)
            params.setdefault(p.group(1).lower(), value)
            pos = p.end()
        out.append(Challenge(scheme, params))
        while pos < len(text) and text[pos] in ", ":
            pos += 1
    return out


def pick(header: str | None) -> Challenge | None:
    """The challenge to act on: DPoP or Bearer (the first of them), else the first one."""
    challenges = parse(header)
    for c in challenges:
        if c.scheme in ("bearer", "dpop"):
            return c
    return challenges[0] if challenges else None


__all__ = ["Challenge", "parse", "pick"]
