/**
 * A tiny client-side router on the History API: the current location as React state,
 * `navigate()` to go somewhere, and `<Link>` for links that do not reload the page.
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";
import type { SecondStepMethod } from "todo-rocket-client";

/** A sign-in waiting for its second step (from the server's `second-step-required` problem). */
export interface PendingSecondStep {
  /** Sent back with the code; single use, valid for 5 minutes. */
  mfa_token: string;
  /** How this account can finish: a TOTP code, a recovery code, a passkey. */
  methods: SecondStepMethod[];
  /** When the server asked for it (ms since the epoch): the token expires 5 minutes later. */
  asked_at: number;
}

/** Extra state carried by a navigation, e.g. a message for the next page to show. */
export interface NavigationState {
  /** A short confirmation shown at the top of the next page ("You are logged out."). */
  notice?: string;
  /** An email address to prefill (after signup, on the login page). */
  email?: string;
  /**
   * The second step of a sign-in (for /second-step). Kept in the history entry, not in the address, so the
   * token never lands in a bookmark, a shared link or the server's logs.
   */
  secondStep?: PendingSecondStep;
  /** The page a signed-out visitor asked for (a path), where the login page sends them once signed in. */
  from?: string;
}

export interface Location {
  /** Different for every navigation, even to the same path (a page is shown afresh each time). */
  key: string;
  pathname: string;
  /** The query string's parameters (`?token=...`). */
  query: URLSearchParams;
  state: NavigationState;
}

let current = readLocation();
let navigations = 0;
const listeners = new Set<() => void>();

function readLocation(): Location {
  const { key = "start", ...state } = (window.history.state ?? {}) as NavigationState & { key?: string };
  return { key, pathname: window.location.pathname, query: new URLSearchParams(window.location.search), state };
}

/** Reads the location again and tells every component using it. */
function locationChanged(): void {
  current = readLocation();
  listeners.forEach((listener) => listener());
}

window.addEventListener("popstate", locationChanged); // the browser's Back and Forward

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The current location; the component re-renders when it changes. */
export function useLocation(): Location {
  return useSyncExternalStore(subscribe, () => current);
}

/** Goes to `to` (a path with an optional query) without reloading the page. */
export function navigate(to: string, options: { replace?: boolean } & NavigationState = {}): void {
  const { replace = false, ...rest } = options;
  const state = { ...rest, key: `${Date.now()}-${++navigations}` };
  if (replace) window.history.replaceState(state, "", to);
  else window.history.pushState(state, "", to);
  locationChanged();
}

/** An `<a href>` that navigates inside the app (a modified click, e.g. Ctrl+click, still opens a new tab). */
export function Link({ to, onClick, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const follow = (event: MouseEvent<HTMLAnchorElement>): void => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={follow} {...rest} />;
}
