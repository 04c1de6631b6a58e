// What a server asks of the client, answered by the person at the page:
// elicitation (a form built from the requested schema, or a URL to visit), sampling
// (the messages, and a box to write the model's reply), roots (the editable list in
// the settings, answered at once). Works for both eras: mcp.js calls `askUser` for a
// legacy server request and for each entry of a 2026-07-28 input-required result.
import { buildForm, h } from "./form.js";

const $ = (id) => document.getElementById(id);

/** The roots in the settings box: one URI a line, optionally `| name`. */
export function currentRoots() {
  return ($("roots")?.value || "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [uri, name] = line.split("|").map((part) => part.trim());
      return name ? { uri, name } : { uri };
    });
}

class Refused extends Error {
  constructor(message) {
    super(message);
    this.code = -1;
  }
}

function card(kind, title, ...body) {
  const el = h("section", { class: "input-request", "data-kind": kind, role: "dialog", "aria-label": title }, h("h3", { text: title }), ...body);
  $("input-requests").append(el);
  el.scrollIntoView({ block: "nearest" });
  return el;
}

function elicit(params) {
  return new Promise((resolve) => {
    const done = (answer) => {
      el.remove();
      resolve(answer);
    };
    let el;
    if (params.mode === "url") {
      el = card(
        "elicitation-url",
        "The server asks you to visit a page",
        h("p", { text: params.message || "" }),
        h("p", {}, h("a", { href: params.url, target: "_blank", rel: "noopener noreferrer", text: params.url })),
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", class: "primary", id: "elicit-url-done", text: "Done", onclick: () => done({ action: "accept" }) }),
          h("button", { type: "button", id: "elicit-url-decline", text: "Decline", onclick: () => done({ action: "decline" }) }),
        ),
      );
      return;
    }
    const form = buildForm(params.requestedSchema || { type: "object", properties: {} });
    const formEl = h(
      "form",
      {
        class: "elicitation-form",
        onsubmit: (event) => {
          event.preventDefault();
          let content;
          try {
            content = form.get() || {};
          } catch (err) {
            error.textContent = err.message;
            return;
          }
          done({ action: "accept", content });
        },
      },
      form.el,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "primary", id: "elicit-accept", text: "Accept" }),
        h("button", { type: "button", id: "elicit-decline", text: "Decline", onclick: () => done({ action: "decline" }) }),
        h("button", { type: "button", class: "link", id: "elicit-cancel", text: "Cancel", onclick: () => done({ action: "cancel" }) }),
      ),
    );
    const error = h("p", { class: "error-text", role: "alert" });
    el = card("elicitation", "The server asks for input", h("p", { class: "elicit-message", text: params.message || "" }), formEl, error);
  });
}

function contentText(content) {
  const blocks = Array.isArray(content) ? content : [content || {}];
  return blocks.map((b) => (b.type === "text" ? b.text : `[${b.type}]`)).join("\n");
}

function sample(params) {
  return new Promise((resolve, reject) => {
    const reply = h("textarea", { id: "sampling-reply", rows: 4, "aria-label": "Reply as the model", placeholder: "Write the model's reply…" });
    const model = h("input", { id: "sampling-model", value: "inspector", "aria-label": "Model name" });
    const messages = (params.messages || []).map((m) => h("div", { class: `message role-${m.role}` }, h("span", { class: "badge", text: m.role }), h("pre", { class: "text", text: contentText(m.content) })));
    const el = card(
      "sampling",
      "The server asks for a model completion",
      params.systemPrompt ? h("p", { class: "muted", text: `System: ${params.systemPrompt}` }) : null,
      ...messages,
      h("p", { class: "muted", text: `max tokens: ${params.maxTokens ?? "?"}` }),
      reply,
      h("label", { class: "muted" }, "Model ", model),
      h(
        "div",
        { class: "actions" },
        h("button", {
          type: "button",
          class: "primary",
          id: "sampling-send",
          text: "Send reply",
          onclick: () => {
            el.remove();
            resolve({ role: "assistant", content: { type: "text", text: reply.value }, model: model.value || "inspector", stopReason: "endTurn" });
          },
        }),
        h("button", {
          type: "button",
          id: "sampling-reject",
          text: "Reject",
          onclick: () => {
            el.remove();
            reject(new Refused("The user rejected the sampling request"));
          },
        }),
      ),
    );
    reply.focus();
  });
}

/** Answer one thing the server asked for; rejects when the user refuses. */
export function askUser(method, params) {
  switch (method) {
    case "elicitation/create":
      return elicit(params);
    case "sampling/createMessage":
      return sample(params);
    case "roots/list":
      return Promise.resolve({ roots: currentRoots() });
    default:
      return Promise.reject(Object.assign(new Error(`The inspector does not handle ${method}`), { code: -32601 }));
  }
}
