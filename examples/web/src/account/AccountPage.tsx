import { useCallback, useEffect, useState } from "react";
import { isTwoFactorSessionRequired, passkeysAvailable, registerPasskey, type ConfirmedFactor, type Factor, type Problem } from "todo-rocket-client";

import { api } from "../api";
import { useUser } from "../auth";
import { FormAlert, Notice } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { Loading, Spinner } from "../components/Spinner";
import { passkeyProblem } from "../problems";
import { FactorList } from "./FactorList";
import { Identities } from "./Identities";
import { RecoveryCodes } from "./RecoveryCodes";
import { TotpSetup } from "./TotpSetup";

/** What the page shows below the lists: nothing, the authenticator setup, or new recovery codes (once). */
type Panel = { kind: "none" } | { kind: "totp" } | { kind: "codes"; codes: string[] };

const NETWORK = "Cannot reach the server. Check your connection and try again.";

/** The words for a refusal of a change of factors. */
function refusal(problem: Problem, what: string): string {
  if (isTwoFactorSessionRequired(problem)) {
    return `${what} needs a session logged in with two steps. Log out, log in again with your code, and try once more.`;
  }
  return `${what} did not work: ${problem.detail || problem.title}`;
}

/**
 * Sign-in security: two-step verification (an authenticator app, passkeys), the account's factors, new
 * recovery codes, and the identity providers linked to the account.
 */
export function AccountPage() {
  const { has_password } = useUser();
  const [factors, setFactors] = useState<Factor[] | null>(null);
  const [twoFactorSession, setTwoFactorSession] = useState(false);
  const [panel, setPanel] = useState<Panel>({ kind: "none" });
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<"passkey" | "codes" | null>(null);
  const [removingId, setRemovingId] = useState<string | null>(null);

  const load = useCallback(async (): Promise<void> => {
    try {
      const [listed, sessions] = await Promise.all([api.GET("/auth/mfa/factors"), api.GET("/auth/sessions")]);
      if (listed.error) setProblem(listed.error.detail || listed.error.title);
      else setFactors(listed.data);
      setTwoFactorSession(sessions.data?.find((session) => session.current)?.aal === 2);
    } catch {
      setProblem("Cannot reach the server. Check your connection and reload this page.");
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  function begin(): void {
    setProblem(null);
    setNotice(null);
  }

  /** A factor was added: show its recovery codes when it was the first one, and the new list. */
  function added(confirmed: ConfirmedFactor, what: string): void {
    const codes = confirmed.recovery_codes ?? [];
    setPanel(codes.length > 0 ? { kind: "codes", codes } : { kind: "none" });
    setNotice(codes.length > 0 ? `${what} Two-step verification is on.` : what);
    void load();
  }

  async function addPasskey(): Promise<void> {
    begin();
    setBusy("passkey");
    try {
      const answer = await registerPasskey(api);
      if (answer.error) setProblem(refusal(answer.error, "Adding a passkey"));
      else added(answer.data, `Passkey “${answer.data.factor.name}” added.`);
    } catch (error) {
      setProblem(error instanceof TypeError ? NETWORK : passkeyProblem(error));
    } finally {
      setBusy(null);
    }
  }

  async function newRecoveryCodes(): Promise<void> {
    begin();
    setBusy("codes");
    try {
      const { data, error } = await api.POST("/auth/mfa/recovery-codes");
      if (error) setProblem(refusal(error, "Getting new recovery codes"));
      else setPanel({ kind: "codes", codes: data.recovery_codes });
    } catch {
      setProblem(NETWORK);
    } finally {
      setBusy(null);
    }
  }

  async function remove(factor: Factor): Promise<void> {
    begin();
    setRemovingId(factor.id);
    try {
      const { error, response } = await api.DELETE("/auth/mfa/factors/{id}", { params: { path: { id: factor.id } } });
      if (error && response.status !== 404) {
        setProblem(refusal(error, `Removing “${factor.name}”`));
        return;
      }
      const last = factors?.length === 1;
      setNotice(last ? `“${factor.name}” removed. Two-step verification is off.` : `“${factor.name}” removed.`);
      await load();
    } catch {
      setProblem(NETWORK);
    } finally {
      setRemovingId(null);
    }
  }

  const on = (factors?.length ?? 0) > 0;
  return (
    <div className="page">
      <PageHeading>Account security</PageHeading>
      <Notice>{notice}</Notice>
      <FormAlert>{problem}</FormAlert>
      {factors === null && !problem && <Loading>Loading your sign-in settings…</Loading>}
      {factors !== null && (
        <>
          <section className="section" aria-labelledby="two-step-heading">
            <h2 id="two-step-heading">Two-step verification</h2>
            <p className="lead" data-testid="two-step-status">
              {on
                ? "On: logging in needs your password (or a sign-in link) and then one of these."
                : has_password
                  ? "Off: your password alone logs you in. Add an authenticator app or a passkey, so that a stolen password is not enough."
                  : "Off: signing in at a linked provider (or a sign-in link) alone logs you in. Add an authenticator app or a passkey for a second step."}
            </p>
            {on && <FactorList factors={factors} removingId={removingId} onRemove={(factor) => void remove(factor)} />}
            {panel.kind === "none" && (
              <div className="section__actions">
                <button type="button" className="button" onClick={() => {
                    begin();
                    setPanel({ kind: "totp" });
                  }}>
                  Set up an authenticator app
                </button>
                {passkeysAvailable() && (
                  <button type="button" className="button" onClick={() => void addPasskey()} disabled={busy !== null}>
                    {busy === "passkey" && <Spinner />}
                    Add a passkey
                  </button>
                )}
              </div>
            )}
            {panel.kind === "totp" && (
              <TotpSetup
                needsPassword={!twoFactorSession}
                onConfirmed={(confirmed) => added(confirmed, "Authenticator app added.")}
                onCancel={() => setPanel({ kind: "none" })}
              />
            )}
          </section>
          {panel.kind === "codes" && <RecoveryCodes codes={panel.codes} onDone={() => setPanel({ kind: "none" })} />}
          {on && panel.kind === "none" && (
            <section className="section" aria-labelledby="recovery-heading">
              <h2 id="recovery-heading">Recovery codes</h2>
              <p className="lead">
                Each recovery code logs you in once when you do not have your phone or passkey. Getting new ones makes
                the old ones stop working.
              </p>
              <button type="button" className="button" onClick={() => void newRecoveryCodes()} disabled={busy !== null}>
                {busy === "codes" && <Spinner />}
                Get new recovery codes
              </button>
            </section>
          )}
        </>
      )}
      <Identities />
    </div>
  );
}
