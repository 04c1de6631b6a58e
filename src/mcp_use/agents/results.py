"""What the model reads for an MCP result: content blocks as LangChain message content.

Most servers send a tool's structured value twice: as `structuredContent` and as a text
block (the spec asks them to, for clients without structured output). Some send the
text bare and wrap it, `{"content": text}` (server-filesystem); some send the JSON of
a value and wrap the value, `{"entities": [...]}` (server-memory). A model given both
copies pays for every token twice (a 32 KB file became a 70 KB ToolMessage), so
`result_content` gives it one: the text when the structured value says nothing more,
the structured value when it says everything the text does (or there is no text),
both only when they say different things. Images and resource links are unaffected.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from typing import Any

from ..protocol.types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

Content = str | list[str | dict[str, Any]]


def _image_block(data: str, mime: str) -> dict[str, Any]:
    # langchain-core's standard image block; provider packages translate it.
    return {"type": "image", "base64": data, "mime_type": mime}


def _blob_note(kind: str, mime: str | None, data: str, where: str = "") -> str:
    try:
        size = len(base64.b64decode(data, validate=False))
    except ValueError:
        size = len(data)
    place = f" {where}" if where else ""
    return f"[{kind}{place}: {mime or 'unknown type'}, {size} bytes, not shown to the model]"


def content_blocks(blocks: Iterable[Any], *, images: bool) -> list[str | dict[str, Any]]:
    """MCP content blocks as LangChain message content parts (text strings, image dicts)."""
    parts: list[str | dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, TextContent):
            parts.append(block.text)
        elif isinstance(block, ImageContent):
            if images:
                parts.append(_image_block(block.data, block.mimeType))
            else:
                parts.append(_blob_note("image", block.mimeType, block.data))
        elif isinstance(block, AudioContent):
            parts.append(_blob_note("audio", block.mimeType, block.data))
        elif isinstance(block, ResourceLink):
            described = f" — {block.description}" if block.description else ""
            parts.append(f"[resource link: {block.uri} ({block.name}){described}]")
        elif isinstance(block, EmbeddedResource):
            parts.extend(resource_parts([block.resource], images=images))
        else:  # an unknown block type the server sent: show it as JSON rather than drop it
            parts.append(json.dumps(_wire(block), default=str))
    return parts


def resource_parts(
    contents: Iterable[TextResourceContents | BlobResourceContents], *, images: bool
) -> list[str | dict[str, Any]]:
    parts: list[str | dict[str, Any]] = []
    for item in contents:
        if isinstance(item, TextResourceContents):
            parts.append(f"[resource {item.uri}]\n{item.text}")
        elif images and (item.mimeType or "").startswith("image/"):
            parts.append(f"[resource {item.uri}]")
            parts.append(_image_block(item.blob, item.mimeType or "image/png"))
        else:
            parts.append(_blob_note("resource", item.mimeType, item.blob, item.uri))
    return parts


def collapse(parts: list[str | dict[str, Any]]) -> Content:
    """Plain text when there is no image (every model takes that), else a block list."""
    if all(isinstance(p, str) for p in parts):
        return "\n".join(p for p in parts if isinstance(p, str))
    return [{"type": "text", "text": p} if isinstance(p, str) else p for p in parts]


def result_content(result: CallToolResult, *, images: bool) -> Content:
    """The ToolMessage content for a successful `CallToolResult`: each thing said once."""
    structured = result.structuredContent
    blocks = list(result.content)
    if structured is not None and not _mirrors(structured, blocks):
        dumped = json.dumps(structured, ensure_ascii=False, default=str)
        texts = [b for b in blocks if isinstance(b, TextContent)]
        if texts and all(_contains(structured, _said_by(b.text)) for b in texts):
            # The structured value says all the texts say, and more: it replaces them.
            first = blocks.index(texts[0])
            blocks = [b for b in blocks if not isinstance(b, TextContent)]
            parts = [*content_blocks(blocks[:first], images=images), dumped]
            parts += content_blocks(blocks[first:], images=images)
        else:
            parts = [*content_blocks(blocks, images=images), dumped]
    else:
        parts = content_blocks(blocks, images=images)
    if not parts:
        return "(the tool returned no content)"
    return collapse(parts)


def _wire(block: Any) -> Any:
    return block.to_wire() if hasattr(block, "to_wire") else block


def _said_by(text: str) -> list[Any]:
    """What a text block says: the string itself, and the value when it is JSON."""
    said: list[Any] = [text]
    try:
        said.append(json.loads(text))
    except ValueError:
        pass
    return said


def _mirrors(structured: Any, blocks: list[Any]) -> bool:
    """Whether the content already says `structured`: it is a text's JSON, or only wraps
    the content (one key around a text, a text's JSON, the texts joined, or the blocks)."""
    texts = [b.text for b in blocks if isinstance(b, TextContent)]
    inner = _unwrapped(structured)
    said = [v for t in texts for v in _said_by(t)]
    if texts:
        said.append("\n".join(texts))
    wire = [_wire(b) for b in blocks]
    candidates = [*said, wire, *wire]
    return any(structured == c or (inner is not None and inner == c) for c in candidates)


def _unwrapped(structured: Any) -> Any:
    """The value inside a one-key object (`{"result": 42}`, `{"content": text}`), else None."""
    if isinstance(structured, dict) and len(structured) == 1:
        return next(iter(structured.values()))
    return None


def _contains(structured: Any, said: list[Any]) -> bool:
    """Whether some value inside `structured` (itself included) is one of `said`."""
    return any(value == s for value in _values(structured) for s in said)


def _values(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)


def error_text(result: CallToolResult) -> str:
    texts = [b.text for b in result.content if isinstance(b, TextContent)]
    return "\n".join(texts) or "the tool reported an error without a message"


__all__ = ["Content", "collapse", "content_blocks", "error_text", "resource_parts", "result_content"]
