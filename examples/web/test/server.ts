/**
 * Test helper: runs the real `todo-rocket` server binary (`$TODO_ROCKET_BIN`, required) on a free
 * loopback port with a fresh SQLite database, keeps everything it prints (the mails are written
 * there, with their links, when no SMTP_URL is set), and stops it afterwards.
 *
 * Adapted from openapi/test/server.ts (not imported: examples/web stands on its own).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running server; call {@link RunningServer.stop} when done. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  /** Everything the server printed so far (stdout and stderr), without terminal colour codes. */
  output(): string;
  /**
   * Waits for a link of a mail written to the log after `since` characters of output
   * (`output().length` before the action that sends the mail) and returns the last one.
   */
  waitForLink(kind: "verify-email" | "reset-password", since: number, timeoutMs?: number): Promise<string>;
  /** Stops the server and removes its temporary folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** The server binary: `$TODO_ROCKET_BIN`, or a clear error. */
export function serverBinary(): string {
  const binary = process.env["TODO_ROCKET_BIN"];
  if (!binary) {
    throw new Error(
      "TODO_ROCKET_BIN is not set: point it at the todo-rocket server binary, e.g.\n" +
        "  cargo build --release -p todo-rocket\n" +
        "  TODO_ROCKET_BIN=$PWD/target/release/todo-rocket npm test   (from examples/web; use the absolute path)",
    );
  }
  if (!existsSync(binary)) throw new Error(`TODO_ROCKET_BIN=${binary} does not exist`);
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

/** Servers still running: killed if this process ends without `stop()` (a crash, Ctrl-C). */
const live = new Map<ChildProcess, string>();
let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = (): void => {
    for (const [child, dataDir] of live) {
      child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
    live.clear();
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Starts the server on `port` with a fresh database and the given settings (on top of
 * `JWT_SECRET`, `BCRYPT_COST=4`, `DATABASE_URL`, `ROCKET_ADDRESS`, `ROCKET_PORT`, `RUST_LOG=info`),
 * and resolves once `GET /health` answers 200. Inherited variables that could point it elsewhere
 * or change its behaviour (`ROCKET_*`, `JWT_*`, `BCRYPT_*`, `RATE_LIMIT_*`, `CORS_*`, `SMTP_URL`,
 * `MAIL_FROM`, `APP_URL`, `DATABASE_URL`, ...) are dropped.
 */
export async function startServer(port: number, env: Record<string, string>): Promise<RunningServer> {
  const binary = serverBinary();
  const dataDir = mkdtempSync(join(tmpdir(), "todo-web-e2e-"));
  const baseUrl = `http://127.0.0.1:${port}`;

  const inherited: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(ROCKET_|JWT_|BCRYPT_|RATE_LIMIT_|CORS_|REFRESH_|SMTP_|MAIL_|RUST_LOG)/.test(key)) continue;
    if (["DATABASE_URL", "APP_URL", "REQUIRE_VERIFIED_EMAIL"].includes(key)) continue;
    inherited[key] = value;
  }
  let output = "";
  const record = (chunk: Buffer): void => {
    // eslint-disable-next-line no-control-regex
    output += chunk.toString("utf8").replace(/\u001b\[[0-9;]*m/g, "");
  };
  const child = spawn(binary, [], {
    cwd: dataDir,
    env: {
      ...inherited,
      JWT_SECRET: "web-e2e-secret-that-is-at-least-32-bytes-long",
      BCRYPT_COST: "4",
      DATABASE_URL: `sqlite:${join(dataDir, "todo.db")}`,
      ROCKET_ADDRESS: "127.0.0.1",
      ROCKET_PORT: String(port),
      RUST_LOG: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  installCleanup();
  live.set(child, dataDir);
  child.stdout.on("data", record);
  child.stderr.on("data", record);
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
        if (!(await Promise.race([exit.then(() => true), sleep(5_000).then(() => false)]))) {
          child.kill("SIGKILL");
          await exit;
        }
      }
    }
    live.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`todo-rocket exited before it was ready (${exited}); it printed:\n${output}`);
    }
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`todo-rocket did not become ready on ${baseUrl} within 30 s; it printed:\n${output}`);
    }
    await sleep(100);
  }

  const waitForLink = async (kind: string, since: number, timeoutMs = 10_000): Promise<string> => {
    const pattern = new RegExp(`https?://\\S+/${kind}\\?token=[A-Za-z0-9_-]+`, "g");
    const until = Date.now() + timeoutMs;
    for (;;) {
      const links = output.slice(since).match(pattern);
      if (links) return links[links.length - 1]!;
      if (Date.now() > until) {
        throw new Error(`no /${kind}?token= link in the server's output within ${timeoutMs} ms; it printed:\n${output.slice(since)}`);
      }
      await sleep(100);
    }
  };

  return { baseUrl, output: () => output, waitForLink, stop };
}
