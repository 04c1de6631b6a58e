// The inspector page: connect to an MCP endpoint, browse and call what it offers.
import { McpClient } from "./mcp.js";
import { buildField, buildForm, h } from "./form.js";
import { askUser } from "./input.js";
import { addHistory, completeInto } from "./extras.js";
import { clearLogs, logEvent, logMessage } from "./logs.js";
import { errorBox, pretty, renderBlock, renderContents, resultPanel, showResult } from "./render.js";
import { explain, loadSettings, parseHeaders, proxyFor, saveSettings } from "./settings.js";
import { addSignOut, signedIn, signInBox } from "./signin.js";
import { callAsTask, taskOption } from "./tasks.js";

const config = JSON.parse(document.getElementById("mcp-config").textContent || "{}");
const $ = (id) => document.getElementById(id);

const state = {
  client: null,
  tab: "tools",
  items: { tools: [], resources: [], templates: [], prompts: [] },
  selected: null,
  subscriptions: new Map(),
  signedInAt: 0, // a sign-in from a call's panel: the session of the old token ends next
};

function onNotification(msg) {
  const p = msg.params || {};
  switch (msg.method) {
    case "notifications/message": {
      const data = typeof p.data === "string" ? p.data : pretty(p.data);
      logEvent(p.level || "info", (p.logger ? `[${p.logger}] ` : "") + data);
      break;
    }
    case "notifications/progress": {
      const total = p.total ? ` / ${p.total}` : "";
      logEvent("progress", `${p.progress}${total}${p.message ? ` — ${p.message}` : ""}`);
      break;
    }
    case "notifications/tools/list_changed":
    case "notifications/resources/list_changed":
    case "notifications/prompts/list_changed":
      logEvent("changed", msg.method.split("/")[1] + " changed; refreshing");
      refreshLists();
      break;
    case "notifications/subscriptions/acknowledged":
      logEvent("notice", `listening for: ${Object.keys(p.notifications || {}).join(", ") || "nothing"}`);
      break;
    case "notifications/resources/updated": {
      logEvent("updated", `resource updated: ${p.uri}`);
      state.subscriptions.get(p.uri)?.();
      break;
    }
    default:
      logEvent("notice", msg.method, p);
  }
}

// ---- connecting ---------------------------------------------------------------------
function setStatus(stateName, text) {
  const badge = $("status");
  badge.dataset.state = stateName;
  badge.textContent = text;
}

function showServerInfo(client) {
  const info = client.serverInfo || {};
  const era = client.modern ? "2026-07-28 (stateless)" : `${client.protocolVersion || "?"} (session)`;
  // replaceChildren would print a null as "null": leave the missing parts out.
  const parts = [
    h("strong", { id: "server-name", text: info.title || info.name || "server" }),
    info.version ? h("span", { class: "muted", text: ` v${info.version}` }) : null,
    h("span", { class: "muted", id: "protocol", text: ` · protocol ${era}` }),
    client.proxy ? h("span", { class: "muted", text: " · via proxy" }) : null,
    client.instructions && client.instructions.length <= 240 ? h("p", { class: "instructions", text: client.instructions }) : null,
    client.instructions && client.instructions.length > 240 ? h("details", { class: "instructions" }, h("summary", { text: "Instructions" }), h("pre", { class: "text", text: client.instructions })) : null,
  ];
  $("server-info").replaceChildren(...parts.filter(Boolean));
  document.title = `${info.name || "MCP"} — MCP Inspector`;
  // The docs page describes the server that serves this inspector, not one reached by proxy.
  // (Its own endpoint may go through the proxy too, once signed in from the page.)
  $("docs-link").hidden = !config.docsPath || Boolean(proxyFor(client.url, config));
}

async function connect(url) {
  const previous = state.client;
  state.client = null;
  if (previous) await previous.close();
  state.selected = null;
  state.subscriptions.clear();
  state.items = { tools: [], resources: [], templates: [], prompts: [] };
  renderList();
  $("server-info").replaceChildren();
  document.title = "MCP Inspector";
  $("ping").disabled = true;
  $("detail").replaceChildren(h("p", { class: "muted", text: "Connecting…" }));
  setStatus("busy", "connecting…");
  let proxy = proxyFor(url, config);
  // Signed in from this page: even this server's own endpoint goes through the proxy,
  // which holds the token (the page never does).
  if (!proxy && config.proxyPath && (await signedIn(config.proxyPath, url))) proxy = config.proxyPath;
  let client;
  try {
    client = new McpClient(url, {
      era: $("era").value,
      transport: $("transport").value,
      token: $("token").value.trim(),
      headers: parseHeaders($("custom-headers").value),
      proxy,
      onInput: askUser,
      onMessage: logMessage,
      onNotification,
      onNotice: (text) => logEvent("notice", text),
      onSessionLost: () => {
        setStatus("busy", "reconnecting…");
        const afterSignIn = Date.now() - state.signedInAt < 60000;
        logEvent("notice", afterSignIn ? "Signed in anew: opening a session for the new token" : "Lost the server (restarted?): reconnecting");
      },
      onReconnected: async () => {
        if (state.client !== client) return;
        showServerInfo(client);
        await addSignOut($("server-info"), client.proxy, client.url, () => connect(client.url));
        await refreshLists();
        if (state.client !== client) return;
        logEvent("notice", "Reconnected; lists refreshed");
        setStatus("ok", "connected");
      },
      onGone: (err) => {
        if (state.client !== client) return;
        setStatus("error", "disconnected");
        logEvent("error", `Lost the server: ${err?.message || "gone"}`);
      },
    });
    await client.connect();
  } catch (err) {
    client?.close();
    setStatus("error", "connection failed");
    $("detail").replaceChildren(errorBox(`Could not connect to ${url}: ${explain(err, url, proxy)}`));
    const signInVia = proxy || config.proxyPath;
    if (err?.signIn && signInVia) $("detail").append(signInBox(err, url, signInVia, () => connect(url)));
    return;
  }
  state.client = client;
  const params = new URLSearchParams(location.search);
  params.set("url", url);
  history.replaceState(null, "", `${location.pathname}?${params}`);
  saveSettings();
  showServerInfo(client);
  await addSignOut($("server-info"), client.proxy, client.url, () => connect(client.url));
  await refreshLists();
  if (state.client !== client) return;
  // "connected" once the lists are in: what the page shows is then this server's.
  setStatus("ok", "connected");
  $("ping").disabled = false;
  $("detail").replaceChildren(h("p", { class: "muted", text: "Pick a tool, resource or prompt." }));
}

async function refreshLists() {
  const client = state.client;
  if (!client) return;
  const caps = client.capabilities || {};
  const tasks = {
    tools: caps.tools ? client.listAll("tools/list", "tools") : [],
    resources: caps.resources ? client.listAll("resources/list", "resources") : [],
    templates: caps.resources ? client.listAll("resources/templates/list", "resourceTemplates") : [],
    prompts: caps.prompts ? client.listAll("prompts/list", "prompts") : [],
  };
  // allSettled: every list gets its handler at once (a later one failing while an
  // earlier one is awaited would be an unhandled rejection).
  const keys = Object.keys(tasks);
  const settled = await Promise.allSettled(Object.values(tasks));
  if (state.client !== client) return; // another connect started meanwhile
  settled.forEach((outcome, i) => {
    state.items[keys[i]] = outcome.status === "fulfilled" ? outcome.value : [];
    if (outcome.status === "rejected") logEvent("error", `${keys[i]}: ${outcome.reason?.message || outcome.reason}`);
  });
  renderList();
}

// ---- the list -----------------------------------------------------------------------
function renderList() {
  const { tools, resources, templates, prompts } = state.items;
  $("count-tools").textContent = String(tools.length);
  $("count-resources").textContent = String(resources.length + templates.length);
  $("count-prompts").textContent = String(prompts.length);
  const filter = $("filter").value.trim().toLowerCase();
  const match = (item) => !filter || JSON.stringify([item.name, item.title, item.description, item.uri, item.uriTemplate]).toLowerCase().includes(filter);
  const list = $("list");
  list.replaceChildren();
  const entries = [];
  if (state.tab === "tools") tools.forEach((t) => entries.push(["tool", t, t.name]));
  if (state.tab === "resources") {
    resources.forEach((r) => entries.push(["resource", r, r.uri]));
    templates.forEach((t) => entries.push(["template", t, t.uriTemplate]));
  }
  if (state.tab === "prompts") prompts.forEach((p) => entries.push(["prompt", p, p.name]));
  for (const [kind, item, key] of entries) {
    if (!match(item)) continue;
    const selected = state.selected && state.selected.kind === kind && state.selected.key === key;
    const button = h(
      "button",
      { type: "button", class: "item", "data-kind": kind, "data-name": key, "aria-current": selected ? "true" : false, onclick: () => select(kind, item, key) },
      h("span", { class: "item-name", text: kind === "tool" || kind === "prompt" ? item.name : item.name || key }),
      kind === "template" ? h("span", { class: "badge", text: "template" }) : null,
      kind === "resource" || kind === "template" ? h("span", { class: "item-uri", text: key }) : null,
      item.description ? h("span", { class: "item-desc", text: item.description }) : null,
    );
    list.append(h("li", {}, button));
  }
  if (!list.children.length) list.append(h("li", { class: "muted empty", text: state.client ? "Nothing here." : "Not connected." }));
}

function select(kind, item, key) {
  state.selected = { kind, key };
  renderList();
  const render = { tool: renderTool, resource: renderResource, template: renderTemplate, prompt: renderPrompt }[kind];
  $("detail").replaceChildren(...render(item));
  $("detail").scrollIntoView({ block: "nearest", behavior: "smooth" });
}

/** Run one request for a panel, with a Cancel button while it is in flight. */
async function run(panel, button, action) {
  button.disabled = true;
  panel.classList.remove("is-error");
  const abort = new AbortController();
  const cancel = h("button", { type: "button", class: "small", id: "cancel-call", text: "Cancel", onclick: () => abort.abort() });
  panel.replaceChildren(h("p", { class: "muted running" }, "Running… ", cancel));
  const started = performance.now();
  try {
    await action(abort.signal, () => Math.round(performance.now() - started));
  } catch (err) {
    panel.classList.add("is-error");
    panel.replaceChildren(errorBox(abort.signal.aborted ? "Cancelled" : err.message));
    // The proxy's token died or lacks a scope (data.signIn): sign in right here, then the
    // same request runs again, in the same page (a lost session is re-opened by the client).
    const client = state.client;
    if (err?.signIn && client?.proxy) panel.append(signInBox(err, client.url, client.proxy, () => ((state.signedInAt = Date.now()), run(panel, button, action))));
  } finally {
    button.disabled = false;
  }
}

/** A request that the History tab can re-run. */
function recorded(method, params, options) {
  const client = ensureConnected();
  addHistory(method, params, () => rerun(method, params));
  return client.request(method, params, options);
}

function rerun(method, params) {
  const panel = resultPanel();
  const button = h("button", { type: "button", hidden: true });
  $("detail").replaceChildren(h("div", { class: "detail-head" }, h("span", { class: "badge kind", text: "re-run" }), h("h2", { text: `${method} ${params.name || params.uri || ""}` })), h("pre", { class: "json", text: pretty(params) }), panel);
  run(panel, button, async (signal, elapsed) => {
    const result = await recorded(method, params, { signal });
    if (method === "tools/call") showResult(panel, result, elapsed());
    else panel.replaceChildren(h("div", { class: "result-head" }, h("span", { class: "badge good", text: "ok" }), h("span", { class: "muted", text: ` ${elapsed()} ms` })), h("pre", { class: "json", text: pretty(result) }));
  });
}

function ensureConnected() {
  if (!state.client) throw new Error("Not connected");
  return state.client;
}

// ---- detail views -------------------------------------------------------------------
function detailHead(kind, title, item) {
  const ann = item.annotations || {};
  const badges = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"].filter((k) => ann[k]).map((k) => h("span", { class: "badge", text: k.replace("Hint", "") }));
  return [
    h("div", { class: "detail-head" }, h("span", { class: "badge kind", text: kind }), h("h2", { text: title }), ...badges),
    item.title && item.title !== title ? h("p", { class: "subtitle", text: item.title }) : null,
    item.description ? h("p", { class: "description", text: item.description }) : null,
  ].filter(Boolean);
}

function renderTool(tool) {
  const form = buildForm(tool.inputSchema || {});
  const raw = h("textarea", { class: "json raw", rows: 8, hidden: true, "aria-label": "Arguments as JSON" });
  const toggle = h("button", {
    type: "button",
    class: "link",
    text: "Edit as JSON",
    onclick: () => {
      if (raw.hidden) {
        try {
          raw.value = pretty(form.get() || {});
        } catch {
          raw.value = "{}";
        }
      }
      raw.hidden = !raw.hidden;
      form.el.hidden = !raw.hidden;
      toggle.textContent = raw.hidden ? "Edit as JSON" : "Edit as form";
      formEl.noValidate = !raw.hidden; // raw JSON goes as typed; the server validates it
    },
  });
  const progress = h("progress", { class: "progress", hidden: true, max: 1, value: 0 });
  const panel = resultPanel();
  const button = h("button", { type: "submit", id: "call-tool", class: "primary", text: "Call tool" });
  const asTask = taskOption(tool);
  const formEl = h(
    "form",
    {
      class: "tool-form",
      "data-tool": tool.name,
      onsubmit: (event) => {
        event.preventDefault();
        run(panel, button, async (signal, elapsed) => {
          const args = raw.hidden ? form.get() || {} : JSON.parse(raw.value || "{}");
          progress.hidden = true;
          if (asTask?.wanted()) return showResult(panel, await callAsTask(ensureConnected(), tool.name, args, panel, signal), elapsed());
          const result = await recorded(
            "tools/call",
            { name: tool.name, arguments: args },
            {
              signal,
              onProgress: (p) => {
                progress.hidden = false;
                progress.max = p.total || Math.max(p.progress, 1);
                progress.value = p.progress;
                progress.title = p.message || "";
              },
            },
          );
          showResult(panel, result, elapsed());
        });
      },
    },
    form.el,
    raw,
    h("div", { class: "actions" }, button, toggle, asTask?.el, progress),
  );
  const schemaBox = h("details", { class: "schema" }, h("summary", { text: "Schemas" }), h("h4", { text: "Input" }), h("pre", { text: pretty(tool.inputSchema || {}) }), tool.outputSchema ? h("h4", { text: "Output" }) : null, tool.outputSchema ? h("pre", { text: pretty(tool.outputSchema) }) : null);
  return [...detailHead("tool", tool.name, tool), formEl, panel, schemaBox];
}

async function readInto(panel, uri, elapsed, signal) {
  const result = await recorded("resources/read", { uri }, { signal });
  panel.replaceChildren(h("div", { class: "result-head" }, h("span", { class: "badge good", text: "ok" }), h("span", { class: "muted", text: ` ${elapsed()} ms` })), ...(result.contents || []).map(renderContents));
}

function renderResource(resource) {
  const panel = resultPanel();
  const button = h("button", { type: "button", id: "read-resource", class: "primary", text: "Read resource" });
  const read = () => run(panel, button, (signal, elapsed) => readInto(panel, resource.uri, elapsed, signal));
  button.addEventListener("click", read);
  const actions = h("div", { class: "actions" }, button);
  const client = state.client;
  if (client?.capabilities?.resources?.subscribe) {
    const subscribed = () => state.subscriptions.has(resource.uri);
    const toggle = h("button", { type: "button", id: "subscribe", text: subscribed() ? "Unsubscribe" : "Subscribe" });
    toggle.addEventListener("click", async () => {
      try {
        if (subscribed()) {
          await client.subscribe(resource.uri, false);
          state.subscriptions.delete(resource.uri);
        } else {
          await client.subscribe(resource.uri, true);
          state.subscriptions.set(resource.uri, read);
          logEvent("notice", `subscribed to ${resource.uri}: updates re-read it`);
        }
        toggle.textContent = subscribed() ? "Unsubscribe" : "Subscribe";
        toggle.classList.toggle("subscribed", subscribed());
      } catch (err) {
        logEvent("error", `subscribe: ${err.message}`);
      }
    });
    actions.append(toggle);
  }
  return [...detailHead("resource", resource.name || resource.uri, resource), h("p", {}, h("code", { text: resource.uri }), resource.mimeType ? h("span", { class: "badge", text: resource.mimeType }) : null), actions, panel];
}

function renderTemplate(template) {
  const names = [...template.uriTemplate.matchAll(/\{([+#./;?&]?)([^}]+)\}/g)].flatMap((m) => m[2].split(",").map((n) => n.replace(/\*$/, "")));
  const fields = names.map((name) => [name, buildField({ type: "string" }, { name, path: name, required: true })]);
  const argsOf = () => Object.fromEntries(fields.map(([n, f]) => [n, f.el.querySelector("input")?.value || ""]));
  for (const [name, field] of fields) completeInto(state.client, field.el, { type: "ref/resource", uri: template.uriTemplate }, name, argsOf);
  const preview = h("code", { class: "uri-preview", text: template.uriTemplate });
  const expand = () =>
    template.uriTemplate.replace(/\{([+#./;?&]?)([^}]+)\}/g, (_, op, list) =>
      list
        .split(",")
        .map((n) => {
          const field = fields.find(([k]) => k === n.replace(/\*$/, ""));
          let v = "";
          try {
            v = field?.[1].get() ?? "";
          } catch {
            v = "";
          }
          return op === "+" || op === "#" ? encodeURI(v) : encodeURIComponent(v);
        })
        .join(","),
    );
  const panel = resultPanel();
  const button = h("button", { type: "submit", id: "read-template", class: "primary", text: "Read resource" });
  const form = h(
    "form",
    {
      oninput: () => (preview.textContent = expand()),
      onsubmit: (event) => {
        event.preventDefault();
        run(panel, button, (signal, elapsed) => {
          fields.forEach(([, f]) => f.get());
          return readInto(panel, expand(), elapsed, signal);
        });
      },
    },
    fields.map(([, f]) => f.el),
    h("p", {}, "URI: ", preview),
    h("div", { class: "actions" }, button),
  );
  return [...detailHead("template", template.name || template.uriTemplate, template), h("p", {}, h("code", { text: template.uriTemplate })), form, panel];
}

function renderPrompt(prompt) {
  const fields = (prompt.arguments || []).map((arg) => [arg.name, buildField({ type: "string", description: arg.description }, { name: arg.name, path: arg.name, required: Boolean(arg.required) })]);
  const argsOf = () => Object.fromEntries(fields.map(([n, f]) => [n, f.el.querySelector("input")?.value || ""]));
  for (const [name, field] of fields) completeInto(state.client, field.el, { type: "ref/prompt", name: prompt.name }, name, argsOf);
  const panel = resultPanel();
  const button = h("button", { type: "submit", id: "get-prompt", class: "primary", text: "Get prompt" });
  const form = h(
    "form",
    {
      onsubmit: (event) => {
        event.preventDefault();
        run(panel, button, async (signal, elapsed) => {
          const args = {};
          for (const [name, field] of fields) {
            const v = field.get();
            if (v !== undefined) args[name] = v;
          }
          const result = await recorded("prompts/get", { name: prompt.name, arguments: args }, { signal });
          const shown = [
            h("div", { class: "result-head" }, h("span", { class: "badge good", text: "ok" }), h("span", { class: "muted", text: ` ${elapsed()} ms` })),
            result.description ? h("p", { class: "description", text: result.description }) : null,
            ...(result.messages || []).map((m) => h("div", { class: `message role-${m.role}` }, h("span", { class: "badge", text: m.role }), renderBlock(m.content || {}))),
          ];
          panel.replaceChildren(...shown.filter(Boolean));
        });
      },
    },
    fields.length ? fields.map(([, f]) => f.el) : h("p", { class: "muted", text: "No arguments." }),
    h("div", { class: "actions" }, button),
  );
  return [...detailHead("prompt", prompt.name, prompt), form, panel];
}

// ---- wiring -------------------------------------------------------------------------
function init() {
  const params = new URLSearchParams(location.search);
  const defaultUrl = new URL(config.mcpPath || "/mcp", location.origin).href;
  const url = params.get("url") || defaultUrl;
  $("server-url").value = url;
  loadSettings(config);
  $("settings-toggle").addEventListener("click", () => {
    const box = $("settings");
    box.hidden = !box.hidden;
    $("settings-toggle").setAttribute("aria-expanded", String(!box.hidden));
  });
  $("roots").addEventListener("change", () => {
    saveSettings();
    state.client?.rootsChanged().catch((err) => logEvent("error", `roots: ${err.message}`));
  });
  $("ping").addEventListener("click", async () => {
    const started = performance.now();
    try {
      await ensureConnected().ping();
      logEvent("pong", `ping answered in ${Math.round(performance.now() - started)} ms`);
    } catch (err) {
      logEvent("error", `ping: ${err.message}`);
    }
  });
  $("docs-link").href = config.docsPath || "#";
  $("docs-link").hidden = !config.docsPath;
  $("connect-form").addEventListener("submit", (event) => {
    event.preventDefault();
    connect($("server-url").value.trim());
  });
  document.querySelectorAll("[data-tab]").forEach((button) =>
    button.addEventListener("click", () => {
      state.tab = button.dataset.tab;
      document.querySelectorAll("[data-tab]").forEach((b) => b.setAttribute("aria-selected", String(b === button)));
      renderList();
    }),
  );
  document.querySelectorAll("[data-log]").forEach((button) =>
    button.addEventListener("click", () => {
      document.querySelectorAll("[data-log]").forEach((b) => b.setAttribute("aria-selected", String(b === button)));
      for (const id of ["events", "messages", "history"]) $(id).hidden = button.dataset.log !== id;
    }),
  );
  $("clear-logs").addEventListener("click", clearLogs);
  $("filter").addEventListener("input", renderList);
  window.addEventListener("pagehide", () => state.client?.close());
  renderList();
  connect(url);
}

init();
