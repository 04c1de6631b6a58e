"""Which server capability each client request needs, checked before the request is sent.

The spec has a client use only what the server advertised (`tools`, `resources`,
`prompts`, `completions`, `logging`, `resources.subscribe`). Asking anyway costs a
round trip and, from most servers, a bare "Method not found" that names neither the
method nor the reason; refusing here says both and sends nothing.
"""

from __future__ import annotations

from ..protocol.types import ServerCapabilities
from .errors import CapabilityNotAdvertised

# method -> (capability, sub-flag that must be true, or None)
_NEEDS: dict[str, tuple[str, str | None]] = {
    "tools/list": ("tools", None),
    "tools/call": ("tools", None),
    "resources/list": ("resources", None),
    "resources/templates/list": ("resources", None),
    "resources/read": ("resources", None),
    "resources/subscribe": ("resources", "subscribe"),
    "resources/unsubscribe": ("resources", "subscribe"),
    "prompts/list": ("prompts", None),
    "prompts/get": ("prompts", None),
    "completion/complete": ("completions", None),
    "logging/setLevel": ("logging", None),
    "tasks/list": ("tasks", "list"),  # 2025-11-25 only: the 2026-07-28 extension has no listing
}


def advertised(capabilities: ServerCapabilities, method: str) -> bool:
    """Whether the server's capabilities allow `method` (methods no capability gates: True)."""
    need = _NEEDS.get(method)
    if need is None:
        return True
    name, flag = need
    value = getattr(capabilities, name, None)  # `tasks` is kept as an extra field
    if not isinstance(value, dict):
        return False
    return flag is None or value.get(flag) is True or isinstance(value.get(flag), dict)


def require(server: str | None, capabilities: ServerCapabilities, method: str) -> None:
    """Raise `CapabilityNotAdvertised` when the server did not advertise what `method` needs."""
    if advertised(capabilities, method):
        return
    name, flag = _NEEDS[method]
    what = f"the {name} capability" if flag is None else f"{name}.{flag}"
    raise CapabilityNotAdvertised(server, method, f"the server does not advertise {what}")


__all__ = ["advertised", "require"]
