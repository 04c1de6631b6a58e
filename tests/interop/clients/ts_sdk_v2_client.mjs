// TypeScript SDK v2 (@modelcontextprotocol/client) client over Streamable HTTP.
// Usage: node ts_sdk_v2_client.mjs URL legacy|auto
// Env: MCP_CLIENT_DIR = path of node_modules/@modelcontextprotocol/client (imported by
// absolute file URL: ESM imports do not honour NODE_PATH).
// Prints one JSON object on stdout.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [url, mode] = process.argv.slice(2);
const dir = process.env.MCP_CLIENT_DIR;
if (!url || !mode || !dir) {
  console.error("usage: MCP_CLIENT_DIR=... node ts_sdk_v2_client.mjs URL legacy|auto");
  process.exit(2);
}
const sdk = await import(pathToFileURL(path.join(dir, "dist", "index.mjs")).href);
const { Client, StreamableHTTPClientTransport } = sdk;

const client = new Client(
  { name: "ts-sdk-v2-interop", version: "1.0.0" },
  { versionNegotiation: { mode } },
);
const transport = new StreamableHTTPClientTransport(new URL(url));
await client.connect(transport);
const out = { negotiated: client.getNegotiatedProtocolVersion?.() ?? null };
const tools = await client.listTools();
out.tools = tools.tools.map((t) => t.name).sort();
out.add = await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
out.fail = await client.callTool({ name: "fail", arguments: {} });
out.negotiatedAfter = client.getNegotiatedProtocolVersion?.() ?? null;
await client.close();
console.log(JSON.stringify(out));
