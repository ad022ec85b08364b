import { useCallback, useEffect, useState } from "react";
import type { Identity } from "todo-rocket-client";

import { api } from "../api";
import { useUser } from "../auth";
import { FormAlert, Notice } from "../components/Alert";
import { Loading, Spinner } from "../components/Spinner";
import { formatTime } from "../format";

const NETWORK = "Cannot reach the server. Check your connection and try again.";

/**
 * The identities at providers linked to the account (`GET /auth/identities`), each with "Unlink", and, for an
 * account made by a provider sign-in, the note that it has no password and how to get one.
 */
export function Identities() {
  const user = useUser();
  const [identities, setIdentities] = useState<Identity[] | null>(null);
  const [labels, setLabels] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [unlinkingId, setUnlinkingId] = useState<string | null>(null);
  const [mailing, setMailing] = useState(false);

  const load = useCallback(async (): Promise<void> => {
    try {
      const [listed, providers] = await Promise.all([api.GET("/auth/identities"), api.GET("/auth/providers")]);
      if (listed.error) setProblem(listed.error.detail || listed.error.title);
      else setIdentities(listed.data);
      if (providers.data) setLabels(Object.fromEntries(providers.data.map(({ name, label }) => [name, label])));
    } catch {
      setProblem("Cannot reach the server. Check your connection and reload this page.");
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const label = (identity: Identity): string => labels[identity.provider] ?? identity.provider;

  async function unlink(identity: Identity): Promise<void> {
    setProblem(null);
    setNotice(null);
    setUnlinkingId(identity.id);
    try {
      const { error, response } = await api.DELETE("/auth/identities/{id}", { params: { path: { id: identity.id } } });
      if (error && response.status !== 404) {
        // 409: the account's last way to sign in; the server says what to do.
        setProblem(`Could not unlink ${label(identity)}: ${error.detail || error.title}`);
        return;
      }
      setNotice(`${label(identity)} (${identity.email}) is no longer linked.`);
      await load();
    } catch {
      setProblem(NETWORK);
    } finally {
      setUnlinkingId(null);
    }
  }

  /** The "forgot password" mail, for an account that has no password yet: its link sets one. */
  async function mailPasswordLink(): Promise<void> {
    setProblem(null);
    setNotice(null);
    setMailing(true);
    try {
      const { error } = await api.POST("/auth/password/forgot", { body: { email: user.email } });
      if (error) setProblem(`Could not send the mail: ${error.detail || error.title}`);
      else setNotice(`We sent a link to ${user.email}: open it to choose a password.`);
    } catch {
      setProblem(NETWORK);
    } finally {
      setMailing(false);
    }
  }

  return (
    <section className="section" aria-labelledby="identities-heading">
      <h2 id="identities-heading">Linked sign-in providers</h2>
      <Notice>{notice}</Notice>
      <FormAlert>{problem}</FormAlert>
      {!user.has_password && (
        <div className="note" data-testid="no-password-note">
          <p>
            <strong>Your account has no password.</strong> You sign in through a linked provider (or a sign-in link by
            mail). To set a password, use “Forgot your password?” on the log-in page, or get the mail here: its link
            lets you choose one.
          </p>
          <button type="button" className="button button--small" onClick={() => void mailPasswordLink()} disabled={mailing}>
            {mailing && <Spinner />}
            Email me a link to set a password
          </button>
        </div>
      )}
      {identities === null && !problem && <Loading>Loading your linked providers…</Loading>}
      {identities !== null && identities.length === 0 && (
        <p className="lead">None: you sign in with your password. “Sign in with …” on the log-in page links a provider.</p>
      )}
      {identities !== null && identities.length > 0 && (
        <ul className="factor-list" aria-label="Your linked providers">
          {identities.map((identity) => (
            <li key={identity.id} className="factor" data-testid="identity">
              <div className="factor__about" id={`identity-${identity.id}`}>
                <p className="factor__name">
                  {label(identity)} <span className="identity__email">{identity.email}</span>
                </p>
                <p className="factor__times">Linked {formatTime(identity.created_at)}</p>
              </div>
              <button
                type="button"
                className="button button--small"
                onClick={() => void unlink(identity)}
                disabled={unlinkingId !== null}
                aria-describedby={`identity-${identity.id}`}
              >
                {unlinkingId === identity.id && <Spinner />}
                Unlink
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
