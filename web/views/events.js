// #/ : find an event (public ones listed, a filter, or an event's link/id), the events you attend or
// organise, and for organisers a form to create one.
import { api } from "../api.js";
import { myEvents, organiserGroup, signedIn } from "../state.js";
import { apiForm, append, el, field, section, viewerZone } from "../ui.js";

function card(event, roles = []) {
  return el(
    "li",
    { class: "card", "data-event-id": event.id },
    el("h3", {}, el("a", { href: `#/events/${encodeURIComponent(event.id)}`, text: event.name })),
    el("p", { class: "meta", text: `#${event.hashtag} · ${event.startsOn} to ${event.endsOn}${event.timezone ? ` · ${event.timezone}` : ""}` }),
    roles.length ? el("p", { class: "meta roles", text: `You: ${roles.join(", ")}` }) : null,
    event.description ? el("p", { text: event.description }) : null,
  );
}

export async function showEvents(view) {
  append(view, el("h1", { text: "Events" }));
  const [page, mine, organiser] = await Promise.all([api("/events"), myEvents(), organiserGroup()]);
  const items = page.items || [];

  const finder = el("form", { id: "find-event", role: "search", "aria-label": "Find an event" });
  const query = field("Find an event (name, hashtag, or its link)", { name: "q", type: "search", autocomplete: "off" });
  finder.append(query);
  append(view, finder);

  if (signedIn()) {
    const entries = Object.values(mine);
    append(view, 
      section(
        "my-events",
        "Your events",
        entries.length
          ? el("ul", { class: "cards" }, entries.map((e) => card(e.event, e.roles)))
          : el("p", { text: "None yet: open an event below and join it." }),
      ),
    );
  }

  const list = el("ul", { class: "cards", id: "events" }, items.map((event) => card(event, (mine[event.id] || {}).roles)));
  const none = el("p", { id: "events-none", text: "No current or upcoming public events match." });
  none.hidden = items.length > 0;
  append(view, section("public-events", "Current and upcoming events", list, none));

  query.querySelector("input").addEventListener("input", (event) => {
    const text = event.target.value.trim().toLowerCase().replace(/^#/, "");
    let shown = 0;
    for (const item of list.children) {
      const match = !text || item.textContent.toLowerCase().includes(text);
      item.hidden = !match;
      shown += match ? 1 : 0;
    }
    none.hidden = shown > 0;
  });
  finder.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = query.querySelector("input").value.trim();
    const id = (value.match(/events\/([^/?#]+)/) || [null, value])[1];
    if (id) location.hash = `#/events/${encodeURIComponent(id)}`;
  });

  if (organiser) append(view, section("create-event", "Create an event", eventForm()));
}

// Create (no `event`) or change an event. Used by the organiser's event screen too.
export function eventForm(event = null) {
  const today = new Date().toISOString().slice(0, 10);
  const fields = [
    field("Name", { name: "name", value: event ? event.name : "", required: true }),
    field("Hashtag (without #)", { name: "hashtag", value: event ? event.hashtag : "" }),
    field("First day", { name: "startsOn", type: "date", value: event ? event.startsOn : today }),
    field("Last day", { name: "endsOn", type: "date", value: event ? event.endsOn : today }),
    field("Time zone", { name: "timezone", value: event ? event.timezone : viewerZone, hint: "An IANA name, e.g. Europe/London" }),
    field("Visibility", {
      name: "visibility",
      value: event ? event.visibility : "public",
      options: [
        ["public", "Public: listed, anyone can read"],
        ["unlisted", "Unlisted: anyone with the link"],
        ["private", "Private: organisers and attendees you add"],
      ],
    }),
    field("Description", { name: "description", type: "textarea", rows: 3, value: event ? event.description || "" : "" }),
  ];
  return apiForm({
    id: event ? "edit-event" : "new-event",
    label: event ? "Edit the event" : "Create an event",
    fields,
    submitText: event ? "Save the event" : "Create the event",
    submit: async (values) => {
      if (!values.description) values.description = null;
      const saved = event
        ? await api(`/events/${encodeURIComponent(event.id)}`, { method: "PATCH", body: values })
        : await api("/events", { method: "POST", body: values });
      if (!event) location.hash = `#/events/${encodeURIComponent(saved.id)}`;
      return saved;
    },
    done: "Saved.",
  });
}
