/**
 * Lists, members, task fields and filters, and If-Match against the real server: the helpers of
 * src/lists.ts and src/tasks.ts (`taskQuery`, `ifMatch`, `versionOf`, `isPreconditionFailed`, the role checks)
 * with the typed client.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  canEditTasks,
  canShare,
  createTodoClient,
  ifMatch,
  invitationToken,
  isOwner,
  isPreconditionFailed,
  roleAtLeast,
  taskQuery,
  versionOf,
  type Task,
  type TodoClient,
  type User,
} from "../src/index.js";
import { startServer, type RunningServer } from "./server.js";

const PASSWORD = "correct horse battery";

let server: RunningServer;
let anonymous: TodoClient;

before(async () => {
  server = await startServer({ env: { RUST_LOG: "info" } }); // the mails, with their links, in its output
  anonymous = createTodoClient({ baseUrl: server.baseUrl });
});

after(async () => {
  await server?.stop();
});

function email(label: string): string {
  return `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/**
 * The link to `/<kind>?token=` of the mail to `to` that the server printed after `since` characters of its output
 * (mails go out after the answer, so another account's mail may come in between).
 */
async function linkAfter(kind: string, since: number, to: string): Promise<string> {
  const pattern = new RegExp(`https?://\\S+/${kind}\\?token=[A-Za-z0-9_-]+`);
  for (let tries = 0; tries < 100; tries++) {
    const output = server.output().slice(since);
    const mail = output.indexOf(`To: ${to}\n`);
    const link = mail >= 0 ? output.slice(mail).match(pattern) : null;
    if (link) return link[0];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no /${kind}?token= link in a mail to ${to} in the server's output:\n${server.output().slice(since)}`);
}

async function newUser(label: string, verified = false): Promise<{ user: User; api: TodoClient }> {
  const address = email(label);
  const since = server.output().length;
  const signup = await anonymous.POST("/auth/signup", { body: { email: address, password: PASSWORD } });
  assert.equal(signup.response.status, 201, JSON.stringify(signup.error));
  const login = await anonymous.POST("/auth/login", { body: { email: address, password: PASSWORD } });
  assert.ok(login.data, JSON.stringify(login.error));
  if (verified) {
    const token = invitationToken(await linkAfter("verify-email", since, address)); // any link's token reads the same way
    const verify = await anonymous.POST("/auth/email/verify", { body: { token: token! } });
    assert.equal(verify.response.status, 200, JSON.stringify(verify.error));
  }
  return { user: signup.data!, api: createTodoClient({ baseUrl: server.baseUrl, token: login.data.access_token }) };
}

describe("taskQuery, ifMatch and versionOf (no server)", () => {
  test("taskQuery leaves out what is not set, makes dates RFC 3339 and assignedToMe `me`", () => {
    assert.deepEqual(taskQuery(), {});
    assert.deepEqual(taskQuery({ search: "   ", assignedToMe: false, cursor: null }), {});
    assert.deepEqual(
      taskQuery({
        listId: "0192f49f-0a1b-7c2d-8e3f-9a0b1c2d3e4f",
        completed: false,
        dueBefore: new Date(Date.UTC(2026, 1, 1)),
        dueAfter: "2026-01-01T00:00:00Z",
        assignedToMe: true,
        assignee: "ignored-when-assigned-to-me",
        search: "  milk ",
        sort: "due",
        limit: 20,
        cursor: "abc",
      }),
      {
        list_id: "0192f49f-0a1b-7c2d-8e3f-9a0b1c2d3e4f",
        completed: false,
        due_before: "2026-02-01T00:00:00.000Z",
        due_after: "2026-01-01T00:00:00Z",
        assignee: "me",
        q: "milk",
        sort: "due",
        limit: 20,
        cursor: "abc",
      },
    );
  });

  test("ifMatch from a task, a version or an ETag; versionOf reads only a strong version tag", () => {
    assert.deepEqual(ifMatch({ version: 3 }), { "If-Match": '"3"' });
    assert.deepEqual(ifMatch(7), { "If-Match": '"7"' });
    assert.deepEqual(ifMatch('"9"'), { "If-Match": '"9"' });
    const withTag = (tag?: string) => new Response(null, { headers: tag ? { ETag: tag } : {} });
    assert.equal(versionOf(withTag('"12"')), 12);
    assert.equal(versionOf(withTag('W/"12"')), undefined);
    assert.equal(versionOf(withTag('"x"')), undefined);
    assert.equal(versionOf(withTag()), undefined);
  });

  test("role checks", () => {
    assert.ok(roleAtLeast("owner", "editor") && roleAtLeast("editor", "editor") && !roleAtLeast("viewer", "editor"));
    assert.ok(canEditTasks({ role: "editor" }) && !canEditTasks({ role: "viewer" }));
    assert.ok(isOwner({ role: "owner" }) && !isOwner({ role: "editor" }));
    assert.ok(canShare({ role: "owner", inbox: false }) && !canShare({ role: "owner", inbox: true }));
  });

  test("invitationToken reads the token of a link, a full URL or a path", () => {
    assert.equal(invitationToken("http://localhost:5173/invitations?token=abc_DEF-1"), "abc_DEF-1");
    assert.equal(invitationToken("/invitations?token=xyz"), "xyz");
    assert.equal(invitationToken("/invitations"), null);
    assert.equal(invitationToken("/invitations?token="), null);
  });
});

describe("lists and members", () => {
  test("the inbox comes first; a new list is owned; rename; the owner is its only member; delete", async () => {
    const { user, api } = await newUser("lists");
    const created = await api.POST("/lists", { body: { name: "Groceries" } });
    assert.equal(created.response.status, 201, JSON.stringify(created.error));
    const list = created.data!;
    assert.ok(isOwner(list) && canShare(list) && !list.inbox);

    const { data: lists } = await api.GET("/lists");
    assert.ok(lists);
    assert.equal(lists[0]!.inbox, true);
    assert.ok(!canShare(lists[0]!), "an inbox cannot be shared");
    assert.deepEqual(lists.slice(1).map((l) => l.name), ["Groceries"]);

    const renamed = await api.PATCH("/lists/{id}", { params: { path: { id: list.id } }, body: { name: "Shopping" } });
    assert.equal(renamed.data?.name, "Shopping");

    const { data: members } = await api.GET("/lists/{id}/members", { params: { path: { id: list.id } } });
    assert.deepEqual(members?.map((m) => [m.user_id, m.email, m.role]), [[user.id, user.email, "owner"]]);

    const inboxDelete = await api.DELETE("/lists/{id}", { params: { path: { id: lists[0]!.id } } });
    assert.equal(inboxDelete.response.status, 409);
    const deleted = await api.DELETE("/lists/{id}", { params: { path: { id: list.id } } });
    assert.equal(deleted.response.status, 204);
  });
});

describe("task fields, filters and If-Match", () => {
  let api: TodoClient;
  let user: User;
  let listId: string;
  const tasks: Record<string, Task> = {};

  before(async () => {
    ({ api, user } = await newUser("filters"));
    listId = (await api.POST("/lists", { body: { name: "Work" } })).data!.id;
    const make = async (title: string, extra: Record<string, unknown>) => {
      const { data, error } = await api.POST("/tasks", { body: { title, list_id: listId, ...extra } });
      assert.ok(data, JSON.stringify(error));
      tasks[title] = data;
    };
    await make("Write report", { due_at: "2026-03-01T09:00:00Z", priority: 3, assignee_id: user.id });
    await make("Book flights", { due_at: "2026-01-15T09:00:00Z", priority: 1 });
    await make("Read the milk study", { description: "about MILK" });
    // one in the inbox, which the list filter leaves out
    await api.POST("/tasks", { body: { title: "Inbox task" } });
  });

  const titles = async (filters: Parameters<typeof taskQuery>[0]) => {
    const { data, error } = await api.GET("/tasks", { params: { query: taskQuery(filters) } });
    assert.ok(data, JSON.stringify(error));
    return data.items.map((t) => t.title);
  };

  test("a new task has its fields, version 1 and an ETag naming it", async () => {
    const task = tasks["Write report"]!;
    assert.equal(task.list_id, listId);
    assert.equal(task.priority, 3);
    assert.equal(task.assignee_id, user.id);
    assert.equal(task.created_by, user.id);
    assert.equal(task.version, 1);
    const { data, response } = await api.GET("/tasks/{id}", { params: { path: { id: task.id } } });
    assert.equal(versionOf(response), data?.version);
  });

  test("filters: list, search, due window, assigned to me; sort by due; paging by cursor", async () => {
    assert.deepEqual(await titles({ listId }), ["Read the milk study", "Book flights", "Write report"]);
    assert.deepEqual(await titles({ listId, search: "milk" }), ["Read the milk study"]);
    assert.deepEqual(await titles({ search: "inbox" }), ["Inbox task"], "without listId: every list");
    assert.deepEqual(await titles({ listId, dueBefore: new Date(Date.UTC(2026, 1, 1)) }), ["Book flights"]);
    assert.deepEqual(await titles({ listId, dueAfter: "2026-02-01T00:00:00Z" }), ["Write report"]);
    assert.deepEqual(await titles({ assignedToMe: true }), ["Write report"]);
    assert.deepEqual(await titles({ listId, sort: "due" }), ["Book flights", "Write report", "Read the milk study"]);

    const first = await api.GET("/tasks", { params: { query: taskQuery({ listId, sort: "due", limit: 2 }) } });
    assert.ok(first.data?.next_cursor);
    const second = await api.GET("/tasks", {
      params: { query: taskQuery({ listId, sort: "due", limit: 2, cursor: first.data.next_cursor }) },
    });
    assert.deepEqual(second.data?.items.map((t) => t.title), ["Read the milk study"]);
    assert.equal(second.data?.next_cursor, null);
  });

  test("If-Match: a write with the current version succeeds; a stale one is a 412 that isPreconditionFailed tells apart", async () => {
    const task = tasks["Book flights"]!;
    const first = await api.PATCH("/tasks/{id}", {
      params: { path: { id: task.id }, header: ifMatch(task) },
      body: { priority: 2 },
    });
    assert.equal(first.response.status, 200, JSON.stringify(first.error));
    assert.equal(first.data?.version, task.version + 1);
    assert.equal(versionOf(first.response), first.data?.version);

    // The same (now stale) version again: nothing is written.
    const stale = await api.PATCH("/tasks/{id}", {
      params: { path: { id: task.id }, header: ifMatch(task) },
      body: { title: "Overwrite" },
    });
    assert.equal(stale.response.status, 412);
    assert.ok(isPreconditionFailed(stale.error));
    assert.equal(stale.response.headers.get("content-type"), "application/problem+json");
    assert.ok(!isPreconditionFailed(first.error) && !isPreconditionFailed({ status: 404 }));

    for (const write of [
      api.PATCH("/tasks/{id}/complete", { params: { path: { id: task.id }, header: ifMatch(task) } }),
      api.DELETE("/tasks/{id}", { params: { path: { id: task.id }, header: ifMatch(task) } }),
      api.PUT("/tasks/{id}", { params: { path: { id: task.id }, header: ifMatch(task) }, body: { title: "x", completed: true } }),
    ]) {
      const { error, response } = await write;
      assert.equal(response.status, 412);
      assert.ok(isPreconditionFailed(error));
    }
    const { data: latest } = await api.GET("/tasks/{id}", { params: { path: { id: task.id } } });
    assert.equal(latest?.title, "Book flights");
    assert.equal(latest?.priority, 2);

    // With the version just read (from the ETag), the toggle goes through.
    const toggled = await api.PATCH("/tasks/{id}/complete", { params: { path: { id: task.id }, header: ifMatch(latest!) } });
    assert.equal(toggled.data?.completed, true);
    assert.deepEqual(await titles({ listId, completed: true }), ["Book flights"]);
  });
});

describe("invitations", () => {
  test("invite, list, withdraw (its link then 422); the mail's token joins the invited (verified) account as its role; a used token is 422; another account is 403", async () => {
    const { api: owner } = await newUser("owner");
    const bob = await newUser("bob", true);
    const eve = await newUser("eve", true);
    const list = (await owner.POST("/lists", { body: { name: "Trip" } })).data!;

    // Invite, see it pending, withdraw it: the list has none pending (its mail printed first, so that the next
    // mail to Bob is the second invitation's).
    const sinceFirst = server.output().length;
    const first = await owner.POST("/lists/{id}/invitations", {
      params: { path: { id: list.id } },
      body: { email: bob.user.email, role: "viewer" },
    });
    assert.equal(first.response.status, 201, JSON.stringify(first.error));
    assert.deepEqual([first.data?.email, first.data?.role], [bob.user.email, "viewer"]);
    const firstToken = invitationToken(await linkAfter("invitations", sinceFirst, bob.user.email));
    const pending = await owner.GET("/lists/{id}/invitations", { params: { path: { id: list.id } } });
    assert.deepEqual(pending.data?.map((i) => i.id), [first.data!.id]);
    const withdrawn = await owner.DELETE("/invitations/{id}", { params: { path: { id: first.data!.id } } });
    assert.equal(withdrawn.response.status, 204);
    assert.deepEqual((await owner.GET("/lists/{id}/invitations", { params: { path: { id: list.id } } })).data, []);

    // Invite again, as an editor: the mail's link carries the token.
    const since = server.output().length;
    const second = await owner.POST("/lists/{id}/invitations", {
      params: { path: { id: list.id } },
      body: { email: bob.user.email, role: "editor" },
    });
    assert.equal(second.response.status, 201);
    const token = invitationToken(await linkAfter("invitations", since, bob.user.email));
    assert.ok(token);

    // Someone else signed in with the link: 403, and the invitation still works for Bob.
    const wrong = await eve.api.POST("/invitations/accept", { body: { token } });
    assert.equal(wrong.response.status, 403);

    const accepted = await bob.api.POST("/invitations/accept", { body: { token } });
    assert.equal(accepted.response.status, 200, JSON.stringify(accepted.error));
    assert.deepEqual([accepted.data?.id, accepted.data?.role, accepted.data?.member_count], [list.id, "editor", 2]);
    assert.ok(canEditTasks(accepted.data!) && !canShare(accepted.data!));
    const { data: members } = await owner.GET("/lists/{id}/members", { params: { path: { id: list.id } } });
    assert.deepEqual(members?.map((m) => [m.email, m.role]).sort(), [[bob.user.email, "editor"], [(await owner.GET("/auth/me")).data!.email, "owner"]].sort());

    const withdrawnToken = await bob.api.POST("/invitations/accept", { body: { token: firstToken! } });
    assert.equal(withdrawnToken.response.status, 422, "the withdrawn invitation's link no longer works");

    const again = await bob.api.POST("/invitations/accept", { body: { token } });
    assert.equal(again.response.status, 422);
    assert.deepEqual(again.error?.errors?.map((e) => e.field), ["token"]);
  });
});
