import { useEffect, useRef, useState } from "react";
import type { Task } from "todo-rocket-client";

import { api } from "../api";
import { Spinner } from "../components/Spinner";
import { TaskEditForm } from "./TaskEditForm";

interface TaskItemProps {
  task: Task;
  onChanged(task: Task): void;
  onDeleted(task: Task): void;
}

/** One task of the list: a checkbox to mark it done, its title and notes, Edit and Delete. */
export function TaskItem({ task, onChanged, onDeleted }: TaskItemProps) {
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState<"toggle" | "delete" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const [returnFocus, setReturnFocus] = useState(false);

  // Back from the edit form: the focus returns to the Edit button, where it was.
  useEffect(() => {
    if (!editing && returnFocus) {
      editButton.current?.focus();
      setReturnFocus(false);
    }
  }, [editing, returnFocus]);

  async function toggle(): Promise<void> {
    setBusy("toggle");
    setProblem(null);
    try {
      const { data, error } = await api.PATCH("/tasks/{id}/complete", { params: { path: { id: task.id } } });
      if (error) setProblem(error.detail || error.title);
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
      const { error, response } = await api.DELETE("/tasks/{id}", { params: { path: { id: task.id } } });
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
            onChanged(saved);
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
  return (
    <li className={task.completed ? "task task--done" : "task"} aria-busy={busy !== null || undefined}>
      <div className="task__main">
        <input
          type="checkbox"
          id={checkboxId}
          className="task__checkbox"
          checked={task.completed}
          onChange={() => void toggle()}
          disabled={busy !== null}
        />
        <div className="task__text">
          <label htmlFor={checkboxId} className="task__title">
            {task.title}
          </label>
          {task.description && <p className="task__description">{task.description}</p>}
        </div>
        {busy && <Spinner />}
      </div>
      <div className="task__actions">
        <button type="button" className="button button--small" ref={editButton} onClick={() => setEditing(true)} disabled={busy !== null}>
          Edit<span className="visually-hidden"> “{task.title}”</span>
        </button>
        <button type="button" className="button button--small button--danger" onClick={() => void remove()} disabled={busy !== null}>
          {busy === "delete" ? "Deleting…" : "Delete"}
          <span className="visually-hidden"> “{task.title}”</span>
        </button>
      </div>
      {problem && (
        <p className="task__error" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
