// Backchannel: signing members in, against the stack's own Cognito user pool, from the page.
//
//   currentUser()          {sub, username, email, name, organiser} or null (synchronous)
//   accessToken()          Promise<string|null>: a valid access token, refreshed when near expiry;
//                          null when signed out (rejects only when Cognito cannot be reached)
//   signIn(username, pw)   SRP (web/srp.js): the password never leaves the page
//   signOut()              revokes the refresh token (this device), forgets the session
//   onAuthChange(cb)       cb(currentUser()) after every sign-in/out, also from another tab; returns
//                          a function that unsubscribes
//   renderAuth(container)  sign up / confirm code / sign in / forgot password / reset, or "signed in as"
//   signUp, confirmSignUp, resendCode, forgotPassword, confirmForgotPassword: the steps, for other UIs
//
// Where the tokens live, and why (README "Signing in"): the access and id tokens (1 hour) only in this
// module's memory; the refresh token and the non-secret profile in localStorage, so a reload or a new
// tab stays signed in and the offline outbox can send when the network returns. Anything the page's
// own scripts can read, an injected script could read too: what keeps tokens safe is that no other
// script runs here (CSP: scripts from this origin only, no inline script, no CDN, and user content is
// only ever set with textContent). Signing out revokes the refresh token at Cognito.
//
// The pool and client come from config.json next to the page; "CognitoEndpoint" is the region's Cognito
// (https://cognito-idp.<region>.amazonaws.com/) on a deployed stack and the local pool's front
// (/_local/cognito) under `make run`.

import { cognitoTimestamp, ephemeral, passwordClaim } from "./srp.js";

const STORAGE_KEY = "backchannel.auth";
const REFRESH_MARGIN_MS = 2 * 60 * 1000; // refresh an access token that has less than 2 minutes left
const ORGANISERS_GROUP = "organisers";

let configPromise = null;
let memory = null; // { accessToken, idToken, expiresAt }
let refreshing = null; // the refresh in flight (one at a time)
const listeners = new Set();

/** An error from Cognito (`code` is its __type, e.g. NotAuthorizedException) or from the input. */
export class AuthError extends Error {
  constructor(code, message, field) {
    super(message);
    this.name = "AuthError";
    this.code = code;
    this.field = field;
  }
}

// ---------------------------------------------------------------------------------------------
// Config and Cognito's JSON API
// ---------------------------------------------------------------------------------------------
async function config() {
  if (!configPromise) {
    configPromise = fetch(new URL("config.json", import.meta.url), { cache: "no-store" })
      .then((response) => (response.ok ? response.json() : {}))
      .then((data) => {
        const poolId = String(data.UserPoolId || "");
        const endpoint =
          data.CognitoEndpoint || (poolId ? `https://cognito-idp.${poolId.split("_")[0]}.amazonaws.com/` : "");
        return { poolId, clientId: String(data.UserPoolClientId || ""), endpoint };
      })
      .catch((error) => {
        configPromise = null;
        throw error;
      });
  }
  return configPromise;
}

async function cognito(operation, body) {
  const { endpoint, clientId } = await config();
  if (!endpoint || !clientId) throw new AuthError("NotConfigured", "Signing in is not set up on this site.");
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify({ ClientId: clientId, ...body }),
    cache: "no-store",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = String(data.__type || "UnknownError").split("#").pop();
    throw new AuthError(code, data.message || data.Message || `Cognito answered ${response.status}.`);
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// The session
// ---------------------------------------------------------------------------------------------
function decodeJwt(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const text = atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0))));
}

function userFrom(idToken) {
  const claims = decodeJwt(idToken);
  const groups = claims["cognito:groups"] || [];
  const username = claims["cognito:username"] || claims.username || claims.sub;
  return {
    sub: claims.sub,
    username,
    email: claims.email || null,
    name: claims.name || username,
    organiser: Array.isArray(groups) ? groups.includes(ORGANISERS_GROUP) : String(groups).includes(ORGANISERS_GROUP),
  };
}

function stored() {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
    return value && value.refreshToken && value.user ? value : null;
  } catch {
    return null;
  }
}

function notify() {
  const user = currentUser();
  for (const callback of [...listeners]) {
    try {
      callback(user);
    } catch (error) {
      console.error(error);
    }
  }
}

function keep(result, refreshToken) {
  const before = JSON.stringify(currentUser());
  memory = {
    accessToken: result.AccessToken,
    idToken: result.IdToken,
    expiresAt: Date.now() + Number(result.ExpiresIn || 3600) * 1000,
  };
  localStorage.setItem(STORAGE_KEY, JSON.stringify({ refreshToken, user: userFrom(result.IdToken) }));
  if (JSON.stringify(currentUser()) !== before) notify();
}

function forget() {
  const had = stored() !== null || memory !== null;
  memory = null;
  localStorage.removeItem(STORAGE_KEY);
  if (had) notify();
}

/** The signed-in member ({sub, username, email, name, organiser}), or null. */
export function currentUser() {
  const session = stored();
  return session ? { ...session.user } : null;
}

/** A valid access token (refreshed silently when near expiry), or null when signed out. */
export async function accessToken() {
  const session = stored();
  if (!session) {
    memory = null;
    return null;
  }
  if (memory && memory.expiresAt - Date.now() > REFRESH_MARGIN_MS) return memory.accessToken;
  if (!refreshing) {
    refreshing = cognito("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: session.refreshToken },
    })
      .then((data) => {
        keep(data.AuthenticationResult, session.refreshToken);
        return memory.accessToken;
      })
      .catch((error) => {
        // A refresh token Cognito no longer accepts (revoked, expired, another pool): signed out.
        if (error instanceof AuthError && error.code !== "UnknownError") {
          forget();
          return null;
        }
        throw error; // the network: still signed in, try again later
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

/** Sign in with SRP; resolves to currentUser(). Errors are AuthErrors (NotAuthorizedException ...). */
export async function signIn(username, password) {
  username = String(username || "").trim();
  if (!username) throw new AuthError("InvalidParameterException", "Enter your username.", "username");
  if (!password) throw new AuthError("InvalidParameterException", "Enter your password.", "password");
  const { poolId } = await config();
  const { a, A } = ephemeral();
  const challenge = await cognito("InitiateAuth", {
    AuthFlow: "USER_SRP_AUTH",
    AuthParameters: { USERNAME: username, SRP_A: A.toString(16) },
  });
  if (challenge.ChallengeName !== "PASSWORD_VERIFIER") {
    throw new AuthError("UnexpectedChallenge", `Cognito asked for ${challenge.ChallengeName}.`);
  }
  const parameters = challenge.ChallengeParameters;
  const timestamp = cognitoTimestamp();
  const signature = await passwordClaim({
    poolId,
    userId: parameters.USER_ID_FOR_SRP,
    password,
    a,
    B: parameters.SRP_B,
    salt: parameters.SALT,
    secretBlock: parameters.SECRET_BLOCK,
    timestamp,
  });
  const answer = await cognito("RespondToAuthChallenge", {
    ChallengeName: "PASSWORD_VERIFIER",
    ...(challenge.Session ? { Session: challenge.Session } : {}),
    ChallengeResponses: {
      USERNAME: parameters.USERNAME || username,
      PASSWORD_CLAIM_SECRET_BLOCK: parameters.SECRET_BLOCK,
      PASSWORD_CLAIM_SIGNATURE: signature,
      TIMESTAMP: timestamp,
    },
  });
  if (!answer.AuthenticationResult) {
    throw new AuthError(
      "UnexpectedChallenge",
      `This account needs a step the web app does not offer (${answer.ChallengeName}); ask an organiser.`,
    );
  }
  keep(answer.AuthenticationResult, answer.AuthenticationResult.RefreshToken);
  return currentUser();
}

/** Sign out of this device: the refresh token is revoked at Cognito, the session forgotten here. */
export async function signOut() {
  const session = stored();
  forget();
  if (session) {
    try {
      await cognito("RevokeToken", { Token: session.refreshToken });
    } catch {
      // Offline or already revoked: the tokens are gone from this page either way.
    }
  }
}

/** Call `callback(currentUser())` after every change (also made in another tab); returns unsubscribe. */
export function onAuthChange(callback) {
  listeners.add(callback);
  return () => listeners.delete(callback);
}

window.addEventListener("storage", (event) => {
  if (event.key !== STORAGE_KEY && event.key !== null) return;
  memory = null; // another tab signed in or out: its tokens, not ours
  notify();
});

export async function signUp({ username, email, password, name }) {
  const attributes = [{ Name: "email", Value: String(email || "").trim() }];
  if (name && String(name).trim()) attributes.push({ Name: "name", Value: String(name).trim() });
  const data = await cognito("SignUp", {
    Username: String(username || "").trim(),
    Password: password,
    UserAttributes: attributes,
  });
  return { confirmed: Boolean(data.UserConfirmed), destination: data.CodeDeliveryDetails?.Destination || "" };
}

export async function confirmSignUp(username, code) {
  await cognito("ConfirmSignUp", { Username: String(username).trim(), ConfirmationCode: String(code).trim() });
}

export async function resendCode(username) {
  const data = await cognito("ResendConfirmationCode", { Username: String(username).trim() });
  return { destination: data.CodeDeliveryDetails?.Destination || "" };
}

export async function forgotPassword(username) {
  const data = await cognito("ForgotPassword", { Username: String(username).trim() });
  return { destination: data.CodeDeliveryDetails?.Destination || "" };
}

export async function confirmForgotPassword(username, code, password) {
  await cognito("ConfirmForgotPassword", {
    Username: String(username).trim(),
    ConfirmationCode: String(code).trim(),
    Password: password,
  });
}

// ---------------------------------------------------------------------------------------------
// The UI: one form at a time, labels on every field, errors next to the field at fault
// ---------------------------------------------------------------------------------------------
const PASSWORD_HINT = "At least 10 characters, with a lowercase letter and a number.";

// Which field a Cognito error belongs to, and what to tell the member.
const ERRORS = {
  NotAuthorizedException: [null, "Incorrect username or password."],
  UserNotFoundException: [null, "Incorrect username or password."],
  UsernameExistsException: ["username", "That username is taken: choose another, or sign in."],
  InvalidPasswordException: ["password", null],
  CodeMismatchException: ["code", "That code is not right: check the mail, or send a new code."],
  ExpiredCodeException: ["code", "That code has expired: send a new code."],
  LimitExceededException: [null, "Too many attempts: wait a few minutes and try again."],
  TooManyRequestsException: [null, "Too many attempts: wait a few minutes and try again."],
  TooManyFailedAttemptsException: [null, "Too many attempts: wait a few minutes and try again."],
};

function node(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") element.textContent = String(value);
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) if (child) element.append(child);
  return element;
}

function ensureStyles() {
  if (document.querySelector('link[data-auth-css]')) return;
  const link = node("link", { rel: "stylesheet", href: new URL("auth.css", import.meta.url).href, "data-auth-css": true });
  document.head.append(link);
}

let uid = 0;

/**
 * Render the whole sign-up / confirm / sign-in / forgot / reset UI (or "signed in as ...") into
 * `container`; it follows sign-in and sign-out (also from other tabs). Returns a function that stops it.
 */
export function renderAuth(container) {
  ensureStyles();
  const prefix = `auth${(uid += 1)}`;
  const state = { view: currentUser() ? "signedin" : "signin", username: "", password: "", destination: "", notice: "" };
  container.classList.add("auth");

  const field = (name, label, attrs = {}, hint = "") => {
    const id = `${prefix}-${name}`;
    const described = [hint ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" ");
    return node(
      "div",
      { class: "auth-field" },
      node("label", { for: id, text: label }),
      hint ? node("p", { id: `${id}-hint`, class: "auth-hint", text: hint }) : null,
      node("input", { id, name, "aria-describedby": described, ...attrs }),
      node("p", { id: `${id}-error`, class: "auth-error", "data-error-for": name }),
    );
  };

  const showErrors = (form, errors) => {
    // errors: [[field|null, message], ...]; shown next to the field, or above the button.
    for (const p of form.querySelectorAll(".auth-error")) p.textContent = "";
    for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
    let first = null;
    for (const [name, message] of errors) {
      const input = name ? form.querySelector(`input[name="${name}"]`) : null;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        form.querySelector(`[data-error-for="${name}"]`).textContent = message;
        first = first || input;
      } else {
        form.querySelector(".auth-form-error").textContent = message;
        first = first || form.querySelector(".auth-form-error");
      }
    }
    if (first) first.focus();
  };

  const errorOf = (error) => {
    if (error instanceof AuthError) {
      const [name, message] = ERRORS[error.code] || [error.field || null, null];
      return [name || error.field || null, message || error.message];
    }
    return [null, "Cannot reach the sign-in service: check the network and try again."];
  };

  const required = (form, names) =>
    names
      .filter((name) => !String(form.elements[name].value || "").trim())
      .map((name) => [name, `Enter your ${form.elements[name].dataset.what || name}.`]);

  const go = (view, notice = "") => {
    state.view = view;
    state.notice = notice;
    draw(true);
  };

  const submitting = (form, work) => async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      await work();
    } catch (error) {
      if (error instanceof AuthError && error.code === "UserNotConfirmedException") {
        go("confirm", "Your email is not confirmed yet: enter the code we mailed you, or send a new one.");
        return;
      }
      if (form.isConnected) showErrors(form, [errorOf(error)]);
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  };

  const link = (text, view) => node("button", { type: "button", class: "auth-link", text, onclick: () => go(view) });

  const username = (hint) => [
    "username",
    "Username",
    { autocomplete: "username", value: state.username, "data-what": "username", autocapitalize: "none", spellcheck: "false" },
    hint,
  ];
  const code = () => ["code", "Code from the email", { inputmode: "numeric", autocomplete: "one-time-code", "data-what": "code" }];

  // One step: a heading, a form of `fields` ([name, label, attrs, hint]), links below. On submit the
  // fields without "optional" in their label must be filled, then `work(form)` runs; its errors
  // are shown next to their field.
  const step = (title, fields, submit, work, links) => {
    const form = node(
      "form",
      { novalidate: true, "aria-labelledby": `${prefix}-title` },
      fields.map(([name, label, attrs, hint]) => field(name, label, attrs, hint)),
      node("p", { class: "auth-form-error", role: "alert" }),
      node("button", { type: "submit", text: submit }),
    );
    const needed = fields.filter(([, label]) => !label.includes("optional")).map(([name]) => name);
    form.addEventListener(
      "submit",
      submitting(form, async () => {
        const missing = required(form, needed);
        if (missing.length) return showErrors(form, missing);
        if (form.elements.username) state.username = form.elements.username.value.trim();
        return work(form);
      }),
    );
    return [
      node("h2", { id: `${prefix}-title`, tabindex: "-1", text: title }),
      form,
      node("p", { class: "auth-links" }, links(form)),
    ];
  };

  const views = {
    signedin() {
      const user = currentUser();
      if (!user) return views.signin();
      return [
        node("h2", { id: `${prefix}-title`, tabindex: "-1", text: "You are signed in" }),
        node("p", { class: "auth-who", text: `Signed in as ${user.name}${user.email ? ` (${user.email})` : ""}.` }),
        user.organiser ? node("p", { class: "auth-role", text: "You are an organiser." }) : null,
        node("button", { type: "button", class: "auth-signout", text: "Sign out", onclick: () => signOut() }),
      ];
    },
    signin: () =>
      step(
        "Sign in",
        [username(), ["password", "Password", { type: "password", autocomplete: "current-password", "data-what": "password" }]],
        "Sign in",
        async (form) => {
          state.password = form.elements.password.value;
          await signIn(state.username, state.password);
          state.password = "";
        },
        () => [link("Create an account", "signup"), link("Forgot your password?", "forgot")],
      ),
    signup: () =>
      step(
        "Create an account",
        [
          username("How others see you in posts. It cannot be changed."),
          ["email", "Email", { type: "email", autocomplete: "email", "data-what": "email address" }, "We send a code to confirm it."],
          ["name", "Display name (optional)", { autocomplete: "name" }],
          ["password", "Password", { type: "password", autocomplete: "new-password", "data-what": "password" }, PASSWORD_HINT],
        ],
        "Create account",
        async (form) => {
          const email = form.elements.email.value.trim();
          if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
            return showErrors(form, [["email", "Enter an email address like name@example.com."]]);
          }
          state.password = form.elements.password.value;
          const result = await signUp({ username: state.username, email, password: state.password, name: form.elements.name.value });
          if (result.confirmed) return signIn(state.username, state.password);
          return go("confirm", `We mailed a code to ${result.destination || "your email"}. Enter it to confirm your email.`);
        },
        () => [link("I have an account: sign in", "signin")],
      ),
    confirm: () =>
      step(
        "Confirm your email",
        [username(), code()],
        "Confirm",
        async (form) => {
          await confirmSignUp(state.username, form.elements.code.value);
          if (!state.password) return go("signin", "Your email is confirmed: sign in.");
          await signIn(state.username, state.password);
          state.password = "";
        },
        (form) => [
          node("button", {
            type: "button",
            class: "auth-link",
            text: "Send a new code",
            onclick: async () => {
              const name = form.elements.username.value.trim();
              if (!name) return showErrors(form, [["username", "Enter your username."]]);
              try {
                state.username = name;
                const result = await resendCode(name);
                go("confirm", `We mailed a new code to ${result.destination || "your email"}.`);
              } catch (error) {
                showErrors(form, [errorOf(error)]);
              }
            },
          }),
          link("Back to sign in", "signin"),
        ],
      ),
    forgot: () =>
      step(
        "Reset your password",
        [username()],
        "Send a reset code",
        async () => {
          const result = await forgotPassword(state.username);
          go("reset", `If that account exists, we mailed a reset code to ${result.destination || "its email"}.`);
        },
        () => [link("Back to sign in", "signin")],
      ),
    reset: () =>
      step(
        "Choose a new password",
        [username(), code(), ["password", "New password", { type: "password", autocomplete: "new-password", "data-what": "new password" }, PASSWORD_HINT]],
        "Set the new password",
        async (form) => {
          const password = form.elements.password.value;
          await confirmForgotPassword(state.username, form.elements.code.value, password);
          await signIn(state.username, password);
        },
        () => [link("Back to sign in", "signin")],
      ),
  };

  function draw(moveFocus) {
    const parts = (views[state.view] || views.signin)();
    const notice = node("p", { class: "auth-notice", role: "status", text: state.notice });
    container.replaceChildren(notice, ...parts.filter(Boolean));
    container.dataset.view = currentUser() && state.view === "signedin" ? "signedin" : state.view;
    if (moveFocus) container.querySelector(`#${prefix}-title`)?.focus();
  }

  const stop = onAuthChange((user) => {
    state.view = user ? "signedin" : "signin";
    state.notice = user ? "" : "You are signed out.";
    draw(container.contains(document.activeElement) || document.activeElement === document.body);
  });
  draw(false);
  return stop;
}
