import { PRIORITIES } from "todo-rocket-client";

import { Field, SelectField } from "../components/Field";
import type { RequestForm } from "../components/useRequestForm";
import { useMembers } from "../lists/members";
import type { TaskFormValues } from "./taskBody";

const PRIORITY_OPTIONS = PRIORITIES.map((p) => ({ value: String(p.value), label: p.label }));

/**
 * The due date, priority and assignee of a task form; the assignee is one of the members of `listId` (the task's
 * list, or the one it is being added to).
 */
export function TaskDetailsFields({
  idPrefix,
  form,
  listId,
}: {
  idPrefix: string;
  form: RequestForm<keyof TaskFormValues>;
  listId: string | null;
}) {
  const members = useMembers(listId);
  const assignee = form.field("assignee_id");
  const options = [{ value: "", label: "Nobody" }, ...members.map((m) => ({ value: m.user_id, label: m.email }))];
  // Keep an assignee who is not (or not yet) among the members read, so the form never changes it by itself.
  if (assignee.value !== "" && !members.some((m) => m.user_id === assignee.value)) {
    options.push({ value: assignee.value, label: "Someone no longer in this list" });
  }
  return (
    <div className="task-details">
      <Field id={`${idPrefix}-due`} label="Due date" type="date" {...form.field("due_at")} />
      <SelectField id={`${idPrefix}-priority`} label="Priority" options={PRIORITY_OPTIONS} {...form.field("priority")} />
      <SelectField id={`${idPrefix}-assignee`} label="Assigned to" options={options} {...assignee} />
    </div>
  );
}
