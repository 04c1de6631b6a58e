// The two HTTP transports under the inspector's client (mcp.js):
// - HttpWire, Streamable HTTP: one POST per message; an answer is JSON or an SSE
//   stream; on 2026-07-28 the `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` headers mirror
//   the body; the legacy era's GET stream carries notifications outside requests;
// - SseWire, the legacy HTTP+SSE transport: a GET stream names the POST endpoint and
//   carries every answer.
// A wire sends through `client.route(url)` (the proxy, for another origin) with the
// client's token and custom headers, and hands what the server sends on its own to
// `client.incoming(msg)`.

// `tasks/*` are routed by their task id (SEP-2663).
const NAMED = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri", "tasks/get": "taskId", "tasks/update": "taskId", "tasks/cancel": "taskId" };

export class McpError extends Error {
  constructor(message, code, data, status) {
    super(message);
    this.code = code;
    this.data = data;
    this.status = status;
  }
}

/** A body value as a header value: verbatim when plain ASCII, else the base64 sentinel. */
export function encodeHeaderValue(value) {
  const text = typeof value === "string" ? value : String(value);
  const plain = /^[\x20-\x7e]*$/.test(text) && !/^[ \t]|[ \t]$/.test(text) && !(text.startsWith("=?base64?") && text.endsWith("?="));
  if (plain) return text;
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `=?base64?${btoa(bin)}?=`;
}

/** Tool parameters annotated `x-mcp-header`, reachable through `properties` only. */
function headerParams(schema, path = [], out = []) {
  for (const [key, sub] of Object.entries(schema?.properties || {})) {
    if (!sub || typeof sub !== "object") continue;
    if (typeof sub["x-mcp-header"] === "string") out.push([sub["x-mcp-header"], [...path, key]]);
    headerParams(sub, [...path, key], out);
  }
  return out;
}

/** Read SSE events from a fetch response; `onEvent` returning true stops reading. */
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
      const events = buffer.split("\n\n");
      buffer = events.pop();
      for (const raw of events) {
        const event = { event: "message", data: [] };
        for (const line of raw.split("\n")) {
          if (line.startsWith("data:")) event.data.push(line.slice(5).replace(/^ /, ""));
          else if (line.startsWith("event:")) event.event = line.slice(6).trim();
          else if (line.startsWith("id:")) event.id = line.slice(3).trim();
        }
        event.data = event.data.join("\n");
        if (event.data && onEvent(event)) return;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function httpError(response, client) {
  const type = response.headers.get("content-type") || "";
  let detail = `HTTP ${response.status}`;
  let code;
  let data;
  if (type.includes("json")) {
    const body = await response.json().catch(() => null);
    if (body) client.hooks.onMessage?.("in", body);
    if (body?.error) {
      detail += `: ${body.error.message}`;
      code = body.error.code;
      data = body.error.data;
    }
  } else {
    const text = await response.text().catch(() => "");
    if (text) detail += `: ${text.slice(0, 300)}`;
  }
  const challenge = response.headers.get("www-authenticate");
  const oauth = /resource_metadata=/i.test(challenge || "") || data?.signIn === true;
  if (response.status === 401) detail += oauth ? " (this server wants you to sign in)" : " (this server wants a bearer token: fill in Token)";
  const err = new McpError(detail, code, data, response.status);
  // The challenge, for signin.js: with `resource_metadata` the server speaks OAuth.
  err.wwwAuthenticate = challenge;
  err.signIn = response.status === 401 && oauth;
  return err;
}

/** Streamable HTTP: one POST per message; an answer is JSON or an SSE stream. */
export class HttpWire {
  constructor(client) {
    this.client = client;
    this.sessionId = null;
    this.listening = null;
  }

  headers(msg) {
    const c = this.client;
    const h = { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...c.extraHeaders() };
    if (this.sessionId) h["Mcp-Session-Id"] = this.sessionId;
    if (c.protocolVersion) h["MCP-Protocol-Version"] = c.protocolVersion;
    if (c.modern && msg.method) {
      h["Mcp-Method"] = msg.method;
      const field = NAMED[msg.method];
      if (field && typeof msg.params?.[field] === "string") h["Mcp-Name"] = encodeHeaderValue(msg.params[field]);
      if (msg.method === "tools/call") {
        const schema = c.toolSchemas.get(msg.params?.name);
        for (const [name, path] of headerParams(schema)) {
          let v = msg.params.arguments;
          for (const p of path) v = v?.[p];
          if (v !== undefined && v !== null) h[`Mcp-Param-${name}`] = encodeHeaderValue(typeof v === "boolean" ? String(v) : v);
        }
      }
    }
    return h;
  }

  /** POST one message; resolves with the response message for `msg.id` (or null). */
  async send(msg, signal) {
    const c = this.client;
    c.hooks.onMessage?.("out", msg);
    const response = await fetch(c.route(c.url), { method: "POST", headers: this.headers(msg), body: JSON.stringify(msg), signal });
    const sid = response.headers.get("mcp-session-id");
    // A session starts with initialize; `mcp-use inspect`'s stdio bridge also gives one to
    // a 2026-07-28 page at server/discover (one server process per page).
    if (sid && (msg.method === "initialize" || msg.method === "server/discover")) this.sessionId = sid;
    if (!response.ok) throw await httpError(response, c);
    if (msg.id === undefined || msg.method === undefined) return null;
    const type = response.headers.get("content-type") || "";
    if (type.includes("text/event-stream")) {
      let answer;
      await readEvents(response, (event) => {
        const m = parseJson(event.data);
        if (m === undefined) return false;
        if (m.id === msg.id && m.method === undefined) {
          c.hooks.onMessage?.("in", m);
          answer = m;
          return true;
        }
        c.incoming(m);
        return false;
      });
      if (answer === undefined) throw new McpError(signal?.aborted ? "Cancelled" : "The stream ended before the response arrived");
      return answer;
    }
    if (type.includes("json")) {
      const body = await response.json();
      c.hooks.onMessage?.("in", body);
      return body;
    }
    throw new McpError(`Unexpected answer: HTTP ${response.status} ${type}`);
  }

  /** The legacy era's GET stream: notifications outside any request (list changes, updates). */
  listen() {
    if (this.listening || !this.sessionId) return;
    const c = this.client;
    const abort = new AbortController();
    this.listening = abort;
    const loop = async () => {
      while (!abort.signal.aborted) {
        try {
          const h = { Accept: "text/event-stream", "Mcp-Session-Id": this.sessionId, "MCP-Protocol-Version": c.protocolVersion, ...c.extraHeaders() };
          const response = await fetch(c.route(c.url), { headers: h, signal: abort.signal });
          if (response.status === 404) {
            this.listening = null;
            c.recover().catch(() => {}); // the session is gone: the server restarted
            return;
          }
          if (!response.ok) return; // 405: the server offers no GET stream
          await readEvents(response, (event) => {
            const m = parseJson(event.data);
            if (m !== undefined) c.incoming(m);
            return abort.signal.aborted;
          });
        } catch {
          if (abort.signal.aborted) return;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    loop();
  }

  discard() {
    this.listening?.abort();
    this.listening = null;
    this.sessionId = null;
  }

  async close() {
    this.listening?.abort();
    this.listening = null;
    if (!this.sessionId) return;
    const c = this.client;
    const h = { "Mcp-Session-Id": this.sessionId, ...c.extraHeaders() };
    this.sessionId = null;
    // keepalive: sent even when the tab is closing (the stdio bridge then stops its process)
    await fetch(c.route(c.url), { method: "DELETE", headers: h, keepalive: true }).catch(() => {});
  }
}

/** The legacy HTTP+SSE transport: a GET stream names the POST endpoint and carries answers. */
export class SseWire {
  constructor(client) {
    this.client = client;
    this.endpoint = null;
    this.pending = new Map();
    this.abort = new AbortController();
    this.sessionId = null;
  }

  async start() {
    const c = this.client;
    const response = await fetch(c.route(c.url), { headers: { Accept: "text/event-stream", ...c.extraHeaders() }, signal: this.abort.signal });
    if (!response.ok) throw await httpError(response, c);
    let ready;
    const endpoint = new Promise((resolve) => (ready = resolve));
    readEvents(response, (event) => {
      if (event.event === "endpoint") {
        this.endpoint = new URL(event.data, c.url).href;
        this.sessionId = new URL(this.endpoint).searchParams.get("session_id");
        ready();
        return false;
      }
      const m = parseJson(event.data);
      if (m === undefined) return false;
      const waiter = m.method === undefined ? this.pending.get(m.id) : undefined;
      if (waiter) {
        c.hooks.onMessage?.("in", m);
        waiter(m);
      } else c.incoming(m);
      return false;
    })
      .catch(() => {})
      .finally(() => {
        for (const waiter of this.pending.values()) waiter({ error: { message: "The SSE stream closed" } });
        this.pending.clear();
        if (!this.discarded) c.recover().catch(() => {}); // the stream dropped: the server restarted
      });
    await endpoint;
  }

  async send(msg, signal) {
    const c = this.client;
    c.hooks.onMessage?.("out", msg);
    const answered = msg.id !== undefined && msg.method !== undefined ? new Promise((r) => this.pending.set(msg.id, r)) : null;
    const h = { "Content-Type": "application/json", ...c.extraHeaders() };
    const response = await fetch(c.route(this.endpoint), { method: "POST", headers: h, body: JSON.stringify(msg), signal });
    if (!response.ok) {
      this.pending.delete(msg.id);
      throw await httpError(response, c);
    }
    if (!answered) return null;
    const cancelled = new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new McpError("Cancelled"))));
    try {
      return await Promise.race([answered, cancelled]);
    } finally {
      this.pending.delete(msg.id);
    }
  }

  listen() {}

  discard() {
    this.discarded = true;
    this.abort.abort();
  }

  async close() {
    this.discarded = true;
    this.abort.abort();
  }
}
