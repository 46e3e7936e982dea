// #/me: your profile, packs, inbox, follows, blocks and channels. #/members/<handle>: a member, to
// follow or block.
import { api, apiUrl } from "../api.js";
import { signedIn } from "../state.js";
import { announce, apiForm, append, button, el, field, progressEl, section, timeEl } from "../ui.js";
import { download, packCard } from "./packs.js";

function removable(text, onRemove, label) {
  const item = el("li", {}, el("span", { text }), " ");
  item.append(
    button("Remove", async (event) => {
      event.target.closest("button").disabled = true;
      try {
        await onRemove();
        item.remove();
        announce(`${label} removed.`);
      } catch (error) {
        announce(`Not removed: ${error.message}`);
        event.target.closest("button").disabled = false;
      }
    }, { class: "secondary small", "aria-label": `Remove ${label}` }),
  );
  return item;
}

async function inbox() {
  const page = await api("/me/inbox");
  const items = page.items || [];
  if (!items.length) return el("p", { text: "Nothing yet: packs from people and events you follow arrive here." });
  return el(
    "ul",
    { class: "cards inbox", id: "inbox" },
    items.map((entry) => {
      const line = el("p", { class: "form-state", role: "status" });
      return el(
        "li",
        { class: "card" },
        el("h3", { text: entry.title }),
        el("p", { class: "meta" }, entry.from ? `From ${entry.from} · ` : "", timeEl(entry.receivedAt), ` · ${entry.available}`),
        entry.available === "yes"
          ? el("div", { class: "row" }, ["html", "epub", "md"].map((format) => button(`Download ${format.toUpperCase()}`, async () => {
              try {
                await download(`/me/inbox/${encodeURIComponent(entry.id)}/download`, format);
              } catch (error) {
                line.textContent = `Could not download: ${error.message}`;
              }
            }, { class: "secondary" })))
          : null,
        line,
      );
    }),
  );
}

async function follows() {
  const page = await api("/me/follows");
  const items = page.items || [];
  const list = el("ul", { class: "follows", id: "follows" }, items.map((f) => removable(`${f.type}: ${f.targetId}`, () => api(`/me/follows/${encodeURIComponent(f.id)}`, { method: "DELETE" }), `follow of ${f.targetId}`)));
  const form = apiForm({
    id: "follow-form",
    label: "Follow someone",
    fields: [field("Member handle to follow (e.g. alice)", { name: "handle", autocomplete: "off" })],
    submitText: "Follow",
    submit: async (values) => {
      const profile = await api(`/members/${encodeURIComponent(values.handle.replace(/^@/, ""))}`);
      const follow = await api("/me/follows", { method: "POST", body: { type: "member", id: profile.id } });
      list.append(removable(`member: ${profile.handle || profile.id}`, () => api(`/me/follows/${encodeURIComponent(follow.id)}`, { method: "DELETE" }), `follow of ${profile.handle}`));
      return follow;
    },
    done: "Following.",
  });
  return el("div", {}, items.length ? null : el("p", { text: "You follow nobody yet." }), list, form);
}

async function blocks() {
  const page = await api("/me/blocks");
  const items = page.items || [];
  const list = el("ul", { class: "blocks", id: "blocks" }, items.map((b) => removable(b.memberId, () => api(`/me/blocks/${encodeURIComponent(b.memberId)}`, { method: "DELETE" }), `block of ${b.memberId}`)));
  return el("div", {}, items.length ? null : el("p", { text: "You block nobody." }), list, el("p", { class: "hint", text: "Block someone from their profile (#/members/<handle>)." }));
}

function channelText(channel) {
  const where = channel.address || channel.url || channel.instanceUrl || channel.feedUrl || "";
  return `${channel.type}${where ? `: ${where}` : ""} · ${channel.status}${channel.mode ? ` · ${channel.mode}` : ""}`;
}

async function channels() {
  const page = await api("/me/channels");
  const items = page.items || page.channels || [];
  const list = el("ul", { class: "channels", id: "channels" });
  const show = (channel) => {
    const item = channel.type === "inbox" ? el("li", { text: "Inbox (always on)" }) : removable(channelText(channel), () => api(`/me/channels/${encodeURIComponent(channel.id)}`, { method: "DELETE" }), `${channel.type} channel`);
    if (channel.type === "feed" && channel.feedUrl) item.append(el("p", {}, "Private feed: ", el("a", { href: channel.feedUrl.startsWith("http") ? channel.feedUrl : apiUrl(channel.feedUrl), text: "subscribe (keep this link to yourself)" })));
    if (channel.secret) item.append(el("p", { class: "hint", text: `Signing secret (shown once): ${channel.secret}` }));
    if (channel.type === "email" && channel.status === "pending") {
      item.append(
        apiForm({
          id: `verify-${channel.id}`,
          label: "Confirm the email address",
          fields: [field("Code from the mail we sent", { name: "code", autocomplete: "one-time-code", inputmode: "numeric" })],
          submitText: "Confirm",
          submit: (values) => api(`/me/channels/${encodeURIComponent(channel.id)}/verification`, { method: "POST", body: { code: values.code.trim() } }),
          done: "Confirmed: packs will come by email.",
        }),
      );
    }
    list.append(item);
  };
  items.forEach(show);
  const kind = field("Kind", { name: "type", options: [["email", "Email"], ["webhook", "Webhook"], ["mastodon", "Mastodon"], ["feed", "Private Atom feed"]], id: "channel-type" });
  const form = apiForm({
    id: "channel-form",
    label: "Add a channel",
    fields: [
      kind,
      field("Email address", { name: "address", type: "email", autocomplete: "email" }),
      field("Webhook URL", { name: "url", type: "url" }),
      field("Mastodon instance URL", { name: "instanceUrl", type: "url" }),
      field("Mastodon access token", { name: "accessToken", type: "password", autocomplete: "off" }),
      field("When", { name: "mode", options: [["immediate", "As they come"], ["digest", "A daily digest"]] }),
    ],
    submitText: "Add the channel",
    submit: async (values) => {
      const wanted = { email: ["address", "mode"], webhook: ["url", "mode"], mastodon: ["instanceUrl", "accessToken"], feed: [] }[values.type];
      const body = { type: values.type };
      for (const name of wanted) if (values[name]) body[name] = values[name];
      const channel = await api("/me/channels", { method: "POST", body });
      show(channel);
      return channel;
    },
    done: (channel) => (channel.type === "email" ? "Added: enter the code we mailed you." : "Added."),
  });
  const toggle = () => {
    const type = form.querySelector("select[name=type]").value;
    const wanted = { email: ["address", "mode"], webhook: ["url", "mode"], mastodon: ["instanceUrl", "accessToken"], feed: [] }[type];
    for (const wrapper of form.querySelectorAll("[data-field]")) {
      const name = wrapper.dataset.field;
      if (name !== "type") wrapper.hidden = !wanted.includes(name);
    }
  };
  form.querySelector("select[name=type]").addEventListener("change", toggle);
  toggle();
  return el("div", {}, list, form);
}

async function profile() {
  const me = await api("/me");
  return apiForm({
    id: "profile-form",
    label: "Your profile",
    fields: [
      field("Display name", { name: "displayName", value: me.displayName || "", autocomplete: "name" }),
      field("Handle (others find and follow you by it)", { name: "handle", value: me.handle || "", autocomplete: "username" }),
      field("Bio", { name: "bio", type: "textarea", rows: 2, value: me.bio || "" }),
      field("Let organisers' packs include what I shared", { name: "packConsent", type: "checkbox", value: me.packConsent !== false }),
    ],
    submitText: "Save the profile",
    submit: (values) => api("/me", { method: "PATCH", body: { ...values, handle: values.handle || null, bio: values.bio || null } }),
    done: "Saved.",
  });
}

// "Download my data": POST /me/export, then its progress until the zip's link (valid for an hour).
function yourData() {
  const progress = progressEl("Preparing your data");
  const out = el("div", { class: "export-state" });
  const poll = async (id) => {
    const found = await api(`/me/exports/${id}`);
    if (found.status === "building") {
      progress.set(found.progress, `Preparing: ${found.progress}%`);
      setTimeout(() => poll(id).catch((error) => out.replaceChildren(el("p", { class: "form-error", text: error.message }))), 2000);
    } else if (found.status === "ready") {
      out.replaceChildren(el("p", {}, el("a", { href: found.url, download: "backchannel-export.zip", text: "Download the zip" }), " (the link works until ", timeEl(found.expiresAt, { timeStyle: "short" }), ")"));
      announce("Your data is ready to download.");
    } else {
      out.replaceChildren(el("p", { class: "form-error", text: `The export failed: ${found.error || "ask again"}` }));
    }
  };
  const start = button("Download my data", async (event) => {
    event.target.closest("button").disabled = true;
    try {
      const made = await api("/me/export", { method: "POST" });
      out.replaceChildren(progress.node);
      await poll(made.id);
    } catch (error) {
      out.replaceChildren(el("p", { class: "form-error", text: `Not started: ${error.message}` }));
    } finally {
      event.target.closest("button").disabled = false;
    }
  });
  return el("div", {}, el("p", { text: "Everything of yours (profile, posts, notes, questions, follows, channels without their secrets, inbox, packs) as JSON and Markdown in a zip." }), start, out);
}

async function packs() {
  const page = await api("/me/packs");
  const items = page.items || [];
  if (!items.length) return el("p", { text: "No packs yet: build one from an event you joined." });
  return el("ul", { class: "cards packs", id: "my-packs" }, items.map((pack) => packCard(pack)));
}

export async function showMe(view) {
  append(view, el("h1", { text: "My Backchannel" }));
  if (!signedIn()) {
    append(view, el("p", {}, "Sign in first: ", el("a", { href: "#account", text: "Account" }), "."));
    return;
  }
  const parts = [
    ["inbox-section", "Inbox", inbox],
    ["packs-section", "My packs", packs],
    ["follows-section", "Following", follows],
    ["channels-section", "Channels: how packs reach me", channels],
    ["blocks-section", "Blocked", blocks],
    ["profile-section", "Profile", profile],
    ["data-section", "Your data", async () => yourData()],
  ];
  const sections = parts.map(([id, title]) => section(id, title));
  append(view, ...sections);
  await Promise.all(
    parts.map(async ([, , load], i) => {
      try {
        sections[i].append(await load());
      } catch (error) {
        sections[i].append(el("p", { class: "form-error", text: `Could not load: ${error.message}` }));
      }
    }),
  );
}

export async function showMember(view, handle) {
  const profile = await api(`/members/${encodeURIComponent(handle)}`);
  document.title = `${profile.displayName || profile.handle} · Backchannel`;
  append(view, 
    el("h1", { text: profile.displayName || profile.handle }),
    el("p", { class: "meta", text: `@${profile.handle} · ${profile.followers} followers · following ${profile.following}` }),
    profile.bio ? el("p", { text: profile.bio }) : null,
  );
  if (!signedIn()) return;
  const line = el("p", { class: "form-state", role: "status" });
  append(view, 
    el(
      "div",
      { class: "row" },
      button(profile.followedByYou ? "Following" : "Follow", async (e) => {
        await api("/me/follows", { method: "POST", body: { type: "member", id: profile.id } }).then(() => {
          e.target.textContent = "Following";
          line.textContent = "You follow them: their packs come to your channels.";
        }, (error) => (line.textContent = error.message));
      }, { id: "follow-member" }),
      button(profile.blockedByYou ? "Blocked" : "Block", async (e) => {
        await api("/me/blocks", { method: "POST", body: { memberId: profile.id } }).then(() => {
          e.target.textContent = "Blocked";
          line.textContent = "Blocked: they are hidden from you.";
        }, (error) => (line.textContent = error.message));
      }, { class: "secondary", id: "block-member" }),
    ),
    line,
  );
}
