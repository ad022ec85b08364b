import { useState } from "react";
import { isSecondStepRequired } from "todo-rocket-client";

import { api } from "../api";
import { useAuth } from "../auth";
import { FormAlert } from "../components/Alert";
import { PasswordField } from "../components/Field";
import { PageHeading } from "../components/PageHeading";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";
import { Link, navigate, useLocation } from "../router";
import { goToSecondStep } from "../secondStep";

const FIELDS = ["new_password"] as const;

/** Opened from the link in the password-reset mail: `/reset-password?token=...`. */
export function ResetPasswordPage() {
  const { signIn } = useAuth();
  const token = useLocation().query.get("token") ?? "";
  const [badLink, setBadLink] = useState(token === "");
  const reset = useRequestForm({ new_password: "" }, async (values) => {
    const { data, error, response } = await api.POST("/auth/password/reset", { body: { token, ...values } });
    if (isSecondStepRequired(error)) {
      // The password is changed and every session ended; the account's second factor finishes the sign-in.
      goToSecondStep(error, {
        replace: true,
        notice: "Your password has been changed and your other devices were logged out. One more step to log in.",
      });
      return;
    }
    if (error) {
      if (error.errors?.some((problem) => problem.field === "token")) setBadLink(true);
      return toFormProblem(error, response, [...FIELDS, "token"]);
    }
    await signIn(data); // the reset started a new session and ended every other one
    navigate("/tasks", {
      replace: true,
      notice: "Your password has been changed and you are logged in. Your other devices were logged out.",
    });
  });

  return (
    <div className="card card--narrow">
      <PageHeading>Choose a new password</PageHeading>
      {badLink ? (
        <FormAlert>
          This link is invalid, already used or expired. <Link to="/forgot-password">Ask for a new link</Link>.
        </FormAlert>
      ) : (
        <form {...reset.form}>
          <FormAlert>{reset.problem.message}</FormAlert>
          <PasswordField id="reset-password" label="New password" fresh {...reset.field("new_password")} />
          <SubmitButton busy={reset.busy} label="Set new password" busyLabel="Saving…" />
        </form>
      )}
      <p className="card__footer">
        <Link to="/login">Back to log in</Link>
      </p>
    </div>
  );
}
