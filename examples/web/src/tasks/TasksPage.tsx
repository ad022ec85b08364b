import { useEffect, useRef, useState } from "react";
import type { Task, TaskPage } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert, Notice } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { Loading, Spinner } from "../components/Spinner";
import { PAGE_SIZE } from "../config";
import { useLocation } from "../router";
import { NewTaskForm } from "./NewTaskForm";
import { Pager } from "./Pager";
import { completedParam, TaskFilter, type TaskFilterValue } from "./TaskFilter";
import { TaskItem } from "./TaskItem";

const EMPTY: Record<TaskFilterValue, string> = {
  all: "No tasks yet. Add your first one above.",
  open: "Nothing left to do.",
  done: "No task is done yet.",
};

/** The task list: a form to add one, a filter, one page of tasks at a time. */
export function TasksPage() {
  const { state: arrived } = useLocation();
  const [filter, setFilter] = useState<TaskFilterValue>("all");
  // The cursor of every page from the first (undefined) to the one shown: "Newer" pops one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [reloads, setReloads] = useState(0);
  const [page, setPage] = useState<TaskPage | null>(null);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(arrived.notice ?? null);
  const listHeading = useRef<HTMLHeadingElement>(null);

  const cursor = cursors[cursors.length - 1];
  const pageNumber = cursors.length;

  useEffect(() => {
    let outdated = false;
    setLoading(true);
    void (async () => {
      try {
        const { data, error } = await api.GET("/tasks", {
          params: { query: { limit: PAGE_SIZE, completed: completedParam(filter), cursor } },
        });
        if (outdated) return;
        if (error) {
          setProblem(error.detail || error.title);
        } else if (data.items.length === 0 && pageNumber > 1) {
          setCursors((all) => all.slice(0, -1)); // this page emptied (its last task was deleted): go back one
        } else {
          setPage(data);
          setProblem(null);
        }
      } catch {
        if (!outdated) setProblem("Cannot reach the server. Check your connection and try again.");
      } finally {
        if (!outdated) setLoading(false);
      }
    })();
    return () => {
      outdated = true;
    };
  }, [filter, cursor, pageNumber, reloads]);

  const reload = (): void => setReloads((count) => count + 1);

  function showFilter(value: TaskFilterValue): void {
    setFilter(value);
    setCursors([undefined]);
  }

  function created(task: Task): void {
    setNotice(`Added “${task.title}”.`);
    if (filter === "done") setFilter("all"); // a new task is open: show it
    setCursors([undefined]); // newest first: it is on the first page
    reload();
  }

  function changed(task: Task): void {
    setNotice(null);
    setPage((shown) => shown && { ...shown, items: shown.items.map((item) => (item.id === task.id ? task : item)) });
    if (filter !== "all") reload(); // it may no longer belong to this view
  }

  function deleted(task: Task): void {
    setNotice(`Deleted “${task.title}”.`);
    setPage((shown) => shown && { ...shown, items: shown.items.filter((item) => item.id !== task.id) });
    listHeading.current?.focus();
    reload();
  }

  return (
    <div className="page">
      <PageHeading>Tasks</PageHeading>
      <NewTaskForm onCreated={created} />
      <section className="task-section" aria-labelledby="task-list-heading">
        <div className="task-section__top">
          <h2 id="task-list-heading" ref={listHeading} tabIndex={-1}>
            Your tasks
          </h2>
          <TaskFilter value={filter} onChange={showFilter} />
        </div>
        <Notice>{notice}</Notice>
        <FormAlert>{problem}</FormAlert>
        {page === null && loading && <Loading>Loading your tasks…</Loading>}
        {page !== null && (
          <>
            <p className="list-status" role="status">
              {loading && (
                <>
                  <Spinner /> Updating…
                </>
              )}
            </p>
            {page.items.length === 0 ? (
              <p className="empty">{pageNumber === 1 ? EMPTY[filter] : "No more tasks."}</p>
            ) : (
              <ul className="task-list" aria-label="Tasks" aria-busy={loading || undefined}>
                {page.items.map((task) => (
                  <TaskItem key={task.id} task={task} onChanged={changed} onDeleted={deleted} />
                ))}
              </ul>
            )}
            <Pager
              pageNumber={pageNumber}
              hasOlder={page.next_cursor !== null}
              busy={loading}
              onNewer={() => setCursors((all) => (all.length > 1 ? all.slice(0, -1) : all))}
              onOlder={() => page.next_cursor && setCursors((all) => [...all, page.next_cursor ?? undefined])}
            />
          </>
        )}
      </section>
    </div>
  );
}
