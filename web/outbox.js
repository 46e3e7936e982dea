// The outbox: every post, note, question and vote is first written to IndexedDB with its client id,
// then sent. What cannot be sent (no network) waits there, survives closing the tab, and goes out
// when the network returns, in the order it was written. The API dedupes on the client id (the
// body's `id`) and on the Idempotency-Key (the same id), so a write sent twice (a reply lost on the
// way back, two tabs) is still stored once.
import { request } from "./api.js";
import { idb } from "./idb.js";
import { newId } from "./ui.js";

const RETRY_MS = 5000;
const listeners = new Set();
const sentListeners = new Set();
let flushing = null;
let retryTimer = null;
const channel = "BroadcastChannel" in globalThis ? new BroadcastChannel("backchannel-outbox") : null;

export function onOutboxChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// `listener(entry, data)` when a write reached the API (data: its answer).
export function onSent(listener) {
  sentListeners.add(listener);
  return () => sentListeners.delete(listener);
}

export async function entries() {
  const all = await idb.all("outbox");
  return all.sort((a, b) => a.seq - b.seq);
}

async function changed({ broadcast = true } = {}) {
  const all = await entries();
  for (const listener of listeners) listener(all);
  if (broadcast && channel) channel.postMessage("changed");
}

if (channel) channel.onmessage = () => changed({ broadcast: false });

// Queue a write. `merge`: a key (e.g. "note:<id>") under which a later write replaces the body of
// one still waiting, so an offline note edited five times goes out once, with its last text.
export async function enqueue({ method = "POST", path, body, headers = {}, kind, label, context = {}, id, merge }) {
  if (merge) {
    const waiting = (await entries()).find((e) => e.merge === merge && e.state === "waiting");
    if (waiting) {
      waiting.body = { ...waiting.body, ...body, id: waiting.body && waiting.body.id };
      if (!waiting.body.id) delete waiting.body.id;
      await idb.put("outbox", waiting);
      await changed();
      return waiting;
    }
  }
  const clientId = id || (body && body.id) || newId();
  const entry = { id: clientId, seq: Date.now() + Math.random(), method, path, body, headers, kind, label, context, merge, state: "waiting", createdAt: new Date().toISOString() };
  await idb.put("outbox", entry);
  await changed();
  return entry;
}

export async function discard(id) {
  await idb.delete("outbox", id);
  await changed();
}

// Send what waits, once at a time across tabs (a Web Lock). Resolves to the number sent.
export function flush() {
  if (flushing) return flushing;
  const work = async () => {
    let sent = 0;
    for (const entry of await entries()) {
      if (entry.state !== "waiting") continue;
      const current = await idb.get("outbox", entry.id);
      if (!current || current.state !== "waiting") continue; // another tab sent it meanwhile
      try {
        const result = await request(current.path, { method: current.method, body: current.body, headers: current.headers, key: current.id, raw: true });
        await idb.delete("outbox", current.id);
        sent += 1;
        for (const listener of sentListeners) listener(current, result.data, result.etag);
      } catch (error) {
        if (error.offline || error.status === 401 || error.status === 429 || error.status >= 500) {
          scheduleRetry();
          break; // try again later, in order
        }
        current.state = error.status === 412 ? "conflict" : "failed";
        current.error = error.message;
        await idb.put("outbox", current);
        for (const listener of sentListeners) listener(current, null, null, error);
      }
    }
    await changed();
    return sent;
  };
  const locked = navigator.locks ? navigator.locks.request("backchannel-outbox", work) : work();
  flushing = locked.finally(() => {
    flushing = null;
  });
  return flushing;
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => {
    if (navigator.onLine !== false) flush();
  }, RETRY_MS);
}

// Write now if possible: queue, try to send, and answer what the API said (or {queued: true}).
export async function write(options) {
  const entry = await enqueue(options);
  if (navigator.onLine === false) return { queued: true, entry };
  let outcome = null;
  const stop = onSent((sent, data, etag, error) => {
    if (sent.id === entry.id) outcome = { data, etag, error, entry };
  });
  try {
    await flush();
    // A flush already under way may have started before this entry was queued: one more pass.
    if (!outcome && (await idb.get("outbox", entry.id))) await flush();
  } finally {
    stop();
  }
  if (!outcome) return { queued: true, entry };
  if (outcome.error) {
    await discard(entry.id); // shown next to the form instead
    throw outcome.error;
  }
  return outcome;
}

export function startOutbox() {
  window.addEventListener("online", () => flush());
  // Also every few seconds while something waits: "online" is not always told (a captive portal,
  // a network that comes back without the device noticing it was gone).
  setInterval(async () => {
    if (navigator.onLine !== false && (await entries()).some((e) => e.state === "waiting")) flush();
  }, RETRY_MS);
  changed({ broadcast: false });
  if (navigator.onLine !== false) flush();
}
