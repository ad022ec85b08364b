/**
 * Test helper: Debian's Chromium (`$CHROMIUM_BIN`, default `/usr/bin/chromium`) started headless by
 * playwright-core, with a fresh temporary profile and no background traffic. No browser is downloaded.
 *
 * examples/web's end-to-end test uses {@link launchChromium} too, by relative path. Each package
 * installs its own playwright-core, so the caller hands in its `chromium`: this module loads none.
 */
import { after, before } from "node:test";

import { startServer, type RunningServer } from "./server.js";

const CHROMIUM = process.env["CHROMIUM_BIN"] || "/usr/bin/chromium";

/** What {@link launchChromium} needs of playwright-core's `chromium`. */
interface Launcher<B> {
  launch(options: { executablePath: string; args: string[]; timeout: number }): Promise<B>;
}

/** Launches headless Chromium through `chromium` (playwright-core's); close it with `browser.close()`. */
export function launchChromium<B>(chromium: Launcher<B>): Promise<B> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 60_000,
  });
}

/** The server and the browser that the tests of one file share. */
export interface ServerAndBrowser<B> {
  server: RunningServer;
  browser: B | undefined;
}

/**
 * Starts a server ({@link startServer}) and Chromium before the first test of the calling file, and
 * stops both after its last; the fields are set once the first test runs.
 */
export function serverAndBrowser<B extends { close(): Promise<void> }>(chromium: Launcher<B>): ServerAndBrowser<B> {
  const shared = {} as ServerAndBrowser<B>;
  before(async () => {
    shared.server = await startServer();
    shared.browser = await launchChromium(chromium);
  });
  after(async () => {
    await shared.browser?.close();
    await shared.server?.stop();
  });
  return shared;
}
