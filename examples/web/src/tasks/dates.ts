/**
 * Due dates: the forms and filters pick a day (`<input type="date">`, `YYYY-MM-DD`); the API takes and gives
 * instants (RFC 3339). A day is its first instant in the reader's time zone, so "due before 1 Feb" holds every
 * task due on 31 Jan or earlier, and "due after 15 Jan" those due on 15 Jan or later.
 */

/** The instant (RFC 3339, UTC) that starts the day `value` (`YYYY-MM-DD`) here; null for no day. */
export function dayToInstant(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The day (`YYYY-MM-DD`, here) of an instant, for a date input; "" for none. */
export function instantToDay(rfc3339: string | null | undefined): string {
  if (!rfc3339) return "";
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** "12 Jan 2026" in the reader's language and time zone. */
export function formatDay(rfc3339: string): string {
  const date = new Date(rfc3339);
  return Number.isNaN(date.getTime()) ? rfc3339 : day.format(date);
}

/** Whether a due instant has passed. */
export function isOverdue(rfc3339: string | null): boolean {
  return rfc3339 !== null && new Date(rfc3339).getTime() < Date.now();
}
