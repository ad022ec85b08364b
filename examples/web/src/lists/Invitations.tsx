import type { List } from "todo-rocket-client";

/** Invitations by email with a role, and the pending ones (withdraw). Needs the server's invitation routes. */
export function Invitations(_: { list: List }) {
  return null;
}
