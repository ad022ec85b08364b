import { useRef, useState, type FormEvent } from "react";

import { api } from "../api";
import { Field } from "../components/Field";
import { FormAlert } from "../components/FormAlert";
import { PageHeading } from "../components/PageHeading";
import { SubmitButton } from "../components/SubmitButton";
import { useFocusFirstInvalid } from "../components/useFocusFirstInvalid";
import { NETWORK_PROBLEM, NO_PROBLEM, toFormProblem, type FormProblem } from "../problems";
import { Link, navigate } from "../router";

const FIELDS = ["email", "password"] as const;

export function SignupPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem>(NO_PROBLEM);
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, problem);

  async function signUp(event: FormEvent): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setProblem(NO_PROBLEM);
    try {
      const { data, error, response } = await api.POST("/auth/signup", { body: { email, password } });
      if (error) {
        setProblem(
          response.status === 409
            ? { message: null, fields: { email: "An account with this email already exists. Log in instead?" } }
            : toFormProblem(error, response, FIELDS),
        );
        return;
      }
      navigate("/login", {
        email: data.email,
        notice: `Account created. We sent a link to ${data.email} to confirm the address. Log in to continue.`,
      });
    } catch {
      setProblem(NETWORK_PROBLEM);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card card--narrow">
      <PageHeading>Create an account</PageHeading>
      <form ref={form} onSubmit={(event) => void signUp(event)} noValidate>
        <FormAlert>{problem.message}</FormAlert>
        <Field
          id="signup-email"
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={setEmail}
          error={problem.fields["email"]}
          required
        />
        <Field
          id="signup-password"
          label="Password"
          hint="At least 8 characters."
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          error={problem.fields["password"]}
          required
        />
        <SubmitButton busy={busy} label="Create account" busyLabel="Creating your account…" />
      </form>
      <p className="card__footer">
        <span>
          Already have an account? <Link to="/login">Log in</Link>
        </span>
      </p>
    </div>
  );
}
