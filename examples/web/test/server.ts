/**
 * Test helper: runs the real `todo-rocket` server binary (`$TODO_ROCKET_BIN`, required) on a given
 * loopback port with a fresh SQLite database, with `RUST_LOG=info` so that the mails are written to
 * its log, with their links, when no SMTP_URL is set, and reads those links.
 *
 * Running and stopping the server is the client package's test helper, imported by relative path
 * (openapi/test/server.ts: the settings every test server gets, and the inherited ones it drops).
 */
import { existsSync } from "node:fs";

import { launchServer, sleep, type RunningServer as LaunchedServer } from "../../../openapi/test/server.js";

export { freePort, sleep } from "../../../openapi/test/server.js";

/** A running server; call {@link RunningServer.stop} when done. */
export interface RunningServer extends LaunchedServer {
  /**
   * Waits for a link of a mail written to the log after `since` characters of output
   * (`output().length` before the action that sends the mail) and returns the last one.
   */
  waitForLink(kind: "verify-email" | "reset-password" | "magic-link" | "invitations", since: number, timeoutMs?: number): Promise<string>;
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

/**
 * Starts the server on `port` with a fresh database and the given settings (on top of the test
 * server's and `RUST_LOG=info`), and resolves once `GET /health` answers 200.
 */
export async function startServer(port: number, env: Record<string, string>): Promise<RunningServer> {
  const server = await launchServer({
    binary: serverBinary(),
    port,
    env: { RUST_LOG: "info", ...env },
    readyTimeoutMs: 30_000,
    folderPrefix: "todo-web-e2e-",
  });

  const waitForLink = async (kind: string, since: number, timeoutMs = 10_000): Promise<string> => {
    const pattern = new RegExp(`https?://\\S+/${kind}\\?token=[A-Za-z0-9_-]+`, "g");
    const until = Date.now() + timeoutMs;
    for (;;) {
      const links = server.output().slice(since).match(pattern);
      if (links) return links[links.length - 1]!;
      if (Date.now() > until) {
        throw new Error(
          `no /${kind}?token= link in the server's output within ${timeoutMs} ms; it printed:\n${server.output().slice(since)}`,
        );
      }
      await sleep(100);
    }
  };

  return { ...server, waitForLink };
}
