/** Which tasks the list shows; `completed` of `GET /tasks`. */
export type TaskFilterValue = "all" | "open" | "done";

const OPTIONS: { value: TaskFilterValue; label: string }[] = [
  { value: "all", label: "All" },
  { value: "open", label: "Open" },
  { value: "done", label: "Done" },
];

/** The query parameter `completed` for a filter (absent for all tasks). */
export function completedParam(filter: TaskFilterValue): boolean | undefined {
  return filter === "all" ? undefined : filter === "done";
}

/** A group of radio buttons, styled as a segmented control (arrow keys move between them). */
export function TaskFilter({ value, onChange }: { value: TaskFilterValue; onChange(value: TaskFilterValue): void }) {
  return (
    <fieldset className="filter">
      <legend>Show</legend>
      {OPTIONS.map((option) => (
        <label key={option.value} className="filter__option">
          <input
            type="radio"
            name="task-filter"
            value={option.value}
            checked={value === option.value}
            onChange={() => onChange(option.value)}
          />
          <span>{option.label}</span>
        </label>
      ))}
    </fieldset>
  );
}

/** The other filters of `GET /tasks` and its order, as the page keeps them. */
export interface MoreFilterValues {
  /** Search text (`q`): title or notes contain it, in any case. */
  search: string;
  /** `YYYY-MM-DD` or "". */
  dueAfter: string;
  /** `YYYY-MM-DD` or "". */
  dueBefore: string;
  assignedToMe: boolean;
  sort: "created" | "due";
}

export const NO_MORE_FILTERS: MoreFilterValues = { search: "", dueAfter: "", dueBefore: "", assignedToMe: false, sort: "created" };

/** Search, a due-date window, "Assigned to me" and the order. */
export function MoreFilters({ value, onChange }: { value: MoreFilterValues; onChange(value: MoreFilterValues): void }) {
  const set = <K extends keyof MoreFilterValues>(key: K, to: MoreFilterValues[K]) => onChange({ ...value, [key]: to });
  return (
    <fieldset className="more-filters">
      <legend className="visually-hidden">Filter and sort</legend>
      <div className="more-filters__field more-filters__field--search">
        <label htmlFor="filter-search">Search</label>
        <input id="filter-search" type="search" value={value.search} onChange={(e) => set("search", e.target.value)} maxLength={200} />
      </div>
      <div className="more-filters__field">
        <label htmlFor="filter-due-after">Due from</label>
        <input id="filter-due-after" type="date" value={value.dueAfter} onChange={(e) => set("dueAfter", e.target.value)} />
      </div>
      <div className="more-filters__field">
        <label htmlFor="filter-due-before">Due before</label>
        <input id="filter-due-before" type="date" value={value.dueBefore} onChange={(e) => set("dueBefore", e.target.value)} />
      </div>
      <div className="more-filters__field">
        <label htmlFor="filter-sort">Sort by</label>
        <select id="filter-sort" value={value.sort} onChange={(e) => set("sort", e.target.value === "due" ? "due" : "created")}>
          <option value="created">Newest first</option>
          <option value="due">Due soonest</option>
        </select>
      </div>
      <label className="checkbox-field more-filters__mine">
        <input type="checkbox" checked={value.assignedToMe} onChange={(e) => set("assignedToMe", e.target.checked)} />
        Assigned to me
      </label>
    </fieldset>
  );
}
