import { useRef, useState, type FormEvent } from "react";

import { api } from "../api";
import { useAuth } from "../auth";
import { Field } from "../components/Field";
import { FormAlert } from "../components/FormAlert";
import { Notice } from "../components/Notice";
import { PageHeading } from "../components/PageHeading";
import { SubmitButton } from "../components/SubmitButton";
import { useFocusFirstInvalid } from "../components/useFocusFirstInvalid";
import { NETWORK_PROBLEM, NO_PROBLEM, toFormProblem, type FormProblem } from "../problems";
import { Link, navigate, useLocation } from "../router";

const FIELDS = ["email", "password"] as const;

export function LoginPage() {
  const { signIn } = useAuth();
  const { state: arrived } = useLocation();
  const [email, setEmail] = useState(arrived.email ?? "");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem>(NO_PROBLEM);
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, problem);

  async function logIn(event: FormEvent): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setProblem(NO_PROBLEM);
    try {
      const { data, error, response } = await api.POST("/auth/login", { body: { email, password } });
      if (error) {
        setProblem(toFormProblem(error, response, FIELDS, { 401: "Wrong email or password." }));
        return;
      }
      await signIn(data);
      navigate("/tasks", { replace: true });
    } catch {
      setProblem(NETWORK_PROBLEM);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card card--narrow">
      <PageHeading>Log in</PageHeading>
      <Notice>{arrived.notice}</Notice>
      <form ref={form} onSubmit={(event) => void logIn(event)} noValidate>
        <FormAlert>{problem.message}</FormAlert>
        <Field
          id="login-email"
          label="Email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={setEmail}
          error={problem.fields["email"]}
          required
        />
        <Field
          id="login-password"
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
          error={problem.fields["password"]}
          required
        />
        <SubmitButton busy={busy} label="Log in" busyLabel="Logging in…" />
      </form>
      <p className="card__footer">
        <Link to="/forgot-password">Forgot your password?</Link>
        <span>
          New here? <Link to="/signup">Create an account</Link>
        </span>
      </p>
    </div>
  );
}
