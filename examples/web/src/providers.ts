/**
 * Sign-in with an identity provider (OpenID Connect): the server runs the whole flow. The app opens the server's
 * authorize route as a top-level navigation (the provider's login page is another site), and the server sends the
 * browser back to `/auth/callback?code=…&redirect_to=…` (or `?error=…`), where ProviderCallbackPage trades the
 * one-time code for a session.
 */
import { providerSignInUrl, safeRedirectPath } from "todo-rocket-client";

import { API_URL } from "./config";

/** Where a login goes: the page asked for before (a path of this app, never another site's), else the tasks. */
export function afterLogin(from: string | null | undefined): string {
  return safeRedirectPath(from, "/tasks");
}

/** Leaves the app for the provider `name`'s login page; back on `redirectTo` once signed in. */
export function signInWithProvider(name: string, redirectTo: string): void {
  window.location.assign(providerSignInUrl(API_URL, name, afterLogin(redirectTo)));
}

/**
 * The words for the `error` of `/auth/callback?error=…` (the server's codes). The `error_description` beside it
 * is not shown: anyone can make a link to this page with any text in it.
 */
export function providerErrorMessage(error: string): string {
  switch (error) {
    case "access_denied":
      return "The sign-in was cancelled at the identity provider, or it did not allow it.";
    case "invalid_request":
    case "invalid_state":
      return "This sign-in has expired or was already finished. Please start again.";
    case "email_not_verified":
      return "The identity provider did not confirm your email address, so we cannot sign you in with it. Confirm the address there, or create an account with a password.";
    case "account_not_linked":
      return "An account with this email address already exists, but it could not be linked to this identity: the address must be confirmed both here and at the provider. Log in with your password or a sign-in link instead.";
    case "provider_error":
      return "The identity provider's answer could not be accepted. Please try again.";
    case "rate_limited":
      return "Too many sign-in attempts. Please wait a moment and try again.";
    case "temporarily_unavailable":
      return "The identity provider cannot be reached right now. Please try again in a few minutes.";
    default:
      return "Something went wrong while signing you in. Please try again.";
  }
}
