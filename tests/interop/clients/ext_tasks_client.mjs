// The Tasks requester @modelcontextprotocol/ext-tasks (its client entry point) over the
// TypeScript SDK v2 client, against our server.
// Usage: node ext_tasks_client.mjs URL legacy|modern
// Env: MCP_NODE_MODULES = the node_modules holding @modelcontextprotocol/{client,ext-tasks}
// (imported by absolute file URL: ESM imports do not honour NODE_PATH).
// legacy: the SDK negotiates 2025-11-25 and ext-tasks drives the spec's tasks (v1).
// modern: 2026-07-28 needs the adapter's `rawDispatch` + `v2RequestFraming`; rawDispatch
// here is a plain fetch POST with the 2026-07-28 headers.
// Prints one JSON object on stdout.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [url, era] = process.argv.slice(2);
const modules = process.env.MCP_NODE_MODULES;
if (!url || !era || !modules) {
  console.error("usage: MCP_NODE_MODULES=... node ext_tasks_client.mjs URL legacy|modern");
  process.exit(2);
}
const load = (rel) => import(pathToFileURL(path.join(modules, "@modelcontextprotocol", rel)).href);
const { Client, StreamableHTTPClientTransport } = await load("client/dist/index.mjs");
const tasks = await load("ext-tasks/dist/client/index.js");

const MODERN = "2026-07-28";
const clientInfo = { name: "ext-tasks-interop", version: "1.0.0" };
const clientCapabilities = { elicitation: {}, extensions: { "io.modelcontextprotocol/tasks": {} } };

let nextId = 1;
async function rawDispatch(framed) {
  // The adapter hands over {method, params} (with the _meta framing); the envelope is ours.
  const request = { jsonrpc: "2.0", id: `ext-tasks-${nextId++}`, ...framed };
  const params = request.params ?? {};
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": MODERN,
    "mcp-method": request.method,
  };
  const name = params.name ?? params.taskId ?? params.uri;
  if (typeof name === "string") headers["mcp-name"] = name;
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(request) });
  const text = await response.text();
  if ((response.headers.get("content-type") ?? "").includes("text/event-stream")) {
    for (const line of text.split(/\r?\n/)) {
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (!data) continue;
      const message = JSON.parse(data);
      if (message.id === request.id && ("result" in message || "error" in message)) return settled(message);
    }
    throw new Error(`no response in SSE body: ${text}`);
  }
  return settled(JSON.parse(text));
}

// The adapter's JsonRpcResponse: {kind: "result", result} or {kind: "error", error}.
const settled = (message) =>
  "error" in message ? { kind: "error", error: message.error } : { kind: "result", result: message.result };

const negotiation = era === "modern" ? { pin: MODERN } : "legacy";
const client = new Client(clientInfo, { versionNegotiation: { mode: negotiation }, capabilities: { elicitation: {} } });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const out = { negotiated: client.getNegotiatedProtocolVersion?.() ?? null };
const options = {
  endpointId: "mcp-use-tasks-server",
  onInputRequest: async (request) => {
    out.inputKinds = [...(out.inputKinds ?? []), request.kind];
    return { action: "accept", content: { name: "Turing" } };
  },
};
if (era === "modern") {
  options.rawDispatch = rawDispatch;
  options.v2RequestFraming = { protocolVersion: MODERN, clientInfo, clientCapabilities };
}
const session = tasks.createTaskSessionFromClient(client, options);
try {
  const prefer = { task: { preference: "prefer" } };
  const run = await session.callTool("sleepy", { seconds: 0.6, steps: 2 }, prefer);
  out.kind = run.kind;
  out.taskId = run.handle?.taskId ?? null;
  const statuses = [];
  const { outcome } = await run.settle({
    onEvent: (event) => {
      const view = tasks.taskViewFromExecutionEvent(event);
      if (view) statuses.push(view.status);
    },
  });
  out.statuses = statuses;
  out.outcome = outcome.status;
  out.result = tasks.resultFromTaskOutcome(outcome);

  const long = await session.callTool("sleepy", { seconds: 30 }, prefer);
  out.longKind = long.kind;
  await long.cancel();
  out.cancelled = (await long.settle()).outcome.status;

  try {
    const ask = await session.callTool("ask_name", {}, prefer);
    out.askKind = ask.kind;
    out.ask = tasks.resultFromTaskOutcome((await ask.settle()).outcome);
  } catch (error) {
    out.askError = String(error?.message ?? error);
  }
} finally {
  await session.close();
  await client.close().catch(() => {});
}
console.log(JSON.stringify(out));
