/**
 * Sessions against the real server: refresh tokens (rotation, reuse detection, the OAuth2
 * refresh-token grant), `GET/DELETE /auth/sessions`, the logout scopes, all through the typed
 * client, and the `createSessionClient` helper (refresh once on a 401 and retry, one refresh for
 * many concurrent 401s, the end of a session, a session that outlives its access token's expiry).
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";

import {
  createSessionClient,
  createTodoClient,
  MemoryTokenStore,
  type LogoutScope,
  type Problem,
  type SessionTokens,
  type TodoClient,
  type TokenResponse,
  type User,
} from "../src/index.js";
import { sleep, startServer, type RunningServer } from "./server.js";

const PASSWORD = "correct horse battery";
/**
 * The server accepts an access token up to this long after its `exp`, for clock skew between instances
 * (CLOCK_SKEW_LEEWAY_SECONDS in todo-core/src/auth/token.rs; a constant, not a setting).
 */
const CLOCK_SKEW_LEEWAY_SECONDS = 30;

let server: RunningServer;
let anonymous: TodoClient;

before(async () => {
  // Every test signs a user up: no per-client signup or failed-login limit on this server.
  server = await startServer({
    env: {
      RATE_LIMIT_SIGNUPS_PER_CLIENT: "0",
      RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT: "0",
      RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL_AND_CLIENT: "0",
    },
  });
  anonymous = createTodoClient({ baseUrl: server.baseUrl });
});

after(async () => {
  await server?.stop();
});

/** A unique email, so the tests never collide. */
function email(label: string): string {
  return `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Asserts a 401 RFC 9457 problem as the typed `error` of a call. */
function assertUnauthorized(error: Problem | undefined, response: Response): void {
  assert.equal(response.status, 401, `expected 401, got ${response.status}`);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  assert.equal(error?.status, 401);
  assert.equal(error?.title, "Unauthorized");
}

/** The claims of a JWT (not verified). */
function claims(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1];
  assert.ok(payload, "a JWT has a payload");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** The same header and claims as `jwt`, signed with another secret: well-formed, and refused with 401. */
function forged(jwt: string): string {
  const [header, payload] = jwt.split(".");
  const signed = `${header}.${payload}`;
  const signature = createHmac("sha256", "not-the-server-secret-but-also-32-bytes-long").update(signed).digest();
  return `${signed}.${signature.toString("base64url")}`;
}

/** Logs `address` in on `base`, starting a session; `userAgent` is recorded with it. */
async function login(base: string, address: string, userAgent?: string): Promise<TokenResponse> {
  const api = createTodoClient({ baseUrl: base });
  const { data, error } = await api.POST("/auth/login", {
    body: { email: address, password: PASSWORD },
    ...(userAgent ? { headers: { "User-Agent": userAgent } } : {}),
  });
  assert.ok(data, JSON.stringify(error));
  return data;
}

/** Signs a new user up on `base` and logs them in. */
async function newUser(label: string, base = server.baseUrl): Promise<{ user: User; address: string; tokens: TokenResponse }> {
  const address = email(label);
  const api = createTodoClient({ baseUrl: base });
  const signup = await api.POST("/auth/signup", { body: { email: address, password: PASSWORD } });
  assert.ok(signup.data, JSON.stringify(signup.error));
  return { user: signup.data, address, tokens: await login(base, address) };
}

/** A client carrying a fixed access token. */
function bearer(token: string, base = server.baseUrl): TodoClient {
  return createTodoClient({ baseUrl: base, token });
}

/** `POST /auth/refresh` through the typed client. */
function refresh(refreshToken: string, base = server.baseUrl) {
  return createTodoClient({ baseUrl: base }).POST("/auth/refresh", { body: { refresh_token: refreshToken } });
}

/** A `fetch` that records `METHOD /path` of every request it sends. */
function recordingFetch(): { fetch: (request: Request) => Promise<Response>; calls: string[]; refreshes(): number } {
  const calls: string[] = [];
  return {
    calls,
    fetch: (request: Request) => {
      calls.push(`${request.method} ${new URL(request.url).pathname}`);
      return globalThis.fetch(request);
    },
    refreshes: () => calls.filter((call) => call === "POST /auth/refresh").length,
  };
}

describe("refresh tokens", () => {
  test("login returns a refresh token besides the access token", async () => {
    const { tokens } = await newUser("login");
    assert.deepEqual(Object.keys(tokens).sort(), ["access_token", "expires_in", "refresh_token", "token_type"]);
    assert.equal(tokens.token_type, "bearer");
    assert.match(tokens.refresh_token, /^[A-Za-z0-9_-]{43,}$/, "at least 32 random bytes, base64url");
    assert.equal(typeof claims(tokens.access_token)["sid"], "string", "the access token names its session");
  });

  test("POST /auth/refresh: new tokens in the same session; the old refresh token is spent", async () => {
    const { user, tokens } = await newUser("rotate");
    const { data, error, response } = await refresh(tokens.refresh_token);
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.ok(data);
    assert.deepEqual(Object.keys(data).sort(), ["access_token", "expires_in", "refresh_token", "token_type"]);
    assert.notEqual(data.refresh_token, tokens.refresh_token, "the refresh token rotates");
    assert.equal(claims(data.access_token)["sid"], claims(tokens.access_token)["sid"], "the same session");
    assert.equal((await bearer(data.access_token).GET("/auth/me")).data?.id, user.id);

    // Within REFRESH_REUSE_INTERVAL_SECONDS (10 s here) the spent token still works (two tabs at once).
    const twice = await refresh(tokens.refresh_token);
    assert.equal(twice.response.status, 200, JSON.stringify(twice.error));
    assert.equal(claims(twice.data!.access_token)["sid"], claims(tokens.access_token)["sid"]);

    const next = await refresh(data.refresh_token);
    assert.equal(next.response.status, 200, "the successor works");
  });

  test("the OAuth2 refresh_token grant at POST /auth/login", async () => {
    const { user, tokens } = await newUser("grant");
    const { data, error, response } = await anonymous.POST("/auth/login", {
      body: { grant_type: "refresh_token", refresh_token: tokens.refresh_token },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(response.status, 200);
    assert.ok(data);
    assert.notEqual(data.refresh_token, tokens.refresh_token);
    assert.equal(claims(data.access_token)["sid"], claims(tokens.access_token)["sid"]);
    assert.equal((await bearer(data.access_token).GET("/auth/me")).data?.id, user.id);

    const unknown = await anonymous.POST("/auth/login", {
      body: { grant_type: "refresh_token", refresh_token: "A".repeat(43) },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    assertUnauthorized(unknown.error, unknown.response);
  });

  test("an unknown refresh token, and one of a logged-out session: 401 problem", async () => {
    const unknown = await refresh("A".repeat(43));
    assertUnauthorized(unknown.error, unknown.response);
    assert.ok(unknown.error?.detail);

    const { tokens } = await newUser("revoked");
    assert.equal((await bearer(tokens.access_token).POST("/auth/logout")).response.status, 204);
    const revoked = await refresh(tokens.refresh_token);
    assertUnauthorized(revoked.error, revoked.response);
  });

  describe("reuse detection (a server with REFRESH_REUSE_INTERVAL_SECONDS=0)", () => {
    let strict: RunningServer;

    before(async () => {
      strict = await startServer({ env: { REFRESH_REUSE_INTERVAL_SECONDS: "0", RATE_LIMIT_SIGNUPS_PER_CLIENT: "0" } });
    });

    after(async () => {
      await strict?.stop();
    });

    test("a spent refresh token is refused and its whole session is revoked", async () => {
      const { tokens } = await newUser("reuse", strict.baseUrl);
      const first = await refresh(tokens.refresh_token, strict.baseUrl);
      assert.ok(first.data, JSON.stringify(first.error));
      assert.equal((await bearer(first.data.access_token, strict.baseUrl).GET("/auth/me")).response.status, 200);

      const reused = await refresh(tokens.refresh_token, strict.baseUrl);
      assertUnauthorized(reused.error, reused.response);

      // Taken as stolen: the successor and the session's access token are refused too.
      const successor = await refresh(first.data.refresh_token, strict.baseUrl);
      assertUnauthorized(successor.error, successor.response);
      const me = await bearer(first.data.access_token, strict.baseUrl).GET("/auth/me");
      assertUnauthorized(me.error, me.response);
    });
  });
});

describe("sessions and logout", () => {
  test("GET /auth/sessions: the caller's sessions, newest first, the current one marked", async () => {
    const { address } = await newUser("list"); // a first session without a chosen User-Agent
    const laptop = await login(server.baseUrl, address, "Laptop/1.0");
    const phone = await login(server.baseUrl, address, "Phone/2.0");

    const { data, error, response } = await bearer(phone.access_token).GET("/auth/sessions");
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.ok(data);
    assert.equal(data.length, 3);
    for (const session of data) {
      assert.deepEqual(Object.keys(session).sort(), [
        "aal",
        "amr",
        "created_at",
        "current",
        "expires_at",
        "id",
        "last_used_at",
        "user_agent",
      ]);
      // A password login of an account without a second factor: one factor, the password (RFC 8176 `pwd`).
      assert.equal(session.aal, 1);
      assert.deepEqual(session.amr, ["pwd"]);
      for (const time of [session.created_at, session.last_used_at, session.expires_at]) {
        assert.ok(!Number.isNaN(Date.parse(time)), `${time} is a date-time`);
      }
      assert.ok(Date.parse(session.expires_at) > Date.now());
    }
    assert.deepEqual(
      data.map((session) => session.id),
      [claims(phone.access_token)["sid"], claims(laptop.access_token)["sid"], data[2]!.id],
      "newest first",
    );
    assert.deepEqual(
      data.map((session) => session.current),
      [true, false, false],
    );
    assert.deepEqual(
      data.slice(0, 2).map((session) => session.user_agent),
      ["Phone/2.0", "Laptop/1.0"],
    );

    const fromLaptop = await bearer(laptop.access_token).GET("/auth/sessions");
    assert.deepEqual(
      fromLaptop.data?.map((session) => session.current),
      [false, true, false],
    );
  });

  test("DELETE /auth/sessions/{id}: 204, that session's tokens stop working; 404 for another's", async () => {
    const { address, tokens: phone } = await newUser("revoke");
    const laptop = await login(server.baseUrl, address);
    const laptopId = claims(laptop.access_token)["sid"] as string;
    const api = bearer(phone.access_token);

    const { data, error, response } = await api.DELETE("/auth/sessions/{id}", { params: { path: { id: laptopId } } });
    assert.equal(response.status, 204, JSON.stringify(error));
    assert.equal(data, undefined);

    const me = await bearer(laptop.access_token).GET("/auth/me");
    assertUnauthorized(me.error, me.response);
    const renewed = await refresh(laptop.refresh_token);
    assertUnauthorized(renewed.error, renewed.response);
    assert.equal((await api.GET("/auth/me")).response.status, 200, "the caller's own session lives on");
    assert.deepEqual(
      (await api.GET("/auth/sessions")).data?.map((session) => session.id),
      [claims(phone.access_token)["sid"]],
    );

    const again = await api.DELETE("/auth/sessions/{id}", { params: { path: { id: laptopId } } });
    assert.equal(again.response.status, 404);
    assert.equal(again.error?.status, 404);

    const { tokens: other } = await newUser("other");
    const theirs = await api.DELETE("/auth/sessions/{id}", {
      params: { path: { id: claims(other.access_token)["sid"] as string } },
    });
    assert.equal(theirs.response.status, 404, "another user's session is not found");
    assert.equal((await bearer(other.access_token).GET("/auth/me")).response.status, 200, "and lives on");

    const notUuid = await api.DELETE("/auth/sessions/{id}", { params: { path: { id: "not-a-uuid" } } });
    assert.equal(notUuid.response.status, 404);
  });

  /** Three sessions of one new user; logs out from the second with `scope`, returns who still works. */
  async function logoutFromSecond(scope: LogoutScope | undefined): Promise<boolean[]> {
    const { address, tokens: first } = await newUser(`logout-${scope ?? "default"}`);
    const second = await login(server.baseUrl, address);
    const third = await login(server.baseUrl, address);
    const { error, response } = await bearer(second.access_token).POST(
      "/auth/logout",
      scope === undefined ? {} : { params: { query: { scope } } },
    );
    assert.equal(response.status, 204, JSON.stringify(error));
    const alive: boolean[] = [];
    for (const tokens of [first, second, third]) {
      const me = await bearer(tokens.access_token).GET("/auth/me");
      const renewed = await refresh(tokens.refresh_token);
      assert.equal(me.response.status === 200, renewed.response.status === 200, "access and refresh agree");
      alive.push(me.response.status === 200);
    }
    return alive;
  }

  test("POST /auth/logout (default scope global): every session ends", async () => {
    assert.deepEqual(await logoutFromSecond(undefined), [false, false, false]);
  });

  test("POST /auth/logout?scope=global: every session ends", async () => {
    assert.deepEqual(await logoutFromSecond("global"), [false, false, false]);
  });

  test("POST /auth/logout?scope=local: only the caller's session ends", async () => {
    assert.deepEqual(await logoutFromSecond("local"), [true, false, true]);
  });

  test("POST /auth/logout?scope=others: every session but the caller's ends", async () => {
    assert.deepEqual(await logoutFromSecond("others"), [false, true, false]);
  });

  test("POST /auth/logout with an unknown scope: 422, nothing ends", async () => {
    const { tokens } = await newUser("logout-bad");
    const api = bearer(tokens.access_token);
    const { error, response } = await api.POST("/auth/logout", {
      params: { query: { scope: "everywhere" as LogoutScope } },
    });
    assert.equal(response.status, 422);
    assert.equal(error?.status, 422);
    assert.equal((await api.GET("/auth/me")).response.status, 200);
  });
});

describe("createSessionClient", () => {
  /** A session client over a store seeded with `tokens`, recording its requests and session ends. */
  function sessionClient(tokens: SessionTokens | undefined) {
    const store = new MemoryTokenStore(tokens);
    const recorder = recordingFetch();
    let ended = 0;
    const api = createSessionClient({
      baseUrl: server.baseUrl,
      tokens: store,
      fetch: recorder.fetch,
      onSessionEnded: () => {
        ended += 1;
      },
    });
    return { api, store, calls: recorder.calls, refreshes: recorder.refreshes, ended: () => ended };
  }

  test("log in, store the tokens, and use them", async () => {
    const address = email("helper");
    const { api, store, calls } = sessionClient(undefined);
    assert.equal((await api.POST("/auth/signup", { body: { email: address, password: PASSWORD } })).response.status, 201);
    const { data } = await api.POST("/auth/login", { body: { email: address, password: PASSWORD } });
    assert.ok(data);
    store.set(data);
    const me = await api.GET("/auth/me");
    assert.equal(me.data?.email, address);
    assert.deepEqual(calls, ["POST /auth/signup", "POST /auth/login", "GET /auth/me"]);
  });

  test("a 401 refreshes once and retries the request once, with its body", async () => {
    const { tokens } = await newUser("retry");
    const { api, store, calls, ended } = sessionClient({ ...tokens, access_token: forged(tokens.access_token) });

    const { data, error, response } = await api.POST("/tasks", {
      body: { title: "Survives the retry", description: "body and all", completed: true },
    });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(response.status, 201);
    assert.equal(data?.title, "Survives the retry");
    assert.equal(data?.description, "body and all");
    assert.equal(data?.completed, true);
    assert.deepEqual(calls, ["POST /tasks", "POST /auth/refresh", "POST /tasks"]);

    const stored = store.get();
    assert.ok(stored);
    assert.notEqual(stored.refresh_token, tokens.refresh_token, "the rotated refresh token is stored");
    assert.notEqual(stored.access_token, forged(tokens.access_token), "and the new access token");
    assert.equal(ended(), 0);

    const list = await api.GET("/tasks");
    assert.deepEqual(
      list.data?.items.map((task) => task.title),
      ["Survives the retry"],
      "created once",
    );
    assert.equal(calls.length, 4, "no refresh once the new token works");
  });

  test("concurrent 401s share one refresh, and every request succeeds", async () => {
    const { tokens } = await newUser("concurrent");
    const { api, refreshes, calls, ended } = sessionClient({ ...tokens, access_token: forged(tokens.access_token) });

    const titles = ["one", "two", "three", "four", "five"];
    const [created, lists, me] = await Promise.all([
      Promise.all(titles.map((title) => api.POST("/tasks", { body: { title } }))),
      Promise.all([1, 2, 3].map(() => api.GET("/tasks"))),
      api.GET("/auth/me"),
    ]);
    for (const answer of created) assert.equal(answer.response.status, 201, JSON.stringify(answer.error));
    for (const answer of lists) assert.equal(answer.response.status, 200, JSON.stringify(answer.error));
    assert.equal(me.response.status, 200);
    assert.equal(refreshes(), 1, calls.join("\n"));
    assert.equal(calls.length, 9 * 2 + 1, "each request sent twice, plus one refresh");
    assert.deepEqual(created.map((answer) => answer.data?.title).sort(), [...titles].sort());
    assert.equal(ended(), 0);
  });

  test("a 401 on a token older than the stored one retries with the stored one, without a refresh", async () => {
    const { tokens } = await newUser("older");
    const store = new MemoryTokenStore({ ...tokens, access_token: forged(tokens.access_token) });
    const calls: string[] = [];
    const api = createSessionClient({
      baseUrl: server.baseUrl,
      tokens: store,
      fetch: (request) => {
        calls.push(`${request.method} ${new URL(request.url).pathname}`);
        // Another tab refreshed while this request, with the old token, was on its way.
        if (calls.length === 1) store.set(tokens);
        return globalThis.fetch(request);
      },
    });
    const { data, error } = await api.POST("/tasks", { body: { title: "older token" } });
    assert.equal(data?.title, "older token", JSON.stringify(error));
    assert.deepEqual(calls, ["POST /tasks", "POST /tasks"]);
    assert.deepEqual(store.get(), { access_token: tokens.access_token, refresh_token: tokens.refresh_token });
  });

  test("a revoked session: the 401 is returned, onSessionEnded is called once, no further refresh", async () => {
    const { tokens } = await newUser("ended");
    const { api, store, refreshes, calls, ended } = sessionClient(tokens);
    assert.equal((await api.GET("/auth/me")).response.status, 200);

    // Logged out everywhere from another client.
    const logout = await bearer(tokens.access_token).POST("/auth/logout", { params: { query: { scope: "global" } } });
    assert.equal(logout.response.status, 204);

    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => api.GET("/tasks")));
    for (const { error, response } of answers) assertUnauthorized(error, response);
    assert.equal(refreshes(), 1, calls.join("\n"));
    assert.equal(ended(), 1);
    assert.equal(store.get(), undefined, "the store is cleared");

    const later = await api.POST("/tasks", { body: { title: "no session" } });
    assertUnauthorized(later.error, later.response);
    assert.equal(refreshes(), 1, "no refresh without tokens");
    assert.equal(ended(), 1);
  });

  test("a refresh that fails otherwise (503) keeps the tokens and returns the 401", async () => {
    const { tokens } = await newUser("unavailable");
    const seeded = { ...tokens, access_token: forged(tokens.access_token) };
    const store = new MemoryTokenStore(seeded);
    let ended = 0;
    const api = createSessionClient({
      baseUrl: server.baseUrl,
      tokens: store,
      onSessionEnded: () => {
        ended += 1;
      },
      fetch: (request) =>
        new URL(request.url).pathname === "/auth/refresh"
          ? Promise.resolve(new Response(null, { status: 503 }))
          : globalThis.fetch(request),
    });
    const { error, response } = await api.GET("/auth/me");
    assertUnauthorized(error, response);
    assert.equal(ended, 0);
    assert.deepEqual(store.get(), { access_token: seeded.access_token, refresh_token: seeded.refresh_token });
  });

  test("login, signup and refresh never trigger a refresh; an explicit Authorization header is left alone", async () => {
    const { address, tokens } = await newUser("exempt");
    const { api, calls, ended } = sessionClient({ ...tokens, access_token: forged(tokens.access_token) });

    const wrong = await api.POST("/auth/login", { body: { email: address, password: "wrong password" } });
    assertUnauthorized(wrong.error, wrong.response);
    const spent = await api.POST("/auth/refresh", { body: { refresh_token: "A".repeat(43) } });
    assertUnauthorized(spent.error, spent.response);
    const signup = await api.POST("/auth/signup", { body: { email: address, password: PASSWORD } });
    assert.equal(signup.response.status, 409);
    const explicit = await api.GET("/auth/me", { headers: { Authorization: "Bearer not-a-jwt" } });
    assertUnauthorized(explicit.error, explicit.response);

    assert.deepEqual(calls, ["POST /auth/login", "POST /auth/refresh", "POST /auth/signup", "GET /auth/me"]);
    assert.equal(ended(), 0);
  });

  test("the sessions API and logout through the helper", async () => {
    const { address, tokens } = await newUser("helper-sessions");
    const other = await login(server.baseUrl, address);
    const { api, store, refreshes } = sessionClient(tokens);

    const sessions = await api.GET("/auth/sessions");
    assert.equal(sessions.data?.length, 2);
    const otherId = sessions.data?.find((session) => !session.current)?.id;
    assert.equal(otherId, claims(other.access_token)["sid"]);
    const revoked = await api.DELETE("/auth/sessions/{id}", { params: { path: { id: otherId! } } });
    assert.equal(revoked.response.status, 204);

    const out = await api.POST("/auth/logout", { params: { query: { scope: "local" } } });
    assert.equal(out.response.status, 204);
    store.clear();
    assert.equal(refreshes(), 0);
    const renewed = await refresh(tokens.refresh_token);
    assertUnauthorized(renewed.error, renewed.response);
  });

  describe("across an access token's expiry (a server with JWT_TTL_SECONDS=1)", () => {
    let shortLived: RunningServer;

    before(async () => {
      shortLived = await startServer({ env: { JWT_TTL_SECONDS: "1" } });
    });

    after(async () => {
      await shortLived?.stop();
    });

    test("a call after the access token expired gets 401, refreshes, and succeeds: the user stays signed in", async () => {
      const { tokens } = await newUser("expiry", shortLived.baseUrl);
      assert.equal(tokens.expires_in, 1, "JWT_TTL_SECONDS reaches the token response");
      const store = new MemoryTokenStore(tokens);
      const calls: string[] = [];
      let ended = 0;
      const api = createSessionClient({
        baseUrl: shortLived.baseUrl,
        tokens: store,
        onSessionEnded: () => {
          ended += 1;
        },
        fetch: async (request) => {
          const response = await globalThis.fetch(request);
          calls.push(`${request.method} ${new URL(request.url).pathname} ${response.status}`);
          return response;
        },
      });
      const created = await api.POST("/tasks", { body: { title: "Before the expiry" } });
      assert.equal(created.response.status, 201, JSON.stringify(created.error));

      // Wait until the server refuses the access token. A 1 s TTL is the shortest there is, but the server
      // still accepts a token CLOCK_SKEW_LEEWAY_SECONDS past its `exp` (and compares whole seconds), so the
      // token dies at `exp` + 31 s: sleep until `exp` + the leeway, computed from the token itself, then
      // poll with the token alone (not through the client) until the server says 401. No guessed duration,
      // and the call below is sure to meet an expired token rather than a merely old one.
      const { exp } = claims(tokens.access_token) as { exp: number };
      await sleep(Math.max(0, (exp + CLOCK_SKEW_LEEWAY_SECONDS) * 1000 - Date.now()));
      const until = Date.now() + 5_000;
      while ((await bearer(tokens.access_token, shortLived.baseUrl).GET("/auth/me")).response.status !== 401) {
        assert.ok(Date.now() < until, "the access token was still accepted 5 s after exp + the leeway");
        await sleep(100);
      }

      const { data, error, response } = await api.GET("/tasks");
      assert.equal(response.status, 200, JSON.stringify(error));
      assert.deepEqual(
        data?.items.map((task) => task.title),
        ["Before the expiry"],
      );
      assert.deepEqual(calls, ["POST /tasks 201", "GET /tasks 401", "POST /auth/refresh 200", "GET /tasks 200"]);

      const stored = store.get();
      assert.ok(stored, "still signed in");
      assert.notEqual(stored.access_token, tokens.access_token, "a new access token is stored");
      assert.notEqual(stored.refresh_token, tokens.refresh_token, "and the rotated refresh token");
      assert.equal(claims(stored.access_token)["sid"], claims(tokens.access_token)["sid"], "in the same session");
      assert.equal(ended, 0, "the session did not end");
    });
  });
});
