// Conveniences beside the main views: the history of calls (re-run any of them) and
// argument completions (`completion/complete`) for prompt and resource-template fields.
import { h } from "./form.js";

const $ = (id) => document.getElementById(id);
const MAX_HISTORY = 100;
let datalists = 0;

/** Record one request in the History tab; `rerun` sends it again. */
export function addHistory(method, params, rerun) {
  const list = $("history");
  const label = `${method} ${params.name || params.uri || ""}`;
  const args = params.arguments && Object.keys(params.arguments).length ? ` ${JSON.stringify(params.arguments)}` : "";
  list.prepend(
    h(
      "li",
      { class: "history-entry", "data-method": method },
      h("span", { class: "time", text: new Date().toLocaleTimeString([], { hour12: false }) }),
      h("span", { class: "what", title: label + args, text: label + args }),
      h("button", { type: "button", class: "small rerun", text: "Re-run", onclick: rerun }),
    ),
  );
  while (list.children.length > MAX_HISTORY) list.lastChild.remove();
  $("count-history").textContent = String(list.children.length);
}

/**
 * Offer the server's completions for one argument field: on input, ask
 * `completion/complete` (when the server has the capability) and fill a datalist.
 */
export function completeInto(client, fieldEl, ref, argName, currentArgs) {
  const input = fieldEl.querySelector("input");
  if (!client?.capabilities?.completions || !input) return;
  const list = h("datalist", { id: `completions-${++datalists}` });
  input.setAttribute("list", list.id);
  input.setAttribute("autocomplete", "off");
  fieldEl.append(list);
  let asked = 0;
  const ask = async () => {
    const mine = ++asked;
    const others = { ...currentArgs() };
    delete others[argName];
    try {
      const result = await client.request("completion/complete", { ref, argument: { name: argName, value: input.value }, context: { arguments: others } });
      if (mine !== asked) return; // a newer keystroke asked again
      const values = result?.completion?.values || [];
      list.replaceChildren(...values.map((v) => h("option", { value: v })));
      fieldEl.dataset.completions = values.join("\n");
    } catch (err) {
      console.warn("completion failed", err);
    }
  };
  input.addEventListener("input", ask);
  input.addEventListener("focus", ask, { once: true });
}
