"""Inlining of local JSON Schema references, so every client can read a schema.

Apart from `schema.py` because `Context` needs it too (elicitation schemas) while
`schema.py` needs `Context` (to hide the injected parameter): this keeps them acyclic.
"""

from __future__ import annotations

from typing import Any


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace local `#/$defs/...` references by their definitions (recursive ones stay)."""
    defs = schema.get("$defs") or {}
    if not defs:
        return schema

    recursive: set[str] = set()

    def resolve(node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref[len("#/$defs/") :]
                if name in stack or name not in defs:
                    recursive.add(name)
                    return node
                target = resolve(defs[name], (*stack, name))
                extra = {k: v for k, v in node.items() if k != "$ref"}
                return {**target, **extra} if extra else target
            return {k: resolve(v, stack) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(v, stack) for v in node]
        return node

    out = resolve(schema, ())
    if recursive:
        out["$defs"] = {name: resolve(defs[name], (name,)) for name in recursive if name in defs}
    return out
