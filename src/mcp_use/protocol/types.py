"""The specification's types, with its names and camelCase fields.

These are for people: what a tool may return, what a client call returns. The wire
path itself moves plain dicts; a model is built only where user code meets the protocol.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

LoggingLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
Role = Literal["user", "assistant"]


class MCPModel(BaseModel):
    """Base of every spec type: unknown fields are kept, `_meta` is spelled as on the wire."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Meta(MCPModel):
    pass


class Icon(MCPModel):
    src: str
    mimeType: str | None = None
    sizes: list[str] | None = None
    theme: Literal["light", "dark"] | None = None


class Implementation(MCPModel):
    name: str
    version: str
    title: str | None = None
    description: str | None = None
    websiteUrl: str | None = None
    icons: list[Icon] | None = None


class Annotations(MCPModel):
    audience: list[Role] | None = None
    priority: float | None = None
    lastModified: str | None = None


class TextContent(MCPModel):
    type: Literal["text"] = "text"
    text: str
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class ImageContent(MCPModel):
    type: Literal["image"] = "image"
    data: str
    mimeType: str
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class AudioContent(MCPModel):
    type: Literal["audio"] = "audio"
    data: str
    mimeType: str
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class TextResourceContents(MCPModel):
    uri: str
    text: str
    mimeType: str | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class BlobResourceContents(MCPModel):
    uri: str
    blob: str
    mimeType: str | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class EmbeddedResource(MCPModel):
    type: Literal["resource"] = "resource"
    resource: TextResourceContents | BlobResourceContents
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class ResourceLink(MCPModel):
    type: Literal["resource_link"] = "resource_link"
    uri: str
    name: str
    title: str | None = None
    description: str | None = None
    mimeType: str | None = None
    size: int | None = None
    icons: list[Icon] | None = None
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


ContentBlock = Annotated[
    TextContent | ImageContent | AudioContent | ResourceLink | EmbeddedResource,
    Field(discriminator="type"),
]
CONTENT_TYPES = (TextContent, ImageContent, AudioContent, ResourceLink, EmbeddedResource)


class Result(MCPModel):
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")
    resultType: str | None = None


class CallToolResult(Result):
    content: list[ContentBlock] = Field(default_factory=list)
    structuredContent: Any = None
    isError: bool = False


class ToolAnnotations(MCPModel):
    title: str | None = None
    readOnlyHint: bool | None = None
    destructiveHint: bool | None = None
    idempotentHint: bool | None = None
    openWorldHint: bool | None = None


class Tool(MCPModel):
    name: str
    title: str | None = None
    description: str | None = None
    inputSchema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    outputSchema: dict[str, Any] | None = None
    annotations: ToolAnnotations | None = None
    icons: list[Icon] | None = None
    execution: dict[str, Any] | None = None  # {"taskSupport": "required" | "optional" | "forbidden"}
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class Resource(MCPModel):
    uri: str
    name: str
    title: str | None = None
    description: str | None = None
    mimeType: str | None = None
    size: int | None = None
    annotations: Annotations | None = None
    icons: list[Icon] | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class ResourceTemplate(MCPModel):
    uriTemplate: str
    name: str
    title: str | None = None
    description: str | None = None
    mimeType: str | None = None
    annotations: Annotations | None = None
    icons: list[Icon] | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class PromptArgument(MCPModel):
    name: str
    title: str | None = None
    description: str | None = None
    required: bool | None = None


class Prompt(MCPModel):
    name: str
    title: str | None = None
    description: str | None = None
    arguments: list[PromptArgument] | None = None
    icons: list[Icon] | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class PromptMessage(MCPModel):
    role: Role
    content: ContentBlock


class GetPromptResult(Result):
    description: str | None = None
    messages: list[PromptMessage] = Field(default_factory=list)


class ReadResourceResult(Result):
    contents: list[TextResourceContents | BlobResourceContents] = Field(default_factory=list)


class ListToolsResult(Result):
    tools: list[Tool] = Field(default_factory=list)
    nextCursor: str | None = None


class ListResourcesResult(Result):
    resources: list[Resource] = Field(default_factory=list)
    nextCursor: str | None = None


class ListResourceTemplatesResult(Result):
    resourceTemplates: list[ResourceTemplate] = Field(default_factory=list)
    nextCursor: str | None = None


class ListPromptsResult(Result):
    prompts: list[Prompt] = Field(default_factory=list)
    nextCursor: str | None = None


class Completion(MCPModel):
    values: list[str] = Field(default_factory=list)
    total: int | None = None
    hasMore: bool | None = None


class CompleteResult(Result):
    completion: Completion


class ResourceReference(MCPModel):
    type: Literal["ref/resource"] = "ref/resource"
    uri: str


class PromptReference(MCPModel):
    type: Literal["ref/prompt"] = "ref/prompt"
    name: str
    title: str | None = None


class CompletionArgument(MCPModel):
    name: str
    value: str


class CompletionContext(MCPModel):
    arguments: dict[str, str] | None = None


class SamplingMessage(MCPModel):
    role: Role
    content: Any


class ModelHint(MCPModel):
    name: str | None = None


class ModelPreferences(MCPModel):
    hints: list[ModelHint] | None = None
    costPriority: float | None = None
    speedPriority: float | None = None
    intelligencePriority: float | None = None


class CreateMessageResult(Result):
    role: Role = "assistant"
    content: Any = None
    model: str = ""
    stopReason: str | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _typed_content(cls, value: Any) -> Any:
        """Known content blocks become models, so `reply.content.text` works."""
        if isinstance(value, list):
            return [_sampling_block(v) for v in value]
        return _sampling_block(value)


def _sampling_block(value: Any) -> Any:
    if isinstance(value, dict):
        model = {"text": TextContent, "image": ImageContent, "audio": AudioContent}.get(value.get("type"))  # type: ignore[arg-type]
        if model is not None:
            return model.model_validate(value)
    return value


class ElicitResult(Result):
    action: Literal["accept", "decline", "cancel"]
    content: dict[str, Any] | None = None


class Root(MCPModel):
    uri: str
    name: str | None = None


class ListRootsResult(Result):
    roots: list[Root] = Field(default_factory=list)


class ServerCapabilities(MCPModel):
    experimental: dict[str, Any] | None = None
    logging: dict[str, Any] | None = None
    completions: dict[str, Any] | None = None
    prompts: dict[str, Any] | None = None
    resources: dict[str, Any] | None = None
    tools: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


class ClientCapabilities(MCPModel):
    experimental: dict[str, Any] | None = None
    roots: dict[str, Any] | None = None
    sampling: dict[str, Any] | None = None
    elicitation: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


class InitializeResult(Result):
    protocolVersion: str
    capabilities: ServerCapabilities
    serverInfo: Implementation
    instructions: str | None = None


class DiscoverResult(Result):
    supportedVersions: list[str]
    capabilities: ServerCapabilities
    instructions: str | None = None


class LoggingMessage(MCPModel):
    level: LoggingLevel
    logger: str | None = None
    data: Any = None


class EmptyResult(Result):
    pass
