import { useRef, useState } from "react";
import { finishSecondStepWithPasskey, passkeysAvailable } from "todo-rocket-client";

import { api } from "../api";
import { useAuth } from "../auth";
import { FormAlert, Notice } from "../components/Alert";
import { Field } from "../components/Field";
import { PageHeading } from "../components/PageHeading";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { passkeyProblem, toFormProblem, type FormProblem } from "../problems";
import { Link, navigate, useLocation, type PendingSecondStep } from "../router";
import { SECOND_STEP_LIFETIME_MS } from "../secondStep";

/** The server voids a second step after this many wrong codes. */
const WRONG_CODES_ALLOWED = 5;

const EXPIRED: FormProblem = {
  message: "This sign-in has expired or had too many wrong codes. Log in again to get a new one.",
  fields: {},
};

/**
 * The second step of a sign-in (after a right password, reset link or sign-in link, for an account with a
 * second factor): a code from the authenticator app, a recovery code, or a passkey. The `mfa_token` comes
 * with the navigation (history state), never in the address.
 */
export function SecondStepPage() {
  const { state: arrived } = useLocation();
  const step = arrived.secondStep;
  return (
    <div className="card card--narrow">
      <PageHeading>Two-step verification</PageHeading>
      {step ? (
        <SecondStepForm step={step} notice={arrived.notice} />
      ) : (
        <FormAlert>
          There is no sign-in waiting for a second step here. <Link to="/login">Log in</Link> first.
        </FormAlert>
      )}
      <p className="card__footer">
        <Link to="/login">Cancel and go back to log in</Link>
      </p>
    </div>
  );
}

function SecondStepForm({ step, notice }: { step: PendingSecondStep; notice: string | undefined }) {
  const { signIn } = useAuth();
  const [mode, setMode] = useState<"totp" | "recovery_code">(step.methods.includes("totp") ? "totp" : "recovery_code");
  const wrongCodes = useRef(0);
  const expired = () => wrongCodes.current >= WRONG_CODES_ALLOWED || Date.now() - step.asked_at > SECOND_STEP_LIFETIME_MS;

  const finish = async (tokens: Parameters<typeof signIn>[0]): Promise<void> => {
    await signIn(tokens);
    navigate("/tasks", { replace: true, notice: "You are logged in." });
  };

  const verify = useRequestForm({ code: "" }, async ({ code }) => {
    if (code.trim() === "") {
      return { message: null, fields: { code: mode === "totp" ? "Enter the 6-digit code from your app." : "Enter one of your recovery codes." } };
    }
    const { data, error, response } = await api.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code } });
    if (error) {
      if (response.status !== 401) return toFormProblem(error, response, ["code"]);
      wrongCodes.current += 1;
      if (expired()) return EXPIRED;
      const wrong = mode === "totp" ? "That code did not work. Enter the code your app shows now." : "That recovery code did not work.";
      return { message: null, fields: { code: wrong } };
    }
    await finish(data);
  });

  const passkey = () =>
    verify.send(async () => {
      let answer;
      try {
        answer = await finishSecondStepWithPasskey(api, step.mfa_token);
      } catch (error) {
        return { message: passkeyProblem(error), fields: {} };
      }
      if (answer.response.status === 401) {
        // At the options, the mfa_token itself was refused. At /auth/mfa/verify, the passkey's answer was: that
        // takes one of the token's attempts, as a wrong code does.
        const atVerify = new URL(answer.response.url).pathname.endsWith("/auth/mfa/verify");
        if (!atVerify) return EXPIRED;
        wrongCodes.current += 1;
        if (expired()) return EXPIRED;
        return { message: "This passkey was not accepted. Try again, or use a code instead.", fields: {} };
      }
      if (answer.error) {
        const { message } = toFormProblem(answer.error, answer.response, []);
        return { message: `Could not use a passkey: ${message}`, fields: {} };
      }
      await finish(answer.data);
    });

  const switchTo = (next: "totp" | "recovery_code") => {
    setMode(next);
    verify.field("code").onChange("");
  };

  return (
    <>
      <Notice>{notice}</Notice>
      <p>
        {mode === "totp"
          ? "Open your authenticator app and enter the 6-digit code it shows for this account."
          : "Enter one of the recovery codes you saved when you turned on two-step verification. Each code works once."}
      </p>
      <form {...verify.form}>
        <FormAlert>{verify.problem.message}</FormAlert>
        {mode === "totp" ? (
          <Field
            key="totp"
            id="second-step-code"
            label="Code from your app"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]*"
            maxLength={6}
            required
            {...verify.field("code")}
          />
        ) : (
          <Field
            key="recovery"
            id="second-step-recovery-code"
            label="Recovery code"
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="none"
            required
            {...verify.field("code")}
          />
        )}
        <SubmitButton busy={verify.busy} label="Verify" busyLabel="Checking…" />
      </form>
      <div className="other-ways" role="group" aria-label="Other ways to finish">
        {mode === "totp" && step.methods.includes("recovery_code") && (
          <button type="button" className="button button--quiet" onClick={() => switchTo("recovery_code")}>
            Use a recovery code instead
          </button>
        )}
        {mode === "recovery_code" && step.methods.includes("totp") && (
          <button type="button" className="button button--quiet" onClick={() => switchTo("totp")}>
            Use a code from your app instead
          </button>
        )}
        {step.methods.includes("passkey") && passkeysAvailable() && (
          <button type="button" className="button" onClick={passkey} disabled={verify.busy}>
            Use a passkey
          </button>
        )}
      </div>
    </>
  );
}
