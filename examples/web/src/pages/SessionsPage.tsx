import { useCallback, useEffect, useState } from "react";
import type { Session } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert, Notice } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { Loading, Spinner } from "../components/Spinner";
import { describeDevice, formatTime } from "../format";

/** The devices logged in to this account (`GET /auth/sessions`), each of which can be logged out. */
export function SessionsPage() {
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [endingId, setEndingId] = useState<string | null>(null);

  const load = useCallback(async (): Promise<void> => {
    try {
      const { data, error } = await api.GET("/auth/sessions");
      if (error) setProblem(error.detail || error.title);
      else setSessions(data);
    } catch {
      setProblem("Cannot reach the server. Check your connection and reload this page.");
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  async function logOut(session: Session): Promise<void> {
    setEndingId(session.id);
    setProblem(null);
    setNotice(null);
    try {
      const { error, response } = await api.DELETE("/auth/sessions/{id}", { params: { path: { id: session.id } } });
      if (error && response.status !== 404) {
        setProblem(error.detail || error.title);
        return;
      }
      // 404: it had ended already. Either way it is gone from the list.
      setSessions((all) => all?.filter((other) => other.id !== session.id) ?? null);
      setNotice(`${describeDevice(session.user_agent)} is logged out.`);
      void load();
    } catch {
      setProblem("Cannot reach the server. Check your connection and try again.");
    } finally {
      setEndingId(null);
    }
  }

  return (
    <div className="page">
      <PageHeading>Sessions</PageHeading>
      <p className="lead">The devices where you are logged in. Log out one you do not recognise or no longer use.</p>
      <Notice>{notice}</Notice>
      <FormAlert>{problem}</FormAlert>
      {sessions === null && !problem && <Loading>Loading your sessions…</Loading>}
      {sessions !== null && (
        <ul className="session-list" aria-label="Sessions">
          {sessions.map((session) => (
            <li key={session.id} className="session">
              <div className="session__about" id={`session-${session.id}`}>
                <p className="session__device">
                  {describeDevice(session.user_agent)}
                  {session.current && <span className="badge">This device</span>}
                </p>
                <p className="session__times">
                  Logged in {formatTime(session.created_at)} · last active {formatTime(session.last_used_at)}
                </p>
                {session.user_agent && describeDevice(session.user_agent) !== session.user_agent && (
                  <p className="session__agent">{session.user_agent}</p>
                )}
              </div>
              {!session.current && (
                <button
                  type="button"
                  className="button button--danger"
                  onClick={() => void logOut(session)}
                  disabled={endingId === session.id}
                  aria-describedby={`session-${session.id}`}
                >
                  {endingId === session.id && <Spinner />}
                  Log out this device
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
