// The service worker: the app works offline. The app's files and every API read (GET) are fetched
// from the network first and kept; without a network the last copy answers. Writes (POST, PUT, ...)
// never go through a cache: the page's outbox (outbox.js) keeps them until they can be sent.
const VERSION = "v1";
const SHELL = `backchannel-shell-${VERSION}`;
const DATA = `backchannel-api-${VERSION}`;
const NETWORK_TIMEOUT_MS = 6000;
const FILES = [
  "./",
  "index.html",
  "style.css",
  "manifest.webmanifest",
  "icon.svg",
  "icon-192.png",
  "icon-512.png",
  "app.js",
  "api.js",
  "auth.js",
  "auth.css",
  "srp.js",
  "idb.js",
  "live.js",
  "markdown.js",
  "outbox.js",
  "state.js",
  "ui.js",
  "views/compose.js",
  "views/event.js",
  "views/events.js",
  "views/me.js",
  "views/notes.js",
  "views/organiser.js",
  "views/packs.js",
  "views/session.js",
  "config.json",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => Promise.all(FILES.map((file) => cache.add(file).catch(() => null)))).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("backchannel-") && ![SHELL, DATA].includes(key)).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

// Reads not worth keeping: live polling pages, older pages, downloads, the sign-in service.
function keep(url) {
  if (url.searchParams.has("since") || url.searchParams.has("cursor")) return false;
  return !/\/download$/.test(url.pathname) && !url.pathname.startsWith("/_local/");
}

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms));
}

// `patience`: how long the network may take before a kept copy answers instead (the app's files: a
// hanging conference network should not hold the app). API reads wait for the network and fall back
// only when it fails, so that what a live update asks for is never an older copy.
async function networkFirst(event, cacheName, fallbackKey, patience = null) {
  const request = event.request;
  const network = fetch(request);
  // Kept as it arrives (registered first, so it copies the body before the page reads it). A 404 is
  // an answer too ("no summary yet"), worth showing offline.
  event.waitUntil(
    network
      .then(async (response) => {
        if ((response.ok || response.status === 404) && keep(new URL(request.url))) {
          const copy = response.clone();
          await (await caches.open(cacheName)).put(fallbackKey || request, copy);
        }
      })
      .catch(() => {}),
  );
  const cache = await caches.open(cacheName);
  const kept = async () => {
    const cached = (await cache.match(fallbackKey || request, { ignoreVary: true })) || (await caches.match(request, { ignoreVary: true }));
    if (!cached) return null;
    const headers = new Headers(cached.headers);
    headers.set("X-From-Cache", "1");
    return new Response(cached.body, { status: cached.status, statusText: cached.statusText, headers });
  };
  try {
    return await (patience ? Promise.race([network, timeout(patience)]) : network);
  } catch (error) {
    // No network, or a slow one: the kept copy if there is one; a slow network is waited for.
    const cached = await kept();
    if (cached) return cached;
    try {
      return await network;
    } catch {
      // nothing kept, no network: below
    }
    if (request.mode === "navigate") {
      const shell = await caches.match("index.html", { ignoreSearch: true });
      if (shell) return shell;
    }
    return new Response(JSON.stringify({ type: "about:blank", title: "Offline", status: 503, detail: "No network, and nothing kept from before." }), {
      status: 503,
      headers: { "Content-Type": "application/problem+json", "X-Offline": "1" },
    });
  }
}

// Downloads of packs. The API answers a download with a redirect to a short-lived link, and only to
// the signed-in member: a plain link cannot carry the sign-in, and a page's fetch cannot see where a
// redirect goes. So the page hands the request (with its token) to this worker under a one-time
// ticket and opens ./download/<ticket>; the worker asks the API without following the redirect and
// answers the navigation with it, which the browser follows to the file.
const tickets = new Map();

async function download(ticket) {
  const wanted = tickets.get(ticket);
  tickets.delete(ticket);
  if (!wanted) return new Response("This download link was used already: go back and choose the format again.", { status: 410, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  const headers = wanted.token ? { Authorization: `Bearer ${wanted.token}` } : {};
  return fetch(wanted.url, { headers, redirect: "manual", mode: "cors", credentials: "omit" });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") return;
  const scope = new URL(self.registration.scope);
  if (url.origin === scope.origin && url.pathname.startsWith(`${scope.pathname}download/`)) {
    event.respondWith(download(url.pathname.slice(`${scope.pathname}download/`.length)));
    return;
  }
  const ours = url.origin === scope.origin && (url.pathname.startsWith(scope.pathname) || url.pathname === "/config.json");
  if (ours) {
    // The page itself (any #/route) is one file.
    const key = request.mode === "navigate" ? new URL("index.html", scope).href : undefined;
    event.respondWith(networkFirst(event, SHELL, key, NETWORK_TIMEOUT_MS));
  } else if (request.headers.get("Upgrade") !== "websocket") {
    event.respondWith(networkFirst(event, DATA));
  }
});

// The page asks to forget what was kept for a member who signed out.
self.addEventListener("message", (event) => {
  if (event.data === "forget-data") event.waitUntil(caches.delete(DATA));
  if (event.data && event.data.type === "download") {
    tickets.set(event.data.ticket, { url: event.data.url, token: event.data.token });
    setTimeout(() => tickets.delete(event.data.ticket), 60000);
    event.ports[0].postMessage("ready");
  }
});
