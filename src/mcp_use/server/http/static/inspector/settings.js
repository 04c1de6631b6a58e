// The connection settings: era, transport, bearer token, custom headers and roots
// (kept in localStorage, except the token), and when a URL needs the proxy route.

const $ = (id) => document.getElementById(id);

export function parseHeaders(text) {
  const headers = {};
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf(":");
    if (at <= 0) throw new Error(`Custom header "${trimmed}" is not "Name: value"`);
    headers[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim();
  }
  return headers;
}

/** The proxy route when `url` is on another origin (the browser would refuse it: CORS). */
export function proxyFor(url, config) {
  let origin;
  try {
    origin = new URL(url, location.href).origin;
  } catch {
    return null;
  }
  return origin !== location.origin && config.proxyPath ? config.proxyPath : null;
}

export function explain(err, url, viaProxy) {
  if (err instanceof TypeError && !viaProxy) {
    return `${err.message}. A page cannot reach another origin unless that server allows it (CORS); open this inspector from a server with debug routes on (its proxy route forwards the request), or use \`mcp-use inspect ${url}\`.`;
  }
  return err.message;
}

const SETTINGS_KEY = "mcp-use-inspector";

export function saveSettings() {
  const kept = { era: $("era").value, transport: $("transport").value, headers: $("custom-headers").value, roots: $("roots").value };
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(kept));
  } catch {
    // storage may be off; settings then last for this page only
  }
}

export function loadSettings(config) {
  let kept = {};
  try {
    kept = JSON.parse(localStorage.getItem(SETTINGS_KEY) || "{}");
  } catch {
    kept = {};
  }
  const params = new URLSearchParams(location.search);
  $("era").value = params.get("era") || kept.era || "auto";
  $("transport").value = params.get("transport") || config.transport || kept.transport || "http";
  $("custom-headers").value = kept.headers || "";
  $("roots").value = kept.roots || "";
}
