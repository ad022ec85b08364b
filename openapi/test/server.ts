/**
 * Test helper: runs the real `todo-rocket` server on a loopback port with a fresh SQLite database,
 * keeps what it prints, and stops it afterwards. This package's tests use {@link startServer};
 * examples/web's end-to-end test imports {@link launchServer} by relative path (it brings its own
 * binary, port and settings), so that both run the server one way.
 *
 * - {@link startServer}'s binary is `$TODO_ROCKET_BIN` when set (no build then); otherwise
 *   `cargo build -p todo-rocket` runs from the repository root and the binary is
 *   `$CARGO_TARGET_DIR/debug/todo-rocket` (`<repo>/target` when the variable is unset).
 * - The server gets `JWT_SECRET`, `BCRYPT_COST=4`, `DATABASE_URL=sqlite:<temp dir>/todo.db`,
 *   `ROCKET_ADDRESS=127.0.0.1` and `ROCKET_PORT`; inherited variables that could point it at another
 *   database or change its behaviour (`ROCKET_*`, `JWT_*`, `BCRYPT_*`, `RATE_LIMIT_*`, `CORS_*`,
 *   `REFRESH_*`, `SMTP_*`, `MAIL_*`, `WEBAUTHN_*`, `OIDC_*`, `RUST_LOG`, `LOG_FORMAT`, `METRICS_ADDRESS`,
 *   `DATABASE_URL`, `APP_URL`, `API_URL`, `REQUIRE_VERIFIED_EMAIL`, `SESSION_MAX_AGE_SECONDS`, `CLEANUP_INTERVAL_SECONDS`)
 *   are dropped (a caller passes its own settings for that).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the folder holding Cargo.toml), one level above openapi/. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A running server; call {@link RunningServer.stop} when done. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>` (the server is mounted at `/`). */
  readonly baseUrl: string;
  readonly port: number;
  /** Everything the server printed so far (stdout and stderr), without terminal colour codes. */
  output(): string;
  /** Stops the server and removes its temporary folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface StartOptions {
  /** How long to wait for `GET /health` to answer 200 (default 60 s). */
  readyTimeoutMs?: number;
  /** Extra environment variables for the server. */
  env?: Record<string, string>;
  /**
   * The port to listen on (default: a free one). Pass one from {@link freePort} when a setting must name the
   * server's own origin, e.g. `WEBAUTHN_ORIGIN=http://localhost:<port>` for a page the test serves there.
   */
  port?: number;
}

/** Options of {@link launchServer}. */
export interface LaunchOptions {
  /** The server binary. */
  binary: string;
  /** The port to listen on (see {@link freePort}). */
  port: number;
  /** The server's settings on top of the ones every test server gets (see the top of this file). */
  env: Record<string, string>;
  /** How long to wait for `GET /health` to answer 200. */
  readyTimeoutMs: number;
  /** The start of the temporary folder's name. */
  folderPrefix: string;
  /** Keep only the last this many characters of what the server prints (default: all of it). */
  outputLimit?: number;
}

/** The variables a test server never inherits: the settings it reads. */
const SETTINGS = /^(ROCKET_|JWT_|BCRYPT_|RATE_LIMIT_|CORS_|REFRESH_|SMTP_|MAIL_|WEBAUTHN_|OIDC_|RUST_LOG)/;
const SETTINGS_NAMED = [
  "DATABASE_URL",
  "APP_URL",
  "API_URL",
  "REQUIRE_VERIFIED_EMAIL",
  "LOG_FORMAT",
  "METRICS_ADDRESS",
  "SESSION_MAX_AGE_SECONDS",
  "CLEANUP_INTERVAL_SECONDS",
];
const OUTPUT_LIMIT = 64 * 1024;

let built: Promise<string> | undefined;

/**
 * Servers still running, with their temporary folders. If this process ends without
 * `stop()` (a crash, Ctrl-C, a failing hook), they are killed and removed on the way out:
 * an orphaned server would otherwise live on, and with its stdout pipe gone it ignores SIGTERM.
 */
const live = new Map<ChildProcess, string>();

function killAll(): void {
  for (const [child, dataDir] of live) {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
  live.clear();
}

let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal); // the default action now that this listener is gone
    });
  }
}

/**
 * Returns the server binary, building it first unless `TODO_ROCKET_BIN` is set.
 * The build runs once per process; cargo's progress goes to stderr.
 */
export function serverBinary(): Promise<string> {
  built ??= locateOrBuild();
  return built;
}

async function locateOrBuild(): Promise<string> {
  const override = process.env["TODO_ROCKET_BIN"];
  if (override) {
    if (!existsSync(override)) throw new Error(`TODO_ROCKET_BIN=${override} does not exist`);
    return override;
  }
  const targetDir = process.env["CARGO_TARGET_DIR"] || join(repoRoot, "target");
  const code = await new Promise<number | null>((done, fail) => {
    const cargo = spawn("cargo", ["build", "-p", "todo-rocket"], {
      cwd: repoRoot,
      env: { ...process.env, CARGO_TARGET_DIR: targetDir },
      stdio: ["ignore", "inherit", "inherit"],
    });
    cargo.on("error", fail);
    cargo.on("exit", done);
  });
  if (code !== 0) throw new Error(`cargo build -p todo-rocket failed (exit ${code}) in ${repoRoot}`);
  const binary = join(targetDir, "debug", process.platform === "win32" ? "todo-rocket.exe" : "todo-rocket");
  if (!existsSync(binary)) throw new Error(`cargo build succeeded but ${binary} does not exist`);
  return binary;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      if (address === null || typeof address === "string") {
        probe.close();
        fail(new Error("could not read the probe socket's port"));
        return;
      }
      probe.close(() => done(address.port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function serverEnv(port: number, dataDir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (SETTINGS.test(key) || SETTINGS_NAMED.includes(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    JWT_SECRET: "test-server-secret-that-is-at-least-32-bytes-long",
    BCRYPT_COST: "4",
    DATABASE_URL: `sqlite:${join(dataDir, "todo.db")}`,
    ROCKET_ADDRESS: "127.0.0.1",
    ROCKET_PORT: String(port),
    ...extra,
  };
}

/**
 * Builds (if needed) and starts the server on a free port with a fresh database and
 * `ROCKET_LOG_LEVEL=critical`, and resolves once `GET /health` answers 200.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  return launchServer({
    binary: await serverBinary(),
    port: options.port ?? (await freePort()),
    env: { ROCKET_LOG_LEVEL: "critical", ...options.env },
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
    folderPrefix: "todo-rocket-client-test-",
    outputLimit: OUTPUT_LIMIT,
  });
}

/**
 * Starts `binary` on `port` with a fresh database, and resolves once `GET /health` answers 200.
 * On failure (early exit or time-out) the error message includes what the server printed.
 */
export async function launchServer(options: LaunchOptions): Promise<RunningServer> {
  const { binary, port, readyTimeoutMs, outputLimit } = options;
  const dataDir = mkdtempSync(join(tmpdir(), options.folderPrefix));
  const baseUrl = `http://127.0.0.1:${port}`;

  let output = "";
  const record = (chunk: Buffer): void => {
    // eslint-disable-next-line no-control-regex
    output += chunk.toString("utf8").replace(/\u001b\[[0-9;]*m/g, "");
    if (outputLimit !== undefined && output.length > outputLimit) output = output.slice(-outputLimit);
  };
  const child: ChildProcess = spawn(binary, [], {
    cwd: dataDir,
    env: serverEnv(port, dataDir, options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  installCleanup();
  live.set(child, dataDir);
  child.stdout?.on("data", record);
  child.stderr?.on("data", record);
  let exited: string | undefined;
  const exit = new Promise<void>((done) => {
    child.on("exit", (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
      done();
    });
    child.on("error", (error) => {
      exited = `spawn error: ${error.message}`;
      done();
    });
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      if (exited === undefined) {
        child.kill("SIGTERM");
        const killed = await Promise.race([exit.then(() => true), sleep(5_000).then(() => false)]);
        if (!killed) {
          child.kill("SIGKILL");
          await exit;
        }
      }
    }
    live.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + readyTimeoutMs;
  let lastProblem = "no answer yet";
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`todo-rocket exited before it was ready (${exited}); it printed:\n${output}`);
    }
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) break;
      lastProblem = `GET /health answered ${response.status}`;
    } catch (error) {
      lastProblem = `GET /health failed: ${(error as Error).message}`;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `todo-rocket did not become ready on ${baseUrl} within ${readyTimeoutMs} ms (${lastProblem}); ` +
          `it printed:\n${output}`,
      );
    }
    await sleep(100);
  }

  return { baseUrl, port, output: () => output, stop };
}
