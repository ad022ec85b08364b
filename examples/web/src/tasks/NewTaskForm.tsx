import { useRef } from "react";
import type { Task } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert } from "../components/Alert";
import { Field } from "../components/Field";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";
import { taskBody } from "./taskBody";

const FIELDS = ["title", "description"] as const;

/** The form at the top of the task list: a title and optional notes. */
export function NewTaskForm({ onCreated }: { onCreated(task: Task): void }) {
  const titleInput = useRef<HTMLInputElement>(null);
  const create = useRequestForm({ title: "", description: "" }, async (values, reset) => {
    const { data, error, response } = await api.POST("/tasks", { body: taskBody(values) });
    if (error) return toFormProblem(error, response, FIELDS);
    reset();
    titleInput.current?.focus(); // ready for the next one
    onCreated(data);
  });

  return (
    <form {...create.form} className="new-task" aria-label="Add a task">
      <FormAlert>{create.problem.message}</FormAlert>
      <Field
        id="new-task-title"
        label="New task"
        placeholder="What needs doing?"
        inputRef={titleInput}
        autoComplete="off"
        required
        {...create.field("title")}
      />
      <Field id="new-task-description" label="Notes (optional)" rows={2} {...create.field("description")} />
      <SubmitButton busy={create.busy} label="Add task" busyLabel="Adding…" />
    </form>
  );
}
