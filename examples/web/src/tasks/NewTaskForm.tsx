import { useRef, useState, type FormEvent } from "react";
import type { Task } from "todo-rocket-client";

import { api } from "../api";
import { Field } from "../components/Field";
import { FormAlert } from "../components/FormAlert";
import { SubmitButton } from "../components/SubmitButton";
import { TextAreaField } from "../components/TextAreaField";
import { useFocusFirstInvalid } from "../components/useFocusFirstInvalid";
import { NETWORK_PROBLEM, NO_PROBLEM, toFormProblem, type FormProblem } from "../problems";

const FIELDS = ["title", "description"] as const;

/** The form at the top of the task list: a title and optional notes. */
export function NewTaskForm({ onCreated }: { onCreated(task: Task): void }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem>(NO_PROBLEM);
  const form = useRef<HTMLFormElement>(null);
  const titleInput = useRef<HTMLInputElement>(null);
  useFocusFirstInvalid(form, problem);

  async function create(event: FormEvent): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setProblem(NO_PROBLEM);
    try {
      const { data, error, response } = await api.POST("/tasks", {
        body: { title, description: description.trim() === "" ? null : description },
      });
      if (error) {
        setProblem(toFormProblem(error, response, FIELDS));
        return;
      }
      setTitle("");
      setDescription("");
      titleInput.current?.focus(); // ready for the next one
      onCreated(data);
    } catch {
      setProblem(NETWORK_PROBLEM);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={form} className="new-task" onSubmit={(event) => void create(event)} noValidate aria-label="Add a task">
      <FormAlert>{problem.message}</FormAlert>
      <Field
        id="new-task-title"
        label="New task"
        placeholder="What needs doing?"
        value={title}
        onChange={setTitle}
        error={problem.fields["title"]}
        inputRef={titleInput}
        autoComplete="off"
        required
      />
      <TextAreaField
        id="new-task-description"
        label="Notes (optional)"
        rows={2}
        value={description}
        onChange={setDescription}
        error={problem.fields["description"]}
      />
      <SubmitButton busy={busy} label="Add task" busyLabel="Adding…" />
    </form>
  );
}
