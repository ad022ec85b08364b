import { useEffect, useState } from "react";
import { ROLES, type Invitation, type List } from "todo-rocket-client";

import { api } from "../api";
import { EmailField, SelectField } from "../components/Field";
import { FormAlert, Notice } from "../components/Alert";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { formatTime } from "../format";
import { toFormProblem } from "../problems";

const ROLE_OPTIONS = ROLES.filter((role) => role.value !== "owner").map((role) => ({
  value: role.value,
  label: `${role.label}: ${role.description}`,
}));

/**
 * The Share dialog's invitations: invite an email address with a role (the server mails a link to
 * `/invitations?token=…`, valid for 7 days, single use), and the pending invitations with "Withdraw".
 */
export function Invitations({ list }: { list: List }) {
  const [pending, setPending] = useState<Invitation[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [withdrawing, setWithdrawing] = useState<string | null>(null);

  useEffect(() => {
    void (async () => {
      try {
        const { data, error } = await api.GET("/lists/{id}/invitations", { params: { path: { id: list.id } } });
        if (error) setProblem(error.detail || error.title);
        else setPending(data);
      } catch {
        setProblem("Cannot reach the server. Try again.");
      }
    })();
  }, [list.id]);

  const invite = useRequestForm({ email: "", role: "editor" }, async (values, reset) => {
    setNotice(null);
    const role = values.role === "viewer" ? "viewer" : "editor";
    const { data, error, response } = await api.POST("/lists/{id}/invitations", {
      params: { path: { id: list.id } },
      body: { email: values.email, role },
    });
    if (error) return toFormProblem(error, response, ["email", "role"]);
    reset();
    setPending((all) => [...(all ?? []).filter((i) => i.id !== data.id), data]);
    setNotice(`Invited ${data.email} as ${data.role === "editor" ? "an editor" : "a viewer"}. We sent them a link by email.`);
  });

  async function withdraw(invitation: Invitation): Promise<void> {
    setWithdrawing(invitation.id);
    setProblem(null);
    setNotice(null);
    try {
      const { error, response } = await api.DELETE("/invitations/{id}", { params: { path: { id: invitation.id } } });
      if (error && response.status !== 404) {
        setProblem(error.detail || error.title);
        return;
      }
      setPending((all) => all && all.filter((i) => i.id !== invitation.id));
      setNotice(`Withdrew the invitation of ${invitation.email}.`);
    } catch {
      setProblem("Cannot reach the server. Try again.");
    } finally {
      setWithdrawing(null);
    }
  }

  return (
    <section aria-labelledby="invite-heading">
      <h3 id="invite-heading">Invite someone</h3>
      <form {...invite.form} className="invite" aria-label="Invite by email">
        <FormAlert>{invite.problem.message}</FormAlert>
        <EmailField id="invite-email" autoComplete="off" {...invite.field("email")} />
        <SelectField id="invite-role" label="Role" options={ROLE_OPTIONS} {...invite.field("role")} />
        <SubmitButton busy={invite.busy} label="Send invitation" busyLabel="Sending…" />
      </form>
      <Notice>{notice}</Notice>
      <FormAlert>{problem}</FormAlert>
      {pending !== null && pending.length > 0 && (
        <>
          <h3 id="pending-heading">Pending invitations</h3>
          <ul className="member-list" aria-labelledby="pending-heading">
            {pending.map((invitation) => (
              <li key={invitation.id} className="member invitation">
                <span className="member__email">
                  {invitation.email} · {invitation.role}
                  <span className="field__hint"> until {formatTime(invitation.expires_at)}</span>
                </span>
                <button
                  type="button"
                  className="button button--small button--danger"
                  onClick={() => void withdraw(invitation)}
                  disabled={withdrawing !== null}
                >
                  Withdraw<span className="visually-hidden"> the invitation of {invitation.email}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
