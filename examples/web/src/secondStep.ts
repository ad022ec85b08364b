/**
 * Where a first factor leads when the account has a second one: a password login, a password reset and a
 * sign-in link all answer the server's `second-step-required` problem (403) instead of tokens, and the app
 * goes on to /second-step with the problem's `mfa_token` and `methods`.
 */
import type { SecondStepRequired } from "todo-rocket-client";

import { navigate } from "./router";

/** The second step's token lives this long (the server's `mfa_token` lifetime). */
export const SECOND_STEP_LIFETIME_MS = 5 * 60 * 1000;

/**
 * Shows the second-step page for `step`, with `notice` on top (e.g. "Your password has been changed."),
 * replacing the current history entry when `replace` (a page whose link is spent, such as a sign-in link's).
 */
export function goToSecondStep(step: SecondStepRequired, options: { notice?: string; replace?: boolean } = {}): void {
  const secondStep = { mfa_token: step.mfa_token, methods: step.methods, asked_at: Date.now() };
  navigate("/second-step", { ...options, secondStep });
}
