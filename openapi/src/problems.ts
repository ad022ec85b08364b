/**
 * The problem types a client must tell apart from other problems of the same status.
 *
 * Every error is an RFC 9457 problem document. Most have `type: "about:blank"`, and the status says
 * what went wrong. Three 403s need different handling, so they carry a `type` URI of their own:
 *
 * - {@link SECOND_STEP_REQUIRED}: the password (or a sign-in or reset link) was right, but the account
 *   has a second factor. The problem carries an `mfa_token` and the `methods` the account can finish
 *   with; `POST /auth/mfa/verify` finishes the sign-in.
 * - {@link EMAIL_NOT_VERIFIED}: the server requires a verified email before a login
 *   (`REQUIRE_VERIFIED_EMAIL=true`) and this account's is not.
 * - {@link TWO_FACTOR_SESSION_REQUIRED}: changing the factors (removing one, new recovery codes) needs a
 *   session won with two factors; sign in again with the second step.
 *
 * @example
 * ```ts
 * const { data, error } = await api.POST("/auth/login", { body: { email, password } });
 * if (isSecondStepRequired(error)) {
 *   // error.mfa_token: string, error.methods: ("totp" | "recovery_code" | "passkey")[]
 *   const code = await askForCode(error.methods);
 *   const done = await api.POST("/auth/mfa/verify", { body: { mfa_token: error.mfa_token, code } });
 * }
 * ```
 */
import type { components } from "./schema.js";

type Problem = components["schemas"]["Problem"];

/** `type` of the 403 that asks for the second step of a sign-in (it carries `mfa_token` and `methods`). */
export const SECOND_STEP_REQUIRED = "tag:todo-core.dev,2026:problems/second-step-required";
/** `type` of the 403 that refuses a login until the account's email is verified. */
export const EMAIL_NOT_VERIFIED = "tag:todo-core.dev,2026:problems/email-not-verified";
/** `type` of the 403 that refuses a change of factors from a session won with one factor. */
export const TWO_FACTOR_SESSION_REQUIRED = "tag:todo-core.dev,2026:problems/two-factor-session-required";

/** How a sign-in's second step can be finished: a TOTP code, a recovery code, or a passkey. */
export type SecondStepMethod = "totp" | "recovery_code" | "passkey";

/** The 403 problem of a first factor that succeeded for an account with a second factor. */
export type SecondStepRequired = Problem & {
  type: typeof SECOND_STEP_REQUIRED;
  status: 403;
  /** Send it back to `POST /auth/mfa/verify` (or `POST /auth/mfa/passkey/options`). Single use, 5 minutes. */
  mfa_token: string;
  /** The ways this account can finish, e.g. `["totp", "recovery_code"]`. */
  methods: SecondStepMethod[];
};

/** The 403 problem of a login refused until the account's email is verified. */
export type EmailNotVerified = Problem & { type: typeof EMAIL_NOT_VERIFIED; status: 403 };

/** The 403 problem of a change of factors asked from a session won with one factor. */
export type TwoFactorSessionRequired = Problem & { type: typeof TWO_FACTOR_SESSION_REQUIRED; status: 403 };

/** Whether `value` is a 403 problem of this `type`. */
function is403(value: unknown, type: string): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const problem = value as { type?: unknown; status?: unknown };
  return problem.type === type && problem.status === 403;
}

/**
 * Whether `error` (typically the `error` of a login, a password reset or a sign-in link) asks for the
 * second step; narrows it to {@link SecondStepRequired}, with `mfa_token` and `methods`.
 */
export function isSecondStepRequired(error: unknown): error is SecondStepRequired {
  if (!is403(error, SECOND_STEP_REQUIRED)) return false;
  const { mfa_token, methods } = error;
  return typeof mfa_token === "string" && Array.isArray(methods) && methods.every((m) => typeof m === "string");
}

/** Whether `error` is the 403 of a login refused until the account's email is verified. */
export function isEmailNotVerified(error: unknown): error is EmailNotVerified {
  return is403(error, EMAIL_NOT_VERIFIED);
}

/** Whether `error` is the 403 of a change of factors that needs a two-factor session. */
export function isTwoFactorSessionRequired(error: unknown): error is TwoFactorSessionRequired {
  return is403(error, TWO_FACTOR_SESSION_REQUIRED);
}

/**
 * The 412 problem of a write sent with `If-Match` (see `ifMatch`) after someone else changed the task: nothing
 * was written. Read the task again (`GET /tasks/{id}`: its new `version`), show it, and let the user decide.
 * Its `type` is `about:blank`: the status alone tells it apart, since only a conditional write answers 412.
 */
export type PreconditionFailed = Problem & { status: 412 };

/**
 * Whether `error` (the `error` of a `PUT`, `PATCH` or `DELETE` of a task, or of `PATCH /tasks/{id}/complete`,
 * sent with `If-Match`) says that the task changed since the version sent; narrows it to {@link PreconditionFailed}.
 *
 * @example
 * ```ts
 * const { data, error } = await api.PATCH("/tasks/{id}", { params: { path: { id }, header: ifMatch(task) }, body });
 * if (isPreconditionFailed(error)) {
 *   const { data: latest } = await api.GET("/tasks/{id}", { params: { path: { id } } });
 *   // show `latest`: "Someone else changed this task"
 * }
 * ```
 */
export function isPreconditionFailed(error: unknown): error is PreconditionFailed {
  if (typeof error !== "object" || error === null) return false;
  return (error as { status?: unknown }).status === 412;
}
