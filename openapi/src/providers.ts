/**
 * Sign-in with an identity provider (OpenID Connect), the browser's half.
 *
 * The server runs the whole OpenID Connect flow (PKCE, `state`, `nonce`, the ID token's checks); a front end
 * only opens the server's authorize route as a top-level navigation (never with `fetch`: it is a redirect to
 * the provider's login page), then, on its own `/auth/callback?code=…`, trades the one-time code for tokens:
 *
 * @example
 * ```ts
 * // the sign-in page: one button per provider of GET /auth/providers
 * window.location.assign(providerSignInUrl(baseUrl, provider.name, "/tasks"));
 *
 * // the app's /auth/callback page
 * const code = new URLSearchParams(location.search).get("code");
 * const { data, error } = await api.POST("/auth/oidc/exchange", { body: { code } });
 * if (isSecondStepRequired(error)) … // as after a password login
 * ```
 */

/**
 * The URL that starts a sign-in at the provider `name` (from `GET /auth/providers`):
 * `{baseUrl}/auth/oidc/{name}/authorize?redirect_to={redirectTo}`. Open it as a top-level navigation
 * (`window.location.assign(url)` or a link). After the sign-in the server sends the browser to
 * `{APP_URL}/auth/callback?code=…&redirect_to=…`.
 *
 * @param baseUrl - the server's mount base, as for {@link createTodoClient} (a trailing slash is fine)
 * @param name - the provider's `name`
 * @param redirectTo - where the front end should go afterwards: a path of the front end, such as `/tasks`
 *   (the server answers 422 for anything that is not a path under its `APP_URL`); omitted, the server's
 *   default (`/`)
 */
export function providerSignInUrl(baseUrl: string, name: string, redirectTo?: string): string {
  const url = `${baseUrl.replace(/\/+$/, "")}/auth/oidc/${encodeURIComponent(name)}/authorize`;
  return redirectTo === undefined ? url : `${url}?redirect_to=${encodeURIComponent(redirectTo)}`;
}

/**
 * Where to go after a sign-in, from an untrusted value such as the `redirect_to` of `/auth/callback`: `value`
 * when it is a path of this origin (starts with `/`, but not `//` or `/\`, which browsers read as another
 * host), otherwise `fallback`.
 */
export function safeRedirectPath(value: string | null | undefined, fallback = "/"): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  // Control characters (a tab or newline inside "/\t/evil.example") are dropped by URL parsers.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return fallback;
  return value;
}
