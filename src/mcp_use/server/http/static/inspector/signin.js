// Sign in from the page (OAuth), for a server reached through the debug server's proxy.
//
// The debug server runs the client's OAuth flow and keeps the tokens; the page only
// opens the authorization page and waits:
//   POST   {proxy}/login?url=U   -> {authorizationUrl} (the flow waits for the callback)
//   GET    {proxy}/login?url=U&wait=S -> {status: pending | signed-in | failed | signed-out}
//   DELETE {proxy}/login?url=U   -> signed out (the tokens are forgotten)
// The callback lands on {proxy}/oauth/callback in the tab that was opened.
import { h } from "./form.js";

const POLL_SECONDS = 20;
const MAX_POLLS = 30; // with the server's own bound on the wait: at most ~10 minutes

function loginUrl(proxy, url, extra = "") {
  return `${proxy}/login?url=${encodeURIComponent(url)}${extra}`;
}

async function asJson(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok && !body.status) throw new Error(body.error?.message || `HTTP ${response.status}`);
  return body;
}

/** Whether the debug server holds a sign-in for `url`'s origin. */
export async function signedIn(proxy, url) {
  if (!proxy) return false;
  try {
    const body = await asJson(await fetch(loginUrl(proxy, url)));
    return body.status === "signed-in";
  } catch {
    return false;
  }
}

async function waitForSignIn(proxy, url) {
  for (let i = 0; i < MAX_POLLS; i += 1) {
    const body = await asJson(await fetch(loginUrl(proxy, url, `&wait=${POLL_SECONDS}`)));
    if (body.status !== "pending") return body;
  }
  return { status: "failed", error: "the sign-in did not finish" };
}

/** The "Sign in" box shown when a connect got a 401 that speaks OAuth. */
export function signInBox(err, url, proxy, onSignedIn) {
  const note = h("p", { class: "muted", id: "signin-note", text: "" });
  const button = h("button", { type: "button", id: "sign-in", text: "Sign in" });
  button.addEventListener("click", async () => {
    // Opened now, in the click: a window opened after an await is a blocked popup.
    const tab = window.open("", "_blank");
    if (tab) tab.opener = null; // the authorization server's page gets no handle on this one
    button.disabled = true;
    note.textContent = "Starting the sign-in…";
    try {
      const started = await asJson(await fetch(loginUrl(proxy, url), { method: "POST" }));
      if (started.authorizationUrl) {
        if (tab) tab.location.href = started.authorizationUrl;
        note.replaceChildren(
          "Waiting for you to sign in, in the tab that opened (",
          h("a", { href: started.authorizationUrl, target: "_blank", rel: "noopener", text: "open it again" }),
          ")…",
        );
      } else {
        tab?.close();
      }
      const outcome = started.status === "signed-in" ? started : await waitForSignIn(proxy, url);
      if (outcome.status !== "signed-in") throw new Error(outcome.error || outcome.status);
      note.textContent = "Signed in.";
      await onSignedIn();
    } catch (e) {
      tab?.close();
      note.textContent = `Sign-in failed: ${e.message}`;
      button.disabled = false;
    }
  });
  return h(
    "div",
    { class: "signin-box" },
    h("p", { text: `${url} asks you to sign in (OAuth). The inspector's server runs the sign-in and keeps the token; this page never sees it.` }),
    button,
    note,
  );
}

/** "Sign out" appended to `container` while the debug server signs `url` (after a
 * connect, and after a reconnect, which redraws the header). */
export async function addSignOut(container, proxy, url, onSignedOut) {
  if (await signedIn(proxy, url)) container.append(signOutButton(proxy, url, onSignedOut));
}

function signOutButton(proxy, url, onSignedOut) {
  const button = h("button", { type: "button", id: "sign-out", class: "link", text: "Sign out" });
  button.addEventListener("click", async () => {
    await fetch(loginUrl(proxy, url), { method: "DELETE" });
    await onSignedOut();
  });
  return button;
}
