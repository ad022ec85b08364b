/** The body the new-task and the edit forms send for their fields. */
import { PRIORITIES, type Priority } from "todo-rocket-client";

import { dayToInstant } from "./dates";

/** The fields of the task forms, as the form keeps them (strings, under the API's names). */
export interface TaskFormValues {
  title: string;
  description: string;
  /** `YYYY-MM-DD`, or "" for no due date. */
  due_at: string;
  /** "0" to "3". */
  priority: string;
  /** A member's user id, or "" for nobody. */
  assignee_id: string;
}

/** The API's names of the fields the task forms show (the API's messages about them go next to them). */
export const TASK_FIELDS = ["title", "description", "due_at", "priority", "assignee_id"] as const;

/**
 * A task's fields as sent: blank notes are no notes (`null`), not an empty string; no day is no due date; no
 * assignee is `null`.
 */
export function taskBody({ title, description, due_at, priority, assignee_id }: TaskFormValues) {
  const level = Number(priority);
  return {
    title,
    description: description.trim() === "" ? null : description,
    due_at: dayToInstant(due_at),
    priority: (PRIORITIES.some((p) => p.value === level) ? level : 0) as Priority,
    assignee_id: assignee_id === "" ? null : assignee_id,
  };
}
