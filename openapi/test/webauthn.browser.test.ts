/**
 * The passkey helpers where they run: in headless Chromium, on `http://localhost` (WebAuthn needs a secure
 * context and a relying party that is a domain, so never 127.0.0.1), with a virtual authenticator of the
 * DevTools protocol (CTAP2, resident keys, user verification) standing in for the user's device.
 *
 * - `createPasskey` and `getPasskeyAssertion` both ways: with the browser's JSON methods
 *   (`parseCreationOptionsFromJSON`, `toJSON()`), and with them deleted, so @simplewebauthn/browser does the
 *   encoding (loaded only then). The JSON they return is checked as a server would: the client data
 *   (type, challenge, origin), the authenticator data (relying party hash, flags) and the assertion's
 *   signature against the public key of the registration.
 * - The browser's refusals reach the caller with their WebAuthn name.
 * - `registerPasskey`, `signInWithPasskey` and `finishSecondStepWithPasskey` against the routes of the HTTP
 *   contract, answered here (the server does not have them yet): what they send and what they resolve to,
 *   a server without the routes, and an error page that is no problem document.
 *
 * No todo-rocket server is started: the page and the contract's routes are served by request interception.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes, verify } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { chromium, type Browser, type CDPSession, type Page, type Route } from "playwright-core";

import type * as Client from "../src/index.js";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "../src/index.js";
import { launchChromium } from "./browser.js";
import { contentType, pageModules } from "./page-modules.js";
import { freePort } from "./server.js";

const PREFIX = "/__webauthn-test/";
const BASE64URL = /^[A-Za-z0-9_-]+$/;

interface TestWindow {
  todoClient: typeof Client;
}

let browser: Browser | undefined;
let origin: string;

before(async () => {
  browser = await launchChromium(chromium);
  origin = `http://localhost:${await freePort()}`; // nothing listens there: every request is intercepted
});

after(async () => {
  await browser?.close();
});

/** A page of `origin` with the client on `window.todoClient` and a virtual authenticator. */
interface TestPage {
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  /** How many times the page fetched @simplewebauthn/browser. */
  fallbackLoads: () => number;
  errors: string[];
}

async function openPage(mode: "native" | "fallback"): Promise<TestPage> {
  assert.ok(browser);
  const files = pageModules(PREFIX);
  const page = await browser.newPage();
  let fallbackLoads = 0;
  await page.route(`${origin}${PREFIX}**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(PREFIX.length);
    if (name === "simplewebauthn/index.js") fallbackLoads += 1;
    const body = files[name];
    if (body === undefined) return route.fulfill({ status: 404 });
    return route.fulfill({ status: 200, contentType: contentType(name), body });
  });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.addInitScript("globalThis.__name = (target) => target;"); // see session.browser.test.ts
  if (mode === "fallback") {
    // A browser without the WebAuthn Level 3 JSON methods (Safari before 18.4, for one).
    await page.addInitScript(() => {
      delete (PublicKeyCredential as unknown as Record<string, unknown>)["parseCreationOptionsFromJSON"];
      delete (PublicKeyCredential as unknown as Record<string, unknown>)["parseRequestOptionsFromJSON"];
    });
  }
  await page.goto(`${origin}${PREFIX}index.html`);
  await page.waitForFunction(() => document.title === "ready", undefined, { timeout: 30_000 });
  const cdp = await page.context().newCDPSession(page);
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
  return { page, cdp, authenticatorId, fallbackLoads: () => fallbackLoads, errors };
}

function b64url(bytes: Buffer): string {
  return bytes.toString("base64url");
}

function bytesOf(text: string): Buffer {
  assert.match(text, BASE64URL, `unpadded base64url: ${text}`);
  return Buffer.from(text, "base64url");
}

/** Registration options as a server sends them for `userId` (what webauthn-rs and the contract send). */
function creationOptions(userId: string, exclude: string[] = []): PublicKeyCredentialCreationOptionsJSON {
  return {
    rp: { id: "localhost", name: "Todo" },
    user: { id: userId, name: "ann@example.com", displayName: "ann@example.com" },
    challenge: b64url(randomBytes(32)),
    pubKeyCredParams: [
      { type: "public-key", alg: -7 },
      { type: "public-key", alg: -257 },
    ],
    timeout: 60_000,
    excludeCredentials: exclude.map((id) => ({ id, type: "public-key" })),
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
    attestation: "none",
  };
}

/** Sign-in options for discoverable credentials (no allow list). */
function requestOptions(): PublicKeyCredentialRequestOptionsJSON {
  return { challenge: b64url(randomBytes(32)), rpId: "localhost", userVerification: "required", timeout: 60_000, allowCredentials: [] };
}

/** The client data of a response, checked against what the ceremony asked for. */
function checkClientData(encoded: string, type: string, challenge: string): Buffer {
  const raw = bytesOf(encoded);
  const clientData = JSON.parse(raw.toString("utf8")) as { type: string; challenge: string; origin: string };
  assert.equal(clientData.type, type);
  assert.equal(clientData.challenge, challenge);
  assert.equal(clientData.origin, origin);
  return raw;
}

/** The authenticator data's relying-party hash and flags: user present and verified. */
function checkAuthenticatorData(authData: Buffer): void {
  assert.deepEqual(authData.subarray(0, 32), createHash("sha256").update("localhost").digest(), "the rpIdHash of localhost");
  const flags = authData[32]!;
  assert.ok(flags & 0x01, "user present");
  assert.ok(flags & 0x04, "user verified");
}

function checkRegistration(credential: RegistrationResponseJSON, challenge: string): void {
  assert.equal(credential.type, "public-key");
  assert.equal(credential.id, credential.rawId);
  assert.ok(bytesOf(credential.rawId).length >= 16);
  assert.equal(typeof credential.clientExtensionResults, "object");
  checkClientData(credential.response.clientDataJSON, "webauthn.create", challenge);
  assert.ok(bytesOf(credential.response.attestationObject).length > 37);
  assert.ok(credential.response.authenticatorData, "authenticatorData (WebAuthn Level 3)");
  checkAuthenticatorData(bytesOf(credential.response.authenticatorData));
  assert.equal(credential.response.publicKeyAlgorithm, -7, "ES256, the first the options offered");
  assert.ok(credential.response.publicKey, "the public key (DER SubjectPublicKeyInfo)");
}

function checkAssertion(
  credential: AuthenticationResponseJSON,
  registered: RegistrationResponseJSON,
  challenge: string,
  userId: string,
): void {
  assert.equal(credential.type, "public-key");
  assert.equal(credential.id, registered.id, "the passkey just registered");
  assert.equal(credential.response.userHandle, userId, "a discoverable credential names its account");
  const clientData = checkClientData(credential.response.clientDataJSON, "webauthn.get", challenge);
  const authData = bytesOf(credential.response.authenticatorData);
  checkAuthenticatorData(authData);
  const signed = Buffer.concat([authData, createHash("sha256").update(clientData).digest()]);
  const key = { key: bytesOf(registered.response.publicKey!), format: "der" as const, type: "spki" as const };
  assert.ok(verify("sha256", signed, key, bytesOf(credential.response.signature)), "the signature verifies with the registered key");
}

for (const mode of ["native", "fallback"] as const) {
  describe(`createPasskey and getPasskeyAssertion (${mode === "native" ? "the browser's JSON methods" : "@simplewebauthn/browser"})`, () => {
    let opened: TestPage;
    let registered: RegistrationResponseJSON;
    const userId = b64url(randomBytes(16));

    before(async () => {
      opened = await openPage(mode);
    });
    after(async () => {
      await opened?.page.close();
    });

    test("createPasskey: the registration JSON a server verifies", async () => {
      const options = creationOptions(userId);
      registered = await opened.page.evaluate(
        (publicKey) => (window as unknown as TestWindow).todoClient.createPasskey({ publicKey }),
        options,
      );
      checkRegistration(registered, options.challenge);
      const { credentials } = (await opened.cdp.send("WebAuthn.getCredentials", { authenticatorId: opened.authenticatorId })) as {
        credentials: { credentialId: string; isResidentCredential: boolean }[];
      };
      assert.equal(credentials.length, 1);
      assert.ok(credentials[0]!.isResidentCredential, "a discoverable credential (a passkey)");
      assert.equal(Buffer.from(credentials[0]!.credentialId, "base64").toString("base64url"), registered.id);
    });

    test("getPasskeyAssertion: the assertion JSON, signed by the passkey just created", async () => {
      const options = requestOptions();
      const assertion = await opened.page.evaluate(
        (publicKey) => (window as unknown as TestWindow).todoClient.getPasskeyAssertion({ publicKey }),
        options,
      );
      checkAssertion(assertion, registered, options.challenge, userId);
    });

    test("refusals keep their WebAuthn name: InvalidStateError, SecurityError, NotAllowedError", async () => {
      const refusal = (call: "create" | "get", publicKey: unknown) =>
        opened.page.evaluate(
          async ({ call, publicKey }) => {
            const client = (window as unknown as TestWindow).todoClient;
            try {
              if (call === "create") await client.createPasskey({ publicKey } as Parameters<typeof client.createPasskey>[0]);
              else await client.getPasskeyAssertion({ publicKey } as Parameters<typeof client.getPasskeyAssertion>[0]);
              return "resolved";
            } catch (error) {
              return (error as Error).name;
            }
          },
          { call, publicKey },
        );
      // This authenticator already holds a passkey of the account.
      assert.equal(await refusal("create", creationOptions(userId, [registered.id])), "InvalidStateError");
      // A relying party that is not this page's domain.
      assert.equal(await refusal("create", { ...creationOptions(userId), rp: { id: "example.com", name: "Todo" } }), "SecurityError");
      // The user does not pass user verification (or closes the prompt).
      await opened.cdp.send("WebAuthn.setUserVerified", { authenticatorId: opened.authenticatorId, isUserVerified: false });
      assert.equal(await refusal("get", requestOptions()), "NotAllowedError");
      await opened.cdp.send("WebAuthn.setUserVerified", { authenticatorId: opened.authenticatorId, isUserVerified: true });
    });

    test(mode === "native" ? "@simplewebauthn/browser was never loaded" : "@simplewebauthn/browser was loaded, once", () => {
      assert.equal(opened.fallbackLoads(), mode === "native" ? 0 : 1);
      assert.deepEqual(opened.errors, []);
    });
  });
}

/** A route of the contract, answered by `answer` (status and JSON body) after recording the request. */
interface Exchange {
  path: string;
  authorization: string | null;
  body: Record<string, unknown>;
}

describe("the passkey ceremonies against the HTTP contract (answered by the test)", () => {
  let opened: TestPage;
  const exchanges: Exchange[] = [];
  const userId = b64url(randomBytes(16));
  let registration: PublicKeyCredentialCreationOptionsJSON;
  let signIn: PublicKeyCredentialRequestOptionsJSON;
  let registered: RegistrationResponseJSON;
  const tokens = { access_token: "access.jwt.token", token_type: "bearer", expires_in: 3600, refresh_token: "r".repeat(43) };
  const factor = { id: "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f71", kind: "passkey", name: "Passkey", created_at: "2026-12-06T08:00:00Z", last_used_at: null };
  let offline = false;
  let proxyPage = false;

  before(async () => {
    opened = await openPage("native");
    await opened.page.route(`${origin}/api/**`, async (route: Route) => {
      const request = route.request();
      const path = new URL(request.url()).pathname.slice("/api".length);
      exchanges.push({ path, authorization: request.headers()["authorization"] ?? null, body: request.postDataJSON() as Record<string, unknown> });
      const json = (status: number, body: unknown) =>
        route.fulfill({ status, contentType: status < 400 ? "application/json" : "application/problem+json", body: JSON.stringify(body) });
      if (proxyPage) return route.fulfill({ status: 502, contentType: "text/html", body: "<h1>Bad Gateway</h1>" });
      if (offline) return json(404, { type: "about:blank", title: "Not Found", status: 404, detail: `no resource at ${path}` });
      switch (path) {
        case "/auth/passkeys/registration/options":
          return json(200, { challenge_id: "challenge-1", options: { publicKey: registration } });
        case "/auth/passkeys/registration":
          return json(201, { factor, recovery_codes: ["k7qm-2xwd-9fha-rt3e"] });
        case "/auth/passkeys/login/options":
        case "/auth/mfa/passkey/options":
          return json(200, { challenge_id: "challenge-2", options: { publicKey: signIn } });
        case "/auth/passkeys/login":
        case "/auth/mfa/verify":
          return json(200, tokens);
        default:
          return json(404, { type: "about:blank", title: "Not Found", status: 404, detail: `no resource at ${path}` });
      }
    });
  });
  after(async () => {
    await opened?.page.close();
  });

  test("registerPasskey: options with the bearer token, the browser's credential posted with its challenge_id and name", async () => {
    registration = creationOptions(userId);
    exchanges.length = 0;
    const result = await opened.page.evaluate(async (baseUrl) => {
      const { createTodoClient, registerPasskey } = (window as unknown as TestWindow).todoClient;
      const api = createTodoClient({ baseUrl, token: "access.jwt.token" });
      const { data, error, response } = await registerPasskey(api, { name: "Laptop" });
      return { data, error, status: response.status };
    }, `${origin}/api`);
    assert.deepEqual(result, { data: { factor, recovery_codes: ["k7qm-2xwd-9fha-rt3e"] }, error: undefined, status: 201 });
    assert.deepEqual(
      exchanges.map((e) => [e.path, e.authorization]),
      [
        ["/auth/passkeys/registration/options", "Bearer access.jwt.token"],
        ["/auth/passkeys/registration", "Bearer access.jwt.token"],
      ],
    );
    assert.deepEqual(exchanges[0]!.body, {});
    const { challenge_id, credential, name } = exchanges[1]!.body as { challenge_id: string; credential: RegistrationResponseJSON; name: string };
    assert.equal(challenge_id, "challenge-1");
    assert.equal(name, "Laptop");
    checkRegistration(credential, registration.challenge);
    registered = credential;
  });

  test("signInWithPasskey: no bearer token; the assertion posted with its challenge_id; the tokens", async () => {
    signIn = requestOptions();
    exchanges.length = 0;
    const result = await opened.page.evaluate(async (baseUrl) => {
      const { createSessionClient, MemoryTokenStore, signInWithPasskey } = (window as unknown as TestWindow).todoClient;
      // A session client with stale tokens: the sign-in routes never carry them.
      const store = new MemoryTokenStore({ access_token: "stale", refresh_token: "stale" });
      const { data, error } = await signInWithPasskey(createSessionClient({ baseUrl, tokens: store }));
      return { data, error };
    }, `${origin}/api`);
    assert.deepEqual(result, { data: tokens, error: undefined });
    assert.deepEqual(
      exchanges.map((e) => [e.path, e.authorization]),
      [
        ["/auth/passkeys/login/options", null],
        ["/auth/passkeys/login", null],
      ],
    );
    const { challenge_id, credential } = exchanges[1]!.body as { challenge_id: string; credential: AuthenticationResponseJSON };
    assert.equal(challenge_id, "challenge-2");
    checkAssertion(credential, registered, signIn.challenge, userId);
  });

  test("finishSecondStepWithPasskey: the mfa_token to the options and, with the assertion, to /auth/mfa/verify", async () => {
    signIn = requestOptions();
    exchanges.length = 0;
    const result = await opened.page.evaluate(async (baseUrl) => {
      const { createTodoClient, finishSecondStepWithPasskey } = (window as unknown as TestWindow).todoClient;
      const { data, error } = await finishSecondStepWithPasskey(createTodoClient({ baseUrl }), "the-mfa-token");
      return { data, error };
    }, `${origin}/api`);
    assert.deepEqual(result, { data: tokens, error: undefined });
    assert.deepEqual(exchanges.map((e) => e.path), ["/auth/mfa/passkey/options", "/auth/mfa/verify"]);
    assert.deepEqual(exchanges[0]!.body, { mfa_token: "the-mfa-token" });
    const { mfa_token, credential } = exchanges[1]!.body as { mfa_token: string; credential: AuthenticationResponseJSON };
    assert.equal(mfa_token, "the-mfa-token");
    checkAssertion(credential, registered, signIn.challenge, userId);
  });

  test("a server without the routes: each ceremony resolves to its 404 problem, and no prompt opens", async () => {
    offline = true;
    exchanges.length = 0;
    const before = (await opened.cdp.send("WebAuthn.getCredentials", { authenticatorId: opened.authenticatorId })) as { credentials: unknown[] };
    const results = await opened.page.evaluate(async (baseUrl) => {
      const client = (window as unknown as TestWindow).todoClient;
      const api = client.createTodoClient({ baseUrl, token: "access.jwt.token" });
      const answers = [
        await client.registerPasskey(api),
        await client.signInWithPasskey(api),
        await client.finishSecondStepWithPasskey(api, "the-mfa-token"),
      ];
      return answers.map(({ data, error, response }) => ({ data, status: response.status, detail: error?.detail }));
    }, `${origin}/api`);
    assert.deepEqual(results, [
      { data: undefined, status: 404, detail: "no resource at /auth/passkeys/registration/options" },
      { data: undefined, status: 404, detail: "no resource at /auth/passkeys/login/options" },
      { data: undefined, status: 404, detail: "no resource at /auth/mfa/passkey/options" },
    ]);
    assert.equal(exchanges.length, 3, "only the options were asked for");
    const later = (await opened.cdp.send("WebAuthn.getCredentials", { authenticatorId: opened.authenticatorId })) as { credentials: unknown[] };
    assert.equal(later.credentials.length, before.credentials.length, "no passkey was created");
    assert.deepEqual(opened.errors, []);
  });

  test("an answer without a problem document (a proxy's error page): a problem made up from the status", async () => {
    proxyPage = true;
    const result = await opened.page.evaluate(async (baseUrl) => {
      const client = (window as unknown as TestWindow).todoClient;
      const { data, error, response } = await client.signInWithPasskey(client.createTodoClient({ baseUrl }));
      return { data, error, status: response.status };
    }, `${origin}/api`);
    assert.deepEqual(result, {
      data: undefined,
      error: { type: "about:blank", title: "Bad Gateway", status: 502, detail: "the server answered 502 without a problem document" },
      status: 502,
    });
  });
});
