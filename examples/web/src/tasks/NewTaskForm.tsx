import { useRef } from "react";
import type { List, Task } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert } from "../components/Alert";
import { Field, SelectField } from "../components/Field";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";
import { TaskDetailsFields } from "./TaskDetailsFields";
import { TASK_FIELDS, taskBody } from "./taskBody";

const FIELDS = [...TASK_FIELDS, "list_id"] as const;

interface NewTaskFormProps {
  /** The list the task goes to; null ("All lists"): the form asks, among `lists`. */
  listId: string | null;
  /** The lists the user may add tasks to (editor or owner), inbox first. */
  lists: readonly List[];
  onCreated(task: Task): void;
}

/** The form at the top of the task list: a title, optional notes, due date, priority and assignee. */
export function NewTaskForm({ listId, lists, onCreated }: NewTaskFormProps) {
  const titleInput = useRef<HTMLInputElement>(null);
  const initial = { title: "", description: "", due_at: "", priority: "0", assignee_id: "", list_id: lists[0]?.id ?? "" };
  const create = useRequestForm(initial, async (values, reset) => {
    const target = listId ?? values.list_id;
    const { data, error, response } = await api.POST("/tasks", {
      body: { ...taskBody(values), ...(target ? { list_id: target } : {}) },
    });
    if (error) return toFormProblem(error, response, FIELDS, { 403: "You can only read the tasks of this list." });
    reset();
    titleInput.current?.focus(); // ready for the next one
    onCreated(data);
  });
  const target = listId ?? (create.field("list_id").value || null);

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
      <details className="new-task__more">
        <summary>Due date, priority, assignee{listId === null ? ", list" : ""}</summary>
        {listId === null && (
          <SelectField
            id="new-task-list"
            label="List"
            options={lists.map((list) => ({ value: list.id, label: list.name }))}
            {...create.field("list_id")}
          />
        )}
        <TaskDetailsFields idPrefix="new-task" form={create} listId={target} />
      </details>
      <SubmitButton busy={create.busy} label="Add task" busyLabel="Adding…" />
    </form>
  );
}
