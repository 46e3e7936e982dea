// Small DOM helpers shared by every screen. User content only ever goes in through textContent
// (el's children and "text"), never innerHTML.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// parent.append, leaving out null, undefined and false (DOM append would write "null").
export function append(parent, ...children) {
  parent.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return parent;
}

export function section(id, title, ...children) {
  return el("section", { "aria-labelledby": `${id}-heading`, id }, el("h2", { id: `${id}-heading`, text: title }), ...children);
}

export function setStatus(text) {
  document.getElementById("status").textContent = text;
}

// A polite announcement for screen readers (and a visible line) that does not move focus.
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

// A ULID (26 characters, Crockford base32: 48 bits of milliseconds, 80 random bits): the client id
// of an offline write, which the API accepts and dedupes on.
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export function newId() {
  let time = Date.now();
  let head = "";
  for (let i = 0; i < 10; i += 1) {
    head = CROCKFORD[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const random = crypto.getRandomValues(new Uint8Array(16));
  let tail = "";
  for (let i = 0; i < 16; i += 1) tail += CROCKFORD[random[i] % 32];
  return head + tail;
}

// ---------------------------------------------------------------------------------------------
// Times: the event's time zone and, when it differs, the viewer's.
// ---------------------------------------------------------------------------------------------
export const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function formatTime(iso, options = { dateStyle: "medium", timeStyle: "short" }, timeZone) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return iso || "";
  try {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone: timeZone || undefined }).format(date);
  } catch {
    return new Intl.DateTimeFormat(undefined, options).format(date);
  }
}

export function timeEl(iso, options, timeZone) {
  return el("time", { datetime: iso, text: formatTime(iso, options, timeZone) });
}

// "Tue 10:00–10:45 (Europe/London)" and, for a viewer elsewhere, "· 11:00–11:45 your time".
export function timeRange(startsAt, endsAt, eventZone) {
  const day = { weekday: "short", hour: "2-digit", minute: "2-digit" };
  const hour = { hour: "2-digit", minute: "2-digit" };
  const parts = [timeEl(startsAt, day, eventZone), "–", timeEl(endsAt, hour, eventZone)];
  if (eventZone) parts.push(` (${eventZone})`);
  if (eventZone && eventZone !== viewerZone && formatTime(startsAt, day, eventZone) !== formatTime(startsAt, day, viewerZone)) {
    parts.push(
      el("span", { class: "your-time" }, " · ", timeEl(startsAt, day, viewerZone), "–", timeEl(endsAt, hour, viewerZone), " your time"),
    );
  }
  return parts;
}

export function isLive(session, now = Date.now()) {
  return Date.parse(session.startsAt) <= now && now < Date.parse(session.endsAt);
}

// ---------------------------------------------------------------------------------------------
// Forms: labelled fields, problem+json errors next to the field at fault.
// ---------------------------------------------------------------------------------------------
let fieldCount = 0;

// A labelled input, textarea or select. `name` is the API's field name: errors find it by that.
export function field(label, { name, type = "text", value = "", options, rows, hint, ...attrs } = {}) {
  fieldCount += 1;
  const id = attrs.id || `f-${name}-${fieldCount}`;
  delete attrs.id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  let control;
  if (options) {
    control = el("select", { id, name, ...attrs }, options.map(([v, text]) => el("option", { value: v, text, selected: String(v) === String(value) || null })));
  } else if (type === "textarea") {
    control = el("textarea", { id, name, rows: rows || 4, ...attrs });
    control.value = value ?? "";
  } else if (type === "checkbox") {
    control = el("input", { id, name, type, checked: value ? true : null, ...attrs });
  } else {
    control = el("input", { id, name, type, ...attrs });
    control.value = value ?? "";
  }
  control.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  const wrapper = el(
    "div",
    { class: type === "checkbox" ? "field check" : "field", "data-field": name },
    type === "checkbox" ? [control, el("label", { for: id, text: label })] : [el("label", { for: id, text: label }), control],
    hint ? el("p", { class: "hint", id: hintId, text: hint }) : null,
    el("p", { class: "field-error", id: errorId }),
  );
  return wrapper;
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const general = form.querySelector(".form-error");
  if (general) general.textContent = "";
}

// Put an API error next to the fields it names (problem+json `errors[].field`), the rest at the
// form's foot. Focus goes to the first field at fault.
export function showErrors(form, error) {
  clearErrors(form);
  const problem = error.problem || {};
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  let first = null;
  const rest = [];
  for (const item of errors) {
    const name = String(item.field || "").split(/[.[]/)[0];
    const wrapper = name && form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!wrapper) {
      rest.push(`${item.field}: ${item.message}`);
      continue;
    }
    const control = wrapper.querySelector("input, textarea, select");
    wrapper.querySelector(".field-error").textContent = item.message;
    control.setAttribute("aria-invalid", "true");
    first = first || control;
  }
  let general = form.querySelector(".form-error");
  if (!general) {
    general = el("p", { class: "form-error", role: "alert" });
    form.append(general);
  }
  if (!errors.length || rest.length) general.textContent = [error.message, ...rest].join(" · ");
  if (first) first.focus();
}

export function formValues(form) {
  const values = {};
  for (const control of form.querySelectorAll("input[name], textarea[name], select[name]")) {
    if (control.type === "checkbox") values[control.name] = control.checked;
    else values[control.name] = control.value;
  }
  return values;
}

// A form that calls `submit(values)` and shows what comes back: errors next to the fields, or
// `done` (a line of text) in its status line.
export function apiForm({ id, label, fields, submitText, submit, done, extra = [] }) {
  const stateLine = el("p", { class: "form-state", role: "status" });
  const button = el("button", { type: "submit", text: submitText });
  const form = el("form", { id, "aria-label": label, novalidate: true }, fields, el("div", { class: "row" }, button, ...extra), stateLine);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    button.disabled = true;
    stateLine.textContent = "Working…";
    try {
      const result = await submit(formValues(form), form);
      stateLine.textContent = typeof done === "function" ? done(result) || "" : done || "Done.";
    } catch (error) {
      stateLine.textContent = "";
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export function button(text, onclick, attrs = {}) {
  return el("button", { type: "button", text, onclick, ...attrs });
}

// A visible progress bar with its words (for packs and other long work).
export function progressEl(label) {
  const bar = el("progress", { max: 100, "aria-label": label });
  const words = el("span", { class: "progress-words", role: "status" });
  const node = el("div", { class: "progress" }, bar, words);
  return {
    node,
    set(percent, text) {
      if (percent === null || percent === undefined) bar.removeAttribute("value");
      else bar.value = Math.max(0, Math.min(100, percent));
      words.textContent = text;
    },
  };
}
