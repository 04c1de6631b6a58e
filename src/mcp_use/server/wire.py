"""The wire form shared by tools, prompts and resources: their `name`, optional display
fields and `_meta`, each present only when set."""

from __future__ import annotations

from typing import Any


def with_fields(wire: dict[str, Any], *fields: tuple[str, Any]) -> dict[str, Any]:
    """`wire` plus each `(key, value)` whose value is set (not None, not empty)."""
    for key, value in fields:
        if value is not None and value != "" and value != {} and value != []:
            wire[key] = value
    return wire


def icons_wire(icons: list[Any] | None) -> list[dict[str, Any]] | None:
    """`Icon` objects (or plain dicts) as the wire's `icons` list; None for none."""
    return [i.to_wire() if hasattr(i, "to_wire") else i for i in icons] if icons else None
