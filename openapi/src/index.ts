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
 * @packageDocumentation
 */
import createClient, { type Client, type ClientOptions, type Middleware } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

/** A registered user (never includes the password hash). */
export type User = components["schemas"]["User"];
/** A task of the signed-in user. */
export type Task = components["schemas"]["Task"];
/** One page of `GET /tasks`, newest first; pass `next_cursor` as `cursor` for the next page. */
export type TaskPage = components["schemas"]["TaskPage"];
/** The OAuth 2.0 token response of `POST /auth/login`. */
export type TokenResponse = components["schemas"]["TokenResponse"];
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
