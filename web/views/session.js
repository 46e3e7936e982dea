// #/sessions/<id>: a session for attendees and remote members (questions to ask and vote on, the
// summary, notes, posts, shared links), live; for the event's organisers, Q&A moderation, the
// summary editor and the session's packs.
import { api } from "../api.js";
import { LiveFeed } from "../live.js";
import { entries, onSent, write } from "../outbox.js";
import { renderMarkdown } from "../markdown.js";
import { rolesFor, signedIn, starred, state } from "../state.js";
import { announce, append, button, clearErrors, el, field, isLive, newId, section, showErrors, timeEl, timeRange } from "../ui.js";
import { postForm } from "./compose.js";
import { feedSection, resources, starButton } from "./event.js";
import { notesSection } from "./notes.js";
import { organiserSessionTools, summaryEditor } from "./organiser.js";

function questionItem(question, { canVote, organiser, reload, pending = false }) {
  const votes = Number(question.votes || 0);
  const count = el("span", { class: "votes", text: `${votes} ${votes === 1 ? "vote" : "votes"}` });
  const tools = [];
  if (canVote && !pending && question.status !== "hidden") {
    tools.push(
      el("button", {
        type: "button",
        class: "vote",
        text: question.voted ? "Voted" : "Vote",
        disabled: question.voted || null,
        "aria-label": `Vote for: ${question.text}`,
        onclick: async (event) => {
          const target = event.target.closest("button");
          target.disabled = true;
          try {
            const result = await write({ path: `/questions/${encodeURIComponent(question.id)}/votes`, body: {}, kind: "vote", label: `Vote: ${question.text.slice(0, 40)}`, context: { sessionId: question.sessionId } });
            count.textContent = `${votes + 1} ${votes + 1 === 1 ? "vote" : "votes"}`;
            target.textContent = result.queued ? "Vote waiting to send" : "Voted";
          } catch (error) {
            announce(`Vote failed: ${error.message}`);
            target.disabled = false;
          }
        },
      }),
    );
  }
  if (organiser && !pending) {
    const patch = (body, done) => async (event) => {
      event.target.closest("button").disabled = true;
      try {
        await api(`/questions/${encodeURIComponent(question.id)}`, { method: "PATCH", body });
        announce(done);
        reload();
      } catch (error) {
        announce(`Could not change it: ${error.message}`);
        event.target.closest("button").disabled = false;
      }
    };
    if (question.status !== "approved") tools.push(button("Approve", patch({ status: "approved" }, "Approved."), { class: "secondary approve", "aria-label": `Approve: ${question.text}` }));
    if (question.status !== "hidden") tools.push(button("Hide", patch({ status: "hidden" }, "Hidden."), { class: "secondary hide", "aria-label": `Hide: ${question.text}` }));
    if (!question.answered) tools.push(button("Mark answered", patch({ answered: true }, "Marked answered."), { class: "secondary answered", "aria-label": `Mark answered: ${question.text}` }));
  }
  const status = pending ? "waiting to send" : question.status && question.status !== "approved" ? question.status : "";
  return el(
    "li",
    { class: `question${pending ? " pending" : ""}${question.status ? ` ${question.status}` : ""}`, "data-question-id": question.id },
    el("p", { class: "text", text: question.text }),
    el("p", { class: "meta" }, count, question.answered ? " · answered" : "", status ? ` · ${status}` : "", question.asker && question.asker.displayName ? ` · ${question.asker.displayName}` : ""),
    tools.length ? el("div", { class: "row" }, tools) : null,
  );
}

function askForm(sessionId, onQueued) {
  const form = el(
    "form",
    { id: "ask-form", "aria-label": "Ask a question", novalidate: true },
    field("Your question", { name: "text", type: "textarea", rows: 2, maxlength: 500, id: "ask-text" }),
    field("Ask anonymously", { name: "anonymous", type: "checkbox", id: "ask-anonymous" }),
    el("div", { class: "row" }, el("button", { type: "submit", text: "Ask" })),
    el("p", { class: "form-state", role: "status" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const text = form.querySelector("textarea").value.trim();
    const line = form.querySelector(".form-state");
    if (!text) {
      showErrors(form, { message: "Write your question first.", problem: { errors: [{ field: "text", message: "Write your question first." }] } });
      return;
    }
    const body = { id: newId(), text, anonymous: form.querySelector("input[name=anonymous]").checked };
    try {
      const result = await write({ path: `/sessions/${encodeURIComponent(sessionId)}/questions`, body, kind: "question", label: `Question: ${text.slice(0, 60)}`, context: { sessionId } });
      form.querySelector("textarea").value = "";
      line.textContent = result.queued ? "Saved on this device: it will be sent when the network is back." : result.data && result.data.status === "pending" ? "Asked: it shows once a moderator approves it." : "Asked.";
      announce(line.textContent);
      onQueued();
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}

async function loadQuestions(container, sessionId, options) {
  const page = await api(`/sessions/${encodeURIComponent(sessionId)}/questions?sort=top`);
  const items = page.items || [];
  const waiting = (await entries()).filter((e) => e.kind === "question" && e.context && e.context.sessionId === sessionId);
  const list = el("ol", { class: "questions", id: "questions" });
  for (const entry of waiting) if (!items.some((q) => q.id === entry.id)) list.append(questionItem({ id: entry.id, text: entry.body.text, votes: 0 }, { ...options, pending: true }));
  for (const question of items) list.append(questionItem(question, options));
  container.replaceChildren(list.children.length ? list : el("p", { id: "no-questions", text: "No questions yet." }));
}

async function loadSummary(container, sessionId) {
  try {
    const summary = await api(`/sessions/${encodeURIComponent(sessionId)}/summary`);
    container.replaceChildren(
      el("p", { class: "meta" }, "Published ", timeEl(summary.publishedAt), ` · version ${summary.version}`),
      el("div", { class: "summary-body", id: "summary-body" }, renderMarkdown(summary.body)),
    );
    return summary.version;
  } catch (error) {
    if (error.status !== 404 && !error.offline) throw error;
    container.replaceChildren(el("p", { text: error.offline ? "Offline: the summary was not seen on this device yet." : "No summary has been published yet." }));
    return 0;
  }
}

export async function showSession(view, sessionId) {
  const id = encodeURIComponent(sessionId);
  const session = await api(`/sessions/${id}`);
  const [event, roles] = await Promise.all([api(`/events/${encodeURIComponent(session.eventId)}`).catch(() => null), rolesFor(session.eventId)]);
  state.eventId = session.eventId;
  state.sessionId = session.id;
  document.title = `${session.title} · Backchannel`;
  const organiser = roles.includes("organiser");
  const member = signedIn();
  const zone = event && event.timezone;
  append(view, 
    el("p", {}, el("a", { href: `#/events/${encodeURIComponent(session.eventId)}`, text: `← ${event ? event.name : "Back to the event"}` })),
    el("h1", { text: session.title }),
    isLive(session) ? el("strong", { class: "badge", text: "Live now" }) : null,
    el(
      "p",
      { class: "meta" },
      timeRange(session.startsAt, session.endsAt, zone),
      session.room ? ` · ${session.room}` : "",
      session.speakers && session.speakers.length ? ` · ${session.speakers.map((s) => s.name).join(", ")}` : "",
    ),
    member ? starButton(session, (await starred()).has(session.id)) : null,
    session.abstract ? el("p", { text: session.abstract }) : null,
  );

  const questionsBox = el("div", { class: "questions-box" });
  const options = { canVote: member, organiser, reload: () => loadQuestions(questionsBox, session.id, options).catch(() => {}) };
  const questions = section("questions", "Questions", member ? askForm(session.id, options.reload) : null, questionsBox);
  const summaryBox = el("div", { class: "summary-box" });
  const summary = section("summary", "Summary", summaryBox);
  const notes = section("notes", member ? "Notes" : "Public notes");
  const { section: feed, list } = feedSection("Posts in this session");
  const res = section("session-resources", "Shared links and papers");
  append(view, questions, summary, notes);
  if (member) append(view, section("write", "Post", postForm({ eventId: session.eventId, sessionId: session.id })));
  append(view, feed, res);
  const tools = el("div", { class: "organiser-tools" });
  append(view, tools);

  let summaryVersion = 0;
  let polls = 0;
  const refreshSummary = async () => {
    const version = await loadSummary(summaryBox, session.id);
    if (summaryVersion && version !== summaryVersion) announce("The session's summary was published.");
    summaryVersion = version;
  };
  state.feed = new LiveFeed({
    eventId: session.eventId,
    sessionId: session.id,
    list,
    onMessage: (message) => {
      if (message.type === "summary.published") refreshSummary().catch(() => {});
      else if (message.type === "subscribed") {
        // Live from now on: read again what may have changed while the subscription was made.
        refreshSummary().catch(() => {});
        options.reload();
      }
      else if (String(message.type).startsWith("question.")) options.reload();
      else if (message.type === "poll" && (polls += 1) % 3 === 0) {
        refreshSummary().catch(() => {});
        options.reload();
      }
    },
  });
  const stop = onSent((entry) => {
    if (!view.isConnected) return stop();
    if (entry.kind === "question" && entry.context && entry.context.sessionId === session.id) options.reload();
  });
  state.cleanup.push(stop);
  await Promise.all([
    organiser ? summaryEditor(session).then((node) => append(summary, node)) : null,
    organiser ? organiserSessionTools(session, event).then((node) => tools.replaceWith(node)) : null,
    loadQuestions(questionsBox, session.id, options),
    refreshSummary(),
    notesSection(notes, session.id, { canWrite: member && roles.length > 0 }),
    state.feed.start(),
    resources(`/sessions/${id}/resources`).then((node) => res.append(node)),
  ]);
  for (const entry of await entries()) {
    if (entry.kind === "post" && entry.context && entry.context.sessionId === session.id) state.feed.addPending({ id: entry.body.id, text: entry.body.text });
  }
}
