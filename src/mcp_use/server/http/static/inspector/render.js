// How results look: content blocks (text, JSON, images, audio, embedded resources,
// links), resource contents, and a tool result with its structured content.
import { h } from "./form.js";

export function pretty(value) {
  return JSON.stringify(value, null, 2);
}

export function errorBox(text) {
  return h("div", { class: "error-box", role: "alert", text });
}

export function textBlock(text, mime) {
  const trimmed = (text || "").trim();
  if (mime?.includes("json") || trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return h("pre", { class: "json", text: pretty(JSON.parse(trimmed)) });
    } catch {
      // not JSON after all
    }
  }
  return h("pre", { class: "text", text });
}

export function renderBlock(block) {
  switch (block.type) {
    case "text":
      return textBlock(block.text);
    case "image":
      return h("img", { class: "image", alt: "image result", src: `data:${block.mimeType};base64,${block.data}` });
    case "audio":
      return h("audio", { controls: true, src: `data:${block.mimeType};base64,${block.data}` });
    case "resource":
      return renderContents(block.resource || {});
    case "resource_link":
      return h("div", { class: "link-block" }, h("span", { class: "badge", text: "link" }), h("code", { text: block.uri }), block.name ? ` ${block.name}` : "");
    default:
      return h("pre", { class: "json", text: pretty(block) });
  }
}

export function renderContents(c) {
  const head = h("div", { class: "contents-head" }, h("code", { text: c.uri || "" }), c.mimeType ? h("span", { class: "badge", text: c.mimeType }) : null);
  let body;
  if (c.text !== undefined) body = textBlock(c.text, c.mimeType);
  else if (c.blob !== undefined && (c.mimeType || "").startsWith("image/")) body = h("img", { class: "image", alt: c.uri || "image", src: `data:${c.mimeType};base64,${c.blob}` });
  else if (c.blob !== undefined) {
    body = h("a", { href: `data:${c.mimeType || "application/octet-stream"};base64,${c.blob}`, download: (c.uri || "blob").split("/").pop(), text: `Download (${Math.round((c.blob.length * 3) / 4)} bytes)` });
  } else body = h("pre", { class: "json", text: pretty(c) });
  return h("div", { class: "contents" }, head, body);
}

export function resultPanel() {
  return h("section", { id: "result", class: "result", "aria-live": "polite" });
}

export function showResult(panel, result, ms) {
  const blocks = [];
  blocks.push(h("div", { class: "result-head" }, h("span", { class: `badge ${result.isError ? "bad" : "good"}`, text: result.isError ? "error" : "ok" }), h("span", { class: "muted", text: ` ${ms} ms` })));
  for (const block of result.content || []) blocks.push(h("div", { class: "block" }, renderBlock(block)));
  if (result.structuredContent !== undefined) {
    blocks.push(h("h4", { text: "Structured content" }), h("pre", { class: "json structured", text: pretty(result.structuredContent) }));
  }
  panel.replaceChildren(...blocks);
  panel.classList.toggle("is-error", Boolean(result.isError));
}
