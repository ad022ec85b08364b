/**
 * `createSessionClient` where it is meant to run: in a page of headless Chromium (Debian's
 * /usr/bin/chromium), served from the API's own origin, with the browser's own `fetch`,
 * `Request` and `Headers`. The client's modules are compiled with TypeScript's `transpileModule` and
 * served, with its dependencies' ES modules, by Playwright's request interception (no bundler; see
 * page-modules.ts).
 * The browser's network log counts the `POST /auth/refresh` requests.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";

import { chromium, type Page } from "playwright-core";

import type * as Client from "../src/index.js";
import { serverAndBrowser } from "./browser.js";
import { contentType, pageModules } from "./page-modules.js";

const PASSWORD = "correct horse battery";
const PREFIX = "/__session-test/";

/** What the test page puts on `window`. */
interface TestWindow {
  todoClient: typeof Client;
}

const running = serverAndBrowser(chromium);

/** A page on the API's origin with `window.todoClient` loaded; counts the refresh requests it sends. */
async function openPage(): Promise<{ page: Page; refreshes: () => number; errors: string[] }> {
  assert.ok(running.browser);
  const files = pageModules(PREFIX);
  const page = await running.browser.newPage();
  await page.route(`${running.server.baseUrl}${PREFIX}**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(PREFIX.length);
    const body = files[name];
    if (body === undefined) return route.fulfill({ status: 404 });
    return route.fulfill({ status: 200, contentType: contentType(name), body });
  });
  let refreshes = 0;
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/auth/refresh") refreshes += 1;
  });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // tsx compiles this file with esbuild's keepNames, whose `__name(...)` calls end up in the functions
  // handed to page.evaluate: give the page a no-op one.
  await page.addInitScript("globalThis.__name = (target) => target;");
  await page.goto(`${running.server.baseUrl}${PREFIX}index.html`);
  await page.waitForFunction(() => document.title === "ready", undefined, { timeout: 30_000 });
  return { page, refreshes: () => refreshes, errors };
}

/** Signs a user up and logs in, from node. */
async function newUser(label: string): Promise<{ access_token: string; refresh_token: string }> {
  const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const json = { "Content-Type": "application/json" };
  const body = JSON.stringify({ email, password: PASSWORD });
  const signup = await fetch(`${running.server.baseUrl}/auth/signup`, { method: "POST", headers: json, body });
  assert.equal(signup.status, 201, await signup.text());
  const login = await fetch(`${running.server.baseUrl}/auth/login`, { method: "POST", headers: json, body });
  assert.equal(login.status, 200);
  return (await login.json()) as { access_token: string; refresh_token: string };
}

/** The same JWT signed with another secret: refused with 401. */
function forged(jwt: string): string {
  const signed = jwt.split(".").slice(0, 2).join(".");
  return `${signed}.${createHmac("sha256", "another-secret-of-at-least-32-bytes!!").update(signed).digest("base64url")}`;
}

test("in Chromium: concurrent 401s share one refresh and every request (with its body) is retried", async () => {
  const tokens = await newUser("browser");
  const { page, refreshes, errors } = await openPage();
  try {
    const result = await page.evaluate(
      async ({ baseUrl, seeded }) => {
        const { createSessionClient, MemoryTokenStore } = (window as unknown as TestWindow).todoClient;
        const store = new MemoryTokenStore(seeded);
        let ended = 0;
        // No custom fetch: the browser's own, as a front end would use it.
        const api = createSessionClient({ baseUrl, tokens: store, onSessionEnded: () => (ended += 1) });
        const titles = ["one", "two", "three", "four", "five"];
        const answers = await Promise.all(titles.map((title) => api.POST("/tasks", { body: { title } })));
        const list = await api.GET("/tasks");
        return {
          statuses: answers.map((answer) => answer.response.status),
          titles: answers.map((answer) => answer.data?.title),
          listed: list.data?.items.length,
          rotated: store.get()?.refresh_token !== seeded.refresh_token,
          ended,
        };
      },
      { baseUrl: running.server.baseUrl, seeded: { ...tokens, access_token: forged(tokens.access_token) } },
    );
    assert.deepEqual(result, {
      statuses: [201, 201, 201, 201, 201],
      titles: ["one", "two", "three", "four", "five"],
      listed: 5,
      rotated: true,
      ended: 0,
    });
    assert.equal(refreshes(), 1);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test("in Chromium: a revoked session ends once, with the 401 returned", async () => {
  const tokens = await newUser("browser-ended");
  const { page, refreshes, errors } = await openPage();
  try {
    const result = await page.evaluate(
      async ({ baseUrl, seeded }) => {
        const { createSessionClient, createTodoClient, MemoryTokenStore } = (window as unknown as TestWindow).todoClient;
        const store = new MemoryTokenStore(seeded);
        let ended = 0;
        const api = createSessionClient({ baseUrl, tokens: store, onSessionEnded: () => (ended += 1) });
        const before = (await api.GET("/auth/me")).response.status;
        const other = createTodoClient({ baseUrl, token: seeded.access_token });
        const logout = (await other.POST("/auth/logout", { params: { query: { scope: "global" } } })).response.status;
        const answers = await Promise.all([1, 2, 3].map(() => api.GET("/tasks")));
        return { before, logout, statuses: answers.map((a) => a.response.status), ended, cleared: store.get() === undefined };
      },
      { baseUrl: running.server.baseUrl, seeded: tokens },
    );
    assert.deepEqual(result, { before: 200, logout: 204, statuses: [401, 401, 401], ended: 1, cleared: true });
    assert.equal(refreshes(), 1);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
