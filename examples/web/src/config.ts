/** Settings read at build time (`VITE_*` environment variables, see the README). */

/** Where the todo-rocket API is mounted. Its `CORS_ALLOWED_ORIGINS` must list this app's origin. */
export const API_URL: string = import.meta.env.VITE_API_URL || "http://127.0.0.1:8000";

/** How many tasks one page of the list shows. */
export const PAGE_SIZE: number = clampPageSize(Number(import.meta.env.VITE_PAGE_SIZE || 10));

function clampPageSize(value: number): number {
  if (!Number.isInteger(value)) return 10;
  return Math.min(100, Math.max(1, value)); // the API accepts 1 to 100
}
