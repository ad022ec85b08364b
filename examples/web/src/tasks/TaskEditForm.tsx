import { useEffect, useRef, type KeyboardEvent } from "react";
import type { Task } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert } from "../components/Alert";
import { Field } from "../components/Field";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";
import { taskBody } from "./taskBody";

const FIELDS = ["title", "description"] as const;

interface TaskEditFormProps {
  task: Task;
  onSaved(task: Task): void;
  onCancel(): void;
}

/** A task's title and notes in place of the task, while it is being edited (Escape cancels). */
export function TaskEditForm({ task, onSaved, onCancel }: TaskEditFormProps) {
  const titleInput = useRef<HTMLInputElement>(null);
  const edit = useRequestForm({ title: task.title, description: task.description ?? "" }, async (values) => {
    const { data, error, response } = await api.PATCH("/tasks/{id}", {
      params: { path: { id: task.id } },
      body: taskBody(values),
    });
    if (error) return toFormProblem(error, response, FIELDS, { 404: "This task no longer exists." });
    onSaved(data);
  });

  useEffect(() => titleInput.current?.select(), []);

  function cancelOnEscape(event: KeyboardEvent): void {
    if (event.key === "Escape") {
      event.preventDefault();
      onCancel();
    }
  }

  return (
    <form {...edit.form} className="task-edit" onKeyDown={cancelOnEscape} aria-label={`Edit “${task.title}”`}>
      <FormAlert>{edit.problem.message}</FormAlert>
      <Field
        id={`edit-${task.id}-title`}
        label="Title"
        inputRef={titleInput}
        autoComplete="off"
        required
        {...edit.field("title")}
      />
      <Field id={`edit-${task.id}-description`} label="Notes" rows={3} {...edit.field("description")} />
      <div className="task-edit__actions">
        <SubmitButton busy={edit.busy} label="Save" busyLabel="Saving…" />
        <button type="button" className="button" onClick={onCancel} disabled={edit.busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
