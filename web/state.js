// What every screen needs to know about the viewer: signed in or not, organiser or not, the events
// they attend or organise, the sessions they starred (kept on this device: the API has no read of
// stars), and the live feed of the screen shown.
import { api } from "./api.js";
import { currentUser, accessToken } from "./auth.js";
import { kvGet, kvSet } from "./idb.js";

export const state = { feed: null, eventId: null, sessionId: null, routed: false, myEvents: null, starred: null, cleanup: [] };

// The signed-in member ({id, username, ...}) or null; `id` is the member id (the token's sub).
export function user() {
  const current = currentUser();
  return current ? { ...current, id: current.sub || current.id } : null;
}

export function signedIn() {
  return Boolean(currentUser());
}

function tokenGroups(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part))["cognito:groups"] || [];
  } catch {
    return [];
  }
}

// May create events: a member of the user pool's "organisers" group.
export async function organiserGroup() {
  const current = currentUser();
  if (!current) return false;
  if (typeof current.organiser === "boolean") return current.organiser;
  const token = await accessToken();
  return Boolean(token) && tokenGroups(token).includes("organisers");
}

// eventId -> roles (["organiser"], ["attendee"]) of the signed-in member; {} when signed out.
export async function myEvents({ fresh = false } = {}) {
  if (!signedIn()) return {};
  if (state.myEvents && !fresh) return state.myEvents;
  const roles = {};
  try {
    let cursor = "";
    for (let i = 0; i < 10; i += 1) {
      const page = await api(`/me/events${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
      for (const item of page.items || []) roles[item.event.id] = { roles: item.roles || [], event: item.event };
      cursor = page.nextCursor;
      if (!cursor) break;
    }
  } catch (error) {
    if (!error.offline) throw error;
  }
  state.myEvents = roles;
  return roles;
}

export async function rolesFor(eventId) {
  const all = await myEvents();
  return (all[eventId] && all[eventId].roles) || [];
}

export async function starred() {
  if (!state.starred) state.starred = new Set(await kvGet(`starred:${(user() || {}).id}`, []));
  return state.starred;
}

export async function setStarred(sessionId, on) {
  const set = await starred();
  if (on) set.add(sessionId);
  else set.delete(sessionId);
  await kvSet(`starred:${(user() || {}).id}`, [...set]);
}

export function forget() {
  state.myEvents = null;
  state.starred = null;
}
