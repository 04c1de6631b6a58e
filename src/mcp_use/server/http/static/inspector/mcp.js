// A small MCP client for the inspector page, on both protocol eras:
// - legacy (2025-11-25): `initialize`, then `Mcp-Session-Id`; server requests
//   (elicitation, sampling, roots) arrive on a response stream and are answered by POST;
// - modern (2026-07-28): no session; every request carries `_meta` (version, client
//   capabilities, client info) and `Mcp-Method`/`Mcp-Name` headers; what the server needs
//   from the user comes back as an `input_required` result that is answered and retried.
// Transports: Streamable HTTP, or the legacy HTTP+SSE transport (GET stream + POST endpoint).
// Another origin is reached through the debug server's proxy route (`proxy`), since the
// browser would refuse it (CORS).

import { HttpWire, McpError, SseWire } from "./wire.js";

export { McpError };
export const LEGACY_VERSION = "2025-11-25";
export const MODERN_VERSION = "2026-07-28";
const META = "io.modelcontextprotocol/";
const MAX_INPUT_ROUNDS = 10;

export class McpClient {
  /**
   * @param {string} url the MCP endpoint (Streamable HTTP) or the SSE endpoint
   * @param {object} options era ("auto"|"legacy"|"modern"), transport ("http"|"sse"),
   *   token, headers ({name: value}), proxy (a same-origin route that forwards to `url`),
   *   onInput(method, params) -> Promise<result> (elicitation, sampling, roots),
   *   onMessage(dir, msg), onNotification(msg), onNotice(text),
   *   onSessionLost(), onReconnected(), onGone(err)
   */
  constructor(url, options = {}) {
    this.url = url;
    this.era = options.era || "auto";
    this.transport = options.transport || "http";
    this.token = options.token || "";
    this.customHeaders = options.headers || {};
    this.proxy = options.proxy || null;
    this.onInput = options.onInput || null;
    this.hooks = options;
    this.modern = false;
    this.protocolVersion = null;
    this.serverInfo = null;
    this.capabilities = {};
    this.instructions = null;
    this.nextId = 1;
    this.progress = new Map();
    this.toolSchemas = new Map();
    this.logLevel = "debug";
    this.wire = null;
  }

  route(url) {
    return this.proxy ? `${this.proxy}?url=${encodeURIComponent(url)}` : url;
  }

  extraHeaders() {
    const h = { ...this.customHeaders };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    return h;
  }

  clientCapabilities() {
    return { elicitation: { form: {}, url: {} }, sampling: {}, roots: { listChanged: true } };
  }

  clientInfo() {
    return { name: "mcp-use-inspector", version: "0.2.0" };
  }

  /** Connect on the chosen era; "auto" tries 2026-07-28 and falls back to `initialize`. */
  async connect() {
    if (this.transport === "sse") {
      this.wire = new SseWire(this);
      await this.wire.start();
      return this.handshake();
    }
    this.wire = new HttpWire(this);
    if (this.era === "legacy") return this.handshake();
    if (this.era === "modern") return this.discover();
    try {
      return await this.discover();
    } catch (err) {
      if (!(err instanceof McpError) || err.status === 401 || err.status === 403) throw err;
      this.hooks.onNotice?.(`2026-07-28 not spoken here (${err.message}); using initialize`);
      return this.handshake();
    }
  }

  async discover() {
    this.modern = true;
    this.protocolVersion = MODERN_VERSION;
    const result = await this.request("server/discover", {});
    const supported = result.supportedVersions || [];
    if (!supported.includes(MODERN_VERSION)) {
      this.modern = false;
      this.protocolVersion = null;
      throw new McpError(`the server does not support ${MODERN_VERSION} (it lists ${supported.join(", ") || "nothing"})`);
    }
    this.adopt(result);
    this.listenModern();
    return result;
  }

  /**
   * 2026-07-28 has no GET stream: `subscriptions/listen` is a request whose stream
   * carries list changes and resource updates. When it ends the server went away
   * (a reload): reconnect. `resourceUris` are the resources subscribed to.
   */
  listenModern(resourceUris = this.modernUris || []) {
    this.modernUris = resourceUris;
    this.modernListen?.abort();
    const abort = new AbortController();
    this.modernListen = abort;
    const caps = this.capabilities;
    const notifications = {};
    if (caps.tools?.listChanged) notifications.toolsListChanged = true;
    if (caps.prompts?.listChanged) notifications.promptsListChanged = true;
    if (caps.resources?.listChanged) notifications.resourcesListChanged = true;
    if (caps.resources?.subscribe && resourceUris.length) notifications.resourceSubscriptions = resourceUris;
    if (!Object.keys(notifications).length) return;
    const wire = this.wire;
    const msg = { jsonrpc: "2.0", id: this.nextId++, method: "subscriptions/listen", params: this.withMeta("subscriptions/listen", { notifications }) };
    wire
      .send(msg, abort.signal)
      .catch(() => {})
      .finally(() => {
        if (!abort.signal.aborted && !this.closed && this.wire === wire) this.recover().catch(() => {});
      });
  }

  /** Resource subscriptions on either era. */
  async subscribe(uri, on) {
    if (!this.modern) return this.request(on ? "resources/subscribe" : "resources/unsubscribe", { uri });
    const uris = new Set(this.modernUris || []);
    if (on) uris.add(uri);
    else uris.delete(uri);
    this.listenModern([...uris]);
    return {};
  }

  async handshake() {
    this.modern = false;
    this.protocolVersion = null;
    if (this.wire) this.wire.sessionId = null;
    const result = await this.request("initialize", { protocolVersion: LEGACY_VERSION, capabilities: this.clientCapabilities(), clientInfo: this.clientInfo() });
    this.protocolVersion = result.protocolVersion;
    this.adopt(result);
    await this.notify("notifications/initialized");
    if (this.capabilities.logging) {
      await this.request("logging/setLevel", { level: this.logLevel }).catch((err) => console.warn("logging/setLevel failed", err));
    }
    this.wire.listen();
    return result;
  }

  adopt(result) {
    this.serverInfo = result.serverInfo || {};
    this.capabilities = result.capabilities || {};
    this.instructions = result.instructions || null;
  }

  async notify(method, params) {
    const msg = { jsonrpc: "2.0", method };
    if (params !== undefined) msg.params = params;
    await this.wire.send(msg);
  }

  withMeta(method, params) {
    if (!this.modern) return params;
    // Capabilities the request itself declares (an extension's per-request opt-in) are kept.
    const caps = { ...this.clientCapabilities(), ...(params._meta?.[`${META}clientCapabilities`] || {}) };
    const meta = { ...(params._meta || {}), [`${META}protocolVersion`]: this.protocolVersion, [`${META}clientCapabilities`]: caps, [`${META}clientInfo`]: this.clientInfo() };
    if (this.capabilities.logging && method !== "server/discover") meta[`${META}logLevel`] = this.logLevel;
    return { ...params, _meta: meta };
  }

  /**
   * Send a request and return its result. `onProgress(params)` gets its progress;
   * `signal` (an AbortSignal) cancels it. A modern `input_required` result is answered
   * through `onInput` and the request retried; a lost legacy session is re-opened once.
   */
  async request(method, params = {}, { onProgress, signal } = {}) {
    let current = params;
    for (let round = 0; ; round++) {
      const result = await this.requestOnce(method, current, { onProgress, signal });
      if (result?.resultType !== "input_required") return result;
      if (round >= MAX_INPUT_ROUNDS) throw new McpError(`${method} still needs input after ${MAX_INPUT_ROUNDS} rounds`);
      const asked = result.inputRequests || {};
      const answers = {};
      for (const [key, req] of Object.entries(asked)) answers[key] = await this.answerInput(req.method, req.params || {});
      const { inputResponses, requestState, ...rest } = current;
      current = { ...rest, inputResponses: answers };
      if (result.requestState !== undefined) current.requestState = result.requestState;
    }
  }

  async requestOnce(method, params, { onProgress, signal } = {}) {
    const id = this.nextId++;
    let sent = params;
    if (onProgress) {
      const token = `inspector-${id}`;
      sent = { ...sent, _meta: { ...(sent._meta || {}), progressToken: token } };
      this.progress.set(token, onProgress);
    }
    sent = this.withMeta(method, sent);
    const onAbort = () => {
      if (!this.modern) this.notify("notifications/cancelled", { requestId: id, reason: "Cancelled in the inspector" }).catch(() => {});
    };
    signal?.addEventListener("abort", onAbort);
    try {
      const answer = await this.wire.send({ jsonrpc: "2.0", id, method, params: sent }, signal);
      if (answer?.error) throw new McpError(answer.error.message, answer.error.code, answer.error.data);
      return answer?.result;
    } catch (err) {
      if (signal?.aborted) throw new McpError("Cancelled");
      if (err instanceof McpError && err.status === 404 && !this.modern && this.wire.sessionId && method !== "initialize") {
        // The server restarted (a reload): open a new session, tell the page, retry once.
        await this.recover();
        return this.requestOnce(method, params, { onProgress, signal });
      }
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (onProgress) this.progress.delete(`inspector-${id}`);
    }
  }

  async answerInput(method, params) {
    if (method === "ping") return {};
    if (!this.onInput) throw new McpError(`The inspector does not handle ${method}`, -32601);
    return this.onInput(method, params);
  }

  /** A message the server sent on its own: a notification, or a request (legacy era). */
  incoming(msg) {
    this.hooks.onMessage?.("in", msg);
    if (!msg.method) return;
    if (msg.id !== undefined) {
      this.answerServerRequest(msg);
      return;
    }
    if (msg.method === "notifications/progress") this.progress.get(msg.params?.progressToken)?.(msg.params);
    this.hooks.onNotification?.(msg);
  }

  async answerServerRequest(msg) {
    let reply;
    try {
      reply = { jsonrpc: "2.0", id: msg.id, result: await this.answerInput(msg.method, msg.params || {}) };
    } catch (err) {
      reply = { jsonrpc: "2.0", id: msg.id, error: { code: err.code ?? -32603, message: err.message } };
    }
    this.wire.send(reply).catch((err) => console.warn("reply failed", err));
  }

  /**
   * The server lost our session or stream (it restarted): connect again on the same
   * settings, retrying for a while; the page refreshes its lists on `onReconnected`.
   */
  recover() {
    if (this.closed) return Promise.reject(new McpError("Disconnected"));
    if (!this.recovering) {
      this.recovering = (async () => {
        this.hooks.onSessionLost?.();
        let last;
        for (let attempt = 0; attempt < 40 && !this.closed; attempt++) {
          this.modernListen?.abort();
          this.wire?.discard();
          try {
            await this.connect();
            Promise.resolve(this.hooks.onReconnected?.()).catch((err) => console.warn("refresh failed", err));
            return;
          } catch (err) {
            last = err;
            await new Promise((r) => setTimeout(r, 500));
          }
        }
        this.hooks.onGone?.(last);
        throw last || new McpError("Disconnected");
      })().finally(() => {
        this.recovering = null;
      });
    }
    return this.recovering;
  }

  /** A liveness check: `ping` on the legacy era, `server/discover` on 2026-07-28. */
  async ping() {
    return this.request(this.modern ? "server/discover" : "ping", {});
  }

  async rootsChanged() {
    if (!this.modern && this.wire) await this.notify("notifications/roots/list_changed");
  }

  async close() {
    this.closed = true;
    this.modernListen?.abort();
    await this.wire?.close();
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
    if (method === "tools/list") for (const t of items) this.toolSchemas.set(t.name, t.inputSchema);
    return items;
  }
}
