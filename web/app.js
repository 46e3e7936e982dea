// Backchannel: the page for remote members. Vanilla ES module, no build step, no CDN.
//
// It finds the API in config.json next to the page ({"ApiUrl", "WebSocketUrl"?}: the local gateway
// serves it from the stack outputs; a deployment writes it, see README "The web page").
// Routes (hash based, so S3 needs no rewrites): #/ events, #/events/<id>, #/sessions/<id>.
// User content is only ever put into the page with textContent, never innerHTML.

const POLL_MS = 2000;
const TOKEN_KEY = "backchannel.token";

const state = { apiUrl: "", wsUrl: "", feed: null, eventId: null, sessionId: null, routed: false };

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
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

function setStatus(text) {
  document.getElementById("status").textContent = text;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function newId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

async function api(path, { method = "GET", body, auth = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["Idempotency-Key"] = newId();
  }
  if (auth || token()) {
    if (token()) headers.Authorization = `Bearer ${token()}`;
  }
  const response = await fetch(`${state.apiUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = (data && (data.detail || data.title || data.message)) || response.statusText;
    const error = new Error(`${response.status} ${message}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function formatTime(iso, options = { dateStyle: "medium", timeStyle: "short" }) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso || "";
  return new Intl.DateTimeFormat(undefined, options).format(date);
}

function timeEl(iso, options) {
  return el("time", { datetime: iso, text: formatTime(iso, options) });
}

function isLive(session, now = Date.now()) {
  const start = Date.parse(session.startsAt);
  const end = Date.parse(session.endsAt);
  return start <= now && now < end;
}

// ---------------------------------------------------------------------------------------------
// Live feed: first page, then WebSocket push (if known) with polling as the fallback
// ---------------------------------------------------------------------------------------------
class LiveFeed {
  constructor({ eventId, sessionId, list }) {
    this.eventId = eventId;
    this.sessionId = sessionId;
    this.list = list;
    this.seen = new Set();
    this.since = null;
    this.timer = null;
    this.socket = null;
    this.stopped = false;
    this.path = sessionId ? `/sessions/${encodeURIComponent(sessionId)}/posts` : `/events/${encodeURIComponent(eventId)}/posts`;
  }

  async start() {
    const page = await api(this.path);
    this.since = page.sinceCursor || null;
    const items = page.items || [];
    // Newest first from the API; append in that order for the first page.
    for (const post of items) this.add(post, { atTop: false });
    // Everything before the first page stays one click away.
    if (page.nextCursor) this.list.append(this.marker(page.nextCursor, null, { older: true }));
    this.renderEmpty();
    if (state.wsUrl && "WebSocket" in window) this.connect();
    else this.poll();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
    }
    setLiveMode("off");
  }

  connect() {
    let opened = false;
    try {
      const url = new URL(state.wsUrl);
      if (token()) url.searchParams.set("token", token());
      this.socket = new WebSocket(url);
    } catch {
      this.poll();
      return;
    }
    this.socket.onopen = () => {
      opened = true;
      const subscription = this.sessionId ? { sessionId: this.sessionId } : { eventId: this.eventId };
      this.socket.send(JSON.stringify({ action: "subscribe", ...subscription }));
      setLiveMode("push (WebSocket)");
      // Catch up on anything posted between the first page and the subscription.
      this.catchUp();
    };
    this.socket.onmessage = (message) => this.onMessage(message);
    this.socket.onclose = () => {
      this.socket = null;
      if (this.stopped) return;
      if (opened) setLiveMode("reconnecting, polling meanwhile");
      this.poll();
    };
    this.socket.onerror = () => {};
  }

  onMessage(message) {
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    if (data.type === "error") {
      this.socket.close();
      return;
    }
    if (data.type === "posts" && Array.isArray(data.posts)) {
      // A tick: the newest posts since the last one (newest first) and, when more arrived than a
      // person can read, a marker with how many more and a feed cursor that loads them.
      if (this.sessionId && data.sessionId !== this.sessionId) return;
      if (!this.sessionId && data.sessionId) return;
      if (data.more && data.more.cursor && data.more.count > 0) this.list.prepend(this.marker(data.more.cursor, data.more.count));
      for (const post of [...data.posts].reverse()) if (post && typeof post.text === "string") this.add(post, { atTop: true });
    } else if (data.type === "post.created") {
      const post = data.post || {};
      if (this.sessionId && post.sessionId !== this.sessionId) return;
      if (post.id && typeof post.text === "string") this.add(post, { atTop: true });
      else this.fetchSince();
    } else if (data.type === "post.deleted" && data.post && data.post.id) {
      const item = this.list.querySelector(`[data-post-id="${CSS.escape(data.post.id)}"]`);
      if (item) item.remove();
    }
  }

  // The newest page again: what arrived between the first page and the subscription. If none of it
  // was shown yet, a marker loads whatever lies between it and what the page already shows.
  async catchUp() {
    const page = await api(this.path);
    const items = page.items || [];
    const fresh = items.filter((post) => post && post.id && !this.seen.has(post.id));
    if (!fresh.length) return 0;
    if (fresh.length === items.length && page.nextCursor && this.seen.size) this.list.prepend(this.marker(page.nextCursor, null));
    for (const post of [...fresh].reverse()) this.add(post, { atTop: true });
    return fresh.length;
  }

  // A button in the list that loads posts from a feed cursor into its own place: `count` more posts
  // (a tick's marker), the posts down to the first one already shown (count null), or one page of
  // older posts (older).
  marker(cursor, count, { older = false } = {}) {
    const label = older
      ? "Load older posts"
      : count
        ? `${count} more post${count === 1 ? "" : "s"} arrived at once: load them`
        : "Load the posts in between";
    const button = el("button", { type: "button", class: "more", text: label });
    const item = el("li", { class: older ? "more-marker older" : "more-marker", "data-count": count == null ? null : String(count) }, button);
    button.addEventListener("click", () => this.fill(item, cursor, count, older));
    return item;
  }

  async fill(item, cursor, count, older) {
    const button = item.querySelector("button");
    button.disabled = true;
    let loaded = 0;
    let next = cursor;
    try {
      while (next) {
        const limit = count ? Math.min(100, count - loaded) : 25;
        const page = await api(`${this.path}?cursor=${encodeURIComponent(next)}&limit=${limit}`);
        const items = page.items || [];
        let fresh = 0;
        for (const post of items) {
          if (!post || !post.id || this.seen.has(post.id)) continue;
          this.seen.add(post.id);
          item.before(renderPost(post));
          fresh += 1;
        }
        loaded += fresh;
        next = page.nextCursor;
        if (older) break; // one page a click
        if (count ? loaded >= count || !fresh : fresh < items.length) break; // reached what is shown
      }
    } catch (error) {
      button.disabled = false;
      button.textContent = `Could not load them (${error.message}): try again`;
      return;
    }
    if (older && next) item.replaceWith(this.marker(next, null, { older: true }));
    else item.remove();
  }

  async fetchSince() {
    const query = this.since ? `?since=${encodeURIComponent(this.since)}` : "";
    const page = await api(`${this.path}${query}`);
    if (page.sinceCursor) this.since = page.sinceCursor;
    const items = page.items || [];
    // Newest first: insert oldest first at the top so the newest ends up first.
    for (const post of [...items].reverse()) this.add(post, { atTop: true });
    return items.length;
  }

  poll() {
    if (this.stopped) return;
    setLiveMode("polling every 2 s");
    const tick = async () => {
      if (this.stopped) return;
      try {
        // Many new posts arrive in pages: repeat until a page comes back empty.
        for (let i = 0; i < 5 && (await this.fetchSince()) > 0; i += 1);
      } catch (error) {
        setLiveMode(`polling (last attempt failed: ${error.message})`);
      }
      this.timer = setTimeout(tick, POLL_MS);
    };
    this.timer = setTimeout(tick, POLL_MS);
  }

  add(post, { atTop }) {
    if (!post || !post.id || this.seen.has(post.id)) return;
    this.seen.add(post.id);
    const item = renderPost(post);
    const empty = this.list.querySelector(".empty");
    if (empty) empty.remove();
    if (atTop) this.list.prepend(item);
    else this.list.append(item);
  }

  renderEmpty() {
    if (!this.list.children.length) this.list.append(el("li", { class: "empty", text: "No posts yet." }));
  }
}

function setLiveMode(text) {
  document.getElementById("live-mode").textContent = text;
}

function renderPost(post) {
  const author = (post.author && (post.author.displayName || post.author.id)) || "someone";
  return el(
    "li",
    { class: "post", "data-post-id": post.id },
    el("p", { class: "meta" }, el("span", { class: "author", text: author }), " · ", timeEl(post.createdAt, { timeStyle: "short" })),
    el("p", { class: "text", text: post.text || "" }),
  );
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------
async function showEvents(view) {
  const page = await api("/events");
  const items = page.items || [];
  view.append(el("h1", { text: "Events" }));
  if (!items.length) {
    view.append(el("p", { text: "No current or upcoming public events." }));
    return;
  }
  const list = el("ul", { class: "cards", id: "events" });
  for (const event of items) {
    list.append(
      el(
        "li",
        { class: "card" },
        el("h2", {}, el("a", { href: `#/events/${encodeURIComponent(event.id)}`, text: event.name })),
        el("p", { class: "meta", text: `#${event.hashtag} · ${event.startsOn} to ${event.endsOn}` }),
        event.description ? el("p", { text: event.description }) : null,
      ),
    );
  }
  view.append(list);
}

function renderSessions(sessions) {
  const list = el("ol", { class: "sessions", id: "sessions" });
  for (const session of sessions) {
    const live = isLive(session);
    const item = el(
      "li",
      { class: live ? "session live" : "session", "data-session-id": session.id, "aria-current": live ? "time" : null },
      el("h3", {}, el("a", { href: `#/sessions/${encodeURIComponent(session.id)}`, text: session.title })),
      live ? el("strong", { class: "badge", text: "Live now" }) : null,
      el(
        "p",
        { class: "meta" },
        timeEl(session.startsAt, { weekday: "short", hour: "2-digit", minute: "2-digit" }),
        "–",
        timeEl(session.endsAt, { hour: "2-digit", minute: "2-digit" }),
        session.room ? ` · ${session.room}` : "",
        session.speakers && session.speakers.length ? ` · ${session.speakers.map((s) => s.name).join(", ")}` : "",
      ),
    );
    list.append(item);
  }
  return list;
}

function feedSection(title) {
  const list = el("ol", { class: "feed", id: "feed", "aria-live": "polite", "aria-relevant": "additions", "aria-label": title });
  return { section: el("section", { "aria-labelledby": "feed-heading" }, el("h2", { id: "feed-heading", text: title }), list), list };
}

async function showEvent(view, eventId) {
  const [event, sessions] = await Promise.all([
    api(`/events/${encodeURIComponent(eventId)}`),
    api(`/events/${encodeURIComponent(eventId)}/sessions`),
  ]);
  state.eventId = event.id;
  document.title = `${event.name} · Backchannel`;
  view.append(
    el("h1", { text: event.name }),
    el("p", { class: "meta", text: `#${event.hashtag} · ${event.startsOn} to ${event.endsOn} · ${event.timezone}` }),
    event.description ? el("p", { text: event.description }) : null,
  );
  const items = sessions.items || [];
  const live = items.filter((s) => isLive(s));
  view.append(
    el(
      "section",
      { "aria-labelledby": "sessions-heading" },
      el("h2", { id: "sessions-heading", text: "Sessions" }),
      el("p", { class: "meta", text: live.length ? `Live now: ${live.map((s) => s.title).join(", ")}` : "No session is live right now." }),
      items.length ? renderSessions(items) : el("p", { text: "No sessions yet." }),
    ),
  );
  const { section, list } = feedSection("Live feed");
  view.append(section);
  state.feed = new LiveFeed({ eventId: event.id, list });
  await state.feed.start();
}

async function showSession(view, sessionId) {
  const id = encodeURIComponent(sessionId);
  const session = await api(`/sessions/${id}`);
  state.eventId = session.eventId;
  state.sessionId = session.id;
  document.title = `${session.title} · Backchannel`;
  const live = isLive(session);
  view.append(
    el("p", {}, el("a", { href: `#/events/${encodeURIComponent(session.eventId)}`, text: "← Back to the event" })),
    el("h1", { text: session.title }),
    live ? el("strong", { class: "badge", text: "Live now" }) : null,
    el(
      "p",
      { class: "meta" },
      timeEl(session.startsAt),
      "–",
      timeEl(session.endsAt, { timeStyle: "short" }),
      session.room ? ` · ${session.room}` : "",
      session.speakers && session.speakers.length ? ` · ${session.speakers.map((s) => s.name).join(", ")}` : "",
    ),
    session.abstract ? el("p", { text: session.abstract }) : null,
  );

  const questions = el("section", { "aria-labelledby": "questions-heading" }, el("h2", { id: "questions-heading", text: "Questions" }));
  const summary = el("section", { "aria-labelledby": "summary-heading" }, el("h2", { id: "summary-heading", text: "Summary" }));
  const notes = el("section", { "aria-labelledby": "notes-heading" }, el("h2", { id: "notes-heading", text: "Public notes" }));
  const { section, list } = feedSection("Posts in this session");
  view.append(questions, summary, notes, section);

  await Promise.all([
    loadQuestions(questions, id),
    loadSummary(summary, id),
    loadNotes(notes, id),
    (state.feed = new LiveFeed({ eventId: session.eventId, sessionId: session.id, list })).start(),
  ]);
}

async function loadQuestions(section, id) {
  const page = await api(`/sessions/${id}/questions?sort=top`);
  const items = page.items || [];
  if (!items.length) {
    section.append(el("p", { text: "No questions yet." }));
    return;
  }
  const list = el("ol", { class: "questions", id: "questions" });
  for (const question of items) {
    const votes = Number(question.votes || 0);
    const count = el("span", { class: "votes", text: `${votes} ${votes === 1 ? "vote" : "votes"}` });
    const button = token()
      ? el("button", {
          type: "button",
          class: "vote",
          text: question.voted ? "Voted" : "Vote",
          disabled: question.voted || null,
          "aria-label": `Vote for: ${question.text}`,
          onclick: async (event) => {
            event.currentTarget.disabled = true;
            try {
              await api(`/questions/${encodeURIComponent(question.id)}/votes`, { method: "POST", body: {} });
              count.textContent = `${votes + 1} ${votes + 1 === 1 ? "vote" : "votes"}`;
              event.currentTarget.textContent = "Voted";
            } catch (error) {
              setStatus(`Vote failed: ${error.message}`);
              event.currentTarget.disabled = false;
            }
          },
        })
      : null;
    list.append(
      el(
        "li",
        { class: "question" },
        el("p", { class: "text", text: question.text }),
        el("p", { class: "meta" }, count, question.answered ? " · answered" : "", " ", button),
      ),
    );
  }
  section.append(list);
}

async function loadSummary(section, id) {
  try {
    const summary = await api(`/sessions/${id}/summary`);
    section.append(
      el("p", { class: "meta" }, "Published ", timeEl(summary.publishedAt), ` · version ${summary.version}`),
      // Markdown shown as text (never parsed into HTML): safe, and readable as it is.
      el("div", { class: "markdown", text: summary.body }),
    );
  } catch (error) {
    if (error.status !== 404) throw error;
    section.append(el("p", { text: "No summary has been published yet." }));
  }
}

async function loadNotes(section, id) {
  const page = await api(`/sessions/${id}/notes`);
  const items = (page.items || []).filter((note) => !note.visibility || note.visibility === "public" || token());
  if (!items.length) {
    section.append(el("p", { text: "No public notes yet." }));
    return;
  }
  const list = el("ul", { class: "notes" });
  for (const note of items) {
    const author = (note.author && (note.author.displayName || note.author.id)) || "";
    list.append(
      el(
        "li",
        { class: "note" },
        el("h3", { text: note.title || "Untitled note" }),
        el("p", { class: "meta" }, author ? `${author} · ` : "", timeEl(note.updatedAt || note.createdAt)),
        el("div", { class: "markdown", text: note.body || "" }),
      ),
    );
  }
  section.append(list);
}

// ---------------------------------------------------------------------------------------------
// Router
// ---------------------------------------------------------------------------------------------
async function route() {
  if (location.hash === "#member" || location.hash === "#main") return;
  if (state.feed) state.feed.stop();
  state.feed = null;
  state.eventId = null;
  state.sessionId = null;
  const view = document.getElementById("view");
  view.replaceChildren();
  document.title = "Backchannel: follow live";
  const [, kind, id] = (location.hash.replace(/^#/, "") || "/").split("/");
  setStatus("Loading…");
  try {
    if (kind === "events" && id) await showEvent(view, decodeURIComponent(id));
    else if (kind === "sessions" && id) await showSession(view, decodeURIComponent(id));
    else await showEvents(view);
    setStatus("");
  } catch (error) {
    setStatus(error.status === 404 ? "Not found (or not public)." : `Could not load this page: ${error.message}`);
  }
  updatePostForm();
  // After a navigation (not the first load), move focus to the new page's heading for screen readers.
  const heading = view.querySelector("h1");
  if (heading && state.routed) {
    heading.tabIndex = -1;
    heading.focus();
  }
  state.routed = true;
}

// ---------------------------------------------------------------------------------------------
// Member tools: a token in sessionStorage, a post form on event and session pages
// ---------------------------------------------------------------------------------------------
function updatePostForm() {
  const form = document.getElementById("post-form");
  form.hidden = !(token() && state.eventId);
  document.getElementById("token-state").textContent = token() ? "A token is saved for this tab." : "No token saved: read only.";
}

function setUpMemberTools() {
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = document.getElementById("token-input").value.trim().replace(/^Bearer\s+/i, "");
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    document.getElementById("token-input").value = "";
    updatePostForm();
  });
  document.getElementById("token-clear").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    updatePostForm();
  });
  document.getElementById("post-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = document.getElementById("post-text");
    const stateLine = document.getElementById("post-state");
    const body = { text: text.value };
    if (state.sessionId) body.sessionId = state.sessionId;
    try {
      const post = await api(`/events/${encodeURIComponent(state.eventId)}/posts`, { method: "POST", body });
      text.value = "";
      stateLine.textContent = "Posted.";
      if (state.feed) state.feed.add(post, { atTop: true });
    } catch (error) {
      stateLine.textContent = `Not posted: ${error.message}`;
    }
  });
}

async function loadConfig() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) {
      const config = await response.json();
      state.apiUrl = String(config.ApiUrl || "").replace(/\/$/, "");
      state.wsUrl = String(config.WebSocketUrl || "");
    }
  } catch {
    // No config: assume the API is on this origin (as with the local gateway).
  }
  if (!state.apiUrl) state.apiUrl = location.origin;
}

async function main() {
  await loadConfig();
  setUpMemberTools();
  window.addEventListener("hashchange", route);
  await route();
}

main();
