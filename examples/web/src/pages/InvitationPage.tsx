import { useEffect, useState } from "react";
import type { List } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { Loading } from "../components/Spinner";
import { forgetMembers } from "../lists/members";
import { listPath } from "../lists/ListSidebar";
import { Link, navigate, useLocation } from "../router";

type Outcome = { list: List } | { problem: string };

/**
 * The acceptance of each token, made once per page load: the token works once, and React may mount this page twice
 * (StrictMode runs effects twice in development); every run waits for the same answer.
 */
const acceptances = new Map<string, Promise<Outcome>>();

function acceptOnce(token: string): Promise<Outcome> {
  let acceptance = acceptances.get(token);
  if (!acceptance) {
    acceptance = accept(token);
    acceptances.set(token, acceptance);
  }
  return acceptance;
}

async function accept(token: string): Promise<Outcome> {
  try {
    const { data, error, response } = await api.POST("/invitations/accept", { body: { token } });
    if (data) return { list: data };
    if (response.status === 403) {
      return {
        problem:
          "This invitation was sent to another email address. Sign in with the invited address (confirmed), or ask the list's owner to invite this one.",
      };
    }
    if (response.status === 422) return { problem: "This invitation has expired, was withdrawn, or was already used." };
    return { problem: `Could not accept the invitation: ${error?.detail || error?.title || `the server answered ${response.status}`}` };
  } catch {
    return { problem: "Cannot reach the server. Check your connection and try again." };
  }
}

/**
 * `/invitations?token=…`, the link of an invitation mail, opened signed in (a signed-out visitor goes through the
 * login page first and comes back here): accepts the invitation and opens the list.
 */
export function InvitationPage() {
  const { query } = useLocation();
  const token = query.get("token");
  const [problem, setProblem] = useState<string | null>(token ? null : "This page accepts an invitation, but it was opened without one.");

  useEffect(() => {
    if (!token) return;
    let outdated = false;
    void acceptOnce(token).then((outcome) => {
      if (outdated) return;
      if ("list" in outcome) {
        forgetMembers(outcome.list.id);
        navigate(listPath(outcome.list.id), { replace: true, notice: `You joined “${outcome.list.name}”.` });
      } else {
        setProblem(outcome.problem);
      }
    });
    return () => {
      outdated = true;
    };
  }, [token]);

  return (
    <div className="card card--narrow">
      <PageHeading>Invitation</PageHeading>
      {problem ? (
        <>
          <FormAlert>{problem}</FormAlert>
          <p className="card__footer">
            <Link to="/tasks">Go to your tasks</Link>
          </p>
        </>
      ) : (
        <Loading>Accepting the invitation…</Loading>
      )}
    </div>
  );
}
