/**
 * Turns the API's errors (RFC 9457 problem documents, `application/problem+json`) into what a
 * form shows: a message per field (`errors: [{ field, message }]` of a 422) next to that field,
 * and one message for the form as a whole.
 */
import type { Problem } from "todo-rocket-client";

/** What a form shows after a failed request. */
export interface FormProblem {
  /** Shown above the form (role="alert"); null when the field messages say it all. */
  message: string | null;
  /** Field name (as the API names it: `email`, `password`, `title`, ...) to its message. */
  fields: Record<string, string>;
}

export const NO_PROBLEM: FormProblem = { message: null, fields: {} };

/** When the request did not reach the server at all (offline, server down, CORS refused). */
export const NETWORK_PROBLEM: FormProblem = {
  message: "Cannot reach the server. Check your connection and try again.",
  fields: {},
};

/**
 * @param problem - the `error` of a client call
 * @param response - its `response` (for `Retry-After`)
 * @param formFields - the fields this form shows; messages for other fields go into `message`
 * @param messages - friendlier words for some statuses, e.g. `{ 401: "Wrong email or password." }`
 */
export function toFormProblem(
  problem: Problem,
  response: Response,
  formFields: readonly string[],
  messages: Partial<Record<number, string>> = {},
): FormProblem {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const { field, message } of problem.errors ?? []) {
    const text = sentence(message);
    if (formFields.includes(field)) fields[field] = fields[field] ? `${fields[field]} ${text}` : text;
    else other.push(`${field}: ${message}`);
  }
  const status = problem.status || response.status;
  let message = messages[status] ?? null;
  if (message === null && status === 429) message = tooManyAttempts(response);
  if (message === null && other.length > 0) message = other.join("; ");
  if (message === null && Object.keys(fields).length === 0) message = problem.detail || problem.title;
  return { message, fields };
}

/** "Too many attempts. Try again in 3 minutes." from a 429's `Retry-After` (seconds). */
export function tooManyAttempts(response: Response): string {
  const wait = retryAfter(response);
  return wait ? `Too many attempts. Try again in ${wait}.` : "Too many attempts. Please wait a moment and try again.";
}

/** A 429's `Retry-After` (seconds) in words, "42 seconds" or "3 minutes"; null when absent. */
export function retryAfter(response: Response): string | null {
  const seconds = Number(response.headers.get("Retry-After"));
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return duration(seconds);
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} second${Math.ceil(seconds) === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/** "must be at least 8 characters" → "Must be at least 8 characters." */
function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * What to say when the browser's passkey prompt did not give a credential (the promise of
 * `createPasskey` or `getPasskeyAssertion` rejected): by the WebAuthn error's name.
 */
export function passkeyProblem(error: unknown): string {
  const name = error instanceof Error ? error.name : "";
  switch (name) {
    case "NotAllowedError":
      return "The passkey prompt was closed or timed out. Try again when you are ready.";
    case "InvalidStateError":
      return "This device already holds a passkey for your account.";
    case "SecurityError":
      return "Passkeys do not work on this address: the server names another site as the passkey's owner.";
    case "NotSupportedError":
      return "This browser or device cannot make the kind of passkey the server asks for.";
    case "AbortError":
      return "The passkey prompt was cancelled.";
    default:
      return `The passkey did not work${error instanceof Error && error.message ? `: ${error.message}` : "."}`;
  }
}
