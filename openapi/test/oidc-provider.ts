/**
 * Test helper: the test OpenID Provider of testing/oidc-provider/ (see its README.md), run by Node.js.
 *
 * {@link startOidcProvider} installs its npm packages first when they are missing or were installed from another
 * package-lock.json, the same way, with the same marker and lock files, as the Rust harness
 * (todo_testing::oidc, testing/src/oidc.rs): `npm ci` leaves a copy of package-lock.json in
 * `node_modules/.todo-testing-installed`, and `.npm-install.lock` (made exclusively) keeps two installs from
 * running at once. Then it starts `node provider.mjs --port 0`, whose one line on stdout names the issuer.
 * The provider exits when its stdin closes, so it dies with the test process even when `stop` is never called.
 * examples/web's end-to-end test imports this by relative path.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { repoRoot, sleep } from "./server.js";

/** testing/oidc-provider/ */
export const providerDir = join(repoRoot, "testing", "oidc-provider");

/** The clients the provider knows (its README's "Clients"). */
export const CONFIDENTIAL_CLIENT = { id: "todo-confidential", secret: "todo-confidential-secret" } as const;

/** A running test provider; call {@link OidcProvider.stop} when done. */
export interface OidcProvider {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly issuer: string;
  /** What it wrote to stderr so far (its log). */
  log(): string;
  /** Stops it (SIGTERM). Safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_TIMEOUT_MS = 5 * 60_000;

/** `npm ci` in testing/oidc-provider/ unless its packages are installed for the current package-lock.json. */
export async function installProviderPackages(): Promise<void> {
  const wanted = readFileSync(join(providerDir, "package-lock.json"));
  const marker = join(providerDir, "node_modules", ".todo-testing-installed");
  const lock = join(providerDir, ".npm-install.lock");
  const installed = (): boolean => {
    try {
      return readFileSync(marker).equals(wanted);
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  for (;;) {
    if (installed()) return;
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // gone meanwhile
      }
      if (age > INSTALL_TIMEOUT_MS) rmSync(lock, { force: true }); // left by a process that died installing
      else if (Date.now() > deadline) throw new Error(`waited too long for another \`npm ci\` in ${providerDir} (${lock})`);
      await sleep(250);
    }
  }
  try {
    if (installed()) return;
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const run = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], { cwd: providerDir, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    if (run.status !== 0) {
      throw new Error(`\`npm ci\` failed in ${providerDir} (${run.error?.message ?? `exit ${run.status}`}):\n${run.stdout}\n${run.stderr}`);
    }
    writeFileSync(marker, wanted);
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Installs the packages when needed, starts the provider on a free port and resolves once it is ready. */
export async function startOidcProvider(readyTimeoutMs = 30_000): Promise<OidcProvider> {
  await installProviderPackages();
  const child: ChildProcess = spawn(process.execPath, ["provider.mjs", "--port", "0"], {
    cwd: providerDir,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString("utf8");
    if (log.length > 64 * 1024) log = log.slice(-64 * 1024);
  });
  const exit = new Promise<string>((done) => {
    child.on("exit", (code, signal) => done(signal ? `signal ${signal}` : `exit code ${code}`));
    child.on("error", (error) => done(`spawn error: ${error.message}`));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      child.stdin?.end();
      const gone = await Promise.race([exit.then(() => true), sleep(5_000).then(() => false)]);
      if (!gone) child.kill("SIGKILL");
    }
  };
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<string>((done, fail) => {
    lines.once("line", (line) => {
      try {
        const { issuer } = JSON.parse(line) as { issuer?: unknown };
        if (typeof issuer === "string") done(issuer);
        else fail(new Error(`the provider's ready line has no issuer: ${line}`));
      } catch {
        fail(new Error(`the provider's first line on stdout is not JSON: ${line}`));
      }
    });
  });
  const outcome = await Promise.race([
    ready.then((issuer) => ({ issuer })),
    exit.then((how) => ({ failure: `exited before it was ready (${how})` })),
    sleep(readyTimeoutMs).then(() => ({ failure: `was not ready within ${readyTimeoutMs} ms` })),
  ]).catch((error: Error) => ({ failure: error.message }));
  if ("failure" in outcome) {
    await stop();
    throw new Error(`the test OpenID provider (${providerDir}) ${outcome.failure}; its log:\n${log}`);
  }
  return { issuer: outcome.issuer, log: () => log, stop };
}

/**
 * The server's settings for the provider as `test` (label "Test provider"), the confidential client. `apiUrl` is
 * the server's own base URL: the redirect URI it registers is `{apiUrl}/auth/oidc/test/callback`.
 */
export function oidcServerSettings(issuer: string, apiUrl: string): Record<string, string> {
  return {
    OIDC_PROVIDERS: "test",
    OIDC_TEST_ISSUER: issuer,
    OIDC_TEST_CLIENT_ID: CONFIDENTIAL_CLIENT.id,
    OIDC_TEST_CLIENT_SECRET: CONFIDENTIAL_CLIENT.secret,
    OIDC_TEST_LABEL: "Test provider",
    API_URL: apiUrl,
  };
}
