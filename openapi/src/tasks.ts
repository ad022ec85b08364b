/**
 * Task fields, the filters of `GET /tasks`, and safe concurrent writes (`ETag` / `If-Match`).
 *
 * Every task carries a `version` (from 1, one more at each change), and every task response an
 * `ETag: "<version>"`. A `PUT`, `PATCH` or `DELETE` of a task (and `PATCH /tasks/{id}/complete`) sent with
 * `If-Match: "<version>"` writes only when the task is still that version; otherwise nothing changes and the
 * answer is a 412 problem ({@link isPreconditionFailed}): someone else changed it meanwhile.
 *
 * @example
 * ```ts
 * import { ifMatch, isPreconditionFailed, taskQuery } from "todo-rocket-client";
 *
 * const { data: page } = await api.GET("/tasks", {
 *   params: { query: taskQuery({ listId, assignedToMe: true, dueBefore: new Date("2026-02-01"), sort: "due", limit: 20 }) },
 * });
 * const task = page!.items[0]!;
 * const { error } = await api.PATCH("/tasks/{id}", {
 *   params: { path: { id: task.id }, header: ifMatch(task) },
 *   body: { priority: 3 },
 * });
 * if (isPreconditionFailed(error)) { /* read it again and show the latest version *\/ }
 * ```
 */
import type { components, operations } from "./schema.js";

import { isPreconditionFailed } from "./problems.js";

export { isPreconditionFailed };

type Task = components["schemas"]["Task"];

/** The query of `GET /tasks`, as the API names it. */
export type TaskQuery = NonNullable<operations["listTasks"]["parameters"]["query"]>;

/** The orders of `GET /tasks`: `created` (newest first, the default) or `due` (soonest due first, undated last). */
export type TaskSort = NonNullable<TaskQuery["sort"]>;

/** A task's priority: 0 none (the default), 1 low, 2 medium, 3 high. */
export type Priority = Task["priority"];

/** The priorities with their words, lowest first. */
export const PRIORITIES: readonly { value: Priority; label: string }[] = [
  { value: 0, label: "None" },
  { value: 1, label: "Low" },
  { value: 2, label: "Medium" },
  { value: 3, label: "High" },
];

/** The filters of `GET /tasks` in a front end's terms; {@link taskQuery} turns them into the query. */
export interface TaskFilters {
  /** Only this list's tasks; every list the caller can see when absent. */
  listId?: string | undefined;
  /** Only done (`true`) or open (`false`) tasks; all when absent. */
  completed?: boolean | undefined;
  /** Only tasks due before this instant (undated tasks never match). */
  dueBefore?: Date | string | undefined;
  /** Only tasks due at or after this instant (undated tasks never match). */
  dueAfter?: Date | string | undefined;
  /** Only tasks assigned to the caller (`assignee=me`). */
  assignedToMe?: boolean | undefined;
  /** Only tasks assigned to this user id (ignored when `assignedToMe`). */
  assignee?: string | undefined;
  /** Only tasks whose title or description contains this text, in any case; blank means no filter. */
  search?: string | undefined;
  /** `created` (the default) or `due`. */
  sort?: TaskSort | undefined;
  /** Page size, 1 to 100 (the server's default is 50). */
  limit?: number | undefined;
  /** The `next_cursor` of the previous page (with the same filters and sort). */
  cursor?: string | null | undefined;
}

/** An instant as RFC 3339 (UTC), from a `Date` or a string that is one already. */
export function rfc3339(value: Date | string): string {
  return typeof value === "string" ? value : value.toISOString();
}

/**
 * The query of `GET /tasks` for `filters`: absent (and blank) filters are left out, dates become RFC 3339,
 * `assignedToMe` becomes `assignee=me`, the search text is trimmed.
 */
export function taskQuery(filters: TaskFilters = {}): TaskQuery {
  const query: TaskQuery = {};
  if (filters.listId) query.list_id = filters.listId;
  if (filters.completed !== undefined) query.completed = filters.completed;
  if (filters.dueBefore !== undefined) query.due_before = rfc3339(filters.dueBefore);
  if (filters.dueAfter !== undefined) query.due_after = rfc3339(filters.dueAfter);
  if (filters.assignedToMe) query.assignee = "me";
  else if (filters.assignee) query.assignee = filters.assignee;
  const search = filters.search?.trim();
  if (search) query.q = search;
  if (filters.sort) query.sort = filters.sort;
  if (filters.limit !== undefined) query.limit = filters.limit;
  if (filters.cursor) query.cursor = filters.cursor;
  return query;
}

/** The entity tag of a task's version, as its `ETag` header carries it: `"3"`. */
export function etag(version: number): string {
  return `"${version}"`;
}

/**
 * The `If-Match` header for a write that must not overwrite someone else's change: pass the task as last read
 * (its `version`), or the version itself, or the `ETag` of its response. For `params.header` of `PUT`, `PATCH`
 * and `DELETE /tasks/{id}` and `PATCH /tasks/{id}/complete`.
 */
export function ifMatch(task: Pick<Task, "version"> | number | string): { "If-Match": string } {
  if (typeof task === "string") return { "If-Match": task };
  return { "If-Match": etag(typeof task === "number" ? task : task.version) };
}

/**
 * The version named by a task response's `ETag` header (`"3"` → 3); undefined when the response has none or
 * it is not a strong tag of a version (e.g. a proxy's weak `W/"…"` tag).
 */
export function versionOf(response: Response): number | undefined {
  const tag = response.headers.get("ETag");
  const match = tag?.match(/^"(\d+)"$/);
  if (!match) return undefined;
  const version = Number(match[1]);
  return Number.isSafeInteger(version) && version >= 1 ? version : undefined;
}
