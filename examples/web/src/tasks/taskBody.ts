/** The body the new-task and the edit forms send for their fields. */

/** A task's title and notes as sent: blank notes are no notes (`null`), not an empty string. */
export function taskBody({ title, description }: { title: string; description: string }) {
  return { title, description: description.trim() === "" ? null : description };
}
