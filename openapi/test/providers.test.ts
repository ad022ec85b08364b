/**
 * Sign-in with an identity provider: `providerSignInUrl` and `safeRedirectPath` on their own, then against the
 * real server configured with the test OpenID provider (testing/oidc-provider/): the URL the helper makes is the
 * server's redirect to the provider, a whole sign-in (the provider's login scripted with `login_hint`, as the
 * Rust harness does) ends in a one-time code that `POST /auth/oidc/exchange` trades once for tokens through the
 * session client, and the identity is listed and, being the account's last way in, cannot be unlinked.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { createSessionClient, createTodoClient, MemoryTokenStore, providerSignInUrl, safeRedirectPath } from "../src/index.js";
import { oidcServerSettings, startOidcProvider, type OidcProvider } from "./oidc-provider.js";
import { freePort, startServer, type RunningServer } from "./server.js";

describe("providerSignInUrl", () => {
  test("the authorize route of the provider, with redirect_to encoded", () => {
    assert.equal(
      providerSignInUrl("http://127.0.0.1:8000", "google", "/tasks"),
      "http://127.0.0.1:8000/auth/oidc/google/authorize?redirect_to=%2Ftasks",
    );
    assert.equal(
      providerSignInUrl("https://example.com/api/v1/", "test", "/tasks?filter=done&page=2"),
      "https://example.com/api/v1/auth/oidc/test/authorize?redirect_to=%2Ftasks%3Ffilter%3Ddone%26page%3D2",
    );
  });

  test("without redirectTo, no query (the server's default); an odd name is encoded as one path segment", () => {
    assert.equal(providerSignInUrl("http://h", "test"), "http://h/auth/oidc/test/authorize");
    assert.equal(providerSignInUrl("http://h//", "a/b c"), "http://h/auth/oidc/a%2Fb%20c/authorize");
  });
});

describe("safeRedirectPath", () => {
  test("a path of this origin is kept", () => {
    for (const path of ["/", "/tasks", "/tasks?page=2#top", "/account/"]) assert.equal(safeRedirectPath(path), path);
  });

  test("anything that could lead to another site, or nothing, is the fallback", () => {
    const unsafe = [null, undefined, "", "tasks", "https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "javascript:alert(1)"];
    for (const value of unsafe) assert.equal(safeRedirectPath(value, "/tasks"), "/tasks", JSON.stringify(value));
    assert.equal(safeRedirectPath("//evil.example"), "/");
  });
});

describe("against the server with the test OpenID provider", () => {
  const APP_URL = "http://localhost:5999"; // never opened: the test stops at the redirect to it
  let provider: OidcProvider | undefined;
  let server: RunningServer | undefined;

  before(async () => {
    provider = await startOidcProvider();
    const port = await freePort();
    server = await startServer({ port, env: { APP_URL, ...oidcServerSettings(provider.issuer, `http://127.0.0.1:${port}`) } });
  });

  after(async () => {
    await server?.stop();
    await provider?.stop();
  });

  test("GET /auth/providers names it; the helper's URL redirects to the provider; a foreign redirect_to is 422", async () => {
    const api = createTodoClient({ baseUrl: server!.baseUrl });
    const { data } = await api.GET("/auth/providers");
    assert.deepEqual(data, [{ name: "test", label: "Test provider" }]);

    const start = await fetch(providerSignInUrl(server!.baseUrl, "test", "/tasks"), { redirect: "manual" });
    assert.equal(start.status, 302);
    const location = new URL(start.headers.get("location")!);
    assert.equal(location.origin, provider!.issuer);
    assert.equal(location.searchParams.get("client_id"), "todo-confidential");
    assert.equal(location.searchParams.get("redirect_uri"), `${server!.baseUrl}/auth/oidc/test/callback`);

    const foreign = await fetch(providerSignInUrl(server!.baseUrl, "test", "https://evil.example/"), { redirect: "manual" });
    assert.equal(foreign.status, 422);
    await foreign.body?.cancel();
    const unknown = await fetch(providerSignInUrl(server!.baseUrl, "nope", "/tasks"), { redirect: "manual" });
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
  });

  test("a whole sign-in: the code is exchanged once for tokens; the identity is listed and cannot be unlinked (409)", async () => {
    const address = `oidc-${Date.now()}@example.test`;
    const callback = await logInAtProvider(providerSignInUrl(server!.baseUrl, "test", "/tasks"), { sub: `sub-${Date.now()}`, email: address });
    assert.equal(`${callback.origin}${callback.pathname}`, `${APP_URL}/auth/callback`, callback.href);
    assert.equal(callback.searchParams.get("redirect_to"), "/tasks");
    const code = callback.searchParams.get("code");
    assert.ok(code, `a code: ${callback.href}`);

    const tokens = new MemoryTokenStore();
    const api = createSessionClient({ baseUrl: server!.baseUrl, tokens });
    const exchanged = await api.POST("/auth/oidc/exchange", { body: { code } });
    assert.ok(exchanged.data, JSON.stringify(exchanged.error));
    tokens.set(exchanged.data);
    const again = await api.POST("/auth/oidc/exchange", { body: { code } });
    assert.equal(again.response.status, 422, "the code works once");

    const { data: me } = await api.GET("/auth/me");
    assert.equal(me?.email, address);
    assert.equal(me?.has_password, false);
    assert.ok(me?.email_verified_at, "the provider verified the email");

    const { data: identities } = await api.GET("/auth/identities");
    assert.equal(identities?.length, 1);
    assert.equal(identities![0]!.provider, "test");
    assert.equal(identities![0]!.email, address);
    const unlink = await api.DELETE("/auth/identities/{id}", { params: { path: { id: identities![0]!.id } } });
    assert.equal(unlink.response.status, 409);
    assert.ok(unlink.error?.detail, "the 409 says why");
  });

  /**
   * Plays the browser from the server's authorize URL to the server's redirect to `{APP_URL}/auth/callback`: the
   * provider's login is scripted by a `login_hint` added to its authorization request (see its README), and each
   * origin's cookies are kept between the redirects, as a browser keeps them (the server's binds the sign-in to
   * the browser that started it).
   */
  async function logInAtProvider(authorizeUrl: string, account: { sub: string; email: string }): Promise<URL> {
    const jars = new Map<string, Map<string, string>>();
    let url = new URL(authorizeUrl);
    for (let hops = 0; hops < 20; hops++) {
      if (url.href.startsWith(`${APP_URL}/`)) return url;
      if (url.origin === provider!.issuer && url.searchParams.has("client_id") && url.searchParams.has("response_type")) {
        const hint = new URLSearchParams({ sub: account.sub, email: account.email, email_verified: "true" });
        url.searchParams.set("login_hint", hint.toString());
      }
      const cookies = jars.get(url.origin) ?? new Map<string, string>();
      jars.set(url.origin, cookies);
      const headers: Record<string, string> = {};
      if (cookies.size > 0) {
        headers["Cookie"] = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
      }
      const response = await fetch(url, { redirect: "manual", headers });
      for (const cookie of response.headers.getSetCookie()) {
        const [pair] = cookie.split(";");
        const at = pair!.indexOf("=");
        cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
      }
      const location = response.headers.get("location");
      const body = await response.text();
      if (response.status < 300 || response.status >= 400 || !location) {
        throw new Error(`${url.href} answered ${response.status} without a redirect:\n${body.slice(0, 500)}`);
      }
      url = new URL(location, url);
    }
    throw new Error("more than 20 redirects");
  }
});
