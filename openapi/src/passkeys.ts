/**
 * Passkey ceremonies against the server: each asks the server for a challenge, has the browser answer it
 * ({@link createPasskey}, {@link getPasskeyAssertion}) and posts the credential back.
 *
 * - {@link registerPasskey}: `POST /auth/passkeys/registration/options`, then
 *   `POST /auth/passkeys/registration` (bearer) → the new factor (and, for the account's first factor,
 *   its recovery codes).
 * - {@link signInWithPasskey}: `POST /auth/passkeys/login/options`, then `POST /auth/passkeys/login` →
 *   the tokens of a two-factor session (a discoverable credential names its account).
 * - {@link finishSecondStepWithPasskey}: `POST /auth/mfa/passkey/options` with the `mfa_token`, then
 *   `POST /auth/mfa/verify` with `{ mfa_token, credential }` → the tokens.
 *
 * The server's OpenAPI document does not describe these routes yet, so their types are written here from
 * the HTTP contract (`PasskeyPaths`); the calls go through the client you pass, with its middlewares (the
 * session's bearer token, the refresh on a 401). Each resolves like any call of the client, to
 * `{ data, response }` or `{ error, response }` (a server refusal at either step, e.g. a 404 from a
 * server without passkeys); a refusal of the browser (the user closed the prompt) rejects, as
 * {@link createPasskey} does.
 *
 * @packageDocumentation
 */
import type { Client } from "openapi-fetch";

import type { components, paths } from "./schema.js";
import {
  createPasskey,
  getPasskeyAssertion,
  type AuthenticationResponseJSON,
  type CeremonyOptions,
  type PasskeyCreationOptions,
  type PasskeyRequestOptions,
  type RegistrationResponseJSON,
} from "./webauthn.js";

type Problem = components["schemas"]["Problem"];
type TokenResponse = components["schemas"]["TokenResponse"];
type ConfirmedFactor = components["schemas"]["ConfirmedFactor"];

/** A WebAuthn challenge of the server: its id (send it back) and the options for the browser. */
export interface PasskeyChallenge<Options> {
  /** The challenge's id: single use, valid for 5 minutes, on any instance of the server. */
  challenge_id: string;
  options: Options;
}

/** Answer of `POST /auth/passkeys/registration/options`. */
export type PasskeyRegistrationChallenge = PasskeyChallenge<PasskeyCreationOptions>;
/** Answer of `POST /auth/passkeys/login/options` and `POST /auth/mfa/passkey/options`. */
export type PasskeySignInChallenge = PasskeyChallenge<PasskeyRequestOptions>;

/** Body of `POST /auth/passkeys/registration`. */
export interface PasskeyRegistrationRequest {
  challenge_id: string;
  credential: RegistrationResponseJSON;
  /** A name for the passkey (the server picks one when absent). */
  name?: string;
}

/** Body of `POST /auth/passkeys/login`. */
export interface PasskeySignInRequest {
  challenge_id: string;
  credential: AuthenticationResponseJSON;
}

/** Body of `POST /auth/mfa/verify` when the second step is a passkey. */
export interface PasskeySecondStepRequest {
  mfa_token: string;
  credential: AuthenticationResponseJSON;
}

type NoParameters = { query?: never; header?: never; path?: never; cookie?: never };
type JsonAnswer<Body> = { headers: { [name: string]: unknown }; content: { "application/json": Body } };

/** One `POST` route taking and answering JSON, as openapi-typescript writes it. */
interface JsonPost<Body, Answer, Status extends 200 | 201> {
  parameters: NoParameters;
  get?: never;
  put?: never;
  post: {
    parameters: NoParameters;
    requestBody: { content: { "application/json": Body } };
    responses: { [S in Status]: JsonAnswer<Answer> } & {
      default: { headers: { [name: string]: unknown }; content: { "application/problem+json": Problem } };
    };
  };
  delete?: never;
  options?: never;
  head?: never;
  patch?: never;
  trace?: never;
}

/**
 * The passkey routes of the HTTP contract, in the form of openapi-typescript's `paths`, until the
 * server's OpenAPI document has them (then the generated `paths` replace this).
 */
export interface PasskeyPaths {
  "/auth/passkeys/registration/options": JsonPost<Record<string, never>, PasskeyRegistrationChallenge, 200>;
  "/auth/passkeys/registration": JsonPost<PasskeyRegistrationRequest, ConfirmedFactor, 201>;
  "/auth/passkeys/login/options": JsonPost<Record<string, never>, PasskeySignInChallenge, 200>;
  "/auth/passkeys/login": JsonPost<PasskeySignInRequest, TokenResponse, 200>;
  "/auth/mfa/passkey/options": JsonPost<{ mfa_token: string }, PasskeySignInChallenge, 200>;
  "/auth/mfa/verify": JsonPost<PasskeySecondStepRequest, TokenResponse, 200>;
}

/** What a ceremony resolves to: the server's last answer, as a call of the client does. */
export type CeremonyResult<Data> =
  | { data: Data; error?: never; response: Response }
  | { data?: never; error: Problem; response: Response };

/** The same client, typed for the passkey routes (one object: its middlewares apply). */
function passkeyRoutes(api: Client<paths>): Client<PasskeyPaths> {
  return api as unknown as Client<PasskeyPaths>;
}

/**
 * A refusal of the server: its problem, or one made up for an answer that carries none (an empty body, or
 * the text or HTML page of a proxy in front of the server, which openapi-fetch hands over as a string).
 */
function refused(answer: { error?: Problem; response: Response }): { data?: never; error: Problem; response: Response } {
  const { response } = answer;
  const sent: unknown = answer.error;
  const error: Problem =
    typeof sent === "object" && sent !== null
      ? (sent as Problem)
      : {
          type: "about:blank",
          title: response.statusText || "Unexpected answer",
          status: response.status,
          detail: `the server answered ${response.status} without a problem document`,
        };
  return { error, response };
}

/** The last answer of a ceremony as a {@link CeremonyResult}. */
function result<Data>(answer: { data?: Data; error?: Problem; response: Response }): CeremonyResult<Data> {
  return answer.data !== undefined ? { data: answer.data, response: answer.response } : refused(answer);
}

/**
 * Adds a passkey to the signed-in account (`api` must send its bearer token, e.g. a session client).
 * Resolves to the new factor, with `recovery_codes` when it is the account's first.
 */
export async function registerPasskey(
  api: Client<paths>,
  options: { name?: string } & CeremonyOptions = {},
): Promise<CeremonyResult<ConfirmedFactor>> {
  const { name, ...ceremony } = options;
  const routes = passkeyRoutes(api);
  const started = await routes.POST("/auth/passkeys/registration/options", { body: {} });
  if (started.data === undefined) return refused(started);
  const credential = await createPasskey(started.data.options, ceremony);
  const body: PasskeyRegistrationRequest = { challenge_id: started.data.challenge_id, credential };
  if (name !== undefined) body.name = name;
  return result(await routes.POST("/auth/passkeys/registration", { body }));
}

/** Signs in with a passkey alone (discoverable credentials): resolves to the tokens of a two-factor session. */
export async function signInWithPasskey(
  api: Client<paths>,
  ceremony: CeremonyOptions = {},
): Promise<CeremonyResult<TokenResponse>> {
  const routes = passkeyRoutes(api);
  const started = await routes.POST("/auth/passkeys/login/options", { body: {} });
  if (started.data === undefined) return refused(started);
  const credential = await getPasskeyAssertion(started.data.options, ceremony);
  return result(await routes.POST("/auth/passkeys/login", { body: { challenge_id: started.data.challenge_id, credential } }));
}

/**
 * Finishes a sign-in's second step with a passkey: `mfaToken` is the `mfa_token` of the
 * `second-step-required` problem. Resolves to the tokens.
 */
export async function finishSecondStepWithPasskey(
  api: Client<paths>,
  mfaToken: string,
  ceremony: CeremonyOptions = {},
): Promise<CeremonyResult<TokenResponse>> {
  const routes = passkeyRoutes(api);
  const started = await routes.POST("/auth/mfa/passkey/options", { body: { mfa_token: mfaToken } });
  if (started.data === undefined) return refused(started);
  const credential = await getPasskeyAssertion(started.data.options, ceremony);
  return result(await routes.POST("/auth/mfa/verify", { body: { mfa_token: mfaToken, credential } }));
}
