// The TypeScript SDK's demo authorization server (dynamic registration, auto-approving
// /authorize, PKCE, /token, RFC 7662 /introspect), for our protected server's tests.
//   node ts_auth_server.mjs <sdk package dir> <auth server URL> <MCP server URL>
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [sdkDir, authServerUrl, mcpServerUrl] = process.argv.slice(2);
const demo = path.join(sdkDir, 'dist/esm/examples/server/demoInMemoryOAuthProvider.js');
const { setupAuthServer } = await import(pathToFileURL(demo).href);
const metadata = setupAuthServer({
  authServerUrl: new URL(authServerUrl),
  mcpServerUrl: new URL(mcpServerUrl),
  strictResource: true,
});
console.log(JSON.stringify(metadata));
