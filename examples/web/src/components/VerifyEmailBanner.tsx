import { useState } from "react";

import { api } from "../api";
import { useAuth } from "../auth";
import { retryAfter } from "../problems";
import { Spinner } from "./Spinner";

/** Shown while the signed-in user's email is not verified, with a button to send the link again. */
export function VerifyEmailBanner({ email }: { email: string }) {
  const { reloadUser } = useAuth();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);

  async function resend(): Promise<void> {
    setBusy(true);
    setOutcome(null);
    try {
      const { error, response } = await api.POST("/auth/email/verify/resend");
      if (!error) setOutcome({ ok: true, text: `Sent. Check the inbox of ${email}.` });
      else if (response.status === 429) setOutcome({ ok: false, text: waitBeforeResending(response) });
      else if (response.status === 409) await reloadUser(); // verified meanwhile: the banner goes away
      else setOutcome({ ok: false, text: error.detail || error.title });
    } catch {
      setOutcome({ ok: false, text: "Cannot reach the server. Check your connection and try again." });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="banner" aria-label="Email address not confirmed">
      <div className="banner__inner">
        <p>
          Please confirm your email address: open the link we sent to <strong>{email}</strong>.
        </p>
        <button type="button" className="button" onClick={() => void resend()} disabled={busy} aria-busy={busy || undefined}>
          {busy && <Spinner />}
          {busy ? "Sending…" : "Resend verification email"}
        </button>
        <p className={outcome?.ok === false ? "banner__outcome banner__outcome--error" : "banner__outcome"} role="status">
          {outcome?.text}
        </p>
      </div>
    </section>
  );
}

/** The answer to a 429: at most one mail a minute. */
function waitBeforeResending(response: Response): string {
  const wait = retryAfter(response);
  return `We sent you one a moment ago. You can ask for another ${wait ? `in ${wait}` : "in a minute"}.`;
}
