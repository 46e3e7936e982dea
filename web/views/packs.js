// Packs: build, follow the progress, download every format, circulate or publish, see deliveries.
import { api, apiUrl } from "../api.js";
import { accessToken } from "../auth.js";
import { announce, append, button, el, newId, progressEl, timeEl } from "../ui.js";

const FORMAT_NAMES = { html: "Web page (HTML)", md: "Markdown", json: "JSON", epub: "EPUB e-book" };
const POLL_MS = 1500;

// Download a pack: the API answers with a redirect to a short-lived link, and only to the member
// signed in. The service worker makes that request with the sign-in and hands the redirect to the
// browser (see sw.js); without a service worker only what anyone may read can be downloaded.
export async function download(path, format) {
  const url = apiUrl(`${path}?format=${encodeURIComponent(format)}`);
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  let target = url;
  if (worker) {
    const ticket = newId();
    const channel = new MessageChannel();
    const ready = new Promise((resolve) => {
      channel.port1.onmessage = resolve;
    });
    worker.postMessage({ type: "download", ticket, url, token: await accessToken().catch(() => null) }, [channel.port2]);
    await ready;
    target = new URL(`download/${ticket}`, location.href).href;
  }
  const link = el("a", { href: target, class: "visually-hidden", text: "download" });
  document.body.append(link);
  link.click();
  link.remove();
  return target;
}

function downloads(pack, path) {
  const line = el("p", { class: "form-state", role: "status" });
  return el(
    "div",
    { class: "downloads" },
    el("p", { class: "meta", text: "Download:" }),
    el(
      "ul",
      { class: "row formats" },
      (pack.formats || []).map((format) =>
        el(
          "li",
          {},
          button(
            FORMAT_NAMES[format] || format,
            async () => {
              line.textContent = "Preparing the download…";
              try {
                await download(path || `/packs/${encodeURIComponent(pack.id)}/download`, format);
                line.textContent = `Downloading ${FORMAT_NAMES[format] || format}.`;
              } catch (error) {
                line.textContent = `Could not download: ${error.message}`;
              }
            },
            { class: "secondary", "data-format": format },
          ),
        ),
      ),
    ),
    line,
  );
}

async function deliveries(pack, container) {
  try {
    const data = await api(`/packs/${encodeURIComponent(pack.id)}/deliveries`);
    const publications = data.publications || [];
    container.replaceChildren(
      el("h4", { text: "Deliveries" }),
      publications.length
        ? el(
            "ul",
            { class: "deliveries-list" },
            publications.map((publication) =>
              el(
                "li",
                {},
                el("p", { class: "meta", text: `Publication ${publication.version ?? ""}` }),
                el(
                  "ul",
                  {},
                  Object.entries(publication.byChannel || {}).map(([channel, counts]) =>
                    el("li", { text: `${channel}: ${Object.entries(counts || {}).map(([k, v]) => `${v} ${k}`).join(", ") || "none"}` }),
                  ),
                ),
              ),
            ),
          )
        : el("p", { text: "Not published yet." }),
    );
  } catch (error) {
    container.replaceChildren(el("p", { class: "meta", text: `Deliveries: ${error.message}` }));
  }
}

// A pack's card: status with a progress bar while it builds, formats to download when ready, and
// (when the viewer may) a button to circulate (personal) or publish (session/event) it.
export function packCard(initial, { publish = true } = {}) {
  let pack = initial;
  const progress = progressEl("Building the pack");
  const body = el("div", { class: "pack-body" });
  const node = el("li", { class: "card pack", "data-pack-id": pack.id });
  let timer = null;

  const render = () => {
    const title = pack.kind === "personal" ? "Your pack" : pack.kind === "session" ? "Session pack" : "Event pack";
    node.replaceChildren(
      el("h3", { text: title }),
      el("p", { class: "meta" }, `Version ${pack.version} · `, el("span", { class: "pack-status", text: pack.status }), " · updated ", timeEl(pack.updatedAt, { timeStyle: "short" })),
      body,
    );
    body.replaceChildren();
    if (pack.status === "queued" || pack.status === "building") {
      const p = pack.progress || {};
      const percent = p.total ? Math.round((100 * (p.done || 0)) / p.total) : null;
      progress.set(percent, p.total ? `Compiled ${p.done || 0} of ${p.total} items` : pack.status === "queued" ? "Waiting to start…" : "Building…");
      append(body, progress.node);
      clearTimeout(timer);
      timer = setTimeout(refresh, POLL_MS);
    } else if (pack.status === "failed") {
      append(body, el("p", { class: "form-error", text: `The build failed: ${pack.reason || "unknown reason"}` }));
    }
    if (pack.readyVersion || pack.status === "ready") {
      append(body, downloads(pack));
      if (publish) {
        const state = el("p", { class: "form-state", role: "status" });
        const label = pack.kind === "personal" ? "Circulate it to my followers" : "Publish it";
        const extra = el("div", { class: "deliveries" });
        append(body, 
          el(
            "div",
            { class: "row" },
            button(label, async (event) => {
              event.target.closest("button").disabled = true;
              state.textContent = "Sending…";
              try {
                const result = await api(`/packs/${encodeURIComponent(pack.id)}/publish`, { method: "POST", body: {} });
                state.textContent = `Sent (publication ${result.version || ""}).`;
                announce(state.textContent);
                if (pack.kind !== "personal") deliveries(pack, extra);
              } catch (error) {
                state.textContent = `Not sent: ${error.message}`;
              } finally {
                event.target.closest("button").disabled = false;
              }
            }, { class: "publish" }),
            pack.kind !== "personal" ? button("See deliveries", () => deliveries(pack, extra), { class: "secondary" }) : null,
          ),
          state,
          extra,
        );
      }
    }
  };

  const refresh = async () => {
    if (!node.isConnected) return;
    try {
      pack = await api(`/packs/${encodeURIComponent(pack.id)}`);
      const wasBuilding = body.querySelector("progress");
      render();
      if (wasBuilding && pack.status === "ready") announce("Your pack is ready to download.");
    } catch {
      timer = setTimeout(refresh, POLL_MS * 2);
    }
  };

  render();
  return node;
}

// A list of packs with a "build" button: `build()` posts the request and answers the new pack.
export function packList({ id, items, build, buildText, publish = true }) {
  const list = el("ul", { class: "cards packs", id: `${id}-list` }, items.map((pack) => packCard(pack, { publish })));
  const state = el("p", { class: "form-state", role: "status" });
  const start = button(buildText, async (event) => {
    event.target.closest("button").disabled = true;
    state.textContent = "Asking for a build…";
    try {
      const pack = await build();
      const existing = list.querySelector(`[data-pack-id="${CSS.escape(pack.id)}"]`);
      const card = packCard(pack, { publish });
      if (existing) existing.replaceWith(card);
      else list.prepend(card);
      state.textContent = "Building: progress below.";
    } catch (error) {
      state.textContent = `Could not build: ${error.message}`;
    } finally {
      event.target.closest("button").disabled = false;
    }
  }, { id: `${id}-build` });
  return el("div", { class: "pack-list" }, el("div", { class: "row" }, start), state, list);
}
