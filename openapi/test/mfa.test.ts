/**
 * Second factors and sign-in links against the real server, through the typed client: TOTP enrolment
 * (the test is the authenticator app, test/totp.ts), the second step after a password, a reset link and a
 * sign-in link, recovery codes, the factor list, and the problem-type guards (`isSecondStepRequired`,
 * `isEmailNotVerified`, `isTwoFactorSessionRequired`) on what the server really sends. This server's relying party
 * is an IP address (`APP_URL` is its own `http://127.0.0.1:<port>`), so its passkey routes answer 501, and the
 * passkey helpers resolve to that problem before any browser prompt; the passkeys themselves are tested in Chromium
 * (webauthn.browser.test.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  createSessionClient,
  createTodoClient,
  EMAIL_NOT_VERIFIED,
  finishSecondStepWithPasskey,
  isEmailNotVerified,
  isSecondStepRequired,
  isTwoFactorSessionRequired,
  MemoryTokenStore,
  registerPasskey,
  SECOND_STEP_REQUIRED,
  signInWithPasskey,
  TWO_FACTOR_SESSION_REQUIRED,
  type AuthenticationResponseJSON,
  type Problem,
  type SecondStepRequired,
  type Session,
  type TodoClient,
  type TokenResponse,
  type VerifyMfaRequest,
} from "../src/index.js";
import { sleep, startServer, type RunningServer } from "./server.js";
import { base32Decode, codeForStep, currentStep } from "./totp.js";

const PASSWORD = "correct horse battery";

let server: RunningServer;
let anonymous: TodoClient;

before(async () => {
  // The mails (with their links) are written to the log, where the sign-in link test reads them; no budget
  // gets in the way of the many logins and wrong codes here.
  server = await startServer({
    env: {
      RUST_LOG: "info",
      RATE_LIMIT_SIGNUPS_PER_CLIENT: "0",
      RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT: "0",
      RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL_AND_CLIENT: "0",
      RATE_LIMIT_PASSWORD_RESETS_PER_CLIENT: "0",
      RATE_LIMIT_PASSWORD_RESETS_PER_EMAIL_AND_CLIENT: "0",
    },
  });
  anonymous = createTodoClient({ baseUrl: server.baseUrl });
});

after(async () => {
  await server?.stop();
});

function email(label: string): string {
  return `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Signs a new user up and logs in with the password. */
async function newUser(label: string): Promise<{ email: string; api: TodoClient; tokens: TokenResponse }> {
  const address = email(label);
  const signup = await anonymous.POST("/auth/signup", { body: { email: address, password: PASSWORD } });
  assert.equal(signup.response.status, 201, JSON.stringify(signup.error));
  const login = await anonymous.POST("/auth/login", { body: { email: address, password: PASSWORD } });
  assert.ok(login.data, JSON.stringify(login.error));
  return { email: address, api: createTodoClient({ baseUrl: server.baseUrl, token: login.data.access_token }), tokens: login.data };
}

/** What the user's authenticator app knows, and the last time step the server accepted from it. */
interface Authenticator {
  secret: string;
  lastStep: number;
}

/** A fresh code of the authenticator: never one of a step already spent (the server takes each step once). */
function nextCode(app: Authenticator): string {
  const step = Math.max(currentStep(), app.lastStep + 1);
  app.lastStep = step;
  return codeForStep(app.secret, step);
}

/** Signs up, logs in and turns TOTP on; the session of `api` is then a two-factor one. */
async function userWithTotp(label: string) {
  const user = await newUser(label);
  const enrolled = await user.api.POST("/auth/mfa/totp", { body: { password: PASSWORD } });
  assert.equal(enrolled.response.status, 201, JSON.stringify(enrolled.error));
  const app: Authenticator = { secret: enrolled.data!.secret, lastStep: 0 };
  const confirmed = await user.api.POST("/auth/mfa/totp/{factor_id}/confirm", {
    params: { path: { factor_id: enrolled.data!.factor_id } },
    body: { code: nextCode(app) },
  });
  assert.equal(confirmed.response.status, 200, JSON.stringify(confirmed.error));
  return { ...user, app, factor: confirmed.data!.factor, recoveryCodes: confirmed.data!.recovery_codes ?? [] };
}

/** The second-step problem of an answer, with the checks every one of them passes. */
function secondStep(answer: { error?: Problem; response: Response }): SecondStepRequired {
  assert.equal(answer.response.status, 403, JSON.stringify(answer.error));
  assert.equal(answer.response.headers.get("content-type"), "application/problem+json");
  const { error } = answer;
  assert.ok(isSecondStepRequired(error), `a second-step problem: ${JSON.stringify(error)}`);
  // Narrowed: typed fields, no casts.
  const token: string = error.mfa_token;
  assert.equal(error.type, SECOND_STEP_REQUIRED);
  assert.ok(token.length >= 32, "an opaque token");
  assert.ok(!isEmailNotVerified(error) && !isTwoFactorSessionRequired(error));
  return error;
}

/** The caller's current session, as `GET /auth/sessions` lists it. */
async function currentSession(api: TodoClient): Promise<Session> {
  const { data } = await api.GET("/auth/sessions");
  const session = data?.find((s) => s.current);
  assert.ok(session, "the current session is listed");
  return session;
}

describe("the problem-type guards", () => {
  test("tell the three 403 types apart, and refuse look-alikes", () => {
    const base = { title: "Forbidden", status: 403 };
    const step = { ...base, type: SECOND_STEP_REQUIRED, mfa_token: "t".repeat(43), methods: ["totp"] };
    assert.ok(isSecondStepRequired(step));
    assert.ok(isEmailNotVerified({ ...base, type: EMAIL_NOT_VERIFIED }));
    assert.ok(isTwoFactorSessionRequired({ ...base, type: TWO_FACTOR_SESSION_REQUIRED }));
    for (const notStep of [
      undefined,
      null,
      "second-step-required",
      { ...base, type: "about:blank", mfa_token: "x", methods: [] },
      { ...step, status: 401 },
      { ...step, mfa_token: null },
      { ...step, methods: null },
      { ...base, type: EMAIL_NOT_VERIFIED },
    ]) {
      assert.equal(isSecondStepRequired(notStep), false, JSON.stringify(notStep));
    }
    assert.equal(isEmailNotVerified({ ...base, type: SECOND_STEP_REQUIRED }), false);
    assert.equal(isTwoFactorSessionRequired({ ...base, type: "about:blank" }), false);
  });
});

describe("TOTP", () => {
  test("enrolling from a one-factor session needs the password: 422 on password without it, 403 when wrong", async () => {
    const { api } = await newUser("enrol-password");
    const missing = await api.POST("/auth/mfa/totp", { body: {} });
    assert.equal(missing.response.status, 422);
    assert.deepEqual(missing.error?.errors?.map((e) => e.field), ["password"]);
    const wrong = await api.POST("/auth/mfa/totp", { body: { password: "not my password" } });
    assert.equal(wrong.response.status, 403);
    assert.equal(wrong.error?.type, "about:blank", "a wrong password is a plain 403, not one of the typed ones");
  });

  test("enrol, a wrong code (422 on code), the right code: a factor, 10 recovery codes, the session raised to two factors", async () => {
    const { api, email: address } = await newUser("enrol");
    const enrolled = await api.POST("/auth/mfa/totp", { body: { password: PASSWORD, name: "Phone" } });
    assert.equal(enrolled.response.status, 201);
    assert.equal(enrolled.response.headers.get("cache-control"), "no-store");
    const { secret, otpauth_uri, factor_id } = enrolled.data!;
    assert.equal(base32Decode(secret).length >= 20, true, "a secret of at least 160 bits (RFC 4226)");
    const uri = new URL(otpauth_uri);
    assert.equal(uri.protocol, "otpauth:");
    assert.equal(uri.searchParams.get("secret"), secret);
    assert.ok(decodeURIComponent(uri.pathname).includes(address), `the URI names the account: ${otpauth_uri}`);

    const app: Authenticator = { secret, lastStep: 0 };
    const right = codeForStep(secret, currentStep());
    const wrongCode = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    const path = { params: { path: { factor_id } } };
    const wrong = await api.POST("/auth/mfa/totp/{factor_id}/confirm", { ...path, body: { code: wrongCode } });
    assert.equal(wrong.response.status, 422);
    assert.deepEqual(wrong.error?.errors?.map((e) => e.field), ["code"]);
    assert.equal((await api.GET("/auth/mfa/factors")).data?.length, 0, "not in force before it is confirmed");

    const confirmed = await api.POST("/auth/mfa/totp/{factor_id}/confirm", { ...path, body: { code: nextCode(app) } });
    assert.equal(confirmed.response.status, 200, JSON.stringify(confirmed.error));
    assert.equal(confirmed.data?.factor.kind, "totp");
    assert.equal(confirmed.data?.factor.name, "Phone");
    const codes = confirmed.data?.recovery_codes ?? [];
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10, "ten different codes");

    const session = await currentSession(api);
    assert.equal(session.aal, 2);
    const factors = await api.GET("/auth/mfa/factors");
    assert.deepEqual(factors.data?.map((f) => [f.id, f.kind]), [[factor_id, "totp"]]);
  });

  test("a second TOTP factor answers no recovery codes (only the first factor does)", async () => {
    const { api } = await userWithTotp("second-factor");
    const enrolled = await api.POST("/auth/mfa/totp", { body: { name: "Tablet" } }); // a two-factor session: no password
    assert.equal(enrolled.response.status, 201, JSON.stringify(enrolled.error));
    const app: Authenticator = { secret: enrolled.data!.secret, lastStep: 0 };
    const confirmed = await api.POST("/auth/mfa/totp/{factor_id}/confirm", {
      params: { path: { factor_id: enrolled.data!.factor_id } },
      body: { code: nextCode(app) },
    });
    assert.equal(confirmed.response.status, 200);
    assert.ok(!confirmed.data?.recovery_codes?.length, "no recovery codes for a second factor");
    assert.equal((await api.GET("/auth/mfa/factors")).data?.length, 2);
  });
});

describe("the second step", () => {
  test("a password login answers the typed 403; a fresh code of the next step finishes it: a two-factor session", async () => {
    const { email: address, app } = await userWithTotp("second-step");
    const login = await anonymous.POST("/auth/login", { body: { email: address, password: PASSWORD } });
    const step = secondStep(login);
    assert.deepEqual([...step.methods].sort(), ["recovery_code", "totp"]);

    const verified = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: nextCode(app) } });
    assert.equal(verified.response.status, 200, JSON.stringify(verified.error));
    const api = createTodoClient({ baseUrl: server.baseUrl, token: verified.data!.access_token });
    const session = await currentSession(api);
    assert.equal(session.aal, 2);
    assert.deepEqual([...session.amr].sort(), ["otp", "pwd"]);

    const again = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: nextCode(app) } });
    assert.equal(again.response.status, 401, "an mfa_token works once");
  });

  test("the OAuth2 password form gets the same second step", async () => {
    const { email: address } = await userWithTotp("second-step-form");
    const form = await anonymous.POST("/auth/login", {
      body: { grant_type: "password", username: address, password: PASSWORD },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    secondStep(form);
  });

  test("a code already spent is refused (401); five wrong codes void the mfa_token", async () => {
    const { email: address, app } = await userWithTotp("wrong-codes");
    const step = secondStep(await anonymous.POST("/auth/login", { body: { email: address, password: PASSWORD } }));
    const spent = codeForStep(app.secret, app.lastStep);
    const replay = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: spent } });
    assert.equal(replay.response.status, 401, "the confirmation's code cannot be used again");
    assert.equal(replay.response.headers.get("content-type"), "application/problem+json");
    for (let attempt = 2; attempt <= 5; attempt++) {
      const wrong = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: "000000" } });
      assert.equal(wrong.response.status, 401, `wrong code ${attempt}`);
    }
    const late = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: nextCode(app) } });
    assert.equal(late.response.status, 401, "the right code after five wrong ones: the token is void");
  });

  test("a recovery code finishes the second step once; new codes void the old ones", async () => {
    const { email: address, recoveryCodes, api } = await userWithTotp("recovery");
    const [first, second] = recoveryCodes;
    assert.ok(first && second);
    const step = secondStep(await anonymous.POST("/auth/login", { body: { email: address, password: PASSWORD } }));
    // Typed back as a person might: upper case, spaces instead of dashes.
    const typed = first.toUpperCase().replace(/-/g, " ");
    const verified = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: typed } });
    assert.equal(verified.response.status, 200, JSON.stringify(verified.error));
    const recovered = createTodoClient({ baseUrl: server.baseUrl, token: verified.data!.access_token });
    assert.ok((await currentSession(recovered)).amr.includes("recovery"));

    const again = secondStep(await anonymous.POST("/auth/login", { body: { email: address, password: PASSWORD } }));
    const reused = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: again.mfa_token, code: first } });
    assert.equal(reused.response.status, 401, "a recovery code works once");

    const renewed = await api.POST("/auth/mfa/recovery-codes");
    assert.equal(renewed.response.status, 200, JSON.stringify(renewed.error));
    assert.equal(renewed.data?.recovery_codes.length, 10);
    const old = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: again.mfa_token, code: second } });
    assert.equal(old.response.status, 401, "the old codes are void");
    const fresh = await anonymous.POST("/auth/mfa/verify", {
      body: { mfa_token: again.mfa_token, code: renewed.data!.recovery_codes[0]! },
    });
    assert.equal(fresh.response.status, 200, JSON.stringify(fresh.error));
  });

  test("a password reset of an account with a factor sets the password, then asks for the second step", async () => {
    const { email: address, app } = await userWithTotp("reset-second-step");
    const since = server.output().length;
    assert.equal((await anonymous.POST("/auth/password/forgot", { body: { email: address } })).response.status, 202);
    const token = await mailedToken("reset-password", since);
    const reset = await anonymous.POST("/auth/password/reset", { body: { token, new_password: "a brand new passphrase" } });
    const step = secondStep(reset);
    const verified = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: nextCode(app) } });
    assert.equal(verified.response.status, 200, JSON.stringify(verified.error));
  });

  test("the session client never sends its bearer token to /auth/mfa/verify, nor refreshes on its 401", async () => {
    const { email: address, app } = await userWithTotp("verify-no-bearer");
    const sent: { path: string; authorization: string | null }[] = [];
    const recordingFetch = (input: Request) => {
      sent.push({ path: new URL(input.url).pathname, authorization: input.headers.get("Authorization") });
      return fetch(input);
    };
    // A tab whose stored session is stale (expired or ended elsewhere) signs in again.
    const tokens = new MemoryTokenStore({ access_token: "stale.access.token", refresh_token: "stale-refresh-token" });
    const api = createSessionClient({ baseUrl: server.baseUrl, tokens, fetch: recordingFetch });
    const step = secondStep(await api.POST("/auth/login", { body: { email: address, password: PASSWORD } }));
    const wrong = await api.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: "000000" } });
    assert.equal(wrong.response.status, 401);
    const right = await api.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: nextCode(app) } });
    assert.equal(right.response.status, 200, "the wrong code was tried once, not retried after a refresh");
    assert.deepEqual(sent, [
      { path: "/auth/login", authorization: null },
      { path: "/auth/mfa/verify", authorization: null },
      { path: "/auth/mfa/verify", authorization: null },
    ]);
  });
});

describe("factors", () => {
  test("removing the last factor (two-factor session): 204, and a password alone signs in again", async () => {
    const { api, factor, email: address } = await userWithTotp("remove");
    const removed = await api.DELETE("/auth/mfa/factors/{id}", { params: { path: { id: factor.id } } });
    assert.equal(removed.response.status, 204, JSON.stringify(removed.error));
    assert.deepEqual((await api.GET("/auth/mfa/factors")).data, []);
    const login = await anonymous.POST("/auth/login", { body: { email: address, password: PASSWORD } });
    assert.equal(login.response.status, 200, JSON.stringify(login.error));
  });

  test("changes from a one-factor session: the typed two-factor-session-required 403", async () => {
    const { api } = await newUser("one-factor-session");
    const codes = await api.POST("/auth/mfa/recovery-codes");
    assert.equal(codes.response.status, 403, JSON.stringify(codes.error));
    assert.ok(isTwoFactorSessionRequired(codes.error), JSON.stringify(codes.error));
    assert.ok(!isSecondStepRequired(codes.error));
    const removed = await api.DELETE("/auth/mfa/factors/{id}", { params: { path: { id: crypto.randomUUID() } } });
    assert.equal(removed.response.status, 403, JSON.stringify(removed.error));
    assert.ok(isTwoFactorSessionRequired(removed.error));
  });
});

/** The token of the last `/<page>?token=` link written to the server's log after `since` characters. */
async function mailedToken(page: "magic-link" | "reset-password", since: number): Promise<string> {
  const pattern = new RegExp(`/${page}\\?token=([A-Za-z0-9_-]{43,})`, "g");
  for (let waited = 0; waited < 10_000; waited += 50) {
    const found = [...server.output().slice(since).matchAll(pattern)];
    if (found.length > 0) return found[found.length - 1]![1]!;
    await sleep(50);
  }
  throw new Error(`no /${page}?token= link in the server's log:\n${server.output().slice(since)}`);
}

describe("sign-in links", () => {
  test("202 with the same body for an unknown email; the link's token signs in once (an email session)", async () => {
    const { email: address } = await newUser("magic");
    const unknown = await anonymous.POST("/auth/magic-link", { body: { email: email("nobody") } });
    const since = server.output().length;
    const known = await anonymous.POST("/auth/magic-link", { body: { email: address } });
    assert.equal(unknown.response.status, 202);
    assert.equal(known.response.status, 202);
    assert.deepEqual(known.data, unknown.data);

    const token = await mailedToken("magic-link", since);
    const signedIn = await anonymous.POST("/auth/magic-link/verify", { body: { token } });
    assert.equal(signedIn.response.status, 200, JSON.stringify(signedIn.error));
    const api = createTodoClient({ baseUrl: server.baseUrl, token: signedIn.data!.access_token });
    assert.deepEqual((await currentSession(api)).amr, ["email"]);
    const me = await api.GET("/auth/me");
    assert.ok(me.data?.email_verified_at, "following the link verified the email");

    const again = await anonymous.POST("/auth/magic-link/verify", { body: { token } });
    assert.equal(again.response.status, 422);
    assert.deepEqual(again.error?.errors?.map((e) => e.field), ["token"]);
  });

  test("for an account with a factor the link is a first factor: the typed second step", async () => {
    const { email: address, app } = await userWithTotp("magic-second-step");
    const since = server.output().length;
    assert.equal((await anonymous.POST("/auth/magic-link", { body: { email: address } })).response.status, 202);
    const token = await mailedToken("magic-link", since);
    const step = secondStep(await anonymous.POST("/auth/magic-link/verify", { body: { token } }));
    const verified = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: nextCode(app) } });
    assert.equal(verified.response.status, 200, JSON.stringify(verified.error));
    const api = createTodoClient({ baseUrl: server.baseUrl, token: verified.data!.access_token });
    assert.deepEqual([...(await currentSession(api)).amr].sort(), ["email", "otp"]);
  });
});

describe("email not verified (a server of its own with REQUIRE_VERIFIED_EMAIL=true)", () => {
  let strict: RunningServer;
  before(async () => {
    strict = await startServer({ env: { REQUIRE_VERIFIED_EMAIL: "true" } });
  });
  after(async () => {
    await strict?.stop();
  });

  test("login of an unverified account: the typed email-not-verified 403, not a second step", async () => {
    const api = createTodoClient({ baseUrl: strict.baseUrl });
    const address = email("unverified");
    assert.equal((await api.POST("/auth/signup", { body: { email: address, password: PASSWORD } })).response.status, 201);
    const login = await api.POST("/auth/login", { body: { email: address, password: PASSWORD } });
    assert.equal(login.response.status, 403);
    assert.ok(isEmailNotVerified(login.error), JSON.stringify(login.error));
    assert.equal(login.error.type, EMAIL_NOT_VERIFIED);
    assert.ok(!isSecondStepRequired(login.error));
  });
});

describe("passkeys on a server whose relying party is not a domain (an IP-address APP_URL)", () => {
  /** An assertion as the browser's `toJSON()` shapes it (this server refuses before it would check one). */
  const credential: AuthenticationResponseJSON = {
    id: "AAAA",
    rawId: "AAAA",
    type: "public-key",
    clientExtensionResults: {},
    response: { clientDataJSON: "e30", authenticatorData: "AAAA", signature: "AAAA", userHandle: null },
  };
  const NOT_IMPLEMENTED = /passkeys are not available on this server/;

  /** The 501 problem of a passkey route. */
  function unavailable(answer: { error?: Problem; response: Response }, what: string): void {
    assert.equal(answer.response.status, 501, `${what}: ${JSON.stringify(answer.error)}`);
    assert.equal(answer.response.headers.get("content-type"), "application/problem+json", what);
    assert.equal(answer.error?.status, 501, what);
    assert.match(answer.error?.detail ?? "", NOT_IMPLEMENTED, what);
  }

  test("every passkey route answers 501 problem+json, /auth/mfa/verify with a credential too", async () => {
    const { api, email: address, app } = await userWithTotp("no-passkeys");
    unavailable(await api.POST("/auth/passkeys/registration/options", { body: {} }), "registration options");
    unavailable(
      await api.POST("/auth/passkeys/registration", {
        body: { challenge_id: "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f72", credential: { ...credential }, name: "Laptop" },
      }),
      "registration",
    );
    unavailable(await anonymous.POST("/auth/passkeys/login/options", { body: {} }), "sign-in options");
    unavailable(
      await anonymous.POST("/auth/passkeys/login", { body: { challenge_id: "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f72", credential } }),
      "sign-in",
    );
    const step = secondStep(await anonymous.POST("/auth/login", { body: { email: address, password: PASSWORD } }));
    assert.ok(!step.methods.includes("passkey"), "no passkey among the methods");
    unavailable(await anonymous.POST("/auth/mfa/passkey/options", { body: { mfa_token: step.mfa_token } }), "second-step options");
    // The generated body type takes a passkey's credential in place of a code.
    const body: VerifyMfaRequest = { mfa_token: step.mfa_token, credential };
    unavailable(await anonymous.POST("/auth/mfa/verify", { body }), "second step with a credential");
    // Both a code and a credential: refused on `code` (422), and the token still works.
    const both = await anonymous.POST("/auth/mfa/verify", { body: { ...body, code: "000000" } });
    assert.equal(both.response.status, 422);
    assert.deepEqual(both.error?.errors?.map((e) => e.field), ["code"]);
    const verified = await anonymous.POST("/auth/mfa/verify", { body: { mfa_token: step.mfa_token, code: nextCode(app) } });
    assert.equal(verified.response.status, 200, JSON.stringify(verified.error));
  });

  test("the passkey helpers resolve to that 501 problem from the options, before any browser prompt", async () => {
    // In Node there is no navigator.credentials: a helper that got past the options would reject instead.
    const { api, email: address } = await userWithTotp("no-passkey-helpers");
    const added = await registerPasskey(api, { name: "Laptop" });
    unavailable(added, "registerPasskey");
    const signedIn = await signInWithPasskey(anonymous);
    unavailable(signedIn, "signInWithPasskey");
    const step = secondStep(await anonymous.POST("/auth/login", { body: { email: address, password: PASSWORD } }));
    unavailable(await finishSecondStepWithPasskey(anonymous, step.mfa_token), "finishSecondStepWithPasskey");
    assert.equal(added.data, undefined);
  });
});
