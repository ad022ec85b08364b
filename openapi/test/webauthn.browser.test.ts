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
 * - `registerPasskey`, `signInWithPasskey` and `finishSecondStepWithPasskey` against the real server, both ways
 *   again: its relying party is `localhost` (`WEBAUTHN_RP_ID=localhost`, `WEBAUTHN_ORIGIN` and `APP_URL` the
 *   server's own `http://localhost:<port>`), and the page is served on that origin by request interception, so
 *   the ceremonies are same-origin calls to the server. A new account's first passkey (its recovery codes, the
 *   session raised to two factors), a sign-in with the passkey alone (no bearer token, `amr` `hwk user`), a
 *   password login's second step finished with it; then the server's refusals: the same authenticator cannot add
 *   the account's passkey twice (the server excludes it), a removed passkey no longer signs in (401), and an
 *   error page in front of the server that is no problem document.
 * - A server whose relying party is an IP address (passkeys off): each ceremony resolves to its 501 problem, and
 *   no prompt opens.
 *
 * The first part needs no server: its page, on `http://localhost:<free port>`, is served by request interception.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes, verify } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { chromium, type Browser, type CDPSession, type Page } from "playwright-core";

import type * as Client from "../src/index.js";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "../src/index.js";
import { launchChromium } from "./browser.js";
import { contentType, pageModules } from "./page-modules.js";
import { freePort, startServer, type RunningServer } from "./server.js";

const PREFIX = "/__webauthn-test/";
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** One API call as the client made it, and the server's answer (recorded in the page, see RECORDING_FETCH). */
interface Recorded {
  method: string;
  path: string;
  authorization: string | null;
  body: unknown;
  status: number;
  answer: unknown;
}

interface TestWindow {
  todoClient: typeof Client;
  /** A `fetch` for the client's `fetch` option that records each call in {@link TestWindow.recorded}. */
  recordingFetch: typeof fetch;
  recorded: Recorded[];
}

/**
 * The page's recording `fetch`: what the client sends (method, path, `Authorization`, JSON body) and what the
 * server answers (status, JSON body), in the order of the calls, recorded before the call resolves.
 */
const RECORDING_FETCH = `
window.recorded = [];
window.recordingFetch = async (input, init) => {
  const request = new Request(input, init);
  const sent = await request.clone().text();
  const response = await fetch(request);
  const answer = await response.clone().text();
  const json = (text) => { try { return text ? JSON.parse(text) : null; } catch { return text; } };
  window.recorded.push({
    method: request.method,
    path: new URL(request.url).pathname,
    authorization: request.headers.get("Authorization"),
    body: json(sent),
    status: response.status,
    answer: json(answer),
  });
  return response;
};`;

let browser: Browser | undefined;
/** The origin of the pages that need no server: nothing listens there, every request is intercepted. */
let origin: string;

before(async () => {
  browser = await launchChromium(chromium);
  origin = `http://localhost:${await freePort()}`;
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

/**
 * Opens the client's page on `pageOrigin` (the test's own, or a server's: then only the page's files are
 * intercepted, and the API calls reach the server).
 */
async function openPage(mode: "native" | "fallback", pageOrigin = origin): Promise<TestPage> {
  assert.ok(browser);
  const files = pageModules(PREFIX);
  const page = await browser.newPage();
  let fallbackLoads = 0;
  await page.route(`${pageOrigin}${PREFIX}**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(PREFIX.length);
    if (name === "simplewebauthn/index.js") fallbackLoads += 1;
    const body = files[name];
    if (body === undefined) return route.fulfill({ status: 404 });
    return route.fulfill({ status: 200, contentType: contentType(name), body });
  });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.addInitScript("globalThis.__name = (target) => target;"); // see session.browser.test.ts
  await page.addInitScript(RECORDING_FETCH);
  if (mode === "fallback") {
    // A browser without the WebAuthn Level 3 JSON methods (Safari before 18.4, for one).
    await page.addInitScript(() => {
      delete (PublicKeyCredential as unknown as Record<string, unknown>)["parseCreationOptionsFromJSON"];
      delete (PublicKeyCredential as unknown as Record<string, unknown>)["parseRequestOptionsFromJSON"];
    });
  }
  await page.goto(`${pageOrigin}${PREFIX}index.html`);
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

/** The client data of a response, checked against what the ceremony asked for, on the page's origin. */
function checkClientData(encoded: string, type: string, challenge: string, pageOrigin: string): Buffer {
  const raw = bytesOf(encoded);
  const clientData = JSON.parse(raw.toString("utf8")) as { type: string; challenge: string; origin: string };
  assert.equal(clientData.type, type);
  assert.equal(clientData.challenge, challenge);
  assert.equal(clientData.origin, pageOrigin);
  return raw;
}

/** The authenticator data's relying-party hash and flags: user present and verified. */
function checkAuthenticatorData(authData: Buffer): void {
  assert.deepEqual(authData.subarray(0, 32), createHash("sha256").update("localhost").digest(), "the rpIdHash of localhost");
  const flags = authData[32]!;
  assert.ok(flags & 0x01, "user present");
  assert.ok(flags & 0x04, "user verified");
}

function checkRegistration(credential: RegistrationResponseJSON, challenge: string, pageOrigin = origin): void {
  assert.equal(credential.type, "public-key");
  assert.equal(credential.id, credential.rawId);
  assert.ok(bytesOf(credential.rawId).length >= 16);
  assert.equal(typeof credential.clientExtensionResults, "object");
  checkClientData(credential.response.clientDataJSON, "webauthn.create", challenge, pageOrigin);
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
  pageOrigin = origin,
): void {
  assert.equal(credential.type, "public-key");
  assert.equal(credential.id, registered.id, "the passkey just registered");
  assert.equal(credential.response.userHandle, userId, "a discoverable credential names its account");
  const clientData = checkClientData(credential.response.clientDataJSON, "webauthn.get", challenge, pageOrigin);
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

const PASSWORD = "correct horse battery";

/** A session's tokens, as the server's token response has them. */
interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** One call to `server` from Node (another client than the page), with a bearer token and a JSON body. */
async function call(server: RunningServer, method: string, path: string, options: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
}

/** Signs a new account up and logs in with its password, from Node. */
async function newAccount(server: RunningServer, label: string): Promise<{ email: string; tokens: Tokens }> {
  const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const signup = await call(server, "POST", "/auth/signup", { body: { email, password: PASSWORD } });
  assert.equal(signup.status, 201, JSON.stringify(signup.body));
  const login = await call(server, "POST", "/auth/login", { body: { email, password: PASSWORD } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return { email, tokens: login.body as Tokens };
}

/** How the session of `accessToken` was won, as `GET /auth/sessions` says (`amr` sorted). */
async function sessionOf(server: RunningServer, accessToken: string): Promise<{ aal: number; amr: string[] }> {
  const listed = await call(server, "GET", "/auth/sessions", { token: accessToken });
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  const current = (listed.body as { current: boolean; aal: number; amr: string[] }[]).find((session) => session.current);
  assert.ok(current, "the session is listed");
  return { aal: current.aal, amr: [...current.amr].sort() };
}

/** The passkeys on the page's virtual authenticator. */
async function storedCredentials(opened: TestPage): Promise<{ credentialId: string; isResidentCredential: boolean }[]> {
  const { credentials } = (await opened.cdp.send("WebAuthn.getCredentials", { authenticatorId: opened.authenticatorId })) as {
    credentials: { credentialId: string; isResidentCredential: boolean }[];
  };
  return credentials;
}

/** A challenge of the server as the page received it. */
interface Challenge<Options> {
  challenge_id: string;
  options: { publicKey: Options };
}

/** The recorded calls as `METHOD path status authorization` lines. */
function calls(recorded: Recorded[]): string[] {
  return recorded.map((r) => `${r.method} ${r.path} ${r.status} ${r.authorization === null ? "(no token)" : r.authorization}`);
}

describe("the passkey ceremonies against the server (WEBAUTHN_RP_ID=localhost; the page on the server's origin)", () => {
  let server: RunningServer;
  /** `http://localhost:<port>`: the server's origin, its APP_URL and WEBAUTHN_ORIGIN, and the page's origin. */
  let serverOrigin: string;

  before(async () => {
    const port = await freePort();
    serverOrigin = `http://localhost:${port}`;
    server = await startServer({
      port,
      env: { APP_URL: serverOrigin, WEBAUTHN_RP_ID: "localhost", WEBAUTHN_ORIGIN: serverOrigin },
    });
  });
  after(async () => {
    await server?.stop();
  });

  for (const mode of ["native", "fallback"] as const) {
    describe(mode === "native" ? "with the browser's JSON methods" : "with @simplewebauthn/browser", () => {
      let opened: TestPage;
      let account: { email: string; tokens: Tokens };
      /** The passkey as registered, its account's user handle and its factor id. */
      let registered: RegistrationResponseJSON;
      let userId: string;
      let factorId: string;
      /** The tokens of the sign-in with the passkey alone (a two-factor session). */
      let passkeySession: Tokens;

      before(async () => {
        opened = await openPage(mode, serverOrigin);
        account = await newAccount(server, `passkey-${mode}`);
      });
      after(async () => {
        await opened?.page.close();
      });

      test("registerPasskey: the account's first factor (options with the bearer token, the credential posted back): the passkey, 10 recovery codes, a two-factor session", async () => {
        const result = await opened.page.evaluate(
          async ({ baseUrl, tokens }) => {
            const w = window as unknown as TestWindow;
            const { createSessionClient, MemoryTokenStore, registerPasskey } = w.todoClient;
            w.recorded.length = 0;
            const api = createSessionClient({ baseUrl, tokens: new MemoryTokenStore(tokens), fetch: w.recordingFetch });
            const { data, error, response } = await registerPasskey(api, { name: "Laptop" });
            return { data, error, status: response.status, recorded: w.recorded };
          },
          { baseUrl: serverOrigin, tokens: account.tokens },
        );
        const bearer = `Bearer ${account.tokens.access_token}`;
        assert.deepEqual(calls(result.recorded), [
          `POST /auth/passkeys/registration/options 200 ${bearer}`,
          `POST /auth/passkeys/registration 201 ${bearer}`,
        ]);
        const [asked, sent] = result.recorded as [Recorded, Recorded];
        assert.deepEqual(asked.body, {});
        const challenge = asked.answer as Challenge<PublicKeyCredentialCreationOptionsJSON>;
        const { publicKey } = challenge.options;
        assert.deepEqual(publicKey.rp.id, "localhost", "the relying party is WEBAUTHN_RP_ID");
        assert.equal(publicKey.user.name, account.email);
        assert.equal(publicKey.authenticatorSelection?.residentKey, "required", "a discoverable credential");
        assert.equal(publicKey.authenticatorSelection?.userVerification, "required");
        const { challenge_id, credential, name } = sent.body as { challenge_id: string; credential: RegistrationResponseJSON; name: string };
        assert.equal(challenge_id, challenge.challenge_id);
        assert.equal(name, "Laptop");
        checkRegistration(credential, publicKey.challenge, serverOrigin);

        assert.equal(result.status, 201, JSON.stringify(result.error));
        assert.equal(result.error, undefined);
        assert.equal(result.data?.factor.kind, "passkey");
        assert.equal(result.data?.factor.name, "Laptop");
        assert.equal(result.data?.recovery_codes?.length, 10, "the account's first factor: its recovery codes");
        const stored = await storedCredentials(opened);
        assert.equal(stored.length, 1);
        assert.ok(stored[0]!.isResidentCredential, "kept on the authenticator (a passkey)");
        assert.equal(Buffer.from(stored[0]!.credentialId, "base64").toString("base64url"), credential.id);

        assert.equal((await sessionOf(server, account.tokens.access_token)).aal, 2, "the session raised to two factors");
        const factors = await call(server, "GET", "/auth/mfa/factors", { token: account.tokens.access_token });
        assert.deepEqual(
          (factors.body as { id: string; kind: string; name: string }[]).map((f) => [f.id, f.kind, f.name]),
          [[result.data!.factor.id, "passkey", "Laptop"]],
        );
        registered = credential;
        userId = publicKey.user.id;
        factorId = result.data!.factor.id;
      });

      test("signInWithPasskey: no email, no bearer token (a session client with stale tokens); the tokens of a two-factor session (amr hwk user)", async () => {
        assert.ok(registered, "the passkey of the test before");
        const result = await opened.page.evaluate(async (baseUrl) => {
          const w = window as unknown as TestWindow;
          const { createSessionClient, MemoryTokenStore, signInWithPasskey } = w.todoClient;
          w.recorded.length = 0;
          const stale = new MemoryTokenStore({ access_token: "stale", refresh_token: "stale" });
          const { data, error, response } = await signInWithPasskey(createSessionClient({ baseUrl, tokens: stale, fetch: w.recordingFetch }));
          return { data, error, status: response.status, recorded: w.recorded };
        }, serverOrigin);
        assert.deepEqual(calls(result.recorded), [
          "POST /auth/passkeys/login/options 200 (no token)",
          "POST /auth/passkeys/login 200 (no token)",
        ]);
        const [asked, sent] = result.recorded as [Recorded, Recorded];
        const challenge = asked.answer as Challenge<PublicKeyCredentialRequestOptionsJSON>;
        assert.equal(challenge.options.publicKey.rpId, "localhost");
        assert.equal(challenge.options.publicKey.userVerification, "required");
        assert.deepEqual(challenge.options.publicKey.allowCredentials ?? [], [], "discoverable: no account named");
        const { challenge_id, credential } = sent.body as { challenge_id: string; credential: AuthenticationResponseJSON };
        assert.equal(challenge_id, challenge.challenge_id);
        checkAssertion(credential, registered, challenge.options.publicKey.challenge, userId, serverOrigin);

        assert.equal(result.status, 200, JSON.stringify(result.error));
        assert.ok(result.data);
        assert.equal(result.data.token_type, "bearer");
        passkeySession = result.data;
        const me = await call(server, "GET", "/auth/me", { token: passkeySession.access_token });
        assert.equal((me.body as { email: string }).email, account.email, "the passkey named its account");
        assert.deepEqual(await sessionOf(server, passkeySession.access_token), { aal: 2, amr: ["hwk", "user"] });
        const factors = await call(server, "GET", "/auth/mfa/factors", { token: passkeySession.access_token });
        assert.notEqual((factors.body as { last_used_at: string | null }[])[0]?.last_used_at, null, "last_used_at is set");
      });

      test("finishSecondStepWithPasskey: a password login asks for the second step (passkey, recovery_code); the passkey finishes it (amr hwk pwd)", async () => {
        assert.ok(registered, "the passkey of the first test");
        const result = await opened.page.evaluate(
          async ({ baseUrl, email, password }) => {
            const w = window as unknown as TestWindow;
            const { createTodoClient, finishSecondStepWithPasskey, isSecondStepRequired } = w.todoClient;
            w.recorded.length = 0;
            const api = createTodoClient({ baseUrl, fetch: w.recordingFetch });
            const login = await api.POST("/auth/login", { body: { email, password } });
            if (!isSecondStepRequired(login.error)) return { login: login.response.status, recorded: w.recorded };
            const mfaToken = login.error.mfa_token;
            const { data, error, response } = await finishSecondStepWithPasskey(api, mfaToken);
            return { methods: login.error.methods, mfaToken, data, error, status: response.status, recorded: w.recorded };
          },
          { baseUrl: serverOrigin, email: account.email, password: PASSWORD },
        );
        if (!("mfaToken" in result) || !result.methods) {
          assert.fail(`the login did not ask for the second step: ${JSON.stringify(result.recorded)}`);
        }
        assert.deepEqual([...result.methods].sort(), ["passkey", "recovery_code"]);
        assert.deepEqual(calls(result.recorded), [
          "POST /auth/login 403 (no token)",
          "POST /auth/mfa/passkey/options 200 (no token)",
          "POST /auth/mfa/verify 200 (no token)",
        ]);
        const [, asked, sent] = result.recorded as [Recorded, Recorded, Recorded];
        assert.deepEqual(asked.body, { mfa_token: result.mfaToken });
        const challenge = asked.answer as Challenge<PublicKeyCredentialRequestOptionsJSON>;
        assert.deepEqual(
          (challenge.options.publicKey.allowCredentials ?? []).map((c) => c.id),
          [registered.id],
          "the account's passkeys are offered",
        );
        const { mfa_token, credential, ...rest } = sent.body as { mfa_token: string; credential: AuthenticationResponseJSON };
        assert.equal(mfa_token, result.mfaToken);
        assert.deepEqual(rest, {}, "no code besides the credential");
        checkAssertion(credential, registered, challenge.options.publicKey.challenge, userId, serverOrigin);

        assert.equal(result.status, 200, JSON.stringify(result.error));
        assert.ok(result.data);
        assert.deepEqual(await sessionOf(server, result.data.access_token), { aal: 2, amr: ["hwk", "pwd"] });
      });

      test("the server's refusals: the same authenticator cannot add the account's passkey twice (InvalidStateError); a removed passkey no longer signs in (401)", async () => {
        assert.ok(passkeySession, "the passkey session of the test before");
        const again = await opened.page.evaluate(async ({ baseUrl, tokens }) => {
          const w = window as unknown as TestWindow;
          const { createSessionClient, MemoryTokenStore, registerPasskey } = w.todoClient;
          w.recorded.length = 0;
          const api = createSessionClient({ baseUrl, tokens: new MemoryTokenStore(tokens), fetch: w.recordingFetch });
          try {
            const { response } = await registerPasskey(api, { name: "Laptop again" });
            return { resolved: response.status, recorded: w.recorded };
          } catch (error) {
            return { rejected: (error as Error).name, recorded: w.recorded };
          }
        }, { baseUrl: serverOrigin, tokens: passkeySession });
        assert.deepEqual(again, {
          rejected: "InvalidStateError",
          recorded: again.recorded,
        });
        const [asked] = again.recorded as [Recorded];
        const excluded = (asked.answer as Challenge<PublicKeyCredentialCreationOptionsJSON>).options.publicKey.excludeCredentials;
        assert.deepEqual(excluded?.map((c) => c.id), [registered.id], "the server excludes the account's passkeys");
        assert.deepEqual(calls(again.recorded).map((line) => line.split(" ").slice(0, 3).join(" ")), [
          "POST /auth/passkeys/registration/options 200",
        ]);
        assert.equal((await storedCredentials(opened)).length, 1, "no second passkey");

        const removed = await call(server, "DELETE", `/auth/mfa/factors/${factorId}`, { token: passkeySession.access_token });
        assert.equal(removed.status, 204, JSON.stringify(removed.body));
        const refused = await opened.page.evaluate(async (baseUrl) => {
          const w = window as unknown as TestWindow;
          const { createTodoClient, signInWithPasskey } = w.todoClient;
          w.recorded.length = 0;
          const { data, error, response } = await signInWithPasskey(createTodoClient({ baseUrl, fetch: w.recordingFetch }));
          return { data, error, status: response.status, recorded: w.recorded };
        }, serverOrigin);
        assert.deepEqual(calls(refused.recorded), [
          "POST /auth/passkeys/login/options 200 (no token)",
          "POST /auth/passkeys/login 401 (no token)",
        ]);
        assert.equal(refused.status, 401);
        assert.equal(refused.data, undefined);
        assert.equal(refused.error?.status, 401);
        assert.match(refused.error?.detail ?? "", /passkey was not accepted/);
        assert.deepEqual(opened.errors, []);
      });

      if (mode === "native") {
        test("an answer without a problem document (a proxy's error page in front of the server): a problem made up from the status", async () => {
          await opened.page.route(`${serverOrigin}/auth/passkeys/login/options`, (route) =>
            route.fulfill({ status: 502, contentType: "text/html", body: "<h1>Bad Gateway</h1>" }),
          );
          try {
            const result = await opened.page.evaluate(async (baseUrl) => {
              const client = (window as unknown as TestWindow).todoClient;
              const { data, error, response } = await client.signInWithPasskey(client.createTodoClient({ baseUrl }));
              return { data, error, status: response.status };
            }, serverOrigin);
            assert.deepEqual(result, {
              data: undefined,
              error: { type: "about:blank", title: "Bad Gateway", status: 502, detail: "the server answered 502 without a problem document" },
              status: 502,
            });
          } finally {
            await opened.page.unroute(`${serverOrigin}/auth/passkeys/login/options`);
          }
        });
      }
    });
  }
});

describe("a server whose relying party is an IP address (its own http://127.0.0.1 APP_URL: passkeys off)", () => {
  let server: RunningServer;
  let opened: TestPage;

  before(async () => {
    const port = await freePort();
    server = await startServer({ port });
    opened = await openPage("native", `http://localhost:${port}`);
  });
  after(async () => {
    await opened?.page.close();
    await server?.stop();
  });

  test("each ceremony resolves to the server's 501 problem, and no prompt opens", async () => {
    const { tokens } = await newAccount(server, "passkeys-off");
    const results = await opened.page.evaluate(
      async ({ baseUrl, tokens }) => {
        const w = window as unknown as TestWindow;
        const client = w.todoClient;
        w.recorded.length = 0;
        const api = client.createSessionClient({ baseUrl, tokens: new client.MemoryTokenStore(tokens), fetch: w.recordingFetch });
        const answers = [
          await client.registerPasskey(api),
          await client.signInWithPasskey(api),
          await client.finishSecondStepWithPasskey(api, "an-mfa-token"),
        ];
        return {
          answers: answers.map(({ data, error, response }) => ({ data, status: response.status, problem: error?.status, detail: error?.detail })),
          recorded: w.recorded,
        };
      },
      { baseUrl: server.baseUrl.replace("127.0.0.1", "localhost"), tokens },
    );
    const detail =
      "passkeys are not available on this server: its relying party (WEBAUTHN_RP_ID, or the host of APP_URL) must be a domain name";
    assert.deepEqual(results.answers, [
      { data: undefined, status: 501, problem: 501, detail },
      { data: undefined, status: 501, problem: 501, detail },
      { data: undefined, status: 501, problem: 501, detail },
    ]);
    assert.deepEqual(
      results.recorded.map((r) => `${r.path} ${r.status}`),
      ["/auth/passkeys/registration/options 501", "/auth/passkeys/login/options 501", "/auth/mfa/passkey/options 501"],
      "only the options were asked for",
    );
    assert.deepEqual(await storedCredentials(opened), [], "no passkey was created");
    assert.deepEqual(opened.errors, []);
  });
});
