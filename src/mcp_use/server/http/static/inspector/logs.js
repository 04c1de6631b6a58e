// The page's logs: the Notifications and JSON-RPC tabs (newest first, at most 500 each)
// and the counts in their tab labels; the History tab's entries come from extras.js.
import { h } from "./form.js";
import { pretty } from "./render.js";

const $ = (id) => document.getElementById(id);
const counts = { events: 0, messages: 0, history: 0 };

function time() {
  return new Date().toLocaleTimeString([], { hour12: false });
}

function addLog(listId, entry) {
  const list = $(listId);
  list.prepend(entry);
  while (list.children.length > 500) list.lastChild.remove();
  counts[listId] += 1;
  $(`count-${listId}`).textContent = String(counts[listId]);
}

export function logMessage(direction, msg) {
  const what = msg.method || (msg.error ? "error" : "result");
  const summary = h(
    "summary",
    {},
    h("span", { class: `dir dir-${direction}`, text: direction === "out" ? "→" : "←" }),
    h("span", { class: "time", text: time() }),
    h("span", { class: "what", text: what }),
    msg.id !== undefined ? h("span", { class: "muted", text: ` #${msg.id}` }) : null,
  );
  addLog("messages", h("li", { class: `msg msg-${direction}` }, h("details", {}, summary, h("pre", { text: pretty(msg) }))));
}

export function logEvent(kind, text, detail) {
  const body = detail === undefined ? null : h("pre", { text: typeof detail === "string" ? detail : pretty(detail) });
  addLog(
    "events",
    h("li", { class: `event event-${kind}` }, h("span", { class: "time", text: time() }), h("span", { class: `badge level-${kind}`, text: kind }), h("span", { class: "event-text", text }), body),
  );
}

export function clearLogs() {
  for (const id of Object.keys(counts)) {
    $(id).replaceChildren();
    counts[id] = 0;
    $(`count-${id}`).textContent = "0";
  }
}
