/**
 * Swagger UI, as a person uses it, in headless Chromium (Debian's /usr/bin/chromium, no
 * downloaded browser): the operations are listed, the OAuth2 password "Authorize" dialog
 * logs in with an email and password, and "Try it out" on GET /tasks gets a live 200.
 * A screenshot is saved to artifacts/swagger-ui.png. Playwright gives the browser a fresh
 * temporary profile (user-data-dir) and removes it on close.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium, type Page } from "playwright-core";

import { createTodoClient } from "../src/index.js";
import { serverAndBrowser } from "./browser.js";

const ARTIFACTS = fileURLToPath(new URL("../artifacts/", import.meta.url));
const EMAIL = "swagger-user@example.com";
const PASSWORD = "correct horse battery";

const running = serverAndBrowser(chromium);

test("Swagger UI: Authorize with the OAuth2 password flow, then Try it out on GET /tasks", async () => {
  // A user with one task, made with plain fetch as the brief says (and the typed client for the task).
  const signup = await fetch(`${running.server.baseUrl}/auth/signup`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  assert.equal(signup.status, 201, await signup.text());
  const login = await fetch(`${running.server.baseUrl}/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const { access_token: token } = (await login.json()) as { access_token: string };
  const api = createTodoClient({ baseUrl: running.server.baseUrl, token });
  const created = await api.POST("/tasks", { body: { title: "Seen in Swagger UI" } });
  assert.equal(created.response.status, 201);

  assert.ok(running.browser);
  const page: Page = await running.browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  const offsite: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(running.server.baseUrl) && !request.url().startsWith("data:")) offsite.push(request.url());
  });

  try {
    await page.goto(`${running.server.baseUrl}/swagger-ui/`, { waitUntil: "load" });

    // The operations are listed.
    await page.locator(".opblock").first().waitFor({ timeout: 30_000 });
    const paths = await page.locator(".opblock-summary-path").allInnerTexts();
    const expected = [
      "/auth/signup", "/auth/login", "/auth/refresh", "/auth/sessions", "/auth/sessions/{id}", "/auth/me",
      "/tasks", "/tasks/{id}", "/tasks/{id}/complete", "/health",
    ];
    for (const path of expected) {
      assert.ok(paths.map((p) => p.replace(/\u200b/g, "")).includes(path), `${path} is listed in ${JSON.stringify(paths)}`);
    }

    // Authorize: the OAuth2 password section, with the email as the username.
    await page.locator(".auth-wrapper button.authorize").click();
    const dialog = page.locator(".modal-ux");
    await dialog.waitFor();
    const oauth2 = dialog.locator(".auth-container").filter({ hasText: "oauth2 (OAuth2, password)" });
    await oauth2.locator("#oauth_username").fill(EMAIL);
    await oauth2.locator("#oauth_password").fill(PASSWORD);
    const tokenResponse = page.waitForResponse(
      (response) => response.url() === `${running.server.baseUrl}/auth/login` && response.request().method() === "POST",
    );
    await oauth2.getByRole("button", { name: "Apply given OAuth2 credentials" }).click();
    const tokenAnswer = await tokenResponse;
    assert.equal(tokenAnswer.status(), 200, `POST /auth/login from Swagger UI: ${await tokenAnswer.text()}`);
    // Swagger UI marks the scheme as authorized and offers "Logout" instead.
    await oauth2.getByRole("button", { name: "Remove authorization" }).waitFor();
    await oauth2.getByText("Authorized", { exact: true }).waitFor();
    await oauth2.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.locator(".auth-wrapper button.authorize.locked").waitFor();

    // GET /tasks: Try it out, Execute, and a live 200 that lists the task.
    const operation = page.locator("#operations-tasks-listTasks");
    await operation.locator(".opblock-summary").first().click();
    await operation.getByRole("button", { name: "Try it out" }).click();
    const listRequest = page.waitForRequest(
      (request) => request.url().startsWith(`${running.server.baseUrl}/tasks`) && request.method() === "GET",
    );
    await operation.getByRole("button", { name: "Execute" }).click();
    const sent = await listRequest;
    assert.match((await sent.allHeaders())["authorization"] ?? "", /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);

    const status = operation.locator(".live-responses-table .response .response-col_status");
    await status.waitFor({ timeout: 30_000 });
    assert.equal((await status.innerText()).trim(), "200");
    const body = operation.locator(".live-responses-table .response-col_description .microlight").first();
    await body.waitFor();
    assert.match(await body.innerText(), /Seen in Swagger UI/);

    assert.deepEqual(pageErrors, [], "no JavaScript errors in the page");
    assert.deepEqual(offsite, [], "Swagger UI works offline (no request leaves the server)");
  } finally {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "swagger-ui.png"), fullPage: true });
    await page.close();
  }
});
