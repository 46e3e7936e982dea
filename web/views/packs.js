// Packs: build, follow the progress, download every format, circulate or publish, see deliveries.
import { api, apiUrl } from "../api.js";
import { accessToken } from "../auth.js";
import { announce, button, el, progressEl, timeEl } from "../ui.js";

const FORMAT_NAMES = { html: "Web page (HTML)", md: "Markdown", json: "JSON", epub: "EPUB e-book" };
const POLL_MS = 1500;

// Download a pack: the API answers a short-lived link (asked for as JSON: a redirect cannot carry the
// sign-in), which the browser then opens as a download.
export async function download(path, format) {
  const token = await accessToken();
  const response = await fetch(apiUrl(`${path}?format=${encodeURIComponent(format)}`), {
    headers: { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
  });
  const data = await response.json().catch(() => null);
  if (!response.ok || !data || !data.url) throw new Error((data && (data.detail || data.title)) || `HTTP ${response.status}`);
  const link = el("a", { href: data.url, download: "", class: "visually-hidden", text: "download" });
  document.body.append(link);
  link.click();
  link.remove();
  return data.url;
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
      body.append(progress.node);
      clearTimeout(timer);
      timer = setTimeout(refresh, POLL_MS);
    } else if (pack.status === "failed") {
      body.append(el("p", { class: "form-error", text: `The build failed: ${pack.reason || "unknown reason"}` }));
    }
    if (pack.readyVersion || pack.status === "ready") {
      body.append(downloads(pack));
      if (publish) {
        const state = el("p", { class: "form-state", role: "status" });
        const label = pack.kind === "personal" ? "Circulate it to my followers" : "Publish it";
        const extra = el("div", { class: "deliveries" });
        body.append(
          el(
            "div",
            { class: "row" },
            button(label, async (event) => {
              event.currentTarget.disabled = true;
              state.textContent = "Sending…";
              try {
                const result = await api(`/packs/${encodeURIComponent(pack.id)}/publish`, { method: "POST", body: {} });
                state.textContent = `Sent (publication ${result.version || ""}).`;
                announce(state.textContent);
                if (pack.kind !== "personal") deliveries(pack, extra);
              } catch (error) {
                state.textContent = `Not sent: ${error.message}`;
              } finally {
                event.currentTarget.disabled = false;
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
    event.currentTarget.disabled = true;
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
      event.currentTarget.disabled = false;
    }
  }, { id: `${id}-build` });
  return el("div", { class: "pack-list" }, el("div", { class: "row" }, start), state, list);
}
