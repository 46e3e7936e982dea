// Writing to the backchannel: the post form (through the outbox, so it works offline).
import { write } from "../outbox.js";
import { announce, clearErrors, el, field, newId, showErrors } from "../ui.js";
import { state } from "../state.js";

export function postForm({ eventId, sessionId = null }) {
  const text = field("Your post (up to 500 characters)", { name: "text", type: "textarea", rows: 3, maxlength: 500, required: true, id: "post-text" });
  const line = el("p", { id: "post-state", class: "form-state", role: "status" });
  const form = el("form", { id: "post-form", "aria-label": "Post to the backchannel", novalidate: true }, text, el("div", { class: "row" }, el("button", { type: "submit", text: "Post" })), line);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const input = form.querySelector("textarea");
    const words = input.value.trim();
    if (!words) {
      showErrors(form, { message: "Write something first.", problem: { errors: [{ field: "text", message: "Write something first." }] } });
      return;
    }
    const body = { id: newId(), text: words };
    if (sessionId) body.sessionId = sessionId;
    try {
      const result = await write({ path: `/events/${encodeURIComponent(eventId)}/posts`, body, kind: "post", label: `Post: ${words.slice(0, 60)}`, context: { eventId, sessionId } });
      input.value = "";
      if (result.queued) {
        if (state.feed) state.feed.addPending({ id: body.id, text: words, sessionId });
        line.textContent = "Saved on this device: it will be sent when the network is back.";
      } else {
        if (state.feed) state.feed.add(result.data, { atTop: true });
        line.textContent = "Posted.";
      }
      announce(line.textContent);
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}
