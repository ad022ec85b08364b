/**
 * The generated client against the real server: every call goes through the typed
 * openapi-fetch client, so these tests also prove that the generated types match
 * what the server sends (a type error here fails `npm run typecheck`).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { createTodoClient, type Problem, type Task, type TodoClient, type User } from "../src/index.js";
import { startServer, type RunningServer } from "./server.js";

const PASSWORD = "correct horse battery";

let server: RunningServer;
let anonymous: TodoClient;

before(async () => {
  server = await startServer();
  anonymous = createTodoClient({ baseUrl: server.baseUrl });
});

after(async () => {
  await server?.stop();
});

/** A unique email, so the suites never collide. */
function email(label: string): string {
  return `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Asserts an RFC 9457 problem body of the given status, as the typed `error` of a call. */
function assertProblem(error: Problem | undefined, response: Response, status: number, title: string): Problem {
  assert.ok(error, `expected a ${status} problem, got ${response.status}`);
  assert.equal(response.status, status);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  assert.equal(error.type, "about:blank");
  assert.equal(error.title, title);
  assert.equal(error.status, status);
  assert.equal(typeof error.detail, "string");
  assert.ok(error.detail && error.detail.length > 0, "detail is a non-empty string");
  return error;
}

/** Signs a new user up and logs in; returns the user, a client carrying their token, and the tokens. */
async function newUser(label: string): Promise<{ user: User; api: TodoClient; token: string; refreshToken: string }> {
  const address = email(label);
  const signup = await anonymous.POST("/auth/signup", { body: { email: address, password: PASSWORD } });
  assert.equal(signup.response.status, 201, JSON.stringify(signup.error));
  const login = await anonymous.POST("/auth/login", { body: { email: address, password: PASSWORD } });
  assert.ok(login.data, JSON.stringify(login.error));
  const token = login.data.access_token;
  const refreshToken = login.data.refresh_token;
  return { user: signup.data!, api: createTodoClient({ baseUrl: server.baseUrl, token }), token, refreshToken };
}

describe("email verification and password recovery (the links themselves are followed in .ci/mail_e2e.py)", () => {
  test("forgot: 202 MailAccepted, the same body for a known and an unknown email", async () => {
    const { user } = await newUser("forgot");
    const known = await anonymous.POST("/auth/password/forgot", { body: { email: user.email } });
    const unknown = await anonymous.POST("/auth/password/forgot", { body: { email: email("nobody") } });
    assert.equal(known.response.status, 202);
    assert.equal(unknown.response.status, 202);
    assert.deepEqual(known.data, unknown.data);
    assert.equal(known.data?.status, "accepted");
  });

  test("verify and reset with a token that no link carried: 422 on token", async () => {
    const token = "A".repeat(43);
    const verify = await anonymous.POST("/auth/email/verify", { body: { token } });
    const reset = await anonymous.POST("/auth/password/reset", { body: { token, new_password: "a new passphrase" } });
    for (const { error, response } of [verify, reset]) {
      const problem = assertProblem(error, response, 422, "Unprocessable Content");
      assert.deepEqual(problem.errors?.map((e) => e.field), ["token"]);
    }
  });

  test("resend right after signup: 429 with Retry-After (the signup mail went out moments ago)", async () => {
    const { api } = await newUser("resend");
    const { error, response } = await api.POST("/auth/email/verify/resend");
    assertProblem(error, response, 429, "Too Many Requests");
    const wait = Number(response.headers.get("retry-after"));
    assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
  });
});

describe("the server", () => {
  test("serves the committed openapi.json (the client was generated from what runs)", async () => {
    const committed: unknown = JSON.parse(readFileSync(new URL("../openapi.json", import.meta.url), "utf8"));
    const response = await fetch(`${server.baseUrl}/openapi.json`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), committed);
  });

  test("GET /health", async () => {
    const { data, response } = await anonymous.GET("/health");
    assert.equal(response.status, 200);
    assert.deepEqual(data, { status: "ok" });
  });
});

describe("accounts", () => {
  const address = email("Ann");
  let user: User;
  let token: string;

  test("signup: 201 with the User and Location: /auth/me", async () => {
    const { data, error, response } = await anonymous.POST("/auth/signup", {
      body: { email: `  ${address.toUpperCase()} `, password: PASSWORD },
    });
    assert.equal(error, undefined);
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("location"), "/auth/me");
    assert.ok(data);
    assert.equal(data.email, address.toLowerCase(), "email is trimmed and lower-cased");
    assert.match(data.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "a UUIDv7");
    assert.ok(!Number.isNaN(Date.parse(data.created_at)), "created_at is a date-time");
    assert.deepEqual(Object.keys(data).sort(), ["created_at", "email", "email_verified_at", "has_password", "id"], "no hash or other field");
    assert.equal(data.has_password, true, "an account made with a password has one");
    assert.equal(data.email_verified_at, null, "not verified until the mail's link is followed");
    user = data;
  });

  test("duplicate signup: 409 problem", async () => {
    const { data, error, response } = await anonymous.POST("/auth/signup", {
      body: { email: address, password: "another password" },
    });
    assert.equal(data, undefined);
    const problem = assertProblem(error, response, 409, "Conflict");
    assert.equal(problem.errors ?? undefined, undefined, "no field errors on a conflict");
  });

  test("signup with a short password: 422 problem with field errors", async () => {
    const { error, response } = await anonymous.POST("/auth/signup", {
      body: { email: email("short"), password: "short" },
    });
    const problem = assertProblem(error, response, 422, "Unprocessable Content");
    assert.ok(problem.errors?.some((e) => e.field === "password"), JSON.stringify(problem.errors));
  });

  test("login: 200 with the tokens of a new session", async () => {
    const { data, error, response } = await anonymous.POST("/auth/login", {
      body: { email: address.toUpperCase(), password: PASSWORD },
    });
    assert.equal(error, undefined);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.ok(data);
    assert.equal(data.token_type, "bearer");
    assert.equal(data.expires_in, 3600, "JWT_TTL_SECONDS, one hour by default");
    assert.deepEqual(Object.keys(data).sort(), ["access_token", "expires_in", "refresh_token", "token_type"]);
    assert.equal(data.access_token.split(".").length, 3, "a JWT");
    assert.match(data.refresh_token, /^[A-Za-z0-9_-]{43,}$/, "an opaque refresh token (at least 32 bytes, base64url)");
    token = data.access_token;
  });

  test("login with the OAuth2 password form (as Swagger UI sends it)", async () => {
    const { data, error, response } = await anonymous.POST("/auth/login", {
      body: { grant_type: "password", username: address, password: PASSWORD },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(response.status, 200);
    assert.equal(data?.token_type, "bearer");
    assert.equal(typeof data?.refresh_token, "string");
  });

  test("login with a wrong password and with an unknown email: the same 401", async () => {
    const wrong = await anonymous.POST("/auth/login", { body: { email: address, password: "wrong password" } });
    const unknown = await anonymous.POST("/auth/login", { body: { email: email("nobody"), password: PASSWORD } });
    const a = assertProblem(wrong.error, wrong.response, 401, "Unauthorized");
    const b = assertProblem(unknown.error, unknown.response, 401, "Unauthorized");
    assert.deepEqual(a, b);
  });

  test("me: 200 with the same User", async () => {
    const api = createTodoClient({ baseUrl: server.baseUrl, token });
    const { data, response } = await api.GET("/auth/me");
    assert.equal(response.status, 200);
    assert.deepEqual(data, user);
  });

  test("a token from a function is asked for on every request", async () => {
    let calls = 0;
    const api = createTodoClient({
      baseUrl: `${server.baseUrl}/`,
      token: async () => {
        calls += 1;
        return token;
      },
    });
    assert.equal((await api.GET("/auth/me")).data?.id, user.id);
    assert.equal((await api.GET("/auth/me")).data?.id, user.id);
    assert.equal(calls, 2);
  });

  test("no token: 401 with WWW-Authenticate: Bearer", async () => {
    const { error, response } = await anonymous.GET("/auth/me");
    assertProblem(error, response, 401, "Unauthorized");
    const challenge = response.headers.get("www-authenticate") ?? "";
    assert.match(challenge, /^Bearer\b/);
    assert.doesNotMatch(challenge, /invalid_token/);
  });

  test("an invalid token: 401 with error=\"invalid_token\"", async () => {
    for (const bad of ["not-a-jwt", `${token.slice(0, -4)}AAAA`]) {
      const api = createTodoClient({ baseUrl: server.baseUrl, token: bad });
      for (const call of [() => api.GET("/auth/me"), () => api.GET("/tasks")]) {
        const { data, error, response } = await call();
        assert.equal(data, undefined);
        assertProblem(error, response, 401, "Unauthorized");
        const challenge = response.headers.get("www-authenticate") ?? "";
        assert.match(challenge, /^Bearer\b/);
        assert.ok(challenge.includes('error="invalid_token"'), `WWW-Authenticate: ${challenge}`);
      }
    }
  });
});

describe("tasks", () => {
  let api: TodoClient;
  let first: Task;

  before(async () => {
    ({ api } = await newUser("tasks"));
  });

  test("create: 201 with the Task and Location: /tasks/{id}", async () => {
    const { data, error, response } = await api.POST("/tasks", {
      body: { title: "  Buy milk  ", user_id: "00000000-0000-7000-8000-000000000000" } as { title: string },
    });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(response.status, 201);
    assert.ok(data);
    assert.equal(response.headers.get("location"), `/tasks/${data.id}`);
    assert.equal(data.title, "Buy milk", "the title is trimmed");
    assert.equal(data.description, null);
    assert.equal(data.completed, false);
    assert.equal(data.created_at, data.updated_at);
    first = data;
  });

  test("create with an empty title: 422 with a title error", async () => {
    const { error, response } = await api.POST("/tasks", { body: { title: "   " } });
    const problem = assertProblem(error, response, 422, "Unprocessable Content");
    assert.ok(problem.errors?.some((e) => e.field === "title"), JSON.stringify(problem.errors));
  });

  test("list: pages with limit and cursor, each task once, newest first", async () => {
    const created: Task[] = [first];
    for (let i = 1; i <= 7; i += 1) {
      const { data } = await api.POST("/tasks", {
        body: { title: `Task ${i}`, description: `number ${i}`, completed: i % 2 === 0 },
      });
      assert.ok(data);
      created.push(data);
    }
    const expected = created.map((task) => task.id).reverse();

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const { data, error, response } = await api.GET("/tasks", {
        params: { query: cursor === undefined ? { limit: 3 } : { limit: 3, cursor } },
      });
      assert.equal(error, undefined, JSON.stringify(error));
      assert.equal(response.status, 200);
      assert.ok(data);
      seen.push(...data.items.map((task) => task.id));
      sizes.push(data.items.length);
      if (data.next_cursor === null) break;
      cursor = data.next_cursor;
    }
    assert.deepEqual(sizes, [3, 3, 2]);
    assert.deepEqual(seen, expected, "every id once, newest first");

    const all = await api.GET("/tasks");
    assert.deepEqual(
      all.data?.items.map((task) => task.id),
      expected,
    );
    assert.equal(all.data?.next_cursor, null, "the last page has next_cursor null");

    const done = await api.GET("/tasks", { params: { query: { completed: true } } });
    assert.deepEqual(
      done.data?.items.map((task) => task.id),
      created.filter((task) => task.completed).map((task) => task.id).reverse(),
    );
  });

  test("list with limit=0 or a bad cursor: 422", async () => {
    for (const query of [{ limit: 0 }, { limit: 101 }, { cursor: "not-a-cursor" }]) {
      const { error, response } = await api.GET("/tasks", { params: { query } });
      assertProblem(error, response, 422, "Unprocessable Content");
    }
  });

  test("get: 200 with the Task", async () => {
    const { data, response } = await api.GET("/tasks/{id}", { params: { path: { id: first.id } } });
    assert.equal(response.status, 200);
    assert.deepEqual(data, first);
  });

  test("replace (PUT): every field", async () => {
    const { data, error, response } = await api.PUT("/tasks/{id}", {
      params: { path: { id: first.id } },
      body: { title: "Buy oat milk", description: "Two litres", completed: true },
    });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(response.status, 200);
    assert.ok(data);
    assert.equal(data.id, first.id);
    assert.equal(data.title, "Buy oat milk");
    assert.equal(data.description, "Two litres");
    assert.equal(data.completed, true);
    assert.equal(data.created_at, first.created_at);
    assert.ok(Date.parse(data.updated_at) >= Date.parse(first.updated_at));
    first = data;
  });

  test("patch: only the fields sent change; null clears the description", async () => {
    const titled = await api.PATCH("/tasks/{id}", {
      params: { path: { id: first.id } },
      body: { title: "Buy soy milk" },
    });
    assert.equal(titled.response.status, 200);
    assert.deepEqual({ ...titled.data, updated_at: first.updated_at }, { ...first, title: "Buy soy milk", version: first.version + 1 });

    const cleared = await api.PATCH("/tasks/{id}", {
      params: { path: { id: first.id } },
      body: { description: null },
    });
    assert.equal(cleared.response.status, 200);
    assert.ok(cleared.data);
    assert.equal(cleared.data.description, null);
    assert.equal(cleared.data.title, "Buy soy milk");
    assert.equal(cleared.data.completed, true);
    first = cleared.data;
  });

  test("toggle (PATCH /tasks/{id}/complete) flips completed each time", async () => {
    const once = await api.PATCH("/tasks/{id}/complete", { params: { path: { id: first.id } } });
    assert.equal(once.response.status, 200);
    assert.equal(once.data?.completed, false);
    const twice = await api.PATCH("/tasks/{id}/complete", { params: { path: { id: first.id } } });
    assert.equal(twice.data?.completed, true);
    assert.ok(twice.data);
    first = twice.data;
  });

  test("another user's task is 404 for them, and unchanged for the owner", async () => {
    const { api: other } = await newUser("mallory");
    const path = { path: { id: first.id } };
    const calls = [
      () => other.GET("/tasks/{id}", { params: path }),
      () => other.PUT("/tasks/{id}", { params: path, body: { title: "mine now", completed: false } }),
      () => other.PATCH("/tasks/{id}", { params: path, body: { title: "mine now" } }),
      () => other.PATCH("/tasks/{id}/complete", { params: path }),
      () => other.DELETE("/tasks/{id}", { params: path }),
    ];
    for (const call of calls) {
      const { data, error, response } = await call();
      assert.equal(data, undefined);
      assertProblem(error, response, 404, "Not Found");
    }
    const theirs = await other.GET("/tasks");
    assert.deepEqual(theirs.data, { items: [], next_cursor: null });

    const mine = await api.GET("/tasks/{id}", { params: path });
    assert.deepEqual(mine.data, first, "the owner's task is unchanged");
  });

  test("a task id that is not a UUID: 404 or 422, never 500", async () => {
    const { error, response } = await api.GET("/tasks/{id}", { params: { path: { id: "not-a-uuid" } } });
    assert.ok([404, 422].includes(response.status), `got ${response.status}`);
    assert.equal(error?.status, response.status);
  });

  test("delete: 204, then 404", async () => {
    const deleted = await api.DELETE("/tasks/{id}", { params: { path: { id: first.id } } });
    assert.equal(deleted.response.status, 204);
    assert.equal(deleted.data, undefined);
    assert.equal(deleted.error, undefined);

    const again = await api.GET("/tasks/{id}", { params: { path: { id: first.id } } });
    assertProblem(again.error, again.response, 404, "Not Found");
    const twice = await api.DELETE("/tasks/{id}", { params: { path: { id: first.id } } });
    assertProblem(twice.error, twice.response, 404, "Not Found");
  });
});

describe("account lifecycle", () => {
  /** `POST /auth/refresh` with `refreshToken`; returns the status. */
  async function refreshStatus(refreshToken: string): Promise<number> {
    const { response } = await anonymous.POST("/auth/refresh", { body: { refresh_token: refreshToken } });
    return response.status;
  }

  /** Asserts that `api`'s token is now refused with `error="invalid_token"`. */
  async function assertRevoked(api: TodoClient): Promise<void> {
    const { data, error, response } = await api.GET("/auth/me");
    assert.equal(data, undefined);
    assertProblem(error, response, 401, "Unauthorized");
    assert.ok(response.headers.get("www-authenticate")?.includes('error="invalid_token"'));
  }

  test("logout (default scope: global): 204, every session ends; a new login works", async () => {
    const { user, api, refreshToken } = await newUser("logout");
    const other = await anonymous.POST("/auth/login", { body: { email: user.email, password: PASSWORD } });
    assert.ok(other.data);
    const { data, error, response } = await api.POST("/auth/logout");
    assert.equal(response.status, 204, JSON.stringify(error));
    assert.equal(data, undefined);
    await assertRevoked(api);
    await assertRevoked(createTodoClient({ baseUrl: server.baseUrl, token: other.data.access_token }));
    assert.equal(await refreshStatus(refreshToken), 401, "the refresh token is refused too");
    assert.equal(await refreshStatus(other.data.refresh_token), 401);

    const login = await anonymous.POST("/auth/login", { body: { email: user.email, password: PASSWORD } });
    assert.ok(login.data);
    const fresh = createTodoClient({ baseUrl: server.baseUrl, token: login.data.access_token });
    assert.equal((await fresh.GET("/auth/me")).data?.id, user.id);
  });

  test("change password: 403 with a wrong current password, then 200 with the tokens of a new session", async () => {
    const { user, api, refreshToken } = await newUser("password");
    const wrong = await api.PUT("/auth/password", {
      body: { current_password: "not my password", new_password: "a longer passphrase" },
    });
    assertProblem(wrong.error, wrong.response, 403, "Forbidden");
    assert.equal((await api.GET("/auth/me")).response.status, 200, "a wrong proof revokes nothing");

    const short = await api.PUT("/auth/password", { body: { current_password: PASSWORD, new_password: "short" } });
    const problem = assertProblem(short.error, short.response, 422, "Unprocessable Content");
    assert.ok(problem.errors?.some((e) => e.field === "new_password"), JSON.stringify(problem.errors));

    const { data, error, response } = await api.PUT("/auth/password", {
      body: { current_password: PASSWORD, new_password: "a longer passphrase" },
    });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.ok(data);
    assert.equal(data.token_type, "bearer");
    assert.notEqual(data.refresh_token, refreshToken);
    await assertRevoked(api);
    assert.equal(await refreshStatus(refreshToken), 401, "the old session's refresh token is refused");
    const fresh = createTodoClient({ baseUrl: server.baseUrl, token: data.access_token });
    assert.equal((await fresh.GET("/auth/me")).data?.id, user.id);
    assert.equal(await refreshStatus(data.refresh_token), 200, "the new session's refresh token works");

    const old = await anonymous.POST("/auth/login", { body: { email: user.email, password: PASSWORD } });
    assertProblem(old.error, old.response, 401, "Unauthorized");
    const again = await anonymous.POST("/auth/login", { body: { email: user.email, password: "a longer passphrase" } });
    assert.equal(again.response.status, 200);
  });

  test("delete account: 403 with a wrong password, then 204; the token and the login stop working", async () => {
    const { user, api } = await newUser("delete");
    const task = await api.POST("/tasks", { body: { title: "goes with the account" } });
    assert.equal(task.response.status, 201);

    const wrong = await api.DELETE("/auth/me", { body: { password: "not my password" } });
    assertProblem(wrong.error, wrong.response, 403, "Forbidden");

    const { data, error, response } = await api.DELETE("/auth/me", { body: { password: PASSWORD } });
    assert.equal(response.status, 204, JSON.stringify(error));
    assert.equal(data, undefined);
    await assertRevoked(api);
    const login = await anonymous.POST("/auth/login", { body: { email: user.email, password: PASSWORD } });
    assertProblem(login.error, login.response, 401, "Unauthorized");
  });
});

describe("abuse limits (a server of its own with low limits)", () => {
  let limited: RunningServer;
  let api: TodoClient;
  const victim = email("victim");

  before(async () => {
    limited = await startServer({
      env: { RATE_LIMIT_SIGNUPS_PER_CLIENT: "2", RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL: "2" },
    });
    api = createTodoClient({ baseUrl: limited.baseUrl });
    const signup = await api.POST("/auth/signup", { body: { email: victim, password: PASSWORD } });
    assert.equal(signup.response.status, 201, "the first of the 2 allowed signups");
  });

  after(async () => {
    await limited?.stop();
  });

  test("too many signups from one client: 429 problem with Retry-After", async () => {
    const answers = [];
    for (const label of ["second", "third"]) {
      answers.push(await api.POST("/auth/signup", { body: { email: email(label), password: PASSWORD } }));
    }
    assert.deepEqual(
      answers.map((answer) => answer.response.status),
      [201, 429],
    );
    const [, refused] = answers;
    assert.ok(refused);
    assertProblem(refused.error, refused.response, 429, "Too Many Requests");
    assert.match(refused.response.headers.get("retry-after") ?? "", /^[1-9][0-9]*$/);
  });

  test("too many failed logins for one email: 429, then even the right password is refused", async () => {
    const statuses: number[] = [];
    for (const password of ["wrong password 1", "wrong password 2", "wrong password 3", PASSWORD]) {
      const { response } = await api.POST("/auth/login", { body: { email: victim, password } });
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [401, 401, 429, 429]);
  });
});
