import { useEffect, useState } from "react";
import {
  isEmailNotVerified,
  isSecondStepRequired,
  passkeysAvailable,
  signInWithPasskey,
  type Provider,
} from "todo-rocket-client";

import { api } from "../api";
import { useAuth } from "../auth";
import { FormAlert, Notice } from "../components/Alert";
import { EmailField, PasswordField } from "../components/Field";
import { PageHeading } from "../components/PageHeading";
import { Spinner } from "../components/Spinner";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { passkeyProblem, toFormProblem } from "../problems";
import { afterLogin, signInWithProvider } from "../providers";
import { Link, navigate, useLocation } from "../router";
import { goToSecondStep } from "../secondStep";

const FIELDS = ["email", "password"] as const;

/**
 * The server refused the passkey's answer (401): a passkey the account no longer has, one of another site, a
 * prompt left open longer than the challenge lives (5 minutes), or a signature that did not check out.
 */
const PASSKEY_REFUSED =
  "This passkey was not accepted. It may have been removed from your account: log in another way, or try again.";

export function LoginPage() {
  const { signIn } = useAuth();
  const { state: arrived } = useLocation();
  const [linkSent, setLinkSent] = useState<string | null>(null);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [leavingFor, setLeavingFor] = useState<string | null>(null);
  /** Where to go once signed in: the page that sent here, else the tasks. */
  const next = afterLogin(arrived.from);

  // The identity providers configured on the server: a button each. None (or no answer): no buttons.
  useEffect(() => {
    let current = true;
    api.GET("/auth/providers").then(
      ({ data }) => current && data && setProviders(data),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, []);

  // Back from the provider's page with the browser's Back button, this page may come from the back-forward cache
  // as it was left: its buttons disabled.
  useEffect(() => {
    const shown = (event: PageTransitionEvent) => event.persisted && setLeavingFor(null);
    window.addEventListener("pageshow", shown);
    return () => window.removeEventListener("pageshow", shown);
  }, []);
  const login = useRequestForm({ email: arrived.email ?? "", password: "" }, async (body) => {
    setLinkSent(null);
    const { data, error, response } = await api.POST("/auth/login", { body });
    if (isSecondStepRequired(error)) {
      goToSecondStep(error); // the password was right; the account has a second factor
      return;
    }
    if (isEmailNotVerified(error)) {
      return { message: "Confirm your email address first: open the link in the mail we sent when you signed up.", fields: {} };
    }
    if (error) return toFormProblem(error, response, FIELDS, { 401: "Wrong email or password." });
    await signIn(data);
    navigate(next, { replace: true });
  });

  /** "Email me a sign-in link": the email field alone, the password is not needed. */
  const sendLink = () =>
    login.send(async ({ email }) => {
      setLinkSent(null);
      if (email.trim() === "") return { message: null, fields: { email: "Enter the email address of your account first." } };
      const { data, error, response } = await api.POST("/auth/magic-link", { body: { email } });
      if (error) return toFormProblem(error, response, ["email"]);
      setLinkSent(`${data.detail} It works once, for 15 minutes.`); // the same answer whether or not the account exists
    });

  /** "Sign in with a passkey": no email or password; the passkey names its account. */
  const passkeySignIn = () =>
    login.send(async () => {
      setLinkSent(null);
      let answer;
      try {
        answer = await signInWithPasskey(api);
      } catch (error) {
        return { message: passkeyProblem(error), fields: {} };
      }
      if (answer.response.status === 401) return { message: PASSKEY_REFUSED, fields: {} };
      if (answer.error) {
        const { message } = toFormProblem(answer.error, answer.response, []);
        return { message: `Could not sign in with a passkey: ${message}`, fields: {} };
      }
      await signIn(answer.data);
      navigate(next, { replace: true });
    });

  return (
    <div className="card card--narrow">
      <PageHeading>Log in</PageHeading>
      <Notice>{linkSent ?? arrived.notice}</Notice>
      <form {...login.form}>
        <FormAlert>{login.problem.message}</FormAlert>
        <EmailField id="login-email" autoComplete="username" {...login.field("email")} />
        <PasswordField id="login-password" label="Password" {...login.field("password")} />
        <SubmitButton busy={login.busy} label="Log in" busyLabel="Logging in…" />
      </form>
      <div className="other-ways" role="group" aria-label="Other ways to log in">
        <p className="other-ways__divider">or</p>
        <button type="button" className="button" onClick={sendLink} disabled={login.busy}>
          Email me a sign-in link
        </button>
        {passkeysAvailable() && (
          <button type="button" className="button" onClick={passkeySignIn} disabled={login.busy}>
            Sign in with a passkey
          </button>
        )}
        {providers.map((provider) => (
          <button
            key={provider.name}
            type="button"
            className="button"
            onClick={() => {
              setLeavingFor(provider.name);
              signInWithProvider(provider.name, next);
            }}
            disabled={login.busy || leavingFor !== null}
          >
            {leavingFor === provider.name && <Spinner />}
            Sign in with {provider.label}
          </button>
        ))}
      </div>
      <p className="card__footer">
        <Link to="/forgot-password">Forgot your password?</Link>
        <span>
          New here? <Link to="/signup">Create an account</Link>
        </span>
      </p>
    </div>
  );
}
