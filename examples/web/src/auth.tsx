/**
 * Who is signed in: the `User` of the stored session, shared with every component through
 * `useAuth()`, with the actions that change it (sign in with a token response, sign out).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { TokenResponse, User } from "todo-rocket-client";

import { api, onSessionEnded, tokens } from "./api";
import { navigate } from "./router";

export type AuthState =
  | { status: "loading" }
  | { status: "signed-out" }
  | { status: "signed-in"; user: User };

export interface Auth {
  state: AuthState;
  /** Stores the tokens of a login (or a password reset) and loads the user. */
  signIn(tokenResponse: TokenResponse): Promise<void>;
  /** Ends this device's session on the server, forgets the tokens and shows the login page. */
  signOut(): Promise<void>;
  /** Loads the user again (e.g. after the email was verified). */
  reloadUser(): Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth() outside <AuthProvider>");
  return auth;
}

/** The signed-in user, for components that are only shown while signed in. */
export function useUser(): User {
  const { state } = useAuth();
  if (state.status !== "signed-in") throw new Error("useUser() while signed out");
  return state.user;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>(() => (tokens.get() ? { status: "loading" } : { status: "signed-out" }));

  const reloadUser = useCallback(async (): Promise<void> => {
    if (!tokens.get()) {
      setState({ status: "signed-out" });
      return;
    }
    try {
      const { data } = await api.GET("/auth/me");
      // No user: the session ended (onSessionEnded below shows the login page) or the server failed.
      setState(data ? { status: "signed-in", user: data } : { status: "signed-out" });
    } catch {
      setState({ status: "signed-out" });
    }
  }, []);

  // A stored session (this tab was reloaded): find out whose it is.
  useEffect(() => {
    if (tokens.get()) void reloadUser();
  }, [reloadUser]);

  // The session ended by itself (revoked on another device, or expired): back to the login page.
  useEffect(
    () =>
      onSessionEnded(() => {
        setState({ status: "signed-out" });
        navigate("/login", { replace: true, notice: "Your session has ended. Please log in again." });
      }),
    [],
  );

  const signIn = useCallback(
    async (tokenResponse: TokenResponse): Promise<void> => {
      tokens.set(tokenResponse);
      await reloadUser();
    },
    [reloadUser],
  );

  const signOut = useCallback(async (): Promise<void> => {
    try {
      await api.POST("/auth/logout", { params: { query: { scope: "local" } } });
    } catch {
      // Offline: the tokens are forgotten below all the same; the session expires on the server.
    }
    tokens.clear();
    setState({ status: "signed-out" });
    navigate("/login", { notice: "You are logged out." });
  }, []);

  const auth = useMemo<Auth>(() => ({ state, signIn, signOut, reloadUser }), [state, signIn, signOut, reloadUser]);
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}
