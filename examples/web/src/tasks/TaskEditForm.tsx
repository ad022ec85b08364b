import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import type { Task } from "todo-rocket-client";

import { api } from "../api";
import { Field } from "../components/Field";
import { FormAlert } from "../components/FormAlert";
import { SubmitButton } from "../components/SubmitButton";
import { TextAreaField } from "../components/TextAreaField";
import { useFocusFirstInvalid } from "../components/useFocusFirstInvalid";
import { NETWORK_PROBLEM, NO_PROBLEM, toFormProblem, type FormProblem } from "../problems";

const FIELDS = ["title", "description"] as const;

interface TaskEditFormProps {
  task: Task;
  onSaved(task: Task): void;
  onCancel(): void;
}

/** A task's title and notes in place of the task, while it is being edited (Escape cancels). */
export function TaskEditForm({ task, onSaved, onCancel }: TaskEditFormProps) {
  const [title, setTitle] = useState(task.title);
  const [description, setDescription] = useState(task.description ?? "");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem>(NO_PROBLEM);
  const form = useRef<HTMLFormElement>(null);
  const titleInput = useRef<HTMLInputElement>(null);
  useFocusFirstInvalid(form, problem);

  useEffect(() => titleInput.current?.select(), []);

  async function save(event: FormEvent): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setProblem(NO_PROBLEM);
    try {
      const { data, error, response } = await api.PATCH("/tasks/{id}", {
        params: { path: { id: task.id } },
        body: { title, description: description.trim() === "" ? null : description },
      });
      if (error) {
        setProblem(toFormProblem(error, response, FIELDS, { 404: "This task no longer exists." }));
        return;
      }
      onSaved(data);
    } catch {
      setProblem(NETWORK_PROBLEM);
    } finally {
      setBusy(false);
    }
  }

  function cancelOnEscape(event: KeyboardEvent): void {
    if (event.key === "Escape") {
      event.preventDefault();
      onCancel();
    }
  }

  return (
    <form
      ref={form}
      className="task-edit"
      onSubmit={(event) => void save(event)}
      onKeyDown={cancelOnEscape}
      noValidate
      aria-label={`Edit “${task.title}”`}
    >
      <FormAlert>{problem.message}</FormAlert>
      <Field
        id={`edit-${task.id}-title`}
        label="Title"
        value={title}
        onChange={setTitle}
        error={problem.fields["title"]}
        inputRef={titleInput}
        autoComplete="off"
        required
      />
      <TextAreaField
        id={`edit-${task.id}-description`}
        label="Notes"
        rows={3}
        value={description}
        onChange={setDescription}
        error={problem.fields["description"]}
      />
      <div className="task-edit__actions">
        <SubmitButton busy={busy} label="Save" busyLabel="Saving…" />
        <button type="button" className="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
