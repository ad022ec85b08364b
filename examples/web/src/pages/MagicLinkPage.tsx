import { useEffect, useRef, useState } from "react";
import { isSecondStepRequired } from "todo-rocket-client";

import { api } from "../api";
import { useAuth } from "../auth";
import { FormAlert } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { Loading } from "../components/Spinner";
import { Link, navigate, useLocation } from "../router";
import { goToSecondStep } from "../secondStep";

/**
 * Opened from the link in the sign-in mail: `/magic-link?token=...`; signs in at once, or goes on to the
 * second step when the account has a second factor.
 */
export function MagicLinkPage() {
  const { signIn } = useAuth();
  const token = useLocation().query.get("token") ?? "";
  const [problem, setProblem] = useState<string | null>(null);
  const sentFor = useRef<string | null>(null);

  useEffect(() => {
    // A token works once: never post it twice (React runs effects twice in development).
    if (sentFor.current === token) return;
    sentFor.current = token;
    if (!token) {
      setProblem("This link is incomplete: it has no token.");
      return;
    }
    void (async () => {
      try {
        const { data, error } = await api.POST("/auth/magic-link/verify", { body: { token } });
        if (isSecondStepRequired(error)) {
          goToSecondStep(error, {
            replace: true,
            notice: "Your sign-in link worked. One more step: your account has two-step verification.",
          });
          return;
        }
        if (error) {
          const badToken = error.errors?.some((problem) => problem.field === "token");
          setProblem(badToken ? "This sign-in link is invalid, already used or expired." : error.detail || error.title);
          return;
        }
        await signIn(data);
        navigate("/tasks", { replace: true, notice: "You are logged in with the link from your mail." });
      } catch {
        setProblem("Cannot reach the server. Check your connection and reload this page.");
      }
    })();
  }, [token, signIn]);

  return (
    <div className="card card--narrow">
      <PageHeading>Logging you in</PageHeading>
      {problem === null ? (
        <Loading>Checking your sign-in link…</Loading>
      ) : (
        <>
          <FormAlert>{problem}</FormAlert>
          <p>
            <Link to="/login" className="button button--primary">
              Back to log in
            </Link>
          </p>
          <p className="card__footer">A link works once, for 15 minutes. On the log-in page you can ask for a new one.</p>
        </>
      )}
    </div>
  );
}
