// The organisers' tools, shown on an event's and a session's screens to that event's organisers
// only (the API checks it again on every call): edit the event and its sessions, add co-organisers
// and attendees, moderate questions, write and publish summaries, build and publish packs.
import { api } from "../api.js";
import { renderMarkdown } from "../markdown.js";
import { announce, apiForm, button, clearErrors, el, field, section, showErrors, timeEl } from "../ui.js";
import { eventForm } from "./events.js";
import { packList } from "./packs.js";

// "@alice" (a handle) or a member id: the member id.
async function memberId(value) {
  const text = String(value || "").trim();
  if (!text.startsWith("@")) return text;
  const profile = await api(`/members/${encodeURIComponent(text.slice(1))}`);
  return profile.id;
}

function localInput(iso) {
  // An ISO instant as the value of a datetime-local field (the viewer's clock).
  if (!iso) return "";
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function sessionForm(eventId, session = null) {
  const speakers = session && session.speakers ? session.speakers.map((s) => s.name).join(", ") : "";
  return apiForm({
    id: session ? "edit-session" : "new-session",
    label: session ? "Edit the session" : "Add a session",
    fields: [
      field("Title", { name: "title", value: session ? session.title : "" }),
      field("Starts (your time)", { name: "startsAt", type: "datetime-local", value: localInput(session && session.startsAt) }),
      field("Ends (your time)", { name: "endsAt", type: "datetime-local", value: localInput(session && session.endsAt) }),
      field("Room", { name: "room", value: session ? session.room || "" : "" }),
      field("Speakers (comma separated)", { name: "speakers", value: speakers }),
      field("Abstract", { name: "abstract", type: "textarea", rows: 3, value: session ? session.abstract || "" : "" }),
    ],
    submitText: session ? "Save the session" : "Add the session",
    submit: async (values) => {
      const body = {
        title: values.title,
        startsAt: values.startsAt ? new Date(values.startsAt).toISOString() : "",
        endsAt: values.endsAt ? new Date(values.endsAt).toISOString() : "",
        room: values.room || null,
        abstract: values.abstract || null,
        speakers: values.speakers ? values.speakers.split(",").map((name) => ({ name: name.trim() })).filter((s) => s.name) : [],
      };
      if (session) return api(`/sessions/${encodeURIComponent(session.id)}`, { method: "PATCH", body });
      const created = await api(`/events/${encodeURIComponent(eventId)}/sessions`, { method: "POST", body });
      return created;
    },
    done: (saved) => (session ? "Saved." : `Added “${saved.title}”. Reload the programme to see it in place.`),
  });
}

function memberForm({ id, label, submitText, path, done }) {
  return apiForm({
    id,
    label,
    fields: [field("Member: @handle or member id", { name: "memberId", autocomplete: "off" })],
    submitText,
    submit: async (values) => api(path, { method: "POST", body: { memberId: await memberId(values.memberId) } }),
    done,
  });
}

export async function organiserEventTools(event, sessions) {
  const id = encodeURIComponent(event.id);
  const packs = await api(`/events/${id}/packs`).catch(() => ({ items: [] }));
  return section(
    "organise",
    "Organise this event",
    el("p", { class: "hint", text: `Only the event's organisers see this. ${sessions.length} sessions.` }),
    el("details", {}, el("summary", { text: "Edit the event" }), eventForm(event)),
    el("details", {}, el("summary", { text: "Add a session" }), sessionForm(event.id)),
    el(
      "details",
      {},
      el("summary", { text: "People" }),
      memberForm({ id: "add-organiser", label: "Add a co-organiser", submitText: "Add as co-organiser", path: `/events/${id}/organisers`, done: "Added as co-organiser." }),
      memberForm({ id: "add-attendee", label: "Add an attendee", submitText: "Add as attendee", path: `/events/${id}/attendance`, done: "Added as attendee." }),
    ),
    el("h3", { text: "Event and session packs" }),
    packList({ id: "event-packs", items: packs.items || [], build: () => api(`/events/${id}/packs`, { method: "POST", body: {} }), buildText: "Build the event pack" }),
  );
}

export async function organiserSessionTools(session, event) {
  const id = encodeURIComponent(session.id);
  const [settings, packs] = await Promise.all([
    api(`/sessions/${id}/questions/settings`).catch(() => ({ preModeration: false })),
    api(`/sessions/${id}/packs`).catch(() => ({ items: [] })),
  ]);
  const moderation = field("Hold questions until a moderator approves them", { name: "preModeration", type: "checkbox", value: settings.preModeration, id: "pre-moderation" });
  const line = el("p", { class: "form-state", role: "status" });
  moderation.querySelector("input").addEventListener("change", async (e) => {
    try {
      await api(`/sessions/${id}/questions/settings`, { method: "PUT", body: { preModeration: e.target.checked } });
      line.textContent = e.target.checked ? "New questions wait for approval (listed above for you)." : "New questions show at once.";
    } catch (error) {
      line.textContent = `Not changed: ${error.message}`;
      e.target.checked = !e.target.checked;
    }
  });
  return section(
    "organise",
    "Run this session",
    el("p", { class: "hint", text: "Only the event's organisers see this. Approve, hide and mark questions answered in the list above." }),
    el("div", { class: "moderation" }, moderation, line),
    el("details", {}, el("summary", { text: "Edit the session" }), sessionForm(session.eventId, session)),
    el("h3", { text: "Session pack" }),
    packList({ id: "session-packs", items: packs.items || [], build: () => api(`/sessions/${id}/packs`, { method: "POST", body: {} }), buildText: "Build the session pack" }),
    event ? el("p", {}, el("a", { href: `#/events/${encodeURIComponent(event.id)}`, text: "Event packs and people: the event's screen" })) : null,
  );
}

// The summary editor: Markdown with a live preview, save as draft, publish (each publication is a
// version), and the published versions.
export async function summaryEditor(session) {
  const id = encodeURIComponent(session.id);
  let draft = null;
  try {
    draft = await api(`/sessions/${id}/summary?status=draft`);
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  const text = field("Summary (Markdown)", { name: "body", type: "textarea", rows: 10, value: draft ? draft.body : "", id: "summary-text" });
  const preview = el("div", { class: "preview", id: "summary-preview", "aria-label": "Preview", role: "region" });
  const versions = el("div", { class: "versions-list" });
  const line = el("p", { class: "form-state", role: "status" });
  const form = el("form", { id: "summary-form", "aria-label": "Write the summary", novalidate: true }, text, el("h4", { text: "Preview" }), preview);
  const input = text.querySelector("textarea");
  const render = () => preview.replaceChildren(renderMarkdown(input.value));
  input.addEventListener("input", render);
  render();

  const loadVersions = async () => {
    const page = await api(`/sessions/${id}/summary/versions`).catch(() => ({ items: [] }));
    const items = page.items || [];
    versions.replaceChildren(
      el("h4", { text: "Published versions" }),
      items.length
        ? el("ol", { reversed: true }, items.map((v) => el("li", {}, el("details", {}, el("summary", {}, `Version ${v.version} · `, timeEl(v.publishedAt)), renderMarkdown(v.body)))))
        : el("p", { text: "None yet." }),
    );
  };
  const put = (status) => async (event) => {
    event.preventDefault();
    clearErrors(form);
    line.textContent = status === "published" ? "Publishing…" : "Saving the draft…";
    try {
      const saved = await api(`/sessions/${id}/summary`, { method: "PUT", body: { body: input.value, status } });
      line.textContent = status === "published" ? `Published version ${saved.version}.` : "Draft saved (only organisers see it).";
      announce(line.textContent);
      if (status === "published") loadVersions();
    } catch (error) {
      line.textContent = "";
      showErrors(form, error);
    }
  };
  form.append(el("div", { class: "row" }, button("Save draft", put("draft"), { class: "secondary", id: "summary-draft" }), button("Publish", put("published"), { id: "summary-publish" })), line);
  await loadVersions();
  return el("div", { class: "summary-editor" }, el("h3", { text: "Write the summary" }), form, versions);
}
