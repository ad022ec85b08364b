import { useEffect, useRef, useState } from "react";
import { canShare, ROLES, type List } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert } from "../components/Alert";
import { Field } from "../components/Field";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";
import { ShareDialog } from "./ShareDialog";

interface ListHeaderProps {
  list: List;
  onRenamed(list: List): void;
  onDeleted(list: List): void;
  /** The members changed (or the list was handed over): read the lists again. */
  onMembersChanged(): void;
}

/** The shown list's name and the caller's role; for its owner: Rename, Share and Delete (with a confirmation). */
export function ListHeader({ list, onRenamed, onDeleted, onMembersChanged }: ListHeaderProps) {
  const [mode, setMode] = useState<"view" | "rename" | "delete" | "share">("view");
  const [problem, setProblem] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const owner = list.role === "owner";
  const role = ROLES.find((r) => r.value === list.role);

  const rename = useRequestForm({ name: list.name }, async (values) => {
    const { data, error, response } = await api.PATCH("/lists/{id}", { params: { path: { id: list.id } }, body: { name: values.name } });
    if (error) return toFormProblem(error, response, ["name"]);
    setMode("view");
    onRenamed(data);
  });

  useEffect(() => {
    if (mode === "view") setProblem(null);
  }, [mode]);

  async function remove(): Promise<void> {
    setDeleting(true);
    setProblem(null);
    try {
      const { error, response } = await api.DELETE("/lists/{id}", { params: { path: { id: list.id } } });
      if (error && response.status !== 404) {
        setProblem(error.detail || error.title);
        return;
      }
      onDeleted(list);
    } catch {
      setProblem("Cannot reach the server. Try again.");
    } finally {
      setDeleting(false);
    }
  }

  return (
    <div className="list-header">
      {mode === "rename" ? (
        <form {...rename.form} className="list-header__rename" aria-label={`Rename “${list.name}”`}>
          <FormAlert>{rename.problem.message}</FormAlert>
          <Field id="list-name" label="List name" autoComplete="off" required maxLength={100} {...rename.field("name")} />
          <div className="panel__actions">
            <SubmitButton busy={rename.busy} label="Save name" busyLabel="Saving…" />
            <button type="button" className="button" onClick={() => setMode("view")}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="list-header__top">
          <div>
            <h2 id="task-list-heading" ref={heading} tabIndex={-1}>
              {list.name}
            </h2>
            {list.member_count > 1 && (
              <p className="list-header__about">
                Shared with {list.member_count - 1} other{list.member_count === 2 ? "" : "s"} · you are {list.role === "owner" ? "the" : "an"}{" "}
                {role?.label.toLowerCase()}
              </p>
            )}
          </div>
          {owner && !list.inbox && (
            <div className="list-header__actions">
              <button type="button" className="button button--small" onClick={() => setMode("rename")}>
                Rename
              </button>
              {canShare(list) && (
                <button type="button" className="button button--small" onClick={() => setMode("share")}>
                  Share
                </button>
              )}
              <button type="button" className="button button--small button--danger" onClick={() => setMode("delete")}>
                Delete list
              </button>
            </div>
          )}
        </div>
      )}
      {mode === "delete" && (
        <div className="panel panel--important" role="group" aria-labelledby="delete-list-question">
          <p id="delete-list-question">
            Delete “{list.name}” and all its tasks{list.member_count > 1 ? ", for every member" : ""}? This cannot be undone.
          </p>
          <FormAlert>{problem}</FormAlert>
          <div className="panel__actions">
            <button type="button" className="button button--danger" onClick={() => void remove()} disabled={deleting}>
              {deleting ? "Deleting…" : `Yes, delete “${list.name}”`}
            </button>
            <button type="button" className="button" onClick={() => setMode("view")} disabled={deleting}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {mode === "share" && (
        <ShareDialog
          list={list}
          onClose={(changed) => {
            setMode("view");
            heading.current?.focus();
            if (changed) onMembersChanged();
          }}
        />
      )}
    </div>
  );
}
