import { useEffect, useRef, useState } from "react";

import { api } from "../api";
import { useAuth } from "../auth";
import { FormAlert, Notice } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { Loading } from "../components/Spinner";
import { Link, useLocation } from "../router";

type Outcome = { status: "verifying" } | { status: "verified"; email: string } | { status: "failed"; message: string };

/** Opened from the link in the verification mail: `/verify-email?token=...`; confirms at once. */
export function VerifyEmailPage() {
  const { state, reloadUser } = useAuth();
  const token = useLocation().query.get("token") ?? "";
  const [outcome, setOutcome] = useState<Outcome>({ status: "verifying" });
  const sentFor = useRef<string | null>(null);

  useEffect(() => {
    // A token works once: never post it twice (React runs effects twice in development).
    if (sentFor.current === token) return;
    sentFor.current = token;
    if (!token) {
      setOutcome({ status: "failed", message: "This link is incomplete: it has no token." });
      return;
    }
    void (async () => {
      try {
        const { data, error } = await api.POST("/auth/email/verify", { body: { token } });
        if (error) {
          const badToken = error.errors?.some((problem) => problem.field === "token");
          setOutcome({
            status: "failed",
            message: badToken ? "This link is invalid, already used or expired." : error.detail || error.title,
          });
          return;
        }
        setOutcome({ status: "verified", email: data.email });
        await reloadUser(); // the banner asking to verify goes away (when signed in)
      } catch {
        setOutcome({ status: "failed", message: "Cannot reach the server. Check your connection and reload this page." });
      }
    })();
  }, [token, reloadUser]);

  const signedIn = state.status === "signed-in";
  return (
    <div className="card card--narrow">
      <PageHeading>Confirm your email address</PageHeading>
      {outcome.status === "verifying" && <Loading>Confirming your email address…</Loading>}
      {outcome.status === "verified" && (
        <Notice>
          Thank you: <strong>{outcome.email}</strong> is confirmed.
        </Notice>
      )}
      {outcome.status === "failed" && (
        <FormAlert>
          {outcome.message}{" "}
          {signedIn ? "Use “Resend verification email” above to get a new one." : "Log in to ask for a new one."}
        </FormAlert>
      )}
      {outcome.status !== "verifying" && (
        <p>
          {signedIn ? (
            <Link to="/tasks" className="button button--primary">
              Go to your tasks
            </Link>
          ) : (
            <Link to="/login" className="button button--primary">
              Log in
            </Link>
          )}
        </p>
      )}
    </div>
  );
}
