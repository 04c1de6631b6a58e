// A small MCP client over Streamable HTTP (legacy era: initialize, then Mcp-Session-Id).
// Answers come as JSON or as an SSE stream carrying notifications before the result.

export const PROTOCOL_VERSION = "2025-11-25";

export class McpError extends Error {
  constructor(message, code, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

export class McpClient {
  /**
   * @param {string} url the MCP endpoint
   * @param {{onMessage?: (dir: "in"|"out", msg: object) => void,
   *          onNotification?: (msg: object) => void}} hooks
   */
  constructor(url, hooks = {}) {
    this.url = url;
    this.hooks = hooks;
    this.sessionId = null;
    this.protocolVersion = null;
    this.serverInfo = null;
    this.capabilities = {};
    this.instructions = null;
    this.nextId = 1;
    this.progress = new Map();
  }

  headers() {
    const h = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };
    if (this.sessionId) h["Mcp-Session-Id"] = this.sessionId;
    if (this.protocolVersion) h["MCP-Protocol-Version"] = this.protocolVersion;
    return h;
  }

  async connect() {
    const result = await this.request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "mcp-use-inspector", version: "0.1.0" },
    });
    this.protocolVersion = result.protocolVersion;
    this.serverInfo = result.serverInfo || {};
    this.capabilities = result.capabilities || {};
    this.instructions = result.instructions || null;
    await this.notify("notifications/initialized");
    if (this.capabilities.logging) {
      try {
        await this.request("logging/setLevel", { level: "debug" });
      } catch (err) {
        console.warn("logging/setLevel failed", err);
      }
    }
    return result;
  }

  async notify(method, params) {
    const msg = { jsonrpc: "2.0", method };
    if (params !== undefined) msg.params = params;
    await this.post(msg, null);
  }

  /** Send a request; `onProgress(params)` receives progress notifications for it. */
  async request(method, params = {}, { onProgress } = {}) {
    const id = this.nextId++;
    if (onProgress) {
      const token = `inspector-${id}`;
      params = { ...params, _meta: { ...(params._meta || {}), progressToken: token } };
      this.progress.set(token, onProgress);
    }
    try {
      return await this.post({ jsonrpc: "2.0", id, method, params }, id);
    } finally {
      if (onProgress) this.progress.delete(`inspector-${id}`);
    }
  }

  async post(msg, id) {
    this.hooks.onMessage?.("out", msg);
    const response = await fetch(this.url, { method: "POST", headers: this.headers(), body: JSON.stringify(msg) });
    const sid = response.headers.get("mcp-session-id");
    if (sid && msg.method === "initialize") this.sessionId = sid;
    const type = response.headers.get("content-type") || "";
    if (!response.ok) {
      let detail = `HTTP ${response.status}`;
      if (type.includes("json")) {
        const body = await response.json();
        this.hooks.onMessage?.("in", body);
        if (body && body.error) detail += `: ${body.error.message}`;
      } else {
        const text = await response.text();
        if (text) detail += `: ${text.slice(0, 300)}`;
      }
      if (response.status === 404 && this.sessionId) detail += " (session expired: reconnect)";
      throw new McpError(detail, response.status);
    }
    if (id === null) return null;
    if (type.includes("text/event-stream")) return this.readStream(response, id);
    if (type.includes("json")) {
      const body = await response.json();
      return this.settle(body, id) ?? this.fail(id);
    }
    throw new McpError(`Unexpected answer: HTTP ${response.status} ${type}`);
  }

  fail(id) {
    throw new McpError(`No response to request ${id}`);
  }

  async readStream(response, id) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let answer;
    let done = false;
    while (!done) {
      const chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      const events = buffer.replace(/\r\n/g, "\n").split("\n\n");
      buffer = events.pop();
      for (const event of events) {
        const data = event
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (!data) continue;
        let msg;
        try {
          msg = JSON.parse(data);
        } catch {
          continue;
        }
        const settled = this.settle(msg, id);
        if (settled !== undefined) {
          answer = settled;
          done = true;
        }
      }
    }
    reader.cancel().catch(() => {});
    if (answer === undefined) throw new McpError("The stream ended before the response arrived");
    return answer;
  }

  /** Handle one incoming message; returns the result when it answers `id`. */
  settle(msg, id) {
    this.hooks.onMessage?.("in", msg);
    if (msg.method && msg.id !== undefined) {
      this.answerServerRequest(msg);
      return undefined;
    }
    if (msg.method) {
      if (msg.method === "notifications/progress") {
        const handler = this.progress.get(msg.params?.progressToken);
        handler?.(msg.params);
      }
      this.hooks.onNotification?.(msg);
      return undefined;
    }
    if (msg.id !== id) return undefined;
    if (msg.error) throw new McpError(msg.error.message, msg.error.code, msg.error.data);
    return msg.result;
  }

  answerServerRequest(msg) {
    const reply =
      msg.method === "ping"
        ? { jsonrpc: "2.0", id: msg.id, result: {} }
        : { jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: `The inspector does not handle ${msg.method}` } };
    this.post(reply, null).catch((err) => console.warn("reply failed", err));
  }

  async close() {
    if (!this.sessionId) return;
    const headers = this.headers();
    this.sessionId = null;
    try {
      await fetch(this.url, { method: "DELETE", headers });
    } catch {
      // the server may be gone already
    }
  }

  /** Every page of a list method. */
  async listAll(method, key) {
    const items = [];
    let cursor;
    for (let page = 0; page < 100; page++) {
      const result = await this.request(method, cursor ? { cursor } : {});
      items.push(...(result[key] || []));
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    return items;
  }
}
