// Notes of a session: the ones you may read, and your own in editors that autosave. A new note is
// created with a client id through the outbox (offline too); later saves replace it with If-Match:
// its ETag. When someone else changed it meanwhile (412), the editor offers: keep theirs, keep mine,
// or merge by hand.
import { api, request } from "../api.js";
import { user } from "../state.js";
import { enqueue, entries, onSent, write } from "../outbox.js";
import { renderMarkdown } from "../markdown.js";
import { announce, append, button, clearErrors, el, field, formValues, newId, showErrors, timeEl } from "../ui.js";

const AUTOSAVE_MS = 1200;
const VISIBILITY = [
  ["private", "Private: only me"],
  ["attendees", "Attendees of the event"],
  ["public", "Public: anyone"],
];
let editorCount = 0;

const etagOf = (note) => `"${note.id}.${note.version}"`;

export function noteCard(note) {
  const author = (note.author && (note.author.displayName || note.author.id)) || "";
  return el(
    "li",
    { class: "note", "data-note-id": note.id },
    el("h3", { text: note.title || "Untitled note" }),
    el("p", { class: "meta" }, author ? `${author} · ` : "", `${note.visibility} · `, timeEl(note.updatedAt || note.createdAt)),
    renderMarkdown(note.body || ""),
  );
}

// One editor. `note`: the saved note (with its version), or null for a new one; `pending`: an
// outbox entry of a note written offline and not sent yet.
export function noteEditor({ sessionId, note = null, pending = null }) {
  editorCount += 1;
  const n = editorCount;
  const me = { id: note ? note.id : pending ? pending.id : newId(), etag: note ? etagOf(note) : null, created: Boolean(note), saving: null, dirty: false, conflict: false };
  const start = note || (pending && pending.body) || { title: "", body: "", visibility: "private", shareInPacks: true };
  const stateLine = el("p", { class: "form-state note-state", role: "status" });
  const form = el(
    "form",
    { class: "note-editor", "data-note-id": me.id, "aria-label": `Your note ${start.title || n}`, novalidate: true },
    field("Title", { name: "title", value: start.title || "", id: `note-title-${n}` }),
    field("Note (Markdown)", { name: "body", type: "textarea", rows: 8, value: start.body || "", id: `note-body-${n}` }),
    field("Who can read it", { name: "visibility", value: start.visibility || "private", options: VISIBILITY, id: `note-visibility-${n}` }),
    field("May go into packs (yours and the session's)", { name: "shareInPacks", type: "checkbox", value: start.shareInPacks !== false, id: `note-share-${n}` }),
    el("div", { class: "row" }, el("button", { type: "submit", text: "Save now" })),
    stateLine,
  );
  const conflictBox = el("div", { class: "conflict", role: "alert" });
  conflictBox.hidden = true;
  const wrapper = el("li", { class: "note mine" }, form, conflictBox);
  if (pending) stateLine.textContent = pending.state === "conflict" ? "Changed elsewhere: choose below." : "Saved on this device, waiting to send.";
  else if (note) stateLine.textContent = `Saved (version ${note.version}).`;

  const body = () => {
    const values = formValues(form);
    return { title: values.title || null, body: values.body, visibility: values.visibility, shareInPacks: values.shareInPacks };
  };

  const saved = (data, etag) => {
    me.created = true;
    me.etag = etag || etagOf(data);
    stateLine.textContent = `Saved (version ${data.version}).`;
  };

  async function save() {
    if (me.conflict) return;
    if (me.saving) {
      me.dirty = true;
      return;
    }
    const values = body();
    if (!values.body.trim()) {
      stateLine.textContent = "Empty notes are not saved.";
      return;
    }
    clearErrors(form);
    me.dirty = false;
    stateLine.textContent = "Saving…";
    me.saving = (async () => {
      try {
        if (!me.created) {
          const result = await write({ path: `/sessions/${encodeURIComponent(sessionId)}/notes`, body: { id: me.id, ...values }, kind: "note", merge: `note:${me.id}`, label: `Note: ${values.title || values.body.slice(0, 40)}`, context: { sessionId } });
          if (result.queued) stateLine.textContent = "Saved on this device, waiting to send.";
          else saved(result.data, result.etag);
        } else {
          try {
            const result = await request(`/notes/${encodeURIComponent(me.id)}`, { method: "PUT", body: values, headers: { "If-Match": me.etag }, raw: true });
            saved(result.data, result.etag);
          } catch (error) {
            if (!error.offline) throw error;
            await enqueue({ method: "PUT", path: `/notes/${encodeURIComponent(me.id)}`, body: values, headers: { "If-Match": me.etag }, kind: "note-edit", merge: `note-edit:${me.id}`, label: `Note edit: ${values.title || values.body.slice(0, 40)}`, context: { sessionId }, id: newId() });
            stateLine.textContent = "Saved on this device, waiting to send.";
          }
        }
      } catch (error) {
        if (error.status === 412) await conflict();
        else {
          stateLine.textContent = "";
          showErrors(form, error);
        }
      } finally {
        me.saving = null;
      }
      if (me.dirty) save();
    })();
    return me.saving;
  }

  // Someone else saved a newer version: show theirs beside mine and let the writer choose.
  async function conflict() {
    me.conflict = true;
    let theirs;
    try {
      const result = await request(`/notes/${encodeURIComponent(me.id)}`, { raw: true });
      theirs = { ...result.data, etag: result.etag || etagOf(result.data) };
    } catch (error) {
      stateLine.textContent = `Changed elsewhere, and could not read that version: ${error.message}`;
      return;
    }
    const mine = body();
    stateLine.textContent = "";
    const merge = el("textarea", { id: `note-merge-${n}`, rows: 8 });
    merge.value = `${mine.body}\n\n----- their version -----\n${theirs.body}`;
    const mergeField = el("div", { class: "field merge", hidden: true }, el("label", { for: merge.id, text: "Merge by hand: edit until it says what both should" }), merge, button("Save the merged note", () => resolve({ ...mine, body: merge.value }), { class: "merge-save" }));
    const resolve = async (values) => {
      me.etag = theirs.etag;
      me.conflict = false;
      conflictBox.hidden = true;
      form.querySelector("textarea[name=body]").value = values.body;
      form.querySelector("input[name=title]").value = values.title || "";
      await save();
      form.querySelector("textarea[name=body]").focus();
    };
    conflictBox.replaceChildren(
      el("h4", { text: `This note was changed elsewhere (now version ${theirs.version}). Which should stay?` }),
      el("div", { class: "versions" },
        el("div", {}, el("h5", { text: "Theirs" }), el("pre", { class: "theirs", text: theirs.body })),
        el("div", {}, el("h5", { text: "Mine" }), el("pre", { class: "mine-text", text: mine.body }))),
      el(
        "div",
        { class: "row" },
        button("Keep theirs", () => {
          me.etag = theirs.etag;
          me.conflict = false;
          conflictBox.hidden = true;
          form.querySelector("textarea[name=body]").value = theirs.body;
          form.querySelector("input[name=title]").value = theirs.title || "";
          stateLine.textContent = `Kept theirs (version ${theirs.version}).`;
        }, { class: "keep-theirs" }),
        button("Keep mine", () => resolve(mine), { class: "keep-mine" }),
        button("Merge by hand", () => {
          mergeField.hidden = false;
          merge.focus();
        }, { class: "merge-by-hand secondary" }),
      ),
      mergeField,
    );
    conflictBox.hidden = false;
    announce("This note was changed elsewhere: choose which version stays.");
    conflictBox.querySelector(".keep-theirs").focus();
  }

  let timer = null;
  form.addEventListener("input", () => {
    clearTimeout(timer);
    stateLine.textContent = "Editing…";
    timer = setTimeout(save, AUTOSAVE_MS);
  });
  form.addEventListener("change", () => {
    clearTimeout(timer);
    timer = setTimeout(save, 200);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    save();
  });
  // A write of this note sent by the outbox later (back online): take its new version.
  const stop = onSent((entry, data, etag, error) => {
    if (!wrapper.isConnected) return stop();
    if (entry.merge !== `note:${me.id}` && entry.merge !== `note-edit:${me.id}`) return;
    if (error && error.status === 412) conflict();
    else if (data) saved(data, etag);
  });
  wrapper.save = save;
  return wrapper;
}

export async function notesSection(container, sessionId, { canWrite }) {
  const page = await api(`/sessions/${encodeURIComponent(sessionId)}/notes`);
  const me = user();
  const items = page.items || [];
  const mine = items.filter((note) => me && note.author && note.author.id === me.id);
  const others = items.filter((note) => !mine.includes(note));
  if (canWrite) {
    const waiting = (await entries()).filter((e) => e.kind === "note" && e.context && e.context.sessionId === sessionId);
    const list = el("ul", { class: "notes", id: "my-notes" });
    for (const note of mine) list.append(noteEditor({ sessionId, note }));
    for (const entry of waiting) if (!mine.some((n) => n.id === entry.id)) list.append(noteEditor({ sessionId, pending: entry }));
    const add = button("Write a new note", () => {
      const editor = noteEditor({ sessionId });
      list.append(editor);
      editor.querySelector("textarea").focus();
    }, { id: "new-note" });
    if (!list.children.length) list.append(noteEditor({ sessionId }));
    append(container, el("h3", { text: "Your notes" }), list, el("div", { class: "row" }, add));
  }
  append(container, 
    canWrite ? el("h3", { text: "Notes others shared" }) : null,
    others.length ? el("ul", { class: "notes", id: "shared-notes" }, others.map(noteCard)) : el("p", { text: "No shared notes yet." }),
  );
  if (!canWrite && me) append(container, el("p", { class: "hint", text: "Join the event to write your own notes." }));
}
