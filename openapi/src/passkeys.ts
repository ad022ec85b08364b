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
 * The routes and bodies are the generated `paths` of the server's OpenAPI document; the calls go through the
 * client you pass, with its middlewares (the session's bearer token, the refresh on a 401). Each resolves like
 * any call of the client, to `{ data, response }` or `{ error, response }` (a server refusal at either step,
 * e.g. the 501 of a server whose relying party is not a domain); a refusal of the browser (the user closed the
 * prompt) rejects, as {@link createPasskey} does.
 *
 * @packageDocumentation
 */
import type { Client } from "openapi-fetch";

import type { components, paths } from "./schema.js";
import {
  createPasskey,
  getPasskeyAssertion,
  type CeremonyOptions,
  type PasskeyCreationOptions,
  type PasskeyRequestOptions,
} from "./webauthn.js";

type Problem = components["schemas"]["Problem"];
type TokenResponse = components["schemas"]["TokenResponse"];
type ConfirmedFactor = components["schemas"]["ConfirmedFactor"];
type RegisterPasskeyRequest = components["schemas"]["RegisterPasskeyRequest"];
type PasskeyOptions = components["schemas"]["PasskeyOptions"];

/**
 * The `options` of a challenge as the browser's half takes them. The document describes `options` as a JSON
 * object (`{"publicKey": …}` in the WebAuthn JSON encoding, which it does not spell out field by field), so the
 * generated type is `Record<string, unknown>`: the WebAuthn types of webauthn.ts say what is in it.
 */
function creationOptions(challenge: PasskeyOptions): PasskeyCreationOptions {
  return challenge.options as unknown as PasskeyCreationOptions;
}

/** The same for a sign-in challenge (`PublicKeyCredentialRequestOptions`). */
function requestOptions(challenge: PasskeyOptions): PasskeyRequestOptions {
  return challenge.options as unknown as PasskeyRequestOptions;
}

/** What a ceremony resolves to: the server's last answer, as a call of the client does. */
export type CeremonyResult<Data> =
  | { data: Data; error?: never; response: Response }
  | { data?: never; error: Problem; response: Response };

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
  const started = await api.POST("/auth/passkeys/registration/options", { body: {} });
  if (started.data === undefined) return refused(started);
  const credential = await createPasskey(creationOptions(started.data), ceremony);
  const body: RegisterPasskeyRequest = { challenge_id: started.data.challenge_id, credential };
  if (name !== undefined) body.name = name;
  return result(await api.POST("/auth/passkeys/registration", { body }));
}

/** Signs in with a passkey alone (discoverable credentials): resolves to the tokens of a two-factor session. */
export async function signInWithPasskey(
  api: Client<paths>,
  ceremony: CeremonyOptions = {},
): Promise<CeremonyResult<TokenResponse>> {
  const started = await api.POST("/auth/passkeys/login/options", { body: {} });
  if (started.data === undefined) return refused(started);
  const credential = await getPasskeyAssertion(requestOptions(started.data), ceremony);
  return result(await api.POST("/auth/passkeys/login", { body: { challenge_id: started.data.challenge_id, credential } }));
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
  const started = await api.POST("/auth/mfa/passkey/options", { body: { mfa_token: mfaToken } });
  if (started.data === undefined) return refused(started);
  const credential = await getPasskeyAssertion(requestOptions(started.data), ceremony);
  return result(await api.POST("/auth/mfa/verify", { body: { mfa_token: mfaToken, credential } }));
}
