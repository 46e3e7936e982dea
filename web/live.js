// Live feed of an event or a session: the first page, then WebSocket push (when the stack has one)
// with polling as the fallback. Push messages other than posts (questions, summaries) go to
// `onMessage`, so a screen can refresh what they concern.
import { api, config } from "./api.js";
import { accessToken } from "./auth.js";
import { el, timeEl } from "./ui.js";

const POLL_MS = 2000;

export function setLiveMode(text) {
  const node = document.getElementById("live-mode");
  if (node) node.textContent = text;
}

export function renderPost(post, { pending = false } = {}) {
  const author = (post.author && (post.author.displayName || post.author.id)) || "you";
  return el(
    "li",
    { class: pending ? "post pending" : "post", "data-post-id": post.id },
    el(
      "p",
      { class: "meta" },
      el("span", { class: "author", text: author }),
      " · ",
      pending ? el("span", { class: "waiting", text: "waiting to send" }) : timeEl(post.createdAt, { timeStyle: "short" }),
    ),
    post.inReplyTo ? replyLine(post.inReplyTo) : null,
    // A content warning comes first; the text stays collapsed behind it until the reader opens it.
    post.contentWarning
      ? el("details", { class: "cw" }, el("summary", { text: `CW: ${post.contentWarning}` }), el("p", { class: "text", text: post.text || "" }))
      : el("p", { class: "text", text: post.text || "" }),
  );
}

// What a reply answers: the parent's author once known, or "a removed post" when the parent is gone
// (deleted, hidden or erased: GET /posts/{id} says 404), so a conversation stays readable.
const parents = new Map(); // post id -> Promise of the author's name, or null when removed

function parentAuthor(id) {
  if (!parents.has(id)) {
    const found = api(`/posts/${encodeURIComponent(id)}`).then(
      (post) => (post.author && (post.author.displayName || post.author.id)) || "a post",
      (error) => (error.status === 404 ? null : "a post"),
    );
    parents.set(id, found);
  }
  return parents.get(id);
}

function replyLine(parentId) {
  const line = el("p", { class: "reply-to meta", text: "In reply to a post" });
  parentAuthor(parentId).then((author) => {
    line.textContent = author === null ? "In reply to a removed post" : `In reply to ${author}`;
    if (author === null) line.classList.add("removed");
  });
  return line;
}

export class LiveFeed {
  constructor({ eventId, sessionId, list, onMessage }) {
    this.eventId = eventId;
    this.sessionId = sessionId;
    this.list = list;
    this.onOther = onMessage || (() => {});
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
    for (const post of page.items || []) this.add(post, { atTop: false });
    if (page.nextCursor) this.list.append(this.marker(page.nextCursor, null, { older: true }));
    this.renderEmpty();
    if (config.wsUrl && "WebSocket" in window) await this.connect();
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

  async connect() {
    let opened = false;
    try {
      const url = new URL(config.wsUrl);
      const token = await accessToken().catch(() => null);
      if (token) url.searchParams.set("token", token);
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
      this.catchUp().catch(() => {});
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
    } else if ((data.type === "post.deleted" || data.type === "post.hidden") && data.post && data.post.id) {
      const item = this.list.querySelector(`[data-post-id="${CSS.escape(data.post.id)}"]`);
      if (item) item.remove();
    } else {
      this.onOther(data);
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
    for (const post of [...items].reverse()) this.add(post, { atTop: true });
    return items.length;
  }

  poll() {
    if (this.stopped) return;
    setLiveMode("polling every 2 s");
    const tick = async () => {
      if (this.stopped) return;
      try {
        for (let i = 0; i < 5 && (await this.fetchSince()) > 0; i += 1);
        this.onOther({ type: "poll" });
      } catch (error) {
        setLiveMode(`polling (last attempt failed: ${error.message})`);
      }
      this.timer = setTimeout(tick, POLL_MS);
    };
    this.timer = setTimeout(tick, POLL_MS);
  }

  // A post written here and not yet sent: shown at the top, marked, replaced when it is sent.
  addPending(post) {
    const empty = this.list.querySelector(".empty");
    if (empty) empty.remove();
    if (!this.list.querySelector(`[data-post-id="${CSS.escape(post.id)}"]`)) this.list.prepend(renderPost(post, { pending: true }));
  }

  add(post, { atTop }) {
    if (!post || !post.id) return;
    const pending = this.list.querySelector(`li.pending[data-post-id="${CSS.escape(post.id)}"]`);
    if (pending) {
      pending.replaceWith(renderPost(post));
      this.seen.add(post.id);
      return;
    }
    if (this.seen.has(post.id)) return;
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
