import { useState } from "react";

import { api } from "../api";
import { FormAlert, Notice } from "../components/Alert";
import { EmailField } from "../components/Field";
import { PageHeading } from "../components/PageHeading";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";
import { Link } from "../router";

const FIELDS = ["email"] as const;

export function ForgotPasswordPage() {
  const [sent, setSent] = useState<string | null>(null);
  const forgot = useRequestForm({ email: "" }, async (body) => {
    const { data, error, response } = await api.POST("/auth/password/forgot", { body });
    if (error) return toFormProblem(error, response, FIELDS);
    setSent(data.detail); // the same answer whether or not the account exists
  });

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
          <form {...forgot.form}>
            <FormAlert>{forgot.problem.message}</FormAlert>
            <EmailField id="forgot-email" autoComplete="email" {...forgot.field("email")} />
            <SubmitButton busy={forgot.busy} label="Send reset link" busyLabel="Sending…" />
          </form>
        </>
      )}
      <p className="card__footer">
        <Link to="/login">Back to log in</Link>
      </p>
    </div>
  );
}
