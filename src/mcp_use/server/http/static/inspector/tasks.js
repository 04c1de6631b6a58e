// Task-backed tool calls in the inspector, on both eras:
// - 2026-07-28 (SEP-2663, the `io.modelcontextprotocol/tasks` extension): the call opts
//   in through its own `_meta` client capabilities and is answered with a flat
//   `CreateTaskResult`; `tasks/get` (polled at `pollIntervalMs`) carries the status and,
//   at the end, the result or the error; input is answered with `tasks/update`;
// - 2025-11-25 (the spec's experimental tasks): `task` in the `tools/call` params;
//   `tasks/get` for the status while `tasks/result` waits for the result (the server asks
//   for input on that request's stream, which the client already answers).
// A task box above the result shows the status (working, input_required, completed,
// failed, cancelled) and its message, with a Cancel button that sends `tasks/cancel`.

import { McpError } from "./mcp.js";
import { h } from "./form.js";

export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";
const CAPS = "io.modelcontextprotocol/clientCapabilities";
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

/** `required`, `optional` or `forbidden`, from the tool's listing. */
export function taskSupport(tool) {
  const support = tool.execution?.taskSupport;
  return support === "required" || support === "optional" ? support : "forbidden";
}

/**
 * The "Run as a task" choice for a tool (null when it takes no task): checked and
 * fixed for a task-required tool, off by default for an optional one.
 */
export function taskOption(tool) {
  const support = taskSupport(tool);
  if (support === "forbidden") return null;
  const box = h("input", { type: "checkbox", id: "as-task", checked: true, disabled: support === "required" });
  if (support === "optional") box.checked = false;
  const el = h("label", { class: "as-task", title: support === "required" ? "This tool runs only as a task" : "Run the call as a task" }, box, " as a task");
  return { el, wanted: () => box.checked };
}

function params(client, extra) {
  if (!client.modern) return extra;
  const caps = { ...client.clientCapabilities(), extensions: { [TASKS_EXTENSION]: {} } };
  return { ...extra, _meta: { ...(extra._meta || {}), [CAPS]: caps } };
}

function describe(raw) {
  const poll = raw.pollIntervalMs ?? raw.pollInterval;
  return { id: String(raw.taskId), status: String(raw.status), message: raw.statusMessage || "", poll: Number.isInteger(poll) && poll > 0 ? poll : 1000, raw };
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
});

/** The task box: status badge, message, id, and the Cancel button. */
function taskBox(onCancel) {
  const badge = h("span", { id: "task-status", class: "badge task-status", "data-status": "starting", text: "starting" });
  const message = h("span", { id: "task-message", class: "task-message" });
  const id = h("code", { id: "task-id", class: "muted" });
  const cancel = h("button", { type: "button", id: "cancel-task", class: "small", text: "Cancel task", onclick: onCancel });
  const el = h("div", { id: "task-box", class: "task-box", "aria-live": "polite" }, h("strong", { text: "Task " }), id, " ", badge, " ", message, " ", cancel);
  return {
    el,
    show(task) {
      id.textContent = task.id;
      badge.textContent = task.status;
      badge.dataset.status = task.status;
      badge.className = `badge task-status ${task.status === "completed" ? "good" : TERMINAL.has(task.status) ? "bad" : ""}`;
      message.textContent = task.message;
      cancel.disabled = TERMINAL.has(task.status);
    },
  };
}

/**
 * Call `name` as a task: the task box goes just above `panel`; resolves with the
 * tool's result, rejects when the task fails or is cancelled (the box says which).
 */
export async function callAsTask(client, name, args, panel, signal) {
  let task = null;
  const cancelTask = () => {
    if (task && !TERMINAL.has(task.status)) client.request("tasks/cancel", params(client, { taskId: task.id })).catch((err) => console.warn("tasks/cancel failed", err));
  };
  const box = taskBox(cancelTask);
  document.getElementById("task-box")?.remove();
  panel.before(box.el);
  signal?.addEventListener("abort", cancelTask, { once: true });
  const call = client.modern ? { name, arguments: args } : { name, arguments: args, task: {} };
  const first = await client.request("tools/call", params(client, call), { signal });
  if (first?.resultType !== "task" && !first?.task) {
    box.el.remove(); // the server ran it as a plain call
    return first;
  }
  task = describe(first.task || first);
  box.show(task);
  const get = async () => {
    task = describe(await client.request("tasks/get", params(client, { taskId: task.id })));
    box.show(task);
    return task;
  };
  return client.modern ? modernResult(client, get, () => task) : legacyResult(client, get, () => task);
}

function ended(task) {
  if (task.status === "failed") throw new McpError(`Task failed: ${task.raw.error?.message || "no reason given"}`, task.raw.error?.code, task.raw.error?.data);
  throw new McpError(`Task ${task.id} was cancelled`);
}

async function modernResult(client, get, current) {
  for (let task = current(); ; task = await get()) {
    if (task.status === "completed") return task.raw.result || { content: [] };
    if (TERMINAL.has(task.status)) ended(task);
    const asked = task.status === "input_required" ? task.raw.inputRequests || {} : {};
    if (Object.keys(asked).length) {
      const answers = {};
      for (const [key, req] of Object.entries(asked)) answers[key] = await client.answerInput(req.method, req.params || {});
      await client.request("tasks/update", params(client, { taskId: task.id, inputResponses: answers }));
    } else {
      await sleep(task.poll);
    }
  }
}

async function legacyResult(client, get, current) {
  const done = new AbortController();
  const result = client.request("tasks/result", { taskId: current().id });
  result.catch(() => {}).finally(() => done.abort());
  for (let task = current(); !TERMINAL.has(task.status); task = await get()) {
    await sleep(task.poll, done.signal);
    if (done.signal.aborted) break;
  }
  const task = await get();
  if (task.status === "completed") return result;
  ended(task);
}
