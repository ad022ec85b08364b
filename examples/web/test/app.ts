/**
 * Test helper: builds the app with Vite (`vite build`, VITE_API_URL pointing at the test server)
 * into dist/ and serves dist/ with `vite preview` on its own origin, as a deployment would.
 *
 * The app's origin is `http://localhost:<port>` (vite preview listens on 127.0.0.1, which Chromium
 * reaches for `localhost`): passkeys need a relying party that is a domain, never an IP address, and
 * the browser binds a passkey to the page's origin.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { build, preview } from "vite";

/** examples/web/ */
export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface ServedApp {
  /**
   * `http://localhost:<port>`: the app's origin, for CORS_ALLOWED_ORIGINS, APP_URL and WEBAUTHN_ORIGIN
   * (with WEBAUTHN_RP_ID=localhost).
   */
  readonly origin: string;
  close(): Promise<void>;
}

/** Builds the app for `apiUrl` with `pageSize` tasks a page and serves it on `port`. */
export async function buildAndServe(apiUrl: string, pageSize: number, port: number): Promise<ServedApp> {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve("todo-rocket-client"));
  } catch {
    entry = "todo-rocket-client";
  }
  if (!existsSync(entry)) {
    throw new Error(
      `${entry} is missing: the client package is not installed, or was installed without its build; ` +
        "run `npm ci && npm run build` in openapi/, then `npm install` here",
    );
  }
  // Vite takes VITE_* variables from the environment (over any .env file).
  process.env["VITE_API_URL"] = apiUrl;
  process.env["VITE_PAGE_SIZE"] = String(pageSize);
  await build({ root: webDir, mode: "production", logLevel: "warn" });
  const server = await preview({
    root: webDir,
    logLevel: "warn",
    preview: { host: "127.0.0.1", port, strictPort: true, open: false },
  });
  return { origin: `http://localhost:${port}`, close: () => server.close() };
}
