import { useRef, useState, type FormEvent } from "react";

import { api } from "../api";
import { Field } from "../components/Field";
import { FormAlert } from "../components/FormAlert";
import { Notice } from "../components/Notice";
import { PageHeading } from "../components/PageHeading";
import { SubmitButton } from "../components/SubmitButton";
import { useFocusFirstInvalid } from "../components/useFocusFirstInvalid";
import { NETWORK_PROBLEM, NO_PROBLEM, toFormProblem, type FormProblem } from "../problems";
import { Link } from "../router";

const FIELDS = ["email"] as const;

export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem>(NO_PROBLEM);
  const [sent, setSent] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, problem);

  async function requestLink(event: FormEvent): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setProblem(NO_PROBLEM);
    try {
      const { data, error, response } = await api.POST("/auth/password/forgot", { body: { email } });
      if (error) {
        setProblem(toFormProblem(error, response, FIELDS));
        return;
      }
      setSent(data.detail); // the same answer whether or not the account exists
    } catch {
      setProblem(NETWORK_PROBLEM);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card card--narrow">
      <PageHeading>Reset your password</PageHeading>
      {sent ? (
        <Notice>
          {sent} The link works for one hour.
        </Notice>
      ) : (
        <>
          <p>Enter the email address of your account and we will send you a link to choose a new password.</p>
          <form ref={form} onSubmit={(event) => void requestLink(event)} noValidate>
            <FormAlert>{problem.message}</FormAlert>
            <Field
              id="forgot-email"
              label="Email"
              type="email"
              autoComplete="email"
              value={email}
              onChange={setEmail}
              error={problem.fields["email"]}
              required
            />
            <SubmitButton busy={busy} label="Send reset link" busyLabel="Sending…" />
          </form>
        </>
      )}
      <p className="card__footer">
        <Link to="/login">Back to log in</Link>
      </p>
    </div>
  );
}
