import { useEffect, useRef, useState } from "react";
import { ifMatch, isPreconditionFailed, PRIORITIES, type Task } from "todo-rocket-client";

import { api } from "../api";
import { Spinner } from "../components/Spinner";
import { useMembers } from "../lists/members";
import { formatDay, isOverdue } from "./dates";
import { TaskEditForm } from "./TaskEditForm";

/** What a task shows when a write was refused because someone else had changed it (412). */
export const STALE_MESSAGE = "Someone else changed this task — reloaded the latest version";

interface TaskItemProps {
  task: Task;
  /** The name of the task's list, shown when the view holds several lists. */
  listName?: string | undefined;
  /** Whether the user may change the task (editor or owner of its list). */
  editable: boolean;
  onChanged(task: Task): void;
  onDeleted(task: Task): void;
}

/**
 * One task of the list: a checkbox to mark it done, its title, notes, due date, priority and assignee, Edit and
 * Delete. Every write carries `If-Match` with the version shown; when someone else changed the task meanwhile
 * (412), the latest version is read and shown, with {@link STALE_MESSAGE}.
 */
export function TaskItem({ task, listName, editable, onChanged, onDeleted }: TaskItemProps) {
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState<"toggle" | "delete" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const [returnFocus, setReturnFocus] = useState(false);
  const members = useMembers(task.assignee_id ? task.list_id : null);
  const assignee = task.assignee_id ? members.find((m) => m.user_id === task.assignee_id) : undefined;

  // Back from the edit form: the focus returns to the Edit button, where it was.
  useEffect(() => {
    if (!editing && returnFocus) {
      editButton.current?.focus();
      setReturnFocus(false);
    }
  }, [editing, returnFocus]);

  /** After a 412: reads the task again and shows it (gone: removed from the list), with the message. */
  async function reloadLatest(): Promise<void> {
    const { data, response } = await api.GET("/tasks/{id}", { params: { path: { id: task.id } } });
    if (data) {
      onChanged(data);
      setProblem(STALE_MESSAGE);
    } else if (response.status === 404) {
      onDeleted(task);
    } else {
      setProblem("Someone else changed this task. Reload the page to see the latest version.");
    }
  }

  async function toggle(): Promise<void> {
    setBusy("toggle");
    setProblem(null);
    try {
      const { data, error } = await api.PATCH("/tasks/{id}/complete", {
        params: { path: { id: task.id }, header: ifMatch(task) },
      });
      if (isPreconditionFailed(error)) await reloadLatest();
      else if (error) setProblem(error.detail || error.title);
      else onChanged(data);
    } catch {
      setProblem("Cannot reach the server. Try again.");
    } finally {
      setBusy(null);
    }
  }

  async function remove(): Promise<void> {
    setBusy("delete");
    setProblem(null);
    try {
      const { error, response } = await api.DELETE("/tasks/{id}", {
        params: { path: { id: task.id }, header: ifMatch(task) },
      });
      if (isPreconditionFailed(error)) {
        await reloadLatest();
        setBusy(null);
        return;
      }
      if (error && response.status !== 404) {
        setProblem(error.detail || error.title);
        setBusy(null);
        return;
      }
      onDeleted(task); // 404: it was gone already
    } catch {
      setProblem("Cannot reach the server. Try again.");
      setBusy(null);
    }
  }

  if (editing) {
    return (
      <li className="task task--editing">
        <TaskEditForm
          task={task}
          onSaved={(saved) => {
            setEditing(false);
            setReturnFocus(true);
            setProblem(null);
            onChanged(saved);
          }}
          onStale={() => {
            setEditing(false);
            setReturnFocus(true);
            void reloadLatest();
          }}
          onCancel={() => {
            setEditing(false);
            setReturnFocus(true);
          }}
        />
      </li>
    );
  }

  const checkboxId = `task-${task.id}-done`;
  const priority = PRIORITIES.find((p) => p.value === task.priority);
  const overdue = !task.completed && isOverdue(task.due_at);
  const hasMeta = listName !== undefined || task.due_at !== null || task.priority > 0 || task.assignee_id !== null;
  return (
    <li className={task.completed ? "task task--done" : "task"} aria-busy={busy !== null || undefined} data-task-id={task.id}>
      <div className="task__main">
        <input
          type="checkbox"
          id={checkboxId}
          className="task__checkbox"
          checked={task.completed}
          onChange={() => void toggle()}
          disabled={busy !== null || !editable}
        />
        <div className="task__text">
          <label htmlFor={checkboxId} className="task__title">
            {task.title}
          </label>
          {task.description && <p className="task__description">{task.description}</p>}
          {hasMeta && (
            <ul className="task__meta" aria-label="Details">
              {listName !== undefined && <li className="task__list">{listName}</li>}
              {task.due_at && (
                <li className={overdue ? "task__due task__due--overdue" : "task__due"}>
                  Due {formatDay(task.due_at)}
                  {overdue && " (overdue)"}
                </li>
              )}
              {task.priority > 0 && priority && (
                <li className={`task__priority task__priority--${task.priority}`}>{priority.label} priority</li>
              )}
              {task.assignee_id && (
                <li className="task__assignee">Assigned to {assignee ? assignee.email : "someone"}</li>
              )}
            </ul>
          )}
        </div>
        {busy && <Spinner />}
      </div>
      {editable && (
        <div className="task__actions">
          <button type="button" className="button button--small" ref={editButton} onClick={() => setEditing(true)} disabled={busy !== null}>
            Edit<span className="visually-hidden"> “{task.title}”</span>
          </button>
          <button type="button" className="button button--small button--danger" onClick={() => void remove()} disabled={busy !== null}>
            {busy === "delete" ? "Deleting…" : "Delete"}
            <span className="visually-hidden"> “{task.title}”</span>
          </button>
        </div>
      )}
      {problem && (
        <p className="task__error" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
