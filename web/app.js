// Backchannel's web app: attendees, organisers and remote members in one page. Plain ES modules, no
// build step, no CDN; offline first (sw.js caches the app and what was last seen; outbox.js keeps
// what was written offline).
//
// It finds the API in config.json next to the page ({"ApiUrl", "WebSocketUrl"?}: the local gateway
// serves it from the stack outputs; a deployment writes it, see README "The web app").
// Routes (hash based, so S3 needs no rewrites): #/ events, #/events/<id>, #/sessions/<id>, #/me,
// #/members/<handle>. User content only ever goes in with textContent, never innerHTML.
import { api, loadConfig } from "./api.js";
import { onAuthChange, renderAuth } from "./auth.js";
import { discard, entries, flush, onOutboxChange, startOutbox } from "./outbox.js";
import { forget, signedIn, state } from "./state.js";
import { button, el, setStatus } from "./ui.js";
import { showEvent } from "./views/event.js";
import { showEvents } from "./views/events.js";
import { showMe, showMember } from "./views/me.js";
import { showSession } from "./views/session.js";

const ANCHORS = new Set(["#account", "#main"]);
let routing = Promise.resolve();
let routeSeq = 0;

// One screen at a time: a navigation waits for the one under way, and only the latest is shown.
function route() {
  if (ANCHORS.has(location.hash)) return routing;
  const mine = ++routeSeq;
  routing = routing.then(() => (mine === routeSeq ? render() : null));
  return routing;
}

async function render() {
  if (state.feed) state.feed.stop();
  for (const stop of state.cleanup.splice(0)) stop();
  state.feed = null;
  state.eventId = null;
  state.sessionId = null;
  const view = document.getElementById("view");
  view.replaceChildren();
  delete document.body.dataset.shown;
  document.title = "Backchannel";
  const [, kind, id] = (location.hash.replace(/^#/, "") || "/").split("/");
  setStatus("Loading…");
  try {
    if (kind === "events" && id) await showEvent(view, decodeURIComponent(id));
    else if (kind === "sessions" && id) await showSession(view, decodeURIComponent(id));
    else if (kind === "me") await showMe(view);
    else if (kind === "members" && id) await showMember(view, decodeURIComponent(id));
    else await showEvents(view);
    setStatus("");
  } catch (error) {
    if (error.offline) setStatus(`Offline, and this page was not seen before on this device (${error.path || "?"}).`);
    else if (error.status === 404) setStatus("Not found (or not public).");
    else setStatus(`Could not load this page: ${error.message}`);
  }
  document.body.dataset.shown = location.hash || "#/"; // for tests and tools: this screen is ready
  // After a navigation (not the first load), focus the new page's heading for screen readers.
  const heading = view.querySelector("h1");
  if (heading && state.routed) {
    heading.tabIndex = -1;
    heading.focus();
  }
  state.routed = true;
}

function renderOutbox(all) {
  const waiting = all.filter((e) => e.state === "waiting");
  const stuck = all.filter((e) => e.state !== "waiting");
  const count = document.getElementById("outbox-count");
  count.textContent = waiting.length ? `${waiting.length} waiting to send` : "";
  const box = document.getElementById("outbox");
  box.hidden = all.length === 0;
  document.getElementById("outbox-list").replaceChildren(
    ...waiting.map((e) => el("li", { "data-outbox-id": e.id, text: e.label || e.kind })),
    ...stuck.map((e) =>
      el(
        "li",
        { class: "stuck", "data-outbox-id": e.id },
        `${e.label || e.kind}: ${e.state === "conflict" ? "changed elsewhere, open the note to choose" : `not sent (${e.error})`} `,
        button("Discard", () => discard(e.id), { class: "secondary small", "aria-label": `Discard ${e.label || e.kind}` }),
      ),
    ),
  );
}

function renderNetwork() {
  document.getElementById("network").textContent = navigator.onLine === false ? "Offline: what you write is kept and sent later." : "";
}

function renderAccount() {
  renderAuth(document.getElementById("auth"));
  document.getElementById("account-hint").hidden = signedIn();
}

// The member's profile is made on first use: make it now, so everything after (a pack) finds it.
async function ensureProfile() {
  if (signedIn()) await api("/me").catch(() => null);
}

async function main() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => {});
  await loadConfig();
  renderAccount();
  await ensureProfile();
  onAuthChange(async () => {
    await ensureProfile();
    forget();
    // What was kept for offline reading was read with the previous member's rights.
    if (!signedIn() && "caches" in window) caches.delete("backchannel-api-v1");
    renderAccount();
    flush();
    route();
  });
  onOutboxChange(renderOutbox);
  window.addEventListener("online", renderNetwork);
  window.addEventListener("offline", renderNetwork);
  renderNetwork();
  window.addEventListener("hashchange", route);
  await route();
  startOutbox();
  renderOutbox(await entries());
}

main();
