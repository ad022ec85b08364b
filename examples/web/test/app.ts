/**
 * Test helper: builds the app with Vite (`vite build`, VITE_API_URL pointing at the test server)
 * into dist/ and serves dist/ with `vite preview` on its own origin, as a deployment would.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { build, preview } from "vite";

/** examples/web/ */
export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface ServedApp {
  /** `http://127.0.0.1:<port>`: the app's origin, for CORS_ALLOWED_ORIGINS and APP_URL. */
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
  return { origin: `http://127.0.0.1:${port}`, close: () => server.close() };
}
