// The API client: config.json tells where the API is; every call carries the signed-in member's
// access token; errors are problem+json (RFC 9457) turned into ApiError with the fields at fault.
import { accessToken } from "./auth.js";
import { newId } from "./ui.js";

export const config = { apiUrl: "", wsUrl: "" };

export class ApiError extends Error {
  constructor(status, problem, fallback) {
    const text = (problem && (problem.detail || problem.title)) || fallback || `HTTP ${status}`;
    super(text);
    this.status = status;
    this.problem = problem || {};
  }
}

// Thrown when the request never reached the API (offline, DNS, connection refused).
export class OfflineError extends Error {
  constructor(cause, path) {
    super("No connection: it will be sent when the network is back.");
    this.offline = true;
    this.cause = cause;
    this.path = path;
  }
}

export async function loadConfig() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) {
      const data = await response.json();
      config.apiUrl = String(data.ApiUrl || "").replace(/\/$/, "");
      config.wsUrl = String(data.WebSocketUrl || "");
    }
  } catch {
    // No config (offline and not cached yet): the API is assumed on this origin, as locally.
  }
  if (!config.apiUrl) config.apiUrl = location.origin;
}

export function apiUrl(path) {
  return `${config.apiUrl}${path}`;
}

// `raw`: answer {data, etag, status} instead of the body. `key`: the Idempotency-Key (a fresh one
// for every write unless given: the outbox gives the entry's client id).
export async function request(path, { method = "GET", body, headers = {}, key, raw = false } = {}) {
  const all = { Accept: "application/json, application/problem+json", ...headers };
  if (body !== undefined) all["Content-Type"] = "application/json";
  if (method === "POST") all["Idempotency-Key"] = key || newId();
  let token = null;
  try {
    token = await accessToken(); // refreshes an old one: needs the sign-in service
  } catch (error) {
    // Unreachable (offline): a read may still come from what the service worker kept; a write waits.
    if (method !== "GET") throw new OfflineError(error);
  }
  if (token) all.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(apiUrl(path), { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new OfflineError(error, path);
  }
  // The service worker answers 503 with this header when it has nothing cached for a GET.
  if (response.status === 503 && response.headers.get("X-Offline") === "1") throw new OfflineError(null, path);
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data, response.statusText);
  return raw ? { data, etag: response.headers.get("ETag"), status: response.status, offline: response.headers.get("X-From-Cache") === "1" } : data;
}

export const api = request;
