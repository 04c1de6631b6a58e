// TypeScript SDK v1 (@modelcontextprotocol/sdk) client over Streamable HTTP.
// Usage: node ts_sdk_v1_client.mjs URL
// Env: MCP_SDK_DIR = path of node_modules/@modelcontextprotocol/sdk (ESM imports do not
// honour NODE_PATH, so the SDK is imported by absolute file URL).
// Prints one JSON object on stdout: what the server answered.
import path from "node:path";
import { pathToFileURL } from "node:url";

const url = process.argv[2];
const sdk = process.env.MCP_SDK_DIR;
if (!url || !sdk) {
  console.error("usage: MCP_SDK_DIR=... node ts_sdk_v1_client.mjs URL");
  process.exit(2);
}
const load = (rel) => import(pathToFileURL(path.join(sdk, "dist", "esm", rel)).href);
const { Client } = await load("client/index.js");
const { StreamableHTTPClientTransport } = await load("client/streamableHttp.js");

const client = new Client({ name: "ts-sdk-v1-interop", version: "1.0.0" });
const transport = new StreamableHTTPClientTransport(new URL(url));
await client.connect(transport);
const out = {
  serverVersion: client.getServerVersion(),
  protocolVersion: transport.protocolVersion ?? null,
  sessionId: transport.sessionId ?? null,
};
const tools = await client.listTools();
out.tools = tools.tools.map((t) => t.name).sort();
out.addSchema = tools.tools.find((t) => t.name === "add")?.inputSchema ?? null;
out.add = await client.callTool({ name: "add", arguments: { a: 20, b: 22 } });
out.echo = await client.callTool({ name: "echo", arguments: { text: "from node" } });
out.weather = await client.callTool({ name: "weather", arguments: { city: "Lyon" } });
out.fail = await client.callTool({ name: "fail", arguments: { reason: "ts" } });
out.resource = await client.readResource({ uri: "users://7/profile" });
out.prompt = await client.getPrompt({ name: "review", arguments: { code: "let x = 1" } });
await transport.terminateSession();
await client.close();
console.log(JSON.stringify(out));
