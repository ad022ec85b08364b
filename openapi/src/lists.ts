/**
 * Lists, their members and roles.
 *
 * Every task lives in a list. Each account has its inbox (made at signup; it cannot be shared or deleted); other
 * lists are shared with members, each with a {@link Role}: a viewer reads, an editor also writes tasks, the owner
 * also renames, deletes and shares the list. Not being a member of a list is a 404 on every route of it; a role too
 * low for the action, a 403.
 *
 * @example
 * ```ts
 * import { canEditTasks, isOwner } from "todo-rocket-client";
 *
 * const { data: lists } = await api.GET("/lists"); // inbox first, then by name
 * const shared = lists!.filter((list) => !list.inbox && isOwner(list));
 * const { data: members } = await api.GET("/lists/{id}/members", { params: { path: { id: shared[0]!.id } } });
 *
 * // Invite by email (the server mails `{APP_URL}/invitations?token=…`); the invitee, signed in with that address
 * // verified, accepts with the link's token and gets the list.
 * await api.POST("/lists/{id}/invitations", { params: { path: { id } }, body: { email: "bob@example.com", role: "editor" } });
 * const { data: joined } = await bob.POST("/invitations/accept", { body: { token: invitationToken(location.href)! } });
 * ```
 */
import type { components } from "./schema.js";

type List = components["schemas"]["List"];
type Role = components["schemas"]["Role"];

/** The roles, lowest first, with their words. */
export const ROLES: readonly { value: Role; label: string; description: string }[] = [
  { value: "viewer", label: "Viewer", description: "sees the tasks" },
  { value: "editor", label: "Editor", description: "also adds, changes, completes and deletes tasks" },
  { value: "owner", label: "Owner", description: "also renames, deletes and shares the list" },
];

const RANK: Record<Role, number> = { viewer: 0, editor: 1, owner: 2 };

/** Whether `role` allows at least what `needed` allows (owner ⊇ editor ⊇ viewer). */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** Whether the caller may add, change, complete and delete the tasks of `list` (editor or owner). */
export function canEditTasks(list: Pick<List, "role">): boolean {
  return roleAtLeast(list.role, "editor");
}

/** Whether the caller owns `list` (may rename, delete it and manage its members). */
export function isOwner(list: Pick<List, "role">): boolean {
  return list.role === "owner";
}

/** Whether `list` can be shared (and deleted) by the caller: a list they own that is not their inbox. */
export function canShare(list: Pick<List, "role" | "inbox">): boolean {
  return isOwner(list) && !list.inbox;
}

/** The roles an invitation can give (ownership is handed over to a member, not invited). */
export const INVITABLE_ROLES: readonly Role[] = ["editor", "viewer"];

/**
 * The `token` of an invitation link (`{APP_URL}/invitations?token=…`, a full URL or a path with its query), for
 * `POST /invitations/accept`; null when it has none.
 */
export function invitationToken(link: string): string | null {
  let url: URL;
  try {
    url = new URL(link, "http://invitation.invalid");
  } catch {
    return null;
  }
  const token = url.searchParams.get("token");
  return token && token.trim() !== "" ? token : null;
}
