import { api } from "../api";
import { FormAlert } from "../components/Alert";
import { EmailField, PasswordField } from "../components/Field";
import { PageHeading } from "../components/PageHeading";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";
import { Link, navigate } from "../router";

const FIELDS = ["email", "password"] as const;

export function SignupPage() {
  const signup = useRequestForm({ email: "", password: "" }, async (body) => {
    const { data, error, response } = await api.POST("/auth/signup", { body });
    if (error) {
      return response.status === 409
        ? { message: null, fields: { email: "An account with this email already exists. Log in instead?" } }
        : toFormProblem(error, response, FIELDS);
    }
    navigate("/login", {
      email: data.email,
      notice: `Account created. We sent a link to ${data.email} to confirm the address. Log in to continue.`,
    });
  });

  return (
    <div className="card card--narrow">
      <PageHeading>Create an account</PageHeading>
      <form {...signup.form}>
        <FormAlert>{signup.problem.message}</FormAlert>
        <EmailField id="signup-email" autoComplete="email" {...signup.field("email")} />
        <PasswordField id="signup-password" label="Password" fresh {...signup.field("password")} />
        <SubmitButton busy={signup.busy} label="Create account" busyLabel="Creating your account…" />
      </form>
      <p className="card__footer">
        <span>
          Already have an account? <Link to="/login">Log in</Link>
        </span>
      </p>
    </div>
  );
}
