// #/events/<id>: the event for attendees and remote members (programme with what is on now, the live
// feed, posting, resources, subscribe links, joining and following, the personal pack) and, for its
// organisers only, the tools to run it.
import { api, apiUrl } from "../api.js";
import { LiveFeed } from "../live.js";
import { entries } from "../outbox.js";
import { myEvents, rolesFor, signedIn, starred, setStarred, state } from "../state.js";
import { announce, append, button, el, isLive, section, timeRange } from "../ui.js";
import { postForm } from "./compose.js";
import { organiserEventTools } from "./organiser.js";
import { packList } from "./packs.js";

export function feedSection(title) {
  const list = el("ol", { class: "feed", id: "feed", "aria-live": "polite", "aria-relevant": "additions", "aria-label": title });
  return { section: el("section", { "aria-labelledby": "feed-heading" }, el("h2", { id: "feed-heading", text: title }), list), list };
}

export function starButton(session, on) {
  const label = (value) => (value ? "Starred" : "Star");
  return el("button", {
    type: "button",
    class: on ? "star on" : "star",
    "aria-pressed": on ? "true" : "false",
    "aria-label": `Star ${session.title}`,
    text: label(on),
    onclick: async (event) => {
      const target = event.target.closest("button");
      const next = target.getAttribute("aria-pressed") !== "true";
      target.disabled = true;
      try {
        await api(`/sessions/${encodeURIComponent(session.id)}/star`, { method: next ? "POST" : "DELETE", body: next ? {} : undefined });
        await setStarred(session.id, next);
        target.setAttribute("aria-pressed", String(next));
        target.classList.toggle("on", next);
        target.textContent = label(next);
        announce(next ? `Starred ${session.title}: it goes into your pack.` : `Unstarred ${session.title}.`);
      } catch (error) {
        announce(`Could not change the star: ${error.message}`);
      } finally {
        target.disabled = false;
      }
    },
  });
}

export function renderSessions(sessions, { zone, stars = null }) {
  const list = el("ol", { class: "sessions", id: "sessions" });
  for (const session of sessions) {
    const live = isLive(session);
    list.append(
      el(
        "li",
        { class: live ? "session live" : "session", "data-session-id": session.id, "aria-current": live ? "time" : null },
        el("h3", {}, el("a", { href: `#/sessions/${encodeURIComponent(session.id)}`, text: session.title })),
        live ? el("strong", { class: "badge", text: "Live now" }) : null,
        el(
          "p",
          { class: "meta" },
          timeRange(session.startsAt, session.endsAt, zone),
          session.room ? ` · ${session.room}` : "",
          session.speakers && session.speakers.length ? ` · ${session.speakers.map((s) => s.name).join(", ")}` : "",
        ),
        stars ? starButton(session, stars.has(session.id)) : null,
      ),
    );
  }
  return list;
}

function subscribeLinks(event) {
  const id = encodeURIComponent(event.id);
  return el(
    "ul",
    { class: "row subscribe" },
    el("li", {}, el("a", { href: apiUrl(`/events/${id}/feed.atom`), type: "application/atom+xml", text: "Atom feed of the posts" })),
    el("li", {}, el("a", { href: apiUrl(`/events/${id}/schedule.ics`), type: "text/calendar", text: "Programme as iCalendar" })),
  );
}

async function memberActions(event, roles) {
  const line = el("p", { class: "form-state", role: "status" });
  const attending = roles.length > 0;
  const join = button(attending ? "Leave the event" : "Join the event", async (e) => {
    const target = e.target.closest("button");
    target.disabled = true;
    try {
      const joined = target.dataset.joined === "1";
      await api(`/events/${encodeURIComponent(event.id)}/attendance`, { method: joined ? "DELETE" : "POST", body: joined ? undefined : {} });
      await myEvents({ fresh: true });
      target.dataset.joined = joined ? "0" : "1";
      target.textContent = joined ? "Join the event" : "Leave the event";
      line.textContent = joined ? "You left the event." : "You joined: post, take notes, ask and vote.";
      announce(line.textContent);
    } catch (error) {
      line.textContent = `Could not change it: ${error.message}`;
    } finally {
      target.disabled = false;
    }
  }, { id: "join", "data-joined": attending ? "1" : "0" });
  if (roles.includes("organiser")) join.hidden = true;
  const follow = button("Follow the event", async (e) => {
    try {
      await api("/me/follows", { method: "POST", body: { type: "event", id: event.id } });
      e.target.closest("button").textContent = "Following";
      line.textContent = "You follow this event: its packs come to your channels.";
    } catch (error) {
      line.textContent = `Could not follow: ${error.message}`;
    }
  }, { class: "secondary", id: "follow-event" });
  return el("div", { class: "member-actions" }, el("div", { class: "row" }, join, follow), line);
}

async function resources(path) {
  const page = await api(path);
  const items = page.items || [];
  if (!items.length) return el("p", { text: "Nothing shared yet." });
  return el(
    "ul",
    { class: "resources" },
    items.map((item) =>
      el(
        "li",
        {},
        /^https?:/i.test(item.url) ? el("a", { href: item.url, rel: "noopener noreferrer nofollow", text: item.doi || item.url }) : item.url,
        ` · ${item.kind} · shared ${item.shares} ${item.shares === 1 ? "time" : "times"}`,
      ),
    ),
  );
}
export { resources };

export async function showEvent(view, eventId) {
  const id = encodeURIComponent(eventId);
  const [event, sessionsPage, roles] = await Promise.all([api(`/events/${id}`), api(`/events/${id}/sessions`), rolesFor(eventId)]);
  state.eventId = event.id;
  document.title = `${event.name} · Backchannel`;
  const sessions = sessionsPage.items || [];
  const organiser = roles.includes("organiser");
  const stars = signedIn() ? await starred() : null;
  const now = sessions.filter((s) => isLive(s));

  append(view, 
    el("h1", { text: event.name }),
    el("p", { class: "meta", text: `#${event.hashtag} · ${event.startsOn} to ${event.endsOn} · times in ${event.timezone}` }),
    event.description ? el("p", { text: event.description }) : null,
    signedIn() ? await memberActions(event, roles) : el("p", { class: "hint", text: "Sign in (Account) to join, post, take notes, ask and vote." }),
    subscribeLinks(event),
  );
  if (now.length) {
    append(view, 
      section("now", "On now", el("ul", { class: "now" }, now.map((s) => el("li", {}, el("a", { href: `#/sessions/${encodeURIComponent(s.id)}`, text: s.title }), s.room ? ` · ${s.room}` : "")))),
    );
  }
  append(view, section("programme", "Programme", sessions.length ? renderSessions(sessions, { zone: event.timezone, stars }) : el("p", { text: "No sessions yet." })));

  if (signedIn()) append(view, section("write", "Post", postForm({ eventId: event.id })));
  const { section: feed, list } = feedSection("Live feed");
  append(view, feed);
  const res = section("resources", "Shared links and papers");
  append(view, res);
  const packs = section("my-pack", "Your pack");
  const tools = el("div", { class: "organiser-tools" });
  if (signedIn() && roles.length) append(view, packs);
  append(view, tools);
  const personalPack = async () => {
    const mine = await api("/me/packs").catch(() => ({ items: [] }));
    append(packs, 
      el("p", { class: "hint", text: "Your starred sessions, your notes and what was shared, in one pack to keep and circulate." }),
      packList({
        id: "personal-pack",
        items: (mine.items || []).filter((p) => p.eventId === event.id),
        build: () => api("/me/packs", { method: "POST", body: { eventId: event.id } }),
        buildText: "Build my pack",
      }),
    );
  };

  state.feed = new LiveFeed({ eventId: event.id, list });
  await Promise.all([
    state.feed.start(),
    resources(`/events/${id}/resources`).then((node) => res.append(node)),
    signedIn() && roles.length ? personalPack() : null,
    organiser ? organiserEventTools(event, sessions).then((node) => tools.replaceWith(node)) : null,
  ]);
  for (const entry of await entries()) {
    if (entry.kind === "post" && entry.context && entry.context.eventId === event.id && !entry.context.sessionId) state.feed.addPending({ id: entry.body.id, text: entry.body.text });
  }
}
