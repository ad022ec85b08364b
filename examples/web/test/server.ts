/**
 * Test helper: runs the real `todo-rocket` server binary (`$TODO_ROCKET_BIN`, required) on a given
 * loopback port with a fresh SQLite database, and reads the links of the mails it sends.
 *
 * With `SMTP_SINK_PYTHON` (a Python that has aiosmtpd; CI sets it), the mails go over real SMTP to
 * `smtp_sink.py` beside this file, and the links are read from the delivered mails. Without it, the server
 * writes each mail, link included, to its log (`RUST_LOG=info`, no `SMTP_URL`), and they are read there.
 *
 * Running and stopping the server is the client package's test helper, imported by relative path
 * (openapi/test/server.ts: the settings every test server gets, and the inherited ones it drops).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { launchServer, sleep, type RunningServer as LaunchedServer } from "../../../openapi/test/server.js";

import { freePort } from "../../../openapi/test/server.js";

export { freePort, sleep } from "../../../openapi/test/server.js";

/** A running server; call {@link RunningServer.stop} when done. */
export interface RunningServer extends LaunchedServer {
  /** Where the mails sent from now on start: pass it to {@link RunningServer.waitForLink} as `since`. */
  mailMark(): number;
  /**
   * Waits for a link of a mail sent after `since` ({@link RunningServer.mailMark} before the action that sends
   * the mail; 0 for any) and returns the last one.
   */
  waitForLink(kind: "verify-email" | "reset-password" | "magic-link" | "invitations", since: number, timeoutMs?: number): Promise<string>;
  /** Where the mails went: `SMTP (aiosmtpd)` or `the server log`. */
  readonly mailTransport: string;
}

/** A running SMTP sink (smtp_sink.py): the mails it received, and how to stop it. */
interface SmtpSink {
  port: number;
  /** The plain-text parts of the mails delivered so far, in order. */
  texts(): string[];
  stop(): void;
}

/** Starts smtp_sink.py with `python` on a free port, writing into a fresh folder; resolves once it listens. */
async function startSmtpSink(python: string): Promise<SmtpSink> {
  const port = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), "todo-web-smtp-")), "mails.jsonl");
  const script = join(dirname(fileURLToPath(import.meta.url)), "smtp_sink.py");
  const child = spawn(python, [script, String(port), file], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the SMTP sink (${python} ${script}) did not start in 15 s`)), 15_000);
    child.once("exit", (code) => reject(new Error(`the SMTP sink exited with ${code} before it listened`)));
    lines.once("line", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    port,
    texts: () =>
      readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => (JSON.parse(line) as { text: string }).text),
    stop: () => {
      child.stdin!.end();
      child.kill();
    },
  };
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
  const python = process.env["SMTP_SINK_PYTHON"];
  const sink = python ? await startSmtpSink(python) : undefined;
  const smtp: Record<string, string> = sink
    ? { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, MAIL_FROM: "Todo <no-reply@example.com>" }
    : {};
  const server = await launchServer({
    binary: serverBinary(),
    port,
    env: { RUST_LOG: "info", ...smtp, ...env },
    readyTimeoutMs: 30_000,
    folderPrefix: "todo-web-e2e-",
  });

  // The mails so far, as text: each delivered mail's plain text, or the server's log (one long text).
  const mails = (): string[] => (sink ? sink.texts() : [server.output()]);
  const mailMark = (): number => (sink ? sink.texts().length : server.output().length);
  const after = (since: number): string => (sink ? sink.texts().slice(since).join("\n") : server.output().slice(since));

  const waitForLink = async (kind: string, since: number, timeoutMs = 10_000): Promise<string> => {
    const pattern = new RegExp(`https?://\\S+/${kind}\\?token=[A-Za-z0-9_-]+`, "g");
    const until = Date.now() + timeoutMs;
    for (;;) {
      const links = after(since).match(pattern);
      if (links) return links[links.length - 1]!;
      if (Date.now() > until) {
        throw new Error(`no /${kind}?token= link in the mails within ${timeoutMs} ms; they were:\n${mails().join("\n")}`);
      }
      await sleep(100);
    }
  };

  const stop = async (): Promise<void> => {
    await server.stop();
    sink?.stop();
  };
  const mailTransport = sink ? "SMTP (aiosmtpd)" : "the server log";
  return { ...server, stop, mailMark, waitForLink, mailTransport };
}
