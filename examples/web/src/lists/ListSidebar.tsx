import type { List } from "todo-rocket-client";

import { api } from "../api";
import { FormAlert } from "../components/Alert";
import { Field } from "../components/Field";
import { SubmitButton } from "../components/SubmitButton";
import { useRequestForm } from "../components/useRequestForm";
import { toFormProblem } from "../problems";
import { Link } from "../router";

/** The address of a list's tasks (`all`: every list's). */
export function listPath(listId: string): string {
  return `/tasks?list=${encodeURIComponent(listId)}`;
}

interface ListSidebarProps {
  lists: readonly List[];
  /** The id of the list shown, or `all`. */
  selected: string;
  onCreated(list: List): void;
}

/** The lists (inbox first, as the API orders them), "All lists", and a form to make a new one. */
export function ListSidebar({ lists, selected, onCreated }: ListSidebarProps) {
  const create = useRequestForm({ name: "" }, async (values, reset) => {
    const { data, error, response } = await api.POST("/lists", { body: { name: values.name } });
    if (error) return toFormProblem(error, response, ["name"]);
    reset();
    onCreated(data);
  });

  const item = (id: string, label: string, extra?: string) => (
    <li key={id}>
      <Link to={listPath(id)} className="lists__link" aria-current={selected === id ? "page" : undefined}>
        <span className="lists__name">{label}</span>
        {extra && <span className="lists__extra">{extra}</span>}
      </Link>
    </li>
  );

  return (
    <aside className="sidebar">
      <nav aria-label="Lists">
        <ul className="lists">
          {lists.map((list) =>
            item(list.id, list.name, list.member_count > 1 ? `shared · ${list.role}` : list.role === "owner" ? undefined : list.role),
          )}
          {item("all", "All lists")}
        </ul>
      </nav>
      <form {...create.form} className="new-list" aria-label="New list">
        <FormAlert>{create.problem.message}</FormAlert>
        <Field id="new-list-name" label="New list" autoComplete="off" required maxLength={100} {...create.field("name")} />
        <SubmitButton busy={create.busy} label="Add list" busyLabel="Adding…" className="button button--small" />
      </form>
    </aside>
  );
}
