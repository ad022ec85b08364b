/**
 * Typed client for the todo-rocket HTTP API.
 *
 * The request, response and error types come from `./schema.d.ts`, which
 * `npm run generate` produces from `../openapi.json` (the server's OpenAPI 3.1
 * document). The runtime is {@link https://openapi-ts.dev/openapi-fetch/ | openapi-fetch}:
 * every call returns `{ data, error, response }`, where `data` is the typed
 * success body and `error` the typed RFC 9457 {@link Problem}.
 *
 * @example
 * ```ts
 * import { createTodoClient } from "todo-rocket-client";
 *
 * const api = createTodoClient({ baseUrl: "http://127.0.0.1:8000" });
 * const { data: token, error } = await api.POST("/auth/login", {
 *   body: { email: "ann@example.com", password: "correct horse battery" },
 * });
 * if (error) throw new Error(`${error.status} ${error.title}: ${error.detail ?? ""}`);
 *
 * const tasks = createTodoClient({ baseUrl: "http://127.0.0.1:8000", token: token.access_token });
 * const { data: page } = await tasks.GET("/tasks", { params: { query: { limit: 20 } } });
 * ```
 *
 * A browser front end that should stay signed in uses {@link createSessionClient} instead: it keeps
 * the access and refresh tokens in a {@link TokenStore} and refreshes the session when a request
 * gets 401.
 *
 * An account with a second factor answers a right password with a 403 problem that asks for the second
 * step: {@link isSecondStepRequired} tells it from other 403s and gives its `mfa_token` and `methods`
 * (so do {@link isEmailNotVerified} and {@link isTwoFactorSessionRequired} for the other two 403s with a
 * type of their own). {@link createPasskey} and {@link getPasskeyAssertion} are the browser's half of a
 * passkey ceremony; {@link registerPasskey}, {@link signInWithPasskey} and
 * {@link finishSecondStepWithPasskey} run the whole ceremony with the server.
 *
 * Lists and tasks: {@link taskQuery} builds the query of `GET /tasks` from filters; {@link ifMatch} makes the
 * `If-Match` header of a task's write from the task as last read, and {@link isPreconditionFailed} recognises the
 * 412 answered when someone else changed it meanwhile; {@link canEditTasks}, {@link isOwner} and {@link canShare}
 * say what a list's role allows.
 *
 * @packageDocumentation
 */
import createClient, { type Client, type ClientOptions, type MergedOptions, type Middleware } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

/** A registered user (never includes the password hash). */
export type User = components["schemas"]["User"];
/** A task of the signed-in user. */
export type Task = components["schemas"]["Task"];
/** One page of `GET /tasks`, newest first; pass `next_cursor` as `cursor` for the next page. */
export type TaskPage = components["schemas"]["TaskPage"];
/**
 * The OAuth 2.0 token response of `POST /auth/login`, `POST /auth/refresh` and `PUT /auth/password`:
 * the access token (a JWT naming its session) and the session's refresh token, which works once.
 */
export type TokenResponse = components["schemas"]["TokenResponse"];
/** Body of `POST /auth/refresh`: the `refresh_token` of the last {@link TokenResponse}. */
export type RefreshRequest = components["schemas"]["RefreshRequest"];
/** One session (a login on one device, and its refreshes), as `GET /auth/sessions` lists them. */
export type Session = components["schemas"]["Session"];
/**
 * Which sessions `POST /auth/logout?scope=` ends: `global` (all of the user's, the default),
 * `local` (the one of the token sent) or `others` (all but that one).
 */
export type LogoutScope = NonNullable<NonNullable<operations["logout"]["parameters"]["query"]>["scope"]>;
/** The OAuth2 form of `POST /auth/login`: the password grant or the refresh-token grant. */
export type TokenForm = components["schemas"]["TokenForm"];
/** The OAuth2 password grant form of `POST /auth/login` (`grant_type=password&username=...&password=...`). */
export type PasswordGrantForm = components["schemas"]["PasswordGrantForm"];
/** The OAuth2 refresh-token grant form of `POST /auth/login` (`grant_type=refresh_token&refresh_token=...`). */
export type RefreshTokenGrantForm = components["schemas"]["RefreshTokenGrantForm"];
/** The RFC 9457 problem document that every error response carries (`application/problem+json`). */
export type Problem = components["schemas"]["Problem"];
/** One invalid field of a 422 {@link Problem} (`errors`). */
export type FieldProblem = components["schemas"]["FieldProblem"];
/** Body of `POST /auth/signup`. */
export type SignupRequest = components["schemas"]["SignupRequest"];
/** JSON body of `POST /auth/login`. */
export type LoginRequest = components["schemas"]["LoginRequest"];
/** Body of `PUT /auth/password`. */
export type ChangePasswordRequest = components["schemas"]["ChangePasswordRequest"];
/** Body of `DELETE /auth/me` (the password, as proof). */
export type DeleteAccountRequest = components["schemas"]["DeleteAccountRequest"];
/** Body of `POST /tasks`. */
export type CreateTask = components["schemas"]["CreateTask"];
/** Body of `PUT /tasks/{id}` (full replace). */
export type ReplaceTask = components["schemas"]["ReplaceTask"];
/** Body of `PATCH /tasks/{id}` (any subset of the fields). */
export type PatchTask = components["schemas"]["PatchTask"];
/** Body of `POST /auth/email/verify`: the `token` of the link in the verification mail. */
export type VerifyEmailRequest = components["schemas"]["VerifyEmailRequest"];
/** Body of `POST /auth/password/forgot`. */
export type ForgotPasswordRequest = components["schemas"]["ForgotPasswordRequest"];
/** Body of `POST /auth/password/reset`: the `token` of the link in the reset mail and the new password. */
export type ResetPasswordRequest = components["schemas"]["ResetPasswordRequest"];
/** The 202 answer of the routes that send a mail afterwards (the same whether or not a mail goes out). */
export type MailAccepted = components["schemas"]["MailAccepted"];
/** A confirmed second factor of the account (`GET /auth/mfa/factors`): a TOTP authenticator or a passkey. */
export type Factor = components["schemas"]["Factor"];
/** The kind of a {@link Factor}: `"totp"` or `"passkey"`. */
export type FactorKind = components["schemas"]["FactorKind"];
/** Body of `POST /auth/mfa/totp`: the password, unless the session was won with two factors, and a name. */
export type EnrollTotpRequest = components["schemas"]["EnrollTotpRequest"];
/** Answer of `POST /auth/mfa/totp`: the pending factor's id, its secret (base32) and its `otpauth://` URI. */
export type TotpEnrollment = components["schemas"]["TotpEnrollment"];
/** Body of `POST /auth/mfa/totp/{factor_id}/confirm`: a code from the authenticator. */
export type ConfirmTotpRequest = components["schemas"]["ConfirmTotpRequest"];
/** A factor now in force, with the recovery codes when it is the account's first (shown once). */
export type ConfirmedFactor = components["schemas"]["ConfirmedFactor"];
/** Answer of `POST /auth/mfa/recovery-codes`: ten new codes (the old ones stop working). */
export type RecoveryCodes = components["schemas"]["RecoveryCodes"];
/**
 * Body of `POST /auth/mfa/verify`: the `mfa_token` and either a TOTP or recovery `code`, or a passkey's
 * `credential` (an {@link AuthenticationResponseJSON} for the options of `POST /auth/mfa/passkey/options`).
 */
export type VerifyMfaRequest = components["schemas"]["VerifyMfaRequest"];
/** Body of `POST /auth/mfa/passkey/options`: the `mfa_token` of the second step. */
export type SecondStepPasskeyRequest = components["schemas"]["SecondStepPasskeyRequest"];
/**
 * Answer of the three passkey options routes: the `challenge_id` to send back and the `options` for the browser
 * (`{ publicKey }` in the WebAuthn JSON encoding: {@link PasskeyCreationOptions} or {@link PasskeyRequestOptions}).
 */
export type PasskeyOptions = components["schemas"]["PasskeyOptions"];
/** Body of `POST /auth/passkeys/registration`: the `challenge_id`, the browser's {@link RegistrationResponseJSON}, a `name`. */
export type RegisterPasskeyRequest = components["schemas"]["RegisterPasskeyRequest"];
/** Body of `POST /auth/passkeys/login`: the `challenge_id` and the browser's {@link AuthenticationResponseJSON}. */
export type PasskeyLoginRequest = components["schemas"]["PasskeyLoginRequest"];
/** Body of `POST /auth/magic-link`. */
export type SignInLinkRequest = components["schemas"]["SignInLinkRequest"];
/** Body of `POST /auth/magic-link/verify`: the `token` of the link in the sign-in mail. */
export type SignInWithLinkRequest = components["schemas"]["SignInWithLinkRequest"];
/** An identity provider of `GET /auth/providers` (`name` for the routes, `label` for the button). */
export type Provider = components["schemas"]["Provider"];
/** An identity at a provider linked to the account (`GET /auth/identities`). */
export type Identity = components["schemas"]["Identity"];
/** Body of `POST /auth/oidc/exchange`: the one-time `code` of `{APP_URL}/auth/callback?code=…`. */
export type ExchangeRequest = components["schemas"]["ExchangeRequest"];
/** A list as the caller sees it (`GET /lists`: inbox first, then by name), with the caller's `role`. */
export type List = components["schemas"]["List"];
/** A member's role in a list: `viewer`, `editor` or `owner`. */
export type Role = components["schemas"]["Role"];
/** A member of a list (`GET /lists/{id}/members`). */
export type Member = components["schemas"]["Member"];
/** Body of `POST /lists` and `PATCH /lists/{id}`: the list's `name`. */
export type ListName = components["schemas"]["ListName"];
/** Body of `PATCH /lists/{id}/members/{user_id}`: the member's new `role`. */
export type MemberRole = components["schemas"]["MemberRole"];
/** A pending invitation to a list (`POST` and `GET /lists/{id}/invitations`): the address, the role, when it expires. */
export type Invitation = components["schemas"]["Invitation"];
/** Body of `POST /lists/{id}/invitations`: the `email` to invite and the `role` (`editor` or `viewer`). */
export type InvitationRequest = components["schemas"]["InvitationRequest"];
/** Body of `POST /invitations/accept`: the `token` of the link in the invitation mail. */
export type AcceptInvitation = components["schemas"]["AcceptInvitation"];

export {
  EMAIL_NOT_VERIFIED,
  isEmailNotVerified,
  isPreconditionFailed,
  isSecondStepRequired,
  isTwoFactorSessionRequired,
  SECOND_STEP_REQUIRED,
  TWO_FACTOR_SESSION_REQUIRED,
  type EmailNotVerified,
  type PreconditionFailed,
  type SecondStepMethod,
  type SecondStepRequired,
  type TwoFactorSessionRequired,
} from "./problems.js";
export {
  createPasskey,
  getPasskeyAssertion,
  passkeysAvailable,
  type AuthenticationResponseJSON,
  type CeremonyOptions,
  type PasskeyCreationOptions,
  type PasskeyRequestOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialDescriptorJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "./webauthn.js";
export { providerSignInUrl, safeRedirectPath } from "./providers.js";
export {
  etag,
  ifMatch,
  PRIORITIES,
  rfc3339,
  taskQuery,
  versionOf,
  type Priority,
  type TaskFilters,
  type TaskQuery,
  type TaskSort,
} from "./tasks.js";
export { canEditTasks, canShare, invitationToken, INVITABLE_ROLES, isOwner, roleAtLeast, ROLES } from "./lists.js";
export {
  finishSecondStepWithPasskey,
  registerPasskey,
  signInWithPasskey,
  type CeremonyResult,
} from "./passkeys.js";

/** The typed openapi-fetch client returned by {@link createTodoClient}. */
export type TodoClient = Client<paths>;

/**
 * Where the bearer token comes from: a fixed token, or a function asked before
 * every request (handy when a front end keeps the token in its own state).
 * `undefined` (or a function returning it) sends no `Authorization` header.
 */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

/** Options of {@link createTodoClient}. */
export interface TodoClientOptions extends Omit<ClientOptions, "baseUrl"> {
  /**
   * The server's mount base, e.g. `http://127.0.0.1:8000` or
   * `https://example.com/api/v1` (no trailing slash needed).
   */
  baseUrl: string;
  /** The access token from `POST /auth/login`, sent as `Authorization: Bearer <token>`. */
  token?: TokenSource;
}

/**
 * An openapi-fetch middleware that sets `Authorization: Bearer <token>` on
 * every request for which `token` yields a value. A request that already
 * carries an `Authorization` header is left alone.
 */
export function bearerAuth(token: TokenSource): Middleware {
  return {
    async onRequest({ request }) {
      if (request.headers.has("Authorization")) return undefined;
      const value = typeof token === "function" ? await token() : token;
      if (value) request.headers.set("Authorization", `Bearer ${value}`);
      return request;
    },
  };
}

/**
 * Creates a typed client for the todo-rocket API.
 *
 * Paths, parameters, bodies, success data and error bodies are all checked
 * against the OpenAPI document: `api.GET("/tasks/{id}", { params: { path: { id } } })`
 * resolves to `{ data: Task }` or `{ error: Problem }`, each with the raw `response`.
 *
 * @param options - `baseUrl`, an optional bearer `token`, and any other openapi-fetch option
 *   (`fetch`, `headers`, ...).
 */
export function createTodoClient(options: TodoClientOptions): TodoClient {
  const { token, baseUrl, ...rest } = options;
  const client = createClient<paths>({ ...rest, baseUrl: baseUrl.replace(/\/+$/, "") });
  if (token !== undefined) client.use(bearerAuth(token));
  return client;
}

/** The two tokens of a session that a {@link TokenStore} keeps (a {@link TokenResponse} is one). */
export interface SessionTokens {
  /** Sent as `Authorization: Bearer <access_token>`. */
  access_token: string;
  /** Exchanged once at `POST /auth/refresh` for new tokens (it rotates: store its successor). */
  refresh_token: string;
}

/**
 * Where {@link sessionAuth} keeps the session's tokens. Each method may be synchronous or return a
 * promise (e.g. for IndexedDB). Several clients (or tabs, with a shared storage) may share one store:
 * a request that failed with an access token older than the stored one is retried with the stored one.
 */
export interface TokenStore {
  /** The current tokens, or `undefined` when signed out. */
  get(): SessionTokens | undefined | Promise<SessionTokens | undefined>;
  /** Replaces both tokens (after a login, a refresh or a password change). */
  set(tokens: SessionTokens): void | Promise<void>;
  /** Forgets the tokens (the session ended, or the user logged out). */
  clear(): void | Promise<void>;
}

/**
 * A {@link TokenStore} in a variable: the safest place against XSS (an injected script finds no
 * token in storage to copy elsewhere, though it can still act through the page while it runs), but
 * lost on a page reload, which then needs a new login. See the README for the alternatives.
 */
export class MemoryTokenStore implements TokenStore {
  #tokens: SessionTokens | undefined;

  /** @param tokens - the tokens to start with, e.g. the {@link TokenResponse} of a login. */
  constructor(tokens?: SessionTokens) {
    if (tokens) this.set(tokens);
  }

  get(): SessionTokens | undefined {
    return this.#tokens;
  }

  set(tokens: SessionTokens): void {
    this.#tokens = { access_token: tokens.access_token, refresh_token: tokens.refresh_token };
  }

  clear(): void {
    this.#tokens = undefined;
  }
}

/** Options of {@link sessionAuth}. */
export interface SessionAuthOptions {
  /** Where the tokens are read from and where refreshed ones are written. */
  tokens: TokenStore;
  /**
   * Called once when the session is over: a refresh was refused with 401 (the refresh token is
   * expired, revoked, or was reused). The store is already cleared; typically, show the login page.
   * Should it throw, the calls that waited for that refresh reject with its error.
   */
  onSessionEnded?: () => void;
}

/**
 * Routes that never carry the session's bearer token and never trigger a refresh: the first and second
 * steps of a sign-in. A 401 there is about the credentials sent (a wrong code), not about the session,
 * and retrying it would spend one more of the second step's attempts.
 */
const UNAUTHENTICATED_PATHS: ReadonlySet<string> = new Set([
  "/auth/login",
  "/auth/refresh",
  "/auth/signup",
  "/auth/mfa/verify",
  "/auth/mfa/passkey/options",
  "/auth/magic-link",
  "/auth/magic-link/verify",
  "/auth/passkeys/login/options",
  "/auth/passkeys/login",
  "/auth/oidc/exchange",
]);

/** The refresh under way per store, shared by every request (and every client) using that store. */
const refreshes = new WeakMap<TokenStore, Promise<SessionTokens | undefined>>();

/**
 * An openapi-fetch middleware that keeps a session alive:
 *
 * - sends the stored access token as `Authorization: Bearer` (except to the routes of a sign-in:
 *   `/auth/login`, `/auth/refresh`, `/auth/signup`, `/auth/mfa/verify`, `/auth/magic-link*`, the
 *   passkey sign-in routes, `/auth/oidc/exchange`; and except when the request already has an `Authorization` header),
 *   waiting first for a refresh that is under way;
 * - when such a request gets 401, calls `POST /auth/refresh` once with the stored refresh token,
 *   stores both new tokens and retries the request once (with its body) with the new access token;
 *   concurrent 401s share that one refresh, and a 401 on a request whose token is older than the
 *   stored one is retried with the stored token without refreshing again;
 * - when the refresh is refused (401), clears the store, calls `onSessionEnded` and returns the
 *   original 401. Any other refresh failure (network, 5xx, 429) keeps the tokens and returns the
 *   original 401 too; the next 401 tries again.
 *
 * The refresh and the retry go through the client's `fetch`, not through the middlewares again.
 * Register it after any middleware that replaces the request, since it keeps a copy of the request
 * it authorized to retry it (a request replaced by a later middleware is not retried); with
 * {@link createSessionClient} it comes first, so middlewares added with `use` should not replace
 * requests.
 */
export function sessionAuth(options: SessionAuthOptions): Middleware {
  const { tokens, onSessionEnded } = options;
  /** The request as sent, per request: an unsent copy for the retry, and the token it carried. */
  const sent = new WeakMap<Request, { copy: Request; token: string }>();
  return {
    async onRequest({ request, schemaPath }) {
      if (UNAUTHENTICATED_PATHS.has(schemaPath) || request.headers.has("Authorization")) return undefined;
      await refreshes.get(tokens)?.catch(() => undefined);
      const current = await tokens.get();
      if (!current) return undefined;
      request.headers.set("Authorization", `Bearer ${current.access_token}`);
      // Cloned before it is sent: the body of the request itself is consumed by fetch.
      sent.set(request, { copy: request.clone(), token: current.access_token });
      return request;
    },
    async onResponse({ request, response, options: client }) {
      const attempt = sent.get(request);
      sent.delete(request);
      if (response.status !== 401 || !attempt) return undefined;
      let current = await tokens.get();
      if (current?.access_token === attempt.token) {
        current = await refreshOnce(tokens, attempt.token, client, onSessionEnded);
      }
      if (!current || current.access_token === attempt.token) return undefined;
      await response.body?.cancel();
      attempt.copy.headers.set("Authorization", `Bearer ${current.access_token}`);
      const { fetch } = client; // called unbound: a browser's fetch throws when `this` is not the window
      return fetch(attempt.copy);
    },
  };
}

/** Joins the refresh under way for `tokens`, or starts one. */
function refreshOnce(
  tokens: TokenStore,
  staleAccessToken: string,
  client: MergedOptions,
  onSessionEnded: (() => void) | undefined,
): Promise<SessionTokens | undefined> {
  let pending = refreshes.get(tokens);
  if (!pending) {
    const started = refresh(tokens, staleAccessToken, client, onSessionEnded).finally(() => {
      if (refreshes.get(tokens) === started) refreshes.delete(tokens);
    });
    refreshes.set(tokens, started);
    pending = started;
  }
  return pending;
}

/**
 * `POST /auth/refresh` with the stored refresh token, unless the stored access token is no longer
 * `staleAccessToken` (someone refreshed meanwhile). Resolves to the tokens to retry with, or
 * `undefined` when there are none.
 */
async function refresh(
  tokens: TokenStore,
  staleAccessToken: string,
  client: MergedOptions,
  onSessionEnded: (() => void) | undefined,
): Promise<SessionTokens | undefined> {
  const current = await tokens.get();
  if (!current || current.access_token !== staleAccessToken) return current;
  const api = createClient<paths>({ baseUrl: client.baseUrl, fetch: client.fetch });
  const answer = await api
    .POST("/auth/refresh", { body: { refresh_token: current.refresh_token } })
    .catch(() => undefined); // offline or similar: the session may well be alive, keep the tokens
  if (!answer) return undefined;
  if (answer.data) {
    const fresh = { access_token: answer.data.access_token, refresh_token: answer.data.refresh_token };
    await tokens.set(fresh);
    return fresh;
  }
  if (answer.response.status !== 401) return undefined;
  const now = await tokens.get();
  if (now && now.refresh_token !== current.refresh_token) return now; // a new login meanwhile
  await tokens.clear();
  onSessionEnded?.();
  return undefined;
}

/** Options of {@link createSessionClient}. */
export interface SessionClientOptions extends Omit<TodoClientOptions, "token">, SessionAuthOptions {}

/**
 * Creates a typed client whose requests carry the session's access token from `tokens`, refreshed
 * transparently when the server answers 401 (see {@link sessionAuth}).
 *
 * Store the tokens of a login (and of a password change, which starts a new session) yourself:
 * `tokens.set(data)`; clear them on logout.
 *
 * @example
 * ```ts
 * const tokens = new MemoryTokenStore();
 * const api = createSessionClient({ baseUrl, tokens, onSessionEnded: () => router.push("/login") });
 * const { data } = await api.POST("/auth/login", { body: { email, password } });
 * if (data) tokens.set(data);
 * const { data: page } = await api.GET("/tasks"); // refreshes and retries on a 401
 * ```
 */
export function createSessionClient(options: SessionClientOptions): TodoClient {
  const { tokens, onSessionEnded, ...rest } = options;
  const client = createTodoClient(rest);
  client.use(sessionAuth({ tokens, onSessionEnded }));
  return client;
}
