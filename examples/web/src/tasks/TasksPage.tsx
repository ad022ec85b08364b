import { useEffect, useMemo, useRef, useState } from "react";
import { canEditTasks, taskQuery, type List, type Task } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert, Notice } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { Loading, Spinner } from "../components/Spinner";
import { PAGE_SIZE } from "../config";
import { ListHeader } from "../lists/ListHeader";
import { listPath, ListSidebar } from "../lists/ListSidebar";
import { forgetMembers } from "../lists/members";
import { navigate, useLocation } from "../router";
import { dayToInstant } from "./dates";
import { NewTaskForm } from "./NewTaskForm";
import { completedParam, MoreFilters, NO_MORE_FILTERS, TaskFilter, type MoreFilterValues, type TaskFilterValue } from "./TaskFilter";
import { TaskItem } from "./TaskItem";

const EMPTY: Record<TaskFilterValue, string> = {
  all: "No tasks yet. Add your first one above.",
  open: "Nothing left to do.",
  done: "No task is done yet.",
};

/** The lists as last read: shown at once when the page opens again (another list chosen), then read afresh. */
let lastLists: List[] | null = null;

/** Tasks shown so far: the first page and every page "Load more" added, and the cursor of the next. */
interface Shown {
  items: Task[];
  nextCursor: string | null;
}

/**
 * The task lists: the lists in a sidebar (inbox first, "All lists", a new one), the chosen list (`?list=<id>`, or
 * `all`; the inbox when absent) with its owner's Rename, Share and Delete, a form to add a task, filters and the
 * order, and the tasks a page at a time ("Load more").
 */
export function TasksPage() {
  const { state: arrived, query } = useLocation();
  const [lists, setLists] = useState<List[] | null>(lastLists);
  const [listsReloads, setListsReloads] = useState(0);
  const [filter, setFilter] = useState<TaskFilterValue>("all");
  const [more, setMore] = useState<MoreFilterValues>(NO_MORE_FILTERS);
  const [search, setSearch] = useState(""); // `more.search`, once typing paused
  const [reloads, setReloads] = useState(0);
  const [shown, setShown] = useState<Shown | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(arrived.notice ?? null);
  const listHeading = useRef<HTMLHeadingElement>(null);

  const asked = query.get("list");
  const inbox = lists?.find((list) => list.inbox) ?? null;
  const selected = asked ?? inbox?.id ?? null; // null until the lists are read
  const list = selected && selected !== "all" ? (lists?.find((l) => l.id === selected) ?? null) : null;
  const listId = selected === "all" ? undefined : (selected ?? undefined);
  const listsRead = lists !== null;
  const unknownList = listsRead && selected !== null && selected !== "all" && list === null;
  const editableLists = useMemo(() => (lists ?? []).filter(canEditTasks), [lists]);
  const listNames = useMemo(() => new Map((lists ?? []).map((l) => [l.id, l])), [lists]);

  useEffect(() => {
    let outdated = false;
    void (async () => {
      try {
        const { data, error } = await api.GET("/lists");
        if (outdated) return;
        if (error) setProblem(error.detail || error.title);
        else {
          lastLists = data;
          setLists(data);
        }
      } catch {
        if (!outdated) setProblem("Cannot reach the server. Check your connection and try again.");
      }
    })();
    return () => {
      outdated = true;
    };
  }, [listsReloads]);

  useEffect(() => {
    const wait = setTimeout(() => setSearch(more.search), 300);
    return () => clearTimeout(wait);
  }, [more.search]);

  const filters = useMemo(
    () => ({
      listId,
      completed: completedParam(filter),
      dueAfter: dayToInstant(more.dueAfter) ?? undefined,
      dueBefore: dayToInstant(more.dueBefore) ?? undefined,
      assignedToMe: more.assignedToMe,
      search,
      sort: more.sort,
      limit: PAGE_SIZE,
    }),
    [listId, filter, more.dueAfter, more.dueBefore, more.assignedToMe, search, more.sort],
  );
  const filtered = filter !== "all" || JSON.stringify({ ...more, sort: "created" }) !== JSON.stringify(NO_MORE_FILTERS);

  // Once the lists are read (the ones last read, when the page opens again): a list that is not among them is not
  // asked for (it is gone, or no longer shared: the page says so instead of the API's 404).
  useEffect(() => {
    if (!listsRead || selected === null || unknownList) return;
    let outdated = false;
    setLoading(true);
    void (async () => {
      try {
        const { data, error } = await api.GET("/tasks", { params: { query: taskQuery(filters) } });
        if (outdated) return;
        if (error) {
          setProblem(error.detail || error.title);
        } else {
          setShown({ items: data.items, nextCursor: data.next_cursor });
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
  }, [filters, selected, unknownList, reloads, listsRead]);

  const reload = (): void => setReloads((count) => count + 1);
  const reloadLists = (): void => setListsReloads((count) => count + 1);

  async function loadMore(): Promise<void> {
    if (!shown?.nextCursor) return;
    setLoadingMore(true);
    try {
      const { data, error } = await api.GET("/tasks", { params: { query: taskQuery({ ...filters, cursor: shown.nextCursor }) } });
      if (error) setProblem(error.detail || error.title);
      else {
        setShown((before) => {
          const seen = new Set(before?.items.map((t) => t.id));
          return { items: [...(before?.items ?? []), ...data.items.filter((t) => !seen.has(t.id))], nextCursor: data.next_cursor };
        });
        setProblem(null);
      }
    } catch {
      setProblem("Cannot reach the server. Check your connection and try again.");
    } finally {
      setLoadingMore(false);
    }
  }

  function showFilter(value: TaskFilterValue): void {
    setFilter(value);
  }

  function created(task: Task): void {
    setNotice(`Added “${task.title}”.`);
    if (filter === "done") setFilter("all"); // a new task is open: show it
    reload();
    reloadLists();
  }

  function changed(task: Task): void {
    setNotice(null);
    setShown((before) => before && { ...before, items: before.items.map((item) => (item.id === task.id ? task : item)) });
    if (filtered || more.sort === "due") reload(); // it may no longer belong to this view, or sit elsewhere
  }

  function deleted(task: Task): void {
    setNotice(`Deleted “${task.title}”.`);
    setShown((before) => before && { ...before, items: before.items.filter((item) => item.id !== task.id) });
    listHeading.current?.focus();
    reload();
  }

  function listCreated(created: List): void {
    lastLists = [...(lists ?? []), created];
    navigate(listPath(created.id), { notice: `Made the list “${created.name}”.` });
  }

  function listRenamed(renamed: List): void {
    setLists((all) => all && all.map((l) => (l.id === renamed.id ? renamed : l)));
    setNotice(`Renamed the list to “${renamed.name}”.`);
    reloadLists();
  }

  function listDeleted(gone: List): void {
    lastLists = (lists ?? []).filter((l) => l.id !== gone.id);
    forgetMembers(gone.id);
    navigate(inbox ? listPath(inbox.id) : "/tasks", { notice: `Deleted the list “${gone.name}”.` });
  }

  const canAdd = list ? canEditTasks(list) : editableLists.length > 0;
  const emptyText = filtered ? (filter !== "all" && !search && !more.dueAfter && !more.dueBefore && !more.assignedToMe ? EMPTY[filter] : "No tasks match these filters.") : EMPTY.all;

  return (
    <div className="page">
      <PageHeading>Tasks</PageHeading>
      <div className="tasks-layout" aria-busy={lists === null || (shown === null && !unknownList) || undefined}>
        {lists === null ? <Loading>Loading your lists…</Loading> : <ListSidebar lists={lists} selected={selected ?? ""} onCreated={listCreated} />}
        <div className="tasks-layout__main">
          <Notice>{notice}</Notice>
          {unknownList && <FormAlert>This list does not exist, or it is no longer shared with you.</FormAlert>}
          {selected !== null && !unknownList && (
            <>
              {canAdd && lists && (
                <NewTaskForm key={selected} listId={list ? list.id : null} lists={editableLists} onCreated={created} />
              )}
              <section className="task-section" aria-labelledby="task-list-heading">
                {list ? (
                  <ListHeader
                    key={list.id}
                    list={list}
                    onRenamed={listRenamed}
                    onDeleted={listDeleted}
                    onMembersChanged={() => {
                      reloadLists();
                      reload();
                    }}
                  />
                ) : (
                  <div className="list-header">
                    <h2 id="task-list-heading" ref={listHeading} tabIndex={-1}>
                      All lists
                    </h2>
                  </div>
                )}
                {list && !canEditTasks(list) && <p className="lead">You can see this list's tasks; its owner has not let you change them.</p>}
                <div className="task-section__top">
                  <TaskFilter value={filter} onChange={showFilter} />
                </div>
                <MoreFilters value={more} onChange={setMore} />
                <FormAlert>{problem}</FormAlert>
                {shown === null && loading && <Loading>Loading your tasks…</Loading>}
                {shown !== null && (
                  <>
                    <p className="list-status" role="status">
                      {loading && (
                        <>
                          <Spinner /> Updating…
                        </>
                      )}
                    </p>
                    {shown.items.length === 0 ? (
                      <p className="empty">{emptyText}</p>
                    ) : (
                      <ul className="task-list" aria-label="Tasks" aria-busy={loading || loadingMore || undefined}>
                        {shown.items.map((task) => {
                          const of = listNames.get(task.list_id);
                          return (
                            <TaskItem
                              key={task.id}
                              task={task}
                              listName={list ? undefined : (of?.name ?? "")}
                              editable={of ? canEditTasks(of) : false}
                              onChanged={changed}
                              onDeleted={deleted}
                            />
                          );
                        })}
                      </ul>
                    )}
                    {shown.nextCursor !== null && (
                      <div className="load-more">
                        <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore || loading}>
                          {loadingMore && <Spinner />}
                          {loadingMore ? "Loading…" : "Load more"}
                        </button>
                      </div>
                    )}
                  </>
                )}
              </section>
            </>
          )}
        </div>
      </div>
    </div>
  );
}
