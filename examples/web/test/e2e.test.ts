/**
 * The app end to end, as a person uses it: the production build (`vite build`) served by
 * `vite preview` on its own origin, `http://localhost:<port>`, the real todo-rocket server
 * (`$TODO_ROCKET_BIN`, required) on another, with CORS_ALLOWED_ORIGINS, APP_URL and WEBAUTHN_ORIGIN set to
 * the app's origin and WEBAUTHN_RP_ID=localhost (passkeys need a relying party that is a domain), its mails
 * sent over real SMTP to aiosmtpd when SMTP_SINK_PYTHON names a Python that has it (as CI does; otherwise
 * written to the server's log), where this test reads their links (test/server.ts), and a short access-token lifetime (JWT_TTL_SECONDS=3), driven in Debian's headless Chromium by
 * playwright-core. The passkeys are those of a virtual authenticator of the DevTools protocol
 * (`WebAuthn.addVirtualAuthenticator`: CTAP2, internal, resident keys, user verification), added to the tab
 * through `context.newCDPSession(page)`.
 *
 * The steps run in order on one browser tab (a step is skipped once an earlier one failed). They save
 * screenshots of the main screens to $WEB_ARTIFACTS_DIR (default examples/web/test-artifacts/), printed
 * at the end, and the last step fails on any console error or page error (see console-watch.ts).
 *
 * Run: TODO_ROCKET_BIN=/abs/path/to/target/release/todo-rocket npm test
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";

import { chromium, type Browser, type BrowserContext, type CDPSession, type Locator, type Page } from "playwright-core";

import { launchChromium } from "../../../openapi/test/browser.js";
import { oidcServerSettings, startOidcProvider, type OidcProvider } from "../../../openapi/test/oidc-provider.js";
import { codeForStep, currentStep, totp } from "../../../openapi/test/totp.js";
import { buildAndServe, webDir, type ServedApp } from "./app.js";
import { ConsoleWatch } from "./console-watch.js";
import { freePort, serverBinary, sleep, startServer, type RunningServer } from "./server.js";

/** Access-token lifetime for the server: short, so that the silent refresh happens during the test. */
const JWT_TTL_SECONDS = 3;
/**
 * The server still accepts an access token this long after its `exp` (clock skew between servers;
 * CLOCK_SKEW_LEEWAY_SECONDS in todo-core/src/auth/token.rs), so "expired" means `exp` + this.
 */
const CLOCK_SKEW_LEEWAY_SECONDS = 30;
/** Tasks per page of the list in the app built for this test. */
const PAGE_SIZE = 10;

const ARTIFACTS = resolve(process.env["WEB_ARTIFACTS_DIR"] || join(webDir, "test-artifacts"));
const EMAIL = `ann-${Date.now()}@example.com`;
const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a brand new passphrase";
const OTHER_DEVICE = "todo-web-e2e/1.0 (another device)";
/** The account made by the sign-in at the test OpenID provider (a fresh address: no account has it). */
const PROVIDER_SUB = `olga-${Date.now()}`;
const PROVIDER_EMAIL = `olga-${Date.now()}@example.test`;

let server: RunningServer | undefined;
let provider: OidcProvider | undefined;
let app: ServedApp | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let watch: ConsoleWatch;
const screenshots: string[] = [];

before(async () => {
  serverBinary(); // fails at once, with how to fix it, when TODO_ROCKET_BIN is unset
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const [serverPort, appPort] = [await freePort(), await freePort()];
  app = await buildAndServe(`http://127.0.0.1:${serverPort}`, PAGE_SIZE, appPort);
  // The server discovers its providers at start: the provider first.
  provider = await startOidcProvider();
  server = await startServer(serverPort, {
    CORS_ALLOWED_ORIGINS: app.origin,
    APP_URL: app.origin,
    WEBAUTHN_RP_ID: "localhost",
    WEBAUTHN_ORIGIN: app.origin,
    JWT_TTL_SECONDS: String(JWT_TTL_SECONDS),
    ...oidcServerSettings(provider.issuer, `http://127.0.0.1:${serverPort}`),
  });
  console.log(`mails: ${server.mailTransport}`);
  browser = await launchChromium(chromium);
  context = await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: "en-GB", timezoneId: "UTC" });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  watch = new ConsoleWatch(page, server.baseUrl);
  watch.allowOtherSite(provider.issuer, "the test OpenID provider's login page");
});

after(async () => {
  await browser?.close();
  await app?.close();
  if (server) writeFileSync(join(ARTIFACTS, "server.log"), server.output());
  await server?.stop();
  if (provider) writeFileSync(join(ARTIFACTS, "oidc-provider.log"), provider.log());
  await provider?.stop();
  const files = readdirSync(ARTIFACTS).sort();
  console.log(`\nscreenshots and the server log are in ${ARTIFACTS}:\n${files.map((file) => `  ${file}`).join("\n")}`);
});

/** The steps share one tab; after a failure the later ones are skipped (they would fail for that reason). */
let failedStep: string | undefined;

function step(name: string, body: () => Promise<void>): void {
  test(name, async (t) => {
    if (failedStep) {
      t.skip(`after the failed step "${failedStep}"`);
      return;
    }
    try {
      await body();
    } catch (error) {
      failedStep = name;
      await shot(`FAILED ${name}`).catch(() => undefined);
      for (const [who, other] of [["A", ann2], ["B", ben]] as const) {
        if (other) await shot(`FAILED ${name} (${who})`, other.page).catch(() => undefined);
      }
      throw error;
    }
  });
}

/** Saves a full-page screenshot as NN-name.png. */
async function shot(name: string, of: Page = page): Promise<void> {
  const file = `${String(screenshots.length + 1).padStart(2, "0")}-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}.png`;
  await of.screenshot({ path: join(ARTIFACTS, file), fullPage: true });
  screenshots.push(file);
}

/** Waits until `condition` (run in Node) holds, polling. */
async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function text(locator: Locator): Promise<string> {
  await locator.waitFor();
  return ((await locator.textContent()) ?? "").trim();
}

/** The task list has finished loading (nothing marked aria-busy). */
async function settled(): Promise<void> {
  await page.waitForFunction(() => document.querySelector('[aria-busy="true"]') === null);
}

/** The titles of the tasks shown, top to bottom. */
async function shownTitles(): Promise<string[]> {
  await settled();
  return (await page.locator(".task-list .task__title").allTextContents()).map((title) => title.trim());
}

/** The input with this id, its error under it, and that the two are linked and in the same field. */
async function fieldError(inputId: string): Promise<string> {
  const input = page.locator(`#${inputId}`);
  const error = page.locator(`#${inputId}-error`);
  const message = await text(error);
  assert.equal(await input.getAttribute("aria-invalid"), "true", `#${inputId} is marked invalid`);
  assert.ok((await input.getAttribute("aria-describedby"))?.split(" ").includes(`${inputId}-error`), "the error describes the input");
  const together = await page.evaluate(
    (id) => document.getElementById(id)?.closest(".field") === document.getElementById(`${id}-error`)?.closest(".field"),
    inputId,
  );
  assert.ok(together, `the error of #${inputId} is shown next to it, in the same field`);
  return message;
}

/** The session's tokens as the app keeps them (sessionStorage of the app's origin). */
async function appTokens(): Promise<{ access_token: string; refresh_token: string } | null> {
  const saved = await page.evaluate(() => sessionStorage.getItem("todo-rocket-web.session"));
  return saved ? (JSON.parse(saved) as { access_token: string; refresh_token: string }) : null;
}

/** From Node (another device): one API call. */
async function call(method: string, path: string, options: { token?: string; body?: unknown; agent?: string } = {}) {
  const headers: Record<string, string> = { "User-Agent": options.agent ?? "todo-web-e2e (node)" };
  if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${server!.baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : await response.text();
  return { status: response.status, body };
}

// ---------------------------------------------------------------------------------------------------

step("signup: a too-short password gets the API's message next to the password field", async () => {
  watch.expectApiError("POST", "/auth/signup", 422, "password shorter than 8 characters");
  await page.goto(`${app!.origin}/`); // the start page sends a stranger to the login page
  await page.waitForURL(`${app!.origin}/login`);
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.waitForURL(`${app!.origin}/signup`);
  assert.equal(await text(page.getByRole("heading", { level: 1 })), "Create an account");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  assert.match(await fieldError("signup-password"), /at least 8 characters/);
  assert.equal(await page.locator("#signup-email-error").count(), 0, "no error on the email field");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "signup-password", "the focus moved to the field");
  await shot("signup password too short");
});

step("signup: a good password creates the account and leads to the login page", async () => {
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${app!.origin}/login`);
  assert.match(await text(page.getByRole("status")), /Account created\. We sent a link to .* to confirm the address/);
  assert.equal(await page.getByLabel("Email").inputValue(), EMAIL, "the email is filled in");
});

step("login: a wrong password is refused with a message", async () => {
  watch.expectApiError("POST", "/auth/login", 401, "wrong password");
  await page.getByLabel("Password").fill("not my password");
  await page.getByRole("button", { name: "Log in" }).click();
  assert.equal(await text(page.getByRole("alert")), "Wrong email or password.");
  assert.equal(new URL(page.url()).pathname, "/login");
  await shot("login wrong password");
});

step("login: the right password opens the empty task list, with the unverified-email banner", async () => {
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${app!.origin}/tasks`);
  assert.equal(await text(page.getByRole("heading", { level: 1 })), "Tasks");
  assert.equal(await text(page.locator(".empty")), "No tasks yet. Add your first one above.");
  assert.match(await text(page.locator(".banner")), /Please confirm your email address/);
  await shot("tasks empty");
});

step("resend verification: asked again within a minute, the app says when it can send another", async () => {
  // The signup mail went out moments ago and the API sends at most one a minute (429, Retry-After).
  watch.expectApiError("POST", "/auth/email/verify/resend", 429, "one verification mail a minute");
  await page.getByRole("button", { name: "Resend verification email" }).click();
  assert.match(await text(page.locator(".banner__outcome")), /We sent you one a moment ago\. You can ask for another in \d+ seconds\./);
});

step("verify email: the link from the mail (delivered over SMTP in CI) confirms the address", async () => {
  const link = await server!.waitForLink("verify-email", 0);
  assert.ok(link.startsWith(`${app!.origin}/verify-email?token=`), `the link opens the app: ${link}`);
  await page.goto(link);
  assert.match(await text(page.locator(".alert--success")), new RegExp(`Thank you: ${EMAIL.replace(/[.+]/g, "\\$&")} is confirmed\\.`));
  await shot("verify email confirmed");
  await page.getByRole("link", { name: "Go to your tasks" }).click();
  await page.waitForURL(`${app!.origin}/tasks`);
  await settled();
  assert.equal(await page.locator(".banner").count(), 0, "the unverified-email banner is gone");
});

step("tasks: a blank title gets the API's message next to the title field", async () => {
  watch.expectApiError("POST", "/tasks", 422, "title of spaces only");
  await page.getByRole("textbox", { name: "New task" }).fill("   ");
  await page.getByRole("button", { name: "Add task" }).click();
  assert.ok((await fieldError("new-task-title")).length > 0);
  await shot("new task blank title");
});

step(`tasks: 12 tasks added with the form, newest first, ${PAGE_SIZE} at first; "Load more" adds the rest`, async () => {
  const title = page.getByRole("textbox", { name: "New task" });
  for (let n = 1; n <= 12; n++) {
    await title.fill(`Task ${n}`);
    await title.press("Enter"); // submitting with the keyboard
    await page.getByText(`Added “Task ${n}”.`).waitFor();
    await eventually(async () => (await shownTitles())[0] === `Task ${n}`, `Task ${n} at the top`);
  }
  assert.equal(await page.locator("#new-task-title-error").count(), 0, "the earlier error went away");
  const firstPage = Array.from({ length: PAGE_SIZE }, (_, i) => `Task ${12 - i}`);
  assert.deepEqual(await shownTitles(), firstPage);
  await shot("tasks first page");

  await page.getByRole("button", { name: "Load more" }).click();
  await eventually(async () => (await shownTitles()).length === 12, "the next page added below");
  assert.deepEqual(await shownTitles(), [...firstPage, "Task 2", "Task 1"]);
  assert.equal(await page.getByRole("button", { name: "Load more" }).count(), 0, "no page after the last");
  await shot("tasks load more");
});

/** Clicks a task's checkbox and waits until the API's answer shows. */
async function toggle(title: string, done: boolean): Promise<void> {
  const checkbox = page.getByRole("checkbox", { name: title, exact: true });
  await checkbox.click();
  await eventually(async () => (await checkbox.isChecked()) === done && (await checkbox.isEnabled()), `${title} ${done ? "done" : "open"}`);
}

step("tasks: toggling marks tasks done; the Done and Open filters show them apart", async () => {
  await toggle("Task 12", true);
  await toggle("Task 7", true);
  assert.equal(await page.locator(".task--done").count(), 2);

  await page.getByRole("radio", { name: "Done" }).check();
  await eventually(async () => JSON.stringify(await shownTitles()) === JSON.stringify(["Task 12", "Task 7"]), "the done tasks");
  assert.equal(await page.locator(".load-more").count(), 0, "one page only");
  await shot("tasks filter done");

  await page.getByRole("radio", { name: "Open" }).check();
  await eventually(async () => (await shownTitles())[0] === "Task 11", "the open tasks");
  const open = await shownTitles();
  assert.ok(!open.includes("Task 12") && !open.includes("Task 7"), `no done task among ${open.join(", ")}`);

  await page.getByRole("radio", { name: "Done" }).check();
  await eventually(async () => (await shownTitles()).length === 2, "the done tasks again");
  await page.getByRole("checkbox", { name: "Task 7", exact: true }).click(); // open again: it leaves the Done view
  await eventually(async () => JSON.stringify(await shownTitles()) === JSON.stringify(["Task 12"]), "Task 7 gone from Done");

  await page.getByRole("radio", { name: "All" }).check();
  await eventually(async () => (await shownTitles()).length === PAGE_SIZE, "all tasks");
});

step("tasks: editing a title (a blank one gets the API's message on the field; Escape cancels)", async () => {
  const editor = page.getByRole("form", { name: "Edit “Task 11”" });
  await page.getByRole("button", { name: "Edit “Task 11”" }).click();
  const titleInput = editor.getByLabel("Title");
  assert.equal(await titleInput.inputValue(), "Task 11");
  assert.ok(await titleInput.evaluate((input) => input === document.activeElement), "the title field has the focus");

  watch.expectApiError("PATCH", /^\/tasks\/[0-9a-f-]{36}$/, 422, "blank title");
  await titleInput.fill("");
  await editor.getByRole("button", { name: "Save" }).click();
  const inputId = await titleInput.getAttribute("id");
  assert.ok((await fieldError(inputId!)).length > 0);
  await shot("edit task blank title");

  await titleInput.press("Escape");
  assert.equal(await editor.count(), 0, "the editor closed");
  assert.deepEqual((await shownTitles()).slice(0, 2), ["Task 12", "Task 11"], "unchanged after Escape");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Edit “Task 11”", "focus back on Edit");

  await page.getByRole("button", { name: "Edit “Task 11”" }).click();
  await editor.getByLabel("Title").fill("Buy milk");
  await editor.getByLabel("Notes").fill("Two litres, semi-skimmed");
  await editor.getByRole("button", { name: "Save" }).click();
  await eventually(async () => (await shownTitles())[1] === "Buy milk", "the new title");
  assert.equal(await text(page.locator(".task", { hasText: "Buy milk" }).locator(".task__description")), "Two litres, semi-skimmed");
});

step("tasks: deleting one", async () => {
  await page.getByRole("button", { name: "Delete “Task 10”" }).click();
  await page.getByText("Deleted “Task 10”.").waitFor();
  await eventually(async () => (await shownTitles()).length === PAGE_SIZE && !(await shownTitles()).includes("Task 10"), "Task 10 gone");
  assert.deepEqual(await shownTitles(), ["Task 12", "Buy milk", "Task 9", "Task 8", "Task 7", "Task 6", "Task 5", "Task 4", "Task 3", "Task 2"]);
  await shot("tasks after edit and delete");
});

step("silent refresh: once the access token has expired, a toggle still works (refresh and retry)", async () => {
  // Wait until the server refuses the tab's access token: `exp` plus the server's leeway.
  const tokens = await appTokens();
  assert.ok(tokens);
  const { exp } = JSON.parse(Buffer.from(tokens.access_token.split(".")[1]!, "base64url").toString()) as { exp: number };
  const wait = (exp + CLOCK_SKEW_LEEWAY_SECONDS + 1.5) * 1000 - Date.now();
  console.log(`waiting ${(wait / 1000).toFixed(1)} s for the access token to expire (TTL ${JWT_TTL_SECONDS} s + ${CLOCK_SKEW_LEEWAY_SECONDS} s leeway)`);
  await sleep(Math.max(0, wait));
  assert.equal((await call("GET", "/auth/me", { token: tokens.access_token })).status, 401, "the access token has expired");

  const before = watch.exchanges().length;
  await toggle("Task 9", true);
  const seen = watch.exchanges().slice(before).map((e) => `${e.method} ${new URL(e.url).pathname} ${e.status}`);
  const toggled = seen.filter((line) => /^PATCH \/tasks\/[0-9a-f-]{36}\/complete /.test(line));
  assert.deepEqual(
    toggled.map((line) => line.split(" ")[2]),
    ["401", "200"],
    `the expired token was refused, then the request retried: ${seen.join(", ")}`,
  );
  assert.ok(seen.includes("POST /auth/refresh 200"), `one refresh in between: ${seen.join(", ")}`);
  assert.equal(new URL(page.url()).pathname, "/tasks", "still signed in");
  assert.notEqual((await appTokens())?.refresh_token, tokens.refresh_token, "the refresh token was rotated");
});

step("sessions: another device's session is listed, and 'Log out this device' ends it", async () => {
  // Another device logs in (from Node, with its own User-Agent).
  const login = await call("POST", "/auth/login", { body: { email: EMAIL, password: PASSWORD }, agent: OTHER_DEVICE });
  assert.equal(login.status, 200);
  let other = login.body as { access_token: string; refresh_token: string };

  await page.getByRole("link", { name: "Sessions" }).click();
  await page.waitForURL(`${app!.origin}/sessions`);
  const sessions = page.locator(".session");
  await eventually(async () => (await sessions.count()) === 2, "two sessions");
  const mine = sessions.filter({ has: page.locator(".badge", { hasText: "This device" }) });
  assert.equal(await mine.count(), 1);
  assert.match(await text(mine.locator(".session__device")), /^Chrome on Linux/);
  assert.equal(await mine.getByRole("button").count(), 0, "no button to log out this tab's own session here");
  const theirs = sessions.filter({ hasText: OTHER_DEVICE });
  await shot("sessions two devices");

  // Fresh tokens for the other device right before: its access token must not expire by itself meanwhile.
  const refreshed = await call("POST", "/auth/refresh", { body: { refresh_token: other.refresh_token }, agent: OTHER_DEVICE });
  assert.equal(refreshed.status, 200);
  other = refreshed.body as typeof other;
  const issued = Date.now();
  assert.equal((await call("GET", "/auth/me", { token: other.access_token })).status, 200, "the other device is signed in");

  await theirs.getByRole("button", { name: "Log out this device" }).click();
  await page.getByText(`${OTHER_DEVICE} is logged out.`).waitFor();
  await eventually(async () => (await sessions.count()) === 1, "one session left");
  const me = await call("GET", "/auth/me", { token: other.access_token });
  const age = Date.now() - issued;
  assert.ok(age < (JWT_TTL_SECONDS + CLOCK_SKEW_LEEWAY_SECONDS - 1) * 1000, `checked before the token could expire by itself (${age} ms)`);
  assert.equal(me.status, 401, "the other device's access token is refused at once");
  const again = await call("POST", "/auth/refresh", { body: { refresh_token: other.refresh_token }, agent: OTHER_DEVICE });
  assert.equal(again.status, 401, "and so is its refresh token");
  await shot("sessions other device logged out");
});

step("log out: back to the login page, and the tab's session is ended on the server", async () => {
  const tokens = await appTokens();
  assert.ok(tokens, "signed in before");
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await page.waitForURL(`${app!.origin}/login`);
  assert.equal(await text(page.getByRole("status")), "You are logged out.");
  assert.equal(await appTokens(), null, "the tokens are forgotten");
  const refresh = await call("POST", "/auth/refresh", { body: { refresh_token: tokens.refresh_token } });
  assert.equal(refresh.status, 401, "the session's refresh token no longer works");
});

step("forgot password: the form answers the same for any address, and the mail's link opens the reset page", async () => {
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.waitForURL(`${app!.origin}/forgot-password`);
  const since = server!.mailMark();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByRole("button", { name: "Send reset link" }).click();
  assert.match(await text(page.getByRole("status")), /If an account has this email, a link to reset its password is on its way\./);
  await shot("forgot password sent");

  const link = await server!.waitForLink("reset-password", since);
  assert.ok(link.startsWith(`${app!.origin}/reset-password?token=`), `the link opens the app: ${link}`);
  await page.goto(link);
  assert.equal(await text(page.getByRole("heading", { level: 1 })), "Choose a new password");
});

step("reset password: a short one gets the API's message on the field; a good one signs in", async () => {
  watch.expectApiError("POST", "/auth/password/reset", 422, "new password shorter than 8 characters");
  await page.getByLabel("New password").fill("short");
  await page.getByRole("button", { name: "Set new password" }).click();
  assert.match(await fieldError("reset-password"), /at least 8 characters/);
  await shot("reset password too short");

  await page.getByLabel("New password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Set new password" }).click();
  await page.waitForURL(`${app!.origin}/tasks`);
  assert.match(await text(page.locator(".alert--success")), /Your password has been changed and you are logged in/);
  assert.equal((await shownTitles())[0], "Task 12", "the same account's tasks");
  await shot("tasks after password reset");

  assert.equal((await call("POST", "/auth/login", { body: { email: EMAIL, password: PASSWORD } })).status, 401, "old password refused");
  assert.equal((await call("POST", "/auth/login", { body: { email: EMAIL, password: NEW_PASSWORD } })).status, 200, "new one works");
});

step("phone-sized screen: nothing scrolls sideways, the controls stay usable", async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  const links: Record<string, string> = { "/tasks": "Tasks", "/sessions": "Sessions", "/account": "Security" };
  for (const [path, link] of Object.entries(links)) {
    await page.getByRole("link", { name: link, exact: true }).click();
    await page.waitForURL(`${app!.origin}${path}`);
    await settled();
    if (path === "/account") await page.getByTestId("two-step-status").waitFor(); // loaded
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the screen`);
    await shot(`phone ${path.slice(1)}`);
  }
  const button = await page.getByRole("button", { name: "Log out", exact: true }).boundingBox();
  assert.ok(button && button.height >= 32 && button.x + button.width <= 375, "the Log out button is on screen and big enough to tap");
  await page.setViewportSize({ width: 1100, height: 800 });
});

step("keyboard: log out and in again with Tab and Enter only; the focus is visible", async () => {
  await page.getByRole("button", { name: "Log out", exact: true }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app!.origin}/login`);
  // The page's heading has the focus after a navigation; Tab goes on to the form.
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "login-email");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  assert.notEqual(outline, "none", "a visible focus ring");
  await page.keyboard.press("Control+A");
  await page.keyboard.type(EMAIL);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "login-password");
  await page.keyboard.type(NEW_PASSWORD);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Log in");
  await shot("login keyboard focus");
  await page.keyboard.press("Enter");
  await page.waitForURL(`${app!.origin}/tasks`);
  await settled();
});

/** The user's authenticator app: the key read from the page, and the last time step the server took from it. */
const authenticator = { secret: "", lastStep: 0 };
/** The recovery codes shown when two-step verification was turned on. */
let recoveryCodes: string[] = [];

/** A code of the authenticator that the server has not seen: the server takes each 30-second step once. */
function freshCode(): string {
  const step = Math.max(currentStep(), authenticator.lastStep + 1);
  authenticator.lastStep = step;
  return codeForStep(authenticator.secret, step);
}

/** A 6-digit code that the server refuses: none of the authenticator's codes of the steps it accepts now. */
function wrongCode(): string {
  const step = currentStep();
  const valid = new Set([step - 1, step, step + 1].map((s) => codeForStep(authenticator.secret, s)));
  return ["000000", "111111", "222222", "333333"].find((code) => !valid.has(code))!;
}

/** Waits until `locator` shows `expected` (a notice that replaces another one, say). */
async function showsText(locator: Locator, expected: string | RegExp): Promise<void> {
  let shown = "";
  await eventually(async () => {
    shown = await text(locator);
    return typeof expected === "string" ? shown === expected : expected.test(shown);
  }, `${String(expected)} (shown: ${JSON.stringify(shown)})`);
}

/**
 * The tab's current session as the server lists it (`aal`, `amr`), asked from Node with the tab's access
 * token. When that token has expired (JWT_TTL_SECONDS is short), a reload makes the tab refresh it first
 * (a 401, the refresh, the retry), without Node spending the tab's refresh token.
 */
async function tabSession(): Promise<{ aal: number; amr: string[] }> {
  let tokens = await appTokens();
  assert.ok(tokens, "signed in");
  let sessions = await call("GET", "/auth/sessions", { token: tokens.access_token });
  if (sessions.status === 401) {
    const stale = tokens.access_token;
    await page.reload();
    await eventually(async () => ((await appTokens())?.access_token ?? stale) !== stale, "the tab's refreshed token");
    await settled();
    tokens = (await appTokens())!;
    sessions = await call("GET", "/auth/sessions", { token: tokens.access_token });
  }
  assert.equal(sessions.status, 200);
  const current = (sessions.body as { current: boolean; aal: number; amr: string[] }[]).find((session) => session.current);
  assert.ok(current, "the tab's session is listed");
  return { aal: current.aal, amr: [...current.amr].sort() };
}

/** Logs the tab out with the header's button. */
async function logOut(): Promise<void> {
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await page.waitForURL(`${app!.origin}/login`);
}

step("sign-in link: 'Email me a sign-in link' on the login page; the link in the mail logs in", async () => {
  await logOut();
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  assert.match(await fieldError("login-email"), /Enter the email address of your account first/);
  const since = server!.mailMark();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await showsText(page.getByRole("status"), "If an account has this email, a sign-in link is on its way. It works once, for 15 minutes.");
  await shot("login sign-in link sent");

  const link = await server!.waitForLink("magic-link", since);
  assert.ok(link.startsWith(`${app!.origin}/magic-link?token=`), `the link opens the app: ${link}`);
  await page.goto(link);
  await page.waitForURL(`${app!.origin}/tasks`);
  assert.equal(await text(page.locator(".alert--success")), "You are logged in with the link from your mail.");
  assert.equal((await shownTitles())[0], "Task 12", "the same account's tasks");
  assert.deepEqual(await tabSession(), { aal: 1, amr: ["email"] });
  await shot("tasks after sign-in link");
});

step("two-step verification: turn on an authenticator app (password, the key read from the page, a code made here)", async () => {
  // The authenticator this test plays: RFC 6238 with HMAC-SHA-1, pinned by the RFC's Appendix B vector.
  assert.equal(totp(Buffer.from("12345678901234567890", "ascii"), 59, 8), "94287082");

  await page.getByRole("link", { name: "Security", exact: true }).click();
  await page.waitForURL(`${app!.origin}/account`);
  assert.equal(await text(page.getByRole("heading", { level: 1 })), "Account security");
  assert.match(await text(page.getByTestId("two-step-status")), /^Off: your password alone logs you in/);
  await shot("security off");

  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await page.getByLabel("Your password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Continue" }).click();
  const shown = await text(page.getByTestId("totp-secret"));
  authenticator.secret = shown.replace(/\s+/g, "");
  assert.match(authenticator.secret, /^[A-Z2-7]{32,}$/, `a base32 key of at least 160 bits: ${shown}`);
  assert.equal(await page.locator(".qr svg").count(), 1, "the QR code is drawn");
  await shot("security authenticator qr code");

  watch.expectApiError("POST", /^\/auth\/mfa\/totp\/[0-9a-f-]{36}\/confirm$/, 422, "a code that is not the app's");
  await page.getByLabel("Code from the app").fill(wrongCode());
  await page.getByRole("button", { name: "Turn on" }).click();
  assert.ok((await fieldError("totp-code")).length > 0);

  await page.getByLabel("Code from the app").fill(freshCode());
  await page.getByRole("button", { name: "Turn on" }).click();
  const codes = page.getByTestId("recovery-codes").locator("li");
  await eventually(async () => (await codes.count()) === 10, "ten recovery codes");
  recoveryCodes = (await codes.allTextContents()).map((code) => code.trim());
  assert.equal(new Set(recoveryCodes).size, 10);
  assert.equal(await text(page.getByRole("status")), "Authenticator app added. Two-step verification is on.");
  const done = page.getByRole("button", { name: "Done" });
  assert.ok(await done.isDisabled(), "'Done' waits for 'I have saved these codes'");
  await shot("security recovery codes");
  await page.getByLabel("I have saved these codes somewhere safe").check();
  await done.click();
  assert.equal(await page.getByTestId("recovery-codes").count(), 0, "shown once: gone after 'Done'");
  assert.match(await text(page.getByTestId("two-step-status")), /^On: /);
  assert.deepEqual(await page.getByTestId("factor").locator(".factor__name").allTextContents(), ["Authenticator app"]);
  await shot("security on");
  assert.equal((await tabSession()).aal, 2, "this session now counts as two-step");
});

step("second step: log in with the password, then a fresh code from the app (a wrong one first)", async () => {
  await logOut();
  watch.expectApiError("POST", "/auth/login", 403, "the password is right; the account asks for its second step");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${app!.origin}/second-step`);
  assert.equal(await text(page.getByRole("heading", { level: 1 })), "Two-step verification");
  assert.equal(await page.getByRole("button", { name: "Use a passkey" }).count(), 0, "no passkey on this account");
  await shot("second step");

  watch.expectApiError("POST", "/auth/mfa/verify", 401, "a code the app did not show");
  await page.getByLabel("Code from your app").fill(wrongCode());
  await page.getByRole("button", { name: "Verify" }).click();
  assert.match(await fieldError("second-step-code"), /That code did not work/);
  await shot("second step wrong code");

  // The confirmation spent the code of its 30-second step: the next step's code (the server accepts one
  // step either side of its clock).
  await page.getByLabel("Code from your app").fill(freshCode());
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL(`${app!.origin}/tasks`);
  assert.equal(await text(page.locator(".alert--success")), "You are logged in.");
  assert.equal((await shownTitles())[0], "Task 12");
  await shot("tasks after second step");
  assert.deepEqual(await tabSession(), { aal: 2, amr: ["otp", "pwd"] });
});

/** The tab's virtual authenticator (the user's device with its passkeys), over the DevTools protocol. */
const device = { cdp: undefined as CDPSession | undefined, authenticatorId: "" };

/** The passkeys the virtual authenticator holds. */
async function devicePasskeys(): Promise<{ credentialId: string; isResidentCredential: boolean; rpId?: string }[]> {
  const { credentials } = (await device.cdp!.send("WebAuthn.getCredentials", { authenticatorId: device.authenticatorId })) as {
    credentials: { credentialId: string; isResidentCredential: boolean; rpId?: string }[];
  };
  return credentials;
}

step("passkeys: 'Add a passkey' on the Security page, with a virtual authenticator (CTAP2, resident keys, user verification)", async () => {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  Object.assign(device, { cdp, authenticatorId });

  await page.getByRole("link", { name: "Security", exact: true }).click();
  await page.waitForURL(`${app!.origin}/account`);
  await page.getByTestId("two-step-status").waitFor();
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await showsText(page.getByRole("status"), "Passkey “Passkey” added.");
  assert.equal(await page.getByTestId("recovery-codes").count(), 0, "not the first factor: no new recovery codes");
  const names = page.getByTestId("factor").locator(".factor__name");
  await eventually(async () => (await names.count()) === 2, "two factors listed");
  assert.deepEqual((await names.allTextContents()).map((name) => name.trim()).sort(), ["Authenticator app", "Passkey"]);
  const held = await devicePasskeys();
  assert.equal(held.length, 1, "the device holds the new passkey");
  assert.ok(held[0]!.isResidentCredential, "a discoverable credential: it signs in without an email");
  assert.equal(held[0]!.rpId, "localhost", "bound to the relying party localhost");
  await shot("security passkey added");
});

step("passkeys: log out; 'Sign in with a passkey' on the login page lands on the tasks page", async () => {
  await logOut();
  await shot("login passkey button");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.waitForURL(`${app!.origin}/tasks`);
  assert.equal(await text(page.getByRole("heading", { level: 1 })), "Tasks");
  // The passkey named its account: the same tasks (once the list has loaded).
  await eventually(async () => (await shownTitles())[0] === "Task 12", "the account's tasks, Task 12 on top");
  await shot("tasks after passkey sign-in");
  assert.deepEqual(await tabSession(), { aal: 2, amr: ["hwk", "user"] });
});

step("passkeys: log in with the password, then 'Use a passkey' for the second step", async () => {
  await logOut();
  watch.expectApiError("POST", "/auth/login", 403, "the password is right; the account asks for its second step");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${app!.origin}/second-step`);
  const usePasskey = page.getByRole("button", { name: "Use a passkey" });
  await usePasskey.waitFor();
  await shot("second step with passkey");
  await usePasskey.click();
  await page.waitForURL(`${app!.origin}/tasks`);
  assert.equal(await text(page.locator(".alert--success")), "You are logged in.");
  await eventually(async () => (await shownTitles())[0] === "Task 12", "the account's tasks, Task 12 on top");
  await shot("tasks after second step passkey");
  assert.deepEqual(await tabSession(), { aal: 2, amr: ["hwk", "pwd"] });
});

step("sign-in link with two-step verification: the link leads to the second step; a passkey refused by the device, then by the server (a cloned passkey whose counter went back); a recovery code finishes it", async () => {
  await logOut();
  const since = server!.mailMark();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await showsText(page.getByRole("status"), /a sign-in link is on its way/);
  const link = await server!.waitForLink("magic-link", since);
  watch.expectApiError("POST", "/auth/magic-link/verify", 403, "the link is a first factor; the account asks for its second step");
  await page.goto(link);
  await page.waitForURL(`${app!.origin}/second-step`);
  assert.match(await text(page.getByRole("status")), /Your sign-in link worked\. One more step/);
  const usePasskey = page.getByRole("button", { name: "Use a passkey" });
  assert.equal(await usePasskey.count(), 1, "the passkey is offered too");

  // The device refuses: the user does not pass its user verification (or closes the prompt).
  await device.cdp!.send("WebAuthn.setUserVerified", { authenticatorId: device.authenticatorId, isUserVerified: false });
  await usePasskey.click();
  await showsText(page.getByRole("alert"), "The passkey prompt was closed or timed out. Try again when you are ready.");
  await device.cdp!.send("WebAuthn.setUserVerified", { authenticatorId: device.authenticatorId, isUserVerified: true });
  await shot("second step passkey prompt closed");

  // The server refuses: the same passkey put back with its signature counter at 0, as a clone of the key would
  // be; the server has seen a higher counter (it stores the counter of every sign-in) and takes it for a copy.
  const {
    credentials: [held],
  } = await device.cdp!.send("WebAuthn.getCredentials", { authenticatorId: device.authenticatorId });
  assert.ok(held && held.signCount > 0, `the device counts its signatures: ${held?.signCount}`);
  await device.cdp!.send("WebAuthn.removeCredential", { authenticatorId: device.authenticatorId, credentialId: held.credentialId });
  await device.cdp!.send("WebAuthn.addCredential", { authenticatorId: device.authenticatorId, credential: { ...held, signCount: 0 } });
  watch.expectApiError("POST", "/auth/mfa/verify", 401, "a passkey whose signature counter went back");
  await usePasskey.click();
  await showsText(page.getByRole("alert"), "This passkey was not accepted. Try again, or use a code instead.");
  assert.equal(new URL(page.url()).pathname, "/second-step");
  await shot("second step passkey refused");

  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(recoveryCodes[0]!);
  await shot("second step recovery code");
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL(`${app!.origin}/tasks`);
  assert.deepEqual(await tabSession(), { aal: 2, amr: ["email", "recovery"] });
});

step("security: new recovery codes replace the old; removing the authenticator, then the passkey, turns two-step verification off", async () => {
  await page.getByRole("link", { name: "Security", exact: true }).click();
  await page.waitForURL(`${app!.origin}/account`);
  await page.getByRole("button", { name: "Get new recovery codes" }).click();
  const codes = page.getByTestId("recovery-codes").locator("li");
  await eventually(async () => (await codes.count()) === 10, "ten new recovery codes");
  const renewed = (await codes.allTextContents()).map((code) => code.trim());
  assert.equal(renewed.filter((code) => recoveryCodes.includes(code)).length, 0, "all new");
  await page.getByLabel("I have saved these codes somewhere safe").check();
  await page.getByRole("button", { name: "Done" }).click();

  const authenticatorApp = page.getByTestId("factor").filter({ hasText: "Authenticator app" });
  await authenticatorApp.getByRole("button", { name: "Remove" }).click();
  await authenticatorApp.getByRole("button", { name: "Yes, remove it" }).click();
  await showsText(page.getByRole("status"), "“Authenticator app” removed.");
  assert.match(await text(page.getByTestId("two-step-status")), /^On: /, "the passkey keeps it on");
  await eventually(async () => (await page.getByTestId("factor").count()) === 1, "one factor left");
  await shot("security authenticator removed");

  const passkey = page.getByTestId("factor").filter({ hasText: "Passkey" });
  await passkey.getByRole("button", { name: "Remove" }).click();
  await passkey.getByRole("button", { name: "Yes, remove it" }).click();
  await showsText(page.getByRole("status"), "“Passkey” removed. Two-step verification is off.");
  assert.match(await text(page.getByTestId("two-step-status")), /^Off: /);
  assert.equal(await page.getByTestId("factor").count(), 0);
  await shot("security passkey removed");
  const login = await call("POST", "/auth/login", { body: { email: EMAIL, password: NEW_PASSWORD } });
  assert.equal(login.status, 200, "the password alone logs in again");
});

step("log out at the end", async () => {
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await page.waitForURL(`${app!.origin}/login`);
  assert.equal(await text(page.getByRole("status")), "You are logged out.");
  await shot("logged out");
});

step("passkeys: the removed passkey, still on the device, no longer signs in (the server's refusal is shown)", async () => {
  assert.equal((await devicePasskeys()).length, 1, "the device still holds it");
  watch.expectApiError("POST", "/auth/passkeys/login", 401, "a passkey the account no longer has");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await showsText(page.getByRole("alert"), "This passkey was not accepted. It may have been removed from your account: log in another way, or try again.");
  assert.equal(new URL(page.url()).pathname, "/login");
  assert.equal(await appTokens(), null, "not signed in");
  await shot("login removed passkey refused");
});

/** How many times the tab has posted a one-time code to `POST /auth/oidc/exchange` so far. */
function exchangesPosted(): number {
  return watch.exchanges().filter((e) => e.method === "POST" && new URL(e.url).pathname === "/auth/oidc/exchange").length;
}

step("provider sign-in: the login page offers 'Sign in with Test provider', which opens the provider's login page", async () => {
  assert.equal(new URL(page.url()).pathname, "/login");
  const button = page.getByRole("button", { name: "Sign in with Test provider" });
  await button.waitFor();
  await shot("login with provider button");
  await button.click();
  await page.waitForURL((url) => url.origin === provider!.issuer);
  assert.equal(await page.getByLabel("Email verified").isChecked(), true, "the provider's form as its README says");
  await shot("provider login page");
});

step("provider sign-in: Username and a fresh Email at the provider, 'Sign in': back in the app, signed in, on the tasks page", async () => {
  const before = exchangesPosted();
  await page.getByLabel("Username").fill(PROVIDER_SUB);
  await page.getByLabel("Email", { exact: true }).fill(PROVIDER_EMAIL);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app!.origin}/tasks`);
  assert.equal(await text(page.getByRole("heading", { level: 1 })), "Tasks");
  assert.equal(await text(page.locator(".alert--success")), "You are logged in.");
  assert.equal(await text(page.locator(".nav__user")), PROVIDER_EMAIL, "signed in as the provider's account");
  assert.equal(await page.locator(".banner").count(), 0, "the provider confirmed the email: no banner");
  assert.equal(await text(page.locator(".empty")), "No tasks yet. Add your first one above.", "a new account");
  assert.equal(exchangesPosted() - before, 1, "the one-time code was posted once");
  // The code left the address bar (and the history) at once.
  const visited = await page.evaluate(() => window.location.href);
  assert.equal(visited, `${app!.origin}/tasks`);
  assert.deepEqual(await tabSession(), { aal: 1, amr: ["oidc"] });

  const title = page.getByRole("textbox", { name: "New task" });
  await title.fill("Task from the provider sign-in");
  await title.press("Enter");
  await page.getByText("Added “Task from the provider sign-in”.").waitFor();
  await eventually(async () => (await shownTitles())[0] === "Task from the provider sign-in", "the new task at the top");
  await shot("tasks after provider sign-in");
});

step("provider sign-in: the Security page lists the linked identity and says that the account has no password; Unlink is refused (409) with the server's words", async () => {
  await page.getByRole("link", { name: "Security", exact: true }).click();
  await page.waitForURL(`${app!.origin}/account`);
  const identity = page.getByTestId("identity");
  await identity.first().waitFor();
  assert.equal(await identity.count(), 1);
  const shown = await text(identity);
  assert.ok(shown.includes("Test provider"), `the provider's label: ${shown}`);
  assert.ok(shown.includes(PROVIDER_EMAIL), `the identity's email: ${shown}`);
  assert.match(shown, /Linked \d/);
  assert.match(await text(page.getByTestId("no-password-note")), /Your account has no password\..*Forgot your password\?/);
  await shot("account linked identity");

  watch.expectApiError("DELETE", /^\/auth\/identities\/[0-9a-f-]{36}$/, 409, "the account's last way to sign in");
  await identity.getByRole("button", { name: "Unlink" }).click();
  await showsText(page.getByRole("alert"), /^Could not unlink Test provider: .*last way to sign in/);
  assert.equal(await identity.count(), 1, "still linked");
  await shot("account unlink refused");
});

step("provider sign-in: a signed-out visit to /account goes through the login page and the provider (its session remembers the user) back to /account", async () => {
  await logOut();
  await page.goto(`${app!.origin}/account`);
  await page.waitForURL(`${app!.origin}/login`);
  await page.getByRole("button", { name: "Sign in with Test provider" }).click();
  await page.waitForURL(`${app!.origin}/account`);
  await page.getByTestId("identity").first().waitFor();
  assert.equal(await text(page.locator(".nav__user")), PROVIDER_EMAIL);
});

step("provider sign-in with two-step verification: a passkey added on the Security page; the provider's sign-in then leads to the second step, which the passkey finishes", async () => {
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await showsText(page.getByRole("status"), "Passkey “Passkey” added. Two-step verification is on.");
  await page.getByLabel("I have saved these codes somewhere safe").check();
  await page.getByRole("button", { name: "Done" }).click();

  await logOut();
  watch.expectApiError("POST", "/auth/oidc/exchange", 403, "the provider's sign-in is a first factor; the account asks for its second step");
  await page.getByRole("button", { name: "Sign in with Test provider" }).click();
  await page.waitForURL(`${app!.origin}/second-step`);
  assert.match(await text(page.getByRole("status")), /You signed in at the identity provider\. One more step/);
  const usePasskey = page.getByRole("button", { name: "Use a passkey" });
  await usePasskey.waitFor();
  await shot("second step after provider sign-in");
  await usePasskey.click();
  await page.waitForURL(`${app!.origin}/tasks`);
  assert.equal(await text(page.locator(".nav__user")), PROVIDER_EMAIL);
  await eventually(async () => (await shownTitles())[0] === "Task from the provider sign-in", "the account's task");
  assert.deepEqual(await tabSession(), { aal: 2, amr: ["hwk", "oidc"] });
});

step("provider sign-in: the callback page says what went wrong (an error from the server, a spent code), with a way back", async () => {
  await logOut();
  await page.goto(`${app!.origin}/auth/callback?error=access_denied&error_description=${encodeURIComponent("Call +1 555 0100 now")}`);
  await showsText(page.getByRole("alert"), "The sign-in was cancelled at the identity provider, or it did not allow it.");
  assert.equal(page.url(), `${app!.origin}/auth/callback`, "the parameters left the address bar");
  assert.equal(await page.getByText("Call +1 555 0100").count(), 0, "the description, which anyone can write, is not shown");
  await shot("callback access denied");

  watch.expectApiError("POST", "/auth/oidc/exchange", 422, "a code that is not one (unknown, used or expired)");
  await page.goto(`${app!.origin}/auth/callback?code=not-a-real-code&redirect_to=/tasks`);
  await showsText(page.getByRole("alert"), "This sign-in has expired or was already used. Please sign in again.");
  assert.equal(page.url(), `${app!.origin}/auth/callback`);
  assert.equal(await appTokens(), null, "not signed in");
  await page.getByRole("link", { name: "Back to log in" }).click();
  await page.waitForURL(`${app!.origin}/login`);
});

// ---------------------------------------------------------------------------------------------------
// Sharing: two accounts, each in a browser context of its own (no shared storage), working on one list.

/** One person of the sharing steps: their browser context, tab and console watch. */
interface Person {
  email: string;
  context: BrowserContext;
  page: Page;
  watch: ConsoleWatch;
}

let ann2: Person | undefined;
let ben: Person | undefined;
/** The shared list's id, once made. */
let sharedListId = "";
const SHARED_LIST = "Holiday";
const SHARED_TASK = "Book the ferry";

/** A new account, made and verified from Node (the verification link from the server's log), and a tab for it. */
async function newPerson(label: string): Promise<Person> {
  const email = `${label}-${Date.now()}@example.com`;
  const since = server!.mailMark();
  assert.equal((await call("POST", "/auth/signup", { body: { email, password: PASSWORD } })).status, 201);
  const link = await server!.waitForLink("verify-email", since);
  const token = new URL(link).searchParams.get("token");
  assert.equal((await call("POST", "/auth/email/verify", { body: { token } })).status, 200, "email verified");
  return newTab(email);
}

/** A browser context of its own (another device) and a tab in it, for the account `email`. */
async function newTab(email: string): Promise<Person> {
  const personContext = await browser!.newContext({ viewport: { width: 1100, height: 800 }, locale: "en-GB", timezoneId: "UTC" });
  personContext.setDefaultTimeout(15_000);
  const personPage = await personContext.newPage();
  return { email, context: personContext, page: personPage, watch: new ConsoleWatch(personPage, server!.baseUrl) };
}

/** Signs `person` in on the login page their tab shows. */
async function logIn(person: Person): Promise<void> {
  await person.page.getByLabel("Email").fill(person.email);
  await person.page.getByLabel("Password").fill(PASSWORD);
  await person.page.getByRole("button", { name: "Log in" }).click();
}

/** The titles of the tasks a tab shows. */
async function titlesOn(of: Page): Promise<string[]> {
  await of.waitForFunction(() => document.querySelector('[aria-busy="true"]') === null);
  return (await of.locator(".task-list .task__title").allTextContents()).map((title) => title.trim());
}

step("sharing: two accounts with verified emails, each signed in in a browser context of its own", async () => {
  ann2 = await newPerson("ann2");
  ben = await newPerson("ben");
  await ann2.page.goto(`${app!.origin}/login`);
  await logIn(ann2);
  await ann2.page.waitForURL(`${app!.origin}/tasks`);
  assert.equal(await text(ann2.page.getByRole("navigation", { name: "Lists" }).getByRole("link").first()), "Inbox");
  assert.equal(await ann2.page.getByRole("link", { name: "Inbox" }).getAttribute("aria-current"), "page", "the inbox is shown first");
});

step("lists: A makes a list in the sidebar, renames it, and adds a task with a due date and a priority", async () => {
  const a = ann2!.page;
  await a.getByRole("textbox", { name: "New list" }).fill("Holidya");
  await a.getByRole("button", { name: "Add list" }).click();
  await a.getByText("Made the list “Holidya”.").waitFor();
  sharedListId = new URL(a.url()).searchParams.get("list") ?? "";
  assert.match(sharedListId, /^[0-9a-f-]{36}$/);
  assert.equal(await a.getByRole("link", { name: "Holidya" }).getAttribute("aria-current"), "page");

  await a.getByRole("button", { name: "Rename" }).click();
  await a.getByLabel("List name").fill(SHARED_LIST);
  await a.getByRole("button", { name: "Save name" }).click();
  await a.getByRole("heading", { level: 2, name: SHARED_LIST }).waitFor();
  await a.getByRole("navigation", { name: "Lists" }).getByRole("link", { name: SHARED_LIST }).waitFor();

  await a.getByRole("textbox", { name: "New task" }).fill(SHARED_TASK);
  await a.getByText("Due date, priority, assignee").click();
  await a.locator("#new-task-due").fill("2030-06-01");
  await a.getByLabel("Priority").selectOption({ label: "High" });
  await a.getByRole("button", { name: "Add task" }).click();
  await a.getByText(`Added “${SHARED_TASK}”.`).waitFor();
  await eventually(async () => (await titlesOn(a))[0] === SHARED_TASK, "the task in the list");
  const meta = await text(a.locator(".task", { hasText: SHARED_TASK }).locator(".task__meta"));
  assert.match(meta, /Due 1 Jun 2030/);
  assert.match(meta, /High priority/);
  await shot("lists new list with a task", a);

  // Delete needs a confirmation; Cancel keeps the list.
  await a.getByRole("button", { name: "Delete list" }).click();
  await a.getByText(`Delete “${SHARED_LIST}” and all its tasks?`).waitFor();
  await shot("lists delete confirmation", a);
  await a.getByRole("button", { name: "Cancel" }).click();
  assert.deepEqual(await titlesOn(a), [SHARED_TASK]);
});

step("sharing: A invites B's email as editor in the Share dialog; the invitation is pending", async () => {
  const a = ann2!.page;
  await a.getByRole("button", { name: "Share" }).click();
  const dialog = a.getByRole("dialog", { name: `Share “${SHARED_LIST}”` });
  await dialog.waitFor();
  await dialog.getByText(`${ann2!.email} (you)`).waitFor();
  invitationSince = server!.mailMark();
  await dialog.getByRole("textbox", { name: "Email" }).fill(ben!.email);
  await dialog.getByLabel("Role", { exact: true }).selectOption("editor");
  await dialog.getByRole("button", { name: "Send invitation" }).click();
  await dialog.getByText(`Invited ${ben!.email}`).waitFor();
  await dialog.locator(".invitation", { hasText: ben!.email }).waitFor();
  await shot("share dialog invitation pending", a);
  await dialog.getByRole("button", { name: "Close" }).click();
  assert.equal(await dialog.count(), 0, "the dialog closed");
});

let invitationSince = 0;

step("sharing: B opens the mail's link signed out, signs in, comes back, accepts, and sees the list and the task", async () => {
  const link = await server!.waitForLink("invitations", invitationSince);
  assert.ok(link.startsWith(`${app!.origin}/invitations?token=`), `the link opens the app: ${link}`);
  const b = ben!.page;
  await b.goto(link);
  await b.waitForURL(`${app!.origin}/login`);
  await b.getByText("Sign in to accept the invitation").waitFor();
  await shot("invitation sign in first", b);
  await logIn(ben!);
  await b.waitForURL(`${app!.origin}/tasks?list=${sharedListId}`);
  await b.getByText(`You joined “${SHARED_LIST}”.`).waitFor();
  await b.getByRole("heading", { level: 2, name: SHARED_LIST }).waitFor();
  await eventually(async () => (await titlesOn(b))[0] === SHARED_TASK, "the shared task");
  assert.match(await text(b.locator(".list-header__about")), /Shared with 1 other · you are an editor/);
  await shot("invitation accepted list shown", b);
});

step("sharing: B completes the task; A reloads and sees it completed", async () => {
  const b = ben!.page;
  const checkbox = b.getByRole("checkbox", { name: SHARED_TASK, exact: true });
  await checkbox.click();
  await eventually(async () => (await checkbox.isChecked()) && (await checkbox.isEnabled()), "done on B's screen");
  await shot("shared task completed by B", b);

  const a = ann2!.page;
  await a.reload();
  const seen = a.getByRole("checkbox", { name: SHARED_TASK, exact: true });
  await eventually(async () => (await titlesOn(a)).includes(SHARED_TASK) && (await seen.isChecked()), "done on A's screen");
  await shot("shared task completed seen by A", a);
});

step("assignee: A assigns the task to B (a member of its list); B's 'Assigned to me' filter shows it", async () => {
  const a = ann2!.page;
  await a.getByRole("button", { name: `Edit “${SHARED_TASK}”` }).click();
  const editor = a.getByRole("form", { name: `Edit “${SHARED_TASK}”` });
  const assignee = editor.getByLabel("Assigned to");
  await eventually(async () => (await assignee.locator("option").allTextContents()).includes(ben!.email), "B among the assignees");
  await assignee.selectOption({ label: ben!.email });
  await editor.getByRole("button", { name: "Save" }).click();
  await eventually(async () => (await a.locator(".task", { hasText: SHARED_TASK }).locator(".task__assignee").count()) === 1, "assigned");
  assert.equal(await text(a.locator(".task__assignee")), `Assigned to ${ben!.email}`);

  const b = ben!.page;
  await b.getByRole("link", { name: "All lists" }).click();
  await b.getByRole("heading", { level: 2, name: "All lists" }).waitFor();
  await b.getByLabel("Assigned to me").check();
  await eventually(async () => JSON.stringify(await titlesOn(b)) === JSON.stringify([SHARED_TASK]), "only B's task");
  assert.equal(await text(b.locator(".task__list")), SHARED_LIST, "the All lists view names each task's list");
  await shot("assigned to me filter", b);
  await b.getByLabel("Search").fill("ferry");
  await b.getByLabel("Sort by").selectOption("due");
  await eventually(async () => JSON.stringify(await titlesOn(b)) === JSON.stringify([SHARED_TASK]), "still found");
  await b.getByLabel("Search").fill("no such words");
  await b.getByText("No tasks match these filters.").waitFor();
});

step("stale write: A changes the task while B has it on screen; B's tick is refused (412) and B sees the latest version", async () => {
  const other = ben!;
  const b = other.page;
  await b.goto(`${app!.origin}/tasks?list=${sharedListId}`);
  await eventually(async () => (await titlesOn(b)).includes(SHARED_TASK), "B shows the task");
  const before = await b.getByRole("checkbox", { name: SHARED_TASK, exact: true }).isChecked();

  const a = ann2!.page;
  await a.getByRole("button", { name: `Edit “${SHARED_TASK}”` }).click();
  const editor = a.getByRole("form", { name: `Edit “${SHARED_TASK}”` });
  await editor.getByLabel("Title").fill(`${SHARED_TASK} (paid)`);
  await editor.getByRole("button", { name: "Save" }).click();
  await eventually(async () => (await titlesOn(a)).includes(`${SHARED_TASK} (paid)`), "A's change saved");

  other.watch.expectApiError("PATCH", /^\/tasks\/[0-9a-f-]{36}\/complete$/, 412, "a tick of a version someone else changed");
  await b.getByRole("checkbox", { name: SHARED_TASK, exact: true }).click();
  const stale = b.locator(".task__error", { hasText: "Someone else changed this task — reloaded the latest version" });
  await stale.waitFor();
  assert.equal(await stale.getAttribute("role"), "alert");
  const latest = b.getByRole("checkbox", { name: `${SHARED_TASK} (paid)`, exact: true });
  await eventually(async () => (await latest.count()) === 1, "the latest version (A's title) on B's screen");
  assert.equal(await latest.isChecked(), before, "the refused tick was not applied");
  await shot("stale write 412 message", b);

  // B now has the latest version: the same tick goes through.
  await latest.click();
  await eventually(async () => (await latest.isChecked()) === !before && (await latest.isEnabled()), "ticked");
  assert.equal(await b.locator(".task__error").count(), 0, "the message went away");
});

step("sharing: A sees B as an editor in the Share dialog, makes B a viewer, then removes B; B no longer sees the list", async () => {
  const a = ann2!.page;
  await a.getByRole("button", { name: "Share" }).click();
  const dialog = a.getByRole("dialog", { name: `Share “${SHARED_LIST}”` });
  const role = dialog.getByLabel(`Role of ${ben!.email}`);
  await eventually(async () => (await role.count()) === 1 && (await role.inputValue()) === "editor", "B listed as an editor");
  assert.equal(await dialog.locator(".invitation").count(), 0, "no pending invitation once accepted");
  await role.selectOption("viewer");
  await dialog.getByText(`${ben!.email} is now a viewer.`).waitFor();
  await shot("share dialog members", a);

  const b = ben!.page;
  await b.goto(`${app!.origin}/tasks?list=${sharedListId}`);
  await b.getByText("You can see this list's tasks").waitFor();
  assert.equal(await b.getByRole("textbox", { name: "New task" }).count(), 0, "a viewer gets no new-task form");
  assert.ok(await b.getByRole("checkbox", { name: `${SHARED_TASK} (paid)`, exact: true }).isDisabled(), "nor a checkbox to tick");

  await dialog.getByRole("button", { name: `Remove ${ben!.email}` }).click();
  await dialog.getByText(`Removed ${ben!.email} from “${SHARED_LIST}”.`).waitFor();
  await dialog.getByRole("button", { name: "Close" }).click();
  await b.reload();
  await b.getByText("This list does not exist, or it is no longer shared with you.").waitFor();
  assert.equal(await b.getByRole("navigation", { name: "Lists" }).getByRole("link", { name: SHARED_LIST }).count(), 0);
  await shot("removed member no longer sees the list", b);
});

step("lists: A deletes the list after the confirmation and is back in the inbox", async () => {
  const a = ann2!.page;
  await a.getByRole("button", { name: "Delete list" }).click();
  await a.getByRole("button", { name: `Yes, delete “${SHARED_LIST}”` }).click();
  await a.getByText(`Deleted the list “${SHARED_LIST}”.`).waitFor();
  assert.equal(await a.getByRole("link", { name: "Inbox" }).getAttribute("aria-current"), "page");
  assert.equal(await a.getByRole("navigation", { name: "Lists" }).getByRole("link", { name: SHARED_LIST }).count(), 0);
});

step("no console errors and no page errors (other than the API errors provoked above)", async () => {
  await sleep(300); // let the last console messages arrive
  for (const [who, watched] of [["the first tab", watch], ["A", ann2?.watch], ["B", ben?.watch]] as const) {
    if (!watched) continue;
    const { problems, allowed } = watched.verdict();
    console.log(`${who}: console errors allowed, each matched with the network log:\n${allowed.map((line) => `  ${line}`).join("\n")}`);
    assert.deepEqual(problems, [], who);
  }
});
