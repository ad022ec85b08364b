import { api } from "../api";
import { useAuth } from "../auth";
import { FormAlert, Notice } from "../components/Alert";
import { EmailField, PasswordField } from "../components/Field";
import { PageHeading } from "../components/PageHeading";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";
import { Link, navigate, useLocation } from "../router";

const FIELDS = ["email", "password"] as const;

export function LoginPage() {
  const { signIn } = useAuth();
  const { state: arrived } = useLocation();
  const login = useRequestForm({ email: arrived.email ?? "", password: "" }, async (body) => {
    const { data, error, response } = await api.POST("/auth/login", { body });
    if (error) return toFormProblem(error, response, FIELDS, { 401: "Wrong email or password." });
    await signIn(data);
    navigate("/tasks", { replace: true });
  });

  return (
    <div className="card card--narrow">
      <PageHeading>Log in</PageHeading>
      <Notice>{arrived.notice}</Notice>
      <form {...login.form}>
        <FormAlert>{login.problem.message}</FormAlert>
        <EmailField id="login-email" autoComplete="username" {...login.field("email")} />
        <PasswordField id="login-password" label="Password" {...login.field("password")} />
        <SubmitButton busy={login.busy} label="Log in" busyLabel="Logging in…" />
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
