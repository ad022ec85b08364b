import { QRCodeSVG } from "qrcode.react";
import { useEffect, useRef, useState } from "react";
import type { ConfirmedFactor, TotpEnrollment } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert } from "../components/Alert";
import { Field, PasswordField } from "../components/Field";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";

interface TotpSetupProps {
  /** The session was won with one factor: the server wants the password before it hands out a secret. */
  needsPassword: boolean;
  /** The authenticator is confirmed (with the recovery codes when it is the account's first factor). */
  onConfirmed(confirmed: ConfirmedFactor): void;
  onCancel(): void;
}

/**
 * Adding an authenticator app: the password (when the session needs it), then the secret as a QR code and
 * as text, then a code from the app to confirm it.
 */
export function TotpSetup({ needsPassword, onConfirmed, onCancel }: TotpSetupProps) {
  const [enrollment, setEnrollment] = useState<TotpEnrollment | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);

  const start = useRequestForm({ password: "" }, async ({ password }) => {
    const { data, error, response } = await api.POST("/auth/mfa/totp", { body: needsPassword ? { password } : {} });
    if (error) return toFormProblem(error, response, ["password"], { 403: "That password is not right." });
    setEnrollment(data);
  });

  return (
    <section className="panel" aria-labelledby="totp-setup-heading">
      <h3 id="totp-setup-heading" ref={heading} tabIndex={-1}>
        Set up an authenticator app
      </h3>
      {enrollment === null ? (
        <form {...start.form}>
          <p>
            An authenticator app (such as Google Authenticator, Microsoft Authenticator, 1Password or Aegis) shows a new
            6-digit code every 30 seconds. Once it is set up, logging in asks for that code after your password.
          </p>
          <FormAlert>{start.problem.message}</FormAlert>
          {needsPassword && (
            <PasswordField id="totp-password" label="Your password" hint="To make sure it is you." {...start.field("password")} />
          )}
          <div className="panel__actions">
            <SubmitButton busy={start.busy} label="Continue" busyLabel="Starting…" />
            <button type="button" className="button" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <ConfirmTotp enrollment={enrollment} onConfirmed={onConfirmed} onCancel={onCancel} />
      )}
    </section>
  );
}

function ConfirmTotp({
  enrollment,
  onConfirmed,
  onCancel,
}: {
  enrollment: TotpEnrollment;
  onConfirmed(confirmed: ConfirmedFactor): void;
  onCancel(): void;
}) {
  const confirm = useRequestForm({ code: "" }, async ({ code }) => {
    if (code.trim() === "") return { message: null, fields: { code: "Enter the 6-digit code the app shows." } };
    const { data, error, response } = await api.POST("/auth/mfa/totp/{factor_id}/confirm", {
      params: { path: { factor_id: enrollment.factor_id } },
      body: { code },
    });
    if (error) {
      if (response.status === 404) return { message: "This setup has expired. Cancel and start again.", fields: {} };
      return toFormProblem(error, response, ["code"]);
    }
    onConfirmed(data);
  });

  return (
    <>
      <ol className="steps">
        <li>
          <p>Scan this QR code with the app:</p>
          <div className="qr">
            <QRCodeSVG value={enrollment.otpauth_uri} size={192} marginSize={2} title="QR code of the authenticator secret" />
          </div>
        </li>
        <li>
          <p>Or, if you cannot scan it, type this key into the app (time-based):</p>
          <p>
            <code className="secret" data-testid="totp-secret" aria-label="Authenticator key">
              {enrollment.secret.replace(/(.{4})(?=.)/g, "$1 ")}
            </code>
          </p>
        </li>
        <li>
          <form {...confirm.form}>
            <FormAlert>{confirm.problem.message}</FormAlert>
            <Field
              id="totp-code"
              label="Code from the app"
              hint="The 6 digits it shows now."
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]*"
              maxLength={6}
              required
              {...confirm.field("code")}
            />
            <div className="panel__actions">
              <SubmitButton busy={confirm.busy} label="Turn on" busyLabel="Checking…" />
              <button type="button" className="button" onClick={onCancel}>
                Cancel
              </button>
            </div>
          </form>
        </li>
      </ol>
    </>
  );
}
