import { useEffect, useRef, useState } from "react";
import { ROLES, type List, type Member, type Role } from "todo-rocket-client";

import { api } from "../api";
import { useUser } from "../auth";
import { FormAlert, Notice } from "../components/Alert";
import { Loading } from "../components/Spinner";
import { forgetMembers } from "./members";
import { Invitations } from "./Invitations";

interface ShareDialogProps {
  list: List;
  /** `changed`: members or roles changed (the lists should be read again). */
  onClose(changed: boolean): void;
}

/**
 * "Share “list”": a modal dialog (the browser's `<dialog>`, Escape closes it) with the members and their roles
 * (change a role, remove a member), invitations by email with a role, and the pending invitations (withdraw).
 * Only the list's owner opens it.
 */
export function ShareDialog({ list, onClose }: ShareDialogProps) {
  const me = useUser();
  const dialog = useRef<HTMLDialogElement>(null);
  const [members, setMembers] = useState<Member[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const changed = useRef(false);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  useEffect(() => {
    void (async () => {
      try {
        const { data, error } = await api.GET("/lists/{id}/members", { params: { path: { id: list.id } } });
        if (error) setProblem(error.detail || error.title);
        else setMembers(data);
      } catch {
        setProblem("Cannot reach the server. Try again.");
      }
    })();
  }, [list.id]);

  function memberChanged(): void {
    changed.current = true;
    forgetMembers(list.id);
  }

  async function setRole(member: Member, role: Role): Promise<void> {
    setBusy(member.user_id);
    setProblem(null);
    setNotice(null);
    try {
      const { data, error } = await api.PATCH("/lists/{id}/members/{user_id}", {
        params: { path: { id: list.id, user_id: member.user_id } },
        body: { role },
      });
      if (error) {
        setProblem(error.detail || error.title);
        return;
      }
      memberChanged();
      if (role === "owner") {
        onClose(true); // handed over: the caller is an editor now, and no longer manages the members
        return;
      }
      setMembers((all) => all && all.map((m) => (m.user_id === data.user_id ? data : m)));
      setNotice(`${member.email} is now ${role === "editor" ? "an editor" : "a viewer"}.`);
    } catch {
      setProblem("Cannot reach the server. Try again.");
    } finally {
      setBusy(null);
    }
  }

  async function remove(member: Member): Promise<void> {
    setBusy(member.user_id);
    setProblem(null);
    setNotice(null);
    try {
      const { error, response } = await api.DELETE("/lists/{id}/members/{user_id}", {
        params: { path: { id: list.id, user_id: member.user_id } },
      });
      if (error && response.status !== 404) {
        setProblem(error.detail || error.title);
        return;
      }
      memberChanged();
      setMembers((all) => all && all.filter((m) => m.user_id !== member.user_id));
      setNotice(`Removed ${member.email} from “${list.name}”.`);
    } catch {
      setProblem("Cannot reach the server. Try again.");
    } finally {
      setBusy(null);
    }
  }

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="share-heading"
      onCancel={(event) => {
        event.preventDefault(); // Escape: closed through React, like the Close button
        onClose(changed.current);
      }}
    >
      <div className="dialog__top">
        <h2 id="share-heading">Share “{list.name}”</h2>
        <button type="button" className="button button--small" onClick={() => onClose(changed.current)}>
          Close
        </button>
      </div>
      <FormAlert>{problem}</FormAlert>
      <Notice>{notice}</Notice>
      <section aria-labelledby="members-heading">
        <h3 id="members-heading">Members</h3>
        {members === null && !problem && <Loading>Loading the members…</Loading>}
        {members && (
          <ul className="member-list">
            {members.map((member) => (
              <li key={member.user_id} className="member">
                <span className="member__email">
                  {member.email}
                  {member.user_id === me.id && " (you)"}
                </span>
                {member.role === "owner" ? (
                  <span className="badge">Owner</span>
                ) : (
                  <span className="member__actions">
                    <label className="visually-hidden" htmlFor={`role-${member.user_id}`}>
                      Role of {member.email}
                    </label>
                    <select
                      id={`role-${member.user_id}`}
                      value={member.role}
                      disabled={busy !== null}
                      onChange={(event) => void setRole(member, event.target.value as Role)}
                    >
                      {ROLES.map((role) => (
                        <option key={role.value} value={role.value}>
                          {role.value === "owner" ? "Owner (hand over)" : role.label}
                        </option>
                      ))}
                    </select>
                    <button
                      type="button"
                      className="button button--small button--danger"
                      disabled={busy !== null}
                      onClick={() => void remove(member)}
                    >
                      Remove<span className="visually-hidden"> {member.email}</span>
                    </button>
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <Invitations list={list} />
    </dialog>
  );
}
