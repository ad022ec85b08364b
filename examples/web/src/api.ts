/**
 * The one place that talks to the server: a `todo-rocket-client` session client.
 *
 * Every call carries the session's access token; when the server answers 401 (the access token
 * expired), the client spends the refresh token once, stores the new tokens and retries the call,
 * so the user never notices. When the refresh is refused too, the session is over and the
 * listeners of `onSessionEnded` are told (the app shows the login page).
 */
import { createSessionClient, type SessionTokens, type TokenStore } from "todo-rocket-client";

import { API_URL } from "./config";

/**
 * Keeps the tokens in `sessionStorage`: they survive a reload of this tab (and opening a link from
 * a mail in it), but not a new tab or closing the browser. A middle ground between memory only
 * (lost on every reload) and `localStorage` (readable by any script on this origin for 30 days);
 * see "Sessions" in the top README.
 */
class SessionStorageTokenStore implements TokenStore {
  constructor(private readonly key: string) {}

  get(): SessionTokens | undefined {
    const saved = sessionStorage.getItem(this.key);
    if (!saved) return undefined;
    try {
      const { access_token, refresh_token } = JSON.parse(saved) as Partial<SessionTokens>;
      if (typeof access_token === "string" && typeof refresh_token === "string") return { access_token, refresh_token };
    } catch {
      // unreadable: treat as signed out
    }
    return undefined;
  }

  set(tokens: SessionTokens): void {
    const { access_token, refresh_token } = tokens;
    sessionStorage.setItem(this.key, JSON.stringify({ access_token, refresh_token }));
  }

  clear(): void {
    sessionStorage.removeItem(this.key);
  }
}

export const tokens = new SessionStorageTokenStore("todo-rocket-web.session");

const sessionEndedListeners = new Set<() => void>();

/** Calls `listener` when the session ends by itself (refresh refused). Returns the unsubscribe function. */
export function onSessionEnded(listener: () => void): () => void {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

export const api = createSessionClient({
  baseUrl: API_URL,
  tokens,
  onSessionEnded: () => sessionEndedListeners.forEach((listener) => listener()),
});
