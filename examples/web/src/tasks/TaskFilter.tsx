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
