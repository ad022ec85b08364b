/**
 * The members of each list, read once per list and shared by every task of it (the assignee pickers and the
 * "assigned to" of each task): `GET /lists/{id}/members`. `forgetMembers` drops a list's, after a change of them.
 */
import { useEffect, useState } from "react";
import type { Member } from "todo-rocket-client";

import { api } from "../api";

const members = new Map<string, Promise<Member[]>>();
const listeners = new Set<() => void>();

function load(listId: string): Promise<Member[]> {
  let pending = members.get(listId);
  if (!pending) {
    pending = api
      .GET("/lists/{id}/members", { params: { path: { id: listId } } })
      .then(({ data }) => data ?? [])
      .catch(() => {
        members.delete(listId); // try again next time
        return [];
      });
    members.set(listId, pending);
  }
  return pending;
}

/** Forgets the members read for `listId` (or every list's): they are read again when next needed. */
export function forgetMembers(listId?: string): void {
  if (listId) members.delete(listId);
  else members.clear();
  listeners.forEach((listener) => listener());
}

/** The members of `listId` (empty until read; `null` list id: none). */
export function useMembers(listId: string | null | undefined): Member[] {
  const [shown, setShown] = useState<Member[]>([]);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  useEffect(() => {
    if (!listId) {
      setShown([]);
      return;
    }
    let outdated = false;
    void load(listId).then((read) => {
      if (!outdated) setShown(read);
    });
    return () => {
      outdated = true;
    };
  }, [listId, version]);
  return shown;
}
