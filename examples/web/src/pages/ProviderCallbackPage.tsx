import { useEffect, useState } from "react";
import { isSecondStepRequired, type SecondStepRequired, type TokenResponse } from "todo-rocket-client";

import { api } from "../api";
import { useAuth } from "../auth";
import { FormAlert } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { Loading } from "../components/Spinner";
import { afterLogin, providerErrorMessage } from "../providers";
import { Link, navigate, useLocation } from "../router";
import { goToSecondStep } from "../secondStep";

type Outcome = { tokens: TokenResponse } | { secondStep: SecondStepRequired } | { problem: string };

/**
 * The exchange of each code, made once per page load: the code works once, and React may mount this page twice
 * (StrictMode runs effects twice in development) or render it again; every run waits for the same answer.
 */
const exchanges = new Map<string, Promise<Outcome>>();

function exchangeOnce(code: string): Promise<Outcome> {
  let exchange = exchanges.get(code);
  if (!exchange) {
    exchange = exchange_(code);
    exchanges.set(code, exchange);
  }
  return exchange;
}

async function exchange_(code: string): Promise<Outcome> {
  try {
    const { data, error, response } = await api.POST("/auth/oidc/exchange", { body: { code } });
    if (data) return { tokens: data };
    if (isSecondStepRequired(error)) return { secondStep: error };
    if (response.status === 422) return { problem: "This sign-in has expired or was already used. Please sign in again." };
    return { problem: `Could not sign you in: ${error?.detail || error?.title || `the server answered ${response.status}`}` };
  } catch {
    return { problem: "Cannot reach the server. Check your connection and try again." };
  }
}

/**
 * Where the server sends the browser back after a sign-in at an identity provider:
 * `/auth/callback?code=…&redirect_to=/tasks`, or `/auth/callback?error=…&error_description=…`. The parameters
 * leave the address bar at once (the code must not stay in the history or a bookmark); the code is exchanged for
 * a session (or the second step, as after a password), then the page goes on to `redirect_to`.
 */
export function ProviderCallbackPage() {
  const { signIn } = useAuth();
  // The query as the page was opened: the router's location keeps it after the address bar is cleaned below.
  const { query } = useLocation();
  const code = query.get("code");
  const error = query.get("error");
  const redirectTo = afterLogin(query.get("redirect_to"));
  const [problem, setProblem] = useState<string | null>(() => {
    if (error) return providerErrorMessage(error);
    if (!code) return "This page finishes a sign-in at an identity provider, but it was opened without one.";
    return null;
  });

  useEffect(() => {
    // Out of the address bar (and so out of the history), without a navigation that would show the page afresh.
    if (window.location.search) window.history.replaceState(window.history.state, "", window.location.pathname);
    if (error || !code) return;
    let current = true;
    void exchangeOnce(code).then(async (outcome) => {
      if (!current) return;
      if ("tokens" in outcome) {
        await signIn(outcome.tokens);
        navigate(redirectTo, { replace: true, notice: "You are logged in." });
      } else if ("secondStep" in outcome) {
        goToSecondStep(outcome.secondStep, {
          replace: true,
          notice: "You signed in at the identity provider. One more step: your account has two-step verification.",
        });
      } else {
        setProblem(outcome.problem);
      }
    });
    return () => {
      current = false;
    };
  }, [code, error, redirectTo, signIn]);

  return (
    <div className="card card--narrow">
      <PageHeading>{problem === null ? "Signing you in" : "Could not sign you in"}</PageHeading>
      {problem === null ? (
        <Loading>Finishing your sign-in…</Loading>
      ) : (
        <>
          <FormAlert>{problem}</FormAlert>
          {error && (
            <p className="lead" data-testid="provider-error-code">
              Error code: <code>{error}</code>
            </p>
          )}
          <p>
            <Link to="/login" className="button button--primary">
              Back to log in
            </Link>
          </p>
        </>
      )}
    </div>
  );
}
