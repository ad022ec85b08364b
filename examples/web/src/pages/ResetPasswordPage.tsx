import { useRef, useState, type FormEvent } from "react";

import { api } from "../api";
import { useAuth } from "../auth";
import { Field } from "../components/Field";
import { FormAlert } from "../components/FormAlert";
import { PageHeading } from "../components/PageHeading";
import { SubmitButton } from "../components/SubmitButton";
import { useFocusFirstInvalid } from "../components/useFocusFirstInvalid";
import { NETWORK_PROBLEM, NO_PROBLEM, toFormProblem, type FormProblem } from "../problems";
import { Link, navigate, useLocation } from "../router";

const FIELDS = ["new_password"] as const;

/** Opened from the link in the password-reset mail: `/reset-password?token=...`. */
export function ResetPasswordPage() {
  const { signIn } = useAuth();
  const token = useLocation().query.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem>(NO_PROBLEM);
  const [badLink, setBadLink] = useState(token === "");
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, problem);

  async function resetPassword(event: FormEvent): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setProblem(NO_PROBLEM);
    try {
      const { data, error, response } = await api.POST("/auth/password/reset", {
        body: { token, new_password: password },
      });
      if (error) {
        if (error.errors?.some((problem) => problem.field === "token")) setBadLink(true);
        setProblem(toFormProblem(error, response, [...FIELDS, "token"]));
        return;
      }
      await signIn(data); // the reset started a new session and ended every other one
      navigate("/tasks", {
        replace: true,
        notice: "Your password has been changed and you are logged in. Your other devices were logged out.",
      });
    } catch {
      setProblem(NETWORK_PROBLEM);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card card--narrow">
      <PageHeading>Choose a new password</PageHeading>
      {badLink ? (
        <FormAlert>
          This link is invalid, already used or expired. <Link to="/forgot-password">Ask for a new link</Link>.
        </FormAlert>
      ) : (
        <form ref={form} onSubmit={(event) => void resetPassword(event)} noValidate>
          <FormAlert>{problem.message}</FormAlert>
          <Field
            id="reset-password"
            label="New password"
            hint="At least 8 characters."
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={setPassword}
            error={problem.fields["new_password"]}
            required
          />
          <SubmitButton busy={busy} label="Set new password" busyLabel="Saving…" />
        </form>
      )}
      <p className="card__footer">
        <Link to="/login">Back to log in</Link>
      </p>
    </div>
  );
}
