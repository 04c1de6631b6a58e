// TypeScript SDK v1 client: create task-backed calls, then page through `tasks/list`
// with the SDK's own `client.experimental.tasks.listTasks(cursor)`.
// Usage: node ts_sdk_v1_tasks_list.mjs URL COUNT
// Env: MCP_SDK_DIR = path of node_modules/@modelcontextprotocol/sdk.
// Prints one JSON object: the created ids, the pages (ids per page) and a bad cursor's error.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [url, countArg] = process.argv.slice(2);
const sdk = process.env.MCP_SDK_DIR;
if (!url || !countArg || !sdk) {
  console.error("usage: MCP_SDK_DIR=... node ts_sdk_v1_tasks_list.mjs URL COUNT");
  process.exit(2);
}
const load = (rel) => import(pathToFileURL(path.join(sdk, "dist", "esm", rel)).href);
const { Client } = await load("client/index.js");
const { StreamableHTTPClientTransport } = await load("client/streamableHttp.js");
const { CreateTaskResultSchema } = await load("types.js");

const client = new Client({ name: "ts-sdk-v1-tasks-list", version: "1.0.0" });
const transport = new StreamableHTTPClientTransport(new URL(url));
await client.connect(transport);
const out = { created: [], pages: [], cursors: [] };
for (let i = 0; i < Number(countArg); i++) {
  const created = await client.request(
    { method: "tools/call", params: { name: "sleepy", arguments: { seconds: 0 }, task: { ttl: 60000 } } },
    CreateTaskResultSchema,
  );
  out.created.push(created.task.taskId);
}
let cursor;
do {
  const page = await client.experimental.tasks.listTasks(cursor);
  out.pages.push(page.tasks.map((t) => t.taskId));
  cursor = page.nextCursor;
  if (cursor) out.cursors.push(cursor);
} while (cursor && out.pages.length < 50);
try {
  await client.experimental.tasks.listTasks("bm90LWEtY3Vyc29y");
  out.badCursor = null;
} catch (err) {
  out.badCursor = { code: err.code ?? null, message: String(err.message ?? err) };
}
await transport.terminateSession();
await client.close();
console.log(JSON.stringify(out));
