import { useEffect, useRef, type KeyboardEvent } from "react";
import { ifMatch, isPreconditionFailed, type Task } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert } from "../components/Alert";
import { Field } from "../components/Field";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";
import { instantToDay } from "./dates";
import { TaskDetailsFields } from "./TaskDetailsFields";
import { TASK_FIELDS, taskBody } from "./taskBody";

interface TaskEditFormProps {
  task: Task;
  onSaved(task: Task): void;
  /** Someone else changed the task since it was read (412): nothing was saved. */
  onStale(): void;
  onCancel(): void;
}

/**
 * A task's fields in place of the task, while it is being edited (Escape cancels). The change is sent with
 * `If-Match` (the version shown), so that it never overwrites someone else's.
 */
export function TaskEditForm({ task, onSaved, onStale, onCancel }: TaskEditFormProps) {
  const titleInput = useRef<HTMLInputElement>(null);
  const initial = {
    title: task.title,
    description: task.description ?? "",
    due_at: instantToDay(task.due_at),
    priority: String(task.priority),
    assignee_id: task.assignee_id ?? "",
  };
  const edit = useRequestForm(initial, async (values) => {
    const { data, error, response } = await api.PATCH("/tasks/{id}", {
      params: { path: { id: task.id }, header: ifMatch(task) },
      body: taskBody(values),
    });
    if (isPreconditionFailed(error)) return onStale();
    if (error) return toFormProblem(error, response, TASK_FIELDS, { 404: "This task no longer exists." });
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
      <TaskDetailsFields idPrefix={`edit-${task.id}`} form={edit} listId={task.list_id} />
      <div className="task-edit__actions">
        <SubmitButton busy={edit.busy} label="Save" busyLabel="Saving…" />
        <button type="button" className="button" onClick={onCancel} disabled={edit.busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
